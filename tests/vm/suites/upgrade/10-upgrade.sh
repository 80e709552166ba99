# An agent upgrade on a frozen host: the running agent is replaced by another
# build (build/next: the same source with other BPF instruction encodings,
# so other program tags), as a package's try-restart does. Enforcement must
# never lapse: the old pinned set keeps refusing while no agent runs, and the
# new agent attaches its programs before it removes the old links. The maps
# (rules, approvals, counters, ring) are adopted, not rebuilt.
. "$PF_LIB"

NEXT=/usr/sbin/permafrostd-next
NLINKS=$PF_NLINKS
[ -x "$NEXT" ] || { not_ok "upgrade: the next build is in the image" "build it with 'make next'"; exit 1; }
ok "upgrade: the next build is in the image"

mkdir -p /prot/etc
printf 'a\n' > /prot/etc/a.conf
pf_keys_setup
# self-protect no: a frozen, self-protected agent refuses to be stopped (the
# package refuses the upgrade of a frozen host up front); this suite tests
# the kernel side of the replacement.
cat > "$PF_POLICY" <<POL
allowed-signers $PF_SIGNERS
protect /prot/etc
self-protect no
POL
require_agent
check "freeze" permafrost freeze --reason "upgrade test"
OLD_SET=$(ls /sys/fs/bpf/permafrost | grep '^links-')
tags() { bpftool prog show 2>/dev/null | sed -n 's/.* tag \([0-9a-f]*\).*/\1/p' | sort | tr '\n' ' '; }
TAGS_OLD=$(tags)
[ "$(echo "$OLD_SET" | grep -c .)" -eq 1 ] && ok "one pinned link set before ($OLD_SET)" || not_ok "one pinned set before" "$OLD_SET"

# A writer that tries all along: stop, no agent, start of the next build,
# its attach and the removal of the old links.
rm -f /tmp/stop-writer
(
	n=0 got=0
	while [ ! -e /tmp/stop-writer ]; do
		[ "$(pfop write /prot/etc/a.conf x)" = OK ] && got=$((got + 1))
		n=$((n + 1))
	done
	echo "$n $got" > /tmp/writer.out
) &
W=$!
sleep 1
stop_agent
kill -0 "$(cat /tmp/permafrostd.pid)" 2>/dev/null && not_ok "the old agent stopped" "still running" || ok "the old agent stopped"
expect EPERM "no agent: the pinned programs still refuse" pfop write /prot/etc/a.conf y
PF_AGENT_BIN=$NEXT require_agent
sleep 1
: > /tmp/stop-writer
wait $W
read -r n got < /tmp/writer.out
[ "$n" -gt 0 ] && [ "$got" -eq 0 ] && ok "no write got through during the whole upgrade ($n attempts)" ||
	not_ok "no write got through during the upgrade" "$got of $n attempts succeeded"
expect_content "content unchanged" /prot/etc/a.conf "a
"

NEW_SET=$(ls /sys/fs/bpf/permafrost | grep '^links-')
[ "$(echo "$NEW_SET" | grep -c .)" -eq 1 ] && [ "$NEW_SET" != "$OLD_SET" ] &&
	ok "the old set is gone, one new set pinned ($NEW_SET)" || not_ok "pinned sets after the upgrade" "before $OLD_SET, after: $NEW_SET"
n=$(ls "/sys/fs/bpf/permafrost/$NEW_SET" | grep -c .)
[ "$n" -eq "$NLINKS" ] && ok "the new set is complete ($n links)" || not_ok "the new set is complete" "$n links, want $NLINKS"
TAGS_NEW=$(tags)
[ -n "$TAGS_NEW" ] && [ "$TAGS_NEW" != "$TAGS_OLD" ] && ok "the programs are the next build's (other tags)" ||
	not_ok "the programs are the next build's" "tags unchanged: $TAGS_NEW"
i=0
while [ $i -lt 50 ] && [ "$(bpftool prog show 2>/dev/null | grep -c 'name file_open')" -ne 1 ]; do sleep 0.2; i=$((i + 1)); done
[ "$(bpftool prog show 2>/dev/null | grep -c 'name file_open')" -eq 1 ] && ok "the old programs are unloaded (one file_open left)" ||
	not_ok "old programs unloaded" "$(bpftool prog show 2>/dev/null | grep -c 'name file_open') file_open programs"
log_lacks "no tamper record for the pins" "$PF_LOG" '"decision":"tamper"' '"op":"pins"'
out=$(permafrost status)
echo "$out" | grep -q '^Mode: *enforce' && ok "still frozen after the upgrade" || not_ok "still frozen after the upgrade" "$out"
expect EPERM "the next build refuses" pfop write /prot/etc/a.conf z
expect_event "the next build logs the denial" '"decision":"deny"' '"path":"/prot/etc/a.conf"' '"comm":"pfop"'
check "log verify" permafrost log verify --file "$PF_LOG"
pf_thaw >/dev/null 2>&1
stop_agent
