# vector: BPF_MAP_GET_FD_BY_ID of each of Permafrost's maps (ids from its program's info), then write
# expect: refused: ENOENT on get-fd-by-id (hidden, so bpftool map list keeps working), tamper bpf-object, still enforcing
. "$PF_SUITE_DIR/vector.inc"
ids=$(bpftool prog show name file_open 2>/dev/null | sed -n 's/.*map_ids \([0-9,]*\).*/\1/p' | tr ',' ' ')
[ -n "$ids" ] || harness "no map_ids in bpftool prog show name file_open"
for id in $ids; do
	out=$(bpftool map delete id "$id" key hex 00 00 00 00 2>&1) && bypassed "map $id: delete succeeded"
	echo "$out" | grep -qi 'no such file\|operation not permitted' || bypassed "map $id: unexpected: $out"
done
bpftool map list >/dev/null 2>&1 || bypassed "bpftool map list broke"
event '"decision":"tamper"' '"op":"bpf-object"'
attempt pfop write /prot/etc/app.conf x
refused_with EPERM "write after the attempts"
