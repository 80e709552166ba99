# The inbox: tokens dropped into STATE_DIR/inbox are decided exactly like
# `permafrost approve`, moved to accepted/ or rejected/ with NAME.reason,
# and logged. Also: readiness (READY=1 / STOPPING=1 on $NOTIFY_SOCKET).
. "$PF_LIB"
pf_keys_setup || { not_ok "ssh-keygen keys" "ssh-keygen failed"; exit 1; }
mkdir -p /prot/etc
for f in app.conf other.conf late.conf; do printf 'orig %s\n' $f > /prot/etc/$f; done
cat > "$PF_POLICY" <<POL
allowed-signers $PF_SIGNERS
max-token-ttl   1h
protect /prot/etc
POL
IN=$PF_STATE/inbox

# Readiness: a stand-in for systemd's notification socket (abstract name).
pfop dgram-recv @pf-notify 2 240000 > /tmp/notify.out 2>&1 &
NPID=$!
wait_for /tmp/notify.out 10
sleep 0.2
export NOTIFY_SOCKET=@pf-notify
require_agent
unset NOTIFY_SOCKET
i=0; while [ $i -lt 100 ] && ! grep -q READY=1 /tmp/notify.out; do sleep 0.1; i=$((i + 1)); done
grep -q '^READY=1|STATUS=' /tmp/notify.out && ok "READY=1 sent to \$NOTIFY_SOCKET (abstract) once serving" || not_ok "READY=1 sent" "$(cat /tmp/notify.out)"
permafrost status >/dev/null 2>&1 && ok "the socket answers once READY=1 was sent" || not_ok "socket answers after READY" "status failed"
check "freeze" permafrost freeze --reason inbox

for d in "$IN" "$IN/accepted" "$IN/rejected"; do
	[ -d "$d" ] && ok "agent made $d" || not_ok "agent made $d" "missing"
done

# drop NAME FILE: as configuration management should: NAME.tmp, then rename.
drop() { cp "$2" "$IN/$1.tmp" && mv "$IN/$1.tmp" "$IN/$1"; }
# reason_has DIR/NAME PATTERN CASE: the file landed there with that reason.
landed() {
	if wait_for "$IN/$1" 20; then
		r=$(cat "$IN/$1.reason" 2>/dev/null)
		echo "$r" | grep -q -- "$2" && [ ! -e "$IN/${1#*/}" ] && ok "$3" || not_ok "$3" "reason: $r; inbox: $(ls -a "$IN")"
	else
		not_ok "$3" "$IN/$1 never appeared; inbox: $(ls -a "$IN"); accepted: $(ls "$IN/accepted"); rejected: $(ls "$IN/rejected")"
	fi
}

# 1. A good token: accepted, and the approved write goes through.
new_token /tmp/good.tok --path /prot/etc/app.conf --ops write --ttl 10m && sign_token /tmp/good.tok alice
G_ID=$(sed -n 's/^token-id: //p' /tmp/good.tok)
expect EPERM "before the drop: app.conf refused" pfop write /prot/etc/app.conf x
drop good /tmp/good.tok
landed accepted/good "^accepted: token $G_ID ticket CHG-1 approvers alice paths /prot/etc/app.conf" "good token: moved to accepted/ with its reason"
expect OK "good token: the approved write succeeds" pfop write /prot/etc/app.conf "new line"
expect EPERM "good token: a neighbouring file is still refused" pfop write /prot/etc/other.conf x
expect_event "good token: approval-loaded logged with the inbox name" '"decision":"approval-loaded"' '"inbox":"accepted/good"' "$G_ID"
permafrost status | grep -q "Approval: *$G_ID" && ok "status lists the inbox approval" || not_ok "status lists the inbox approval" "$(permafrost status)"

# 2. A bad signature (body changed after signing): rejected, nothing changes.
new_token /tmp/bad.tok --path /prot/etc/other.conf --ops write --ttl 10m && sign_token /tmp/bad.tok alice
B_ID=$(sed -n 's/^token-id: //p' /tmp/bad.tok)
sed -i 's/^reason: test change/reason: test chang3/' /tmp/bad.tok
used_before=$(cat "$PF_STATE/used-tokens" 2>/dev/null | wc -l)
drop badsig /tmp/bad.tok
landed rejected/badsig "^rejected: refused: signatures" "bad signature: moved to rejected/ with the rule"
expect EPERM "bad signature: other.conf still refused" pfop write /prot/etc/other.conf x
[ "$(cat "$PF_STATE/used-tokens" | wc -l)" -eq "$used_before" ] && ok "bad signature: no token id spent" || not_ok "bad signature: no token id spent" "$(cat "$PF_STATE/used-tokens")"
permafrost status | grep -q "$B_ID" && not_ok "bad signature: no approval" "listed" || ok "bad signature: no approval listed"
expect_event "bad signature: approval-refused logged with the reason" '"decision":"approval-refused"' '"inbox":"rejected/badsig"' 'signatures'

