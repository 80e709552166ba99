# vector: replace the agent binary (or a library it maps) so the next start runs foreign code
# expect: refused: EPERM, tamper
. "$PF_SUITE_DIR/vector.inc"
b=/usr/sbin/permafrostd
h=$(hash_of $b)
attempt pfop open-write $b
refused_with EPERM "open the agent binary for write"
cp /bin/busybox /tmp/bp-fake
attempt pfop rename /tmp/bp-fake $b
refused_with EPERM "rename over the agent binary"
lib=$(awk '$6 ~ /libbpf/ {print $6; exit}' /proc/$(cat /tmp/permafrostd.pid)/maps 2>/dev/null)
if [ -n "$lib" ]; then
	attempt pfop open-write "$lib"
	refused_with EPERM "open $lib for write"
fi
same $b "$h"
event '"decision":"tamper"' '"op":"open-write"' 'permafrostd"'
