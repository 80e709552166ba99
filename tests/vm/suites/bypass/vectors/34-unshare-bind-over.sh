# vector: unshare -m, then bind-mount an unprotected directory over the protected one
# expect: refused: EPERM, deny mount, the namespace still sees the original file
. "$PF_SUITE_DIR/vector.inc"
mkdir -p /prot/free/fake && printf 'evil\n' > /prot/free/fake/ns.conf
f=/prot/etc/ns.conf
h=$(hash_of $f)
out=$(unshare -m sh -c 'pfop mount-bind /prot/free/fake /prot/etc; sha256sum /prot/etc/ns.conf' 2>&1)
GOT=$(echo "$out" | head -n 1)
refused_with EPERM "bind mount over /prot/etc in a new mount namespace"
echo "$out" | grep -q "$h" || bypassed "the namespace sees other content at $f: $out"
deny '"op":"mount"' '"path":"/prot/etc"'
