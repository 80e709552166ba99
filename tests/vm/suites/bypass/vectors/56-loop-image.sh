# vector: write into a filesystem whose image is a protected file, through a loop device attached before the freeze
# expect: refused: creating a file in the loop-mounted filesystem fails (the freeze made its root a protected object, since its loop device is backed by a protected file), the image file is unchanged, deny create on the loop filesystem
. "$PF_SUITE_DIR/vector.inc"
img=/prot/img/disk.img
# The filesystem's own bookkeeping still reaches the image on 6.12 and
# later: an access time, written back up to 30 s after the first read of
# a file or directory since it changed (relatime), whoever read it
# (docs/threat-model.md, "Out of reach"). Let it land before the hash, so
# the comparison is of what the attack did, not of when writeback ran.
ls -la "$BP_LOOPMNT" >/dev/null 2>&1
cat "$BP_LOOPMNT/file" >/dev/null 2>&1
sync
h=$(hash_of $img)
attempt pfop create "$BP_LOOPMNT/new-file"
sync
echo 3 > /proc/sys/vm/drop_caches 2>/dev/null
same $img "$h"
refused_with EPERM "create in the loop-mounted filesystem"
deny '"op":"create"' '"path":"/mnt/loopimg/new-file"'
