# vector: mprotect a read-only MAP_SHARED mapping (made before the freeze, fd O_RDWR) to writable
# expect: refused: EPERM from mprotect, deny mmap-write, content unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/mprot.conf
h=$(hash_of $f)
release mprot
refused_with EPERM "mprotect to PROT_WRITE"
same $f "$h"
deny '"op":"mmap-write"' '"path":"/prot/etc/mprot.conf"'
