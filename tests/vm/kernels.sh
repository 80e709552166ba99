# shellcheck shell=bash
# Debian cloud kernels for the VM harnesses: resolve the newest package of a
# kernel line at run time, download it once into a cache, unpack it once.
# Sourced (bash), not run; see /work/shared/notes/vm-recipe.md.
#
#   . tests/vm/kernels.sh
#   prepare_kernel 6.12      # sets KDIR KREL VMLINUZ MODDIR
#
# Kernel lines (labels), where each comes from:
#   5.10   Debian bullseye  linux-image-5.10.0-N-cloud-amd64
#   6.1    the host's own apt lists (bookworm)  linux-image-6.1.0-N-cloud-amd64
#   6.12   the host's own apt lists (bookworm)  linux-image-6.12.N+deb12-cloud-amd64
#   7      Debian sid       linux-image-7.M.N+debNN-cloud-amd64
# Kernels of other suites than the host's are resolved through a private apt
# package list under CACHE/apt/SUITE (its own sources.list, lists and
# caches), on the mirror the host already uses; the host's apt configuration
# and lists are never written. Each private list is updated at most once per
# shell (per run); when that or a download fails, the newest kernel already
# in the cache is used (offline).
#
# Package layouts handled: one linux-image-X with /boot/vmlinuz-X and
# /lib/modules/X (bullseye, bookworm), or a linux-image-X meta package whose
# parts are linux-binary-X (/usr/lib/modules/X/vmlinuz), linux-modules-X
# and linux-base-X (modules.builtin, config) under /usr/lib/modules/X (sid).
# Every dependency of the image named linux-*-X is fetched and unpacked into
# the same directory, and depmod is run there.
#
# Results of prepare_kernel LABEL (call it in the current shell, not in $(…)):
#   KREL     the kernel release (uname -r)
#   KDIR     the unpacked tree (CACHE/<image .deb name without .deb>)
#   VMLINUZ  the bootable kernel image
#   MODDIR   the directory holding modules.dep and modules.builtin
#
# Environment:
#   PF_VM_CACHE   cache directory (default /var/cache/permafrost-vm)
#   PF_VM_MIRROR  Debian mirror for the private lists (default: the one the
#                 host's apt sources use for its own suite)
#
# The caller may define die() and note(); defaults are provided.
# shellcheck disable=SC2034 # KDIR, VMLINUZ… are for the caller

KERNEL_LABELS_ALL="5.10 6.1 6.12 7"

declare -F die >/dev/null || die() { echo "kernels: error: $*" >&2; exit 2; }
declare -F note >/dev/null || note() { echo "kernels: $*" >&2; }

# debian_mirror
# shellcheck source=../lib/debian.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/debian.sh"

# Suites whose private list was updated (or tried) in this shell.
declare -gA KERNELS_APT_UPDATED=()

