# vector: mount the protected filesystem's block device a second time elsewhere and write there
# expect: refused: the second mount shares the superblock, so the write is refused (EPERM, deny open-write), content unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/app.conf
h=$(hash_of $f)
mkdir -p /mnt/vda2
if ! mountpoint -q /mnt/vda2 && ! mount -t ext4 "$BP_BLKDEV" /mnt/vda2 2>/dev/null; then
	same $f "$h"
	exit 0 # the mount itself was refused
fi
attempt pfop write /mnt/vda2/etc/app.conf evil
refused_with EPERM "write through the second mount"
attempt pfop mount-tmpfs /mnt/vda2/etc
refused_with EPERM "mount over etc in the second mount"
same $f "$h"
deny '"op":"open-write"' '"path":"/mnt/vda2/etc/app.conf"'
