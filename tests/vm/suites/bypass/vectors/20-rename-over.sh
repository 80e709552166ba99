# vector: rename an unprotected file over a protected one
# expect: refused: EPERM, deny rename, content unchanged
# hooks: path_rename
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/ren_over.conf
h=$(hash_of $f)
printf 'evil\n' > /prot/free/evil
attempt pfop rename /prot/free/evil $f
refused_with EPERM "rename over"
same $f "$h"
deny '"op":"rename"' '"path":"/prot/etc/ren_over.conf"'
