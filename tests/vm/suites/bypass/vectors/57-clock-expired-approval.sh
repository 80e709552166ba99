# vector: a live 20 s approval, then `date -s` one day back: the approval must still end 20 s (boot clock) after it began; moving the clock forward must not end or extend it either
# expect: refused: approved writes work, then EPERM once 20 s have passed although the wall clock went back; deny open-write
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/clock.conf
pf_keys_setup || harness "keys"
new_token /tmp/bp57.tok --path $f --ops write --ttl 20s && sign_token /tmp/bp57.tok alice || harness "token"
bp_clock_save
permafrost approve /tmp/bp57.tok >/tmp/bp57.out 2>&1 || harness "approve: $(head -c 200 /tmp/bp57.out)"
t0=$(cut -d. -f1 /proc/uptime)
attempt pfop write $f "approved 1
"
[ "$GOT" = OK ] || harness "the approved write failed: $GOT"
date -s "@$(($(date +%s) - 86400))" >/dev/null || harness "date -s failed"
attempt pfop write $f "approved 2
"
[ "$GOT" = OK ] || { bp_clock_restore; bypassed "moving the clock back ended the approval early ($GOT)"; }
# Wait past the 20 s on the boot clock (plus slack), writing nothing.
while [ $(( $(cut -d. -f1 /proc/uptime) - t0 )) -lt 23 ]; do sleep 1; done
h=$(hash_of $f)
attempt pfop write $f "after expiry
"
bp_clock_restore
refused_with EPERM "write 23 s after a 20 s approval with the clock moved back a day"
same $f "$h"
deny '"op":"open-write"' '"path":"/prot/etc/clock.conf"'
