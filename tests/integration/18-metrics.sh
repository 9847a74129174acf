#!/bin/bash
# 18-metrics: the stats listener.  /metrics is valid Prometheus text
# exposition and its counters match what was sent; /stats is JSON; other
# paths get 404; the data path is not involved.  edged's own figures:
# its version, the master's start, reloads by result and the time of the
# configuration in force; a pool's errors are its members'.
. "$(dirname "$0")/lib.sh"
it_begin 18-metrics

VIP=$((IT_PORT + 0)) B1=$((IT_PORT + 1)) B2=$((IT_PORT + 2)) ST=$((IT_PORT + 3))
require_free_ports $VIP $B1 $B2 $ST
nginx_backend b1 $B1 'location /missing { return 404 "no\n"; }'
nginx_backend b2 $B2 'location /missing { return 404 "no\n"; }'

{
	one_pool_conf $VIP none b1 $B1 b2 $B2
	printf 'stats {\n    listen 127.0.0.1:%s\n}\n' $ST
} >"$T/edged.conf"
t0=$(date +%s)
edged_start "$T/edged.conf" $VIP $ST

metric() { grep -F "$1 " "$T/samples" | awk '{ print $2 }'; }
scrape() {
	curl -sS --max-time 5 "http://127.0.0.1:$ST/metrics" |
	    "$PY" "$IT_DIR/promcheck.py" >"$T/samples"
}
# the harness's own readiness probes made connections already
scrape
conns0=$(metric 'edged_virtual_server_connections_total{virtual_server="v"}')

# 30 requests on one connection: 24 answered 200, 6 answered 404
curl -sS --max-time 10 -o /dev/null "http://127.0.0.1:$VIP/ok[1-24]" \
    "http://127.0.0.1:$VIP/missing[1-6]"

curl -sS --max-time 5 -D "$T/mhead" -o "$T/metrics" \
    "http://127.0.0.1:$ST/metrics" || fail "GET /metrics failed"
assert_match "content type" 'Content-Type: text/plain; version=0.0.4' \
    "$(cat "$T/mhead")"
"$PY" "$IT_DIR/promcheck.py" <"$T/metrics" >"$T/samples" 2>"$T/promerr" ||
    fail "not valid exposition format: $(cat "$T/promerr")"
assert_eq "virtual server requests" 30 \
    "$(metric 'edged_virtual_server_requests_total{virtual_server="v"}')"
assert_eq "virtual server 2xx" 24 \
    "$(metric 'edged_virtual_server_responses_total{code="2xx",virtual_server="v"}')"
assert_eq "virtual server 4xx" 6 \
    "$(metric 'edged_virtual_server_responses_total{code="4xx",virtual_server="v"}')"
assert_eq "b1 requests" 15 \
    "$(metric 'edged_member_requests_total{member="b1",pool="p"}')"
assert_eq "b2 requests" 15 \
    "$(metric 'edged_member_requests_total{member="b2",pool="p"}')"
assert_eq "pool requests" 30 "$(metric 'edged_pool_requests_total{pool="p"}')"
assert_eq "b1 up" 1 "$(metric 'edged_member_up{member="b1",pool="p"}')"
assert_eq "client connections accepted by the 30 requests" 1 \
    $(( $(metric 'edged_virtual_server_connections_total{virtual_server="v"}') - conns0 ))
bytes_out=$(metric 'edged_virtual_server_bytes_out_total{virtual_server="v"}')
assert_ge "bytes sent to the client" "$bytes_out" 3000

# a member taken out shows in edged_member_up
ctl member disable p b2 >/dev/null
scrape
assert_eq "b2 disabled: not up" 0 \
    "$(metric 'edged_member_up{member="b2",pool="p"}')"

# /stats is JSON with the same figures; anything else is 404
assert_eq "/stats requests" 30 "$(curl -sS --max-time 5 \
    "http://127.0.0.1:$ST/stats" | json_get "j['virtual_servers'][0]['requests']")"
assert_eq "unknown path" 404 "$(status_of "http://127.0.0.1:$ST/nope")"

