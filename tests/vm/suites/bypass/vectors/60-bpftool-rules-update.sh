# vector: bpftool map update of Permafrost's pinned rules map (drop a rule)
# expect: refused: EPERM on the writable map fd, tamper bpf-object, enforcement unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/app.conf
h=$(hash_of $f)
M=$PF_MAPS_DIR/rules
[ -e $M ] || harness "$M missing"
out=$(bpftool map update pinned $M key hex 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 value hex 02 00 00 00 00 00 00 00 2>&1) &&
	bypassed "bpftool map update succeeded: $out"
echo "$out" | grep -qi 'operation not permitted' || bypassed "refused, but not with EPERM: $out"
event '"decision":"tamper"' '"op":"bpf-object"'
attempt pfop write $f x
refused_with EPERM "write after the map update attempt"
same $f "$h"
