# vector: umount securityfs (/sys/kernel/security)
# expect: refused: EPERM, tamper umount
. "$PF_SUITE_DIR/vector.inc"
attempt pfop umount /sys/kernel/security
refused_with EPERM "umount securityfs"
[ -e /sys/kernel/security/lsm ] || bypassed "securityfs unmounted"
event '"decision":"tamper"' '"op":"umount"'
