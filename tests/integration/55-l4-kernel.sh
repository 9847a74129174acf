#!/bin/bash
# 55-l4-kernel: virtual servers the kernel balances by itself (profile
# type l4-kernel: nftables DNAT through a map of slots, steered by
# edged's monitors), in network namespaces made here:
#
#   client C (10.55.1.2) --- a0 [edge E] b0 --- members M (10.55.2.11,
#                          10.55.1.1   10.55.2.1        10.55.2.12)
#
# M's default route points to E, so both modes work:
#   - one-armed (the default): members see the edge's address;
#   - inline (pool transparent on): members see the client's address;
# and asserted on real traffic (nginx, dnsmasq, socat and curl, dig):
#   - new flows spread over the members by weight (3:1);
#   - a member stopped is taken out by its monitor: it gets no new flow,
#     through an element change in the kernel's map, not a reload; back
#     when it is up again, its share ramping (slow-start); edgectl member
#     drain does the same;
#   - a flow of a member that goes down is cut with on-member-down cut,
#     and kept by default;
#   - udp with ip-hash: one client stays on one member;
#   - IPv6: the same map, its slots moved when a member goes down;
#   - a connection from the edge itself is balanced too;
#   - a firewall with default-policy drop lets the virtual servers'
#     flows through; edgectl show l4-kernel, show stats and the metrics
#     show them;
#   - a reload that remakes the table keeps a member that is down out.
. "$(dirname "$0")/lib.sh"
it_begin 55-l4-kernel
for p in ip nft socat dig dnsmasq; do
	command -v $p >/dev/null || fail "$p not found (install-deps.sh)"
done

VW=$((IT_PORT + 0)) VI=$((IT_PORT + 1)) VK=$((IT_PORT + 2))
VC=$((IT_PORT + 3)) VD=$((IT_PORT + 4)) VS=$((IT_PORT + 5))
WEB=8080 ECHO=9000 HEALTH=9001 DNS=5353
C=edged-it55-c-$$ E=edged-it55-e-$$ M=edged-it55-m-$$
netns_add "$C"
netns_add "$E"
netns_add "$M"
netns_link "$C" c0 "10.55.1.2/24 fd55:1::2/64" "$E" a0 \
    "10.55.1.1/24 fd55:1::1/64"
netns_link "$E" b0 "10.55.2.1/24 fd55:2::1/64" "$M" m0 \
    "10.55.2.11/24 10.55.2.12/24 fd55:2::11/64 fd55:2::12/64"
ip -n "$C" route add default via 10.55.1.1
ip -n "$C" -6 route add default via fd55:1::1
ip -n "$M" route add default via 10.55.2.1
ip -n "$M" -6 route add default via fd55:2::1
inC() { ip netns exec "$C" "$@"; }
inE() { ip netns exec "$E" "$@"; }
inM() { ip netns exec "$M" "$@"; }

for m in 11 12; do
	netns_nginx "$M" "web$m" "10.55.2.$m:$WEB" "
        listen 10.55.2.$m:$WEB;
        listen [fd55:2::$m]:$WEB;
        location / { return 200 \"web$m addr=\$remote_addr\\n\"; }"
	spawn "$T/echo$m.log" ip netns exec "$M" socat \
	    "TCP-LISTEN:$ECHO,bind=10.55.2.$m,reuseaddr,fork" EXEC:cat
	# the echo members' monitor port: stopping it takes them down
	# while their flows go on
	spawn "$T/health$m.log" ip netns exec "$M" socat \
	    "TCP-LISTEN:$HEALTH,bind=10.55.2.$m,reuseaddr,fork" OPEN:/dev/null
	eval "HEALTH_PID_$m=$SPAWNED"
	dnsmasq_member "$T/dns$m.log" 10.55.2.$m $DNS 192.0.2.$m "$M"
done

write_conf() {		# WEIGHT-OF-W12
	edged_global
	cat <<CONF
stats { listen 127.0.0.1:$VS }
monitor hc { type tcp; interval 300ms; timeout 200ms; rise 1; fall 1; }
monitor dc { type dns; query www.example.test; interval 300ms;
    timeout 200ms; rise 1; fall 1; }
application-profile fast { type l4-kernel }
application-profile cut { type l4-kernel; on-member-down cut }
application-profile dns { type l4-kernel; protocol udp }
pool web {
    monitor hc
    slow-start 2s
    member w11 10.55.2.11:$WEB weight 3
    member w12 10.55.2.12:$WEB weight $1
}
pool inline {
    transparent on
    member w11 10.55.2.11:$WEB
}
pool echo {
    monitor hc
    member e11 10.55.2.11:$ECHO monitor-port $HEALTH
    member e12 10.55.2.12:$ECHO monitor-port $HEALTH
}
pool dns {
    algorithm ip-hash
    monitor dc
    member d11 10.55.2.11:$DNS
    member d12 10.55.2.12:$DNS
}
virtual-server web { listen 10.55.1.1:$VW; profile fast; default-pool web }
virtual-server inline { listen 10.55.1.1:$VI; profile fast;
    default-pool inline }
virtual-server keep { listen 10.55.1.1:$VK; profile fast; default-pool echo }
virtual-server cut { listen 10.55.1.1:$VC; profile cut; default-pool echo }
virtual-server dns { listen 10.55.1.1:$VD; profile dns; default-pool dns }
pool web6 {
    monitor hc
    member v11 [fd55:2::11]:$WEB
    member v12 [fd55:2::12]:$WEB
}
virtual-server web6 { listen [fd55:1::1]:$VW; profile fast;
    default-pool web6 }
firewall { default-policy drop }
CONF
}
write_conf 1 >"$T/edged.conf"
EDGED_WRAP="ip netns exec $E" edged_start "$T/edged.conf"

get_c() {	# PORT: the answer through the edge, from C
	inC curl -sS --max-time 3 "http://10.55.1.1:$1/" 2>&1 || true
}
spread() {	# N: how many of N new flows each member answered
	local i
	for i in $(seq 1 "$1"); do get_c $VW; done | cut -d' ' -f1 |
	    sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }'
}
count_of() {	# MEMBER SPREAD
	[[ $2 =~ $1=([0-9]+) ]] && echo "${BASH_REMATCH[1]}" || echo 0
}
slots_of() {	# VIRTUAL-SERVER MEMBER: its slots in the kernel's map
	ctl show l4-kernel --json | json_get "[m['slots'] for m in \
j['members'] if m['virtual_server'] == '$1' and m['member'] == '$2'][0]"
}
slots_are() {	# VIRTUAL-SERVER MEMBER N: its slots once N, or after 5 s
	poll_until "$3" 100 slots_of "$1" "$2"
}

