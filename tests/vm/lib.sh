# Helpers for VM case scripts (busybox sh). Source with:  . "$PF_LIB"
#
# Every assertion prints one TAP line: "ok - NAME" or
# "not ok - NAME # DETAIL". /init counts them; a case script that exits
# non-zero or prints no TAP line at all is counted as a failure by /init.

# ok NAME
ok() {
	echo "ok - $1"
}

# not_ok NAME DETAIL
not_ok() {
	echo "not ok - $1 # $2"
}

# check NAME CMD... — passes when CMD exits 0.
check() {
	_pf_name=$1
	shift
	if _pf_out=$("$@" 2>&1); then
		ok "$_pf_name"
	else
		not_ok "$_pf_name" "'$*' failed: $(echo "$_pf_out" | head -n 3 | tr '\n' ' ')"
	fi
}

# expect OUTCOME NAME [--] CMD...
# CMD prints a pfop word (OK, EPERM, ...); its first word must be OUTCOME.
#   expect EPERM "open-write protected file" pfop open-write /prot/etc/a
expect() {
	_pf_want=$1
	_pf_name=$2
	shift 2
	[ "${1-}" = "--" ] && shift
	_pf_out=$("$@" 2>"${TMPDIR:-/tmp}/.pf_expect_err.$$")
	_pf_got=$(echo "$_pf_out" | head -n 1 | awk '{print $1}')
	if [ "$_pf_got" = "$_pf_want" ]; then
		ok "$_pf_name"
	else
		not_ok "$_pf_name" "expected $_pf_want, got '${_pf_got:-<nothing>}' from: $* $(head -c 200 "${TMPDIR:-/tmp}/.pf_expect_err.$$" | tr '\n' ' ')"
	fi
}

# hash_of FILE — prints the sha256 of FILE's bytes ("missing" if unreadable).
hash_of() {
	sha256sum "$1" 2>/dev/null | awk '{print $1}' | grep . || echo missing
}

# expect_same_hash NAME FILE HASH — FILE's bytes still hash to HASH
# (take HASH with hash_of before the operation under test).
expect_same_hash() {
	_pf_now=$(hash_of "$2")
	if [ "$_pf_now" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "$2 changed: sha256 $3 -> $_pf_now"
	fi
}

# expect_content NAME FILE TEXT — FILE holds exactly TEXT (no newline added).
expect_content() {
	_pf_want=$(printf '%s' "$3" | sha256sum | awk '{print $1}')
	_pf_now=$(hash_of "$2")
	if [ "$_pf_now" = "$_pf_want" ]; then
		ok "$1"
	else
		not_ok "$1" "$2 holds '$(head -c 80 "$2" 2>/dev/null | tr '\n' '|')', want '$3'"
	fi
}

# _pf_grep_all FILE PATTERN... — print the lines of FILE that contain every
# fixed-string PATTERN.
_pf_grep_all() {
	_pf_lines=$(grep -F -- "$2" "$1" 2>/dev/null) || return 1
	shift 2
	for _pf_p in "$@"; do
		_pf_lines=$(printf '%s\n' "$_pf_lines" | grep -F -- "$_pf_p") || return 1
	done
	printf '%s\n' "$_pf_lines"
}

# log_has NAME FILE PATTERN... — one single line of FILE (JSON lines)
# contains all the fixed strings.
log_has() {
	_pf_name=$1
	_pf_file=$2
	shift 2
	if _pf_grep_all "$_pf_file" "$@" >/dev/null; then
		ok "$_pf_name"
	else
		not_ok "$_pf_name" "no line of $_pf_file contains all of: $* (last: $(tail -n 1 "$_pf_file" 2>/dev/null | head -c 200))"
	fi
}

# log_lacks NAME FILE PATTERN... — no line contains all the fixed strings.
log_lacks() {
	_pf_name=$1
	_pf_file=$2
	shift 2
	if _pf_grep_all "$_pf_file" "$@" >/dev/null; then
		not_ok "$_pf_name" "$_pf_file has a line with all of: $*"
	else
		ok "$_pf_name"
	fi
}

# wait_for FILE TIMEOUT_S — returns 0 once FILE exists, 1 after TIMEOUT_S.
wait_for() {
	_pf_left=$(($2 * 10))
	while [ ! -e "$1" ]; do
		[ "$_pf_left" -le 0 ] && return 1
		_pf_left=$((_pf_left - 1))
		sleep 0.1 2>/dev/null || pfop sleep-ms 100 >/dev/null
	done
	return 0
}

# --- the agent ---------------------------------------------------------------
# Programs the agent attaches and pins on the kernels we test: 48
# (one of each hook's signature variants in the object) on 6.2 and newer;
# 6.1 lacks file_truncate, inode_set_acl and inode_remove_acl (routes
# checked at older hooks); 5.10 also has no program that can take
# path_chown's kuid_t (chown is checked at inode_setattr).
case $(uname -r) in 5.10.*) PF_NLINKS=44 ;; 6.1.*) PF_NLINKS=45 ;; *) PF_NLINKS=48 ;; esac
PF_SOCK=/run/permafrost/agent.sock
PF_LOG=/var/log/permafrost/audit.log
PF_STATE=/var/lib/permafrost
PF_POLICY=/tmp/pf.conf
# The agent's pinned maps: <pin dir>/maps-v<PF_MAPS_VERSION> of the build
# under test (the harnesses write the number next to this file).
PF_MAPS_DIR=/sys/fs/bpf/permafrost/maps-v$(cat "$(dirname "${PF_LIB:-/usr/local/lib/pf-test/lib.sh}")/maps-version" 2>/dev/null)
PF_AGENT_OUT=/tmp/permafrostd.out

