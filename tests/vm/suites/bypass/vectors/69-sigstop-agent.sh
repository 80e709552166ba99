# vector: SIGSTOP (and SIGTSTP, SIGTERM) the agent to blind it
# expect: refused: EPERM, tamper signal, the agent still answers
. "$PF_SUITE_DIR/vector.inc"
pid=$(cat /tmp/permafrostd.pid)
for s in 19 20 15 2 3; do
	attempt pfop kill "$pid" $s
	refused_with EPERM "signal $s to the agent"
done
grep -q "^State:.*stopped" /proc/$pid/status && bypassed "agent stopped"
permafrost status >/dev/null 2>&1 || bypassed "agent does not answer"
event '"decision":"tamper"' '"op":"signal"'
