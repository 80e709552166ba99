# vector: hard-link a protected file from an unprotected directory, write through the link
# expect: refused: EPERM on link(2), deny link, no link, content unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/link.conf
h=$(hash_of $f)
attempt pfop link $f /prot/free/link.conf
if [ "$GOT" = OK ]; then
	w=$(pfop write /prot/free/link.conf evil)
	bypassed "link(2) from /prot/free allowed; write through it: $w"
fi
refused_with EPERM "link"
same $f "$h"
deny '"op":"link"' '"path":"/prot/etc/link.conf"'
