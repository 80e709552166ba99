#!/bin/bash
# An SRE's walk-through of Permafrost as installed from its .deb on a Debian
# 12 host booted with systemd as PID 1 (tests/vm/host/run.sh builds the
# host and boots it). Runs as a oneshot unit once per boot:
#   boot 1: start, status, doctor, policy, freeze, refused writes, check,
#           log, log verify, an approval, reload and restart (and stop and
#           start) while frozen with a writer trying all along, the unit's
#           hardening score; then a reboot while frozen.
#   boot 2: the freeze is back before the units that could write, the gap
#           is measured, no noise from systemd's sandboxes, thaw, restart
#           while thawed, AI agents (an exe= agent through su, sudo, systemd-run
#           and D-Bus; a unit= agent run by systemd), purge; then poweroff.
# TAP lines go to the console and to $OUTF, which the harness reads from
# the disk image afterwards.
set -u
T=/var/lib/pf-test
OUTF=$T/out
PHASE=$(cat $T/phase 2>/dev/null || echo 1)
exec > >(tee -a "$OUTF") 2>&1

. /usr/local/lib/pf-test/lib.sh
PF_POLICY=/etc/permafrost/permafrost.conf
PF_LOG=/var/log/permafrost/audit.log
PF_KEYS=/root/pf-keys
PF_SIGNERS=$PF_KEYS/allowed_signers
UNIT=permafrostd.service

echo "# walk-through phase $PHASE on $(uname -r), systemd $(systemctl --version | head -n 1 | awk '{print $2}')"

# --- helpers -----------------------------------------------------------------
# count DECISION: audit records with that decision
count() { grep -c "\"decision\":\"$1\"" "$PF_LOG" 2>/dev/null || true; }
main_pid() { systemctl show -p MainPID --value "$UNIT"; }
status_pid() { permafrost --json status 2>/dev/null | sed -n 's/.*"agent_pid": *"\{0,1\}\([0-9]*\).*/\1/p' | head -n 1; }
status_mode() { permafrost --json status 2>/dev/null | sed -n 's/.*"mode": *"\([a-z]*\)".*/\1/p' | head -n 1; }
# eq NAME GOT WANT
eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got '$2', want '$3'"; fi; }
# wait_active: the unit is active and the agent answers (60 s)
wait_active() {
	local end=$(($(date +%s) + 60))
	while [ "$(date +%s)" -lt $end ]; do
		[ "$(systemctl is-active "$UNIT")" = active ] && [ -n "$(status_pid)" ] && return 0
		sleep 0.5
	done
	return 1
}
# A writer that tries to change a protected file in a loop until
# /run/pf-writer.stop exists; each success is a leak.
start_writer() {
	rm -f /run/pf-writer.stop /run/pf-writer.leaks /run/pf-writer.tries
	(
		n=0
		while [ ! -e /run/pf-writer.stop ]; do
			if echo "leak $n" >>/opt/app/other.conf 2>/dev/null; then echo "$n" >>/run/pf-writer.leaks; fi
			n=$((n + 1))
			echo "$n" >/run/pf-writer.tries
			sleep 0.05
		done
	) &
	WRITER=$!
}
stop_writer() {
	touch /run/pf-writer.stop
	wait "$WRITER" 2>/dev/null
}
# units_before UNIT: services that left "inactive" before UNIT became active
units_before() {
	local t u x
	t=$(systemctl show -p ActiveEnterTimestampMonotonic --value "$1")
	systemctl list-units --type=service --all --no-legend --plain | awk '{print $1}' | while read -r u; do
		x=$(systemctl show -p InactiveExitTimestampMonotonic --value "$u")
		[ -n "$x" ] && [ "$x" != 0 ] && [ "$x" -lt "$t" ] && echo "$u"
	done
}

