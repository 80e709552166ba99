# vector: BPF_MAP_GET_FD_BY_ID of Permafrost's config map, then switch the mode off
# expect: refused: EPERM on the writable fd, tamper bpf-object, still enforcing
. "$PF_SUITE_DIR/vector.inc"
id=$(bpftool map list 2>/dev/null | awk -F: '/ name pf_config_map /{print $1; exit}')
[ -n "$id" ] || harness "pf_config_map not listed by bpftool map list"
out=$(bpftool map update id "$id" key hex 00 00 00 00 value hex 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 2>&1) &&
	bypassed "config map updated by id: $out"
echo "$out" | grep -qi 'operation not permitted' || bypassed "refused, but not with EPERM: $out"
event '"decision":"tamper"' '"op":"bpf-object"'
attempt pfop write /prot/etc/app.conf x
refused_with EPERM "write after the config attempt"