# 3. A replayed token (the good one again): rejected.
drop again /tmp/good.tok
landed rejected/again "^rejected: refused: replay" "replayed token: rejected (replay)"

# 4. Name collision: a second "badsig" goes to rejected/badsig.1.
drop badsig /tmp/bad.tok
landed rejected/badsig.1 "^rejected: refused: signatures" "name collision: second badsig stored as badsig.1"
[ -e "$IN/rejected/badsig" ] && grep -q signatures "$IN/rejected/badsig.reason" && ok "name collision: the first badsig is kept" || not_ok "first badsig kept" "$(ls "$IN/rejected")"

# 5. Garbage.
printf 'hello\nthis is no token\n' > /tmp/garbage
drop garbage /tmp/garbage
landed rejected/garbage "^rejected: refused: format" "garbage: rejected (format)"

# 6. A symlink (to a protected file): rejected without following.
H_APP=$(hash_of /prot/etc/app.conf)
ln -s /prot/etc/app.conf "$IN/link.tmp" && mv "$IN/link.tmp" "$IN/link"
landed rejected/link "symlink (not followed)" "symlink: rejected, not followed"
[ -L "$IN/rejected/link" ] && [ "$(readlink "$IN/rejected/link")" = /prot/etc/app.conf ] && ok "symlink: moved as a link" || not_ok "symlink moved as a link" "$(ls -l "$IN/rejected")"
expect_same_hash "symlink: its target is untouched" /prot/etc/app.conf "$H_APP"

# 7. An oversize file.
dd if=/dev/zero of="$IN/big.tmp" bs=1024 count=500 2>/dev/null && mv "$IN/big.tmp" "$IN/big"
landed rejected/big "larger than the limit (458752 bytes)" "oversize file (512000 bytes): rejected naming the limit"

# 8. A FIFO: rejected without opening (the agent must not block on it).
mkfifo "$IN/fifo.tmp" && mv "$IN/fifo.tmp" "$IN/fifo"
landed rejected/fifo "FIFO" "fifo: rejected without opening"
permafrost status >/dev/null 2>&1 && ok "fifo: the agent still answers" || not_ok "fifo: the agent still answers" "status failed"

# 9. Ignored: dotfiles and NAME.tmp stay where they are.
printf 'partial' > "$IN/part.tmp"
printf 'x' > "$IN/.hidden"
drop garbage3 /tmp/garbage
wait_for "$IN/rejected/garbage3" 20
[ -e "$IN/part.tmp" ] && [ -e "$IN/.hidden" ] && [ ! -e "$IN/rejected/part.tmp" ] && ok "NAME.tmp and dotfiles are left alone" || not_ok "tmp and dotfiles left alone" "$(ls -a "$IN")"

# 10. A token dropped while the agent is down is handled at start.
new_token /tmp/late.tok --path /prot/etc/late.conf --ops write --ttl 10m && sign_token /tmp/late.tok bob
L_ID=$(sed -n 's/^token-id: //p' /tmp/late.tok)
pfop dgram-recv @pf-notify2 2 240000 > /tmp/notify2.out 2>&1 &
N2PID=$!
sleep 0.3
# A frozen agent cannot be stopped (self-protection): thaw first.
check "thaw before stopping the agent" pf_thaw
stop_agent
grep -q 'STOPPING=1' /tmp/notify.out && ok "STOPPING=1 sent on SIGTERM" || not_ok "STOPPING=1 sent" "$(cat /tmp/notify.out)"
drop late /tmp/late.tok
[ -e "$IN/late" ] && ok "late token waits in the inbox while the agent is down" || not_ok "late token waits" "$(ls "$IN")"
export NOTIFY_SOCKET=@pf-notify2
require_agent
unset NOTIFY_SOCKET
check "freeze again" permafrost freeze --reason "inbox after restart"
landed accepted/late "^accepted: token $L_ID" "late token: accepted by the scan at start"
# The previous agent's pinned links stay attached (with its own approvals
# map) until the kernel frees them after their pins are removed, which
# 6.12's lazy RCU can delay by seconds: until then an approval loaded by the
# new agent alone is refused by the old programs. Wait for that, bounded.
i=0; while [ $i -lt 30 ] && [ "$(pfop write /prot/etc/late.conf x)" != OK ]; do sleep 1; i=$((i + 1)); done
[ $i -gt 0 ] && echo "# late token: the write went through after ${i} s (old link set draining)"
expect OK "late token: its approved write succeeds" pfop write /prot/etc/late.conf x
expect OK "after restart: the first inbox approval is still live" pfop write /prot/etc/app.conf again
pf_thaw >/dev/null 2>&1
stop_agent
for p in $NPID $N2PID; do kill "$p" 2>/dev/null; done
exit 0
