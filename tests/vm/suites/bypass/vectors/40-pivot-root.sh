# vector: unshare -m and pivot_root onto the protected filesystem, then write the file by its new path
# expect: refused: EPERM, deny open-write, content unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/pivot.conf
h=$(hash_of $f)
attempt pfop pivot-write /prot free/old /etc/pivot.conf evil
[ "$GOT" = EPERM ] || [ "$GOT" = OK ] || harness "pivot_root set-up failed: $GOT"
refused_with EPERM "write after pivot_root"
same $f "$h"
deny '"op":"open-write"' 'pivot.conf"'
