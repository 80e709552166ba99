# vector: chmod a protected file (e.g. make a binary setuid or world-writable)
# expect: refused: EPERM, deny chmod, mode unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/chmod.conf
m=$(stat -c %a $f)
attempt pfop chmod $f 4777
refused_with EPERM "chmod"
[ "$(stat -c %a $f)" = "$m" ] || bypassed "mode changed to $(stat -c %a $f)"
deny '"op":"chmod"' '"path":"/prot/etc/chmod.conf"'
