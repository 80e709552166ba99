# A full disk under the audit log: the kernel keeps enforcing, the agent
# keeps draining the ring, counts what it could not write by decision,
# shows the outage (status, doctor, metrics), keeps the syslog copy going,
# and once space is freed writes one log-gap record whose counts add up
# (and copies it to syslog). A kill -9 in an outage loses no count: the
# next agent writes one log-gap record for all of it. Then kill -9 in the
# middle of batches: nothing lost, nothing twice.
. "$PF_LIB"

mkdir -p /prot/etc
printf 'a\n' > /prot/etc/a.conf
printf 'b\n' > /prot/etc/b.conf
M=/tmp/pf-metrics-full.prom
pf_keys_setup
# write_policy MODE [extra directives...]: the raw event path's policy
# (lib.sh), metrics to $M
write_policy() { pf_events_policy "$M" "$@"; }
verify_ok() { # NAME
	out=$(permafrost log verify --file "$PF_LOG" 2>&1); rc=$?
	[ $rc -eq 0 ] && echo "$out" | grep -q "intact" && ok "$1" || not_ok "$1" "rc=$rc $out"
}
# metric NAME — its value in the metrics file (empty if absent).
metric() {
	sed -n "s/^$1 //p" "$M" 2>/dev/null
}
# wait_metric NAME VALUE — up to 10 s.
wait_metric() {
	_i=0
	while [ $_i -lt 100 ] && [ "$(metric "$1")" != "$2" ]; do sleep 0.1; _i=$((_i + 1)); done
	[ "$(metric "$1")" = "$2" ]
}

# Whatever an earlier case left pinned: thawed and detached.
write_policy off
require_agent
pf_thaw >/dev/null 2>&1
stop_agent

# --- 1. a 64 KiB filesystem holding the log, filled -----------------------------
mkdir -p /fullfs
mount -t tmpfs -o size=64k tmpfs /fullfs && ok "a 64 KiB tmpfs at /fullfs" || not_ok "tmpfs" "mount failed"
mkdir -p /fullfs/log
PF_LOG=/fullfs/log/audit.log
syslogd -n -O /tmp/syslog-full.txt &
SYSLOGD=$!
sleep 0.3
write_policy off
require_agent
# fill what is left (the filler lies outside the log's directory, so it can
# be removed while the host is frozen)
dd if=/dev/zero of=/fullfs/filler bs=1024 count=128 2>/dev/null
out=$(pfop write /fullfs/filler2 x 2>&1)
df /fullfs | sed 's/^/# /'
check "freeze (enforce)" permafrost freeze --reason "full-disk test"
N=2000
mark=$(wc -l < "$PF_LOG")
size0=$(wc -c < "$PF_LOG")
out=$(pfop burst /prot/etc/a.conf $N)
echo "$out" | grep -q "^BURST n=$N opened=0 denied=$N other=0 " && ok "disk full: all $N writes refused" ||
	not_ok "disk full: all $N writes refused" "$out"
expect EPERM "disk full: a write to another protected file is refused" pfop write /prot/etc/b.conf x
sleep 2
size1=$(wc -c < "$PF_LOG")
written=$(tail -n +"$((mark + 1))" "$PF_LOG" | grep -c -F '"path":"/prot/etc/a.conf"')
[ "$written" -lt "$N" ] && ok "disk full: the log holds $written of $N denials ($size0 -> $size1 bytes)" ||
	not_ok "disk full: the log could not hold them" "written=$written"
last=$(tail -c 1 "$PF_LOG" | od -An -tx1 | tr -d ' \n')
[ "$last" = "0a" ] && ok "disk full: no torn line (the log ends in a newline)" || not_ok "disk full: no torn line" "last byte $last"
out=$(permafrost status 2>&1)
echo "$out" | grep -q "^Log outage: *NOT WRITABLE since .*(No space left on device): [0-9]* records counted, not written (.*deny=" &&
	ok "status: the Log outage line" || not_ok "status: the Log outage line" "$(echo "$out" | grep -i -A1 'audit log')"
