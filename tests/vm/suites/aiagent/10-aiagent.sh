# AI agents (issue 14): a process tree started from an agent's file is
# marked in the kernel, held to agent-mode on a thawed host, let through
# only by tokens for agents with agent-approvals approvers, and named in
# every record.
. "$PF_LIB"
pf_keys_setup || { not_ok "ssh-keygen keys" "ssh-keygen failed"; exit 1; }
mkdir -p /prot/etc/strict /opt/fakeai /opt/fakebin /usr/local/bin
for f in app.conf tok.conf ai.conf any.conf bin.conf ghost.conf; do printf 'orig %s\n' $f > /prot/etc/$f; done
printf 'strict\n' > /prot/etc/strict/s.conf
# The stand-in agent CLI: a #! script (its pid on record) that runs its
# arguments, started by its path or through a symbolic link; and a binary
# agent (a copy of pfop, whose run-as execs a command).
cat > /opt/fakeai/cli.sh <<'SH'
#!/bin/sh
echo $$ > /tmp/fakeai.pid
exec "$@"
SH
chmod 755 /opt/fakeai/cli.sh
ln -sf /opt/fakeai/cli.sh /usr/local/bin/fakeai
cp "$(command -v pfop)" /opt/fakebin/agent-bin
# the routes out of the tree (the bypass suite's vectors 87-94 try each on
# a frozen host): a cron spool, and PID 1's private socket
mkdir -p /var/spool/cron/crontabs /run/systemd
cat > "$PF_POLICY" <<POL
self-protect no
allowed-signers $PF_SIGNERS
max-token-ttl   1h
protect /prot/etc
protect /prot/etc/strict approvals=3
agent fakeai exe=/opt/fakeai/cli.sh
agent fakebin exe=/opt/fakebin/agent-bin
agent ci-bot unit=deploy-bot.service
agent-mode enforce
agent-approvals 2
POL
# cgroup2, where the stand-in units of part 4 live (no systemd here)
grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts || { mkdir -p /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup; }
require_agent
permafrost status | grep -q "Mode: .*off" && ok "the host is thawed (mode off)" || not_ok "host thawed" "$(permafrost status | head -5)"

# 1. The agent's tree is refused on a thawed host; an unmarked shell is not.
expect OK "unmarked shell: write to a protected file on a thawed host" pfop write /prot/etc/app.conf "by a human"
H=$(hash_of /prot/etc/app.conf)
expect EPERM "agent script: its exec'd command is refused" /opt/fakeai/cli.sh pfop write /prot/etc/app.conf x
ROOT=$(cat /tmp/fakeai.pid)
expect_event "the refusal names the agent, its root pid and file" '"decision":"deny"' '"mode":"enforce"' \
	'"path":"/prot/etc/app.conf"' '"agent":"fakeai"' "\"agent_root_pid\":$ROOT" '"agent_root_exe":"/opt/fakeai/cli.sh"' '"agent_age_ms":'
expect EPERM "agent script started through a symbolic link" /usr/local/bin/fakeai pfop write /prot/etc/app.conf x
expect EPERM "child of a child (sh -c, a subshell)" /opt/fakeai/cli.sh sh -c '(pfop write /prot/etc/app.conf x)'
expect EPERM "unlink by the agent's tree" /opt/fakeai/cli.sh sh -c 'pfop unlink /prot/etc/app.conf'
expect EPERM "create in a protected tree by the agent's tree" /opt/fakeai/cli.sh pfop create /prot/etc/new.conf
# each result appears whole (written aside, then renamed): no read of a
# file the redirection made but the command has not written yet
rm -f /tmp/r-*
/opt/fakeai/cli.sh sh -c '( setsid sh -c "sleep 0.3; pfop write /prot/etc/app.conf x > /tmp/r-dfork.t; mv /tmp/r-dfork.t /tmp/r-dfork" & ) ; exit 0'
wait_for /tmp/r-dfork 10; sleep 0.2
grep -q EPERM /tmp/r-dfork && ok "double fork + setsid: still the agent's" || not_ok "double fork + setsid" "$(cat /tmp/r-dfork 2>&1)"
if command -v nohup >/dev/null 2>&1; then
	/opt/fakeai/cli.sh sh -c 'nohup sh -c "pfop write /prot/etc/app.conf x > /tmp/r-nohup.t; mv /tmp/r-nohup.t /tmp/r-nohup" >/dev/null 2>&1 &'
	wait_for /tmp/r-nohup 10; sleep 0.2
	grep -q EPERM /tmp/r-nohup && ok "nohup in the background: still the agent's" || not_ok "nohup" "$(cat /tmp/r-nohup 2>&1)"
