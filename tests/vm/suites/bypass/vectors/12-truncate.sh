# vector: truncate(2) a protected file by path
# expect: refused: EPERM, deny truncate, content unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/truncate.conf
h=$(hash_of $f)
attempt pfop truncate $f 0
refused_with EPERM "truncate(2)"
same $f "$h"
deny '"op":"truncate"' '"path":"/prot/etc/truncate.conf"'
