#!/bin/bash
# Boot Debian cloud kernels under QEMU (software emulation) and run the VM
# test suites there. BPF LSM programs cannot be loaded on the build machines,
# so every enforcement test runs in a kernel we boot ourselves; see
# /work/shared/notes/vm-recipe.md.
#
# usage: tests/vm/run.sh [--kernel 5.10|6.1|6.12|7|all] [--suite NAME[,NAME]] [--out DIR]
#
#   --kernel  kernel line(s) to boot, comma separated; "all" (default) =
#             5.10, 6.1, 6.12 and 7 (Debian bullseye, bookworm, bookworm, sid;
#             see tests/vm/kernels.sh)
#   --suite   folder(s) under tests/vm/suites; repeatable or comma separated.
#             Default: every suite. One boot per (suite, kernel).
#   --out     work and log directory (default build/vm)
#
# Environment:
#   PF_BUILD       where permafrostd, permafrost and pfop are (default build)
#   PF_VM_CACHE    kernel .deb cache (default /var/cache/permafrost-vm)
#   PF_VM_MIRROR   Debian mirror for the bullseye and sid kernels (default:
#                  the one in the host's apt sources)
#   PF_VM_TIMEOUT  seconds per boot before QEMU is killed (default 1200,
#                  times kernel_time_factor: 3600 on 5.10)
#   PF_VM_CASE_TIMEOUT  seconds per case script inside the VM (default 300,
#                  or the number in suites/NAME/case-timeout, either times
#                  kernel_time_factor)
#   PF_VM_JOBS     boots run at once (default 2; see "Parallelism" below)
#   PF_VM_VERBOSE  1 = copy the serial console to the terminal (jobs=1 only)
#   PF_VM_APPEND   extra kernel command line words
#   PF_VM_TCG_THREAD  single or multi: QEMU's TCG threading for every
#                  kernel (default single; see "TCG" below)
#   PF_VM_SMP      vCPUs of every guest, 1 to 8 (default 1 on 5.10, 2 on
#                  the others)
#   PF_VM_CPU      QEMU's -cpu model of every guest (default qemu64; why:
#                  kernel_cpu in tests/vm/kernels.sh)
#
# Each case script prints TAP lines ("ok - name", "not ok - name # why");
# /init prints "VMTEST kernel=<release> rc=R passed=N failed=M" and powers
# off. A boot without that line (panic, hang, timeout) is one failure.
# Output: the TAP lines prefixed with the kernel, a summary per boot and
# finally "vm: N passed, N failed"; the exit status is 1 if anything failed.
#
# Parallelism: each QEMU runs on one host thread (see "TCG"), so two boots
# at once fill a 2-core host: PF_VM_JOBS defaults to 2. More would not be
# faster: an agent's start (the kernel verifying our programs) keeps its
# thread busy, and it is most of every suite's time.
#
# TCG: every guest runs on one host thread (-accel tcg,thread=single).
# With a thread per vCPU, QEMU 7.2 let a vCPU execute a stale int3 after
# the kernel had finished patching that instruction (text_poke_bp: int3,
# the tail, the first byte, each step followed by a sync of every CPU).
# On 6.12 and 7.2 that is "Oops: int3" at the entry of an LSM hook
# (bpf_lsm_file_open+0x5, the byte now e9) while a trampoline was swapped:
# 2 of 8 upgrade-suite boots, and once in 6.12's own boot-time patching.
# On 5.10 the int3 handler backs up over an int3 it finds gone and runs
# the instruction again, so the vCPU spun on its stale copy: "soft lockup
# - CPU#1 stuck for 68s" at bpf_lsm_inode_free_security+0x0 (CI, aiagent).
# With one thread the guest's cross-CPU sync is exact; boot times stay
# the same, as two boots at once already fill the two cores.
# 5.10 gets one vCPU: with two on one thread its agent's start took over
# 120 s instead of 11 (each cross-CPU sync and RCU grace period waits for
# QEMU's round-robin to reach the other vCPU); with one, the enforce
# suite took 300 s, as long as with two vCPUs on two threads (293 s).
# The others keep two vCPUs, so their SMP paths run (same time as one:
# enforce on 7.2, 146 s with two, 155 s with one).
# PF_VM_TCG_THREAD and PF_VM_SMP override both for every kernel.
set -euo pipefail

