# vector: set a user and a security.capability xattr on a protected file
# expect: refused: EPERM for both, deny setxattr, no xattr added
# hooks: inode_setxattr
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/xattr.conf
attempt pfop setxattr $f user.evil 1
refused_with EPERM "setxattr user.evil"
attempt pfop setcap $f
refused_with EPERM "setxattr security.capability"
getfattr -d -m - $f 2>/dev/null | grep -q 'user.evil\|capability' && bypassed "xattr present on $f"
# These hooks see no mount: the event's path is relative to the filesystem.
deny '"op":"setxattr"' '"path":"/etc/xattr.conf"' '"path_scope":"fs"'
