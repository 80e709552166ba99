# permafrost doctor on a real kernel: each check's exact result in this VM
# (bpf in the LSM list, BTF, securityfs and bpffs mounted, root), and each
# check turned to failure by changing the VM, with the exact fix and the
# exit code.
. "$PF_LIB"

pf_keys_setup || { not_ok "ssh-keygen keys" "ssh-keygen failed"; exit 1; }
mkdir -p /prot/etc/sub
cat > "$PF_POLICY" <<POL
allowed-signers $PF_SIGNERS
protect /prot/etc
exempt  /prot/etc/sub
POL
LSMS=$(cat /sys/kernel/security/lsm)
VER=$(permafrost version | awk '{print $2}')
NLINKS=$PF_NLINKS
SPACE="                    "
FIX_TIME="fix: enable time synchronisation: systemctl enable --now systemd-timesyncd (or chrony: systemctl enable --now chrony)"
FIX_LOCKDOWN='fix: set GRUB_CMDLINE_LINUX="lockdown=integrity" in /etc/default/grub, then run: update-grub && reboot'

has_line() {
	printf '%s\n' "$2" | grep -qxF -- "$3" && ok "$1" || not_ok "$1" "no line '$3' in: $(printf '%s' "$2" | tr '\n' '|')"
}
has_re() {
	printf '%s\n' "$2" | grep -qxE -- "$3" && ok "$1" || not_ok "$1" "no line matching '$3' in: $(printf '%s' "$2" | tr '\n' '|')"
}
# doctor [ARGS]: sets $out and $rc.
doctor() { out=$(permafrost doctor --policy "$PF_POLICY" "$@" 2>&1); rc=$?; }
exit_is() { [ "$rc" -eq "$1" ] && ok "$2" || not_ok "$2" "rc=$rc, want $1: $(printf '%s' "$out" | tr '\n' '|')"; }

# Preconditions this case's expectations rest on: the VM boots with
# lsm=...,bpf and without lockdown=.
case ",$LSMS," in *,bpf,*) ok "vm: bpf is in the LSM list ($LSMS)" ;; *) not_ok "vm: bpf in the LSM list" "$LSMS" ;; esac
grep -qxF '[none] integrity confidentiality' /sys/kernel/security/lockdown &&
	ok "vm: lockdown is none" || not_ok "vm: lockdown is none" "$(cat /sys/kernel/security/lockdown)"

require_agent
PID=$(cat /tmp/permafrostd.pid)
check "vm: clock marked unsynchronised" pfop clock unsync

# 1. A healthy host but for the lockdown and the clock: warnings, exit 0.
doctor
exit_is 0 "doctor: warnings only: exit 0"
# What Debian's kernels offer: bpf_loop since 5.17, programs on hooks with
# struct arguments (path_chown) since 6.1, file_truncate and the ACL hooks
# since 6.2.
ROUTES="no usable file_truncate hook: ftruncate(2) checked at path_truncate, no usable inode_set_acl hook: POSIX ACL changes checked at inode_setxattr, no usable inode_remove_acl hook: POSIX ACL removal checked at inode_removexattr"
case $(uname -r) in
5.10.*) BUILD=compat; KLINE="compat build (no bpf_loop): path walks of up to 64 levels, deeper objects on protected filesystems are refused; $ROUTES, no usable path_chown hook: chown(2) checked at inode_setattr" ;;
6.1.*) BUILD=main; KLINE="main build (path walks of up to 4096 levels); $ROUTES" ;;
*) BUILD=main; KLINE="main build (path walks of up to 4096 levels)" ;;
esac
has_line "doctor: kernel ok" "$out" "ok    kernel        $(uname -r): $KLINE"
has_re "doctor: btf ok" "$out" "ok    btf           /sys/kernel/btf/vmlinux present \([1-9][0-9]* bytes\)"
has_line "doctor: securityfs ok" "$out" "ok    securityfs    securityfs mounted on /sys/kernel/security"
has_line "doctor: lsm ok" "$out" "ok    lsm           bpf is in the active LSM list: $LSMS"
has_line "doctor: bpffs ok" "$out" "ok    bpffs         bpf mounted on /sys/fs/bpf"
has_line "doctor: lockdown none: warn" "$out" "warn  lockdown      kernel lockdown is off (none): root can change the running kernel (/dev/mem, unsigned modules) under the agent"
printf '%s\n' "$out" | grep -A1 '^warn  lockdown' | grep -qxF "$SPACE$FIX_LOCKDOWN" && ok "doctor: lockdown fix: lockdown=integrity" || not_ok "doctor: lockdown fix" "$out"
has_line "doctor: capabilities ok (root)" "$out" "ok    capabilities  root with CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN and CAP_DAC_READ_SEARCH"
has_line "doctor: unsynchronised clock: warn" "$out" "warn  clock         the clock is not synchronised (adjtimex: STA_UNSYNC): token validity and audit-log times depend on it"
printf '%s\n' "$out" | grep -A1 '^warn  clock' | grep -qxF "$SPACE$FIX_TIME" && ok "doctor: clock fix" || not_ok "doctor: clock fix" "$out"
has_line "doctor: policy ok" "$out" "ok    policy        $PF_POLICY: 1 protect and 1 exempt rules, initial mode off"
has_line "doctor: signers ok" "$out" "ok    signers       $PF_SIGNERS: 3 keys"
has_line "doctor: agent ok" "$out" "ok    agent         agent pid $PID answers on $PF_SOCK: mode off, version $VER, $BUILD build"
has_line "doctor: summary" "$out" "10 ok, 2 warnings, 0 failed"

