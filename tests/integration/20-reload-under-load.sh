#!/bin/bash
# 20-reload-under-load: edgectl reload every 0.5 s for 20 s while wrk
# keeps 50 keep-alive connections busy, cycling through three files (a
# third member; least-conn instead of round-robin; a second virtual
# server on another port).  Every reload answers OK; wrk sees no socket
# error and no response but 2xx/3xx; the second virtual server answers
# each time its file is in force, even while a worker of an earlier
# generation that had it still drains; requests in flight at a reload
# (1.5 s ones) get their whole 200 from the draining worker; old workers
# exit once drained, so that one worker is left at the end.
. "$(dirname "$0")/lib.sh"
it_begin 20-reload-under-load

VIP=$((IT_PORT + 0)) VIP2=$((IT_PORT + 1)) VSLOW=$((IT_PORT + 2)) B1=$((IT_PORT + 11)) B2=$((IT_PORT + 12)) B3=$((IT_PORT + 13)) SLOW=$((IT_PORT + 14))
require_free_ports $VIP $VIP2 $VSLOW $B1 $B2 $B3 $SLOW
command -v wrk >/dev/null || fail "wrk not found"
nginx_backend b1 $B1
nginx_backend b2 $B2
nginx_backend b3 $B3
# answers "slow" after ?delay=S seconds
py_backend slow $SLOW slow --delay 0

TMO_SERVER=5s
# conf ALGORITHM B3(yes|no) V2(yes|no): a file, on stdout
conf() {
	edged_conf_head
	cat <<CONF
application-profile web { type http; x-forwarded-for insert }
pool p {
    algorithm $1
    member b1 127.0.0.1:$B1
    member b2 127.0.0.1:$B2
CONF
	[ "$2" = no ] || echo "    member b3 127.0.0.1:$B3"
	cat <<CONF
}
pool s {
    member slow 127.0.0.1:$SLOW
}
virtual-server v { listen 127.0.0.1:$VIP; profile web; default-pool p }
virtual-server vslow { listen 127.0.0.1:$VSLOW; profile web; default-pool s }
CONF
	[ "$3" = no ] || echo "virtual-server v2 {" \
	    "listen 127.0.0.1:$VIP2; profile web; default-pool p }"
}
conf round-robin no no >"$T/base.conf"
conf round-robin yes no >"$T/member.conf"
conf least-conn no no >"$T/algo.conf"
conf round-robin no yes >"$T/vs2.conf"
FILES=(member algo vs2)		# reload N puts FILES[N % 3] in force
for f in base "${FILES[@]}"; do
	"$EDGED" -t -c "$T/$f.conf" >"$T/check-$f.log" 2>&1 ||
	    fail "test setup: $f.conf rejected: $(cat "$T/check-$f.log")"
done
cp "$T/base.conf" "$T/edged.conf"
edged_start "$T/edged.conf" $VIP $VSLOW
WPID0=$(edged_worker_pid)

# v2_codes: the status codes of 4 requests to v2 at once, each on a
# connection of its own (the kernel spreads connections over a port's
# sockets), each given 0.5 s
v2_codes() {
	curl -s -Z --parallel-immediate -o /dev/null -w '%{http_code} ' \
	    --max-time 0.5 -H 'Connection: close' \
	    "http://127.0.0.1:$VIP2/v2-[1-4]" 2>/dev/null || true
}

# wrk's script: counts the responses that are not 2xx/3xx in each
# thread; done() prints them with wrk's own error counts
wrk_count_script "$T/count.lua" 399

# slow_start N: a 1.5 s request, made just before reload N: the worker
# that has it drains, and must finish it (headers in slowN.h, body in
# slowN, status and the time it ended in slowN.code)
slow_start() {
	(curl -s -D "$T/slow$1.h" -o "$T/slow$1" -w '%{http_code}' \
	    --max-time 10 "http://127.0.0.1:$VSLOW/slow$1?delay=1.5" \
	    >"$T/slow$1.code" || true
	echo " $(now_ms)" >>"$T/slow$1.code") &
	IT_PIDS+=("$!")
	SLOW_PIDS+=("$!")
	SLOW_NS+=("$1")
	# until the backend has it: in flight in this worker
	for _ in $(seq 200); do
		grep -q "GET /slow$1?" "$T/slow.log" && return 0
		sleep 0.01
	done
	check_failed "slow request $1 never reached the backend"
}

# 1. 20 s of wrk, a reload every 0.5 s meanwhile
wrk -t2 -c50 -d20s -s "$T/count.lua" "http://127.0.0.1:$VIP/load" \
    >"$T/wrk.txt" 2>&1 &
WRK=$!
IT_PIDS+=("$WRK")
sleep 0.3

