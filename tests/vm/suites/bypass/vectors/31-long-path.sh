# vector: write a file whose path is ~6 KB (> PATH_MAX) using relative openat chains
# expect: refused: EPERM, deny open-write (path truncated in the event), content unchanged
. "$PF_SUITE_DIR/vector.inc"
h=$(pfop chain-cat /prot/etc "$BP_LONG_N" "$BP_LONG_LEN" | sha256sum | awk '{print $1}')
attempt pfop chain-write /prot/etc "$BP_LONG_N" "$BP_LONG_LEN" evil
refused_with EPERM "openat chain write"
now=$(pfop chain-cat /prot/etc "$BP_LONG_N" "$BP_LONG_LEN" | sha256sum | awk '{print $1}')
[ "$now" = "$h" ] || bypassed "the file at depth $BP_LONG_N changed"
deny '"op":"open-write"' '"path_truncated":true'