export PATH="$PATH:/usr/sbin:/sbin" # depmod, mkfs.ext4 for non-root shells
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VMDIR=$ROOT/tests/vm
# virtio_pci is the transport the virtio disk sits on: not a symbol
# dependency of virtio_blk, so modules.dep does not pull it in.
MODULES_WANTED="virtio_pci virtio_blk ext4 loop overlay"
DISK_MB=128

KERNEL_ARG=all
SUITES=()
OUT=

die() { echo "vm: error: $*" >&2; exit 2; }
note() { echo "vm: $*" >&2; }

usage() {
	sed -n '/^# usage:/,/^# Each case/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit "${1:-2}"
}

while [ $# -gt 0 ]; do
	case $1 in
	--kernel) [ $# -ge 2 ] || usage; KERNEL_ARG=$2; shift 2 ;;
	--kernel=*) KERNEL_ARG=${1#*=}; shift ;;
	--suite) [ $# -ge 2 ] || usage; IFS=, read -ra s <<<"$2"; SUITES+=("${s[@]}"); shift 2 ;;
	--suite=*) IFS=, read -ra s <<<"${1#*=}"; SUITES+=("${s[@]}"); shift ;;
	--out) [ $# -ge 2 ] || usage; OUT=$2; shift 2 ;;
	--out=*) OUT=${1#*=}; shift ;;
	-h|--help) usage 0 ;;
	*) echo "vm: unknown argument: $1" >&2; usage ;;
	esac
done

KERNELS=()
IFS=, read -ra ks <<<"$KERNEL_ARG"
for k in "${ks[@]}"; do
	case $k in
	all) KERNELS+=(5.10 6.1 6.12 7) ;;
	5.10|6.1|6.12|7) KERNELS+=("$k") ;;
	*) die "--kernel must be 5.10, 6.1, 6.12, 7 or all (got '$KERNEL_ARG')" ;;
	esac
