#!/bin/bash
# A real host as the test bed: a Debian 12 root made with debootstrap, the
# .deb installed with apt, booted under QEMU with systemd as PID 1 on
# Debian's cloud kernel (lsm=...,bpf), and an SRE's walk-through run by a
# oneshot unit in it (walkthrough.sh): boot 1 ends with a reboot of the
# frozen host, boot 2 with a purge and poweroff. Between the boots this
# script checks the root filesystem was left clean (no journal to recover).
#
# usage: tests/vm/host/run.sh [--kernel LABEL[,LABEL]|all] [--deb FILE] [--out DIR]
#
#   --kernel  kernel label(s) of tests/vm/kernels.sh (default 6.12)
#   --deb     the package to install (default: make deb into OUT)
#   --out     work directory (default build/host)
#
# Environment: PF_HOST_CACHE (debootstrap cache, default
# /var/cache/permafrost-host), PF_VM_CACHE (kernels, see kernels.sh),
# PF_HOST_TIMEOUT (seconds per boot, default 1200), PF_HOST_SCRIPT (another
# walk-through script, for debugging).
#
# Prints TAP lines ("ok - [host 6.12] ...") and ends with
# "host: N passed, N failed". Needs root (chroot, mkfs.ext4 -d with owners).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
HERE=$ROOT/tests/vm/host
KERNEL_ARG=6.12
DEB=
OUT=
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) KERNEL_ARG=$2; shift 2 ;;
	--deb) DEB=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	-h|--help) sed -n '/^# usage:/,/^# Environment/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "host: unknown argument $1" >&2; exit 2 ;;
	esac
done
OUT=${OUT:-$ROOT/build/host}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TIMEOUT=${PF_HOST_TIMEOUT:-1200}
export PATH="$PATH:/usr/sbin:/sbin"

pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
notok() { echo "not ok - $1${2:+ # $2}"; fail=$((fail + 1)); }
note() { echo "# host: $*" >&2; }
die() { notok "host suite" "$*"; finish; }
finish() {
	echo "host: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

# shellcheck source=../kernels.sh
. "$ROOT/tests/vm/kernels.sh"
if [ "$KERNEL_ARG" = all ]; then read -ra LABELS <<<"$KERNEL_LABELS_ALL"; else IFS=, read -ra LABELS <<<"$KERNEL_ARG"; fi

[ "$(id -u)" = 0 ] || { notok "host suite" "needs root (chroot, image owners)"; finish; }
for t in debootstrap qemu-system-x86_64 mkfs.ext4 debugfs dumpe2fs busybox cpio; do
	command -v "$t" >/dev/null || { notok "host suite" "'$t' not found; run scripts/install-deps.sh"; finish; }
done

# --- the package ------------------------------------------------------------------
if [ -z "$DEB" ]; then
	if make -C "$ROOT" deb OUT="$OUT/pkg" >"$OUT/deb.log" 2>&1; then
		DEB=$(ls "$OUT"/pkg/deb/permafrost_*_amd64.deb | head -n 1)
	else
		notok "make deb" "$(tail -n 3 "$OUT/deb.log" | tr '\n' ' ')"
		finish
	fi
fi
[ -f "$DEB" ] || { notok "the package" "no such file: $DEB"; finish; }

# --- the Debian root: debootstrap once, cached (tests/lib/debian.sh) ------------------
TARBALL=$(debian_root_tarball "$DEB" 2>"$OUT/debootstrap.log") ||
	{ notok "debootstrap a Debian root with systemd" "$(tail -n 3 "$OUT/debootstrap.log" | tr '\n' ' ')"; finish; }
SUITE=$(. /etc/os-release && echo "$VERSION_CODENAME")

# make_root DIR: the cached root, the package installed with apt, the
# walk-through unit enabled.
make_root() {
	local r=$1
	rm -rf "$r"
	mkdir -p "$r"
	tar -C "$r" -xf "$TARBALL" || return 1
	echo pfvm >"$r/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 pfvm\n' >"$r/etc/hosts"
	# A machine id, so that systemd-firstboot does not prompt on the console.
	printf '%s\n' "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$r/etc/machine-id"
	echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$r/etc/fstab"
	ln -sf /dev/null "$r/etc/systemd/system/systemd-firstboot.service"
	ln -sf /dev/null "$r/etc/systemd/system/serial-getty@ttyS0.service"
	ln -sf /dev/null "$r/etc/systemd/system/getty@tty1.service"
	cp "$DEB" "$r/tmp/permafrost.deb"
	mount --bind /proc "$r/proc" && mount --bind /dev "$r/dev" || return 1
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C \
		chroot "$r" apt-get install -y /tmp/permafrost.deb >"$OUT/apt-install.log" 2>&1
	local rc=$?
	umount "$r/proc" "$r/dev"
	rm -f "$r/tmp/permafrost.deb"
	[ $rc = 0 ] || return 1
	install -D -m 0755 "${PF_HOST_SCRIPT:-$HERE/walkthrough.sh}" "$r/usr/local/lib/pf-test/walkthrough.sh"
	install -D -m 0644 "$ROOT/tests/vm/lib.sh" "$r/usr/local/lib/pf-test/lib.sh"
	# lib.sh names the pinned maps' directory by the build's PF_MAPS_VERSION
	sed -n 's/^#define PF_MAPS_VERSION \([0-9][0-9]*\).*/\1/p' "$ROOT/bpf/permafrost.h" >"$r/usr/local/lib/pf-test/maps-version"
	install -D -m 0755 "$PF_BUILD/pfop" "$r/usr/local/bin/pfop"
	install -D -m 0644 "$HERE/pf-walkthrough.service" "$r/etc/systemd/system/pf-walkthrough.service"
	ln -sf /etc/systemd/system/pf-walkthrough.service "$r/etc/systemd/system/multi-user.target.wants/pf-walkthrough.service"
	mkdir -p "$r/var/lib/pf-test"
	echo 1 >"$r/var/lib/pf-test/phase"
}

# A busybox initramfs: load the disk's modules, mount /dev/vda, hand over
# to systemd (switch_root).
make_initrd() {
	local label=$1 stage=$OUT/initrd-$label
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,dev,proc,sys,newroot}
	install -m 0755 "$(command -v busybox)" "$stage/bin/busybox"
	for a in sh mount umount insmod switch_root sleep cat; do ln -s busybox "$stage/bin/$a"; done
	stage_modules "$label" "$stage" virtio_pci virtio_blk ext4 || return 1
	cat >"$stage/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do insmod /lib/modules/pf/$m || echo "initrd: insmod $m failed"; done </etc/pf-modules
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
mount -t ext4 -o rw /dev/vda /newroot || { echo "initrd: cannot mount /dev/vda"; sleep 5; exit 1; }
umount /proc /sys /dev
exec switch_root /newroot /sbin/init
INIT
	chmod 0755 "$stage/init"
	(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$OUT/initrd-$label.gz"
}

# boot LABEL N: one boot of the image; the console in OUT/boot-LABEL-N.log
boot() {
	local label=$1 n=$2 thread vcpus
	thread=$(kernel_tcg_thread "$label") || return 1
	vcpus=$(kernel_vcpus "$label") || return 1
	timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel "tcg,thread=$thread" -cpu "$(kernel_cpu "$label")" -m 2G -smp "$vcpus" -nographic \
		-no-reboot -net none -kernel "$VMLINUZ" -initrd "$OUT/initrd-$label.gz" \
		-drive "file=$OUT/disk-$label.img,if=virtio,format=raw" \
		-append "console=ttyS0 lsm=lockdown,capability,landlock,bpf panic=-1 softlockup_panic=1 watchdog_thresh=30 quiet loglevel=3 systemd.show_status=0 ${PF_VM_APPEND:-}" \
		</dev/null >"$OUT/boot-$label-$n.log" 2>&1
}

# fs_clean LABEL: the image's ext4 was unmounted cleanly (no journal to
# replay at the next mount).
fs_clean() {
	local h
	h=$(dumpe2fs -h "$OUT/disk-$1.img" 2>/dev/null)
	grep -q '^Filesystem state: *clean$' <<<"$h" && ! grep -q needs_recovery <<<"$h"
}

run_kernel() {
	local label=$1 t0 r out
	r=$OUT/root-$label
	t0=$(date +%s)
	prepare_kernel "$label" >&2 || { notok "[host $label] kernel" "cannot prepare $label"; return; }
	if ! make_root "$r"; then notok "[host $label] apt-get install ./$(basename "$DEB") in a Debian $SUITE root" "$(tail -n 3 "$OUT/apt-install.log" | tr '\n' ' ')"; return; fi
	ok "[host $label] apt-get install ./$(basename "$DEB") in a Debian $SUITE root"
	make_initrd "$label" || { notok "[host $label] initramfs"; return; }
	rm -f "$OUT/disk-$label.img"
	truncate -s 2G "$OUT/disk-$label.img"
	mkfs.ext4 -q -F -L pfroot -d "$r" "$OUT/disk-$label.img" || { notok "[host $label] disk image"; return; }
	rm -rf "$r"
	boot "$label" 1
	if fs_clean "$label"; then ok "[host $label] reboot of the frozen host left the root filesystem clean"; else notok "[host $label] reboot of the frozen host left the root filesystem clean" "$(dumpe2fs -h "$OUT/disk-$label.img" 2>/dev/null | grep -E 'state|features' | tr '\n' ' ')"; fi
	boot "$label" 2
	if fs_clean "$label"; then ok "[host $label] poweroff left the root filesystem clean"; else notok "[host $label] poweroff left the root filesystem clean"; fi
	out=$(debugfs -R 'cat /var/lib/pf-test/out' "$OUT/disk-$label.img" 2>/dev/null)
	phase=$(debugfs -R 'cat /var/lib/pf-test/phase' "$OUT/disk-$label.img" 2>/dev/null)
	printf '%s\n' "$out" >"$OUT/walkthrough-$label.out"
	grep -E '^# ' <<<"$out" | sed "s/^# /# [host $label] /"
	while IFS= read -r l; do
		case $l in
		"ok - "*) ok "[host $label] ${l#ok - }" ;;
		"not ok - "*) l=${l#not ok - }; notok "[host $label] ${l%% # *}" "$( [[ $l == *" # "* ]] && echo "${l#* # }")" ;;
		esac
	done < <(grep -E '^(not )?ok - ' <<<"$out")
	if [ "$phase" = done ]; then ok "[host $label] both boots ran to the end"; else notok "[host $label] both boots ran to the end" "phase '$phase'; consoles in $OUT/boot-$label-{1,2}.log"; fi
	note "[$label] $KREL: $(($(date +%s) - t0)) s"
}

PF_BUILD=${PF_BUILD:-$ROOT/build}
for l in "${LABELS[@]}"; do run_kernel "$l"; done
finish
