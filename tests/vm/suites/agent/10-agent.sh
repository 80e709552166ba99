# The agent and CLI around the kernel: start-up, status, check, freeze state
# surviving a restart, and the control socket refusing garbage.
. "$PF_LIB"

mkdir -p /prot/etc/sub /prot/free /prot/other
printf 'a\n' > /prot/etc/a.conf
printf 'c\n' > /prot/etc/c.conf
printf 's\n' > /prot/etc/slow.conf
printf 'b\n' > /prot/free/b
# A second name outside the tree: the file becomes an object of its own.
printf 'h\n' > /prot/etc/h
ln /prot/etc/h /prot/other/h
pf_keys_setup
cat > "$PF_POLICY" <<POL
self-protect no
allowed-signers $PF_SIGNERS
protect /prot/etc
protect /prot/not-here
exempt  /prot/etc/sub
POL

# has_line NAME TEXT LINE: TEXT holds exactly LINE (whole line, fixed string).
has_line() {
	printf '%s\n' "$2" | grep -qxF -- "$3" && ok "$1" || not_ok "$1" "no line '$3' in: $(printf '%s' "$2" | tr '\n' '|')"
}
# has_re NAME TEXT REGEX: a whole line of TEXT matches the extended REGEX.
has_re() {
	printf '%s\n' "$2" | grep -qxE -- "$3" && ok "$1" || not_ok "$1" "no line matching '$3' in: $(printf '%s' "$2" | tr '\n' '|')"
}
NLINKS=$PF_NLINKS
LSMS=$(cat /sys/kernel/security/lsm)
VER=$(permafrost version | awk '{print $2}')

require_agent
PID=$(cat /tmp/permafrostd.pid)
out=$(permafrost status); rc=$?
[ $rc -eq 0 ] && ok "status: exit 0" || not_ok "status: exit 0" "rc=$rc $out"
has_re "status: a fresh agent is off, from start-up" "$out" "Mode:         off since 20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z \(([0-9]+m )?[0-9]+s ago\), set by permafrostd at start-up"
has_line "status: the start-up reason" "$out" "Reason:       initial mode from $PF_POLICY"
has_line "status: nothing logged yet" "$out" "Audit log:    $PF_LOG (0 events this run)"
has_line "status: policy totals (dir, its multiply-linked file, the exempt dir)" "$out" \
	"Policy:       $PF_POLICY: 3 rules, 3 objects on 1 filesystems (1 hard links, 0 submounts)"
has_line "status: protected tree with its object count" "$out" "Protected:    /prot/etc       2 objects"
has_line "status: a missing tree" "$out" "              /prot/not-here  MISSING (absent on this host: nothing protected)"
has_line "status: no approvals" "$out" "Approvals:    none live"
has_line "status: counters at zero" "$out" "Decisions:    0 events: 0 denied, 0 would-deny, 0 approved, 0 tamper; 0 lost"
has_re "status: agent pid, version, uptime" "$out" "Agent:        pid $PID, version $VER, up ([0-9]+m )?[0-9]+s \(since 20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\)"
# the compat build where there is no bpf_loop (before 5.17); on every
# kernel we test, each route has a hook (nothing unenforced)
case $(uname -r) in 5.10.*) BUILD=compat ;; *) BUILD=main ;; esac
has_line "status: kernel, active LSMs, BPF build" "$out" "Kernel:       $(uname -r), LSMs $LSMS, $BUILD build"
printf '%s\n' "$out" | grep -q '^Unenforced:' && not_ok "status: nothing unenforced" "$out" || ok "status: no Unenforced line (every route has its hook on $(uname -r))"
has_line "status: every program link pinned" "$out" "Pinned links: $NLINKS of $NLINKS in /sys/fs/bpf/permafrost/links-$PID"
n=$(ls /sys/fs/bpf/permafrost/links-$PID | wc -l)
[ "$n" -eq "$NLINKS" ] && ok "status: the pin directory holds $NLINKS links" || not_ok "pin directory count" "$n files, want $NLINKS"
out=$(permafrost --json status)
flat=$(printf '%s' "$out" | tr -d ' \n')
for kv in '"mode":"off"' "\"agent_pid\":$PID" "\"links_expected\":$NLINKS" "\"links_present\":$NLINKS" \
	'"events":0' '"denied":0' '"would_deny":0' '"approved":0' '"tamper":0' '"lost":0' '"trees_total":2' \
	'"approvals_live":0' '"approvals":[]' '"missing":["/prot/not-here"]' \
	'"trees":[{"path":"/prot/etc","objects":2,"missing":false},{"path":"/prot/not-here","objects":0,"missing":true}]'; do
	case $flat in *"$kv"*) ok "status --json: $kv" ;; *) not_ok "status --json: $kv" "$out" ;; esac
