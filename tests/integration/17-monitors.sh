#!/bin/bash
# 17-monitors: health monitors against real nginx.  A member whose server
# stops is marked down within interval x fall + timeout, and wrk then sees
# no error; started again it is back after `rise` checks.  A member whose
# health URL answers 500 is out.  A tcp monitor with send/receive.
. "$(dirname "$0")/lib.sh"
it_begin 17-monitors

VIP=$((IT_PORT + 0)) B1=$((IT_PORT + 1)) B2=$((IT_PORT + 2)) B3=$((IT_PORT + 3)) VT=$((IT_PORT + 4)) VQ=$((IT_PORT + 5)) KEEP=$((IT_PORT + 6))
DEAD=$((IT_PORT + 98))
require_free_ports $VIP $B1 $B2 $B3 $VT $VQ $KEEP $DEAD
HEALTHY='location /healthz { return 200 "ok\n"; }'
nginx_backend b1 $B1 "$HEALTHY"
nginx_backend b2 $B2 "$HEALTHY"
nginx_backend b3 $B3 'location /healthz { return 500 "sick\n"; }'
# answers, then keeps the connection open despite Connection: close
py_backend keep $KEEP oneshot

{
	edged_conf_head
	cat <<CONF
monitor web {
    type http
    interval 300ms
    timeout 200ms
    rise 2
    fall 2
    url /healthz
    expect status 200
    expect body "ok"
}
monitor port {
    type tcp
    interval 300ms
    timeout 200ms
    send "GET /healthz HTTP/1.0\r\n\r\n"
    receive "200 OK"
}
monitor status-only {
    type http
    interval 300ms
    timeout 200ms
    url /healthz
}
application-profile web { type http; x-forwarded-for none }
pool k {
    monitor status-only
    member keep 127.0.0.1:$KEEP
}
pool p {
    algorithm round-robin
    monitor web
    member b1 127.0.0.1:$B1
    member b2 127.0.0.1:$B2
    member b3 127.0.0.1:$B3
}
pool t {
    algorithm round-robin
    monitor port
    member t1 127.0.0.1:$B1
    member t3 127.0.0.1:$((IT_PORT + 99))
}
virtual-server v {
    listen 127.0.0.1:$VIP
    profile web
    default-pool p
}
# passive: bad's monitor port answers, its service port does not
pool q {
    algorithm round-robin
    monitor web
    member good 127.0.0.1:$B1
    member bad 127.0.0.1:$DEAD monitor-port $B1
}
virtual-server vq {
    listen 127.0.0.1:$VQ
    profile web
    default-pool q
}
virtual-server vt {
    listen 127.0.0.1:$VT
    profile web
    default-pool t
}
CONF
} >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP $VT $VQ

health() {
	ctl show pool "$1" --json | json_get "[m for m in j['pools'][0]['members'] if m['name'] == '$2'][0]['health']"
}
# wait_health POOL MEMBER STATE MAX_MS: prints how long it took
wait_health() {
	local t0 i
	t0=$(now_ms)
	for i in $(seq 1 $(( $4 / 50 + 1 ))); do
		[ "$(health "$1" "$2")" = "$3" ] && {
			echo $(( $(now_ms) - t0 ))
			return 0
		}
		sleep 0.05
	done
	echo never
}

# the first probes: b3's health URL answers 500, it is out
assert_ne "b3 (health URL 500) taken out" never "$(wait_health p b3 down 2000)"
assert_match "its reason logged" 'pool p member b3 DOWN: HTTP 500 \(expected 200\)' \
    "$(cat "$T/edged.log")"
assert_ne "b1 healthy" never "$(wait_health p b1 up 2000)"
assert_ne "b2 healthy" never "$(wait_health p b2 up 2000)"
: >"$T/b3.access"
curl -sS --max-time 10 -o /dev/null "http://127.0.0.1:$VIP/r[1-20]"
assert_eq "no request goes to b3" 0 "$(grep -vc healthz "$T/b3.access" || true)"

# once per interval in total, not once per worker thread (2 here):
# 300 ms over 3 s is about 10 probes, 20 would be one per thread
# (b2: the only member on its server; b1's serves four)
n0=$(grep -c healthz "$T/b2.access" || true)
sleep 3
probes=$(( $(grep -c healthz "$T/b2.access" || true) - n0 ))
assert_between "b2's health checks in 3 s (interval 300ms, 2 threads)" \
    "$probes" 8 12