flat=$(permafrost --json doctor --policy "$PF_POLICY" | tr -d '\n' | sed 's/  */ /g')
for kv in '"status": "ok"' '"ok": 10' '"warn": 2' '"fail": 0' \
	'{ "check": "lsm", "result": "ok", "finding": "bpf is in the active LSM list: '"$LSMS"'" }' \
	'{ "check": "clock", "result": "warn", "finding": "the clock is not synchronised (adjtimex: STA_UNSYNC): token validity and audit-log times depend on it", "fix": "enable time synchronisation: systemctl enable --now systemd-timesyncd (or chrony: systemctl enable --now chrony)" }'; do
	case $flat in *"$kv"*) ok "doctor --json: $kv" ;; *) not_ok "doctor --json: $kv" "$flat" ;; esac
done

# 2. Clock synchronised (as chrony would): that check turns ok.
check "vm: clock marked synchronised" pfop clock sync
doctor
exit_is 0 "doctor, clock synced: exit 0"
has_line "doctor: synchronised clock: ok" "$out" "ok    clock         the clock is synchronised (adjtimex)"
has_line "doctor, clock synced: summary" "$out" "11 ok, 1 warnings, 0 failed"

# 3. Not root: capabilities not checked (warn), the socket refuses (FAIL).
out=$(pfop run-as 65534 65534 permafrost doctor --policy "$PF_POLICY" 2>&1); rc=$?
exit_is 1 "doctor as uid 65534: exit 1"
has_line "doctor as uid 65534: capabilities warn" "$out" "warn  capabilities  running as uid 65534, not root: the agent's capabilities were not checked"
has_line "doctor as uid 65534: agent socket refused" "$out" "FAIL  agent         cannot reach the agent at $PF_SOCK: Permission denied"
printf '%s\n' "$out" | grep -A1 '^FAIL  agent' | grep -qxF "${SPACE}fix: run as root or as a member of the permafrost group: sudo permafrost doctor" &&
	ok "doctor as uid 65534: agent fix" || not_ok "doctor as uid 65534: agent fix" "$out"

# 4. A pinned link gone: status and doctor both see it.
rm "/sys/fs/bpf/permafrost/links-$PID/file_open"
has_line "status: a missing pinned link" "$(permafrost status)" "Pinned links: $((NLINKS - 1)) of $NLINKS in /sys/fs/bpf/permafrost/links-$PID"
doctor
exit_is 1 "doctor, link missing: exit 1"
has_line "doctor: missing link: agent FAIL" "$out" "FAIL  agent         agent pid $PID answers, but only $((NLINKS - 1)) of its $NLINKS program links are pinned in /sys/fs/bpf/permafrost/links-$PID"
printf '%s\n' "$out" | grep -A1 '^FAIL  agent' | grep -qxF "${SPACE}fix: restart it so that it pins them again: systemctl restart permafrostd" &&
	ok "doctor: missing link: fix" || not_ok "doctor: missing link: fix" "$out"

# 5. Agent stopped.
stop_agent
doctor
exit_is 1 "doctor, agent stopped: exit 1"
has_re "doctor: agent stopped: FAIL" "$out" "FAIL  agent         cannot reach the agent at $PF_SOCK: (No such file or directory|Connection refused)"
printf '%s\n' "$out" | grep -A1 '^FAIL  agent' | grep -qxF "${SPACE}fix: start it: systemctl start permafrostd (why it stopped: journalctl -u permafrostd)" &&
	ok "doctor: agent stopped: fix" || not_ok "doctor: agent stopped: fix" "$out"
