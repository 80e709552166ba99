# Signed approvals in the kernel: exactly the approved change goes through,
# by the constrained process, until it expires — even with the agent dead.
. "$PF_LIB"
pf_keys_setup || { not_ok "ssh-keygen keys" "ssh-keygen failed"; exit 1; }
mkdir -p /prot/etc/sub /prot/bin /prot/free /prot/etc/strict
printf 'strict\n' > /prot/etc/strict/s.conf
ln -s strict /prot/etc/alias
ln /prot/etc/strict/s.conf /prot/etc/hardlink.conf
for f in app.conf other.conf uidfile secret unitfile dup.conf; do printf 'orig %s\n' $f > /prot/etc/$f; done
chmod 666 /prot/etc/uidfile
printf 'tool v1\n' > /prot/bin/tool
printf 'single\n' > /prot/single.conf
printf 'short\n' > /prot/etc/short
cat > "$PF_POLICY" <<POL
self-protect no
allowed-signers $PF_SIGNERS
max-token-ttl   1h
protect /prot/etc /prot/bin /prot/single.conf
protect /prot/etc/secret approvals=2
protect /prot/etc/strict approvals=2
POL
# This host's machine-id, read by the agent at start and at the freeze.
MID=0123456789abcdef0123456789abcdef
printf '%s\n' $MID > /etc/machine-id
require_agent
check "freeze" permafrost freeze --reason approvals

# approve FILE: load a token, expect success
approve_ok() { out=$(permafrost approve "$1" 2>&1) && ok "$2" || not_ok "$2" "$out"; }
# approve_refused FILE PATTERN NAME
approve_refused() {
	out=$(permafrost approve "$1" 2>&1); rc=$?
	[ $rc -eq 1 ] && echo "$out" | grep -q -- "$2" && ok "$3" || not_ok "$3" "rc=$rc: $out"
}

# 1. One file, one op.
new_token /tmp/a.tok --path /prot/etc/app.conf --ops write --ttl 10m && sign_token /tmp/a.tok alice
approve_ok /tmp/a.tok "approve a write to app.conf (alice)"
A_ID=$(sed -n 's/^token-id: //p' /tmp/a.tok)
expect OK "approved: write app.conf" pfop write /prot/etc/app.conf "new line"
expect_event "approved write logged with token and ticket" '"decision":"approved"' '"op":"open-write"' '"path":"/prot/etc/app.conf"' "\"token\":\"$A_ID\"" '"ticket":"CHG-1"'
expect EPERM "not approved: a neighbouring file" pfop write /prot/etc/other.conf x
expect EPERM "not approved: another op on the file (chmod)" pfop chmod /prot/etc/app.conf 600
expect EPERM "not approved: another op on the file (unlink)" pfop unlink /prot/etc/app.conf
permafrost status | grep -q "Approval: *$A_ID ticket=CHG-1 left=" && ok "status lists the live approval" || not_ok "status lists the approval" "$(permafrost status)"
approve_refused /tmp/a.tok "already used" "the same token cannot be loaded twice (replay)"

