#!/bin/bash
# 66-steering: service insertion, in network namespaces made here:
#
#   client C ---- c0  e0 [edge E]  e1 ---- s0  server S
#   172.31.67.2   172.31.67.1  |  |  10.67.2.1   10.67.2.2
#                    ins0 10.67.9.1  ins1 10.67.8.1
#                        |               |
#                   a0 10.67.9.2    a0 10.67.8.2
#                   appliance A1    appliance A2
#
# Each appliance routes what it gets back to the edge and counts it with
# its own nft counters (A1 also marks what it forwards with DSCP CS1, so
# that A2 can tell what came through A1 first).  edged steers the
# client's pings (IPv4 and IPv6) through a chain; the rest goes
# straight.  Asserted:
# steered flows cross the appliance (its counters rise, both ways),
# unsteered ones do not touch it; the interface where the appliance
# hands traffic back is made loose for reverse-path filtering (strict
# here before edged starts); an appliance that fails is seen down within
# interval x fall: failure open lets traffic bypass it, failure closed
# drops it, and recovery resumes steering; a two-appliance chain is
# crossed in order, and with its first appliance down (open) goes to the
# second alone; edgectl show steering says it all, with the packets
# steered; a reload without steering (an appliance down, its hop a
# blackhole), and edgectl firewall flush, take edged's rules and routes
# out of the routing policy.
. "$(dirname "$0")/lib.sh"
it_begin 66-steering
for p in ip nft ping socat; do
	command -v $p >/dev/null || fail "$p not found (install-deps.sh)"
done

C=edged-it66-c-$$ E=edged-it66-e-$$ S=edged-it66-s-$$
A1=edged-it66-a1-$$ A2=edged-it66-a2-$$
for ns in "$C" "$E" "$S" "$A1" "$A2"; do netns_add "$ns"; done
netns_link "$C" c0 "172.31.67.2/24 fd67:c::2/64" \
    "$E" e0 "172.31.67.1/24 fd67:c::1/64"
netns_link "$E" e1 "10.67.2.1/24 fd67:2::1/64" \
    "$S" s0 "10.67.2.2/24 fd67:2::2/64"
netns_link "$E" ins0 "10.67.9.1/24 fd67:9::1/64" \
    "$A1" a0 "10.67.9.2/24 fd67:9::2/64"
netns_link "$E" ins1 "10.67.8.1/24 fd67:8::1/64" \
    "$A2" a0 "10.67.8.2/24 fd67:8::2/64"
for r in "$C 172.31.67.1 fd67:c::1" "$S 10.67.2.1 fd67:2::1"; do
	set -- $r
	ip -n "$1" route add default via "$2"
	ip -n "$1" -6 route add default via "$3"
done
# strict reverse-path filtering on the edge, as some hosts have it
ip netns exec "$E" sysctl -qw net.ipv4.conf.all.rp_filter=1 \
    net.ipv4.conf.ins0.rp_filter=1 net.ipv4.conf.ins1.rp_filter=1

# an appliance: routes back to the edge, counts; A1 marks what it passes
appliance() {	# NS EDGE-ADDR EDGE-ADDR6 MARK(yes|no)
	local set=
	[ "$4" = yes ] && set="ip dscp set cs1
		ip6 dscp set cs1"
	ip -n "$1" route add default via "$2"
	ip -n "$1" -6 route add default via "$3"
	ip netns exec "$1" sysctl -qw net.ipv4.ip_forward=1 \
	    net.ipv6.conf.all.forwarding=1 \
	    net.ipv4.conf.all.send_redirects=0 \
	    net.ipv4.conf.a0.send_redirects=0 net.ipv4.conf.all.rp_filter=0 \
	    net.ipv4.conf.a0.rp_filter=0
	ip netns exec "$1" nft -f - <<NFT || fail "nft in appliance $1"
table inet app {
	counter seen {
	}
	counter marked {
	}
	chain fail {
		type filter hook prerouting priority -300; policy accept;
	}
	chain passing {
		type filter hook forward priority 0; policy accept;
		ip dscp cs1 counter name "marked"
		ip6 dscp cs1 counter name "marked"
		counter name "seen"
		$set
	}
}
NFT
}
appliance "$A1" 10.67.9.1 fd67:9::1 yes
appliance "$A2" 10.67.8.1 fd67:8::1 no
count() {	# NS COUNTER
	ip netns exec "$1" nft list counter inet app "$2" |
	    awk '/packets/ { print $2 }'
}
broken() {	# NS on|off: the appliance drops everything, or not
	if [ "$2" = on ]; then
		ip netns exec "$1" nft add rule inet app fail drop
	else
		ip netns exec "$1" nft flush chain inet app fail
	fi
}

