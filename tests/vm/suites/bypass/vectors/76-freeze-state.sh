# vector: rewrite / delete the persisted freeze state so a restart comes up thawed
# expect: refused: EPERM, tamper, state unchanged
. "$PF_SUITE_DIR/vector.inc"
f=$PF_STATE/freeze
[ -f "$f" ] || harness "$f missing"
h=$(hash_of "$f")
attempt pfop write "$f" "mode off"
refused_with EPERM "write the freeze state"
attempt pfop unlink "$f"
refused_with EPERM "unlink the freeze state"
attempt pfop create "$PF_STATE/freeze.new"
refused_with EPERM "create in the state dir"
same "$f" "$h"
event '"decision":"tamper"' '"op":"unlink"' 'freeze"'