done
[ ${#KERNELS[@]} -gt 0 ] || die "--kernel: no kernel given"
# each once, in the order given
read -ra KERNELS <<<"$(printf '%s\n' "${KERNELS[@]}" | awk '!seen[$0]++' | tr '\n' ' ')"

if [ ${#SUITES[@]} -eq 0 ]; then
	for d in "$VMDIR"/suites/*/; do
		[ -d "$d" ] && SUITES+=("$(basename "$d")")
	done
	[ ${#SUITES[@]} -gt 0 ] || die "no suites in $VMDIR/suites"
fi
for s in "${SUITES[@]}"; do
	[[ $s =~ ^[A-Za-z0-9._-]+$ ]] || die "bad suite name '$s'"
	ls "$VMDIR/suites/$s"/*.sh >/dev/null 2>&1 || die "suite '$s' has no $VMDIR/suites/$s/*.sh"
done

abspath() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
OUT=$(abspath "${OUT:-$ROOT/build/vm}")
BUILD=$(abspath "${PF_BUILD:-$ROOT/build}")
CACHE=$(abspath "${PF_VM_CACHE:-/var/cache/permafrost-vm}")
TIMEOUT=${PF_VM_TIMEOUT:-1200}
CASE_TIMEOUT=${PF_VM_CASE_TIMEOUT:-300}
JOBS=${PF_VM_JOBS:-2}
VERBOSE=${PF_VM_VERBOSE:-0}
[[ $TIMEOUT =~ ^[0-9]+$ && $CASE_TIMEOUT =~ ^[0-9]+$ && $JOBS =~ ^[1-9][0-9]*$ ]] ||
	die "PF_VM_TIMEOUT, PF_VM_CASE_TIMEOUT and PF_VM_JOBS must be positive integers"

for t in qemu-system-x86_64 busybox cpio gzip mkfs.ext4 apt-get apt-cache dpkg-deb depmod ldd timeout xz flock; do
	command -v "$t" >/dev/null || die "'$t' not found; run scripts/install-deps.sh"
done
mkdir -p "$OUT" "$CACHE"

# --- binaries under test ------------------------------------------------------
BINS=()
only_smoke=1
for s in "${SUITES[@]}"; do [ "$s" = smoke ] || only_smoke=0; done
for b in permafrostd permafrost pfop; do
	if [ -x "$BUILD/$b" ]; then
		BINS+=("$BUILD/$b")
	elif [ "$b" = pfop ] || [ $only_smoke = 0 ]; then
		die "$BUILD/$b is missing: run 'make' first (or set PF_BUILD=dir)"
	else
		note "$BUILD/$b absent; fine for the smoke suite"
	fi
done

# --- kernels: resolve at run time, download and unpack once ----------------------
# prepare_kernel LABEL (tests/vm/kernels.sh) sets KDIR, KREL, VMLINUZ, MODDIR.
# shellcheck source=tests/vm/kernels.sh
. "$VMDIR/kernels.sh"
kernel_tcg_thread 6.1 >/dev/null 2>&1 || die "PF_VM_TCG_THREAD must be single or multi"
kernel_vcpus 6.1 >/dev/null 2>&1 || die "PF_VM_SMP must be a number from 1 to 8"

# --- initramfs ---------------------------------------------------------------------
cpio_gz() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$2"
}

copy_with_libs() {
	local src=$1 dst=$2 stage=$3 lib
	rm -f "$stage$dst"
	install -D -m 0755 "$src" "$stage$dst"
	# "libx.so => /path (0x...)", "/lib64/ld-linux-x86-64.so.2 (0x...)"
	{ ldd "$src" 2>/dev/null || true; } | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
		while read -r lib; do
			[ -e "$stage$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$stage$lib"
		done
}

# stage_base SUITE STAGEDIR — everything but the kernel modules.
# PF_MAPS_VERSION of the build under test (bpf/permafrost.h): lib.sh names
# the pinned maps' directory by it.
maps_version() {
	sed -n 's/^#define PF_MAPS_VERSION \([0-9][0-9]*\).*/\1/p' "$ROOT/bpf/permafrost.h" | grep . ||
		die "bpf/permafrost.h: no PF_MAPS_VERSION"
}

stage_base() {
	local suite=$1 stage=$2 bb p b
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,var,prot,etc,root,mnt,pf}
	bb=$(command -v busybox)
	if ldd "$bb" >/dev/null 2>&1; then die "$bb is not static; install busybox-static"; fi
	install -m 0755 "$bb" "$stage/bin/busybox"
	"$bb" --list-full | while read -r p; do
		[ "$p" = bin/busybox ] || { mkdir -p "$stage/$(dirname "$p")"; ln -sf /bin/busybox "$stage/$p"; }
	done
	# The kernel opens /dev/console before /init runs; /init reopens it
	# after mounting devtmpfs in case this node could not be made.
	mknod -m 0600 "$stage/dev/console" c 5 1 2>/dev/null || true
	# Host tools the cases may use (e2fsprogs, attr); busybox lacks them.
	for b in lsattr chattr getfattr setfattr ssh-keygen bpftool; do
		p=$(command -v "$b" || true)
		[ -z "$p" ] || copy_with_libs "$p" "/usr/bin/$b" "$stage"
	done
	for b in "${BINS[@]}"; do
		case ${b##*/} in
		permafrostd) copy_with_libs "$b" /usr/sbin/permafrostd "$stage" ;;
		*) copy_with_libs "$b" "/usr/bin/${b##*/}" "$stage" ;;
		esac
	done
	# the next build (make next), for the upgrade suite
	[ ! -x "$BUILD/next/permafrostd" ] || copy_with_libs "$BUILD/next/permafrostd" /usr/sbin/permafrostd-next "$stage"
	install -m 0644 "$VMDIR/lib.sh" "$stage/pf/lib.sh"
	maps_version >"$stage/pf/maps-version"
	cp -a "$VMDIR/suites/$suite" "$stage/pf/suite"
	rm -rf "$stage/pf/suite/disk"
	mkdir -p "$stage/pf/policy"
	[ -d "$ROOT/policy" ] && cp -a "$ROOT/policy/." "$stage/pf/policy/"
	echo "root:x:0:0:root:/root:/bin/sh" >"$stage/etc/passwd"
	echo "root:x:0:" >"$stage/etc/group"
	write_init "$stage/init"
}

write_init() {
	cat >"$1" <<'INIT'
#!/bin/sh
# /init of the Permafrost test VM (written by tests/vm/run.sh).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib64:/usr/lib
export HOME=/root TMPDIR=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
hostname pfvm
exec </dev/console >/dev/console 2>&1
R=/tmp/pf-results
setup_fail() { echo "not ok - vm setup: $1"; echo "not ok - vm setup: $1" >>$R; }
for t in /tmp /run /var; do mount -t tmpfs -o mode=1777 tmpfs $t; done
: >$R
echo "# boot: /init started at uptime $(cut -d' ' -f1 /proc/uptime) s"
mount -t securityfs securityfs /sys/kernel/security || setup_fail "mount securityfs"
mount -t bpf bpffs /sys/fs/bpf || setup_fail "mount bpffs"
mkdir -p /dev/shm /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
SUITE=; CASE_TIMEOUT=300
for w in $(cat /proc/cmdline); do
	case $w in
	pf.suite=*) SUITE=${w#pf.suite=} ;;
	pf.case_timeout=*) CASE_TIMEOUT=${w#pf.case_timeout=} ;;
	esac
done
while read -r m; do
	insmod /lib/modules/pf/$m || setup_fail "insmod $m"
done </etc/pf-modules
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
mount -t ext4 /dev/vda /prot || setup_fail "mount /dev/vda (ext4) on /prot"
export PF_KERNEL=$(uname -r) PF_SUITE=$SUITE PF_LIB=/pf/lib.sh
export PF_SUITE_DIR=/pf/suite PF_POLICY_DIR=/pf/policy
# Kernel messages would interleave with TAP lines on the console; keep
# only emergencies there and check the log for splats at the end.
echo 1 >/proc/sys/kernel/printk
k0=$(dmesg | wc -l)
echo "# suite $SUITE on $PF_KERNEL, cases start at uptime $(cut -d' ' -f1 /proc/uptime) s"
# run_case SCRIPT — run SCRIPT in its own process group (setsid), kill the
# group on timeout, and kill whatever the case left running when it ends,
# so background processes cannot outlive their case or hold the console pipe.
run_case() {
	cd /tmp
	setsid sh "$1" </dev/null &
	pid=$!
	setsid sh -c "sleep $CASE_TIMEOUT; touch /tmp/pf-case.timeout; kill -TERM -$pid; sleep 2; kill -KILL -$pid" >/dev/null 2>&1 &
	wd=$!
	wait $pid
	echo $? >/tmp/pf-case.rc
	kill -KILL -$wd 2>/dev/null
	kill -KILL -$pid 2>/dev/null
}
for c in /pf/suite/*.sh; do
	[ -f "$c" ] || continue
	name=${c##*/}
	echo "# case $name (at uptime $(cut -d' ' -f1 /proc/uptime) s)"
	rm -f /tmp/pf-case.rc /tmp/pf-case.timeout
	( run_case "$c" ) 2>&1 | tee /tmp/pf-case.out
	rc=$(cat /tmp/pf-case.rc 2>/dev/null || echo lost)
	n=$(grep -cE '^(not )?ok ' /tmp/pf-case.out)
	if [ "$rc" != 0 ]; then
		why="exited with status $rc"
		[ -e /tmp/pf-case.timeout ] && why="timed out after ${CASE_TIMEOUT}s (status $rc)"
		echo "not ok - case $name: $why" | tee -a /tmp/pf-case.out
	elif [ "$n" = 0 ]; then
		echo "not ok - case $name: printed no TAP line" | tee -a /tmp/pf-case.out
	fi
	grep -E '^(not )?ok ' /tmp/pf-case.out >>$R
done
# A deliberate OOM kill (sysrq f: the selfprot suite's crash where there is
# no cgroup.kill) prints a report with a call trace that is no kernel
# fault: the report, from "invoked oom-killer" to "Killed process", is
# left out of this check.
dmesg | tail -n +$((k0 + 1)) |
	awk '/invoked oom-killer/ { oom = 1 } !oom { print } /Out of memory: Killed process/ { oom = 0 }' >/tmp/pf-dmesg
if grep -qE 'BUG:|WARNING:|Oops|general protection fault|Call Trace:' /tmp/pf-dmesg; then
	sed 's/^/# dmesg: /' /tmp/pf-dmesg | head -n 60
	echo "not ok - kernel log has no BUG/WARNING/Oops # $(grep -m1 -E 'BUG:|WARNING:|Oops|general protection' /tmp/pf-dmesg)" | tee -a $R
else
	echo "ok - kernel log has no BUG/WARNING/Oops" | tee -a $R
fi
passed=$(grep -c '^ok ' $R)
failed=$(grep -c '^not ok ' $R)
sync
umount /prot 2>/dev/null
rc=0; [ "$failed" = 0 ] || rc=1
echo "VMTEST kernel=$PF_KERNEL rc=$rc passed=$passed failed=$failed"
poweroff -f
echo o >/proc/sysrq-trigger
exit 1
INIT
	chmod 0755 "$1"
}

