# vector: ptrace attach / seize the agent (to inject code or steal its map fds)
# expect: refused: EPERM, tamper ptrace
. "$PF_SUITE_DIR/vector.inc"
pid=$(cat /tmp/permafrostd.pid)
attempt pfop ptrace-attach "$pid"
refused_with EPERM "PTRACE_ATTACH"
attempt pfop ptrace-seize "$pid"
refused_with EPERM "PTRACE_SEIZE"
event '"decision":"tamper"' '"op":"ptrace"'
