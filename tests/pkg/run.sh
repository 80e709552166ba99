#!/bin/bash
# Packaging test: builds the .deb and the .rpm (make deb / make rpm into
# OUT), checks their contents, installs the .deb into a throw-away Debian
# root (debootstrap, cached under /var/cache/permafrost-host, tests/lib/debian.sh) and walks it
# through install, upgrade of a frozen host, refused removal, remove and
# purge; checks the unit with systemd-analyze and the Ansible playbooks.
# Prints TAP lines and ends with "pkg: N passed, N failed".
#
#   tests/pkg/run.sh [OUT]     (default: a temporary directory)
#
# Needs root (chroot), dpkg-dev, debhelper, lintian, rpm, debootstrap,
# ansible, systemd (systemd-analyze), python3.
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
OUT=${1:-}
tmp=$(mktemp -d /tmp/pf-pkg.XXXXXX)
[ -n "$OUT" ] || OUT=$tmp/out
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
ROOT=$tmp/root
fake_pid=

pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
notok() { echo "not ok - $1${2:+ # $2}"; fail=$((fail + 1)); }
check() { # check NAME CMD...: ok when CMD succeeds
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else notok "$name" "failed: $*"; fi
}
cleanup() {
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
t0=$(date +%s)
elapsed() { echo "$(($(date +%s) - t0))s"; }

# The Makefile includes packaging/packaging.mk; until it does, include it here.
MAKE_PKG=(make)
grep -q '^include packaging/packaging.mk' Makefile || MAKE_PKG=(make -f Makefile -f packaging/packaging.mk)
VERSION=$(cat VERSION)

# --- build ---------------------------------------------------------------------
if "${MAKE_PKG[@]}" deb OUT="$OUT" >"$tmp/deb.log" 2>&1; then
	ok "make deb (lintian clean: no error or warning that is not overridden) [$(elapsed)]"
else
	notok "make deb" "$(tail -n 5 "$tmp/deb.log" | tr '\n' ' ')"
fi
DEB=$(ls "$OUT"/deb/permafrost_*_amd64.deb 2>/dev/null | head -n 1)
if "${MAKE_PKG[@]}" rpm OUT="$OUT" >"$tmp/rpm.log" 2>&1; then
	ok "make rpm [$(elapsed)]"
else
	notok "make rpm" "$(tail -n 5 "$tmp/rpm.log" | tr '\n' ' ')"
fi
RPM=$(ls "$OUT"/rpm/permafrost-*.rpm 2>/dev/null | head -n 1)

# --- .deb contents -----------------------------------------------------------------
if [ -n "$DEB" ]; then
	dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|' >"$tmp/deb.files"
	for f in /usr/sbin/permafrostd /usr/bin/permafrost /lib/systemd/system/permafrostd.service \
		/etc/permafrost/permafrost.conf /etc/permafrost/allowed_signers \
		/usr/share/doc/permafrost/copyright /usr/share/doc/permafrost/README.md; do
		check "deb ships $f" grep -qx "$f" "$tmp/deb.files"
	done
	for m in docs/man/*.[1-8]; do
		check "deb ships man page ${m##*/} gzipped" grep -qx "/usr/share/man/man${m##*.}/${m##*/}.gz" "$tmp/deb.files"
	done
	check "deb ships the bash completion" grep -qx /usr/share/bash-completion/completions/permafrost "$tmp/deb.files"
	mkdir -p "$tmp/ctl"
	dpkg-deb -e "$DEB" "$tmp/ctl"
	got=$(sort "$tmp/ctl/conffiles" | tr '\n' ' ')
	want="/etc/permafrost/allowed_signers /etc/permafrost/permafrost.conf "
	if [ "$got" = "$want" ]; then ok "deb conffiles are exactly permafrost.conf and allowed_signers"; else notok "deb conffiles" "got: $got"; fi
	v=$(dpkg-deb -f "$DEB" Version)
	if [ "${v%%-*}" = "$VERSION" ]; then ok "deb version $v matches VERSION"; else notok "deb version matches VERSION" "deb $v, VERSION $VERSION: add a packaging/debian/changelog entry"; fi
	dpkg-deb --fsys-tarfile "$DEB" | tar -xOf - ./etc/permafrost/permafrost.conf >"$tmp/policy"
	if grep -Eq '^mode[[:space:]]+off([[:space:]]|$)' "$tmp/policy"; then ok "shipped policy has mode off"; else notok "shipped policy has mode off" "$(grep -E '^mode' "$tmp/policy")"; fi
	if [ -s "$OUT/deb/lintian.txt" ] && grep -Eq '^[EW]: ' "$OUT/deb/lintian.txt"; then
		notok "lintian: no errors or warnings" "$(grep -E '^[EW]: ' "$OUT/deb/lintian.txt" | head -n 3 | tr '\n' ' ')"
	else
		ok "lintian: no errors or warnings"
	fi
else
	notok "deb contents" "no .deb in $OUT/deb"
fi

# --- .rpm contents -------------------------------------------------------------------
if [ -n "$RPM" ]; then
	rpm -qlp "$RPM" 2>/dev/null >"$tmp/rpm.files"
	for f in /usr/sbin/permafrostd /usr/bin/permafrost /usr/lib/systemd/system/permafrostd.service \
		/etc/permafrost/permafrost.conf /etc/permafrost/allowed_signers; do
		check "rpm -qlp lists $f" grep -qx "$f" "$tmp/rpm.files"
	done
	for m in docs/man/*.[1-8]; do
		check "rpm ships man page ${m##*/} gzipped" grep -qx "/usr/share/man/man${m##*.}/${m##*/}.gz" "$tmp/rpm.files"
	done
	check "rpm ships the bash completion" grep -qx /usr/share/bash-completion/completions/permafrost "$tmp/rpm.files"
	got=$(rpm -qpc "$RPM" 2>/dev/null | sort | tr '\n' ' ')
	if [ "$got" = "/etc/permafrost/allowed_signers /etc/permafrost/permafrost.conf " ]; then
		ok "rpm %config files are exactly permafrost.conf and allowed_signers"
	else
		notok "rpm %config files" "got: $got"
	fi
	check "rpm has %pre, %preun and %postun scriptlets" \
		sh -c "rpm -qp --scripts '$RPM' 2>/dev/null | grep -q '^preinstall' && rpm -qp --scripts '$RPM' | grep -q '^preuninstall' && rpm -qp --scripts '$RPM' | grep -q '^postuninstall'"
else
	notok "rpm contents" "no .rpm in $OUT/rpm"
fi

# --- unit ------------------------------------------------------------------------------
UNIT=packaging/permafrostd.service
score=$(systemd-analyze security --offline=true "$UNIT" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 3.0) }'; then
	ok "systemd-analyze security: exposure $score (at most 3.0)"
