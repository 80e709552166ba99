# vector: unshare -m, then unmount the filesystem holding the tree (or lazily detach it)
# expect: refused: EPERM, deny umount
. "$PF_SUITE_DIR/vector.inc"
out=$(unshare -m sh -c 'pfop umount /prot; umount -l /prot 2>&1 && echo LAZY-OK; [ -e /prot/etc/app.conf ] && echo STILL-THERE' 2>&1)
echo "$out" | grep -q '^OK' && bypassed "umount /prot in a new mount namespace succeeded"
echo "$out" | grep -q 'LAZY-OK' && bypassed "umount -l /prot in a new mount namespace succeeded"
echo "$out" | grep -q STILL-THERE || bypassed "the tree vanished in the namespace: $out"
deny '"op":"umount"'