# ---- a pool's errors: its members' ----
ctl member enable p b2 >/dev/null
backend_stop b2
curl -s --max-time 10 -o /dev/null "http://127.0.0.1:$VIP/gone[1-4]" || true
scrape
b1err=$(metric 'edged_member_errors_total{member="b1",pool="p"}')
b2err=$(metric 'edged_member_errors_total{member="b2",pool="p"}')
assert_ge "b2 stopped: its connect failures" "$b2err" 1
assert_eq "pool errors: its members' together" $((b1err + b2err)) \
    "$(metric 'edged_pool_errors_total{pool="p"}')"
assert_eq "/stats: the pool's errors" $((b1err + b2err)) "$(curl -sS \
    --max-time 5 "http://127.0.0.1:$ST/stats" | json_get "j['pools'][0]['errors']")"

# ---- edged itself ----
version=$("$EDGED" -v | awk '{ print $2 }')
assert_eq "build info: the version edged -v prints" 1 \
    "$(metric "edged_build_info{version=\"$version\"}")"
# times as exposed (promcheck prints values with 6 digits)
raw() {
	curl -sS --max-time 5 "http://127.0.0.1:$ST/metrics" |
	    awk -v n="$1" '$1 == n { print $2 }'
}
started=$(raw edged_process_start_time_seconds)
loaded0=$(raw edged_last_reload_timestamp_seconds)
# within this test's run: a float, compared by awk
between() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }
between "$started" "$t0" "$(($(date +%s) + 1))" ||
    fail "process start time $started is not within the test's run ($t0..now)"
between "$loaded0" "$started" "$(($(date +%s) + 1))" ||
    fail "configuration load time $loaded0 is not between the start ($started) and now"
assert_eq "no reload yet: successes" 0 "$(metric 'edged_reloads_total{result="success"}')"
assert_eq "no reload yet: failures" 0 "$(metric 'edged_reloads_total{result="failure"}')"

# one good reload
ctl reload >"$T/reload.out" 2>&1 || fail "reload refused: $(cat "$T/reload.out")"
scrape
assert_eq "one good reload: successes" 1 "$(metric 'edged_reloads_total{result="success"}')"
assert_eq "one good reload: failures" 0 "$(metric 'edged_reloads_total{result="failure"}')"
loaded1=$(raw edged_last_reload_timestamp_seconds)
awk -v a="$loaded1" -v b="$loaded0" 'BEGIN { exit !(a > b) }' ||
    fail "the good reload did not move the last reload time ($loaded0 -> $loaded1)"
assert_eq "the start does not move with a reload" "$started" \
    "$(raw edged_process_start_time_seconds)"

# one rejected reload: a broken file
cp "$T/edged.conf" "$T/good.conf"
printf 'pool broken {\n    member x 127.0.0.1:notaport\n}\n' >>"$T/edged.conf"
ctl reload >"$T/reload.out" 2>&1 && fail "a broken file was reloaded"
scrape
assert_eq "and a rejected one: successes" 1 "$(metric 'edged_reloads_total{result="success"}')"
assert_eq "and a rejected one: failures" 1 "$(metric 'edged_reloads_total{result="failure"}')"
assert_eq "the rejected reload leaves the last reload time" "$loaded1" \
    "$(raw edged_last_reload_timestamp_seconds)"
cp "$T/good.conf" "$T/edged.conf"
assert_eq "/stats: reloads" '{"success": 1, "failure": 1}' "$(curl -sS \
    --max-time 5 "http://127.0.0.1:$ST/stats" | json_get "j['edged']['reloads']")"
assert_eq "/stats: version" "$version" "$(curl -sS --max-time 5 \
    "http://127.0.0.1:$ST/stats" | json_get "j['edged']['version']")"
# every family has its HELP and TYPE
curl -sS --max-time 5 "http://127.0.0.1:$ST/metrics" >"$T/metrics"
for fam in edged_build_info edged_process_start_time_seconds \
    edged_reloads_total edged_last_reload_timestamp_seconds \
    edged_pool_errors_total edged_virtual_server_tls_handshake_failures_total; do
	grep -q "^# HELP $fam " "$T/metrics" || fail "no HELP for $fam"
	grep -q "^# TYPE $fam " "$T/metrics" || fail "no TYPE for $fam"
done

pass