spawn "$T/server.log" ip netns exec "$S" socat \
    TCP-LISTEN:8080,bind=10.67.2.2,reuseaddr,fork SYSTEM:'echo hello'
ping_s() { ip netns exec "$C" ping -c 1 -W 1 10.67.2.2 >/dev/null 2>&1 &&
    echo yes || echo no; }
ping6_s() { ip netns exec "$C" ping -6 -c 1 -W 1 fd67:2::2 >/dev/null 2>&1 &&
    echo yes || echo no; }
tcp_s() { ip netns exec "$C" socat -T 2 - TCP:10.67.2.2:8080 </dev/null \
    2>/dev/null || echo failed; }
# what the appliances' other monitors reach: a port on a1, a health page
# on a2
spawn "$T/a1-port.log" ip netns exec "$A1" socat \
    TCP-LISTEN:8081,bind=10.67.9.2,reuseaddr,fork SYSTEM:'echo up'
cat >"$T/health.sh" <<'SH'
# the request read to its blank line, then 200
cr=$(printf '\r')
while IFS= read -r line; do
	case $line in "" | "$cr") break ;; esac
done
printf 'HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n'
SH
spawn "$T/a2-health.log" ip netns exec "$A2" socat \
    TCP-LISTEN:8080,bind=10.67.8.2,reuseaddr,fork SYSTEM:"sh $T/health.sh"

write_conf() {	# CHAIN A1-FAILURE [A1-MONITOR]
	edged_global
	cat <<CONF
stats {
    listen 127.0.0.1:9066
}
service-appliance a1 {
    address 10.67.9.2 fd67:9::2
    interface ins0
    monitor ${3:-ping}
    interval 200ms
    rise 2
    fall 2
    failure $2
}
service-appliance a2 {
    address 10.67.8.2 fd67:8::2
    interface ins1
    monitor http http://10.67.8.2:8080/health
    interval 200ms
    rise 2
    fall 2
    failure closed
}
service-chain one {
    appliances a1
}
service-chain two {
    appliances a1 a2
}
firewall {
    default-policy drop
    rule inspect-pings {
        source 172.31.67.0/24 fd67:c::/64
        service icmp/echo-request icmpv6/echo-request
        in-interface e0
        action accept
        steer $1
    }
    rule tcp-in {
        service tcp/8080
        action accept
    }
}
CONF
}
write_conf one open >"$T/edged.conf"
EDGED_WRAP="ip netns exec $E" edged_start "$T/edged.conf"
health() {	# HOP (1-based): its appliance's health, in chain in force
	ctl show steering --json |
	    json_get "j['chains'][0]['hops'][$1 - 1]['health']"
}

assert_eq "edged made ins0 loose for reverse-path filtering" 2 \
    "$(ip netns exec "$E" sysctl -n net.ipv4.conf.ins0.rp_filter)"
assert_eq "a1 is up" up "$(poll_until up 40 health 1)"
s1=$(count "$A1" seen) s2=$(count "$A2" seen)
assert_eq "a steered ping passes" yes "$(ping_s)"
assert_ge "it crossed appliance a1, both ways" \
    "$(( $(count "$A1" seen) - s1 ))" 2
assert_eq "and not a2 (not in chain one)" "$s2" "$(count "$A2" seen)"
s1=$(count "$A1" seen)
# (the first IPv6 packets wait for neighbour discovery on every link of
# the way: a few tries)
assert_eq "a steered IPv6 ping passes" yes "$(poll_until yes 3 ping6_s)"
assert_ge "it crossed appliance a1, both ways" \
    "$(( $(count "$A1" seen) - s1 ))" 2
s1=$(count "$A1" seen)
assert_eq "an unsteered flow (TCP) passes" hello "$(tcp_s)"
assert_eq "without touching the appliance" "$s1" "$(count "$A1" seen)"
show=$(ctl show steering)
it_log "show steering: $show"
assert_match "show steering: the chain, its packets" \
    "chain one: [1-9][0-9]* packets steered" "$show"
assert_match "show steering: the hop, up, where it goes" \
    "hop 1: a1 10.67.9.2 on ins0: up, failure open: to a1" "$show"
