# vector: kill -9 the agent, then write the protected file
# expect: refused: EPERM on the signal (tamper signal), the agent lives, the write is denied
. "$PF_SUITE_DIR/vector.inc"
pid=$(cat /tmp/permafrostd.pid)
f=/prot/etc/app.conf
h=$(hash_of $f)
attempt pfop kill "$pid" 9
refused_with EPERM "SIGKILL to the agent"
kill -9 "$pid" 2>/dev/null
sleep 0.5
kill -0 "$pid" 2>/dev/null || bypassed "the agent died"
attempt pfop write $f x
refused_with EPERM "write"
same $f "$h"
event '"decision":"tamper"' '"op":"signal"'
deny '"op":"open-write"' 'etc/app.conf"'
