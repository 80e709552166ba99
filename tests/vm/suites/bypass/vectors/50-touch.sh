# vector: touch (utimensat to now and to a chosen time) a protected file to hide a change
# expect: refused: EPERM, deny setattr, mtime unchanged
# hooks: inode_setattr
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/touch.conf
t=$(stat -c %Y $f)
attempt pfop utimes $f
refused_with EPERM "utimensat"
touch $f 2>/dev/null && bypassed "touch succeeded"
[ "$(stat -c %Y $f)" = "$t" ] || bypassed "mtime changed"
# No mount in this hook: the path is relative to the filesystem.
deny '"op":"setattr"' '"path":"/etc/touch.conf"' '"path_scope":"fs"'