rules=$(ip -n "$E" rule)
it_log "the edge's rules: $rules"
assert_match "the rule in the edge's policy routing" \
    "25800:.*fwmark 0x6574[0-9a-f]{3}0 lookup [0-9]+ proto 237" "$rules"
table=$(sed -n 's/.*fwmark 0x6574[0-9a-f]*0 lookup \([0-9]*\).*/\1/p' \
    <<<"$rules" | head -n 1)
assert_match "the hop's table routes to the appliance" \
    "default via 10.67.9.2 dev ins0" \
    "$(ip -n "$E" route show table "$table")"

# a flow steered before a reload that adds a chain before its own: it
# stays on its chain (a chain's marks come from its name, not its place)
ip netns exec "$C" ping -i 0.2 -c 20 -W 1 10.67.2.2 >"$T/longping" 2>&1 &
longping=$!
sleep 1
write_conf one open | sed 's/^service-chain one {$/service-chain aaa {\
    appliances a2\
}\
&/' >"$T/edged.conf"
s1=$(count "$A1" seen) s2=$(count "$A2" seen)
out=$(ctl reload 2>&1) || fail "the reload adding chain aaa failed: $out"
wait "$longping" || true
assert_match "the flow lost nothing across the reload" " 0% packet loss" \
    "$(cat "$T/longping")"
assert_ge "it went on through a1" "$(( $(count "$A1" seen) - s1 ))" 10
assert_eq "and not through chain aaa's a2" "$s2" "$(count "$A2" seen)"
write_conf one open >"$T/edged.conf"
out=$(ctl reload 2>&1) || fail "the reload without chain aaa failed: $out"

metric() {
	ip netns exec "$E" curl -s --max-time 5 http://127.0.0.1:9066/metrics |
	    awk -v k="$1" '$1 == k { print $2 }'
}
assert_eq "metrics: a1 up" 1 \
    "$(metric 'edged_service_appliance_up{appliance="a1"}')"
assert_ge "metrics: packets steered into chain one" \
    "$(metric 'edged_steered_packets_total{chain="one"}')" 4
ip netns exec "$E" curl -s --max-time 5 http://127.0.0.1:9066/metrics \
    >"$T/metrics"
"$PY" "$IT_DIR/promcheck.py" <"$T/metrics" >/dev/null 2>"$T/promerr" ||
    fail "the metrics are not valid exposition: $(cat "$T/promerr")"

# a1 fails: failure open, the pings bypass it
broken "$A1" on
assert_eq "a1 failing: down within interval x fall" down \
    "$(poll_until down 40 health 1)"
s1=$(count "$A1" seen)
assert_eq "failure open: the pings pass, around it" yes "$(ping_s)"
assert_match "show steering: routed as usual" \
    "a1 10.67.9.2 on ins0: down, failure open: to routed as usual" \
    "$(ctl show steering)"
assert_match "the log says so" "service-appliance a1 is down" \
    "$(cat "$EDGED_LOG")"
assert_eq "metrics: a1 down" 0 \
    "$(metric 'edged_service_appliance_up{appliance="a1"}')"
broken "$A1" off
assert_eq "a1 back: up after rise" up "$(poll_until up 40 health 1)"
assert_eq "the pings pass" yes "$(ping_s)"
assert_ge "through a1 again" "$(( $(count "$A1" seen) - s1 ))" 2

# a1 fails, failure closed (its monitor a TCP connect now): the steered
# pings are dropped
write_conf one closed "tcp 8081" >"$T/edged.conf"
out=$(ctl reload 2>&1) || fail "the reload to failure closed failed: $out"
broken "$A1" on
assert_eq "a1 failing again: down" down "$(poll_until down 40 health 1)"
assert_eq "failure closed: the steered pings are dropped" no "$(ping_s)"
assert_eq "the unsteered flow still passes" hello "$(tcp_s)"
assert_match "show steering: dropped" "down, failure closed: to dropped" \
    "$(ctl show steering)"
broken "$A1" off
assert_eq "a1 back: the pings pass again" yes "$(poll_until yes 40 ping_s)"

# the chain of two: a1, then a2 (what a2 sees, a1 marked)
write_conf two open >"$T/edged.conf"
out=$(ctl reload 2>&1) || fail "the reload to chain two failed: $out"
s2=$(count "$A2" seen) m2=$(count "$A2" marked)
assert_eq "a ping steered through two appliances passes" yes "$(ping_s)"
d2=$(( $(count "$A2" seen) - s2 ))
assert_ge "it crossed a2 too, both ways" "$d2" 2
assert_eq "in order: all a2 saw had crossed a1 first" "$d2" \
    "$(( $(count "$A2" marked) - m2 ))"
