# vector: write through an unprotected symlink that points into the tree
# expect: refused: EPERM, deny open-write judged on the target, content unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/app.conf
h=$(hash_of $f)
attempt pfop write /prot/free/to_app evil
refused_with EPERM "write through the symlink"
same $f "$h"
deny '"op":"open-write"' '"path":"/prot/etc/app.conf"'