kernels_cache() {
	local c=${PF_VM_CACHE:-/var/cache/permafrost-vm}
	case $c in /*) echo "$c" ;; *) echo "$PWD/$c" ;; esac
}

# kernel_suite LABEL — the Debian suite the kernel comes from; "host" for
# the host's own apt lists.
kernel_suite() {
	case $1 in
	5.10) echo bullseye ;;
	6.1 | 6.12) echo host ;;
	7) echo sid ;;
	*) return 1 ;;
	esac
}

# kernel_tcg_thread LABEL — QEMU's TCG threading for a guest of that
# kernel: PF_VM_TCG_THREAD (single or multi) if set, else single: every
# vCPU of a guest on one host thread (why: tests/vm/run.sh, "TCG").
kernel_tcg_thread() {
	case ${PF_VM_TCG_THREAD:-} in
	single | multi) echo "$PF_VM_TCG_THREAD" ;;
	"") echo single ;;
	*) echo "PF_VM_TCG_THREAD must be single or multi" >&2; return 1 ;;
	esac
}

# kernel_vcpus LABEL — the guest's vCPU count: PF_VM_SMP (1 to 8) if set,
# else 1 for 5.10 and 2 for the others (why: tests/vm/run.sh, "TCG").
kernel_vcpus() {
	case ${PF_VM_SMP:-} in
	[1-8]) echo "$PF_VM_SMP" ;;
	"") if [ "$1" = 5.10 ]; then echo 1; else echo 2; fi ;;
	*) echo "PF_VM_SMP must be a number from 1 to 8" >&2; return 1 ;;
	esac
}

# kernel_cpu LABEL — QEMU's -cpu model for a guest: PF_VM_CPU if set,
# else qemu64. Measured with two boots at once under TCG: the enforce
# suite on 5.10 took 71 s with qemu64 and 108 s with max (the agent's
# program load 13.7 s against 25.5 s); 6.12 77 s against 82 s; 7.2 74 s
# against 76 s. No test depends on a CPU feature max adds.
kernel_cpu() {
	echo "${PF_VM_CPU:-qemu64}"
}

# kernel_time_factor LABEL — what the default boot and case timeouts are
# multiplied by for that kernel: 3 on 5.10, whose compat build (bounded
# loops the verifier follows step by step) takes about three times as
# long to load under QEMU (an agent's start 90-125 s, 35-42 s on 7.2).
kernel_time_factor() {
	if [ "$1" = 5.10 ]; then echo 3; else echo 1; fi
}

# kernel_pattern LABEL — extended regexp for the linux-image package name.
kernel_pattern() {
	case $1 in
	5.10) echo '^linux-image-5\.10\.0-[0-9]+-cloud-amd64$' ;;
	6.1) echo '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' ;;
	6.12) echo '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64$' ;;
	7) echo '^linux-image-7\.[0-9]+\.[0-9]+\+deb[0-9]+-cloud-amd64$' ;;
	*) return 1 ;;
	esac
}

# kernel_apt SUITE — echo apt options selecting the private list of SUITE
# (nothing for "host"), (re)writing its sources.list when the mirror changed.
kernel_apt() {
	local suite=$1 x mirror key opts='' line
	[ "$suite" = host ] && return 0
	x=$(kernels_cache)/apt/$suite
	mirror=$(debian_mirror) || die "no Debian mirror found in /etc/apt/sources.list*; set PF_VM_MIRROR"
	key=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -r "$key" ] && opts="[signed-by=$key] "
	line="deb ${opts}$mirror $suite main"
	mkdir -p "$x/lists/partial" "$x/cache/archives/partial"
	if [ "$(cat "$x/sources.list" 2>/dev/null)" != "$line" ]; then
		echo "$line" >"$x/sources.list.tmp"
		mv "$x/sources.list.tmp" "$x/sources.list"
	fi
	echo "-o Dir::Etc::sourcelist=$x/sources.list -o Dir::Etc::sourceparts=/dev/null" \
		"-o Dir::State::Lists=$x/lists -o Dir::Cache=$x/cache"
}

# kernel_apt_update SUITE — refresh the private list of SUITE, once per shell.
# A failure is not fatal: the old list (or the cache of .debs) is used.
kernel_apt_update() {
	local suite=$1 x opts
	[ "$suite" = host ] && return 0
	[ -z "${KERNELS_APT_UPDATED[$suite]:-}" ] || return 0
	KERNELS_APT_UPDATED[$suite]=1
	if ! opts=$(kernel_apt "$suite") || [ -z "$opts" ]; then die "no private apt list for $suite"; fi
	x=$(kernels_cache)/apt/$suite
	# apt drops to the _apt user for downloads; let it write there.
	if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then
		chown _apt "$x/lists/partial" "$x/cache/archives/partial" 2>/dev/null || true
	fi
	note "updating the private package list of $suite ($x)"
	# shellcheck disable=SC2086 # opts are separate words
	if ! apt-get $opts -q update >"$x/update.log" 2>&1 ||
		grep -qE '^(W|E): ' "$x/update.log"; then
		note "apt-get update for $suite failed or warned; using what is cached:"
		grep -E '^(W|E): ' "$x/update.log" | head -n 5 | sed 's/^/  /' >&2 || true
	fi
}

# kernel_debs_cached PATTERN — names of cached image packages matching
# PATTERN, newest last.
kernel_debs_cached() {
	local f
	for f in "$(kernels_cache)"/linux-image-*.deb; do
		[ -e "$f" ] && basename "$f" | cut -d_ -f1
	done | { grep -E "$1" || true; } | sort -uV
}

# kernel_deb PKG — the newest cached .deb of PKG (empty if none).
kernel_deb() {
	# shellcheck disable=SC2012 # Debian file names, no odd characters
	ls "$(kernels_cache)/$1"_*.deb 2>/dev/null | sort -V | tail -n 1 || true
}

# kernel_download SUITE PKG... — apt-get download PKGs into the cache.
kernel_download() {
	local suite=$1 cache tmp opts p
	shift
	cache=$(kernels_cache)
	opts=$(kernel_apt "$suite") || return 1
	tmp=$(mktemp -d "$cache/.download.XXXXXX")
	chmod 0755 "$tmp"
	if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
	# shellcheck disable=SC2086
	if (cd "$tmp" && apt-get $opts download "$@" >"$tmp/.log" 2>&1); then
		for p in "$@"; do
			ls "$tmp/${p}"_*.deb >/dev/null 2>&1 || { cat "$tmp/.log" >&2; rm -rf "$tmp"; return 1; }
		done
		mv "$tmp"/*.deb "$cache"/
		rm -rf "$tmp"
		return 0
	fi
	cat "$tmp/.log" >&2 || true
	rm -rf "$tmp"
	return 1
}

# kernel_parts DEB KREL — the dependencies of image DEB that are parts of
# the same kernel (linux-*-KREL), one a line.
kernel_parts() {
	dpkg-deb -f "$1" Depends Pre-Depends | sed -E 's/[,|]/\n/g' | sed -E 's/\(.*\)//; s/^[A-Za-z-]+: //; s/[[:space:]]//g' |
		awk -v r="$2" 'index($0, "linux-") == 1 && substr($0, length($0) - length(r)) == "-" r' | sort -u
}

# kernel_debs PKG KREL [SUITE] — the cached .debs of the image PKG and of
# its parts (dependencies named linux-*-KREL, followed from every part),
# one a line, image first. With SUITE, a part not cached yet is downloaded
# from SUITE's list; without, or if that fails, a missing part fails.
kernel_debs() {
	local pkg=$1 krel=$2 suite=${3:-} todo=("$1") seen=" " p deb
	while [ ${#todo[@]} -gt 0 ]; do
		p=${todo[0]}
		todo=("${todo[@]:1}")
		case $seen in *" $p "*) continue ;; esac
		seen="$seen$p "
		deb=$(kernel_deb "$p")
		if [ -z "$deb" ]; then
			[ -n "$suite" ] || return 1
			note "downloading $p into $(kernels_cache)"
			kernel_download "$suite" "$p" || return 1
			deb=$(kernel_deb "$p")
		fi
		echo "$deb"
		# shellcheck disable=SC2207
		todo+=($(kernel_parts "$deb" "$krel"))
	done
}

# kernel_unpack PKG KREL — unpack the image PKG and its parts (once) into
# the directory named after the image .deb, run depmod there; echo the
# directory.
kernel_unpack() {
	local pkg=$1 krel=$2 debs dir d
	debs=$(kernel_debs "$pkg" "$krel") || return 1
	dir=$(head -n 1 <<<"$debs")
	dir=${dir%.deb}
	if [ ! -e "$dir/.extracted" ]; then
		rm -rf "$dir.tmp"
		mkdir -p "$dir.tmp"
		for d in $debs; do
			dpkg-deb -x "$d" "$dir.tmp" || { rm -rf "$dir.tmp"; return 1; }
			echo "${d##*/}" >>"$dir.tmp/.parts"
		done
		# depmod -b looks in BASE/lib/modules only (kmod < 31): point
		# it at /usr/lib/modules when the package ships modules there.
		if [ ! -d "$dir.tmp/lib/modules/$krel" ] && [ -d "$dir.tmp/usr/lib/modules/$krel" ]; then
			mkdir -p "$dir.tmp/lib/modules"
			ln -s "../../usr/lib/modules/$krel" "$dir.tmp/lib/modules/$krel"
		fi
		# modules.dep is made by depmod in the package's postinst.
		depmod -b "$dir.tmp" "$krel" || { rm -rf "$dir.tmp"; return 1; }
		touch "$dir.tmp/.extracted"
		rm -rf "$dir"
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

