# Self-protection, part 2: while frozen, root can neither switch
# Permafrost off, blind it nor walk around it; every attempt is refused
# and logged as tamper. The agent stays running (frozen) for part 3: the
# harness's SIGKILL at the end of this case is refused too.
. "$PF_SUITE_DIR/setup.inc"

agent_up
SET=$(ls -d $PIN/links-* 2>/dev/null | head -n 1)
# --- enforce --------------------------------------------------------------------
check "freeze (enforce)" permafrost freeze --reason "selfprot enforce"
expect EPERM "enforce: protected file refused (sanity)" pfop write /prot/etc/app.conf x

# BPF objects
bpftool map create /sys/fs/bpf/other type hash key 4 value 4 entries 8 name other >/dev/null 2>&1
out=$(bpftool map list 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q 'name other' && ! echo "$out" | grep -q 'name pf_config_map' && ok "enforce: bpftool map list works (ours are hidden: ENOENT)" || not_ok "bpftool map list" "rc=$rc $(echo "$out" | tail -n 2)"
# our map ids, from our program's info
ID=$(bpftool prog show name file_open 2>/dev/null | sed -n 's/.*map_ids \([0-9]*\).*/\1/p' | head -n 1)
out=$(bpftool prog list 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q 'file_open' && ok "enforce: bpftool prog list works" || not_ok "bpftool prog list" "rc=$rc $(echo "$out" | tail -n 2)"
out=$(bpftool map update pinned $MAPS/rules key hex 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 value hex 02 00 00 00 00 00 00 00 2>&1); rc=$?
[ $rc != 0 ] && echo "$out" | grep -qi 'operation not permitted' && ok "enforce: bpftool map update of the pinned rules map refused" || not_ok "map update pinned" "rc=$rc $out"
out=$(bpftool map delete id "$ID" key hex 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 2>&1); rc=$?
[ -n "$ID" ] && [ $rc != 0 ] && echo "$out" | grep -qi 'no such file' && ok "enforce: map get-fd-by-id of our map refused (ENOENT)" || not_ok "map by id" "id=$ID rc=$rc $out"
expect_event "enforce: map access logged as tamper" '"decision":"tamper"' '"op":"bpf-object"'
out=$(bpftool map show pinned /sys/fs/bpf/other 2>&1) &&
	bpftool map update pinned /sys/fs/bpf/other key 1 0 0 0 value 2 0 0 0 &&
	bpftool map lookup pinned /sys/fs/bpf/other key 1 0 0 0 | grep -q '02 00 00 00' &&
	ok "enforce: another BPF user creates and updates its own map" || not_ok "other BPF user" "$out"
rm -f /sys/fs/bpf/other
LID=$(bpftool link list 2>/dev/null | awk -F: '/prog/{print $1; exit}')
out=$(bpftool link detach id "$LID" 2>&1); rc=$?
[ -n "$LID" ] && [ $rc != 0 ] && ok "enforce: our LSM link cannot be detached ($(echo $out | head -c 60))" || not_ok "link detach" "id=$LID rc=$rc $out"
expect EPERM "enforce: still enforcing after the detach attempt" pfop write /prot/etc/app.conf x

# Pins and the filesystems they live on
expect EPERM "enforce: unlink a link pin" pfop unlink "$SET/file_open"
expect EPERM "enforce: unlink a map pin" pfop unlink "$MAPS/rules"
expect EPERM "enforce: rename the pin dir" pfop rename "$PIN" /sys/fs/bpf/moved
expect EPERM "enforce: rmdir a link set" pfop rmdir "$SET"
expect_event "enforce: pin removal logged as tamper" '"decision":"tamper"' '"op":"unlink"' 'file_open"'
expect EPERM "enforce: umount /sys/fs/bpf" pfop umount /sys/fs/bpf
expect EPERM "enforce: mount tmpfs over the pin dir" pfop mount-tmpfs "$PIN"
expect EPERM "enforce: mount tmpfs over /sys/fs/bpf" pfop mount-tmpfs /sys/fs/bpf
expect EPERM "enforce: umount securityfs" pfop umount /sys/kernel/security
expect_event "enforce: umount logged as tamper" '"decision":"tamper"' '"op":"umount"'
[ -e "$SET/file_open" ] && [ -e "$MAPS/rules" ] && ok "enforce: pins intact" || not_ok "pins intact" "$(ls $SET $MAPS)"

# Own files
h=$(hash_of "$PF_POLICY")
expect EPERM "enforce: edit the policy" pfop write "$PF_POLICY" "protect /"
expect_same_hash "enforce: policy unchanged" "$PF_POLICY" "$h"
expect_event "enforce: policy edit logged as tamper" '"decision":"tamper"' '"op":"open-write"' 'pf.conf"'
expect EPERM "enforce: edit allowed_signers" pfop write "$PF_SIGNERS" "mallory x"
# another host's identity would let this one accept tokens meant for it
expect EPERM "enforce: rewrite /etc/machine-id" pfop write /etc/machine-id fedcba9876543210fedcba9876543210
expect EPERM "enforce: replace /etc/hostname" pfop unlink /etc/hostname
expect_event "enforce: host identity edit logged as tamper" '"decision":"tamper"' '"path":"/etc/machine-id"'
expect EPERM "enforce: create in the state dir" pfop create "$PF_STATE/evil"
expect EPERM "enforce: delete the freeze state" sh -c "for f in $PF_STATE/*; do pfop unlink \$f; break; done"
expect EPERM "enforce: truncate the audit log" pfop truncate "$PF_LOG" 0
expect EPERM "enforce: rename the audit log" pfop rename "$PF_LOG" /var/log/permafrost/old
expect EPERM "enforce: unlink the agent binary" pfop unlink /usr/sbin/permafrostd
cp /bin/busybox /usr/sbin/fake-agent
expect EPERM "enforce: rename over the agent binary" pfop rename /usr/sbin/fake-agent /usr/sbin/permafrostd
expect_event "enforce: binary swap logged as tamper" '"decision":"tamper"' '"op":"rename"' 'permafrostd"'
n1=$(wc -l < "$PF_LOG")
pfop write /prot/etc/app.conf y >/dev/null
sleep 1
n2=$(wc -l < "$PF_LOG")
[ "$n2" -gt "$n1" ] && ok "enforce: the agent still writes its own log" || not_ok "agent writes its log" "$n1 -> $n2"

# The agent process
for s in 9 15 2 3 19 20 10 6; do
	expect EPERM "enforce: signal $s to the agent" pfop kill "$AGENT" $s
done
expect OK "enforce: SIGHUP (reload) to the agent" pfop kill "$AGENT" 1
expect OK "enforce: signal 0 (exists?) to the agent" pfop kill "$AGENT" 0
kill -0 "$AGENT" && ok "enforce: agent alive after the signals" || not_ok "agent alive" "gone"
expect_event "enforce: signal logged as tamper" '"decision":"tamper"' '"op":"signal"'
expect EPERM "enforce: ptrace attach to the agent" pfop ptrace-attach "$AGENT"
expect EPERM "enforce: ptrace seize the agent" pfop ptrace-seize "$AGENT"
# (the kernel turns the ptrace refusal into EACCES here; OK when off, above)
expect EACCES "enforce: open /proc/AGENT/mem read-write" pfop mem-open "$AGENT"
expect EPERM "enforce: process_vm_writev into the agent" pfop vm-write "$AGENT"
[ "$(readlink /proc/$AGENT/exe)" = /usr/sbin/permafrostd ] && ok "enforce: read-mode access (/proc/AGENT/exe for ps) still works" || not_ok "read-mode access" "$(readlink /proc/$AGENT/exe 2>&1)"
expect_event "enforce: ptrace logged as tamper" '"decision":"tamper"' '"op":"ptrace"'
[ "$(cat /proc/$AGENT/oom_score_adj)" = -1000 ] && ok "enforce: agent oom_score_adj -1000" || not_ok "oom_score_adj" "$(cat /proc/$AGENT/oom_score_adj)"
expect EPERM "enforce: prctl PR_SET_MM_EXE_FILE" pfop prctl-exe /usr/sbin/permafrostd
# cgroup.kill exists from 5.14: on 5.10 there is nothing to refuse
case $(uname -r) in
5.10.*) expect ENOENT "enforce: 5.10 has no cgroup.kill" pfop write /sys/fs/cgroup/pfagent/cgroup.kill 1 ;;
*) expect EPERM "enforce: cgroup.kill of the agent's cgroup" pfop write /sys/fs/cgroup/pfagent/cgroup.kill 1 ;;
esac
expect EPERM "enforce: cgroup.freeze of the agent's cgroup" pfop write /sys/fs/cgroup/pfagent/cgroup.freeze 1
expect_event "enforce: cgroup.kill logged as tamper" '"decision":"tamper"' '"op":"cgroup-kill"'
kill -0 "$AGENT" && ok "enforce: agent alive after the cgroup writes" || not_ok "agent alive" "gone"
# Moved to another cgroup, the agent records the new one within a second.
mkdir -p /sys/fs/cgroup/moved
echo "$AGENT" > /sys/fs/cgroup/moved/cgroup.procs
sleep 3
case $(uname -r) in
5.10.*) expect EPERM "enforce: cgroup.freeze of the cgroup the agent was moved to" pfop write /sys/fs/cgroup/moved/cgroup.freeze 1 ;;
*) expect EPERM "enforce: cgroup.kill of the cgroup the agent was moved to" pfop write /sys/fs/cgroup/moved/cgroup.kill 1 ;;
esac
expect OK "enforce: the agent's former cgroup is no longer guarded (cgroup.freeze 0)" pfop write /sys/fs/cgroup/pfagent/cgroup.freeze 0
kill -0 "$AGENT" && ok "enforce: agent alive after the move" || not_ok "agent alive after the move" "gone"
echo "$AGENT" > /sys/fs/cgroup/pfagent/cgroup.procs

# The agent binary with loader variables is not trusted.
env LD_PRELOAD=/nonexistent.so permafrostd --version >/dev/null 2>&1
expect_event "enforce: agent exec'd with LD_PRELOAD logged as tamper" '"decision":"tamper"' '"op":"agent-exec"'

# Kernel lock
expect EPERM "enforce: finit_module refused" pfop finit-module "$KO"
expect EPERM "enforce: init_module refused" pfop init-module "$KO"
expect EPERM "enforce: kexec_file_load refused" pfop kexec-file-load /tmp/bogus.kernel
expect_event "enforce: module load logged as tamper" '"decision":"tamper"' '"op":"module-load"'
expect_event "enforce: kexec logged as tamper" '"decision":"tamper"' '"op":"kexec-load"'