# --- boot ----------------------------------------------------------------------------
# boot_timeout_of LABEL — seconds a boot of that kernel may take:
# PF_VM_TIMEOUT if set, else the default times kernel_time_factor.
boot_timeout_of() {
	if [ -n "${PF_VM_TIMEOUT:-}" ]; then echo "$TIMEOUT"; else echo $((TIMEOUT * $(kernel_time_factor "$1"))); fi
}

# boot SUITE LABEL — run one VM; leaves OUT/SUITE-LABEL.{log,time}.
boot() {
	local suite=$1 label=$2 log disk t0 t1 qrc=0 init_dir
	log=$OUT/$suite-$label.log
	disk=$OUT/disk-$suite-$label.img
	rm -f "$disk" "$OUT/$suite-$label.time"
	truncate -s ${DISK_MB}M "$disk"
	init_dir=
	[ -d "$VMDIR/suites/$suite/disk" ] && init_dir="-d $VMDIR/suites/$suite/disk"
	# shellcheck disable=SC2086
	mkfs.ext4 -q -F -L prot -N ${PF_VM_INODES:-160000} $init_dir "$disk" >/dev/null
	t0=$(date +%s.%N)
	# A suite may need longer than the default per case: a number of
	# seconds in suites/NAME/case-timeout (PF_VM_CASE_TIMEOUT still wins).
	local case_timeout=$CASE_TIMEOUT boot_timeout
	if [ -z "${PF_VM_CASE_TIMEOUT:-}" ] && [ -f "$VMDIR/suites/$suite/case-timeout" ]; then
		case_timeout=$(tr -d ' \n' <"$VMDIR/suites/$suite/case-timeout")
		[[ $case_timeout =~ ^[1-9][0-9]*$ ]] || die "$VMDIR/suites/$suite/case-timeout: expected seconds, got '$case_timeout'"
	fi
	# the defaults stretch on a kernel that is slower to load our programs
	[ -n "${PF_VM_CASE_TIMEOUT:-}" ] || case_timeout=$((case_timeout * $(kernel_time_factor "$label")))
	boot_timeout=$(boot_timeout_of "$label")
	local thread vcpus
	thread=$(kernel_tcg_thread "$label") || die "PF_VM_TCG_THREAD must be single or multi"
	vcpus=$(kernel_vcpus "$label") || die "PF_VM_SMP must be a number from 1 to 8"
	local qemu=(timeout -k 10 "$boot_timeout" qemu-system-x86_64 -accel "tcg,thread=$thread" -cpu "$(kernel_cpu "$label")"
		-m 1G -smp "$vcpus" -nographic -no-reboot -net none
		-kernel "${VMLINUZ_OF[$label]}" -initrd "$OUT/initrd-$suite-$label.gz"
		-drive "file=$disk,if=virtio,format=raw"
		# watchdog_thresh=30: a soft lockup panics after 60 s, not 20: under
		# TCG on a busy host a vCPU thread can wait that long for a core
		-append "console=ttyS0 lsm=lockdown,capability,landlock,bpf panic=-1 softlockup_panic=1 watchdog_thresh=30 quiet pf.suite=$suite pf.case_timeout=$case_timeout ${PF_VM_APPEND:-}")
	local attempt
	for attempt in 1 2; do
		qrc=0
		if [ "$VERBOSE" = 1 ] && [ "$JOBS" = 1 ]; then
			"${qemu[@]}" </dev/null 2>&1 | tee "$log" || qrc=$?
		else
			"${qemu[@]}" </dev/null >"$log" 2>&1 || qrc=$?
		fi
		# A kernel that dies before /init runs has not run a line of
		# ours (seen once: an int3 oops in 6.12's early text patching
		# under TCG). Boot it once more; the first log is kept and the
		# retry is said. Anything after /init started is never retried.
		if [ "$attempt" = 1 ] && ! grep -aq 'VMTEST ' "$log" &&
		   ! grep -aq '# boot: /init started' "$log"; then
			mv "$log" "$log.before-init"
			note "[$label] suite=$suite: the kernel died before /init started (see $log.before-init); booting it once more"
			mkfs.ext4 -q -F -L prot -N ${PF_VM_INODES:-160000} $init_dir "$disk" >/dev/null
			continue
		fi
		break
	done
	t1=$(date +%s.%N)
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') $qrc" >"$OUT/$suite-$label.time"
	rm -f "$disk"
}