# 2. Refusals, each naming its rule, changing nothing.
new_token /tmp/b.tok --path /prot/etc/secret --ops write --ttl 10m && sign_token /tmp/b.tok alice
approve_refused /tmp/b.tok "threshold" "secret needs 2 approvers: one is refused"
new_token /tmp/b2.tok --path /prot/etc/secret --ops write --ttl 10m && sign_token /tmp/b2.tok alice alice
approve_refused /tmp/b2.tok "threshold" "one approver signing twice counts once"
new_token /tmp/c.tok --path /prot/etc/other.conf --ops write --ttl 10m && sign_token /tmp/c.tok mallory
approve_refused /tmp/c.tok "allowed_signers" "an untrusted key is refused"
new_token /tmp/d.tok --path /prot/free/x --ops write --ttl 10m && sign_token /tmp/d.tok alice
approve_refused /tmp/d.tok "scope" "a path outside every protected tree is refused"
new_token /tmp/d2.tok --path / --ops write --ttl 10m && sign_token /tmp/d2.tok alice bob
# Aliases do not lower the threshold: a path through a symbolic link is
# refused, naming the link; a hard link made before the freeze takes the
# stricter tree's threshold.
new_token /tmp/al.tok --path /prot/etc/alias/s.conf --ops write --ttl 10m && sign_token /tmp/al.tok alice
approve_refused /tmp/al.tok "/prot/etc/alias is a symbolic link (to strict)" "a path through a symbolic link is refused, the link named"
new_token /tmp/hl.tok --path /prot/etc/hardlink.conf --ops write --ttl 10m && sign_token /tmp/hl.tok alice
approve_refused /tmp/hl.tok "2 required" "a hard link to a file of a stricter tree needs that tree's threshold"
approve_refused /tmp/d2.tok "scope" "a subtree approval of / (an ancestor of every tree) is refused"
permafrost token new --ticket CHG-2 --requester ops --host elsewhere --path /prot/etc/other.conf --reason r > /tmp/e.tok && sign_token /tmp/e.tok alice
approve_refused /tmp/e.tok "host" "a token for another host is refused"
# Bound by machine-id: `token verify` reads it as the agent does.
permafrost token new --ticket CHG-2 --requester ops --host $MID --path /prot/etc/other.conf --ops write --ttl 10m --reason r > /tmp/m.tok && sign_token /tmp/m.tok alice
out=$(permafrost token verify --policy "$PF_POLICY" --state-dir "$PF_STATE" /tmp/m.tok 2>&1) && ok "token verify accepts a token for this machine-id" || not_ok "token verify: machine-id" "$out"
# Root rewriting the machine-id while frozen does not move the host's
# identity: the agent keeps the one it read at the freeze.
OTHER=fedcba9876543210fedcba9876543210
printf '%s\n' $OTHER > /etc/machine-id
permafrost token new --ticket CHG-2 --requester ops --host $OTHER --path /prot/etc/other.conf --ops write --ttl 10m --reason r > /tmp/m2.tok && sign_token /tmp/m2.tok alice
approve_refused /tmp/m2.tok "host" "a machine-id written while frozen is not this host's"
printf '%s\n' $MID > /etc/machine-id
approve_ok /tmp/m.tok "a token for the machine-id read at the freeze is accepted"
permafrost revoke "$(sed -n 's/^token-id: //p' /tmp/m.tok)" >/dev/null 2>&1 || not_ok "revoke the machine-id token" "failed"
# One object named twice, or one covered by a live approval: refused
# before the token's id is spent, so the same token can be loaded later.
new_token /tmp/dup.tok --path /prot/etc/dup.conf --path /prot/etc/dup.conf/ --ops write --ttl 10m && sign_token /tmp/dup.tok alice
approve_refused /tmp/dup.tok "name the same object" "a token naming one object twice is refused"
approve_refused /tmp/dup.tok "name the same object" "... and its id is not spent (the same reason again, not 'already used')"
new_token /tmp/cov1.tok --path /prot/etc/dup.conf --ops write --ttl 10m && sign_token /tmp/cov1.tok alice
new_token /tmp/cov2.tok --path /prot/etc/dup.conf --ops write --ttl 10m && sign_token /tmp/cov2.tok alice
approve_ok /tmp/cov1.tok "approve dup.conf"
COV1=$(sed -n 's/^token-id: //p' /tmp/cov1.tok)
approve_refused /tmp/cov2.tok "already covered by live approval $COV1; revoke it first" "a second approval of a covered object is refused"
check "revoke the first" permafrost revoke "$COV1"
approve_ok /tmp/cov2.tok "the refused token was not spent: it loads once the first is revoked"
check "revoke the second" permafrost revoke "$(sed -n 's/^token-id: //p' /tmp/cov2.tok)"
new_token /tmp/f.tok --path /prot/etc/other.conf --ttl 2h && sign_token /tmp/f.tok alice
approve_refused /tmp/f.tok "max-ttl" "a window longer than max-token-ttl is refused"
new_token /tmp/g.tok --path /prot/etc/other.conf --ttl 10m && sign_token /tmp/g.tok alice
sed -i 's/^reason: test change/reason: test chang3/' /tmp/g.tok
approve_refused /tmp/g.tok "signatures" "a body changed after signing is refused"
expect EPERM "after the refusals: other.conf still refused" pfop write /prot/etc/other.conf x
new_token /tmp/s.tok --path /prot/etc/secret --ops write --ttl 10m && sign_token /tmp/s.tok alice bob
approve_ok /tmp/s.tok "secret with alice and bob is approved"
expect OK "approved: write secret" pfop write /prot/etc/secret x

# 2b. requester-signs yes (a policy reload): the requester must sign and
# does not count; approvers who name an absent requester are refused.
printf 'requester-signs yes\n' >> "$PF_POLICY"
n0=$(grep -c '"decision":"policy-reload"' "$PF_LOG")
kill -HUP "$(cat /tmp/permafrostd.pid)"
i=0; while [ $i -lt 50 ] && [ "$(grep -c '"decision":"policy-reload"' "$PF_LOG")" -le "$n0" ]; do sleep 0.1; i=$((i + 1)); done
permafrost token new --ticket CHG-3 --requester alice --host pfvm --path /prot/etc/dup.conf --ops write --ttl 10m --reason r > /tmp/rq1.tok && sign_token /tmp/rq1.tok bob
approve_refused /tmp/rq1.tok "the requester alice did not sign the token" "requester-signs: a token its requester did not sign is refused"
permafrost token new --ticket CHG-3 --requester alice --host pfvm --path /prot/etc/dup.conf --ops write --ttl 10m --reason r > /tmp/rq2.tok && sign_token /tmp/rq2.tok alice bob
approve_ok /tmp/rq2.tok "requester-signs: signed by the requester alice and by bob: accepted"
check "revoke the requester token" permafrost revoke "$(sed -n 's/^token-id: //p' /tmp/rq2.tok)"
sed -i '/^requester-signs yes$/d' "$PF_POLICY"
n0=$(grep -c '"decision":"policy-reload"' "$PF_LOG")
kill -HUP "$(cat /tmp/permafrostd.pid)"
i=0; while [ $i -lt 50 ] && [ "$(grep -c '"decision":"policy-reload"' "$PF_LOG")" -le "$n0" ]; do sleep 0.1; i=$((i + 1)); done

