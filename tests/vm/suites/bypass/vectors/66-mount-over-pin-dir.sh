# vector: mount a tmpfs over /sys/fs/bpf/permafrost (and over /sys/fs/bpf) to hide the pins
# expect: refused: EPERM, tamper mount, pins still visible
. "$PF_SUITE_DIR/vector.inc"
attempt pfop mount-tmpfs /sys/fs/bpf/permafrost
refused_with EPERM "mount over the pin dir"
attempt pfop mount-tmpfs /sys/fs/bpf
refused_with EPERM "mount over /sys/fs/bpf"
[ -d $PF_MAPS_DIR ] || bypassed "pins hidden"
event '"decision":"tamper"' '"op":"mount"'
