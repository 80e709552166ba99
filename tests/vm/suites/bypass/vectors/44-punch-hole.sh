# vector: fallocate(PUNCH_HOLE) a protected file
# expect: refused: EPERM, deny open-write, content unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/punch.conf
h=$(hash_of $f)
attempt pfop punch-hole $f
refused_with EPERM "punch hole"
same $f "$h"
deny '"op":"open-write"' '"path":"/prot/etc/punch.conf"'