# 3. Constraints: uid.
new_token /tmp/u.tok --path /prot/etc/uidfile --ops write --uid 1000 --ttl 10m && sign_token /tmp/u.tok bob
approve_ok /tmp/u.tok "approve uidfile for uid 1000 only"
expect EPERM "uid constraint: root is refused" pfop write /prot/etc/uidfile x
expect OK "uid constraint: uid 1000 may write" pfop run-as 1000 1000 pfop write /prot/etc/uidfile x

# 4. Constraint: exe.
cp /usr/bin/pfop /tmp/pfop-approved
new_token /tmp/x.tok --path /prot/etc/short --ops write --exe /tmp/pfop-approved --ttl 10m && sign_token /tmp/x.tok bob
approve_ok /tmp/x.tok "approve short for one executable"
expect EPERM "exe constraint: another program is refused" pfop write /prot/etc/short x
expect OK "exe constraint: the approved program may write" /tmp/pfop-approved write /prot/etc/short x

# 4b. Constraint: unit (its cgroup). A cgroup named like a unit stands in
# for systemd's (the VM has no systemd).
mkdir -p /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
mkdir -p /sys/fs/cgroup/deploy.service
new_token /tmp/n.tok --path /prot/etc/unitfile --ops write --unit deploy.service --ttl 10m && sign_token /tmp/n.tok bob
approve_ok /tmp/n.tok "approve unitfile for deploy.service only"
expect EPERM "unit constraint: a process outside the unit is refused" pfop write /prot/etc/unitfile x
expect OK "unit constraint: a process in the unit's cgroup may write" sh -c 'echo $$ > /sys/fs/cgroup/deploy.service/cgroup.procs && exec pfop write /prot/etc/unitfile x'

# 5. Subtree: create, replace a binary (write new, rename over).
new_token /tmp/t.tok --path /prot/bin/ --ops "write create rename" --ttl 10m && sign_token /tmp/t.tok carol
approve_ok /tmp/t.tok "approve the /prot/bin/ subtree"
expect OK "subtree: create a new file" pfop create /prot/bin/tool.new
expect OK "subtree: write it" pfop write /prot/bin/tool.new "tool v2"
expect OK "subtree: rename it over the old binary" pfop rename /prot/bin/tool.new /prot/bin/tool
expect EPERM "subtree: delete is not in its ops" pfop unlink /prot/bin/tool

# 6. A replaced single-file rule is protected again afterwards.
new_token /tmp/r.tok --path /prot/single.conf --ops "write rename" --ttl 10m && sign_token /tmp/r.tok alice
approve_ok /tmp/r.tok "approve replacing /prot/single.conf"
R_ID=$(sed -n 's/^token-id: //p' /tmp/r.tok)
printf 'replacement\n' > /prot/single.new
expect OK "rename over the protected single file" pfop rename /prot/single.new /prot/single.conf
sleep 2
check "revoke" permafrost revoke "$R_ID"
expect EPERM "after revoke: the replacement file is protected" pfop write /prot/single.conf x
expect_content "the replacement landed intact" /prot/single.conf "replacement
"
out=$(permafrost revoke "$R_ID" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "no live approval" && ok "revoking twice names the problem" || not_ok "revoke twice" "rc=$rc $out"

# 7. Expiry in the kernel with the agent dead; approvals survive a restart.
new_token /tmp/k.tok --path /prot/etc/other.conf --ops write --ttl 25s && sign_token /tmp/k.tok alice
approve_ok /tmp/k.tok "approve other.conf for 25 s"
expect OK "before expiry: write other.conf" pfop write /prot/etc/other.conf x
kill -9 "$(cat /tmp/permafrostd.pid)"
sleep 1
expect OK "agent killed: the approval still works (kernel holds it)" pfop write /prot/etc/other.conf y
expect EPERM "agent killed: still frozen for everything else" pfop create /prot/etc/sub/new
i=0; while [ $i -lt 40 ] && [ "$(pfop write /prot/etc/other.conf z)" = OK ]; do sleep 1; i=$((i + 1)); done
expect EPERM "agent dead, approval expired: the kernel refuses again" pfop write /prot/etc/other.conf z
require_agent
permafrost status | grep -q "Approval: *$A_ID" && ok "after restart: live approvals are back" || not_ok "approvals after restart" "$(permafrost status)"
expect OK "after restart: the approved write still works" pfop write /prot/etc/app.conf again
permafrost status | grep -q "$(sed -n 's/^token-id: //p' /tmp/k.tok)" && not_ok "expired approval not reloaded" "still listed" || ok "expired approval not reloaded"
expect_event "the expiry is logged" '"decision":"approval-expired"' "$(sed -n 's/^token-id: //p' /tmp/k.tok)"
stop_agent