# kernel_resolve LABEL — echo the newest package name for LABEL that the
# (host or private) apt lists know; nothing if none.
kernel_resolve() {
	local suite opts
	suite=$(kernel_suite "$1") || return 1
	opts=$(kernel_apt "$suite") || return 1
	# shellcheck disable=SC2086
	apt-cache $opts search --names-only "$(kernel_pattern "$1")" 2>/dev/null |
		awk '{print $1}' | sort -V | tail -n 1
}

# prepare_kernel LABEL — sets KDIR, KREL, VMLINUZ and MODDIR for the newest
# kernel of line LABEL, downloading and unpacking it if needed.
prepare_kernel() {
	local label=$1 suite pat pkg cache lockfd old dir where p
	suite=$(kernel_suite "$label") || die "unknown kernel '$label' (known: $KERNEL_LABELS_ALL)"
	pat=$(kernel_pattern "$label")
	cache=$(kernels_cache)
	where="the host's apt lists (run apt-get update?)"
	[ "$suite" = host ] || where="$cache/apt/$suite"
	mkdir -p "$cache"
	# Several harnesses may share the cache: one at a time in here.
	exec {lockfd}>"$cache/.kernels.lock"
	flock "$lockfd"
	kernel_apt_update "$suite"
	pkg=$(kernel_resolve "$label" || true)
	if [ -z "$pkg" ]; then
		pkg=$(kernel_debs_cached "$pat" | tail -n 1)
		[ -n "$pkg" ] || { exec {lockfd}>&-; die "[$label] no package matches $pat in $where, and none is cached in $cache"; }
		note "[$label] apt-cache found nothing; using cached $pkg"
	fi
	if ! kernel_debs "$pkg" "${pkg#linux-image-}" "$suite" >/dev/null; then
		# Offline: the newest cached kernel of this line whose parts
		# are all cached.
		old=$pkg
		pkg=
		for p in $(kernel_debs_cached "$pat" | sort -rV); do
			if kernel_debs "$p" "${p#linux-image-}" >/dev/null; then pkg=$p; break; fi
		done
		[ -n "$pkg" ] || { exec {lockfd}>&-; die "[$label] apt-get download $old failed and no complete kernel of this line is cached in $cache"; }
		note "[$label] download of $old failed; falling back to cached $pkg"
	fi
	KREL=${pkg#linux-image-}
	dir=$(kernel_unpack "$pkg" "$KREL") || { exec {lockfd}>&-; die "[$label] unpacking $pkg failed"; }
	exec {lockfd}>&-
	KDIR=$dir
	if [ -f "$dir/boot/vmlinuz-$KREL" ]; then
		VMLINUZ=$dir/boot/vmlinuz-$KREL
	elif [ -f "$dir/usr/lib/modules/$KREL/vmlinuz" ]; then
		VMLINUZ=$dir/usr/lib/modules/$KREL/vmlinuz
	else
		die "[$label] no vmlinuz in $dir (boot/vmlinuz-$KREL or usr/lib/modules/$KREL/vmlinuz)"
	fi
	MODDIR=$dir/lib/modules/$KREL
	[ -L "$MODDIR" ] && MODDIR=$dir/usr/lib/modules/$KREL
	[ -f "$MODDIR/modules.dep" ] || die "[$label] no modules.dep in $MODDIR"
	[ -f "$MODDIR/modules.builtin" ] || die "[$label] no modules.builtin in $MODDIR"
}

# --- kernel modules -------------------------------------------------------------
# modname PATH — module name of a modules.dep / modules.builtin path.
modname() {
	local n=${1##*/}
	n=${n%%.ko*}
	echo "${n//-/_}"
}

# find_mod NAME FILE — first path in modules.dep/modules.builtin for NAME.
find_mod() {
	awk -F: -v m="$1" '{ n = $1; sub(/.*\//, "", n); sub(/\.ko.*/, "", n); gsub(/-/, "_", n)
		if (n == m) { print $1; exit } }' "$2"
}

declare -gA MOD_SEEN=()
declare -ga MOD_ORDER=()
# mod_add REL — queue REL (path relative to the module dir) after its deps.
mod_add() {
	local rel=$1 deps i
	[ -z "${MOD_SEEN[$rel]:-}" ] || return 0
	MOD_SEEN[$rel]=1
	read -ra deps <<<"$(awk -v m="$rel" 'BEGIN { FS = ": *" } $1 == m { print $2 }' "$MODDIR/modules.dep")"
	for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
		mod_add "${deps[i]}"
	done
	MOD_ORDER+=("$rel")
}

# stage_modules LABEL STAGEDIR MODULE... — copy MODULE (and what it depends
# on) into STAGEDIR/lib/modules/pf/NN-NAME.ko, decompressed, and their
# insmod order into STAGEDIR/etc/pf-modules, from MODDIR (prepare_kernel).
# A module built into the kernel is skipped.
stage_modules() {
	local label=$1 stage=$2 m rel n f i=0 report=()
	shift 2
	MOD_SEEN=()
	MOD_ORDER=()
	for m in "$@"; do
		if [ -n "$(find_mod "$m" "$MODDIR/modules.builtin")" ]; then
			report+=("$m=built-in")
			continue
		fi
		rel=$(find_mod "$m" "$MODDIR/modules.dep")
		[ -n "$rel" ] || die "[$label] module $m is neither built in nor in modules.dep"
		report+=("$m=module")
		mod_add "$rel"
	done
	mkdir -p "$stage/lib/modules/pf" "$stage/etc"
	: >"$stage/etc/pf-modules"
	for rel in "${MOD_ORDER[@]}"; do
		i=$((i + 1))
		n=$(printf '%02d-%s.ko' "$i" "$(modname "$rel")")
		f=$MODDIR/$rel
		case $rel in
		*.ko.xz) xz -dc "$f" >"$stage/lib/modules/pf/$n" ;;
		*.ko.zst)
			command -v zstd >/dev/null || die "'zstd' not found (needed for $rel); run scripts/install-deps.sh"
			zstd -qdc "$f" >"$stage/lib/modules/pf/$n" ;;
		*.ko.gz) gzip -dc "$f" >"$stage/lib/modules/pf/$n" ;;
		*) cp "$f" "$stage/lib/modules/pf/$n" ;;
		esac
		echo "$n" >>"$stage/etc/pf-modules"
	done
	local loaded=()
	for rel in "${MOD_ORDER[@]}"; do loaded+=("$(modname "$rel")"); done
	note "[$label] $KREL: ${report[*]}; insmod order: ${loaded[*]:-none}"
}
