# vector: write a file whose path is ~6 KB (> PATH_MAX) using relative openat chains
# expect: refused: EPERM, deny open-write (the event's path is cut to its last components and marked truncated), content unchanged
. "$PF_SUITE_DIR/vector.inc"
h=$(pfop chain-cat /prot/etc "$BP_LONG_N" "$BP_LONG_LEN" | sha256sum | awk '{print $1}')
attempt pfop chain-write /prot/etc "$BP_LONG_N" "$BP_LONG_LEN" evil
refused_with EPERM "openat chain write"
now=$(pfop chain-cat /prot/etc "$BP_LONG_N" "$BP_LONG_LEN" | sha256sum | awk '{print $1}')
[ "$now" = "$h" ] || bypassed "the file at depth $BP_LONG_N changed"
deny '"op":"open-write"' "$(head -c "$BP_LONG_LEN" /dev/zero | tr '\0' d)/f\""
echo "# event: $(_pf_grep_all /tmp/.bp_new '"op":"open-write"' '/f"' | head -n 1 | sed 's/^.*"path":/"path":/; s/,"dev".*//')"
_pf_grep_all /tmp/.bp_new '"op":"open-write"' '"path":"/...' '"path_truncated":true' >/dev/null ||
	bypassed "refused, but the event's path is not marked truncated: $(_pf_grep_all /tmp/.bp_new '"op":"open-write"' | head -n 1 | cut -c 80-200)"
