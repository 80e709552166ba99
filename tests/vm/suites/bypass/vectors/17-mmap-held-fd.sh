# vector: mmap(PROT_WRITE, MAP_SHARED) after the freeze of a descriptor opened O_RDWR before it
# expect: refused: EPERM from mmap, deny mmap-write, content unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/mmap_held.conf
h=$(hash_of $f)
release mmaph
refused_with EPERM "shared writable mmap of the held fd"
same $f "$h"
deny '"op":"mmap-write"' '"path":"/prot/etc/mmap_held.conf"'
