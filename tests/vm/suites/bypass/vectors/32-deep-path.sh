# vector: write a file 4200 directories below a protected directory (deeper than the 4096-step walk)
# expect: refused: EPERM (fail closed), deny open-write with rule too-deep, content unchanged
. "$PF_SUITE_DIR/vector.inc"
h=$(pfop chain-cat /prot/deep "$BP_DEEP_N" 1 | sha256sum | awk '{print $1}')
attempt pfop chain-write /prot/deep "$BP_DEEP_N" 1 evil
refused_with EPERM "openat chain write at depth $BP_DEEP_N"
now=$(pfop chain-cat /prot/deep "$BP_DEEP_N" 1 | sha256sum | awk '{print $1}')
[ "$now" = "$h" ] || bypassed "the file at depth $BP_DEEP_N changed"
deny '"op":"open-write"' '"rule":"too-deep"'
