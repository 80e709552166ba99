# vector: mount a tmpfs over the mount point of the filesystem holding the protected tree
# expect: refused: EPERM on mount, /prot/etc/app.conf keeps its content
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/app.conf
h=$(hash_of $f)
attempt pfop mount-tmpfs /prot
if [ "$GOT" = OK ]; then
	mkdir -p /prot/etc && printf 'listen 0.0.0.0:1\n' > /prot/etc/app.conf
	now=$(hash_of $f)
	umount /prot
	[ "$now" = "$h" ] || bypassed "tmpfs mounted over /prot; the path $f then served attacker content"
	bypassed "tmpfs mount over /prot allowed"
fi
same $f "$h"
deny '"op":"mount"'
