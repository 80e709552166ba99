# vector: overlayfs with the protected directory as lowerdir: mount it over the tree, and write through a merged view elsewhere
# expect: refused: the overlay over /prot/etc is refused (EPERM, deny mount); elsewhere writes copy up to the upper layer and the protected file is unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/ovl.conf
h=$(hash_of $f)
d=/tmp/ovl36; mkdir -p $d/up $d/work $d/m
if mount -t overlay overlay -o lowerdir=/prot/etc,upperdir=$d/up,workdir=$d/work /prot/etc 2>/dev/null; then
	umount /prot/etc
	bypassed "overlay mounted over /prot/etc"
fi
deny '"op":"mount"' '"path":"/prot/etc"'
mount -t overlay overlay -o lowerdir=/prot/etc,upperdir=$d/up,workdir=$d/work $d/m ||
	harness "overlay mount at $d/m failed"
attempt pfop write $d/m/ovl.conf "copied up"
umount $d/m
same $f "$h"
[ "$GOT" = OK ] || harness "write through the merged dir failed with $GOT (expected a copy-up)"
[ -f $d/up/ovl.conf ] || bypassed "no copy-up in the upper layer, yet the write returned OK"
