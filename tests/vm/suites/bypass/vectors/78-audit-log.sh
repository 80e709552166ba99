# vector: truncate / rewrite / rename the audit log to hide earlier denials
# expect: refused: EPERM, tamper, the log only grows
. "$PF_SUITE_DIR/vector.inc"
n0=$(wc -c < "$PF_LOG")
attempt pfop truncate "$PF_LOG" 0
refused_with EPERM "truncate the audit log"
attempt pfop overwrite "$PF_LOG" "{}"
refused_with EPERM "overwrite the audit log"
attempt pfop rename "$PF_LOG" "$PF_LOG.old"
refused_with EPERM "rename the audit log"
attempt pfop unlink "$PF_LOG"
refused_with EPERM "unlink the audit log"
event '"decision":"tamper"' '"op":"truncate"'
[ "$(wc -c < "$PF_LOG")" -ge "$n0" ] || bypassed "the audit log shrank"
