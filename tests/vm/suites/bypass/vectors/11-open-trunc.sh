# vector: open a protected file with O_TRUNC
# expect: refused: EPERM, deny open-trunc, content unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/trunc.conf
h=$(hash_of $f)
attempt pfop open-trunc $f
refused_with EPERM "open(O_TRUNC)"
same $f "$h"
deny '"op":"open-trunc"' '"path":"/prot/etc/trunc.conf"'
