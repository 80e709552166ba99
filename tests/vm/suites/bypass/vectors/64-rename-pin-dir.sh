# vector: rename the pin dir / a map pin away, then remove it elsewhere
# expect: refused: EPERM on rename, tamper rename, pins in place
. "$PF_SUITE_DIR/vector.inc"
attempt pfop rename /sys/fs/bpf/permafrost /sys/fs/bpf/gone
refused_with EPERM "rename of the pin dir"
attempt pfop rename $PF_MAPS_DIR/events /sys/fs/bpf/events
refused_with EPERM "rename of a map pin"
[ -e $PF_MAPS_DIR/events ] || bypassed "events pin moved"
event '"decision":"tamper"' '"op":"rename"'
