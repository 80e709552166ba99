# vector: overlayfs with a protected directory as upperdir, unlink a protected file via the merged dir
# expect: refused: the mount or the unlink is refused, /prot/etc/sub/b.conf still there, deny event
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/sub/b.conf
h=$(hash_of $f)
d=/tmp/ovl38; mkdir -p $d/low $d/m /prot/free/ovlwork38
if ! mount -t overlay overlay -o lowerdir=$d/low,upperdir=/prot/etc/sub,workdir=/prot/free/ovlwork38 $d/m 2>/dev/null; then
	same $f "$h"
	deny '"op":"mount"'
	exit 0
fi
attempt pfop unlink $d/m/b.conf
umount $d/m
[ "$GOT" = OK ] && bypassed "overlay with upperdir=/prot/etc/sub mounted and unlink through $d/m succeeded; $f exists: $([ -e $f ] && echo yes || echo no)"
same $f "$h"
# The unlink reaches the hooks without a mount: the path is fs-relative.
deny 'sub/b.conf"'