phase1() {
	# --- the package as installed ----------------------------------------------
	# The package enables the unit for boot and does not start it; this is
	# the first boot since the install, so it runs, thawed (mode off).
	eq "the unit is enabled for boot" "$(systemctl is-enabled $UNIT)" enabled
	check "systemctl start permafrostd" systemctl start $UNIT
	eq "the unit is active" "$(systemctl is-active $UNIT)" active
	pid=$(main_pid)
	eq "systemd's MainPID is the agent answering on the socket" "$(status_pid)" "$pid"
	# capabilities are per thread: the main thread keeps CAP_BPF and
	# CAP_DAC_READ_SEARCH (bits 39 and 2), the log's compressor threads
	# none (under the unit's system-call filter too)
	caps=$(for t in /proc/"$pid"/task/*; do
		awk -v main="$pid" -v tid="${t##*/}" '/^CapEff:/ { print (tid == main ? "main" : "thread") "=" $2 }' "$t/status"
	done | sort | uniq -c | tr -s ' \n' ' ')
	eq "the agent's threads under systemd: capabilities" "$caps" " 1 main=0000008000000004 2 thread=0000000000000000 "
	eq "status: mode off" "$(status_mode)" off
	[ -d $PF_MAPS_DIR ] && ok "maps pinned in /sys/fs/bpf/permafrost" ||
		not_ok "maps pinned" "$(ls -R /sys/fs/bpf 2>&1 | head -n 5)"

	# --- policy and approvers, as an SRE edits them -----------------------------
	mkdir -p /opt/app
	echo "listen 80" >/opt/app/app.conf
	echo "other" >/opt/app/other.conf
	pf_keys_setup
	cp "$PF_SIGNERS" /etc/permafrost/allowed_signers
	echo "protect /opt/app" >>"$PF_POLICY"
	check "policy check of the edited policy" permafrost policy check "$PF_POLICY"
	check "systemctl reload (thawed)" systemctl reload $UNIT
	out=$(permafrost doctor 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && ! grep -q FAIL <<<"$out"; then ok "permafrost doctor: no FAIL"; else not_ok "permafrost doctor" "rc $rc: $(grep -E 'FAIL|warn' <<<"$out" | head -n 3 | tr '\n' ' ')"; fi
	grep -E '^ *(ok|warn|FAIL)' <<<"$out" | sed 's/^/# doctor: /'
	sleep 1
	expect_event "reload is one policy-reload record" '"decision":"policy-reload"'

	# --- freeze ---------------------------------------------------------------------
	check "permafrost freeze" permafrost freeze --reason "walk-through CHG-1"
	eq "status: mode enforce" "$(status_mode)" enforce
	h_app=$(hash_of /opt/app/app.conf)
	h_true=$(hash_of /usr/bin/true)
	expect EPERM "frozen: root cannot write /opt/app/app.conf" pfop open-write /opt/app/app.conf
	expect EPERM "frozen: root cannot replace /usr/bin/true" pfop rename /opt/app/other.conf /usr/bin/true
	expect EPERM "frozen: root cannot create /usr/sbin/evil" pfop create /usr/sbin/evil
	expect EPERM "frozen: root cannot change /etc/systemd/system.conf" pfop open-write /etc/systemd/system.conf
	if echo x >>/opt/app/app.conf 2>/dev/null; then not_ok "frozen: the shell's >> is refused" "it wrote"; else ok "frozen: the shell's >> is refused"; fi
	expect_same_hash "frozen: /opt/app/app.conf unchanged" /opt/app/app.conf "$h_app"
	expect_same_hash "frozen: /usr/bin/true unchanged" /usr/bin/true "$h_true"
	permafrost check /opt/app/app.conf >/dev/null 2>&1
	eq "permafrost check: exit 4 (protected)" "$?" 4
	expect_event "the denial is in the audit log" '"decision":"deny"' '"path":"/opt/app/app.conf"'
	out=$(permafrost log --decision deny 2>&1)
	grep -q /opt/app/app.conf <<<"$out" && ok "permafrost log --decision deny shows it" || not_ok "permafrost log" "$(head -n 3 <<<"$out")"
	check "permafrost log verify: intact" permafrost log verify

	# --- an approved change -------------------------------------------------------
	new_token /root/chg.tok --path /opt/app/app.conf --ttl 10m
	sign_token /root/chg.tok alice
	check "permafrost approve (one signature, approvals 1)" permafrost approve /root/chg.tok
	expect OK "approved: /opt/app/app.conf can be written" pfop write /opt/app/app.conf "listen 8080"
	expect EPERM "approved: /opt/app/other.conf still cannot" pfop open-write /opt/app/other.conf
	expect_event "the approved write is logged with its token" '"decision":"approved"' '"path":"/opt/app/app.conf"'

	# --- reload, stop, start and restart while frozen, a writer trying throughout --
	tamper0=$(count tamper)
	stop0=$(count agent-stop)
	start0=$(count agent-start)
	reload0=$(count policy-reload)
	h_other=$(hash_of /opt/app/other.conf)
	start_writer
	sleep 1
	pid=$(main_pid)
	check "frozen: systemctl reload" systemctl reload $UNIT
	sleep 1
	eq "frozen: reload keeps the same agent" "$(main_pid)" "$pid"
	eq "frozen: reload is one policy-reload record" "$(count policy-reload)" $((reload0 + 1))
	check "frozen: systemctl stop" systemctl stop $UNIT
	eq "frozen: stopped unit is inactive" "$(systemctl is-active $UNIT)" inactive
	kill -0 "$pid" 2>/dev/null && not_ok "frozen: the agent exited" "pid $pid alive" || ok "frozen: the agent exited"
	sleep 1
	expect EPERM "frozen, agent stopped: the kernel still refuses" pfop open-write /opt/app/other.conf
	check "frozen: systemctl start" systemctl start $UNIT
	wait_active
	eq "frozen: started again, MainPID is the agent" "$(status_pid)" "$(main_pid)"
	pid=$(main_pid)
	check "frozen: systemctl restart" systemctl restart $UNIT
	wait_active
	npid=$(main_pid)
	[ "$npid" != "$pid" ] && [ "$npid" != 0 ] && ok "frozen: restart made a new agent (pid $pid -> $npid)" || not_ok "frozen: restart made a new agent" "MainPID $pid -> $npid"
	eq "frozen: after restart MainPID is the agent answering" "$(status_pid)" "$npid"
	eq "frozen: after restart is-active" "$(systemctl is-active $UNIT)" active
	eq "frozen: still enforcing after restart" "$(status_mode)" enforce
	sleep 2
	stop_writer
	tries=$(cat /run/pf-writer.tries 2>/dev/null || echo 0)
	[ "$tries" -gt 20 ] && ok "writer tried $tries times throughout" || not_ok "writer ran" "$tries tries"
	[ ! -s /run/pf-writer.leaks ] && ok "no write got through during reload, stop, start, restart" || not_ok "no write got through" "leaks at tries $(tr '\n' ' ' </run/pf-writer.leaks)"
	expect_same_hash "frozen: /opt/app/other.conf unchanged" /opt/app/other.conf "$h_other"
	eq "frozen: each stop is one agent-stop record" "$(count agent-stop)" $((stop0 + 2))
	eq "frozen: each start is one agent-start record" "$(count agent-start)" $((start0 + 2))
	eq "frozen: no tamper record from systemd's stop, start, restart" "$(count tamper)" "$tamper0"
	expect_event "frozen: the restarted agent adopted the pinned programs" '"decision":"agent-adopt"'
	check "permafrost log verify after the restarts" permafrost log verify
	nr=$(systemctl show -p NRestarts --value $UNIT)
	eq "no automatic restarts (NRestarts)" "$nr" 0

	# --- root tries to restart the agent into another view ------------------------
	# A runtime drop-in that mounts a stand-in over a protected tree in the
	# agent's own namespace, then a restart: the new agent must not protect
	# the stand-in instead of the real tree. It refuses to start; the pinned
	# programs keep enforcing.
	mkdir -p /root/fake-app /run/systemd/system/$UNIT.d
	echo "fake" >/root/fake-app/other.conf
	tamper0=$(count tamper)
	printf '[Service]\nBindReadOnlyPaths=/root/fake-app:/opt/app\n' >/run/systemd/system/$UNIT.d/evil.conf
	systemctl daemon-reload
	systemctl restart $UNIT >/dev/null 2>&1
	sleep 3
	[ -z "$(status_pid)" ] && ok "a drop-in binding a stand-in over /opt/app: the agent refuses to start" ||
		not_ok "a drop-in binding a stand-in over /opt/app: the agent refuses to start" "it answers (pid $(status_pid))"
	expect EPERM "agent refusing: the kernel still refuses writes to /opt/app" pfop open-write /opt/app/other.conf
	expect_event "the refusal is a tamper record naming the view" '"decision":"tamper"' '"op":"view"' '/opt/app'
	printf '[Service]\nStateDirectory=\nTemporaryFileSystem=/var/lib/permafrost\n' >/run/systemd/system/$UNIT.d/evil.conf
	systemctl daemon-reload
	systemctl restart $UNIT >/dev/null 2>&1
	sleep 3
	[ -z "$(status_pid)" ] && ok "a drop-in hiding the state directory: the agent refuses to start" ||
		not_ok "a drop-in hiding the state directory: the agent refuses to start" "it answers (pid $(status_pid))"
	expect_event "the refusal names the state directory" '"decision":"tamper"' '"op":"view"' 'state directory'
	rm -rf /run/systemd/system/$UNIT.d
	systemctl daemon-reload
	check "drop-in removed: systemctl restart" systemctl restart $UNIT
	wait_active
	eq "drop-in removed: the agent is back, enforcing" "$(status_mode)" enforce
	# kill -9 from a root shell is tampering (only PID 1 may stop the agent)
	apid=$(main_pid)
	expect EPERM "kill -9 of the agent from a root shell is refused" pfop kill "$apid" 9
	# Entering the agent's mount namespace and mounting over an ancestor of
	# a protected tree, then a reload: refused, the freeze unchanged.
	mkdir -p /root/fake-opt/app
	out=$(nsenter -t "$apid" -m sh -c 'mount --bind /root/fake-opt /opt && echo MOUNTED' 2>&1)
	echo "# nsenter: $out"
	kill -HUP "$apid"
	sleep 2
	expect EPERM "after a mount in the agent's namespace and a reload: /opt/app still refused" pfop open-write /opt/app/other.conf
	if grep -q MOUNTED <<<"$out"; then
		expect_event "the reload in the changed namespace is refused as tamper" '"decision":"tamper"' '"op":"view"'
	else
		ok "the mount in the agent's namespace was refused ($out)"
	fi

	# --- hardening ----------------------------------------------------------------
	score=$(systemd-analyze security $UNIT 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	echo "# systemd-analyze security $UNIT: ${score:-?}"
	if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.4) }'; then ok "systemd-analyze security: exposure $score (at most 2.4)"; else not_ok "systemd-analyze security: exposure at most 2.4" "got '${score:-none}'"; fi

	# --- reboot while frozen --------------------------------------------------------
	echo 2 >$T/phase
	wc -l <"$PF_LOG" >$T/log-lines
	echo "# rebooting while frozen"
	sync
	systemctl --no-block reboot
}