fi
/opt/fakeai/cli.sh sh -c 'trap "" HUP; (sleep 0.3; pfop write /prot/etc/app.conf x > /tmp/r-bg.t; mv /tmp/r-bg.t /tmp/r-bg) & exit 0'
wait_for /tmp/r-bg 10; sleep 0.2
grep -q EPERM /tmp/r-bg && ok "a background job outliving its parent: still the agent's" || not_ok "background job" "$(cat /tmp/r-bg 2>&1)"
expect EPERM "exec of anything (env, another shell) keeps the mark" /opt/fakeai/cli.sh env -i /bin/sh -c 'exec pfop write /prot/etc/app.conf x'
expect EPERM "binary agent: its own write" /opt/fakebin/agent-bin write /prot/etc/bin.conf x
expect EPERM "binary agent: a command it execs (run-as)" /opt/fakebin/agent-bin run-as 0 0 pfop write /prot/etc/bin.conf x
expect_event "the binary agent's refusal names it" '"decision":"deny"' '"path":"/prot/etc/bin.conf"' \
	'"agent":"fakebin"' '"agent_root_exe":"/opt/fakebin/agent-bin"'
expect OK "reads by the agent's tree pass" /opt/fakeai/cli.sh pfop open-read /prot/etc/app.conf
: > /tmp/agent-scratch
expect OK "the agent's tree writes outside protected trees" /opt/fakeai/cli.sh pfop write /tmp/agent-scratch x
expect_same_hash "none of the agent's writes reached the file" /prot/etc/app.conf "$H"
expect OK "unmarked shell: the same path afterwards" pfop write /prot/etc/app.conf "by a human again"

# The routes out of the tree are closed on a thawed host too: PID 1's
# socket, the cron spool (protected from agents only).
pfop unix-listen /run/systemd/private /tmp/pid1.ready >/dev/null 2>&1 &
PID1SRV=$!
wait_for /tmp/pid1.ready 10
expect EPERM "agent's tree: connect to systemd's private socket (thawed host)" /opt/fakeai/cli.sh pfop unix-connect /run/systemd/private
expect OK "unmarked shell: the same socket" pfop unix-connect /run/systemd/private
expect EPERM "agent's tree: create a crontab in the spool (thawed host)" /opt/fakeai/cli.sh pfop create /var/spool/cron/crontabs/root
expect OK "unmarked shell: the same crontab" pfop create /var/spool/cron/crontabs/root
expect EPERM "agent's tree: append to it" /opt/fakeai/cli.sh pfop write /var/spool/cron/crontabs/root '* * * * * id'
expect_event "the socket refusal names the agent" '"decision":"deny"' '"op":"agent-socket"' '"path":"/run/systemd/private"' '"agent":"fakeai"'

