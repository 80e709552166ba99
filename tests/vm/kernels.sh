# TEMPORARY shim (host harness development): kernel resolution from run.sh
PF_KERNELS_ALL=(6.1 6.12)
CACHE=${PF_VM_CACHE:-/var/cache/permafrost-vm}
die() { echo "kernels: error: $*" >&2; return 2; }
note() { echo "kernels: $*" >&2; }
# --- kernels: resolve at run time, download and unpack once ----------------------
kernel_pattern() {
	case $1 in
	6.1) echo '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' ;;
	6.12) echo '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64$' ;;
	esac
}

# Newest .deb of a package pattern already in the cache (offline fallback).
cached_pkg() {
	local f
	for f in "$CACHE"/linux-image-*.deb; do
		[ -e "$f" ] && basename "$f" | cut -d_ -f1
	done | { grep -E "$1" || true; } | sort -V | tail -n 1
}

download_pkg() {
	local pkg=$1 tmp
	tmp=$(mktemp -d "$CACHE/.download.XXXXXX")
	# apt drops to the _apt user for downloads; let it write here.
	chmod 0755 "$tmp"
	if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
	if (cd "$tmp" && apt-get download "$pkg" >"$tmp/.log" 2>&1) &&
		ls "$tmp"/"$pkg"_*.deb >/dev/null 2>&1; then
		mv "$tmp"/"$pkg"_*.deb "$CACHE"/
		rm -rf "$tmp"
		return 0
	fi
	cat "$tmp/.log" >&2 || true
	rm -rf "$tmp"
	return 1
}

# prepare_kernel LABEL — sets KDIR, KREL, VMLINUZ for the newest kernel.
prepare_kernel() {
	local label=$1 pat pkg deb dir
	pat=$(kernel_pattern "$label")
	pkg=$(apt-cache search --names-only "$pat" 2>/dev/null | awk '{print $1}' | sort -V | tail -n 1)
	if [ -z "$pkg" ]; then
		pkg=$(cached_pkg "$pat")
		[ -n "$pkg" ] || die "no package matches $pat (run apt-get update?) and none is cached in $CACHE"
		note "[$label] apt-cache found nothing; using cached $pkg"
	fi
	# shellcheck disable=SC2012 # Debian file names, no odd characters
	deb=$(ls "$CACHE"/"$pkg"_*.deb 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -z "$deb" ]; then
		note "[$label] downloading $pkg into $CACHE"
		if ! download_pkg "$pkg"; then
			local old
			old=$(cached_pkg "$pat")
			[ -n "$old" ] || die "apt-get download $pkg failed"
			note "[$label] download failed; falling back to cached $old"
			pkg=$old
		fi
		# shellcheck disable=SC2012
		deb=$(ls "$CACHE"/"$pkg"_*.deb | sort -V | tail -n 1)
	fi
	dir=${deb%.deb}
	if [ ! -e "$dir/.extracted" ]; then
		rm -rf "$dir.tmp"
		dpkg-deb -x "$deb" "$dir.tmp"
		# modules.dep is made by depmod in the package's postinst.
		depmod -b "$dir.tmp" "${pkg#linux-image-}"
		touch "$dir.tmp/.extracted"
		rm -rf "$dir"
		mv "$dir.tmp" "$dir"
	fi
	KDIR=$dir
	KREL=${pkg#linux-image-}
	VMLINUZ=$dir/boot/vmlinuz-$KREL
	[ -f "$VMLINUZ" ] || die "no $VMLINUZ in $deb"
	[ -f "$dir/lib/modules/$KREL/modules.dep" ] || die "no modules.dep in $deb"
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

declare -A MOD_SEEN
MOD_ORDER=()
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

# stage_modules LABEL STAGEDIR — copy the modules /init must insmod, in order.
stage_modules() {
	local label=$1 stage=$2 m rel n f i=0 report=()
	shift 2
	MODDIR=$KDIR/lib/modules/$KREL
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
		*.ko.zst) zstd -qdc "$f" >"$stage/lib/modules/pf/$n" ;;
		*.ko.gz) gzip -dc "$f" >"$stage/lib/modules/pf/$n" ;;
		*) cp "$f" "$stage/lib/modules/pf/$n" ;;
		esac
		echo "$n" >>"$stage/etc/pf-modules"
	done
	local loaded=()
	for rel in "${MOD_ORDER[@]}"; do loaded+=("$(modname "$rel")"); done
	note "[$label] $KREL: ${report[*]}; insmod order: ${loaded[*]:-none}"
}

pf_debian_mirror() {
	local suite=$1
	{
		cat /etc/apt/sources.list 2>/dev/null
		cat /etc/apt/sources.list.d/*.list 2>/dev/null
	} | awk -v s="$suite" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { if ($(i+1) == s) { print $i; exit } } }'
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] || continue
		awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" }
			{ u = ""; ok = 0
			  for (i = 1; i <= NF; i++) {
				if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, a, " "); u = a[1] }
				if ($i ~ /^Suites:/) { n = split($i, b, /[ \t]+/); for (j = 2; j <= n; j++) if (b[j] == s) ok = 1 }
			  }
			  if (ok && u != "") { print u; exit } }' "$f"
	done
}

