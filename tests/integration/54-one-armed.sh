#!/bin/bash
# 54-one-armed: edged between a client's network and its members', in
# network namespaces the test makes (client C - edge E - members M, veth
# pairs; no forwarding on E, and M has no route to C's network):
#   - http, tcp and udp virtual servers on E's client-side address reach
#     the members, which see the edge's address and answer it (they
#     could not answer the client: one-armed needs no route back);
#   - X-Forwarded-For still tells the http member who the client is;
#   - a pool's source-address (a second address of E on M's link) is
#     what its members see, its monitor's probes included;
#   - a member stopped in M is taken down by its monitors (http, dns),
#     and the client's traffic goes to the other.
. "$(dirname "$0")/lib.sh"
it_begin 54-one-armed
command -v ip >/dev/null || fail "ip not found (install-deps.sh)"

VH=$((IT_PORT + 0)) VT=$((IT_PORT + 1)) VU=$((IT_PORT + 2))
VS=$((IT_PORT + 3))
WEB=8080 DNS=5353
C=edged-it54-c-$$ E=edged-it54-e-$$ M=edged-it54-m-$$
netns_add "$C"
netns_add "$E"
netns_add "$M"
netns_link "$C" c0 "10.54.1.2/24" "$E" a0 "10.54.1.1/24"
netns_link "$E" b0 "10.54.2.1/24 10.54.2.5/24" "$M" m0 \
    "10.54.2.11/24 10.54.2.12/24"
inC() { ip netns exec "$C" "$@"; }
inM() { ip netns exec "$M" "$@"; }
assert_eq "E does not forward" 0 \
    "$(ip netns exec "$E" cat /proc/sys/net/ipv4/ip_forward)"
assert_no_match "M has no route to the client's network" "10\.54\.1\." \
    "$(ip -n "$M" route)"

for m in 11 12; do
	netns_nginx "$M" "web$m" "10.54.2.$m:$WEB" "
        listen 10.54.2.$m:$WEB;
        location / { return 200 \"web$m addr=\$remote_addr xff=\$http_x_forwarded_for\\n\"; }"
	dnsmasq_member "$T/dns$m.log" 10.54.2.$m $DNS 192.0.2.$m "$M"
	eval "DNS_PID_$m=$SPAWNED"
done

cat >"$T/edged.conf" <<CONF
global {
    workers 1
    user edged
    control-socket $EDGED_SOCK
}
monitor hc { type http; url /; interval 300ms; timeout 200ms; rise 1;
    fall 1; }
monitor dc { type dns; query www.example.test; interval 300ms;
    timeout 200ms; rise 1; fall 1; }
application-profile web { type http; x-forwarded-for insert; }
application-profile raw { type tcp }
application-profile dns { type udp; udp-responses 1 }
pool web {
    monitor hc
    member w11 10.54.2.11:$WEB
    member w12 10.54.2.12:$WEB
}
pool src {
    monitor hc
    source-address 10.54.2.5
    member w11 10.54.2.11:$WEB
}
pool dns {
    monitor dc
    member d11 10.54.2.11:$DNS
    member d12 10.54.2.12:$DNS
}
virtual-server http { listen 10.54.1.1:$VH; profile web; default-pool web }
virtual-server tcp { listen 10.54.1.1:$VT; profile raw; default-pool web }
virtual-server udp { listen 10.54.1.1:$VU; profile dns; default-pool dns }
virtual-server src { listen 10.54.1.1:$VS; profile web; default-pool src }
CONF
EDGED_WRAP="ip netns exec $E" edged_start "$T/edged.conf"

get_c() {	# PORT: the answer through the edge, from C
	inC curl -sS --max-time 5 "http://10.54.1.1:$1/" 2>&1 || true
}
dig_c() {	# the udp virtual server's answer, from C
	inC dig +short +tries=2 +time=1 -p $VU @10.54.1.1 www.example.test A \
	    2>&1 | head -n 1
}

sleep 0.5
out="$(get_c $VH) $(get_c $VH)"
assert_match "http: both members answer the client through the edge" \
    "web11 .*web12|web12 .*web11" "$out"
assert_match "... seeing the edge's address" \
    "^web1[12] addr=10\.54\.2\.1 xff=10\.54\.1\.2 web1[12] addr=10\.54\.2\.1 xff=10\.54\.1\.2$" \
    "$out"
assert_match "tcp: the member sees the edge" \
    "^web1[12] addr=10\.54\.2\.1 xff=$" "$(get_c $VT)"
d1=$(dig_c) d2=$(dig_c)
assert_match "udp: both dnsmasq answer through the edge" \
    "192\.0\.2\.11 192\.0\.2\.12|192\.0\.2\.12 192\.0\.2\.11" "$d1 $d2"
assert_match "... the query came from the edge" \
    "query\[A\] www\.example\.test from 10\.54\.2\.1$" \
    "$(cat "$T/dns11.log" "$T/dns12.log" | grep 'query\[A\]' | tail -n 1)"
assert_eq "source-address: the member sees the pool's address" \
    "web11 addr=10.54.2.5 xff=10.54.1.2" "$(get_c $VS)"
assert_eq "... and its probes come from it (the member is up)" up \
    "$(member_health src w11)"

# ---- a member stopped in M ----
stop_pid "$DNS_PID_11"
assert_eq "dnsmasq stopped: down by its dns monitor" down \
    "$(member_health_is dns d11 down)"
assert_eq "the client's queries go to the other" "192.0.2.12 192.0.2.12" \
    "$(dig_c) $(dig_c)"

pass
