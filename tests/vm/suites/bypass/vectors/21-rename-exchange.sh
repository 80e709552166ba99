# vector: renameat2(RENAME_EXCHANGE) a protected file with an unprotected one
# expect: refused: EPERM, deny rename, content unchanged
# hooks: path_rename
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/exch.conf
h=$(hash_of $f)
printf 'evil\n' > /prot/free/exch
attempt pfop exchange /prot/free/exch $f
refused_with EPERM "RENAME_EXCHANGE"
same $f "$h"
deny '"op":"rename"' '"path":"/prot/etc/exch.conf"'