# b2 stops under load: down within interval x fall + timeout (800 ms),
# plus the poll's slack (edgectl and python each time: more on a
# sanitizer build)
wrk -t1 -c10 -d3s "http://127.0.0.1:$VIP/" >"$T/wrk1" 2>&1 &
wrkpid=$!
IT_PIDS+=("$wrkpid")
sleep 0.5
backend_stop b2
took=$(wait_health p b2 down 3000)
assert_ne "b2 marked down" never "$took"
assert_le "b2 marked down within (ms)" "$took" $(( IT_SANITIZED ? 2000 : 1300 ))
wait "$wrkpid" || true
# under load, live traffic's failed connects usually decide first
assert_match "DOWN logged with its reason" \
    'pool p member b2 DOWN: (connect: Connection refused, 2/2 checks failed|[0-9]+ requests could not connect or timed out \(live traffic\))' \
    "$(cat "$T/edged.log")"
# after that, wrk sees no error at all
wrk -t1 -c10 -d2s "http://127.0.0.1:$VIP/" >"$T/wrk2" 2>&1
assert_match "wrk after the mark-down: requests made" 'requests in' \
    "$(cat "$T/wrk2")"
assert_no_match "wrk after the mark-down: no socket errors" 'Socket errors' \
    "$(cat "$T/wrk2")"
assert_no_match "wrk after the mark-down: no non-2xx" 'Non-2xx' \
    "$(cat "$T/wrk2")"

# b2 back: up after 2 good checks (>= one interval after it answers)
nginx_backend b2 $B2 "$HEALTHY"
took=$(wait_health p b2 up 3000)
assert_ne "b2 back up" never "$took"
assert_match "UP logged" 'pool p member b2 UP: HTTP 200, 2/2 checks passed' \
    "$(cat "$T/edged.log")"
: >"$T/b2.access"
curl -sS --max-time 10 -o /dev/null "http://127.0.0.1:$VIP/back[1-10]"
assert_ge "b2 serves again" "$(grep -vc healthz "$T/b2.access" || true)" 3

# the tcp monitor: t1 answers "200 OK" to its send, t3 has no server
assert_ne "tcp monitor: t1 up" never "$(wait_health t t1 up 2000)"
assert_ne "tcp monitor: t3 down" never "$(wait_health t t3 down 2000)"
assert_eq "tcp-monitored pool serves from t1" "b1" \
    "$(get "http://127.0.0.1:$VT/")"
assert_match "show pool: last check of t1" '"result": ?"L4 ok"' \
    "$(ctl show pool t --json)"

# a server that answers but does not close: judged on its head, not
# timed out
sleep 1
assert_eq "a server keeping the probe's connection open is up" up \
    "$(health k keep)"
assert_match "its last check" '"result": ?"HTTP 200"' "$(ctl show pool k --json)"

# passive failure detection: the probes pass, live connects fail; the
# clients see no error (retried on good) and bad is taken out within an
# interval of the failures
assert_ne "passive: bad starts up (its monitor port answers)" never \
    "$(wait_health q bad up 2000)"
curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 \
    "http://127.0.0.1:$VQ/p[1-10]" >"$T/passive.codes"
assert_eq "passive: every client answered 200" 10 \
    "$(grep -c '^200$' "$T/passive.codes")"
assert_ne "passive: bad marked down by live traffic" never \
    "$(wait_health q bad down 1500)"
assert_match "passive: the reason" \
    'pool q member bad DOWN: [0-9]+ requests could not connect or timed out \(live traffic\)' \
    "$(cat "$T/edged.log")"

# health survives a reload and a worker restart: b3 (health URL 500)
# gets nothing even before the new worker's first probe
for how in reload restart; do
	: >"$T/b3.access"
	if [ $how = reload ]; then
		ctl reload >/dev/null
	else
		old=$(edged_worker_pid)
		kill -KILL "$old"
		for _ in $(seq 100); do
			new=$(edged_worker_pid 2>/dev/null || true)
			[ -n "$new" ] && [ "$new" != "$old" ] && break
			sleep 0.02
		done
	fi
	curl -sS --max-time 10 -o /dev/null \
	    "http://127.0.0.1:$VIP/after-$how[1-30]"
	assert_eq "right after a $how: no request to b3" 0 \
	    "$(grep -vc healthz "$T/b3.access" || true)"
	assert_eq "after a $how: b3 still down" down "$(health p b3)"
done

pass
