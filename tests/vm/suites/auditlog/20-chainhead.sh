# The chain head kept in the kernel: root who rewrites the audit log
# consistently (an edited line, every later "prev" recomputed) or cuts its
# newest lines passes the chain alone, but not `log verify` with the head,
# nor the next agent start; and root cannot reach the head's map, frozen or
# thawed.
. "$PF_LIB"

mkdir -p /prot/etc
printf 'a\n' > /prot/etc/a.conf
pf_keys_setup
{
	echo "mode enforce"
	echo "allowed-signers $PF_SIGNERS"
	echo "protect /prot/etc"
} > "$PF_POLICY"
H=/sys/fs/bpf/permafrost/chain-head

# rechain FILE N: recompute the "prev" of every line after line N, in place
# (the same inode: the agent's descriptor keeps pointing at it).
rechain() {
	_n=$(wc -l < "$1")
	_i=$(($2 + 1))
	cp "$1" /tmp/rechain.tmp
	while [ "$_i" -le "$_n" ]; do
		_h=$(sed -n "$((_i - 1))p" /tmp/rechain.tmp | sha256sum | cut -d' ' -f1)
		sed -i "${_i}s/\"prev\":\"[0-9a-f]\{64\}\"}\$/\"prev\":\"$_h\"}/" /tmp/rechain.tmp
		_i=$((_i + 1))
	done
	cat /tmp/rechain.tmp > "$1"
}
# last_seq: the seq of the log's last line.
last_seq() { tail -n 1 "$PF_LOG" | sed -n 's/.*"seq":\([0-9]*\),.*/\1/p'; }

