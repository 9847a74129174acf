#!/bin/bash
# 56-transparent: inline (transparent) proxying, in network namespaces
# made here:
#
#   clients C (10.56.1.2, .3) --- a0 [edge E] b0 --- members M (10.56.2.11,
#                                10.56.1.1   10.56.2.1       10.56.2.12)
#
# M's default route points to E.  A pool with `transparent on` connects
# to its members from the client's own address: asserted on real traffic
# (nginx answering with the address it sees, curl and wrk; dnsmasq
# logging whom it answers, dig) for an http, a tcp and a udp virtual
# server; a pool without it, beside, still shows the edge.  Also: the
# rule and route edged sets in E (and removes on a reload without
# transparent pools), keep-alive connections to members
# never shared between two clients, thousands of connections through
# the socket stock the master tops up (no failure), and a worker that
# holds no capability at all.
. "$(dirname "$0")/lib.sh"
it_begin 56-transparent
for p in ip nft wrk dig dnsmasq; do
	command -v $p >/dev/null || fail "$p not found (install-deps.sh)"
done

VH=$((IT_PORT + 0)) VT=$((IT_PORT + 1)) VO=$((IT_PORT + 2))
VU=$((IT_PORT + 3))
WEB=8080 DNS=5353
C=edged-it56-c-$$ E=edged-it56-e-$$ M=edged-it56-m-$$
netns_add "$C"
netns_add "$E"
netns_add "$M"
netns_link "$C" c0 "10.56.1.2/24 10.56.1.3/24" "$E" a0 "10.56.1.1/24"
netns_link "$E" b0 "10.56.2.1/24" "$M" m0 "10.56.2.11/24 10.56.2.12/24"
ip -n "$C" route add default via 10.56.1.1
ip -n "$M" route add default via 10.56.2.1
inC() { ip netns exec "$C" "$@"; }
inE() { ip netns exec "$E" "$@"; }

