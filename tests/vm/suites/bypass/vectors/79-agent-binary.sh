# vector: replace the agent binary (or a library it maps) so the next start runs foreign code
# expect: refused: EPERM on unlink/rename-over of the binary and on writing its libraries, tamper
. "$PF_SUITE_DIR/vector.inc"
b=/usr/sbin/permafrostd
h=$(hash_of $b)
attempt pfop unlink $b
refused_with EPERM "unlink the agent binary"
cp /bin/busybox /usr/sbin/bp-fake
attempt pfop rename /usr/sbin/bp-fake $b
refused_with EPERM "rename over the agent binary"
lib=$(awk '$6 ~ /libbpf/ {print $6; exit}' /proc/$(cat /tmp/permafrostd.pid)/maps 2>/dev/null)
[ -n "$lib" ] || harness "no libbpf mapped in the agent"
cp /bin/busybox "$lib.bp-fake"
attempt pfop rename "$lib.bp-fake" "$lib"
rm -f "$lib.bp-fake" /usr/sbin/bp-fake
refused_with EPERM "rename over $lib"
same $b "$h"
event '"decision":"tamper"' '"op":"rename"' 'permafrostd"'
