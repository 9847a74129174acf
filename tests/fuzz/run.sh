#!/bin/sh
# tests/fuzz/run.sh [SECONDS] - builds the libFuzzer targets (clang, in
# build-fuzz/) and runs each for SECONDS (default 20) from its committed
# corpus, one after the other: the meson test suite 'fuzz'.  `make fuzz`
# runs each for 600.  Prints per target the executions done and exec/s,
# then "N passed, N failed"; exits non-zero when any target failed.
# Needs clang and libclang-rt-14-dev (packaging/install-deps.sh with
# EDGED_WITH_TESTS=1).  BUILD_FUZZ names another build directory.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

secs=${1:-20}
case $secs in
'' | *[!0-9]*)
	echo "usage: $0 [SECONDS]" >&2
	exit 2 ;;
esac
build=${BUILD_FUZZ:-build-fuzz}

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" -Dfuzz=true -Dintegration=false
else
	meson configure "$build" -Dfuzz=true -Dintegration=false
fi
ninja -C "$build"

out=$build/tests/fuzz
rm -f "$out"/fuzz_*.stats "$out"/fuzz_*.log
set +e
FUZZ_SECONDS=$secs meson test -C "$build" --no-rebuild --suite fuzz \
    --print-errorlogs --num-processes 1 >"$out/run-output.txt" 2>&1
rc=$?
set -e

pass=0
fail=0
for t in "$out"/fuzz_*.log; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .log)
	if [ -f "$out/$name.stats" ]; then
		line=$(cat "$out/$name.stats")
	else
		line="FAIL $name: did not finish"
	fi
	case $line in
	PASS*) pass=$((pass + 1)) ;;
	*) fail=$((fail + 1)) ;;
	esac
	echo "$line"
done
if [ "$rc" -ne 0 ]; then
	# meson's account, with each failed target's report
	cat "$out/run-output.txt"
	[ "$fail" -gt 0 ] || fail=1
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
