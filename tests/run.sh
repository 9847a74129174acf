#!/bin/sh
# Installs what is missing, builds edged with -Werror, and runs every
# test: unit (cmocka), configuration golden files, integration scenarios
# against real nginx/curl/wrk.  Run as root on Debian 12:
#     sh tests/run.sh
# Ends with a line "N passed, N failed".
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

EDGED_WITH_TESTS=1 sh packaging/install-deps.sh

if [ ! -f build/build.ninja ]; then
	meson setup build -Dwerror=true
else
	meson configure build -Dwerror=true
fi
ninja -C build

# The status is meson's, not tee's: sh has no pipefail, so it travels
# through a file.
set +e
{
	meson test -C build --print-errorlogs --num-processes 1 "$@"
	echo $? >build/test-status
} | tee build/test-output.txt
rc=$(cat build/test-status)
set -e
ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' build/test-output.txt | tail -n 1)
fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' build/test-output.txt | tail -n 1)
timeout=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' build/test-output.txt | tail -n 1)
skipped=$(sed -n 's/^Skipped: *\([0-9]*\).*/\1/p' build/test-output.txt | tail -n 1)
echo "${ok:-0} passed, $(( ${fail:-0} + ${timeout:-0} )) failed, ${skipped:-0} skipped"
# a failure fails the run, whatever meson's own status says
if [ "$(( ${fail:-0} + ${timeout:-0} ))" -gt 0 ] || [ -z "$ok" ]; then
	[ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"