# --- main ------------------------------------------------------------------------------
T_START=$(date +%s.%N)
declare -A VMLINUZ_OF KREL_OF
for k in "${KERNELS[@]}"; do
	prepare_kernel "$k"
	VMLINUZ_OF[$k]=$VMLINUZ
	KREL_OF[$k]=$KREL
	rm -rf "$OUT/mods-$k"
	stage_modules "$k" "$OUT/mods-$k" $MODULES_WANTED
	cpio_gz "$OUT/mods-$k" "$OUT/mods-$k.cpio.gz"
done
for s in "${SUITES[@]}"; do
	stage_base "$s" "$OUT/stage-$s"
	cpio_gz "$OUT/stage-$s" "$OUT/base-$s.cpio.gz"
	for k in "${KERNELS[@]}"; do
		# The kernel unpacks concatenated cpio archives in order.
		cat "$OUT/base-$s.cpio.gz" "$OUT/mods-$k.cpio.gz" >"$OUT/initrd-$s-$k.gz"
	done
done

# Longest boots first (measured: bypass and auditlog are the longest
# suites; 7.x and 5.10 verify the programs slowest; windows waits three
# minutes and more on the guest's clock; `make test` gives it a lane of its
# own, tests/run-all.sh), so that the boots still running at the end are
# short ones and both slots stay busy.
JOBLIST=()
for heavy in 1 0; do
	for k in 7 5.10 6.12 6.1; do
		for s in "${SUITES[@]}"; do
			[[ " ${KERNELS[*]} " == *" $k "* ]] || continue
			case $s in bypass|auditlog|pressure|enforce|selfprot|windows) h=1 ;; *) h=0 ;; esac
			[ "$h" = "$heavy" ] && JOBLIST+=("$s $k")
		done
	done
