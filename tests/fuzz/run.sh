#!/bin/sh
# Builds the libFuzzer targets and runs each for SECONDS (default 20).
#   tests/fuzz/run.sh [SECONDS]
# Products and the growing corpora go under $OUT/fuzz (OUT defaults to
# build); the checked-in seeds in tests/fuzz/corpus/<target>/ are only read.
# Exits non-zero if a target fails to build or finds a crash.
set -u

cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-20}
OUT=${OUT:-build}
CC=${FUZZ_CC:-clang}
DIR="$OUT/fuzz"
# every folder of user/lib on the include path, as the Makefile does
LIBINC=$(for d in user/lib user/lib/*/; do printf ' -I%s' "${d%/}"; done)
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined$LIBINC -Ibpf -D_GNU_SOURCE"

mkdir -p "$DIR"

# target  sources
TARGETS="
policy:user/lib/policy/policy.c user/lib/policy/unitname.c user/lib/schedule/cron.c user/lib/schedule/tz.c user/lib/schedule/window.c user/lib/util/util.c user/lib/util/err.c
event_json:user/lib/log/event.c user/lib/util/json.c user/lib/util/buf.c user/lib/util/utf8.c user/lib/util/util.c user/lib/util/err.c
ctl:user/lib/util/ctl.c user/lib/util/buf.c user/lib/util/util.c user/lib/util/err.c
logverify:user/lib/log/logfile.c user/lib/log/logrec.c user/lib/log/logverify.c user/lib/log/logfilter.c user/lib/log/logformat.c user/lib/util/json.c user/lib/util/buf.c user/lib/util/utf8.c user/lib/util/util.c user/lib/util/err.c -lcrypto -lz
token:user/lib/approval/sshbuf.c user/lib/approval/sshsig.c user/lib/approval/token.c user/lib/approval/signers.c user/lib/approval/approve.c user/lib/util/buf.c user/lib/util/util.c user/lib/util/err.c -lcrypto
sshsig:user/lib/approval/sshbuf.c user/lib/approval/sshsig.c user/lib/util/err.c -lcrypto
signers:user/lib/approval/sshbuf.c user/lib/approval/sshsig.c user/lib/approval/token.c user/lib/approval/signers.c user/lib/util/buf.c user/lib/util/util.c user/lib/util/err.c -lcrypto
"

pass=0
fail=0
while IFS=: read -r name srcs; do
	[ -n "$name" ] || continue
	# shellcheck disable=SC2086
	if ! $CC $CFLAGS "tests/fuzz/fuzz_$name.c" $srcs -o "$DIR/fuzz_$name" 2>"$DIR/fuzz_$name.build"; then
		echo "not ok - fuzz_$name # does not build:"
		tail -n 20 "$DIR/fuzz_$name.build"
		fail=$((fail + 1))
		continue
	fi
	mkdir -p "$DIR/corpus-$name"
	if ! "$DIR/fuzz_$name" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
		-artifact_prefix="$DIR/crash-$name-" \
		"$DIR/corpus-$name" "tests/fuzz/corpus/$name" </dev/null >"$DIR/fuzz_$name.log" 2>&1; then
		echo "not ok - fuzz_$name # crashed (see $DIR/fuzz_$name.log and $DIR/crash-$name-*)"
		tail -n 40 "$DIR/fuzz_$name.log"
		fail=$((fail + 1))
		continue
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$DIR/fuzz_$name.log")
	echo "ok - fuzz_$name: ${execs:-?} inputs in ${SECONDS_EACH}s under ASan+UBSan, no finding"
	pass=$((pass + 1))
done <<EOF2
$TARGETS
EOF2
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