done
printf '%s' "$out" | grep -qE '"uptime_s": [0-9]+,' && ok "status --json: uptime_s is a number" || not_ok "status --json: uptime_s" "$out"

check "freeze" permafrost freeze --reason "change freeze 42"
expect EPERM "frozen: write refused" pfop write /prot/etc/a.conf x
out=$(permafrost status)
has_re "status: enforce since when, by whom (uid, name, pid)" "$out" "Mode:         enforce since 20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z \(([0-9]+m )?[0-9]+s ago\) by uid 0 \(root\), pid [0-9]+"
has_line "status: reason" "$out" "Reason:       change freeze 42"
has_line "status: counts the denial" "$out" "Decisions:    1 events: 1 denied, 0 would-deny, 0 approved, 0 tamper; 0 lost"

# A live approval: listed with its time left, then used and counted.
new_token /tmp/ap.tok --path /prot/etc/c.conf --ops write --ttl 10m && sign_token /tmp/ap.tok alice
AP_ID=$(sed -n 's/^token-id: //p' /tmp/ap.tok)
check "approve a write to c.conf" permafrost approve /tmp/ap.tok
out=$(permafrost status)
has_re "status: the live approval with id, ticket, time left, ops, paths, approvers" "$out" \
	"Approval:     $AP_ID ticket=CHG-1 left=(600|59[0-9])s \(expires in (10m 00s|9m [0-5][0-9]s)\) ops=write paths=/prot/etc/c.conf approvers=alice"
flat=$(permafrost --json status | tr -d ' \n')
echo "$flat" | grep -qE "\"approvals\":\[\{\"id\":\"$AP_ID\",\"ticket\":\"CHG-1\",\"paths\":\"/prot/etc/c.conf\",\"ops\":\"write\",\"approvers\":\"alice\",\"expires_in_s\":(600|59[0-9])\}\]" &&
	ok "status --json: the approval as an object" || not_ok "status --json: approval" "$flat"
expect OK "approved write to c.conf" pfop write /prot/etc/c.conf y
out=$(permafrost status)
# Two approved decisions: the open for write (file_open) and the write
# through it (file_permission).
has_line "status: counts the approved open and write" "$out" "Decisions:    3 events: 1 denied, 0 would-deny, 2 approved, 0 tamper; 0 lost"
check "revoke the approval" permafrost revoke "$AP_ID"
has_line "status: no approval after revoke" "$(permafrost status)" "Approvals:    none live"

out=$(permafrost check /prot/etc/a.conf); rc=$?
[ $rc -eq 4 ] && ok "check: protected path exits 4" || not_ok "check: protected path exits 4" "rc=$rc"
echo "$out" | grep -q "protected by 'protect /prot/etc'" && ok "check: names the rule" || not_ok "check: names the rule" "$out"
echo "$out" | grep -q "a write is DENIED" && ok "check: says a write is denied" || not_ok "check: says a write is denied" "$out"
out=$(permafrost check /prot/etc/new-file); rc=$?
[ $rc -eq 4 ] && ok "check: a new name in a protected dir is protected" || not_ok "check: a new name in a protected dir is protected" "rc=$rc $out"
out=$(permafrost check /prot/etc/sub); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q "exempt by" && ok "check: exempt subtree exits 0 and names the rule" || not_ok "check: exempt subtree" "rc=$rc $out"
out=$(permafrost check /prot/free/b); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q "not protected" && ok "check: unprotected path exits 0" || not_ok "check: unprotected path" "rc=$rc $out"
out=$(permafrost --json check /prot/etc/a.conf)
echo "$out" | grep -q '"write": "deny"' && ok "check --json: write deny" || not_ok "check --json" "$out"