# status lists live agent trees: a tree of three processes (the agent
# script's sh, a sleeping child, and a grandchild) that was refused once.
rm -f /tmp/tree.ready
/opt/fakeai/cli.sh sh -c 'pfop write /prot/etc/app.conf t > /dev/null; (sleep 8 & sleep 8; ) & touch /tmp/tree.ready; wait' &
TBG=$!
wait_for /tmp/tree.ready 10; sleep 0.5
TROOT=$(cat /tmp/fakeai.pid)
# the tree as /proc has it: the root and its descendants (single-threaded)
tree_n() {
	_set=" $1 "
	_grew=1
	while [ $_grew = 1 ]; do
		_grew=0
		for _st in /proc/[0-9]*/stat; do
			read -r _p _c _s _pp _rest < "$_st" 2>/dev/null || continue
			case "$_set" in *" $_pp "*) case "$_set" in *" $_p "*) ;; *) _set="$_set$_p "; _grew=1 ;; esac ;; esac
		done
	done
	echo $_set | wc -w
}
N=$(tree_n "$TROOT")
out=$(permafrost status)
line=$(echo "$out" | grep "^AI agent:     fakeai root pid $TROOT since ")
[ "$N" -ge 3 ] && echo "$line" | grep -q ": $N tasks now, 1 denied$" && ok "status: the live tree, its $N tasks and 1 denial" || not_ok "status agent tree" "N=$N $(echo "$out" | grep -i agent)"
out=$(permafrost --json status)
echo "$out" | tr -d "\n" | grep -q "\"agent\": *\"fakeai\", *\"root_pid\": *$TROOT, *\"since\": *\"[0-9T:Z-]*\", *\"tasks\": *$N, *\"denied\": *1" &&
	ok "status --json: ai_trees" || not_ok "status json trees" "$(echo "$out" | tr -d '\n' | grep -o '"ai_trees.*' | head -c 400)"
wait $TBG
sleep 0.5
out=$(permafrost status)
echo "$out" | grep -q "^AI agent:     fakeai root pid $TROOT " && not_ok "status: an ended tree is gone" "$(echo "$out" | grep -i agent)" || ok "status: an ended tree is gone"

# The agent's tree cannot act through a process outside it: no ptrace
# attach, no /proc/PID/mem, of a process the policy treats as a human's;
# inside its own tree it can; an unmarked shell can.
sleep 30 &
VICTIM=$!
expect EPERM "agent's tree: ptrace attach of a process outside it" /opt/fakeai/cli.sh pfop ptrace-attach $VICTIM
expect EACCES "agent's tree: /proc/PID/mem of a process outside it (mm_access says EACCES)" /opt/fakeai/cli.sh pfop mem-open $VICTIM
expect_event "the attempt is a deny naming the agent" '"decision":"deny"' '"op":"ptrace"' '"agent":"fakeai"'
expect OK "an unmarked shell: ptrace attach of the same process" pfop ptrace-attach $VICTIM
out=$(/opt/fakeai/cli.sh sh -c 'sleep 5 & pfop ptrace-attach $!; kill $!' 2>&1)
[ "$out" = OK ] && ok "agent's tree: ptrace of its own child is allowed" || not_ok "ptrace own child" "$out"
kill $VICTIM 2>/dev/null

# 2. Approvals: only a token for agents, with agent-approvals approvers.
new_token /tmp/plain.tok --path /prot/etc/tok.conf --ops write --ttl 10m && sign_token /tmp/plain.tok alice bob
check "a token without agent: is accepted (for humans)" permafrost approve /tmp/plain.tok
expect EPERM "a token without agent: does not let the agent through" /opt/fakeai/cli.sh pfop write /prot/etc/tok.conf x
new_token /tmp/one.tok --path /prot/etc/tok.conf --ops write --ttl 10m --agent fakeai && sign_token /tmp/one.tok alice
out=$(permafrost approve /tmp/one.tok 2>&1) && not_ok "a token for agents with 1 approver is refused" "accepted: $out" ||
	{ echo "$out" | grep -q "threshold" && ok "a token for agents with 1 approver is refused (agent-approvals 2)" || not_ok "agent token threshold" "$out"; }
