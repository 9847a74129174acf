#!/bin/bash
# 04-keepalive-reuse: a client's keep-alive connection stays open across
# requests, and edged reuses its backend connections: 100 requests on one
# client connection make a handful of backend connections, not 100.
. "$(dirname "$0")/lib.sh"
it_begin 04-keepalive-reuse

VIP=$((IT_PORT + 0)) B1=$((IT_PORT + 1)) B2=$((IT_PORT + 2)) V_ONE=$((IT_PORT + 3)) ONE=$((IT_PORT + 4))
require_free_ports $VIP $B1 $B2 $V_ONE $ONE
nginx_backend b1 $B1
nginx_backend b2 $B2
py_backend one $ONE oneshot

{
	edged_conf_head
	cat <<CONF
application-profile web { type http; x-forwarded-for insert }
pool p {
    algorithm round-robin
    member b1 127.0.0.1:$B1
    member b2 127.0.0.1:$B2
}
virtual-server v {
    listen 127.0.0.1:$VIP
    profile web
    default-pool p
}
pool p_one {
    algorithm round-robin
    member one 127.0.0.1:$ONE
}
virtual-server v_one {
    listen 127.0.0.1:$V_ONE
    profile web
    default-pool p_one
}
CONF
} >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP $V_ONE

# backend_conns: distinct backend connections in both access logs
backend_conns() {
	sleep 0.1
	awk '{ print FILENAME, $1 }' "$T/b1.access" "$T/b2.access" |
	    sort -u | wc -l
}
backend_reqs() {
	sleep 0.1
	cat "$T/b1.access" "$T/b2.access" | wc -l
}
reset_logs() { : >"$T/b1.access"; : >"$T/b2.access"; }

# 1. curl: 100 requests, one client connection
curl -sv --max-time 30 -o /dev/null "http://127.0.0.1:$VIP/r[1-100]" \
    2>"$T/curl-v.txt"
assert_eq "client connections curl opened (Connected to)" 1 \
    "$(grep -c '^\* Connected to' "$T/curl-v.txt" || true)"
assert_eq "requests curl sent on a reused connection" 99 \
    "$(grep -c 'Re-using existing connection' "$T/curl-v.txt" || true)"
assert_eq "responses with Connection: close" 0 \
    "$(grep -ci '^< connection: close' "$T/curl-v.txt" || true)"
assert_eq "requests that reached the backends" 100 "$(backend_reqs)"
# b1 and b2 by round-robin: one connection each, plus the first
# request's own (a client's first request never takes an idle one)
assert_le "backend connections for 100 requests" "$(backend_conns)" 4
assert_eq "Connection header the backends saw" "" \
    "$(grep -ho 'conn="[^"]*"' "$T/b1.access" "$T/b2.access" | sort -u |
    grep -v '^conn="-"$' | head -3)"
# edged counts the same backend connections
assert_eq "backend connections opened, as edgectl counts them" \
    "$(backend_conns)" "$(stat_of 'm("b1")["total"] + m("b2")["total"]')"
# backend connections served many requests each ($connection_requests)
assert_ge "most requests on one backend connection" \
    "$(cat "$T/b1.access" "$T/b2.access" | awk '{ print $2 }' | sort -n |
    tail -1)" 45

# 2. wrk: one connection for a second
reset_logs
wrk -t1 -c1 -d1s "http://127.0.0.1:$VIP/wrk" >"$T/wrk.txt" 2>&1 ||
    fail "wrk failed: $(cat "$T/wrk.txt")"
reqs=$(backend_reqs)
conns=$(backend_conns)
it_log "wrk: $reqs requests over $conns backend connections"
assert_ge "requests wrk made in 1s" "$reqs" 200
assert_le "backend connections for wrk's requests" "$conns" 4
assert_no_match "wrk errors" 'Socket errors|Non-2xx' "$(cat "$T/wrk.txt")"

# 3. a new client connection: its first request gets a fresh backend
# connection, its later ones the idle ones again; no connection leaks
reset_logs
for i in 1 2 3; do
	curl -s --max-time 30 -o /dev/null "http://127.0.0.1:$VIP/again$i-[1-20]"
done
assert_eq "requests from 3 more clients" 60 "$(backend_reqs)"
assert_le "backend connections for 3 clients x 20 requests" \
    "$(backend_conns)" 8

# 4. a backend that closes an idle connection just as edged reuses it:
# the request was not sent anywhere yet, so edged sends it again on a
# fresh connection and the client never notices
curl -s --max-time 20 -o /dev/null -w '%{http_code}\n' \
    "http://127.0.0.1:$V_ONE/one[1-10]" >"$T/one-codes"
assert_eq "200s from a backend that drops reused connections (of 10)" 10 \
    "$(grep -c '^200$' "$T/one-codes" || true)"
assert_eq "requests the dropping backend answered" 10 \
    "$(grep -c '^REQ' "$T/one.log" || true)"

pass