for m in 11 12; do
	netns_nginx "$M" "web$m" "10.56.2.$m:$WEB" "
        listen 10.56.2.$m:$WEB;
        keepalive_requests 10000;
        location / { return 200 \"web$m addr=\$remote_addr\\n\"; }"
	dnsmasq_member "$T/dns$m.log" 10.56.2.$m $DNS 192.0.2.$m "$M"
done

write_conf() {		# TRANSPARENT: on or off
	edged_global
	cat <<CONF
monitor hc { type http; url /; interval 300ms; timeout 200ms; rise 1;
    fall 1; }
application-profile web { type http }
application-profile raw { type tcp }
application-profile dns { type udp; udp-responses 1 }
pool inline {
    monitor hc
    transparent $1
    member w11 10.56.2.11:$WEB
    member w12 10.56.2.12:$WEB
}
pool dns {
    transparent $1
    member d11 10.56.2.11:$DNS
    member d12 10.56.2.12:$DNS
}
pool onearmed {
    member w11 10.56.2.11:$WEB
}
virtual-server http { listen 10.56.1.1:$VH; profile web; default-pool inline }
virtual-server tcp { listen 10.56.1.1:$VT; profile raw; default-pool inline }
virtual-server other { listen 10.56.1.1:$VO; profile web;
    default-pool onearmed }
virtual-server udp { listen 10.56.1.1:$VU; profile dns; default-pool dns }
CONF
}
write_conf on >"$T/edged.conf"
EDGED_WRAP="ip netns exec $E" edged_start "$T/edged.conf"

get_from() {	# SOURCE PORT: the answer through the edge, from C
	inC curl -sS --max-time 3 --interface "$1" "http://10.56.1.1:$2/" \
	    2>&1 || true
}

# ---- what edged set up in the edge ----
assert_match "the rule: marked packets look up edged's table" \
    "fwmark 0x6564 lookup 25700 proto 237" "$(inE ip rule)"
assert_match "... whose one route delivers them locally" \
    "^local default dev lo proto 237 scope host" \
    "$(inE ip route show table 25700)"
assert_match "... and the table marks the replies to transparent sockets" \
    "socket transparent 1 meta mark set 0x00006564" \
    "$(inE nft list chain inet edged transparent)"

# ---- members see the client ----
assert_match "http: the member sees the client's address" \
    "^web1[12] addr=10\.56\.1\.2$" "$(get_from 10.56.1.2 $VH)"
assert_match "... the other client's, its own" \
    "^web1[12] addr=10\.56\.1\.3$" "$(get_from 10.56.1.3 $VH)"
assert_match "tcp: the member sees the client's address" \
    "^web1[12] addr=10\.56\.1\.3$" "$(get_from 10.56.1.3 $VT)"
assert_match "a pool without transparent: the member sees the edge" \
    "^web11 addr=10\.56\.2\.1$" "$(get_from 10.56.1.2 $VO)"
dig_from() {	# SOURCE: the udp virtual server's answer, from C
	inC dig +short +tries=2 +time=1 -b "$1" -p $VU @10.56.1.1 \
	    www.example.test A 2>&1 | head -n 1
}
assert_match "udp: dnsmasq answers through the edge" "^192\.0\.2\.1[12]$" \
    "$(dig_from 10.56.1.3)"
assert_match "... and the query came from the client's address" \
    "query\[A\] www\.example\.test from 10\.56\.1\.3$" \
    "$(cat "$T/dns11.log" "$T/dns12.log" | grep 'query\[A\]' | tail -n 1)"

# ---- keep-alive: a member connection carries one client only ----
out=$(for i in 1 2 3 4 5 6; do
	get_from 10.56.1.2 $VH
	get_from 10.56.1.3 $VH
done | sed 's/^web1[12] //' | uniq -c | awk '{ print $1, $2 }' | tr '\n' ' ')
assert_eq "alternating clients each seen as themselves" \
    "$(printf '1 addr=10.56.1.%s ' 2 3 2 3 2 3 2 3 2 3 2 3)" "$out"
out=$(inC curl -sS --max-time 3 "http://10.56.1.1:$VH/a" \
    "http://10.56.1.1:$VH/b" "http://10.56.1.1:$VH/c" | cut -d' ' -f2 |
    sort -u)
assert_eq "three requests on one client connection: the client's address" \
    "addr=10.56.1.2" "$out"

# ---- thousands of connections: the stock keeps up ----
inC wrk -t1 -c16 -d3s -H "Connection: close" \
    "http://10.56.1.1:$VH/" >"$T/wrk.txt" 2>&1 || true
n=$(awk '/requests in/ { print $1 }' "$T/wrk.txt")
assert_ge "wrk made more connections than the first stock (256)" \
    "${n:-0}" 1000
assert_no_match "... and none failed" "Non-2xx|Socket errors" \
    "$(cat "$T/wrk.txt")"
assert_eq "... none refused by the edge" "" \
    "$(grep -i 'transparent sockets' "$T/edged.log" | grep -v 'delivered')"

# ---- the worker holds no capability ----
wpid=$(edged_worker_pid)
assert_eq "the worker's effective capabilities: none" 0000000000000000 \
    "$(awk '/^CapEff/ { print $2 }' "/proc/$wpid/status")"

# ---- a reload without transparent pools takes the rule out ----
write_conf off >"$T/edged.conf"
ctl reload >/dev/null || fail "reload refused"
assert_no_match "reload: the rule is gone" "lookup 25700" "$(inE ip rule)"
assert_eq "... and the route" "" "$(inE ip route show table 25700 2>&1)"
assert_match "... and members see the edge again" \
    "^web1[12] addr=10\.56\.2\.1$" "$(get_from 10.56.1.2 $VH)"
assert_match "... udp too" "^192\.0\.2\.1[12]$" "$(dig_from 10.56.1.2)"
assert_match "... its query from the edge" \
    "query\[A\] www\.example\.test from 10\.56\.2\.1$" \
    "$(cat "$T/dns11.log" "$T/dns12.log" | grep 'query\[A\]' | tail -n 1)"

pass
