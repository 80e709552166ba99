# Freeze windows on the guest's own clock (date -s): a daily one-minute
# window at 12:00 UTC starts on time in the kernel with the agent stopped,
# outlives a wall clock set forward, ends on time and never lifts a manual
# freeze at its end; starts on time with the agent killed; is lifted by a
# signed thaw until the next start (break glass); and a wall clock set back
# does not skip its start. One window's end is waited for (three minutes:
# a restarted agent on 5.10 under TCG takes over a minute to come back).
. "$PF_LIB"

mkdir -p /prot/etc
printf 'a\n' > /prot/etc/a.conf
pf_keys_setup
M=/tmp/pf-metrics.prom
{
	echo "mode off"
	echo "allowed-signers $PF_SIGNERS"
	echo "protect /prot/etc"
	echo "metrics-file $M"
	echo 'freeze-window "0 12 * * *" 3m reason="noon freeze CHG-1"'
} > "$PF_POLICY"

# refused_within N: the first of up to N*10 tries 0.1 s apart at which a
# write to a.conf is refused; prints the wall time then (HHMMSS), or fails.
refused_within() {
	_i=0
	while [ $_i -lt $(($1 * 10)) ]; do
		if [ "$(pfop write /prot/etc/a.conf w 2>/dev/null)" = EPERM ]; then
			date -u +%H%M%S
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}
# status_has N TEXT: up to N s until `permafrost status` has TEXT.
status_has() {
	_i=0
	while [ $_i -lt $(($1 * 10)) ]; do
		permafrost status 2>/dev/null | grep -qF -- "$2" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

date -u -s "2026-12-02 08:00:00" >/dev/null
require_agent
expect OK "thawed, before the window: a write is allowed" pfop write /prot/etc/a.conf x
status_has 5 "Schedule:     open; next: noon freeze CHG-1 (line 5) from 2026-12-02T12:00:00Z until 2026-12-02T12:03:00Z" &&
	ok "status: the next window, its start and end" || not_ok "status: next window" "$(permafrost status | grep -A1 Schedule)"
sleep 2.2 # the metrics file is rewritten every 2 s
grep -q '^permafrost_frozen 0$' "$M" && grep -q '^permafrost_next_transition_seconds 1[34][0-9][0-9][0-9]$' "$M" &&
	ok "metrics: not frozen, the next transition about 4 h away" || not_ok "metrics before" "$(grep -E 'frozen|next' "$M")"
out=$(permafrost schedule --next 2 --policy "$PF_POLICY" 2>&1)
echo "$out" | grep -q "2026-12-02T12:00:00Z" && echo "$out" | grep -q "2026-12-02T12:03:00Z" &&
	ok "schedule: the next start and end" || not_ok "schedule" "$out"

# 1. The wall clock set forward to 8 s before the start: the agent moves
# the programmed start earlier; stopped (SIGSTOP) at the start, the kernel
# freezes on time without it.
date -u -s "2026-12-02 11:59:52" >/dev/null
expect_event "the wall clock's jump forward is logged" '"decision":"clock-jump"' '"direction":"forward"'
status_has 5 "from 2026-12-02T12:00:00Z" && ok "reprogrammed for today's start" || not_ok "reprogrammed" "$(permafrost status | grep Schedule)"
expect OK "seconds before the start: still allowed" pfop write /prot/etc/a.conf x
kill -STOP "$(cat /tmp/permafrostd.pid)"
t=$(refused_within 20) && ok "the agent stopped: refused from the window's start (at $t UTC)" || not_ok "refused at the start" "never refused within 20 s (now $(date -u +%T))"
[ -n "$t" ] && [ "$t" -ge 120000 ] && [ "$t" -le 120005 ] && ok "not before 12:00:00, and within 5 s of it ($t)" || not_ok "refused on time" "at $t"
kill -CONT "$(cat /tmp/permafrostd.pid)"
expect_event "the agent logs the start: mode-change by schedule" '"decision":"mode-change"' '"by":"schedule"' '"change":"start"' '"window":"noon freeze CHG-1 (line 5)"' '"until":"2026-12-02T12:03:00Z"'
expect_event "the refusal is a deny record in enforce mode" '"decision":"deny"' '"path":"/prot/etc/a.conf"' '"mode":"enforce"'
status_has 3 "Mode:         enforce by schedule; manual mode off" && ok "status: enforce by schedule, manual off" || not_ok "status mode" "$(permafrost status | head -n 3)"
status_has 3 "Schedule:     enforce by noon freeze CHG-1 (line 5) since 2026-12-02T12:00:0" && ok "status: the window in force" || not_ok "status window" "$(permafrost status | grep Schedule)"
sleep 2.2
grep -q '^permafrost_frozen 1$' "$M" && ok "metrics: frozen" || not_ok "metrics frozen" "$(grep frozen "$M")"

# 2. Set forward past the window's end: the end was fixed on the boot clock.
date -u -s "2026-12-02 12:05:00" >/dev/null
expect EPERM "the wall clock past the end: still refused" pfop write /prot/etc/a.conf y
expect_event "that jump is logged too" '"decision":"clock-jump"' '"direction":"forward"' '"by":"4m'

# ... and ends on the boot clock, three minutes after its start. A manual freeze
# made inside the window outlives its end; the thaw after the end is a plain
# thaw (no window in force to lift), and writes are allowed again.
check "manual freeze inside the window" permafrost freeze --reason "incident"
i=0
while [ $i -lt 2400 ] && [ "$(grep -c '"change":"end"' "$PF_LOG")" -lt 1 ]; do sleep 0.1; i=$((i + 1)); done
log_has "the window's end is logged, the manual freeze named" "$PF_LOG" '"by":"schedule"' '"change":"end"' '"note":"the manual freeze stays in force"'
expect EPERM "after the window's end: the manual freeze still refuses" pfop write /prot/etc/a.conf y
out=$(pf_thaw 2>&1); rc=$?
[ $rc -eq 0 ] && ! echo "$out" | grep -q "break glass" && ok "thaw after the window's end: not break glass" || not_ok "thaw after the end" "rc=$rc $out"
expect OK "after the window's end: allowed again" pfop write /prot/etc/a.conf y

# A policy without windows any more: the next agent clears the stretch
# the previous one left pinned for tomorrow (stopped thawed, the programs
# and the schedule map stay).
stop_agent
cp "$PF_POLICY" /tmp/pf.conf.windows
grep -v '^freeze-window' /tmp/pf.conf.windows > "$PF_POLICY"
require_agent
date -u -s "2026-12-03 11:59:58" >/dev/null
sleep 4
expect OK "no windows in the policy: tomorrow's stretch, left pinned, is not applied" pfop write /prot/etc/a.conf n
stop_agent
cp /tmp/pf.conf.windows "$PF_POLICY"
date -u -s "2026-12-03 13:00:00" >/dev/null
require_agent

# 3. The agent killed just before the next day's start: the kernel freezes
# on time; the restarted agent finds the stretch in force. 4. Break glass: a
# signed thaw inside it lifts it until the following start.
date -u -s "2026-12-04 11:59:54" >/dev/null
status_has 5 "from 2026-12-04T12:00:00Z" && ok "programmed for the next day" || not_ok "programmed day 2" "$(permafrost status | grep Schedule)"
kill -9 "$(cat /tmp/permafrostd.pid)"
t=$(refused_within 20) && [ "$t" -ge 120000 ] && ok "the agent killed: refused from the start anyway ($t)" || not_ok "killed agent" "t=$t"
require_agent
status_has 5 "Mode:         enforce by schedule" && ok "the restarted agent finds the window in force" || not_ok "restart in window" "$(permafrost status | head -n 3)"
pf_keys_setup
new_token /tmp/bg.tok --thaw --ttl 10m && sign_token /tmp/bg.tok alice bob
out=$(permafrost thaw /tmp/bg.tok 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q "The scheduled freeze in force is lifted (break glass: the thaw lifts noon freeze CHG-1 (line 5) until 2026-12-04T12:03:00Z)" &&
	ok "thaw inside the window: lifted until its end, said" || not_ok "break glass thaw" "rc=$rc $out"
expect OK "break glass: allowed inside the window" pfop write /prot/etc/a.conf z
expect_event "break glass is logged" '"decision":"mode-change"' '"change":"lifted"' '"note":"break glass: the thaw lifts noon freeze CHG-1 (line 5) until 2026-12-04T12:03:00Z"'
status_has 3 "from 2026-12-05T12:00:00Z" && ok "the next start is the day after" || not_ok "next after break glass" "$(permafrost status | grep -A1 Schedule)"

# 5. The wall clock set back an hour just before a start does not skip it.
date -u -s "2026-12-05 11:59:54" >/dev/null
status_has 5 "from 2026-12-05T12:00:00Z" && ok "programmed for 12:00" || not_ok "programmed" "$(permafrost status | grep Schedule)"
sleep 1.5
date -u -s "2026-12-05 11:00:00" >/dev/null
expect_event "the jump back is logged" '"decision":"clock-jump"' '"direction":"back"'
t=$(refused_within 15) && [ "$t" -lt 110100 ] && ok "set back an hour: refused on the boot clock's time anyway (wall $t)" || not_ok "clock back" "t=$t"
stop_agent
