#!/bin/bash
# 57-route-health: route health injection through real FRR (Debian's 8.4),
# in network namespaces made here:
#
#   peer router P (10.57.0.2, fd57::2) --- edge E (10.57.0.1, fd57::1)
#   zebra + bgpd, AS 65000                 edged + zebra + bgpd, AS 65057
#
# E's virtual servers answer on 192.0.2.57 and 2001:db8:57::10 (AnyIP:
# local routes on lo, which zebra leaves alone), members nginx on E's
# loopback.  E's bgpd configuration is the operator's own, by hand, with
# `redistribute openfabric`; edged's `routing { announce virtual-servers on }`
# puts each address in E's zebra, through its ZAPI client, while a
# virtual server on it can serve.  Asserted:
#   - edged started before zebra connects once zebra is there;
#   - P learns both addresses over BGP (v4 and v6) and reaches the
#     virtual server through them; the metrics say so
#     (edged_vip_announced, edged_zebra_connected);
#   - the members stopped: P loses the routes (the monitor's verdict,
#     no reload), edged's log says why; back when they return; the same
#     with edgectl member disable and enable;
#   - edgectl upgrade hands the connection to the new binary: the peer's
#     route is never withdrawn, and the new master steers it;
#   - a reload with announce off withdraws them, on announces again; a
#     rejected reload leaves them;
#   - zebra stopped and started again: edged connects again (back-off)
#     and announces again;
#   - a socket that is not zebra's (it answers something else, or
#     nothing) is refused, and the real one announced to again;
#   - edged killed (SIGKILL): zebra withdraws them, P loses them.
. "$(dirname "$0")/lib.sh"
it_begin 57-route-health
for p in ip vtysh /usr/lib/frr/zebra /usr/lib/frr/bgpd; do
	command -v $p >/dev/null || fail "$p not found (install-deps.sh)"
done

W1=8081 W2=8082 VP=80 VS=8090
V4=192.0.2.57 V6=2001:db8:57::10
P=edged-it57-p-$$ E=edged-it57-e-$$
netns_add "$P"
netns_add "$E"
netns_link "$P" p0 "10.57.0.2/24 fd57::2/64" "$E" e0 "10.57.0.1/24 fd57::1/64"
ip -n "$E" route add local $V4/32 dev lo table local
ip -n "$E" -6 route add local $V6/128 dev lo table local
inP() { ip netns exec "$P" "$@"; }
inE() { ip netns exec "$E" "$@"; }
log_has() {	# TEXT: "yes" when edged's log has it, else "no"
	grep -qF -- "$1" "$EDGED_LOG" && echo yes || echo no
}

# ---- FRR, one per namespace: sockets, pids and logs in $T/frr-NS ----

# frr_start NS DIR BGPD-CONF: zebra and bgpd in NS, their sockets, pids
# and logs in DIR
frr_start() {
	mkdir -p "$2"
	printf '%s\n' "$3" >"$2/bgpd.conf"
	frr_daemon "$1" "$2" zebra
	frr_daemon "$1" "$2" bgpd
}

bgp_conf() {	# AS ROUTER-ID PEER4 PEER6 PEER-AS [LINES FOR EACH FAMILY]
	cat <<EOF
frr defaults traditional
log file $T/bgpd-$1.log
router bgp $1
 bgp router-id $2
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor $3 remote-as $5
 neighbor $3 timers 3 9
 neighbor $3 timers connect 1
 neighbor $4 remote-as $5
 neighbor $4 timers 3 9
 neighbor $4 timers connect 1
 address-family ipv4 unicast
  neighbor $3 activate
  ${6:-}
 exit-address-family
 address-family ipv6 unicast
  neighbor $4 activate
  ${6:-}
 exit-address-family
EOF
}

# ---- the members, and edged before zebra ----

