#!/bin/bash
# 18-metrics: the stats listener.  /metrics is valid Prometheus text
# exposition and its counters match what was sent; /stats is JSON; other
# paths get 404; the data path is not involved.
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

pass