# AI agents on a real host, thawed, agent-mode enforce: an exe= agent (a #!
# script) through util-linux su, and asking PID 1 (systemd-run, D-Bus) to act
# for it; a unit= agent run by systemd as a transient unit.
agents() {
	local out rc h
	cat >/usr/local/bin/fakeai <<'SCRIPT'
#!/bin/sh
# a stand-in for an AI coding agent's CLI: it runs what it is asked to
exec "$@"
SCRIPT
	chmod 755 /usr/local/bin/fakeai
	cp "$PF_POLICY" /run/pf-policy.before
	printf '%s\n' "agent fakeai exe=/usr/local/bin/fakeai" "agent ci-bot unit=deploy-bot.service" \
		"agent-mode enforce" >>"$PF_POLICY"
	check "agents: policy check" permafrost policy check "$PF_POLICY"
	check "agents: systemctl reload" systemctl reload $UNIT
	sleep 1
	expect OK "agents: a root shell writes /opt/app/other.conf (thawed)" pfop write /opt/app/other.conf "human"
	h=$(hash_of /opt/app/other.conf)
	expect EPERM "agents: the exe= agent cannot (agent-mode enforce, thawed)" fakeai pfop write /opt/app/other.conf "ai"
	expect_event "agents: its refusal names the agent and its script" '"decision":"deny"' '"path":"/opt/app/other.conf"' \
		'"agent":"fakeai"' '"agent_root_exe":"/usr/local/bin/fakeai"'
	expect EPERM "agents: nor through util-linux su (PAM)" fakeai su -s /bin/sh -c 'pfop write /opt/app/other.conf ai' root
	expect EPERM "agents: nor through sudo" fakeai sudo -n pfop write /opt/app/other.conf ai
	expect EPERM "agents: nor through sudo, setsid and a double fork" fakeai sudo -n sh -c \
		'setsid sh -c "(pfop write /opt/app/other.conf ai >/run/pf-df.out &)"; i=0; while [ ! -s /run/pf-df.out ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; cat /run/pf-df.out'
	out=$(fakeai systemd-run --wait --pipe -q -p CollectMode=inactive-or-failed pfop write /opt/app/other.conf ai 2>&1)
	rc=$?
	[ $rc -ne 0 ] && ! grep -q '^OK' <<<"$out" && ok "agents: systemd-run from the agent is refused (rc $rc: $(head -n 1 <<<"$out"))" ||
		not_ok "agents: systemd-run from the agent is refused" "rc $rc: $out"
	expect_event "agents: the refused connection to PID 1 is logged" '"op":"agent-socket"' '"agent":"fakeai"' '"comm":"systemd-run"'
	out=$(fakeai busctl --system call org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager StartUnit ss cron.service replace 2>&1)
	rc=$?
	[ $rc -ne 0 ] && ok "agents: D-Bus to the system manager (busctl) is refused (rc $rc: $(head -n 1 <<<"$out"))" ||
		not_ok "agents: D-Bus to the system manager is refused" "rc $rc: $out"
	expect_same_hash "agents: /opt/app/other.conf unchanged by the agent" /opt/app/other.conf "$h"
	# the unit= agent: whatever systemd runs in deploy-bot.service
	out=$(systemd-run --unit=deploy-bot --wait --pipe -q -p CollectMode=inactive-or-failed pfop write /opt/app/other.conf bot 2>&1)
	eq "agents: a process of deploy-bot.service (systemd-run --unit) is the unit= agent's" "$(head -n 1 <<<"$out" | awk '{print $1}')" EPERM
	expect_event "agents: its refusal names the agent and the unit" '"decision":"deny"' '"path":"/opt/app/other.conf"' \
		'"agent":"ci-bot"' '"unit":"deploy-bot.service"'
	out=$(systemd-run --unit=other-job --wait --pipe -q -p CollectMode=inactive-or-failed pfop write /opt/app/other.conf human2 2>&1)
	eq "agents: another transient unit is no agent's" "$(head -n 1 <<<"$out" | awk '{print $1}')" OK
	out=$(permafrost log --agent ci-bot 2>&1)
	grep -q '/opt/app/other.conf' <<<"$out" && ok "agents: log --agent ci-bot shows the unit's refusal" ||
		not_ok "agents: log --agent ci-bot" "$(head -c 300 <<<"$out")"
	cp /run/pf-policy.before "$PF_POLICY"
	check "agents: the policy without them, reloaded" systemctl reload $UNIT
}