SLOW_PIDS=() SLOW_NS=()
declare -A RELOADED_AT=()	# reload number -> when it returned (ms)
n=0 ok=0 v2_tries=0 v2_ok=0 slowest=0 t_start=$(now_ms)
while kill -0 "$WRK" 2>/dev/null && [ $(( $(now_ms) - t_start )) -lt 18000 ]
do
	t0=$(now_ms)
	f=${FILES[n % 3]}
	# at 3, 9, 15, 21...: the worker that has the slow request leaves
	# vs2.conf, and still drains when vs2.conf is back, 1 s later
	[ $((n % 6)) != 3 ] || slow_start $n
	cp "$T/$f.conf" "$T/edged.conf"
	t1=$(now_ms)
	if ctl reload >"$T/reload.out" 2>&1 &&
	    [ "$(cat "$T/reload.out")" = "configuration reloaded" ]; then
		ok=$((ok + 1))
	else
		check_failed "reload $n ($f.conf): $(cat "$T/reload.out")"
	fi
	RELOADED_AT[$n]=$(now_ms)
	took=$(( RELOADED_AT[$n] - t1 ))
	[ "$took" -le "$slowest" ] || slowest=$took
	if [ "$f" = vs2 ]; then
		v2_tries=$((v2_tries + 1))
		codes=$(v2_codes)
		if [ "$codes" = "200 200 200 200 " ]; then
			v2_ok=$((v2_ok + 1))
		else
			it_log "reload $n: v2 answered '$codes'"
		fi
	fi
	n=$((n + 1))
	left=$(( t0 + 500 - $(now_ms) ))
	[ "$left" -le 0 ] || sleep "$(printf '0.%03d' "$left")"
done
kill -0 "$WRK" 2>/dev/null ||
    check_failed "wrk ended before the reloads did ($n reloads)"
wait "$WRK" || check_failed "wrk failed: $(cat "$T/wrk.txt")"
for pid in "${SLOW_PIDS[@]}"; do
	wait "$pid" || true
done
lua=$(grep '^LUA' "$T/wrk.txt" || true)
it_log "$n reloads in $(( $(now_ms) - t_start )) ms, $ok OK," \
    "the slowest took $slowest ms; $lua"

assert_eq "reloads that answered 'configuration reloaded'" "$n" "$ok"
# 36 planned; a loaded machine, or a sanitizer build, makes each slower
min_reloads=$(( IT_SANITIZED ? 12 : 20 ))
assert_ge "reloads under load" "$ok" "$min_reloads"
assert_wrk_clean "$T/wrk.txt" 2xx/3xx
reqs=$(wrk_lua "$T/wrk.txt" requests)
assert_ge "requests wrk completed in 20 s" "${reqs:-0}" 100000
# each of them was answered by a backend
logged=$(( $(access_count b1) + $(access_count b2) + $(access_count b3) ))
assert_ge "requests the backends logged (wrk's $reqs and curl's)" \
    "$logged" "${reqs:-0}"
assert_ge "requests the member added by member.conf got" \
    "$(access_count b3)" 1
# a third of the reloads
assert_ge "times vs2.conf was in force" "$v2_tries" $(( min_reloads / 3 ))
assert_eq "times v2 answered 4 of 4 while vs2.conf was in force" \
    "$v2_tries" "$v2_ok"

# 2. the slow requests: a whole 200 from the draining worker (with
# Connection: close), ended after their reload had returned
for s in "${SLOW_NS[@]}"; do
	code='' ended=''
	read -r code ended <"$T/slow$s.code" || true
	assert_eq "slow request $s: status" 200 "$code"
	assert_eq "slow request $s: body" slow "$(cat "$T/slow$s" 2>/dev/null)"
	assert_match "slow request $s: answered by a draining worker" \
	    '^[Cc]onnection: close' "$(tr -d '\r' <"$T/slow$s.h")"
	assert_ge "slow request $s: ended (ms) after its reload returned" \
	    "${ended:-0}" "$(( RELOADED_AT[$s] + 1 ))"
done
# one every 6 reloads from the 3rd
assert_ge "slow requests made across a reload" "${#SLOW_NS[@]}" \
    $(( (min_reloads - 4) / 6 + 1 ))

# 3. vs2.conf in force at the end; one worker left
if [ "${FILES[(n - 1) % 3]}" != vs2 ]; then
	cp "$T/vs2.conf" "$T/edged.conf"
	if ctl reload >/dev/null; then
		ok=$((ok + 1))
	else
		check_failed "the last reload failed"
	fi
fi
assert_eq "virtual servers in force at the end" '["v", "vslow", "v2"]' \
    "$(ctl status --json | json_get 'j["virtual_servers"]')"
assert_eq "v2 at the end" "200 200 200 200 " "$(v2_codes)"
WPID=$(edged_worker_pid)
assert_ne "worker pid after the reloads" "$WPID0" "$WPID"
workers=
for _ in $(seq 50); do
	workers=$(pgrep -P "$EDGED_PID" | tr '\n' ' ' || true)
	[ "$workers" = "$WPID " ] && break
	sleep 0.1
done
assert_eq "the master's children 5 s after the last reload" "$WPID " \
    "$workers"
kill -0 "$EDGED_PID" 2>/dev/null || fail "the master died"
log=$(cat "$EDGED_LOG")
assert_eq "old workers that exited with status 0 (one per reload)" "$ok" \
    "$(grep -c 'worker [0-9]* exited with status 0' <<<"$log" || true)"
assert_no_match "workers killed, failed or stuck" \
    'killed by signal|exited with status [1-9]|still busy|reload failed' "$log"

pass
