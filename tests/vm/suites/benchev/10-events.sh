# Benchmark (not a test): events per second from the kernel into the audit
# log, and the agent's CPU time per 100k events. Audit mode (every open for
# write of a protected file is allowed and produces one would-deny event;
# event-repeat-window 0: no run of repeats folds them);
# BENCHEV_PROCS processes each make BENCHEV_N attempts at once. Prints
# "# bench| events ..." lines that tests/bench/run.sh shows as they are.
. "$PF_LIB"
N=${PF_BENCHEV_N:-50000}
PROCS=${PF_BENCHEV_PROCS:-2}
TOTAL=$((N * PROCS))

mkdir -p /prot/etc
printf 'x\n' > /prot/etc/f
pf_keys_setup
cat > "$PF_POLICY" <<POL
allowed-signers $PF_SIGNERS
protect /prot/etc
ring-buffer-size 256M
log-max-size 64M
log-keep 2
syslog no
event-repeat-window 0
POL
require_agent
check "audit mode" permafrost freeze --audit --reason bench

logged() { permafrost --json status | sed -n 's/.*"events_logged": *"\{0,1\}\([0-9]*\).*/\1/p'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$(cat /tmp/permafrostd.pid)/stat"; }
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

base=$(logged)
c0=$(cpu_ticks)
t0=$(now_ms)
p=0
pids=
while [ $p -lt "$PROCS" ]; do
	pfop burst /prot/etc/f "$N" > "/tmp/burst.$p" &
	pids="$pids $!"
	p=$((p + 1))
done
wait $pids # not a bare wait: the agent is a child of this shell too
t1=$(now_ms)
i=0
while [ $i -lt 1200 ]; do
	n=$(logged)
	[ $((n - base)) -ge $TOTAL ] && break
	sleep 0.1; i=$((i + 1)); [ $((i % 50)) -eq 0 ] && echo "# progress $n of $TOTAL after $i polls"
done
t2=$(now_ms)
c1=$(cpu_ticks)
n=$(logged)
lost=$(permafrost --json status | sed -n 's/.*"lost": *"\{0,1\}\([0-9]*\).*/\1/p')
delivered=$((n - base))
gen_ms=$((t1 - t0))
all_ms=$((t2 - t0))
[ "$all_ms" -gt 0 ] || all_ms=1
[ "$gen_ms" -gt 0 ] || gen_ms=1
cpu_ms=$(( (c1 - c0) * 10 ))
echo "# bench| events generated=$TOTAL delivered=$delivered lost=$lost procs=$PROCS"
echo "# bench| events generate_ms=$gen_ms (kernel side: $((TOTAL * 1000 / gen_ms)) events/s)"
echo "# bench| events drained_ms=$all_ms (into the log: $((delivered * 1000 / all_ms)) events/s)"
echo "# bench| events agent_cpu_ms=$cpu_ms (per 100k events: $((cpu_ms * 100000 / (delivered > 0 ? delivered : 1))) ms)"
[ "$delivered" -eq "$TOTAL" ] && [ "$lost" -eq 0 ] && ok "bench: every event delivered, none lost" ||
	not_ok "bench: every event delivered, none lost" "delivered=$delivered lost=$lost of $TOTAL"
out=$(permafrost log verify --file "$PF_LOG" 2>&1) && ok "bench: log verify intact" || not_ok "bench: log verify" "$out"
