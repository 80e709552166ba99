# The hook matrix in off mode: success and no line.
. "$PF_SUITE_DIR/setup.inc"
PF_LOG=/var/log/permafrost/audit-O.log
prepare O
run_matrix O off
no_event "off: no deny line" '"decision":"deny"'
log_lacks "off: no would-deny line" "$PF_LOG" '"decision":"would-deny"'
stop_agent
