#!/bin/bash
# 10-worker-restart: when the worker dies (kill -9), the master starts a
# new one that serves within a second; the listening sockets stay open
# in the master meanwhile (the very same kernel sockets, under load
# too), so a connection made during the gap waits in the kernel's queue
# and gets its 200, not a refusal; and a worker that keeps dying is
# restarted less and less often.
. "$(dirname "$0")/lib.sh"
it_begin 10-worker-restart

VIP=$((IT_PORT + 0)) NG=$((IT_PORT + 1))
require_free_ports $VIP $NG
nginx_backend ng $NG

one_pool_conf $VIP insert ng $NG >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP
assert_eq "status before the kill" 200 "$(status_of "http://127.0.0.1:$VIP/")"

for round in 1 2; do
	old=$(edged_worker_pid)
	t0=$(now_ms)
	kill -KILL "$old"
	# a client right after the kill: it must be served, late maybe
	curl -s -o "$T/gap$round" -w '%{http_code}' --max-time 5 \
	    "http://127.0.0.1:$VIP/gap$round" >"$T/gap$round.code" 2>&1 &
	gap=$!
	IT_PIDS+=("$gap")
	# poll every 50 ms until a request is answered
	served=
	while [ $(( $(now_ms) - t0 )) -lt 5000 ]; do
		if [ "$(status_of "http://127.0.0.1:$VIP/poll" --max-time 1)" = 200 ]
		then
			served=$(( $(now_ms) - t0 ))
			break
		fi
		sleep 0.05
	done
	it_log "round $round: worker $old killed; served again after ${served:-never} ms"
	[ -n "$served" ] || check_failed "round $round: not served within 5 s of the kill"
	[ -z "$served" ] || assert_le "round $round: ms from the kill to a served request" \
	    "$served" 1000
	wait "$gap" || true
	assert_eq "round $round: status of the request made right after the kill" \
	    200 "$(cat "$T/gap$round.code")"
	assert_eq "round $round: body of that request" ng "$(cat "$T/gap$round")"
	new=$(edged_worker_pid)
	assert_ne "round $round: worker pid in status after the restart" "$old" "$new"
	assert_eq "round $round: status ready" true \
	    "$(ctl status --json | json_get 'j["ready"]')"
	kill -0 "$old" 2>/dev/null && check_failed "round $round: old worker $old still exists"
	kill -0 "$EDGED_PID" 2>/dev/null || fail "the master died"
done
assert_match "the master logged the death" 'killed by signal 9' "$(cat "$EDGED_LOG")"

# ---- under load: the listening sockets are the same ones after ----
listen_inodes() {
	ss -ltneH "sport = :$VIP" | grep -o 'ino:[0-9]*' | cut -d: -f2 |
	    sort -n | tr '\n' ' '
}
before=$(listen_inodes)
[ -n "$before" ] || fail "no listening socket found on :$VIP"
wrk -t1 -c10 -d3s "http://127.0.0.1:$VIP/" >"$T/wrk.out" 2>&1 &
WRK=$!
IT_PIDS+=("$WRK")
sleep 1
old=$(edged_worker_pid)
kill -KILL "$old"
edged_wait_ready "$old"
assert_eq "listening sockets (inodes) across a kill under load" "$before" \
    "$(listen_inodes)"
wait "$WRK" || check_failed "wrk failed: $(cat "$T/wrk.out")"
reqs=$(awk '/requests in/ {print $1}' "$T/wrk.out")
it_log "wrk across the kill: $(grep -E 'requests in|Socket errors' "$T/wrk.out" | tr -s ' ' | tr '\n' ';')"
# the killed worker's connections are cut; wrk reconnects and goes on
assert_ge "requests wrk got across the kill" "${reqs:-0}" 1000
assert_eq "status right after wrk" 200 "$(status_of "http://127.0.0.1:$VIP/")"

# ---- crash loop: the restart delay doubles while workers die young ----
: >"$T/delays"
for i in 1 2 3 4; do
	old=$(edged_worker_pid)
	kill -KILL "$old"
	edged_wait_ready "$old"
done
grep -o 'restarting the worker in [0-9]* ms' "$EDGED_LOG" |
    awk '{print $5}' | tr '\n' ' ' >"$T/delays"
it_log "restart delays of the 7 kills (ms): $(cat "$T/delays")"
# every worker here died within 10 s of its start: 50 ms doubled each
# time, up to 800
assert_eq "back-off while the worker keeps dying young (ms)" \
    "100 200 400 800 800 800 800 " "$(cat "$T/delays")"

pass