require_agent
check "freeze" permafrost freeze --reason "chain head case"
expect EPERM "a write refused (a deny line to rewrite later)" pfop write /prot/etc/a.conf x
expect_event "its deny line" '"decision":"deny"' '"path":"/prot/etc/a.conf"' '"uid":0'
sleep 1.2 # one housekeeping pass publishes the head
[ -e "$H" ] && ok "the head is pinned at $H" || not_ok "head pinned" "$(ls /sys/fs/bpf/permafrost)"
out=$(permafrost log verify 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q "; matches the chain head the agent kept in the kernel (seq $(last_seq))$" &&
	ok "verify: intact, and matches the head at the last line" || not_ok "verify with the head" "rc=$rc $out"
out=$(permafrost --json log verify 2>&1)
echo "$out" | grep -q "\"chain_head\":\"matched\",\"chain_head_seq\":$(last_seq)," &&
	ok "verify --json: chain_head matched, with its seq" || not_ok "verify --json head" "$out"

# Root cannot get at the head's map, frozen or thawed.
out=$(bpftool map update pinned $H key hex 00 00 00 00 value hex $(head -c 296 /dev/zero | od -An -tx1 | tr -s ' \n' '  ') 2>&1) &&
	not_ok "frozen: bpftool map update of the head refused" "it succeeded: $out" ||
	{ echo "$out" | grep -qi 'operation not permitted' && ok "frozen: bpftool map update of the head refused (EPERM)" || not_ok "frozen: head update" "$out"; }
expect_event "frozen: the attempt is a tamper record" '"decision":"tamper"' '"op":"bpf-object"'
pf_thaw >/dev/null 2>&1 && ok "thaw" || not_ok "thaw" "pf_thaw failed"
permafrost status | grep -q '^Mode: *off' && ok "thawed, the agent running" || not_ok "thawed" "$(permafrost status | head -n 2)"
tampers=$(grep -c '"decision":"tamper"' "$PF_LOG")
out=$(bpftool map update pinned $H key hex 00 00 00 00 value hex $(head -c 296 /dev/zero | od -An -tx1 | tr -s ' \n' '  ') 2>&1) &&
	not_ok "thawed: bpftool map update of the head refused" "it succeeded: $out" ||
	{ echo "$out" | grep -qi 'operation not permitted' && ok "thawed: bpftool map update of the head refused (EPERM)" || not_ok "thawed: head update" "$out"; }
out=$(bpftool map dump pinned $H 2>&1) &&
	not_ok "thawed: reading it through a map fd refused too" "it succeeded: $out" ||
	ok "thawed: reading it through a map fd refused too (an fd could feed a writing program)"
M=$(ls -d /sys/fs/bpf/permafrost/maps-v* | head -n 1)
out=$(bpftool map update pinned $M/agent_procs key hex 01 00 00 00 value hex 00 00 00 00 00 00 00 00 2>&1) &&
	not_ok "thawed: making oneself the agent refused" "it succeeded: $out" ||
	ok "thawed: making oneself the agent (agent_procs) refused"
sleep 1
[ "$(grep -c '"decision":"tamper"' "$PF_LOG")" -gt "$tampers" ] && ok "thawed: the attempts are tamper records" ||
	not_ok "thawed: tamper records" "$(tail -n 2 "$PF_LOG")"

# A consistent rewrite while the agent runs (thawed: the log is writable):
# the deny line's uid changed, every later prev recomputed.
sleep 1.2
n=$(grep -n '"decision":"deny"' "$PF_LOG" | head -n 1 | cut -d: -f1)
cp "$PF_LOG" /tmp/log.orig
sed "${n}s/\"uid\":0,/\"uid\":1000,/" /tmp/log.orig > /tmp/log.edit
cat /tmp/log.edit > "$PF_LOG"
rechain "$PF_LOG" "$n"
grep -q '"uid":1000,' "$PF_LOG" && ok "rewritten: the deny now names uid 1000" || not_ok "rewrite" "sed did not apply"
cp "$PF_LOG" /tmp/log.rewritten
out=$(permafrost --socket /nonexistent log verify 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q "chain head not checked: cannot reach the agent" &&
	ok "rewritten: the chain alone passes (no agent to ask)" || not_ok "chain alone" "rc=$rc $out"
out=$(permafrost log verify 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q ": rewritten: seq [0-9]* is not the line the agent wrote" &&
	ok "rewritten: verify with the head fails, naming the line" || not_ok "verify rewritten" "rc=$rc $out"

# Cut the newest lines instead (the untouched copy minus its last two).
head -n $(($(wc -l < /tmp/log.orig) - 2)) /tmp/log.orig > /tmp/log.cut
cat /tmp/log.cut > "$PF_LOG"
out=$(permafrost log verify 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "its newest lines were removed (2)" &&
	ok "cut: verify with the head says the newest 2 lines were removed" || not_ok "verify cut" "rc=$rc $out"

# Across a restart: the head outlives the agent (a thawed stop detaches the
# programs, the head stays pinned), and the next agent checks the log it
# finds against it. The untouched log back, the agent stops (its
# agent-stop line is the head); then, with no agent running, the same
# rewrite, consistent to the last line.
cat /tmp/log.orig > "$PF_LOG"
stop_agent
tail -n 1 "$PF_LOG" | grep -q '"decision":"agent-stop"' && ok "restart: the stop's own line ends the log" || not_ok "agent-stop last" "$(tail -n 1 "$PF_LOG" | head -c 200)"
[ -e "$H" ] && ok "restart: the head outlives a thawed stop" || not_ok "head after stop" "$(ls /sys/fs/bpf/permafrost 2>&1)"
sed -i "${n}s/\"uid\":0,/\"uid\":1000,/" "$PF_LOG"
rechain "$PF_LOG" "$n"
out=$(permafrost log verify 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q "chain head not checked: cannot reach the agent" &&
	ok "restart: the rewritten log passes the chain alone" || not_ok "restart: chain alone" "rc=$rc $out"
require_agent
expect_event "restart: the new agent finds the rewrite (tamper, audit-log)" '"decision":"tamper"' '"op":"audit-log"' 'is not the line the agent wrote'
grep -q "audit log: .*is not the line the agent wrote" "$PF_AGENT_OUT" && ok "restart: and says so on stderr (the journal)" ||
	not_ok "restart: stderr" "$(tail -n 3 "$PF_AGENT_OUT")"
stop_agent
