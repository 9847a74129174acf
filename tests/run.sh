#!/bin/sh
# Installs what is missing, builds edged with -Werror, and runs every
# test: unit (cmocka), configuration golden files, integration scenarios
# against real nginx/curl/wrk.  Run as root on Debian 12:
#     sh tests/run.sh [MESON-TEST-ARGS...]
#
# The passes, one after the other (EDGED_PASSES picks some, in this
# order; the default is all of them, as CI runs it):
#   normal    build/: the whole suite (MESON-TEST-ARGS apply to it only)
#   asan      build-asan/ (-Dsanitize=address,undefined): the whole suite
#   valgrind  build/'s unit tests under valgrind memcheck
#   tsan      build-tsan/ (-Dsanitize=thread): the multi-thread unit tests
#   fuzz      tests/fuzz/run.sh, when it exists: each target for a while
# e.g. EDGED_PASSES=normal for a quick run.
#
# Ends with one line "N passed, N failed, N skipped", the sum over the
# passes; exits non-zero when any test or any build failed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

PASSES=${EDGED_PASSES:-normal asan valgrind tsan fuzz}
FUZZ_SECONDS=${EDGED_FUZZ_SECONDS:-20}

passed=0
failed=0
skipped=0
summary=

EDGED_WITH_TESTS=1 sh packaging/install-deps.sh

# setup DIR ARGS...: configures DIR with these options (again, when it
# exists).
setup() {
	dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@"
	else
		meson configure "$dir" "$@"
	fi
}

# meson_pass NAME DIR ARGS...: meson test in DIR with ARGS, its output in
# DIR/test-output.txt; adds its counts to the totals.  The status is
# meson's, not tee's: sh has no pipefail, so it travels through a file.
meson_pass() {
	name=$1 dir=$2
	shift 2
	{
		meson test -C "$dir" --print-errorlogs --num-processes 1 "$@"
		echo $? >"$dir/test-status"
	} | tee "$dir/test-output.txt"
	count_meson "$name" "$dir/test-output.txt" "$(cat "$dir/test-status")"
}

# count_meson NAME OUTPUT STATUS: meson's summary lines into the totals;
# a failed meson without failed tests (or no summary) counts as a failure.
count_meson() {
	ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$2" | tail -n 1)
	bad=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$2" | tail -n 1)
	tmo=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$2" | tail -n 1)
	skip=$(sed -n 's/^Skipped: *\([0-9]*\).*/\1/p' "$2" | tail -n 1)
	bad=$(( ${bad:-0} + ${tmo:-0} ))
	if [ -z "$ok" ] || { [ "$3" -ne 0 ] && [ "$bad" -eq 0 ]; }; then
		bad=$((bad + 1))
	fi
	tally "$1" "${ok:-0}" "$bad" "${skip:-0}"
}

# tally NAME PASSED FAILED SKIPPED: one pass's counts.
tally() {
	passed=$((passed + $2))
	failed=$((failed + $3))
	skipped=$((skipped + $4))
	summary="$summary
$(printf '%-9s %4d passed, %d failed, %d skipped, %d s' "$1" "$2" "$3" \
	    "$4" "$(( $(date +%s) - start ))")"
}

# build_failed NAME WHAT: a pass that could not run counts as one failure.
build_failed() {
	echo "run.sh: $1 pass: $2 failed" >&2
	tally "$1" 0 1 0
}

pass_normal() {
	setup build -Dwerror=true || { build_failed normal "meson setup"; return; }
	ninja -C build || { build_failed normal "the build"; return; }
	meson_pass normal build "$@"
}

# ASan and UBSan over everything; a report aborts the process (unit
# tests fail at once, a scenario fails when edged's log has one: see
# tests/integration/lib.sh).  Slower: longer timeouts.
pass_asan() {
	setup build-asan -Dwerror=true -Dsanitize=address,undefined ||
	    { build_failed asan "meson setup"; return; }
	ninja -C build-asan || { build_failed asan "the build"; return; }
	ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:print_summary=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    meson_pass asan build-asan --timeout-multiplier 3
}

# The unit tests of the normal build under memcheck: any error, or a
# definite leak, fails the test.  Valgrind runs one thread at a time;
# --fair-sched=yes hands the CPU round in turn, so that the mt tests'
# readers, which poll while the writers count, cannot starve them (with
# the default lock they once did, for 300 s, on a loaded machine).
pass_valgrind() {
	setup build -Dwerror=true ||
	    { build_failed valgrind "meson setup"; return; }
	ninja -C build || { build_failed valgrind "the build"; return; }
	meson_pass valgrind build --suite unit --timeout-multiplier 10 \
	    --wrapper 'valgrind --quiet --fair-sched=yes --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite'
}

# ThreadSanitizer over the tests that run real threads (suite "mt");
# only their targets are built.
pass_tsan() {
	setup build-tsan -Dwerror=true -Dsanitize=thread -Dintegration=false ||
	    { build_failed tsan "meson setup"; return; }
	targets=$(meson introspect build-tsan --tests | "${PYTHON:-python3}" \
	    -c 'import json, os, sys
for t in json.load(sys.stdin):
    if "mt" in t["suite"]:
        print(os.path.relpath(t["cmd"][0], sys.argv[1]))' "$top/build-tsan")
	# shellcheck disable=SC2086
	ninja -C build-tsan $targets || { build_failed tsan "the build"; return; }
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	    meson_pass tsan build-tsan --no-rebuild --suite mt \
	    --timeout-multiplier 5
}

# The fuzz targets, each for FUZZ_SECONDS; tests/fuzz/run.sh ends with
# "N passed, N failed".
pass_fuzz() {
	if [ ! -f tests/fuzz/run.sh ]; then
		echo "run.sh: no tests/fuzz/run.sh: fuzz pass skipped" >&2
		return
	fi
	{
		sh tests/fuzz/run.sh "$FUZZ_SECONDS"
		echo $? >"$top/build/fuzz-status"
	} 2>&1 | tee "$top/build/fuzz-output.txt"
	ok=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' \
	    build/fuzz-output.txt | tail -n 1)
	bad=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' \
	    build/fuzz-output.txt | tail -n 1)
	if [ -z "$ok" ] || { [ "$(cat build/fuzz-status)" -ne 0 ] &&
	    [ "${bad:-0}" -eq 0 ]; }; then
		bad=$(( ${bad:-0} + 1 ))
	fi
	tally fuzz "${ok:-0}" "${bad:-0}" 0
}

mkdir -p build
set +e
for p in $PASSES; do
	start=$(date +%s)
	echo "==== run.sh: $p pass ====" >&2
	case $p in
	normal) pass_normal "$@" ;;
	asan) pass_asan ;;
	valgrind) pass_valgrind ;;
	tsan) pass_tsan ;;
	fuzz) pass_fuzz ;;
	*) build_failed "$p" "an unknown pass (EDGED_PASSES)" ;;
	esac
done
set -e

echo "==== run.sh: passes ====$summary"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
