# vector: swap a protected symlink (/prot/etc/current -> app.conf) for one pointing elsewhere
# expect: refused: EPERM on the rename, the link still points at app.conf
. "$PF_SUITE_DIR/vector.inc"
ln -sf /prot/free/src /prot/free/newlink
attempt pfop rename /prot/free/newlink /prot/etc/current
refused_with EPERM "rename of a symlink over the protected one"
[ "$(readlink /prot/etc/current)" = app.conf ] || bypassed "/prot/etc/current -> $(readlink /prot/etc/current)"
attempt pfop unlink /prot/etc/current
refused_with EPERM "unlink of the protected symlink"
deny '"op":"rename"' '"path":"/prot/etc/current"'
deny '"op":"unlink"' '"path":"/prot/etc/current"'
