#!/bin/sh
# tests/fuzz/fuzz-one.sh - one libFuzzer target, as a meson test.
#
# usage: fuzz-one.sh TARGET CORPUS OUTDIR [DICT]
#
# Fuzzes for FUZZ_SECONDS (default 20) from the seed corpus CORPUS, which
# is only read: the inputs found on the way go to OUTDIR/corpus-NAME/, kept
# from run to run, and anything that fails (crash-*, leak-*, timeout-*,
# oom-*) to OUTDIR/NAME-*.  Prints one line "PASS NAME: N runs in S s,
# E exec/s, U new units, R MB" (also left in OUTDIR/NAME.stats) and exits
# 0; on any crash, leak, timeout or sanitizer report the same line with
# FAIL, the report, and exits 1.
set -u

if [ $# -lt 3 ]; then
	echo "usage: $0 TARGET CORPUS OUTDIR [DICT]" >&2
	exit 2
fi
exe=$1 corpus=$2 out=$3 dict=${4:-}
name=$(basename "$exe")
secs=${FUZZ_SECONDS:-20}
log=$out/$name.log
stats=$out/$name.stats

mkdir -p "$out/corpus-$name" || exit 2
rm -f "$stats"
set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$out/$name-"
[ -z "$dict" ] || set -- "$@" -dict="$dict"
"$exe" "$@" "$out/corpus-$name" "$corpus" >"$log" 2>&1
rc=$?

stat() {
	sed -n "s/^stat::$1: *\([0-9]*\).*/\1/p" "$log" | tail -n 1
}
runs=$(stat number_of_executed_units)
# after a crash there are no final statistics: the last "#N" line
[ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -n 1)
line="$name: ${runs:-0} runs in $secs s, $(stat average_exec_per_sec) exec/s,\
 $(stat new_units_added) new units, $(stat peak_rss_mb) MB"

if [ "$rc" -ne 0 ] || grep -q -e '^==[0-9]*==ERROR' -e '^SUMMARY: ' \
    -e 'ERROR: libFuzzer' -e 'runtime error:' "$log"; then
	echo "FAIL $line (exit $rc)" | tee "$stats"
	grep -e '^==[0-9]*==ERROR' -e 'runtime error:' -e 'ERROR: libFuzzer' \
	    "$log" | head -n 5
	tail -n 60 "$log"
	ls "$out/$name"-* 2>/dev/null
	exit 1
fi
echo "PASS $line" | tee "$stats"
exit 0
