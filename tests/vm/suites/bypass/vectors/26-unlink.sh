# vector: unlink a protected file and create a new one under its name
# expect: refused: EPERM, deny unlink, file unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/unlink.conf
h=$(hash_of $f)
attempt pfop unlink $f
refused_with EPERM "unlink"
same $f "$h"
deny '"op":"unlink"' '"path":"/prot/etc/unlink.conf"'