out=$(permafrost doctor 2>&1)
echo "$out" | grep -q "its audit log cannot be written since .*No space left on device" &&
	ok "doctor: the agent check names the outage" || not_ok "doctor: outage" "$(echo "$out" | grep -i agent)"
wait_metric permafrost_audit_log_unwritable 1 && ok "metrics: permafrost_audit_log_unwritable 1" ||
	not_ok "metrics: unwritable 1" "$(grep audit_log "$M")"
sys=$(grep -c 'deny op=open-write path="/prot/etc/a.conf"' /tmp/syslog-full.txt)
[ "$sys" -ge "$((N - written))" ] && ok "syslog: the copies kept flowing ($sys deny lines)" ||
	not_ok "syslog: the copies kept flowing" "$sys deny lines in syslog, $written in the log, N=$N"
grep -q "cannot be written since" "$PF_AGENT_OUT" && ok "the agent said so on stderr" ||
	not_ok "agent stderr" "$(tail -n 3 "$PF_AGENT_OUT")"

# --- 2. space freed: one log-gap record, the counts add up ----------------------
rm -f /fullfs/filler /fullfs/filler2
[ -e /fullfs/filler ] && { pf_thaw >/dev/null 2>&1; rm -f /fullfs/filler; }
expect_event "space freed: a log-gap record" '"decision":"log-gap"' '"missed":' '"error":"No space left on device"'
gap=$(grep -F '"decision":"log-gap"' "$PF_LOG" | tail -n 1)
gdeny=$(echo "$gap" | sed -n 's/.*"missed_by_decision":{[^}]*"deny":\([0-9]*\).*/\1/p')
gdeny=${gdeny:-0}
written=$(tail -n +"$((mark + 1))" "$PF_LOG" | grep -c -F '"path":"/prot/etc/a.conf"')
wb=$(tail -n +"$((mark + 1))" "$PF_LOG" | grep -c -F '"path":"/prot/etc/b.conf"')
[ $((written + wb + gdeny)) -eq $((N + 1)) ] &&
	ok "counts add up: $written + $wb written + $gdeny in log-gap == $N + 1 denials" ||
	not_ok "counts add up" "written=$written b=$wb gap_deny=$gdeny N=$N + 1: $(echo "$gap" | cut -c 1-400)"
echo "$gap" | grep -q '"from":"[0-9T:.Z-]*","to":"[0-9T:.Z-]*"' && ok "log-gap: from and to" ||
	not_ok "log-gap: from and to" "$(echo "$gap" | cut -c 1-300)"
wait_metric permafrost_audit_log_unwritable 0 && ok "metrics: unwritable 0 again" ||
	not_ok "metrics: unwritable 0" "$(grep audit_log "$M")"
[ "$(metric permafrost_audit_log_missed_total)" -ge "$gdeny" ] && ok "metrics: missed_total $(metric permafrost_audit_log_missed_total)" ||
	not_ok "metrics: missed_total" "$(grep audit_log "$M")"
out=$(permafrost status 2>&1)
echo "$out" | grep -q "^Log outage:" && not_ok "status: outage line gone" "$out" || ok "status: no outage line once writable"
expect EPERM "still enforcing after the outage" pfop write /prot/etc/a.conf x
expect_event "and logging again" '"decision":"deny"' '"path":"/prot/etc/a.conf"'
verify_ok "log verify: intact across the outage"
sl=$(grep -a "log-gap mode=" /tmp/syslog-full.txt | tail -n 1)
echo "$sl" | grep -q "missed_by_decision=.*deny=$gdeny" && ok "syslog: the log-gap record's copy (deny=$gdeny)" ||
	not_ok "syslog: the log-gap record's copy" "$(grep -a -c . /tmp/syslog-full.txt) lines; last log-gap: $sl"

# --- 2b. kill -9 in an outage: its counts are kept in the kernel -----------------
# Audit mode: the agent may be killed (the kill is a would-deny record too).
pf_thaw >/dev/null 2>&1
check "freeze --audit (the disk full again)" permafrost freeze --audit --reason "kill -9 in an outage"
dd if=/dev/zero of=/fullfs/filler bs=1024 count=128 2>/dev/null
pfop write /fullfs/filler2 x >/dev/null 2>&1
mark=$(wc -l < "$PF_LOG")
N2=500 N3=200
out=$(pfop burst /prot/etc/a.conf $N2)
echo "$out" | grep -q "^BURST n=$N2 opened=$N2 " && ok "audit, disk full: $N2 writes (would-deny)" ||
	not_ok "audit, disk full: $N2 writes" "$out"
