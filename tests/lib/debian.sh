# shellcheck shell=bash
# Debian for the test harnesses: the mirror the host already uses, and a
# Debian root made with debootstrap once and cached as a tarball. Sourced.
#
#   . tests/lib/debian.sh
#   debian_mirror                 # e.g. http://deb.debian.org/debian
#   debian_root_tarball DEB       # echoes the cached root's tarball
#
# Environment: PF_VM_MIRROR (the mirror), PF_HOST_CACHE (where roots are
# cached, default /var/cache/permafrost-host).

# debian_mirror — the Debian mirror the host's apt sources use for the
# host's own suite (one-line .list files and deb822 .sources files).
debian_mirror() {
	local suite f
	if [ -n "${PF_VM_MIRROR:-}" ]; then
		echo "${PF_VM_MIRROR%/}"
		return 0
	fi
	# shellcheck disable=SC1091
	suite=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
	[ -n "$suite" ] || return 1
	{
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk -v s="$suite" '
			$1 == "deb" { for (i = 2; i < NF; i++) if ($i ~ /^https?:\/\//) { if ($(i + 1) == s) print $i; break } }'
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -e "$f" ] || continue
			# deb822 stanzas: blank-line separated; first URI of a
			# "Types: deb" stanza that lists the suite.
			awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" }
				{ uri = ""; deb = 0; has = 0
				  for (i = 1; i <= NF; i++) {
					if ($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) deb = 1
					if ($i ~ /^URIs:/) { n = split($i, u, /[ \t]+/); if (n >= 2) uri = u[2] }
					if ($i ~ /^Suites:/) { n = split($i, w, /[ \t]+/); for (j = 2; j <= n; j++) if (w[j] == s) has = 1 }
				  }
				  if (deb && has && uri ~ /^https?:\/\//) print uri }' "$f"
		done
	} | sed 's:/*$::' | head -n 1 | grep .
}

# debian_root_tarball DEB — a Debian root of the host's suite, made with
# debootstrap (minbase, systemd as init, udev, dbus, the tools the tests
# use, and DEB's dependencies, so that apt installs DEB without a network),
# once per package set, cached as a tarball; echoes its path. The packaging
# test installs into it in a chroot, the host suite boots it.
debian_root_tarball() {
	local deb=$1 suite mirror include key cache tarball
	cache=${PF_HOST_CACHE:-/var/cache/permafrost-host}
	# shellcheck disable=SC1091
	suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
	mirror=$(debian_mirror) || { echo "debian: no Debian mirror for $suite in /etc/apt/sources.list*" >&2; return 1; }
	include=systemd,systemd-sysv,udev,kmod,dbus,procps,adduser,openssh-client,e2fsprogs,iproute2,strace,sudo
	# the package's Depends, first alternative, without versions
	include=$include,$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g; /^\$/d' | grep . | sort -u | paste -sd, -)
	key=$(echo "$suite $include" | sha256sum | cut -c1-16)
	tarball=$cache/$suite-systemd-$key.tar
	mkdir -p "$cache"
	(
		flock 9
		if [ ! -s "$tarball" ]; then
			rm -rf "$cache/build-$key"
			debootstrap --variant=minbase --include="$include" "$suite" "$cache/build-$key" "$mirror" \
				>"$cache/debootstrap-$key.log" 2>&1 || { tail -n 5 "$cache/debootstrap-$key.log" >&2; exit 1; }
			tar -C "$cache/build-$key" -cf "$tarball.new" . && mv "$tarball.new" "$tarball"
			rm -rf "$cache/build-$key"
		fi
	) 9>"$cache/.lock" || return 1
	echo "$tarball"
}