done
timeouts=$(for k in "${KERNELS[@]}"; do printf '%s %ss, ' "$k" "$(boot_timeout_of "$k")"; done)
note "booting ${#JOBLIST[@]} VM(s), $JOBS at a time (timeout per boot: ${timeouts%, })"
running=0
for j in "${JOBLIST[@]}"; do
	read -r s k <<<"$j"
	if [ "$JOBS" = 1 ]; then
		boot "$s" "$k"
	else
		boot "$s" "$k" &
		running=$((running + 1))
		if [ $running -ge "$JOBS" ]; then wait -n || true; running=$((running - 1)); fi
	fi
done
wait

total_pass=0
total_fail=0
summary=()
for j in "${JOBLIST[@]}"; do
	read -r s k <<<"$j"
	log=$OUT/$s-$k.log
	tag=$k
	[ ${#SUITES[@]} -gt 1 ] && tag="$k $s"
	read -r wall qrc <"$OUT/$s-$k.time" 2>/dev/null || { wall="?"; qrc="harness error"; }
	# Drop carriage returns and the terminal resets SeaBIOS/QEMU print.
	clean=$(tr -d '\r' <"$log" | sed -E 's/\x1b(\[[0-9;?]*[A-Za-z]|c)//g')
	tap=$(grep -E '^(not )?ok ' <<<"$clean" || true)
	[ -z "$tap" ] || sed -E "s/^(not ok|ok) - /\1 - [$tag] /" <<<"$tap"
	p=$(grep -c '^ok ' <<<"$tap" || true)
	f=$(grep -c '^not ok ' <<<"$tap" || true)
	vm=$(grep -E '^VMTEST ' <<<"$clean" | tail -n 1 || true)
	boot_s=$(sed -n 's/.*# boot: \/init started at uptime \([0-9.]*\) s.*/\1/p' <<<"$clean" | head -n 1)
	if [ -z "$vm" ]; then
		why="qemu status $qrc"
		[ "$qrc" = 124 ] && why="timed out after $(boot_timeout_of "$k")s"
		echo "not ok - vm boot $k produced no result # $why; see $log"
		# The whole report (RIP, code, call trace), not just its title: a CI
		# log is all there is of a boot on another machine.
		awk '/Oops|BUG:|Kernel panic|WARNING:/ && !n { n = 1 } n && c++ < 60' <<<"$clean" |
			sed 's/^/#   /' || true
		f=$((f + 1))
	else
		vp=$(sed -n 's/.* passed=\([0-9]*\).*/\1/p' <<<"$vm")
		vf=$(sed -n 's/.* failed=\([0-9]*\).*/\1/p' <<<"$vm")
		if [ "$vp" != "$p" ] || [ "$vf" != "$f" ]; then
			echo "not ok - [$tag] console TAP lines match VMTEST # console $p/$f, VMTEST $vp/$vf; see $log"
			f=$((f + 1))
		fi
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	summary+=("vm: [$tag] ${KREL_OF[$k]} suite=$s: $p passed, $f failed; /init at ${boot_s:-?} s, VM wall time ${wall} s")
done
printf '%s\n' "${summary[@]}"
echo "vm: total time $(awk -v a="$T_START" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s; logs in $OUT"
echo "vm: $total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