# until the agent has written or counted them all (at most 10 s)
i=0
while [ $i -lt 100 ]; do
	c=$(permafrost status 2>&1 | sed -n 's/^Log outage:.*: \([0-9]*\) records counted.*/\1/p')
	w=$(tail -n +"$((mark + 1))" "$PF_LOG" | grep -c -F '"path":"/prot/etc/a.conf"')
	[ $((${c:-0} + w)) -ge "$N2" ] && break
	sleep 0.1; i=$((i + 1))
done
[ $((${c:-0} + w)) -ge "$N2" ] && ok "the agent counted $c records in the outage ($w written before it)" ||
	not_ok "outage counted" "status says ${c:-nothing}, $w written"
kill -9 "$(cat /tmp/permafrostd.pid)" && ok "kill -9 of the agent in the outage" || not_ok "kill -9" "refused"
sleep 0.1
start_agent && ok "an agent starts on the full disk" || not_ok "an agent starts on the full disk" "$(tail -n 3 "$PF_AGENT_OUT")"
grep -q "kept in the kernel" "$PF_AGENT_OUT" && ok "the new agent found the kept outage" ||
	not_ok "kept outage found" "$(tail -n 3 "$PF_AGENT_OUT")"
out=$(pfop burst /prot/etc/a.conf $N3)
echo "$out" | grep -q "^BURST n=$N3 opened=$N3 " && ok "and $N3 more" || not_ok "$N3 more" "$out"
sleep 1
rm -f /fullfs/filler /fullfs/filler2
i=0
while [ $i -lt 100 ] && [ "$(tail -n +"$((mark + 1))" "$PF_LOG" | grep -c -F '"decision":"log-gap"')" -eq 0 ]; do
	sleep 0.1; i=$((i + 1))
done
ngap=$(tail -n +"$((mark + 1))" "$PF_LOG" | grep -c -F '"decision":"log-gap"')
[ "$ngap" -eq 1 ] && ok "space freed: one log-gap record for the outage across the kill" ||
	not_ok "one log-gap record" "$ngap"
gap=$(tail -n +"$((mark + 1))" "$PF_LOG" | grep -F '"decision":"log-gap"' | tail -n 1)
gwd=$(echo "$gap" | sed -n 's/.*"missed_by_decision":{[^}]*"would-deny":\([0-9]*\).*/\1/p')
gwd=${gwd:-0}
written=$(tail -n +"$((mark + 1))" "$PF_LOG" | grep -c -F '"path":"/prot/etc/a.conf"')
# the kill -9 itself is one more would-deny (op kill), delivered to the next agent
[ $((written + gwd)) -eq $((N2 + N3 + 1)) ] &&
	ok "counts add up across the kill: $written written + $gwd in log-gap == $N2 + $N3 + 1 (the kill)" ||
	not_ok "counts add up across the kill" "written=$written gap_would_deny=$gwd N2=$N2 N3=$N3: $(echo "$gap" | cut -c 1-400)"
sl=$(grep -a "log-gap mode=" /tmp/syslog-full.txt | tail -n 1)
echo "$sl" | grep -q "would-deny=$gwd" && ok "syslog: its copy (would-deny=$gwd)" ||
	not_ok "syslog: the copy of the log-gap across the kill" "$sl"
verify_ok "log verify: intact across the outage and the kill"
pf_thaw >/dev/null 2>&1
stop_agent
kill "$SYSLOGD" 2>/dev/null
PF_LOG=/var/log/permafrost/audit.log