# ---- the table, and the forwarding it needs ----
assert_eq "forwarding on in the edge" 1 \
    "$(inE cat /proc/sys/net/ipv4/ip_forward)"
assert_match "the map holds the members' slots" \
    "10\.55\.2\.11 \. $WEB.*10\.55\.2\.12 \. $WEB" \
    "$(inE nft list map inet edged k_web | tr -d '\n')"
assert_eq "nothing listens on the virtual server's port in the edge" "" \
    "$(inE ss -Htln "sport = :$VW")"

# ---- one-armed, inline, weights ----
assert_match "IPv6: a member answers through the edge, seeing its address" \
    "^web1[12] addr=fd55:2::1$" \
    "$(inC curl -sS --max-time 3 "http://[fd55:1::1]:$VW/" 2>&1)"
assert_match "one-armed: the member sees the edge's address" \
    "^web1[12] addr=10\.55\.2\.1$" "$(get_c $VW)"
assert_eq "inline: the member sees the client's address" \
    "web11 addr=10.55.1.2" "$(get_c $VI)"
assert_match "from the edge itself too (nat output)" \
    "^web1[12] addr=10\.55\.2\.1$" \
    "$(inE curl -sS --max-time 3 "http://10.55.1.1:$VW/" 2>&1)"
s=$(spread 40)
assert_between "weights 3:1: w11's share of 40 new flows ($s)" \
    "$(count_of web11 "$s")" 27 33
assert_eq "... and w12 has the rest" 40 \
    $(( $(count_of web11 "$s") + $(count_of web12 "$s") ))
assert_ge "show l4-kernel counts w11's flows" \
    "$(ctl show l4-kernel --json | json_get "[m['flows'] for m in \
j['members'] if m['member'] == 'w11' and m['virtual_server'] == 'web'][0]")" \
    27

inE curl -sS --max-time 5 "http://127.0.0.1:$VS/metrics" >"$T/metrics" ||
    fail "GET /metrics failed"
"$PY" "$IT_DIR/promcheck.py" <"$T/metrics" >/dev/null 2>"$T/promerr" ||
    fail "metrics not valid exposition format: $(cat "$T/promerr")"
metric() {	# NAME{LABELS}: its value in the metrics just read
	awk -v k="$1" '$1 == k { print $2 }' "$T/metrics"
}
assert_ge "the metrics count w11's flows" \
    "$(metric 'edged_l4_kernel_flows_total{virtual_server="web",member="w11"}')" 27
assert_eq "... and give its slots" 48 \
    "$(metric 'edged_l4_kernel_slots{virtual_server="web",member="w11"}')"

# ---- udp, ip-hash: one client, one member ----
d=$(for i in 1 2 3 4 5; do
	inC dig +short +tries=2 +time=1 -p $VD @10.55.1.1 www.example.test A
done | sort -u)
assert_match "udp: dnsmasq answers through the edge, one member for one \
client" "^192\.0\.2\.1[12]$" "$d"