s2=$(count "$A2" seen) m2=$(count "$A2" marked)
assert_eq "IPv6 too" yes "$(ping6_s)"
d2=$(( $(count "$A2" seen) - s2 ))
assert_ge "across a2, both ways" "$d2" 2
assert_eq "after a1" "$d2" "$(( $(count "$A2" marked) - m2 ))"
# a1 down, failure open: hop 1 goes to a2 directly
broken "$A1" on
assert_eq "a1 down in chain two" down "$(poll_until down 40 health 1)"
s2=$(count "$A2" seen) m2=$(count "$A2" marked)
assert_eq "the pings pass" yes "$(ping_s)"
assert_ge "through a2 alone" "$(( $(count "$A2" seen) - s2 ))" 2
assert_eq "none of it through a1" "$m2" "$(count "$A2" marked)"
assert_match "show steering: hop 1 goes to a2" "hop 1: a1 .*to a2" \
    "$(ctl show steering)"
broken "$A1" off
# a2 down (its monitor a GET of its health page), failure closed: dropped
broken "$A2" on
assert_eq "a2 down" down "$(poll_until down 40 health 2)"
assert_eq "failure closed at hop 2: dropped" no "$(ping_s)"
# a1 down too: its failure open does not take hop 1 past a2, whose
# failure is closed
broken "$A1" on
assert_eq "a1 down as well" down "$(poll_until down 40 health 1)"
assert_eq "hop 1 stops at a2, closed: dropped" no "$(ping_s)"
assert_match "show steering: hop 1 dropped" "hop 1: a1 .*to dropped" \
    "$(ctl show steering)"
broken "$A1" off
assert_eq "a1 back" up "$(poll_until up 40 health 1)"
broken "$A2" off
assert_eq "a2 back: the pings pass" yes "$(poll_until yes 40 ping_s)"
json=$(ctl show steering --json)
assert_ge "JSON: the packets steered" \
    "$(json_get 'j["chains"][0]["packets"]' <<<"$json")" 4

# an appliance on an interface that is not there, failure closed: what
# its hop steers is dropped, never let past it
write_conf ghost open >"$T/edged.conf"
cat >>"$T/edged.conf" <<'CONF'
service-appliance a3 {
    address 10.67.7.2
    interface nosuch0
    failure closed
}
service-chain ghost {
    appliances a3
}
CONF
out=$(ctl reload 2>&1) || fail "the reload to chain ghost failed: $out"
assert_match "the missing interface is logged" "no interface nosuch0" \
    "$(poll_until_match 'nosuch0' 40 cat "$EDGED_LOG")"
assert_eq "failure closed: the steered pings are dropped" no "$(ping_s)"
assert_eq "the unsteered flow passes" hello "$(tcp_s)"
write_conf two open >"$T/edged.conf"
out=$(ctl reload 2>&1) || fail "the reload back to chain two failed: $out"
assert_eq "chain two again: the pings pass" yes \
    "$(poll_until yes 40 ping_s)"

# a2 down again (its hop a blackhole), then a reload without steering:
# edged's rules and routes go, the blackhole too; then firewall flush
broken "$A2" on
assert_eq "a2 down again" down "$(poll_until down 40 health 2)"
assert_match "failure closed: a blackhole in hop 2's table" "blackhole" \
    "$(ip -n "$E" route show table all proto 237)"
edged_global >"$T/edged.conf"
printf 'firewall {\n    default-policy accept\n}\n' >>"$T/edged.conf"
out=$(ctl reload 2>&1) || fail "the reload without steering failed: $out"
assert_no_match "no steering: edged's rules are gone" "0x6574" \
    "$(ip -n "$E" rule)"
assert_eq "and its routes, the blackhole too" "" \
    "$(ip -n "$E" route show table all proto 237)"
broken "$A2" off
write_conf one open >"$T/edged.conf"
out=$(ctl reload 2>&1) || fail "the reload back failed: $out"
assert_match "steering again: the rule is back, the same" \
    "fwmark 0x6574[0-9a-f]{3}0 lookup $table " "$(ip -n "$E" rule)"
ctl firewall flush >/dev/null || fail "firewall flush failed"
assert_no_match "firewall flush takes them out" "0x6574" \
    "$(ip -n "$E" rule)"

pass
