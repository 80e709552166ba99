# vector: let a used approval expire, set the clock back inside its window, load the same token again
# expect: refused: the agent refuses the token again (already used, or expired if the agent does not trust a clock set back); the write stays refused
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/clock2.conf
pf_keys_setup || harness "keys"
new_token /tmp/bp58.tok --path $f --ops write --ttl 10s && sign_token /tmp/bp58.tok alice || harness "token"
bp_clock_save
permafrost approve /tmp/bp58.tok >/tmp/bp58.out 2>&1 || harness "approve: $(head -c 200 /tmp/bp58.out)"
sleep 12
date -s "@$(($(date +%s) - 10))" >/dev/null || harness "date -s failed"
h=$(hash_of $f)
out=$(permafrost approve /tmp/bp58.tok 2>&1); rc=$?
attempt pfop write $f "replayed
"
bp_clock_restore
[ $rc -eq 0 ] && bypassed "the expired token was accepted again after date -s back; write: $GOT"
echo "$out" | grep -qE "already used|expired" || bypassed "refused, but neither as a replay nor as expired: $out"
refused_with EPERM "write after the refused replay"
same $f "$h"
deny '"op":"open-write"' '"path":"/prot/etc/clock2.conf"'
