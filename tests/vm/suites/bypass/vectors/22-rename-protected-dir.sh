# vector: rename a protected directory away and put a new one in its place
# expect: refused: EPERM, deny rename, the directory and its file unchanged
# hooks: path_rename
. "$PF_SUITE_DIR/vector.inc"
f=/prot/srv/app/config
h=$(hash_of $f)
attempt pfop rename /prot/srv/app /prot/srv/app.old
refused_with EPERM "rename of the protected directory"
same $f "$h"
deny '"op":"rename"' '"path":"/prot/srv/app"'
