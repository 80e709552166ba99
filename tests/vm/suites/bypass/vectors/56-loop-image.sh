# vector: write into a filesystem whose image is a protected file, through a loop device attached before the freeze
# expect: refused: creating a file in the loop-mounted filesystem fails (the freeze made its root a protected object, since its loop device is backed by a protected file), the image file is unchanged, deny create on the loop filesystem
. "$PF_SUITE_DIR/vector.inc"
img=/prot/img/disk.img
h=$(hash_of $img)
attempt pfop create "$BP_LOOPMNT/new-file"
sync
echo 3 > /proc/sys/vm/drop_caches 2>/dev/null
same $img "$h"
refused_with EPERM "create in the loop-mounted filesystem"
deny '"op":"create"' '"path":"/mnt/loopimg/new-file"'