expect_event "deny line in the audit log" '"decision":"deny"' '"op":"open-write"' '"path":"/prot/etc/a.conf"' '"comm":"pfop"' '"uid":0'
expect_event "mode-change line in the audit log" '"decision":"mode-change"' '"mode":"enforce"' '"from":"off"'

# Garbled control messages: an error reply naming the problem, no change.
out=$(pfop sock-send "$PF_SOCK" 0000000568656c6c6f)
echo "$out" | grep -q 'status=error' && echo "$out" | grep -q 'missing final newline' && ok "socket: garbage gets an error naming it" || not_ok "socket: garbage" "$out"
out=$(pfop sock-send "$PF_SOCK" ffffffff)
echo "$out" | grep -q 'exceeds the 1048576-byte limit' && ok "socket: oversized frame refused" || not_ok "socket: oversized frame" "$out"
out=$(pfop sock-send "$PF_SOCK" 0000000b636d643d74686177)
echo "$out" | grep -q 'status=error' && ok "socket: truncated frame refused" || not_ok "socket: truncated frame" "$out"
out=$(pfop sock-send "$PF_SOCK" 00000009636d643d6e756b650a)
echo "$out" | grep -q "unknown command 'nuke'" && ok "socket: unknown command refused" || not_ok "socket: unknown command" "$out"
out=$(permafrost status)
echo "$out" | grep -q '^Mode: *enforce' && ok "socket: still frozen after the garbage" || not_ok "socket: still frozen" "$out"
out=$(pfop run-as 65534 65534 permafrost status 2>&1); rc=$?
[ $rc -eq 3 ] && echo "$out" | grep -q "Permission denied" && ok "socket: mode 0660 keeps other users out" || not_ok "socket: mode 0660" "rc=$rc $out"
chmod 666 "$PF_SOCK"
out=$(pfop run-as 65534 65534 permafrost status 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "permission denied: uid 65534 is neither root nor in the 'permafrost' group" && ok "socket: peer credentials refuse a non-root caller" || not_ok "socket: peer credentials" "rc=$rc $out"
out=$(pfop run-as 65534 65534 permafrost thaw /dev/null 2>&1); rc=$?
[ $rc -eq 1 ] && permafrost status | grep -q '^Mode: *enforce' && ok "socket: a non-root thaw changes nothing" || not_ok "socket: non-root thaw" "rc=$rc $out"
chmod 660 "$PF_SOCK"

# Slow clients cannot hold the agent: four connections trickling a byte
# every 200 ms are served side by side with everything else. While they
# are still connected, status answers and a denied write reaches the log;
# each is dropped at the request's 2 s deadline with an error saying so.
rm -f /tmp/slow.ready /tmp/slow.done
pfop sock-slow "$PF_SOCK" 4 /tmp/slow.ready /tmp/slow.done > /tmp/slow.out &
slow_pid=$!
wait_for /tmp/slow.ready 10
out=$(permafrost status); rc=$?
[ $rc -eq 0 ] && [ ! -e /tmp/slow.done ] && echo "$out" | grep -q '^Mode: *enforce' && ok "slow clients: status answers while they are connected" || not_ok "slow clients: status" "rc=$rc done=$(ls /tmp/slow.done 2>&1) $out"
expect EPERM "slow clients: a write refused meanwhile" pfop write /prot/etc/slow.conf slow
expect_event "slow clients: its deny is in the log before they are dropped" '"decision":"deny"' '"path":"/prot/etc/slow.conf"'
[ ! -e /tmp/slow.done ] && ok "slow clients: still connected after both" || not_ok "slow clients: still connected" "they were dropped before status and the event were checked"
wait $slow_pid
n=$(grep -c '^[0-9]: bad request: not complete within 2000 ms$' /tmp/slow.out)
[ "$n" -eq 4 ] && ok "slow clients: each dropped at the deadline with an error saying so" || not_ok "slow clients: dropped at the deadline" "$(cat /tmp/slow.out)"
# More than the agent serves at once: the 17th is told it is busy.
pfop sock-slow "$PF_SOCK" 17 /tmp/slow2.ready /tmp/slow2.done > /tmp/slow2.out
n=$(grep -c 'bad request: not complete within 2000 ms$' /tmp/slow2.out)
b=$(grep -c '^17: busy: 16 requests are being served; try again$' /tmp/slow2.out)
[ "$n" -eq 16 ] && [ "$b" -eq 1 ] && ok "slow clients: 16 served at once, the 17th told busy" || not_ok "slow clients: 16 at once" "$(cat /tmp/slow2.out)"
out=$(permafrost status); rc=$?
[ $rc -eq 0 ] && ok "slow clients: status answers once they are gone" || not_ok "slow clients: status after" "rc=$rc $out"

# A policy reload (SIGHUP) takes effect at once, cached verdicts included:
# /prot/free/b was written (and its verdict cached) while unprotected.
expect OK "before reload: unprotected file writable while frozen" pfop write /prot/free/b y
expect OK "before reload: written twice (cached verdict)" pfop write /prot/free/b y
echo "protect /prot/free/b" >> "$PF_POLICY"
kill -HUP "$(cat /tmp/permafrostd.pid)"
i=0; while [ $i -lt 50 ] && ! grep -q '"decision":"policy-reload"' "$PF_LOG"; do sleep 0.1; i=$((i + 1)); done
expect EPERM "after reload: the newly protected file is refused" pfop write /prot/free/b z
echo "protect /prot/etc/" >> "$PF_POLICY"
kill -HUP "$(cat /tmp/permafrostd.pid)"
sleep 1
expect EPERM "a broken policy on reload is refused whole: still protected" pfop write /prot/free/b z
grep -q "reload: .*not normalised.*keeping the current policy" "$PF_AGENT_OUT" && ok "a broken policy on reload is reported with file:line:col" || not_ok "broken reload reported" "$(tail -n 3 $PF_AGENT_OUT)"
sed -i '$d' "$PF_POLICY"

# Restart: the freeze survives it.
stop_agent
require_agent
expect EPERM "after restart: still frozen" pfop write /prot/etc/a.conf x
permafrost status | grep -q '^Mode: *enforce' && ok "after restart: status enforce" || not_ok "after restart: status enforce" "$(permafrost status)"
expect_content "after restart: content unchanged" /prot/etc/a.conf "a
"
out=$(permafrost thaw 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "a signed token with ops: thaw" && ok "thaw without a token: usage error naming what is needed" || not_ok "thaw without a token" "rc=$rc $out"
new_token /tmp/t1.tok --thaw --ttl 10m && sign_token /tmp/t1.tok alice
out=$(permafrost thaw /tmp/t1.tok 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "threshold" && ok "thaw with one approver (policy wants 2) refused, naming the threshold" || not_ok "thaw one approver" "rc=$rc $out"
permafrost status | grep -q '^Mode: *enforce' && ok "still frozen after the refused thaw" || not_ok "still frozen" "$(permafrost status)"
check "thaw with alice and bob" pf_thaw
out=$(permafrost thaw /tmp/thaw.tok 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "already used" && ok "a thaw token cannot be replayed" || not_ok "thaw replay" "rc=$rc $out"
expect OK "thawed: write allowed" pfop write /prot/etc/a.conf x
stop_agent

# Refuses to start without BPF LSM prerequisites, naming the fix.
umount /sys/kernel/security
out=$(permafrostd --policy "$PF_POLICY" --state-dir /tmp/st2 --log /tmp/l2 --socket /tmp/s2 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "mount -t securityfs" && ok "no securityfs: refuses, names the fix" || not_ok "no securityfs" "rc=$rc $out"
mount -t securityfs securityfs /sys/kernel/security
out=$(permafrostd --policy /nonexistent 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "/nonexistent" && ok "missing policy: exit 2 naming it" || not_ok "missing policy" "rc=$rc $out"