else
	notok "systemd-analyze security: exposure at most 3.0" "got '${score:-none}'"
fi
# The unit file as shipped, outside any root (the binary it names need not
# exist here: that one message is expected and ignored).
if command -v systemd-analyze >/dev/null 2>&1; then
	out=$(systemd-analyze verify "$UNIT" 2>&1 | grep -v 'Command /usr/sbin/permafrostd is not executable')
	if [ -z "$out" ]; then ok "systemd-analyze verify $UNIT: no complaint"; else notok "systemd-analyze verify $UNIT" "$(echo "$out" | head -n 3 | tr '\n' ' ')"; fi
else
	notok "systemd-analyze verify" "systemd-analyze not installed (scripts/install-deps.sh installs systemd)"
fi
check "unit: Type=notify with NotifyAccess=main" sh -c "grep -qx 'Type=notify' '$UNIT' && grep -qx 'NotifyAccess=main' '$UNIT'"
if grep -q '^Type=notify' "$UNIT"; then
	check "Type=notify: permafrostd sends READY=1 (NOTIFY_SOCKET in the binary)" \
		sh -c "dpkg-deb --fsys-tarfile '$DEB' | tar -xOf - ./usr/sbin/permafrostd | grep -aq NOTIFY_SOCKET"
fi

# --- throw-away root -------------------------------------------------------------------
# debootstrap (minbase + the package's dependencies) once per dependency
# set, cached as a tarball; the mirror is the one apt already uses.
# debian_root_tarball (the root the host suite boots, too)
# shellcheck source=../lib/debian.sh
. "$TOP/tests/lib/debian.sh"

