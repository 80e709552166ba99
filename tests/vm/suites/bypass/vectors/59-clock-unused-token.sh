# vector: a signed token never loaded expires; set the wall clock back into its window and load it then
# expect: refused: an expired token must not become valid by moving the clock back; the write stays refused
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/clock3.conf
pf_keys_setup || harness "keys"
new_token /tmp/bp59.tok --path $f --ops write --ttl 10s && sign_token /tmp/bp59.tok alice || harness "token"
bp_clock_save
sleep 12
out=$(permafrost approve /tmp/bp59.tok 2>&1) && harness "the expired token was accepted without a clock change: $out"
echo "$out" | grep -q "expired" || harness "refused, but not as expired: $out"
date -s "@$(($(date +%s) - 30))" >/dev/null || harness "date -s failed"
h=$(hash_of $f)
out=$(permafrost approve /tmp/bp59.tok 2>&1); rc=$?
attempt pfop write $f "revived
"
bp_clock_restore
[ $rc -eq 0 ] && { permafrost revoke "$(sed -n 's/^token-id: //p' /tmp/bp59.tok)" >/dev/null 2>&1
	bypassed "expired token accepted after date -s back 30 s; write then: $GOT"; }
refused_with EPERM "write"
same $f "$h"
