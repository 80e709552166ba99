# vector: write(2) through a descriptor opened for writing before the freeze
# expect: refused: EPERM, deny write, content unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/held_write.conf
h=$(hash_of $f)
release write
refused_with EPERM "write on the held fd"
same $f "$h"
deny '"op":"write"' '"path":"/prot/etc/held_write.conf"'
