# vector: store through a writable MAP_SHARED mapping made before the freeze
# expect: refused: the store must not reach the file (content unchanged after msync)
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/mmap_before.conf
h=$(hash_of $f)
release mmapb
# The store itself cannot fail with an errno; what counts is the file.
echo 3 > /proc/sys/vm/drop_caches 2>/dev/null
now=$(hash_of $f)
[ "$now" = "$h" ] || bypassed "store through a mapping made before the freeze reached $f ($GOT; now '$(head -c 40 $f | tr '\n' '|')')"