start_agent() {
	rm -f "$PF_SOCK"
	# Without LD_LIBRARY_PATH (set by /init): the kernel does not trust an
	# agent exec'd with loader variables (self-protection).
	# PF_AGENT_BIN: another agent binary (the upgrade suite's next build).
	env -u LD_LIBRARY_PATH "${PF_AGENT_BIN:-permafrostd}" --policy "$PF_POLICY" --state-dir "$PF_STATE" \
		--log "$PF_LOG" --socket "$PF_SOCK" >>"$PF_AGENT_OUT" 2>&1 &
	PF_AGENT_PID=$!
	echo "$PF_AGENT_PID" > /tmp/permafrostd.pid
	# Up to 360 s for the socket (the verifier's load of our programs took
	# 90-125 s under QEMU on 5.10 with two boots sharing the host's cores),
	# but no longer than the agent lives: one that cannot load its programs
	# exits within a second.
	_pf_left=3600
	while [ ! -e "$PF_SOCK" ] && [ "$_pf_left" -gt 0 ] && kill -0 "$PF_AGENT_PID" 2>/dev/null; do
		_pf_left=$((_pf_left - 1))
		sleep 0.1 2>/dev/null || pfop sleep-ms 100 >/dev/null
	done
	if [ ! -e "$PF_SOCK" ] || ! kill -0 "$PF_AGENT_PID" 2>/dev/null; then
		sed 's/^/# permafrostd: /' "$PF_AGENT_OUT"
		return 1
	fi
}

# require_agent: start it, or end the case (nothing else can pass without it).
require_agent() {
	if start_agent; then
		ok "agent starts"
	else
		not_ok "agent starts" "see the permafrostd lines above"
		exit 1
	fi
}

stop_agent() {
	pid=$(cat /tmp/permafrostd.pid 2>/dev/null)
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	i=0
	while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
}

# expect_event NAME PATTERN... — within 5 s, one audit-log line holds every
# fixed string.
expect_event() {
	_n=$1
	shift
	_i=0
	while [ $_i -lt 50 ]; do
		if _pf_grep_all "$PF_LOG" "$@" >/dev/null; then
			ok "$_n"
			return
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	not_ok "$_n" "no audit line with: $* (last: $(tail -n 1 "$PF_LOG" | head -c 300))"
}

# no_event NAME PATTERN... — after the agent had 1 s to drain, no line.
no_event() {
	sleep 1
	_n=$1; shift; log_lacks "$_n" "$PF_LOG" "$@"
}

# --- signed tokens -------------------------------------------------------------
# Approvers alice, bob and carol (ed25519 keys made in the VM) are trusted in
# $PF_SIGNERS; "ops" requests. Policies add: allowed-signers $PF_SIGNERS
PF_KEYS=/tmp/pf-keys
PF_SIGNERS=$PF_KEYS/allowed_signers

# pf_events_policy METRICS MODE [extra directives...] — the event-path
# suites' policy: /prot/etc protected, metrics to METRICS, and every
# decision a record of its own (they count the raw event path;
# pressure/20-repeats.sh has the runs of repeats).
pf_events_policy() {
	{
		echo "mode $2"
		echo "allowed-signers $PF_SIGNERS"
		echo "protect /prot/etc"
		echo "event-repeat-window 0"
		echo "metrics-file $1"
		shift 2
		for l in "$@"; do echo "$l"; done
	} > "$PF_POLICY"
}

pf_keys_setup() {
	[ -f "$PF_SIGNERS" ] && return 0
	mkdir -p "$PF_KEYS"
	: > "$PF_SIGNERS"
	for who in alice bob carol mallory; do
		ssh-keygen -q -t ed25519 -N '' -C "$who" -f "$PF_KEYS/$who" || return 1
		[ "$who" = mallory ] && continue # not trusted
		printf '%s namespaces="permafrost-approval-v1" %s\n' "$who" "$(cat "$PF_KEYS/$who.pub")" >> "$PF_SIGNERS"
	done
}

# sign_token FILE SIGNER... — append each signer's armored SSHSIG to FILE.
sign_token() {
	_f=$1
	shift
	cp "$_f" "$_f.body"
	for _who in "$@"; do
		rm -f "$_f.body.sig"
		ssh-keygen -q -Y sign -n permafrost-approval-v1 -f "$PF_KEYS/$_who" "$_f.body" >/dev/null 2>&1 || return 1
		cat "$_f.body.sig" >> "$_f"
	done
	rm -f "$_f.body" "$_f.body.sig"
}

# new_token FILE TOKEN-NEW-ARGS... — a token body from `permafrost token new`.
new_token() {
	_f=$1
	shift
	permafrost token new --ticket CHG-1 --requester ops --host pfvm --reason "test change" "$@" > "$_f"
}

# pf_thaw — thaw with a thaw token signed by alice and bob.
pf_thaw() {
	pf_keys_setup || return 1
	new_token /tmp/thaw.tok --thaw --ttl 10m || return 1
	sign_token /tmp/thaw.tok alice bob || return 1
	permafrost thaw /tmp/thaw.tok
}
