# vector: bpftool link detach of Permafrost's LSM links (and prog get-fd-by-id)
# expect: refused: LSM links have no detach operation (EOPNOTSUPP); every link stays, still enforcing
. "$PF_SUITE_DIR/vector.inc"
n0=$(bpftool link list 2>/dev/null | grep -c 'lsm')
[ "$n0" -gt 0 ] || harness "no lsm links listed"
for id in $(bpftool link list 2>/dev/null | awk -F: '/ lsm /{print $1}'); do
	bpftool link detach id "$id" >/dev/null 2>&1 && bypassed "link $id detached"
done
n1=$(bpftool link list 2>/dev/null | grep -c 'lsm')
[ "$n1" = "$n0" ] || bypassed "lsm links: $n0 -> $n1"
attempt pfop write /prot/etc/app.conf x
refused_with EPERM "write after the detach attempts"
deny '"op":"open-write"' 'etc/app.conf"'