phase2() {
	eq "after the reboot: the unit is active" "$(systemctl is-active $UNIT)" active
	eq "after the reboot: the freeze is back (enforce)" "$(status_mode)" enforce
	h_other=$(hash_of /opt/app/other.conf)
	expect EPERM "after the reboot: root cannot write /opt/app/other.conf" pfop open-write /opt/app/other.conf
	if dmesg | grep -q 'recovery complete'; then not_ok "no ext4 journal recovery at this boot" "$(dmesg | grep -m1 'recovery complete')"; else ok "no ext4 journal recovery at this boot"; fi
	expect_event "a gap record says the host rebooted" '"decision":"gap"' 'the host rebooted'

	# When did enforcement start, and what ran before it?
	at=$(systemctl show -p ActiveEnterTimestampMonotonic --value $UNIT)
	echo "# enforcing (READY=1) at $(awk -v t="$at" 'BEGIN { printf "%.2f", t / 1e6 }') s after the kernel started"
	echo "# $(systemctl show -p After $UNIT)"
	before=$(units_before $UNIT | tr '\n' ' ')
	echo "# services started before the agent was ready: $before"
	for u in systemd-tmpfiles-setup.service systemd-update-utmp.service dbus.service systemd-logind.service cron.service ssh.service; do
		x=$(systemctl show -p InactiveExitTimestampMonotonic --value "$u" 2>/dev/null)
		[ -n "$x" ] && [ "$x" != 0 ] || continue
		if [ "$x" -gt "$at" ]; then ok "$u starts after the freeze is in force"; else not_ok "$u starts after the freeze is in force" "$u at $x us, agent ready at $at us"; fi
	done
	sleep 2
	tail -n +$(($(cat $T/log-lines) + 1)) "$PF_LOG" >/run/pf-boot2.log
	log_lacks "boot: no deny from systemd's unit sandboxes (/run/systemd/unit-root)" /run/pf-boot2.log '"decision":"deny"' 'unit-root'
	out=$(grep -E '"decision":"(deny|tamper)"' /run/pf-boot2.log | grep -v '"comm":"pfop"')
	[ -z "$out" ] && ok "boot: no deny or tamper record but the walk-through's own" || not_ok "boot: no deny or tamper record but the walk-through's own" "$(head -c 300 <<<"$out")"
	log_lacks "boot: no tamper record" /run/pf-boot2.log '"decision":"tamper"'
	log_lacks "no clock-back record" "$PF_LOG" '"decision":"clock-back"'
	if journalctl -b -u $UNIT | grep -q 'behind the time'; then not_ok "no clock-back warning in the journal" "$(journalctl -b -u $UNIT | grep -m1 'behind the time')"; else ok "no clock-back warning in the journal"; fi
	expect_same_hash "after the reboot: /opt/app/other.conf unchanged" /opt/app/other.conf "$h_other"

	# --- thaw, restart thawed, purge ---------------------------------------------------
	check "permafrost thaw (a thaw token, two signatures)" pf_thaw
	eq "thawed: mode off" "$(status_mode)" off
	expect OK "thawed: /opt/app/other.conf can be written" pfop write /opt/app/other.conf "thawed"
	check "thawed: systemctl restart" systemctl restart $UNIT
	wait_active
	eq "thawed: after restart mode off" "$(status_mode)" off
	eq "thawed: after restart MainPID is the agent" "$(status_pid)" "$(main_pid)"
	agents

	check "permafrost log verify (both boots)" permafrost log verify
	out=$(DEBIAN_FRONTEND=noninteractive apt-get purge -y permafrost 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then ok "apt-get purge permafrost"; else not_ok "apt-get purge permafrost" "rc $rc: $(tail -n 3 <<<"$out" | tr '\n' ' ')"; fi
	eq "purged: the agent is gone" "$(systemctl is-active $UNIT)" inactive
	[ ! -e /var/lib/permafrost ] && [ ! -e /etc/permafrost ] && ok "purged: state and configuration removed" || not_ok "purged: state and configuration removed" "$(ls -d /var/lib/permafrost /etc/permafrost 2>&1)"
	[ ! -e /sys/fs/bpf/permafrost ] && ok "purged: no pinned programs left" || not_ok "purged: no pins" "$(ls /sys/fs/bpf/permafrost)"
	expect OK "purged: /usr/bin can be written again" pfop create /usr/bin/pf-purged
	echo done >$T/phase
	sync
	systemctl --no-block poweroff
}

case $PHASE in
1) phase1 ;;
2) phase2 ;;
*) echo "# nothing to do (phase $PHASE)"; systemctl --no-block poweroff ;;
esac
journalctl -b -u $UNIT --no-pager | tail -n 12 | sed 's/^/# journal: /'
echo "# phase $PHASE ends"
sync
exit 0