make_root() {
	local tarball
	tarball=$(debian_root_tarball "$DEB") || return 1
	mkdir -p "$ROOT"
	tar -C "$ROOT" -xf "$tarball"
}

in_root() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C chroot "$ROOT" "$@"; }
pkg_status() { in_root dpkg-query -W -f='${db:Status-Abbrev}' permafrost 2>/dev/null | tr -d ' '; }
# Installed, whatever the selection (a refused `dpkg -r` leaves it at "r").
installed() { case "$(pkg_status)" in ?i) return 0 ;; *) return 1 ;; esac; }
set_state() { mkdir -p "$ROOT/var/lib/permafrost" && printf '%b' "$1" >"$ROOT/var/lib/permafrost/freeze"; }

# A stand-in agent on the root's control socket: answers status with
# mode=$1 and check with protected=yes (the protocol: 4-byte big-endian
# length, then key=value lines).
start_fake_agent() {
	mkdir -p "$ROOT/run/permafrost"
	python3 - "$ROOT/run/permafrost/agent.sock" "$1" <<'PY' &
import os, socket, struct, sys
path, mode = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(8)
def recv(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            break
        b += d
    return b
while True:
    c, _ = s.accept()
    n = struct.unpack(">I", recv(c, 4))[0]
    req = dict(l.split("=", 1) for l in recv(c, n).decode().splitlines() if "=" in l)
    if req.get("cmd") == "check":
        rep = "status=ok\npath=%s\nprotected=yes\nrule_kind=protect\nrule=/usr\nmode=%s\nwrite=deny\n" % (req.get("path", ""), mode)
    else:
        rep = "status=ok\nmode=%s\nsince=1\nby_uid=0\nreason=test\n" % mode
    body = rep.encode()
    c.sendall(struct.pack(">I", len(body)) + body)
    c.close()
PY
	fake_pid=$!
	for _ in $(seq 50); do [ -S "$ROOT/run/permafrost/agent.sock" ] && return 0; sleep 0.1; done
	return 1
}
stop_fake_agent() {
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
	fake_pid=
	rm -f "$ROOT/run/permafrost/agent.sock"
}

if [ -z "$DEB" ]; then
	notok "install into a throw-away root" "no .deb"
elif [ "$(id -u)" -ne 0 ]; then
	notok "install into a throw-away root" "needs root (chroot)"
elif ! make_root >"$tmp/root.log" 2>&1; then
	notok "debootstrap a throw-away root" "$(tail -n 3 "$tmp/root.log" | tr '\n' ' ')"
else
	ok "throw-away root: debootstrap minbase with systemd (cache ${PF_HOST_CACHE:-/var/cache/permafrost-host}) [$(elapsed)]"
	cp "$DEB" "$ROOT/tmp/permafrost.deb"

	# Fresh install.
	if in_root dpkg -i /tmp/permafrost.deb >"$tmp/i1.log" 2>&1; then ok "dpkg -i in the root"; else notok "dpkg -i in the root" "$(tail -n 3 "$tmp/i1.log" | tr '\n' ' ')"; fi
	check "permafrost group exists (system group)" sh -c "gid=\$(chroot '$ROOT' getent group permafrost | cut -d: -f3) && [ \"\$gid\" -lt 1000 ]"
	got=$(in_root dpkg-query -W -f='${Conffiles}' permafrost | awk 'NF {print $1}' | sort | tr '\n' ' ')
	if [ "$got" = "/etc/permafrost/allowed_signers /etc/permafrost/permafrost.conf " ]; then ok "conffiles registered with dpkg"; else notok "conffiles registered with dpkg" "got: $got"; fi
	v=$(in_root permafrost --version 2>&1)
	if [ $? -eq 0 ] && [[ "$v" == *"$VERSION"* ]]; then ok "permafrost --version runs in the root: $v"; else notok "permafrost --version runs in the root" "$v"; fi
	v=$(in_root permafrostd --version 2>&1)
	if [ $? -eq 0 ] && [[ "$v" == *"$VERSION"* ]]; then ok "permafrostd --version runs in the root: $v"; else notok "permafrostd --version runs in the root" "$v"; fi
	check "unit enabled for boot (sysinit.target.wants)" test -L "$ROOT/etc/systemd/system/sysinit.target.wants/permafrostd.service"
	check "fresh install wrote no freeze state" test ! -e "$ROOT/var/lib/permafrost/freeze"
	check "empty allowed_signers installed" sh -c "[ -f '$ROOT/etc/permafrost/allowed_signers' ] && [ ! -s '$ROOT/etc/permafrost/allowed_signers' ]"
	# Man pages and completion land in the root; the installed pages render
	# without a warning (the root has no man-db: the host's man reads them).
	for m in docs/man/*.[1-8]; do
		f=$ROOT/usr/share/man/man${m##*.}/${m##*/}.gz
		if [ -s "$f" ] && out=$(man --warnings -l "$f" 2>&1 >/dev/null) && [ -z "$out" ] &&
			man -l "$f" 2>/dev/null | grep -q '^NAME'; then
			ok "installed ${m##*/}.gz renders with man -l, no warnings"
		else
			notok "installed ${m##*/}.gz renders with man -l" "$(ls -l "$f" 2>&1) $(echo "$out" | head -n 2 | tr '\n' ' ')"
		fi
	done
	check "bash completion installed and loads in bash" \
		sh -c "chroot '$ROOT' bash -c '. /usr/share/bash-completion/completions/permafrost && complete -p permafrost' | grep -q _permafrost"
	if out=$(systemd-analyze verify --root="$ROOT" /lib/systemd/system/permafrostd.service 2>&1); then
		ok "systemd-analyze verify (in the root)"
	else
		notok "systemd-analyze verify (in the root)" "$(echo "$out" | head -n 3 | tr '\n' ' ')"
	fi

	# Upgrade of a frozen host whose agent is down: goes through, keeps the
	# operator's policy and the freeze state (the next agent start re-applies it).
	echo "# local edit" >>"$ROOT/etc/permafrost/permafrost.conf"
	set_state 'mode=enforce\nsince=1\nby_uid=0\nby_pid=1\nreason=holiday freeze\n'
	if in_root dpkg -i /tmp/permafrost.deb >"$tmp/i2.log" 2>&1; then ok "upgrade (reinstall) of a frozen host, agent down, succeeds"; else notok "upgrade of a frozen host, agent down" "$(tail -n 3 "$tmp/i2.log" | tr '\n' ' ')"; fi
	check "upgrade keeps the freeze state (mode=enforce)" grep -qx 'mode=enforce' "$ROOT/var/lib/permafrost/freeze"
	check "upgrade keeps the operator's policy edit" grep -qx '# local edit' "$ROOT/etc/permafrost/permafrost.conf"

	# Removal while frozen: refused, whatever says so.
	for st in 'mode=enforce\nsince=1\nby_uid=0\n' 'mode=audit\nsince=1\nby_uid=0\n' 'garbage\n'; do
		set_state "$st"
		label=$(printf '%b' "$st" | head -n 1)
		out=$(in_root dpkg -r permafrost 2>&1)
		rc=$?
		if [ $rc -ne 0 ] && installed && grep -q 'refusing to remove' <<<"$out"; then
			ok "dpkg -r refused, package still installed (agent down, state '$label')"
		else
			notok "dpkg -r refused (agent down, state '$label')" "rc $rc, status $(pkg_status): $(tail -n 2 <<<"$out" | tr '\n' ' ')"
		fi
	done
	set_state 'mode=off\nsince=1\nby_uid=0\n'
	if start_fake_agent enforce; then
		out=$(in_root dpkg -r permafrost 2>&1)
		rc=$?
		if [ $rc -ne 0 ] && installed && grep -q 'frozen (mode enforce)' <<<"$out"; then
			ok "dpkg -r refused: the running agent reports enforce (state file says off)"
		else
			notok "dpkg -r refused when the agent reports enforce" "rc $rc, status $(pkg_status): $(tail -n 2 <<<"$out" | tr '\n' ' ')"
		fi
		out=$(in_root dpkg -i /tmp/permafrost.deb 2>&1)
		rc=$?
		if [ $rc -ne 0 ] && installed && grep -q 'the freeze protects /usr/sbin/permafrostd' <<<"$out"; then
			ok "upgrade refused up front when the running freeze protects the package's files"
		else
			notok "upgrade refused when the freeze protects the package's files" "rc $rc, status $(pkg_status): $(tail -n 2 <<<"$out" | tr '\n' ' ')"
		fi
		stop_fake_agent
	else
		notok "stand-in agent on the root's control socket" "did not start"
	fi

	# Thawed: remove keeps state and conffiles; purge removes state, log, group.
	mkdir -p "$ROOT/var/log/permafrost" && echo '{}' >"$ROOT/var/log/permafrost/audit.log"
	if in_root dpkg -r permafrost >"$tmp/r.log" 2>&1 && [ "$(pkg_status)" = rc ]; then
		ok "dpkg -r on a thawed host (state mode=off)"
	else
		notok "dpkg -r on a thawed host" "status $(pkg_status): $(tail -n 3 "$tmp/r.log" | tr '\n' ' ')"
	fi
	check "remove keeps the freeze state and conffiles" test -e "$ROOT/var/lib/permafrost/freeze" -a -e "$ROOT/etc/permafrost/permafrost.conf"
	in_root dpkg -P permafrost >"$tmp/p.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && { [ -z "$(pkg_status)" ] || [ "$(pkg_status)" = pn ]; }; then
		ok "dpkg -P"
	else
		notok "dpkg -P" "rc $rc, status $(pkg_status): $(tail -n 3 "$tmp/p.log" | tr '\n' ' ')"
	fi
	check "purge removes /var/lib/permafrost and /var/log/permafrost" test ! -e "$ROOT/var/lib/permafrost" -a ! -e "$ROOT/var/log/permafrost"
	check "purge removes /etc/permafrost" test ! -e "$ROOT/etc/permafrost"
	check "purge removes the permafrost group" sh -c "! chroot '$ROOT' getent group permafrost"
	check "purge removes the unit's enablement symlink" test ! -e "$ROOT/etc/systemd/system/sysinit.target.wants/permafrostd.service"
