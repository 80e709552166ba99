# vector: rename a protected file out of the tree, then edit it there
# expect: refused: EPERM on rename, deny rename, file still in place and unchanged
# hooks: path_rename
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/ren.conf
h=$(hash_of $f)
attempt pfop rename $f /prot/free/ren.conf
refused_with EPERM "rename away"
same $f "$h"
[ -e /prot/free/ren.conf ] && bypassed "/prot/free/ren.conf exists"
deny '"op":"rename"' '"path":"/prot/etc/ren.conf"'
