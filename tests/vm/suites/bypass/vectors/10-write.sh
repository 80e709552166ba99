# vector: open a protected file for writing and append to it
# expect: refused: EPERM, deny open-write, content unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/app.conf
h=$(hash_of $f)
attempt pfop write $f "listen 80"
refused_with EPERM "write"
same $f "$h"
deny '"op":"open-write"' '"path":"/prot/etc/app.conf"'
