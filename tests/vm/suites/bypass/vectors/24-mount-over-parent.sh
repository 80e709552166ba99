# vector: mount a tmpfs over the unprotected parent of a protected directory and serve other content
# expect: refused: EPERM on mount, the protected path keeps its content
. "$PF_SUITE_DIR/vector.inc"
f=/prot/srv/app/config
h=$(hash_of $f)
attempt pfop mount-tmpfs /prot/srv
if [ "$GOT" = OK ]; then
	mkdir -p /prot/srv/app && printf 'db=evil\n' > /prot/srv/app/config
	now=$(hash_of $f)
	umount /prot/srv
	[ "$now" = "$h" ] || bypassed "tmpfs mounted over /prot/srv; the path $f then served 'db=evil'"
	bypassed "tmpfs mount over /prot/srv allowed"
fi
same $f "$h"
deny '"op":"mount"' '"path":"/prot/srv"'
