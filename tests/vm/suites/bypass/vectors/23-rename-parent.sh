# vector: rename the unprotected parent of a protected directory away, recreate the path with other content
# expect: refused: the protected path /prot/srv/app/config keeps its content
# hooks: path_rename
. "$PF_SUITE_DIR/vector.inc"
f=/prot/srv/app/config
h=$(hash_of $f)
attempt pfop rename /prot/srv /prot/srv.moved
if [ "$GOT" = OK ]; then
	mkdir -p /prot/srv/app && printf 'db=evil\n' > /prot/srv/app/config
	now=$(hash_of $f)
	# Put things back so the later vectors see the original tree.
	rm -rf /prot/srv; mv /prot/srv.moved /prot/srv
	[ "$now" = "$h" ] || bypassed "rename of the parent /prot/srv allowed; the path $f then served 'db=evil'"
	bypassed "rename of the parent /prot/srv allowed"
fi
same $f "$h"
deny '"op":"rename"' '"path":"/prot/srv"'
