# The hook matrix in audit mode: success and a would-deny line.
. "$PF_SUITE_DIR/setup.inc"
PF_LOG=/var/log/permafrost/audit-A.log
prepare A
run_matrix A audit
log_lacks "audit: nothing is denied" "$PF_LOG" '"decision":"deny"'
stop_agent