new_token /tmp/ai.tok --path /prot/etc/ai.conf --ops write --ttl 10m --agent fakeai && sign_token /tmp/ai.tok alice bob
grep -q "^permafrost-approval v2$" /tmp/ai.tok && ok "a token with agent: is format v2" || not_ok "token v2" "$(head -1 /tmp/ai.tok)"
check "a token for agent fakeai with 2 approvers is accepted" permafrost approve /tmp/ai.tok
AI_ID=$(sed -n 's/^token-id: //p' /tmp/ai.tok)
expect OK "it lets the agent fakeai through" /opt/fakeai/cli.sh pfop write /prot/etc/ai.conf "by fakeai"
expect_event "the approved change names the agent and the token" '"decision":"approved"' '"path":"/prot/etc/ai.conf"' \
	'"agent":"fakeai"' "\"token\":\"$AI_ID\""
expect EPERM "not another agent (fakebin)" /opt/fakebin/agent-bin write /prot/etc/ai.conf x
new_token /tmp/any.tok --path /prot/etc/any.conf --ops write --ttl 10m --agent any && sign_token /tmp/any.tok alice bob
check "a token for any agent is accepted" permafrost approve /tmp/any.tok
expect OK "agent: any lets the binary agent through" /opt/fakebin/agent-bin write /prot/etc/any.conf "by fakebin"
new_token /tmp/strict.tok --path /prot/etc/strict/s.conf --ops write --ttl 10m --agent fakeai && sign_token /tmp/strict.tok alice bob
out=$(permafrost approve /tmp/strict.tok 2>&1) && not_ok "agent-approvals never below the path's own (3)" "accepted: $out" ||
	{ echo "$out" | grep -q "3 required" && ok "agent-approvals never below the path's own (3 required)" || not_ok "strict threshold" "$out"; }
new_token /tmp/ghost.tok --path /prot/etc/ghost.conf --ops write --ttl 10m --agent ghost && sign_token /tmp/ghost.tok alice bob
out=$(permafrost approve /tmp/ghost.tok 2>&1) && not_ok "a token for an agent the policy does not name is refused" "accepted" ||
	{ echo "$out" | grep -q "no such agent" && ok "a token for an agent the policy does not name is refused" || not_ok "unknown agent token" "$out"; }

# 3. permafrost log --agent
permafrost log --json --agent fakeai > /tmp/l-fakeai 2>&1
[ -s /tmp/l-fakeai ] && ! grep -v '"agent":"fakeai"' /tmp/l-fakeai | grep -q . && ok "log --agent fakeai: only fakeai's records" ||
	not_ok "log --agent fakeai" "$(head -c 300 /tmp/l-fakeai)"
permafrost log --json --agent any > /tmp/l-any 2>&1
grep -q '"agent":"fakebin"' /tmp/l-any && grep -q '"agent":"fakeai"' /tmp/l-any && ok "log --agent any: both agents" || not_ok "log --agent any" "$(head -c 300 /tmp/l-any)"
permafrost log --json --agent none > /tmp/l-none 2>&1
[ -s /tmp/l-none ] && ! grep -q '"agent":"' /tmp/l-none && ok "log --agent none: no agent's record" || not_ok "log --agent none" "$(head -c 300 /tmp/l-none)"