fi

# --- Ansible -----------------------------------------------------------------------------
if command -v ansible-playbook >/dev/null 2>&1; then
	for pb in packaging/ansible/*.yml; do
		check "ansible-playbook --syntax-check ${pb##*/}" \
			sh -c "cd packaging/ansible && ansible-playbook --syntax-check '${pb##*/}'"
	done
	# status.yml against this machine: the agent does not run here, so the
	# survey must record exit code 3 (unreachable agent) rather than fail.
	cli=$tmp/cli
	mkdir -p "$cli"
	if [ -n "$DEB" ] && dpkg-deb -x "$DEB" "$cli"; then
		if (cd packaging/ansible && ansible-playbook -i localhost, -c local \
			-e permafrost_hosts=localhost -e permafrost_become=false \
			-e permafrost_cli="$cli/usr/bin/permafrost" -e permafrost_status_file="$tmp/status.json" \
			status.yml) >"$tmp/ansible.log" 2>&1 &&
			python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d["localhost"]["rc"]; assert r in (0, 3), r; assert "status" in d["localhost"]' "$tmp/status.json" 2>>"$tmp/ansible.log"; then
			ok "status.yml against localhost (local connection): survey written, rc $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["localhost"]["rc"])' "$tmp/status.json")"
		else
			notok "status.yml against localhost" "$(tail -n 3 "$tmp/ansible.log" | tr '\n' ' ')"
		fi
	else
		notok "status.yml against localhost" "no CLI (no .deb)"
	fi
else
	notok "ansible-playbook" "not installed (apt-get install ansible)"
fi

echo "# done in $(elapsed)"
echo "pkg: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
