# vector: chown a protected file, and a set-uid one, to an unprivileged user
# expect: refused: EPERM, deny chown, owner unchanged
# hooks: path_chown
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/chown.conf
o=$(stat -c %u:%g $f)
attempt pfop chown $f 1000 1000
refused_with EPERM "chown"
[ "$(stat -c %u:%g $f)" = "$o" ] || bypassed "owner changed to $(stat -c %u:%g $f)"
# Before 6.1 no program can take path_chown's kuid_t: chown is judged at
# inode_setattr, which has no mount, so the path is the filesystem's
case $(uname -r) in
5.10.*) deny '"op":"chown"' '"path":"/etc/chown.conf"' '"path_scope":"fs"' ;;
*) deny '"op":"chown"' '"path":"/prot/etc/chown.conf"' ;;
esac
# chown of a set-uid file also clears the bit: notify_change() adds
# ATTR_MODE to the owner change
f=/prot/bin/suid-tool
o=$(stat -c %u:%g:%a $f)
attempt pfop chown $f 1000 1000
refused_with EPERM "chown of a set-uid file"
[ "$(stat -c %u:%g:%a $f)" = "$o" ] || bypassed "set-uid file now $(stat -c %u:%g:%a $f)"
