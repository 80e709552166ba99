# vector: setfacl: give uid 1 rwx through system.posix_acl_access
# expect: refused: EPERM, deny setacl (6.2+) or setxattr (6.1), no ACL
# hooks: inode_set_acl
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/acl.conf
attempt pfop setacl $f
[ "$GOT" = EOPNOTSUPP ] && harness "the filesystem has no ACL support"
refused_with EPERM "set system.posix_acl_access"
getfattr -m - -d $f 2>/dev/null | grep -q posix_acl && bypassed "ACL present on $f"
# No mount in these hooks: the path is relative to the filesystem.
deny '"path":"/etc/acl.conf"' '"path_scope":"fs"'
