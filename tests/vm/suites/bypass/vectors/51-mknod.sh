# vector: mknod a device node in the tree, and rename a node made outside over a protected file
# expect: refused: EPERM for both, deny mknod and rename, content unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/app.conf
h=$(hash_of $f)
mknod /prot/etc/null c 1 3 2>/dev/null && bypassed "mknod in /prot/etc succeeded"
rm -f /prot/free/node; mknod /prot/free/node c 1 3 || harness "mknod in /prot/free failed"
attempt pfop rename /prot/free/node $f
refused_with EPERM "rename of a device node over app.conf"
same $f "$h"
deny '"op":"mknod"' '"path":"/prot/etc/null"'
deny '"op":"rename"' '"path":"/prot/etc/app.conf"'
