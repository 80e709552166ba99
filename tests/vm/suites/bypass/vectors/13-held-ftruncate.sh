# vector: ftruncate(2) through a descriptor opened for writing before the freeze
# expect: refused: EPERM, deny truncate, content unchanged
# hooks: file_truncate
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/held_trunc.conf
h=$(hash_of $f)
release trunc
refused_with EPERM "ftruncate on the held fd"
same $f "$h"
deny '"op":"truncate"' '"path":"/prot/etc/held_trunc.conf"'
