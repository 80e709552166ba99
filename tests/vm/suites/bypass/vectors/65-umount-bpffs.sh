# vector: umount (and lazy umount) /sys/fs/bpf
# expect: refused: EPERM, tamper umount, pins still visible
. "$PF_SUITE_DIR/vector.inc"
attempt pfop umount /sys/fs/bpf
refused_with EPERM "umount /sys/fs/bpf"
umount -l /sys/fs/bpf 2>/dev/null
[ -d $PF_MAPS_DIR ] || bypassed "bpffs unmounted"
event '"decision":"tamper"' '"op":"umount"'