# --- 3. kill -9 in the middle of batches ---------------------------------------------
# The first kill comes during the flood; each restarted agent finds
# thousands of samples waiting in the pinned ring and drains them batch
# after batch: the next kill lands in the middle of that.
write_policy off
require_agent
check "freeze --audit" permafrost freeze --audit --reason "kill -9 in batches"
N=30000
mark=$(wc -l < "$PF_LOG")
pfop burst /prot/etc/b.conf $N > /tmp/burst-k.out &
BURST=$!
kills=0
for t in 1 2 3; do
	sleep 0.5
	kill -9 "$(cat /tmp/permafrostd.pid)" && kills=$((kills + 1))
	sleep 0.1
	start_agent || break
done
wait $BURST
grep -q "^BURST n=$N opened=$N " /tmp/burst-k.out && ok "burst finished, $kills kill -9 in it and in the drains after" ||
	not_ok "burst with kills" "$(cat /tmp/burst-k.out)"
kill -0 "$(cat /tmp/permafrostd.pid)" 2>/dev/null || require_agent
# Every kernel event carries boot_ns: the kills are tamper events (audit
# mode: allowed and logged), delivered or counted lost like the rest.
delivered_lost() {
	_d=$(tail -n +"$((mark + 1))" "$PF_LOG" | grep -c -F '"boot_ns":')
	_l=$(tail -n +"$((mark + 1))" "$PF_LOG" | grep -F '"decision":"lost"' | sed -n 's/.*"count":\([0-9]*\),.*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
	echo "$_d $_l"
}
# until the agent has drained the ring (the sum still for 3 s), at most 120 s
prev=""; i=0; still=0
while [ $i -lt 120 ] && [ $still -lt 3 ]; do
	sleep 1; i=$((i + 1))
	cur=$(delivered_lost)
	[ "$cur" = "$prev" ] && still=$((still + 1)) || still=0
	prev=$cur
done
set -- $cur
delivered=$1 lost=$2
verify_ok "log verify: intact after $kills kill -9 in batches"
[ $((delivered + lost)) -eq $((N + kills)) ] &&
	ok "kill -9 in batches: delivered $delivered + lost $lost == generated $N + $kills kills" ||
	not_ok "kill -9 in batches: delivered + lost == generated" "delivered=$delivered lost=$lost N=$N kills=$kills"
dups=$(tail -n +"$((mark + 1))" "$PF_LOG" | sed -n 's/.*"tid":\([0-9]*\).*"boot_ns":\([0-9]*\).*/\1 \2/p' | sort | uniq -d | wc -l)
[ "$dups" -eq 0 ] && ok "kill -9 in batches: no event twice" || not_ok "kill -9 in batches: duplicates" "$dups events twice"
grep "already in the log" "$PF_AGENT_OUT" | sed 's/^/# /'
pf_thaw >/dev/null 2>&1
stop_agent

# --- 4. rotation while enforcing: link, new file, compression in a thread --------
# The agent's thread (same tgid) links, renames and unlinks in the protected
# log directory; nothing of it may be refused or lost.
write_policy enforce "log-max-size 64K" "log-keep 2"
require_agent
check "freeze (rotation)" permafrost freeze --reason "rotation while enforcing"
N=1500
out=$(pfop burst /prot/etc/a.conf $N)
echo "$out" | grep -q "^BURST n=$N opened=0 denied=$N " && ok "enforce: $N writes refused" || not_ok "enforce burst" "$out"
sleep 3
[ -e "$PF_LOG.1.gz" ] && [ ! -e "$PF_LOG.1" ] && gzip -t "$PF_LOG.1.gz" &&
	ok "rotation in enforce mode: .1.gz in place, valid gzip, no uncompressed .1 left" ||
	not_ok "rotation in enforce mode" "$(ls -l "$(dirname "$PF_LOG")")"
grep -q "rotation failed\|compressing the rotated file failed" "$PF_AGENT_OUT" &&
	not_ok "no rotation or compression failure" "$(grep 'rotation failed\|compressing' "$PF_AGENT_OUT" | tail -n 2)" ||
	ok "no rotation or compression failure reported"
no_event "no self-protection denial of the agent's own rotation" '"decision":"deny"' '"path":"/var/log/permafrost'
verify_ok "log verify: intact across rotations in enforce mode"
pf_thaw >/dev/null 2>&1
stop_agent