# ---- long flows: kept, or cut when their member goes down ----
flow() {	# PORT LOG: one connection sending a line every 100 ms
	spawn "$2" ip netns exec "$C" "$PY" -c '
import socket, sys, time
s = socket.create_connection(("10.55.1.1", int(sys.argv[1])), timeout=2)
n = 0
try:
    while True:
        s.sendall(b"x\n")
        if s.recv(16) == b"":
            print("closed after", n, flush=True)
            break
        n += 1
        print("ok", n, flush=True)
        time.sleep(0.1)
except OSError as e:
    print("error after", n, e.__class__.__name__, flush=True)' "$1"
}
flow $VK "$T/keep.log"
KEEP_PID=$SPAWNED
flow $VC "$T/cut.log"
CUT_PID=$SPAWNED
sleep 0.5
grep -q "^ok" "$T/keep.log" || fail "the kept flow does not echo"
grep -q "^ok" "$T/cut.log" || fail "the cut flow does not echo"
# every member of the echo pool goes down (its monitor port closes;
# the flows' own processes stay)
stop_pid "$HEALTH_PID_11"
stop_pid "$HEALTH_PID_12"
assert_eq "the echo members down by their monitor" "down down" \
    "$(member_health_is echo e11 down) $(member_health_is echo e12 down)"
sleep 1
assert_match "on-member-down cut: the flow was reset" \
    "error after [0-9]+ Connection(Reset|Refused)Error|closed after" \
    "$(tail -n 1 "$T/cut.log")"
before=$(tail -n 1 "$T/keep.log")
sleep 0.5
assert_match "on-member-down keep: the flow goes on" "^ok [0-9]+$" \
    "$(tail -n 1 "$T/keep.log")"
assert_ne "... and still moves" "$before" "$(tail -n 1 "$T/keep.log")"
stop_pid "$KEEP_PID"
stop_pid "$CUT_PID"
assert_match "no member up: a new flow is refused at once" \
    "Connection refused|Failed to connect" \
    "$(inC curl -sS --max-time 3 "http://10.55.1.1:$VK/" 2>&1)"

# ---- a member stopped: out of the map, no reload ----
w0=$(edged_worker_pid)
stop_pid "$(cat "$T/nginx-web12/nginx.pid")"
assert_eq "w12 down by its monitor" down "$(member_health_is web w12 down)"
assert_eq "... its slots gone from the kernel's map" 0 \
    "$(slots_are web w12 0)"
assert_no_match "... no element of the map names it" "10\.55\.2\.12" \
    "$(inE nft list map inet edged k_web)"
s=$(spread 10)
assert_eq "... and every new flow goes to w11" "web11=10 " "$s"
assert_eq "... without a reload (the same worker)" "$w0" \
    "$(edged_worker_pid)"
grep -q "virtual-server web: the kernel's slots now w11 64, w12 0" \
    "$T/edged.log" || fail "the log does not say the slots moved"

get6() {	# the IPv6 virtual server's answer, from C
	inC curl -sS --max-time 3 "http://[fd55:1::1]:$VW/" 2>&1 || true
}
assert_eq "IPv6: v12 down too, its slots gone" "down 0" \
    "$(member_health_is web6 v12 down) $(slots_are web6 v12 0)"
assert_eq "... every new flow to v11, seeing the edge's address" \
    "web11 addr=fd55:2::1 web11 addr=fd55:2::1" "$(get6) $(get6)"

# ---- a reload that remakes the table keeps w12 out ----
write_conf 2 >"$T/edged.conf"
ctl reload >/dev/null || fail "reload refused"
assert_eq "reload: w12 still has no slot" 0 "$(slots_of web w12)"
assert_eq "... and w11 all 65 of them" 65 "$(slots_of web w11)"

# ---- back up: its share again; drain takes it out ----
netns_nginx "$M" web12b "10.55.2.12:$WEB" "
        listen 10.55.2.12:$WEB;
        location / { return 200 \"web12 addr=\$remote_addr\\n\"; }"
assert_eq "w12 up again" up "$(member_health_is web w12 up)"
for i in $(seq 1 60); do
	ramp=$(slots_of web w12)
	[ "$ramp" -gt 0 ] && break
	sleep 0.05
done
assert_between "slow-start: w12 comes back with part of its share" \
    "$ramp" 1 25
assert_eq "... then all of it, weight 2 of 5: 26 of 65 slots" 26 \
    "$(slots_are web w12 26)"
ctl member drain web w12 >/dev/null
assert_eq "edgectl member drain: no slot" 0 "$(slots_are web w12 0)"
ctl member enable web w12 >/dev/null
assert_eq "edgectl member enable: back" 26 "$(slots_are web w12 26)"
assert_match "show stats says the kernel balances web" \
    "virtual-server +web +10\.55\.1\.1:$VW +kernel " "$(ctl show stats)"
assert_match "show l4-kernel: w12's weight and slots" \
    "web +w12 +10\.55\.2\.12:$WEB +2 +26/65 " "$(ctl show l4-kernel)"

pass
