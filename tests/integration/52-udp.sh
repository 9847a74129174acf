#!/bin/bash
# 52-udp: `application-profile { type udp }` in front of two real DNS
# servers (Debian's dnsmasq, each answering its own address):
#   - 1,000 queries from dnsperf (8 sockets, several queries out on each)
#     all answered through edged, spread over both members, and every
#     session gone once each query got its reply (udp-responses 1);
#   - the reply comes from the virtual server's address (dig checks);
#   - without udp-responses a client's port keeps its member until the
#     session is idle for timeout udp, then it ends, with a "UDP" line
#     in the access log;
#   - a member stopped: the session pinned to it ends (its port
#     unreachable), and the client's retry is answered by the other;
#   - a dns monitor (query NAME) takes a stopped member down, and the
#     next query of a session pinned to it goes to the other at once;
#     a name the server refuses keeps its member down;
#   - a udp monitor (send/receive) against socat echoing datagrams:
#     up; down when the reply lacks what it expects, or the port is
#     unreachable;
#   - ip-hash keeps a client's address on one member across ports;
#   - max-connections bounds the sessions: one more client is dropped
#     and counted;
#   - 5,000 datagrams of garbage from 500 ports: no crash, and every
#     session they made ends when idle;
#   - tcp and udp virtual servers on one address and port (dig +tcp);
#   - a reload keeps the udp sockets: queries answered across it;
#   - a wildcard udp listen: the reply leaves from the address each
#     client sent to (127.0.0.5 and 127.0.0.6: dig takes only those);
#     an IPv6 listen on the same port ([::1]) serves IPv6 clients;
#   - a udp listen with accept-proxy, rules on a udp virtual server, and
#     udp-responses elsewhere are refused.
. "$(dirname "$0")/lib.sh"
it_begin 52-udp

VD=$((IT_PORT + 0)) VS=$((IT_PORT + 1)) VH=$((IT_PORT + 2))
VL=$((IT_PORT + 3)) VM=$((IT_PORT + 4)) VW=$((IT_PORT + 8))
DA=$((IT_PORT + 10)) DB=$((IT_PORT + 11)) ECHO=$((IT_PORT + 12))
NOPE=$((IT_PORT + 13))
require_free_ports $VD $VS $VH $VL $VM $VW $DA $DB $ECHO $NOPE

dns_member() {	# NAME PORT ANSWER
	dnsmasq_member "$T/$1.log" 127.0.0.1 "$2" "$3"
	BACKEND_PID[$1]=$SPAWNED
	wait_port "$2"		# its TCP side: the UDP one is up with it
}
dns_member a $DA 192.0.2.1
dns_member b $DB 192.0.2.2
# datagrams echoed, by a real program
spawn "$T/echo.log" socat -T5 "UDP4-LISTEN:$ECHO,bind=127.0.0.1,fork" PIPE

