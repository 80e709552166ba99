# The hook matrix in enforce mode: EPERM, content unchanged, a deny line.
. "$PF_SUITE_DIR/setup.inc"
PF_LOG=/var/log/permafrost/audit-E.log
prepare E
run_matrix E enforce
log_lacks "enforce: exempt subtree never logged" "$PF_LOG" "etc/cache/"
log_lacks "enforce: neighbour never logged" "$PF_LOG" "free/neighbour"
stop_agent