# permafrost report: the agent's changes and refusals apart from the
# humans', and the ticket with who signed it.
out=$(permafrost report 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -qE "^  agent fakeai +changed [1-9][0-9]*, refused [1-9][0-9]*," &&
	echo "$out" | grep -qE "^  agent fakebin +changed [1-9][0-9]*, refused [1-9][0-9]*," &&
	ok "report: each agent's changes and refusals" || not_ok "report by actor" "rc=$rc $(echo "$out" | head -n 12)"
echo "$out" | grep -qE "^  CHG-1 +changed [1-9]" && echo "$out" | grep -q "approved by alice bob; changes by agents [1-9]" &&
	ok "report: the ticket, its approvers, the changes agents made under it" || not_ok "report by ticket" "$(echo "$out" | grep -A1 CHG-1)"
out=$(permafrost --json report --since 1h 2>&1)
echo "$out" | grep -q '"by_actor":\[{"actor":"agent fakeai",' && ok "report --json --since 1h: by_actor, the busiest first" || not_ok "report json" "$(echo "$out" | head -c 300)"

# 4. agent NAME unit=UNIT: the processes of a unit's cgroup are the
# agent's, by the cgroup's name, wherever it is and whenever it was made.
# No systemd here: a unit is a cgroup directory named like one, made after
# the agent started, as systemd makes it at each start.
printf 'orig unit\n' > /prot/etc/unit.conf
CGU=/sys/fs/cgroup/system.slice/deploy-bot.service
CGO=/sys/fs/cgroup/system.slice/other.service
mkdir -p $CGU $CGO
# in_cg DIR CMD...: CMD run by a shell moved into DIR (exec'd there)
in_cg() { _d=$1; shift; sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$_d" "$@"; }
expect EPERM "unit: an exec in the unit's cgroup is the agent's" in_cg $CGU pfop write /prot/etc/unit.conf x
# the root's file is named by its identity (no exe= path names it)
d=$(stat -L -c %d "$(command -v pfop)"); i=$(stat -L -c %i "$(command -v pfop)")
expect_event "unit: the refusal names the agent, the unit, the root's file" '"decision":"deny"' \
	'"path":"/prot/etc/unit.conf"' '"unit":"deploy-bot.service"' '"agent":"ci-bot"' \
	"\"agent_root_exe\":\"$(( (d >> 8) & 0xfff )):$(( (d & 0xff) | ((d >> 12) & 0xfff00) )):$i\""
expect EPERM "unit: a child of the unit's process (sh -c, a subshell)" in_cg $CGU sh -c '(pfop write /prot/etc/unit.conf x)'
out=$(sh -c 'echo $$ > "$0/cgroup.procs"; (echo x > /prot/etc/unit.conf) 2>/dev/null && echo OK || echo EPERM' $CGU)
[ "$out" = EPERM ] && ok "unit: a shell moved in, its fork without exec is the agent's" || not_ok "unit fork" "$out"
out=$(sh -c 'echo $$ > "$0/cgroup.procs"; (:); echo $$ > /sys/fs/cgroup/cgroup.procs; exec pfop write /prot/etc/unit.conf x' $CGU)
[ "$out" = EPERM ] && ok "unit: moving out of the unit's cgroup keeps the mark" || not_ok "unit move out" "$out"
mkdir -p $CGU/payload
expect EPERM "unit: a cgroup below the unit's (delegated) is the unit's" in_cg $CGU/payload pfop write /prot/etc/unit.conf x
expect OK "unit: a process of another unit is not marked" in_cg $CGO pfop write /prot/etc/unit.conf "by other"
expect OK "unit: a process outside every unit is not marked" pfop write /prot/etc/unit.conf "by a human"
HU=$(hash_of /prot/etc/unit.conf)
# a restart: the unit's cgroup made again (a new cgroup id)
rmdir $CGU/payload $CGU && mkdir $CGU
expect EPERM "unit: restarted (new cgroup), its process is still the agent's" in_cg $CGU pfop write /prot/etc/unit.conf x
expect_same_hash "unit: the restarted unit's write did not reach the file" /prot/etc/unit.conf "$HU"

# 5. agent-mode audit: reported, not refused.
sed -i 's/^agent-mode enforce$/agent-mode audit/' "$PF_POLICY"
kill -HUP "$(cat /tmp/permafrostd.pid)"
i=0; while ! grep -q '"decision":"policy-reload"' "$PF_LOG" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
expect OK "agent-mode audit: the agent's write passes" /opt/fakeai/cli.sh pfop write /prot/etc/bin.conf "audited"
expect_event "agent-mode audit: a would-deny record names the agent" '"decision":"would-deny"' '"mode":"audit"' \
	'"path":"/prot/etc/bin.conf"' '"agent":"fakeai"'
expect OK "agent-mode audit: the agent's connect to PID 1 passes" /opt/fakeai/cli.sh pfop unix-connect /run/systemd/private
expect_event "agent-mode audit: a would-deny agent-socket record" '"decision":"would-deny"' '"op":"agent-socket"' '"agent":"fakeai"'
kill $PID1SRV 2>/dev/null
stop_agent
