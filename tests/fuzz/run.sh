#!/bin/sh
# Builds the libFuzzer targets and runs each for SECONDS (default 20).
#   tests/fuzz/run.sh [SECONDS]
# Products and the growing corpora go under $OUT/fuzz (OUT defaults to
# build); the checked-in seeds in tests/fuzz/corpus/<target>/ are only read.
# Exits non-zero if a target fails to build or finds a crash.
set -eu

cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-20}
OUT=${OUT:-build}
CC=${FUZZ_CC:-clang}
DIR="$OUT/fuzz"
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Iuser/lib -Ibpf -D_GNU_SOURCE"

mkdir -p "$DIR"

# target  sources
TARGETS="
policy:user/lib/policy.c
event_json:user/lib/event.c user/lib/json.c
"

status=0
echo "$TARGETS" | while IFS=: read -r name srcs; do
	[ -n "$name" ] || continue
	echo "== fuzz_$name: build"
	# shellcheck disable=SC2086
	$CC $CFLAGS "tests/fuzz/fuzz_$name.c" $srcs -o "$DIR/fuzz_$name"
	mkdir -p "$DIR/corpus-$name"
	echo "== fuzz_$name: run ${SECONDS_EACH}s"
	if ! "$DIR/fuzz_$name" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
		-artifact_prefix="$DIR/crash-$name-" \
		"$DIR/corpus-$name" "tests/fuzz/corpus/$name" >"$DIR/fuzz_$name.log" 2>&1; then
		echo "fuzz_$name: FAILED (see $DIR/fuzz_$name.log and $DIR/crash-$name-*)"
		tail -n 40 "$DIR/fuzz_$name.log"
		exit 1
	fi
	grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$DIR/fuzz_$name.log" || true
	echo "fuzz_$name: ok"
done || status=1
exit $status
