# vector: IORING_OP_WRITE through a descriptor opened before the freeze
# expect: refused: EPERM from the io_uring completion, deny write, content unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/held_uring.conf
h=$(hash_of $f)
release uring
refused_with EPERM "io_uring write on the held fd"
same $f "$h"
deny '"op":"write"' '"path":"/prot/etc/held_uring.conf"'
