# vector: overlayfs with the protected directory as upperdir (workdir in an unprotected directory of the same fs), write via the merged dir
# expect: refused: the mount or the write is refused, /prot/etc/ovl.conf unchanged, deny event
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/ovl.conf
h=$(hash_of $f)
d=/tmp/ovl37; mkdir -p $d/low $d/m /prot/free/ovlwork37
if ! mount -t overlay overlay -o lowerdir=$d/low,upperdir=/prot/etc,workdir=/prot/free/ovlwork37 $d/m 2>/tmp/ovl37.err; then
	same $f "$h"
	deny '"op":"mount"'
	exit 0
fi
attempt pfop write $d/m/ovl.conf "via overlay upper"
umount $d/m
[ "$GOT" = OK ] && bypassed "overlay with upperdir=/prot/etc mounted and the write through $d/m succeeded; $f now '$(tail -n 1 $f)'"
same $f "$h"
# The write reaches the hooks through overlayfs's private clone of the
# upper mount: the event's path is relative to that mount (/ovl.conf).
deny 'ovl.conf"'
echo "# event: $(_pf_grep_all /tmp/.bp_new 'ovl.conf"' | head -n 1 | cut -c 1-220)"
