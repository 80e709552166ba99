# vector: chown a protected file to an unprivileged user
# expect: refused: EPERM, deny chown, owner unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/chown.conf
o=$(stat -c %u:%g $f)
attempt pfop chown $f 1000 1000
refused_with EPERM "chown"
[ "$(stat -c %u:%g $f)" = "$o" ] || bypassed "owner changed to $(stat -c %u:%g $f)"
deny '"op":"chown"' '"path":"/prot/etc/chown.conf"'