conf() {	# [EXTRA LINES]
	edged_conf_head "timeout udp 1s"
	cat <<CONF
monitor dns { type dns; query www.example.test; interval 300ms;
    timeout 200ms; rise 1; fall 1; }
monitor refused { type dns; query nothing.invalid; interval 300ms;
    timeout 200ms; rise 1; fall 1; }
monitor echo { type udp; send "ping\n"; receive "ping"; interval 300ms;
    timeout 200ms; rise 1; fall 1; }
monitor pong { type udp; send "ping\n"; receive "pong"; interval 300ms;
    timeout 200ms; rise 1; fall 1; }
pool dm {
    monitor dns
    member a 127.0.0.1:$DA
    member b 127.0.0.1:$DB
}
pool nx { monitor refused; member a 127.0.0.1:$DA }
pool ue { monitor echo; member e 127.0.0.1:$ECHO; member n 127.0.0.1:$NOPE }
pool up { monitor pong; member e 127.0.0.1:$ECHO }
virtual-server mon { listen 127.0.0.1:$VM; profile dns; default-pool dm }
virtual-server nx { listen 127.0.0.1:$((IT_PORT + 5)); profile dns; default-pool nx }
virtual-server ue { listen 127.0.0.1:$((IT_PORT + 6)); profile dns; default-pool ue }
virtual-server up { listen 127.0.0.1:$((IT_PORT + 7)); profile dns; default-pool up }
application-profile dns1 { type udp; udp-responses 1 }
application-profile dns { type udp }
application-profile stream { type tcp }
pool d { member a 127.0.0.1:$DA; member b 127.0.0.1:$DB }
pool h { algorithm ip-hash; member a 127.0.0.1:$DA; member b 127.0.0.1:$DB }
virtual-server dns1 { listen 127.0.0.1:$VD; profile dns1; default-pool d }
virtual-server dns-tcp { listen 127.0.0.1:$VD; profile stream; default-pool d }
virtual-server dns {
    listen 127.0.0.1:$VS
    profile dns
    default-pool d
    access-log $T/access.log
}
virtual-server hash { listen 127.0.0.1:$VH; profile dns; default-pool h }
virtual-server any { listen 0.0.0.0:$VW; profile dns1; default-pool d }
virtual-server six { listen [::1]:$VW; profile dns1; default-pool d }
virtual-server lim {
    listen 127.0.0.1:$VL
    profile dns
    default-pool d
    max-connections 2
}
CONF
	[ $# -eq 0 ] || printf '%s\n' "$@"
}
conf >"$T/edged.conf"
edged_start "$T/edged.conf" $VD

q() {	# PORT [DIG OPTIONS]: the answer to www.example.test
	local port=$1
	shift
	dig +short +tries=1 +time=2 -p "$port" @127.0.0.1 "$@" \
	    www.example.test A 2>&1 | head -n 1
}
cur_of() { stat_of "vs(\"$1\")[\"current\"]"; }

# ---- 1,000 queries ----
for i in $(seq 1 1000); do
	echo "q$i.example.test A"
done >"$T/queries"
dnsperf -s 127.0.0.1 -p $VD -d "$T/queries" -n 1 -c 8 -t 3 \
    >"$T/dnsperf.out" 2>&1
assert_match "dnsperf: 1,000 queries answered" \
    "Queries completed: +1000 \(100\.00%\)" "$(cat "$T/dnsperf.out")"
a=$(grep -c 'query\[A\] q' "$T/a.log")
b=$(grep -c 'query\[A\] q' "$T/b.log")
assert_eq "each query reached one member" 1000 $((a + b))
assert_ge "... both of them" "$a" 100
assert_ge "... both of them (b)" "$b" 100
sleep 0.3
assert_eq "udp-responses 1: no session left once all are answered" 0 \
    "$(cur_of dns1)"
out=$(dig +tries=1 +time=2 -p $VD @127.0.0.1 www.example.test A 2>&1)
assert_match "dig takes the reply: it came from the address it asked" \
    "SERVER: 127\.0\.0\.1#$VD" "$out"

# ---- a session keeps its member, until idle ----
first=$(q $VS -b "127.0.0.1#$((IT_PORT + 20))")
again=$(q $VS -b "127.0.0.1#$((IT_PORT + 20))")
assert_match "a session's first answer" '^192\.0\.2\.[12]$' "$first"
assert_eq "the same port: the same session, the same member" "$first" \
    "$again"
assert_eq "one session open" 1 "$(cur_of dns)"
sleep 1.6
assert_eq "idle for timeout udp (1 s): it ended" 0 "$(cur_of dns)"
assert_match "its access-log line: the client, the member, 2 replies' \
bytes, ended idle (cD)" "^127\.0\.0\.1:$((IT_PORT + 20)) .* dns d/[ab] \
[0-9/-]+ -1 [0-9]+ cD \"UDP\"$" "$(head -n 1 "$T/access.log")"

# ---- a member stopped ----
port=$((IT_PORT + 21))
ans=$(q $VS -b "127.0.0.1#$port")
if [ "$ans" = 192.0.2.1 ]; then gone=a; left=192.0.2.2; else gone=b; left=192.0.2.1; fi
e0=$(stat_of "[x for x in pool(\"d\")[\"members\"] if x[\"name\"] == \"$gone\"][0][\"errors\"]")
backend_stop $gone
q $VS -b "127.0.0.1#$port" >/dev/null || true	# to the dead member
# (dig says each try that timed out on a line of its own: skipped)
out=$(dig +short +tries=3 +time=1 -p $VS @127.0.0.1 -b "127.0.0.1#$port" \
    www.example.test A | grep -v '^;;' | head -n 1)
assert_eq "the session on the stopped member ended: the retry is \
answered by the other" "$left" "$out"
assert_ge "the refusal counted against the stopped member" \
    "$(stat_of "[x for x in pool(\"d\")[\"members\"] if x[\"name\"] == \"$gone\"][0][\"errors\"]")" $((e0 + 1))
if [ $gone = a ]; then dns_member a $DA 192.0.2.1; else dns_member b $DB 192.0.2.2; fi

# ---- monitors ----
sleep 0.5
assert_eq "dns monitor: a answers www.example.test" up \
    "$(member_health dm a)"
assert_eq "... and b" up "$(member_health dm b)"
assert_eq "a name the server refuses: down" down "$(member_health nx a)"
assert_match "... saying why" "pool nx member a DOWN: nothing\.invalid: \
REFUSED" "$(cat "$T/edged.log")"
assert_eq "udp monitor: socat echoes what it expects" up \
    "$(member_health ue e)"
assert_eq "... a port with nothing on it: down" down \
    "$(member_health ue n)"
assert_match "... port unreachable" "pool ue member n DOWN: port \
unreachable" "$(cat "$T/edged.log")"
assert_eq "a reply without what receive wants: down" down \
    "$(member_health up e)"
port=$((IT_PORT + 28))
ans=$(q $VM -b "127.0.0.1#$port")
if [ "$ans" = 192.0.2.1 ]; then gone=a; left=192.0.2.2; else gone=b; left=192.0.2.1; fi
backend_stop $gone
assert_eq "the stopped member: down by its dns monitor" down \
    "$(member_health_is dm $gone down)"
assert_eq "the pinned session's next query: answered by the other at once" \
    "$left" "$(q $VM -b "127.0.0.1#$port" || true)"
assert_match "... its session ended as its member went down" \
    "virtual-server mon: udp session closed: member down" \
    "$(cat "$T/edged.log")"
if [ $gone = a ]; then dns_member a $DA 192.0.2.1; else dns_member b $DB 192.0.2.2; fi

# ---- ip-hash ----
h1=$(q $VH -b "127.0.0.5#$((IT_PORT + 22))")
h2=$(q $VH -b "127.0.0.5#$((IT_PORT + 23))")
h3=$(q $VH -b "127.0.0.5#$((IT_PORT + 24))")
assert_match "ip-hash: an answer" '^192\.0\.2\.[12]$' "$h1"
assert_eq "ip-hash: the client's address, whatever its port" "$h1 $h1" \
    "$h2 $h3"

# ---- a wildcard listen ----
for a in 127.0.0.5 127.0.0.6; do
	out=$(dig +tries=1 +time=2 -p $VW @$a www.example.test A 2>&1 || true)
	assert_match "wildcard: dig asked $a and took the reply (from it)" \
	    "SERVER: ${a//./\\.}#$VW" "$out"
done

assert_match "an IPv6 client of IPv4 members, through [::1]" \
    '^192\.0\.2\.[12]$' "$(dig +short +tries=1 +time=2 -p $VW @::1 \
    www.example.test A 2>&1 | head -n 1)"

# ---- max-connections ----
e0=$(stat_of 'vs("lim")["errors"]')
l1=$(q $VL -b "127.0.0.1#$((IT_PORT + 25))")
l2=$(q $VL -b "127.0.0.1#$((IT_PORT + 26))")
l3=$(q $VL -b "127.0.0.1#$((IT_PORT + 27))" || true)
assert_match "max-connections 2: two sessions answered" \
    '^192\.0\.2\.[12] 192\.0\.2\.[12]$' "$l1 $l2"
assert_no_match "... the third client dropped" '192\.0\.2' "$l3"
assert_ge "... and counted" "$(stat_of 'vs("lim")["errors"]')" $((e0 + 1))

# ---- garbage ----
wpid=$(edged_worker_pid)
"$PY" - "$VS" <<'PY'
import os, socket, sys
port = int(sys.argv[1])
for p in range(500):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(10):
        s.sendto(os.urandom(1 + p % 700), ("127.0.0.1", port))
    s.close()
PY
sleep 0.3
assert_eq "garbage: the worker still serves" "$wpid" "$(edged_worker_pid)"
assert_match "... and answers" '^192\.0\.2\.[12]$' "$(q $VS)"
sleep 1.6
assert_eq "every session the garbage made ended when idle" 0 \
    "$(cur_of dns)"

# ---- tcp and udp on one address and port ----
assert_match "dig +tcp on the udp virtual server's port: the tcp one" \
    '^192\.0\.2\.[12]$' "$(q $VD +tcp)"

# ---- a reload keeps the sockets ----
wpid=$(edged_worker_pid)
ctl reload >/dev/null
edged_wait_ready "$wpid"
assert_match "answered after a reload" '^192\.0\.2\.[12]$' "$(q $VD)"

# ---- refused ----
conf "virtual-server x { listen 127.0.0.1:$((IT_PORT + 30)) accept-proxy; profile dns; default-pool d }" \
    "application-rule r {" "    use_backend d if { src 10.0.0.0/8 }" "}" \
    "virtual-server z { listen 127.0.0.1:$((IT_PORT + 32)); profile dns; default-pool d; rules r }" \
    "application-profile w { type tcp; udp-responses 2 }" >"$T/edged.conf"
out=$(ctl reload 2>&1 || true)
assert_match "accept-proxy on a udp listen: refused at its line" \
    "edged\.conf:[0-9]+:[0-9]+: error: virtual-server x: accept-proxy is for TCP" "$out"
assert_match "rules on a udp virtual server: refused" \
    "virtual-server z: application rules do not apply to a udp" "$out"
assert_match "udp-responses on a tcp profile: refused" \
    "application-profile w: 'udp-responses' applies to type udp" "$out"
assert_match "the old configuration in force" '^192\.0\.2\.[12]$' \
    "$(q $VD)"

pass
