# vector: chattr +i, then -i and +a on a protected file (FS_IOC_SETFLAGS)
# expect: refused: chattr fails, deny setflags, flags unchanged
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/chattr.conf
command -v chattr >/dev/null || harness "no chattr in the VM image"
before=$(lsattr $f 2>/dev/null | awk '{print $1}')
chattr +i $f >/dev/null 2>&1 && bypassed "chattr +i succeeded"
chattr +a $f >/dev/null 2>&1 && bypassed "chattr +a succeeded"
[ "$(lsattr $f 2>/dev/null | awk '{print $1}')" = "$before" ] || bypassed "flags changed: $(lsattr $f)"
deny '"op":"setflags"' '"path":"/prot/etc/chattr.conf"'
