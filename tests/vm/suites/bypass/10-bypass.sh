# The bypass suite: every vectors/NN-*.sh is an attack on a frozen host,
# run as root, one after another. See README.md in this folder.
#
# TAP: "ok - bypass NN-name: VECTOR" when refused as expected (exit 0),
# "not ok - ... # what happened" when bypassed (exit 1), "not ok - ... #
# harness error" (exit 2, any other status, or a timeout). "# expect:
# out-of-reach: REASON" vectors are not run and print no TAP line, nor
# are vectors whose "# hooks:" line names a hook the agent reports as
# unenforced on this kernel (table: "not enforceable on KERNEL").
# After each vector the host must still be frozen with the agent alive;
# if not, it is restored and the vector fails. At the end one
# "BYPASS | NN-name | kernel | outcome" line per vector.
. "$PF_SUITE_DIR/setup.inc"

VEC_DIR=$PF_SUITE_DIR/vectors
VEC_TIMEOUT=${BP_VECTOR_TIMEOUT:-90}
TABLE=/tmp/bp-table
KVER=$(uname -r)
: > "$TABLE"

# header FILE KEY — the text after "# KEY:" on FILE's header lines.
header() {
	sed -n "s/^# $2: *//p" "$1" | head -n 1
}

# restore: agent alive and frozen again, whatever a vector did.
restore() {
	pid=$(cat /tmp/permafrostd.pid 2>/dev/null)
	if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
		start_agent >/dev/null 2>&1
	fi
	permafrost status 2>/dev/null | grep -q '^Mode: *enforce' ||
		permafrost freeze --reason "bypass suite: refreeze" >/dev/null 2>&1
	bp_frozen
}

if ! bp_setup; then
	echo "BYPASS | setup | $KVER | error"
	exit 1
fi
# The hooks this kernel has no program for, as the agent reports them.
UNENFORCED=" $(permafrost --json status | sed -n 's/.*"unenforced": *"\([^"]*\)".*/\1/p') "
echo "# hooks without a program on $KVER:${UNENFORCED%% }"

for v in "$VEC_DIR"/[0-9][0-9]-*.sh; do
	[ -f "$v" ] || continue
	name=$(basename "$v" .sh)
	what=$(header "$v" vector)
	expect=$(header "$v" expect)
	if [ -z "$what" ] || [ -z "$expect" ]; then
		not_ok "bypass $name: header" "needs '# vector:' and '# expect:' lines"
		echo "$name|error" >> "$TABLE"
		continue
	fi
	case $expect in
	out-of-reach:*)
		echo "$name|$expect" >> "$TABLE"
		echo "# bypass $name: not run ($expect)"
		continue ;;
	esac
	missing=
	for h in $(header "$v" hooks); do
		case $UNENFORCED in *" $h "*) missing="$missing $h" ;; esac
	done
	if [ -n "$missing" ]; then
		echo "$name|not enforceable on $KVER (no program on$missing)" >> "$TABLE"
		echo "# bypass $name: not run: not enforceable on $KVER (no program on$missing)"
		continue
	fi
	echo "# bypass $name: $what"
	timeout -s KILL "$VEC_TIMEOUT" sh "$v" > /tmp/bp-out 2>&1 </dev/null
	rc=$?
	line=$(grep -v '^#' /tmp/bp-out | tail -n 1 | tr -d '\r')
	sed 's/^/#   /' /tmp/bp-out | head -n 20
	frozen=yes
	if ! bp_frozen; then
		frozen="no: $(permafrost status 2>&1 | head -n 1)"
		[ "$rc" = 0 ] && rc=left-unfrozen
	fi
	case $rc in
	0) ok "bypass $name: $what"; outcome=refused ;;
	1) not_ok "bypass $name: $what" "${line:-no output}"; outcome=BYPASSED ;;
	2) not_ok "bypass $name: $what" "harness error: ${line:-no output}"; outcome=error ;;
	left-unfrozen) not_ok "bypass $name: $what" "refused, but afterwards the host was not frozen with the agent alive ($frozen)"; outcome=BYPASSED ;;
	*) not_ok "bypass $name: $what" "harness error: status $rc (timeout after ${VEC_TIMEOUT}s?)"; outcome=error ;;
	esac
	if [ "$frozen" != yes ]; then
		[ "$rc" = left-unfrozen ] ||
			not_ok "bypass $name: host still frozen with the agent alive" "$frozen"
		restore || { echo "# could not restore the freeze; stopping"; echo "$name|$outcome" >> "$TABLE"; break; }
	fi
	echo "$name|$outcome" >> "$TABLE"
done

echo "BYPASS | vector | kernel | outcome"
while IFS='|' read -r n o; do
	echo "BYPASS | $n | $KVER | $o"
done < "$TABLE"
pf_thaw >/dev/null 2>&1 || echo "# thaw at the end failed"
stop_agent
exit 0