has_line "doctor, agent stopped: summary" "$out" "10 ok, 1 warnings, 1 failed"

# 6. A broken policy: file:line:col, and the signers check waits for it.
echo "protect /prot/etc/" >> "$PF_POLICY"
doctor
has_line "doctor: broken policy: FAIL with file:line:col" "$out" "FAIL  policy        $PF_POLICY:4:9: path '/prot/etc/' is not normalised: it has a trailing '/'"
printf '%s\n' "$out" | grep -A1 '^FAIL  policy' | grep -qxF "${SPACE}fix: correct the place named above, then check it: permafrost policy check $PF_POLICY" &&
	ok "doctor: broken policy: fix" || not_ok "doctor: broken policy: fix" "$out"
has_line "doctor: broken policy: signers not checked" "$out" "warn  signers       not checked: the policy does not load (see the policy check)"
sed -i '$d' "$PF_POLICY"

# 7. An allowed_signers file without keys.
cp "$PF_SIGNERS" /tmp/signers.bak
echo "# no approver yet" > "$PF_SIGNERS"
doctor
has_line "doctor: no keys: FAIL" "$out" "FAIL  signers       $PF_SIGNERS holds no key: no approval or thaw token can be verified"
cp /tmp/signers.bak "$PF_SIGNERS"

# 8. securityfs unmounted: it, the LSM list and the lockdown state.
umount /sys/kernel/security
doctor
exit_is 1 "doctor, no securityfs: exit 1"
has_line "doctor: no securityfs: FAIL" "$out" "FAIL  securityfs    no securityfs mounted on /sys/kernel/security: the active LSM list and the lockdown state cannot be read"
printf '%s\n' "$out" | grep -A1 '^FAIL  securityfs' | grep -qxF "${SPACE}fix: mount -t securityfs securityfs /sys/kernel/security (at every boot, /etc/fstab: securityfs /sys/kernel/security securityfs defaults 0 0)" &&
	ok "doctor: no securityfs: fix" || not_ok "doctor: no securityfs: fix" "$out"
has_line "doctor: no securityfs: lsm FAIL" "$out" "FAIL  lsm           cannot read /sys/kernel/security/lsm: No such file or directory (is securityfs mounted?)"
mount -t securityfs securityfs /sys/kernel/security

# 9. bpffs unmounted (the stopped agent, thawed, left no pins).
if umount /sys/fs/bpf; then
	doctor
	has_line "doctor: no bpffs: FAIL" "$out" "FAIL  bpffs         no bpf mounted on /sys/fs/bpf: the agent pins its programs there so that enforcement outlives it"
	printf '%s\n' "$out" | grep -A1 '^FAIL  bpffs' | grep -qxF "${SPACE}fix: mount -t bpf bpf /sys/fs/bpf (at every boot, /etc/fstab: bpf /sys/fs/bpf bpf defaults 0 0)" &&
		ok "doctor: no bpffs: fix" || not_ok "doctor: no bpffs: fix" "$out"
	mount -t bpf bpffs /sys/fs/bpf
else
	not_ok "umount /sys/fs/bpf" "busy"
fi

# 10. An installed unit that makes bpffs read-only for the agent (systemd
# 252's ProtectKernelTunables=yes), then a drop-in that fixes it.
mkdir -p /etc/systemd/system/permafrostd.service.d
printf '[Service]\nExecStart=/usr/sbin/permafrostd\nProtectKernelTunables=yes\n' >/etc/systemd/system/permafrostd.service
doctor
has_line "doctor: unit with ProtectKernelTunables=yes: FAIL" "$out" "FAIL  unit          /etc/systemd/system/permafrostd.service (and 0 drop-ins) make /sys/fs/bpf read-only for the agent (ProtectKernelTunables=yes): it cannot pin its programs and never starts"
printf '[Service]\nProtectKernelTunables=no\nReadOnlyPaths=/sys\nReadWritePaths=/sys/fs/bpf\n' >/etc/systemd/system/permafrostd.service.d/fix.conf
doctor
has_line "doctor: the drop-in fixes it: ok" "$out" "ok    unit          /etc/systemd/system/permafrostd.service (and 1 drop-ins): /sys/fs/bpf writable for the agent"
rm -rf /etc/systemd

# 11. Last (it cannot be undone): lockdown raised to integrity.
echo integrity > /sys/kernel/security/lockdown
doctor
has_line "doctor: lockdown integrity: ok" "$out" "ok    lockdown      kernel lockdown: integrity"
