# vector: chroot into the protected filesystem and write the file by its path there
# expect: refused: EPERM, deny open-write, content unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/chroot.conf
h=$(hash_of $f)
attempt pfop chroot /prot write /etc/chroot.conf evil
refused_with EPERM "write from the chroot"
same $f "$h"
deny '"op":"open-write"' 'chroot.conf"'
