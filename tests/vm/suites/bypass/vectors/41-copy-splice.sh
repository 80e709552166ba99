# vector: copy_file_range, sendfile and splice into a protected file
# expect: refused: EPERM for each, deny open-write, content unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/cfr.conf
h=$(hash_of $f)
for op in copy-file-range sendfile splice; do
	attempt pfop $op /prot/free/src $f
	refused_with EPERM "$op"
done
same $f "$h"
deny '"op":"open-write"' '"path":"/prot/etc/cfr.conf"'
