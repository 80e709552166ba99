#!/bin/sh
# Install every build and test dependency of Permafrost on Debian 12.
# Idempotent: packages already present are left alone, and the package
# lists are refreshed at most once per run (only if something is missing).
set -eu

PKGS="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
libcap-dev libssl-dev pkg-config qemu-system-x86 busybox-static cpio
e2fsprogs attr liburing-dev openssh-client xz-utils zstd kmod libclang-rt-14-dev
python3 debhelper lintian rpm debootstrap ansible procps systemd man-db"

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "install-deps: run as root (or install sudo)" >&2
		exit 1
	}
	SUDO=sudo
fi

missing=
for p in $PKGS; do
	if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed; then
		missing="$missing $p"
	fi
done

# The VM tests resolve Debian's cloud kernels with apt-cache at run time:
# that needs package lists, which a fresh machine may not have yet.
lists_ok=yes
apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' 2>/dev/null | grep -q . || lists_ok=no

if [ -z "$missing" ] && [ "$lists_ok" = yes ]; then
	echo "install-deps: all dependencies already installed"
	exit 0
fi
if [ -z "$missing" ]; then
	echo "install-deps: refreshing package lists (the VM kernels are resolved from them)"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update
	exit 0
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# shellcheck disable=SC2086 # word splitting of the package list is intended
$SUDO apt-get install -y --no-install-recommends $missing