netns_nginx "$E" w1 "127.0.0.1:$W1" "
        listen 127.0.0.1:$W1;
        location / { return 200 \"w1\\n\"; }"
W1_PID=$SPAWNED
netns_nginx "$E" w2 "127.0.0.1:$W2" "
        listen 127.0.0.1:$W2;
        location / { return 200 \"w2\\n\"; }"
W2_PID=$SPAWNED

write_conf() {	# ANNOUNCE [ZEBRA-SOCKET]
	edged_global
	cat <<CONF
stats { listen 127.0.0.1:$VS }
monitor hc { type http; interval 500ms; timeout 300ms; rise 1; fall 1; }
application-profile web { type http }
pool web {
    monitor hc
    member w1 127.0.0.1:$W1
    member w2 127.0.0.1:$W2
}
virtual-server web { listen $V4:$VP; profile web; default-pool web }
virtual-server web6 { listen [$V6]:$VP; profile web; default-pool web }
routing {
    zebra-socket ${2:-$T/frr-e/zserv.api}
    announce virtual-servers $1
}
CONF
}
write_conf on >"$T/edged.conf"
EDGED_WRAP="ip netns exec $E" edged_start "$T/edged.conf"
poll_until yes 100 log_has "zebra at $T/frr-e/zserv.api: cannot connect" \
    >/dev/null
assert_match "edged started before zebra says it cannot reach it" \
    "zebra at .*: cannot connect" "$(cat "$EDGED_LOG")"

frr_start "$E" "$T/frr-e" "$(bgp_conf 65057 10.57.0.1 10.57.0.2 fd57::2 \
    65000 'redistribute openfabric')"
ZEBRA_E=$(cat "$T/frr-e/zebra.pid")
frr_start "$P" "$T/frr-p" "$(bgp_conf 65000 10.57.0.2 10.57.0.1 fd57::1 \
    65057)"

# ---- learned, and reachable ----

peer_has() {	# ADDR: "yes" once P's kernel has a BGP route to it
	if [[ $1 == *:* ]]; then
		ip -n "$P" -6 route show "$1" proto bgp
	else
		ip -n "$P" route show "$1" proto bgp
	fi | grep -q . && echo yes || echo no
}
learned() {	# ADDR WANT [TRIES of 50 ms]: yes or no, once WANT
	poll_until "$2" "${3:-600}" peer_has "$1"
}

assert_eq "the peer learns $V4 over BGP" yes "$(learned $V4 yes)"
assert_eq "the peer learns $V6 over BGP" yes "$(learned $V6 yes)"
assert_match "edged connected once zebra came" "zebra at .* answered" \
    "$(cat "$EDGED_LOG")"
assert_match "E's zebra has the address as edged's (openfabric) route" \
    "blackhole $V4" "$(ip -n "$E" route show $V4 proto openfabric)"
assert_match "the peer reaches the virtual server through the route" \
    "^w[12]$" "$(inP curl -sS --max-time 3 "http://$V4:$VP/" 2>&1)"
assert_match "and over IPv6" "^w[12]$" \
    "$(inP curl -sS --max-time 3 "http://[$V6]:$VP/" 2>&1)"
assert_match "status: zebra connected, two addresses" \
    "zebra connected, 2 addresses announced" "$(ctl status)"

announced_metric() {	# VIRTUAL-SERVER ADDRESS: edged_vip_announced
	inE curl -sS --max-time 5 "http://127.0.0.1:$VS/metrics" \
	    >"$T/metrics" || fail "GET /metrics failed"
	"$PY" "$IT_DIR/promcheck.py" <"$T/metrics" >/dev/null \
	    2>"$T/promerr" ||
	    fail "metrics not valid exposition format: $(cat "$T/promerr")"
	awk -v k="edged_vip_announced{virtual_server=\"$1\",address=\"$2\"}" \
	    '$1 == k { print $2 }' "$T/metrics"
}
assert_eq "metrics: web's address announced" 1 "$(announced_metric web $V4)"
assert_eq "metrics: web6's address announced" 1 \
    "$(announced_metric web6 $V6)"
assert_match "metrics: the connection to zebra is up" \
    "^edged_zebra_connected 1$" "$(cat "$T/metrics")"

# ---- the pool can no longer serve: withdrawn, without a reload ----

WPID=$(edged_worker_pid)
stop_pid "$W1_PID"
assert_eq "one member left: still announced" yes "$(learned $V4 yes 1)"
sleep 1.5
assert_eq "one member left: still announced, later too" yes \
    "$(learned $V4 yes 1)"
stop_pid "$W2_PID"
assert_eq "no member left: the peer loses $V4" no "$(learned $V4 no 200)"
assert_eq "no member left: the peer loses $V6" no "$(learned $V6 no 200)"
assert_match "edged's log says why" \
    "virtual-server web: withdrawing $V4/32 to zebra \(no member of its pool can serve\)" \
    "$(cat "$EDGED_LOG")"
assert_eq "no reload: the same worker" "$WPID" "$(edged_worker_pid)"
assert_eq "metrics: web's address no longer announced" 0 \
    "$(poll_until 0 40 announced_metric web $V4)"

netns_nginx "$E" w1 "127.0.0.1:$W1" "
        listen 127.0.0.1:$W1;
        location / { return 200 \"w1\\n\"; }"
assert_eq "a member back: the peer learns $V4 again" yes \
    "$(learned $V4 yes 200)"
assert_eq "and $V6" yes "$(learned $V6 yes 200)"

# ---- edgectl: the last member disabled by hand ----

ctl member disable web w1 >/dev/null || fail "member disable failed"
assert_eq "the last member disabled: withdrawn" no "$(learned $V4 no 200)"
ctl member enable web w1 >/dev/null || fail "member enable failed"
assert_eq "enabled again: announced" yes "$(learned $V4 yes 200)"

# ---- an upgrade keeps the connection: zebra never withdraws ----

zebra_age() {	# seconds since E's zebra got edged's route to V4
	inE vtysh --vty_socket "$T/frr-e" -c "show ip route $V4/32 json" |
	    json_get "sum(int(x) * m for x, m in zip(j['$V4/32'][0]\
['uptime'].split(':'), (3600, 60, 1)))"
}
sleep 4
age=$(zebra_age)
assert_match "E's zebra has had the route for a while" \
    '^([4-9]|[1-9][0-9]+)$' "$age"
out=$(ctl upgrade 2>&1) || fail "edgectl upgrade failed: $out"
edged_wait_ready
assert_match "the upgrade kept the connection to zebra" \
    "the connection to zebra at .* goes on" "$(cat "$EDGED_LOG")"
sleep 1.5
assert_ge "the upgrade did not withdraw and add it again in zebra" \
    "$(zebra_age)" $((age + 1))
ctl member disable web w1 >/dev/null || fail "member disable failed"
assert_eq "after the upgrade, the connection serves: withdrawn" no \
    "$(learned $V4 no 200)"
ctl member enable web w1 >/dev/null || fail "member enable failed"
assert_eq "and announced" yes "$(learned $V4 yes 200)"

# ---- reloads ----

write_conf off >"$T/edged.conf"
ctl reload >/dev/null || fail "reload (announce off) failed"
assert_eq "announce off: withdrawn" no "$(learned $V4 no 200)"
write_conf on >"$T/edged.conf"
ctl reload >/dev/null || fail "reload (announce on) failed"
assert_eq "announce on again: announced" yes "$(learned $V4 yes 200)"
write_conf on relative/zserv.api >"$T/edged.conf"
out=$(ctl reload 2>&1) && fail "a relative zebra-socket was taken: $out"
assert_match "a bad routing block is rejected where it stands" \
    "edged.conf:[0-9]+:[0-9]+: error: 'zebra-socket' expects an absolute path" \
    "$out"
sleep 1
assert_eq "the rejected reload left the routes" yes "$(learned $V4 yes 1)"

# ---- zebra restarts: edged connects again and announces again ----

# as watchfrr would: zebra goes, bgpd with it, and both come back
stop_pid "$ZEBRA_E"
poll_until yes 100 log_has "zebra closed the connection" >/dev/null
assert_match "edged saw zebra go" "zebra closed the connection; the \
virtual servers' addresses are withdrawn; trying again" "$(cat "$EDGED_LOG")"
stop_pid "$(cat "$T/frr-e/bgpd.pid")"
assert_eq "E's FRR stopped: the peer loses $V4" no "$(learned $V4 no 400)"
frr_daemon "$E" "$T/frr-e" zebra
frr_daemon "$E" "$T/frr-e" bgpd
edge_has() {	# "yes" once E's zebra has edged's route to V4 again
	ip -n "$E" route show $V4 proto openfabric | grep -q . &&
	    echo yes || echo no
}
assert_eq "zebra back: edged announces again" yes \
    "$(poll_until yes 400 edge_has)"
assert_eq "the peer learns $V4 again" yes "$(learned $V4 yes 600)"
assert_eq "and $V6" yes "$(learned $V6 yes 200)"

# ---- a "zebra" that is not one: refused, never misread ----

# one that accepts and says nothing, one that answers something else
spawn "$T/silent.log" socat "UNIX-LISTEN:$T/silent.api,fork" \
    SYSTEM:"sleep 60"
printf '%s\n' "printf 'HTTP/1.1 400 Bad Request\\r\\n\\r\\n'" 'sleep 60' \
    >"$T/garbage.sh"
spawn "$T/garbage.log" socat "UNIX-LISTEN:$T/garbage.api,fork" \
    SYSTEM:"sh $T/garbage.sh"
for i in $(seq 1 50); do
	[ -S "$T/silent.api" ] && [ -S "$T/garbage.api" ] && break
	sleep 0.1
done
write_conf on "$T/garbage.api" >"$T/edged.conf"
ctl reload >/dev/null || fail "reload (another zebra-socket) failed"
assert_eq "another zebra-socket: withdrawn from the real zebra" no \
    "$(learned $V4 no 200)"
assert_eq "a peer that is not ZAPI is refused" yes \
    "$(poll_until yes 100 log_has \
    "zebra at $T/garbage.api: a message length out of bounds")"
write_conf on "$T/silent.api" >"$T/edged.conf"
ctl reload >/dev/null || fail "reload (a silent zebra-socket) failed"
assert_eq "a peer that never answers HELLO is given up after 5 s" yes \
    "$(poll_until yes 200 log_has "zebra at $T/silent.api: no answer \
to HELLO (is it FRR 8.4's zebra?)")"
write_conf on >"$T/edged.conf"
ctl reload >/dev/null || fail "reload (the real zebra again) failed"
assert_eq "the real zebra again: announced" yes "$(learned $V4 yes 400)"

# ---- edged dies: zebra withdraws what it announced ----

kill -KILL "$EDGED_PID"
assert_eq "edged killed: the peer loses $V4" no "$(learned $V4 no 200)"
assert_eq "edged killed: the peer loses $V6" no "$(learned $V6 no 200)"
pass
