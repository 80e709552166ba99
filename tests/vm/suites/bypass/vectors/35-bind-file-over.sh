# vector: bind-mount an unprotected file over a protected file
# expect: refused: EPERM, deny mount, the path still shows the original
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/bind.conf
h=$(hash_of $f)
printf 'evil\n' > /prot/free/bind_src
attempt pfop mount-bind /prot/free/bind_src $f
if [ "$GOT" = OK ]; then umount $f; bypassed "bind mount over $f allowed"; fi
refused_with EPERM "bind mount over the file"
same $f "$h"
deny '"op":"mount"' '"path":"/prot/etc/bind.conf"'
