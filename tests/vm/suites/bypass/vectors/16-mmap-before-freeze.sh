# vector: store through a writable MAP_SHARED mapping made before the freeze
# expect: out-of-reach: stores through a writable shared mapping made before the freeze are page-fault writes, which reach no LSM hook (the kernel checks at mmap/mprotect time, before the freeze); the freeze cannot revoke a mapping. Mitigation: `permafrost freeze` names every process holding such a mapping of a protected file (asserted in the suite's set-up) so the operator restarts it; mappings made after the freeze are refused (mmap_file/file_mprotect).
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/mmap_before.conf
h=$(hash_of $f)
release mmapb
# The store itself cannot fail with an errno; what counts is the file.
echo 3 > /proc/sys/vm/drop_caches 2>/dev/null
now=$(hash_of $f)
[ "$now" = "$h" ] || bypassed "store through a mapping made before the freeze reached $f ($GOT; now '$(head -c 40 $f | tr '\n' '|')')"
