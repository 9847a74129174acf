#!/bin/bash
# 58-frr-config: FRR's configuration from edged's file, against real FRR
# (Debian's 8.4) in network namespaces made here:
#
#   peer router P (10.58.0.2, fd58::2) --- edge E (10.58.0.1, fd58::1)
#   zebra, bgpd, ospfd: AS 65000,          edged; zebra, bgpd, ospfd,
#   its own plain configuration            staticd: nothing but what
#                                          edged's file says
#
# E's FRR keeps one integrated frr.conf ($T/frr-e/frr.conf, with
# `service integrated-vtysh-config`), which holds an operator's own
# line; edged renders its section into it from `routing { }` (static
# routes, a prefix-list, BGP with a password and both families, OSPF
# with fast timers, the virtual server's address announced) and has
# frr-reload.py apply it.  Asserted:
#   - BGP (v4 with TCP MD5, v6) and OSPF come up; the peer learns the
#     static routes through BGP and OSPF, filtered by the prefix-list,
#     and the virtual server's address through both;
#   - the operator's line is in force and stays in the file; the edge
#     forwards (frr-reload.py makes zebra's forwarding the file's: on);
#   - a reload that changes a static route: the peer loses the old one
#     and learns the new one; the sessions stay up (FRR got the diff,
#     not a new configuration); a line the operator added by hand to
#     frr.conf meanwhile is kept and applied;
#   - a reload FRR refuses (the operator's frr.conf broken by hand) is
#     rejected with FRR's words; what runs and the file stay as they
#     were;
#   - edgectl show bgp, show ospf and show routes (both families,
#     edged's route marked with its virtual server), status and the
#     metrics (edged_bgp_neighbor_up, edged_ospf_neighbor_up) say what
#     FRR has; the peer's bgpd and ospfd stopped: logged with bgpd's
#     reason, the metrics go to 0, and back once they return;
#   - the password is in frr.conf (FRR needs it) but never in edged's
#     log, its replies, `edged -T` or `edged -n`;
#   - routing's FRR statements removed by a reload: edged's section goes
#     from the file and from FRR, the operator's line stays.
. "$(dirname "$0")/lib.sh"
it_begin 58-frr-config
for p in ip vtysh /usr/lib/frr/zebra /usr/lib/frr/bgpd /usr/lib/frr/ospfd \
    /usr/lib/frr/staticd /usr/lib/frr/frr-reload.py; do
	command -v $p >/dev/null || fail "$p not found (install-deps.sh)"
done

W1=8081 VP=80 VS=8090 V4=192.0.2.58
PW='pw-v4!58'
P=edged-it58-p-$$ E=edged-it58-e-$$
netns_add "$P"
netns_add "$E"
netns_link "$P" p0 "10.58.0.2/24 fd58::2/64" "$E" e0 "10.58.0.1/24 fd58::1/64"
ip -n "$E" route add local $V4/32 dev lo table local
inP() { ip netns exec "$P" "$@"; }
DE=$T/frr-e DP=$T/frr-p
vtyE() { vtysh --vty_socket "$DE" "$@"; }
vtyP() { vtysh --vty_socket "$DP" "$@"; }

# ---- the peer: its own plain configuration ----

mkdir -p "$DP"
cat >"$DP/bgpd.conf" <<EOF
router bgp 65000
 bgp router-id 10.58.0.2
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor 10.58.0.1 remote-as 65058
 neighbor 10.58.0.1 password $PW
 neighbor 10.58.0.1 timers 3 9
 neighbor 10.58.0.1 timers connect 1
 neighbor fd58::1 remote-as 65058
 neighbor fd58::1 timers 3 9
 neighbor fd58::1 timers connect 1
 address-family ipv4 unicast
  neighbor 10.58.0.1 activate
 exit-address-family
 address-family ipv6 unicast
  neighbor fd58::1 activate
 exit-address-family
EOF
cat >"$DP/ospfd.conf" <<EOF
interface p0
 ip ospf area 0.0.0.0
 ip ospf hello-interval 1
 ip ospf dead-interval 4
router ospf
 ospf router-id 10.58.0.2
EOF
for d in zebra bgpd ospfd; do frr_daemon "$P" "$DP" $d; done

# ---- the edge: FRR with nothing in it, an operator's frr.conf ----

mkdir -p "$DE"
echo "service integrated-vtysh-config" >"$DE/vtysh.conf"
cat >"$DE/frr.conf" <<EOF
frr defaults traditional
! the operator's own
ip route 10.58.99.0/24 blackhole
EOF
for d in zebra bgpd ospfd staticd; do frr_daemon "$E" "$DE" $d; done

netns_nginx "$E" w1 "127.0.0.1:$W1" "
        listen 127.0.0.1:$W1;
        location / { return 200 \"w1\\n\"; }"

write_conf() {	# STATIC-PREFIX [FRR: on|off]
	edged_global
	cat <<CONF
stats { listen 127.0.0.1:$VS }
application-profile web { type http }
pool web { member w1 127.0.0.1:$W1 }
virtual-server web { listen $V4:$VP; profile web; default-pool web }
routing {
    zebra-socket $DE/zserv.api
    vty-socket $DE
    frr-config $DE/frr.conf
CONF
	[ "${2:-on}" = off ] && { echo "    announce virtual-servers on"; echo "}"; return; }
	cat <<CONF
    router-id 10.58.0.1
    static $1 blackhole
    static 10.58.60.0/24 blackhole
    static 2001:db8:58:50::/64 blackhole
    prefix-list statics {
        permit 10.58.50.0/23 le 24
        permit 2001:db8:58::/48 ge 64 le 64
    }
    bgp {
        asn 65058
        neighbor 10.58.0.2 {
            remote-as 65000
            password "$PW"
            keepalive 3
            hold 9
        }
        neighbor fd58::2 { remote-as external; keepalive 3; hold 9 }
        announce virtual-servers on
        redistribute static prefix-list statics
    }
    ospf {
        area 0 { interface e0 { hello 1; dead 4 } }
        announce virtual-servers on
        redistribute static prefix-list statics
    }
}
CONF
}
write_conf 10.58.50.0/24 >"$T/edged.conf"
ip netns exec "$E" sysctl -qw net.ipv4.ip_forward=0 \
    net.ipv6.conf.all.forwarding=0
EDGED_WRAP="ip netns exec $E" edged_start "$T/edged.conf"

# ---- what E's FRR runs, and what the peer learns ----

forwarding() { ip netns exec "$E" sysctl -n net.ipv4.ip_forward \
    net.ipv6.conf.all.forwarding | tr '\n' ' '; }
assert_eq "E forwards: FRR's configuration applied whole says so (no \
'no ip forwarding' in it)" "1 1 " \
    "$(forwarding)"
assert_match "edged says FRR runs its section" \
    "FRR runs $DE/frr.conf with edged's section" "$(cat "$EDGED_LOG")"
running=$(vtyE -c 'show running-config')
assert_match "E's bgpd runs edged's router bgp" "router bgp 65058" "$running"
assert_match "the operator's line is in force" \
    "ip route 10.58.99.0/24 blackhole" "$running"
assert_match "and still in the file, before edged's section" \
    "^frr defaults traditional.*10\.58\.99\.0/24.*! edged: begin.*! edged: end$" \
    "$(tr '\n' ' ' <"$DE/frr.conf" | sed 's/ $//')"

bgp_state() {	# NEIGHBOR: P's session with it
	vtyP -c "show bgp neighbors $1 json" |
	    "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(next(iter(d.values()), {}).get("bgpState", "none"))'
}
ospf_full() {	# "yes" once P's OSPF neighbour 10.58.0.1 is Full
	vtyP -c 'show ip ospf neighbor json' | grep -q '"Full' &&
	    echo yes || echo no
}
peer_route() {	# PROTO PREFIX: "yes" when P's zebra has it from PROTO
	vtyP -c "show ${3:-ip} route $2 json" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
print("yes" if any(r.get("protocol") == sys.argv[1]
    for rs in d.values() for r in rs) else "no")' "$1"
}
assert_eq "BGP over IPv4, with the password: Established" Established \
    "$(poll_until Established 600 bgp_state 10.58.0.1)"
assert_eq "BGP over IPv6: Established" Established \
    "$(poll_until Established 600 bgp_state fd58::1)"
assert_eq "OSPF adjacency: Full" yes "$(poll_until yes 600 ospf_full)"
assert_eq "the peer learns the static 10.58.50.0/24 over BGP" yes \
    "$(poll_until yes 600 peer_route bgp 10.58.50.0/24)"
assert_eq "and over OSPF" yes \
    "$(poll_until yes 600 peer_route ospf 10.58.50.0/24)"
assert_eq "and 2001:db8:58:50::/64 over BGP (IPv6)" yes \
    "$(poll_until yes 600 peer_route bgp 2001:db8:58:50::/64 ipv6)"
assert_eq "the virtual server's address over BGP" yes \
    "$(poll_until yes 600 peer_route bgp $V4/32)"
assert_eq "and over OSPF" yes "$(poll_until yes 600 peer_route ospf $V4/32)"
assert_eq "the prefix-list holds 10.58.60.0/24 back (BGP)" no \
    "$(peer_route bgp 10.58.60.0/24)"
assert_eq "and from OSPF" no "$(peer_route ospf 10.58.60.0/24)"
assert_eq "the operator's route is not edged's to send" no \
    "$(peer_route bgp 10.58.99.0/24)"
assert_match "the peer reaches the virtual server" "^w1$" \
    "$(inP curl -sS --max-time 3 "http://$V4:$VP/" 2>&1)"

# ---- what edged says of FRR ----

metric() {	# NAME{LABELS}: its value in edged's metrics
	ip netns exec "$E" curl -sS --max-time 5 \
	    "http://127.0.0.1:$VS/metrics" >"$T/metrics" ||
	    fail "GET /metrics failed"
	"$PY" "$IT_DIR/promcheck.py" <"$T/metrics" >/dev/null \
	    2>"$T/promerr" ||
	    fail "metrics not valid exposition format: $(cat "$T/promerr")"
	awk -v k="$1" '$1 == k { print $2 }' "$T/metrics"
}
BGP4='edged_bgp_neighbor_up{neighbor="10.58.0.2"}'
BGP6='edged_bgp_neighbor_up{neighbor="fd58::2"}'
OSPF='edged_ospf_neighbor_up{neighbor="10.58.0.2",interface="e0"}'
assert_eq "metrics: the v4 BGP neighbour up" 1 "$(poll_until 1 100 metric "$BGP4")"
assert_eq "metrics: the v6 one" 1 "$(metric "$BGP6")"
assert_eq "metrics: the OSPF neighbour full" 1 "$(metric "$OSPF")"
out=$(ctl show bgp)
assert_match "show bgp: the v4 neighbour, Established, sending" \
    "10\.58\.0\.2 +65000 +Established +[0-9:]+ +0 +[1-9]" "$out"
assert_match "and the v6 one" "fd58::2 +65000 +Established" "$out"
assert_eq "show bgp --json: two established" 2 "$(ctl show bgp --json |
    "$PY" -c 'import json,sys; print(sum(n["established"] for n in json.load(sys.stdin)["neighbors"]))')"
assert_match "show ospf: the neighbour on e0, Full" \
    "10\.58\.0\.2 +e0 +10\.58\.0\.2 +Full" "$(ctl show ospf)"
out=$(ctl show routes)
assert_match "show routes: edged's route, with its virtual server" \
    ">\* $V4/32 +edged +1/0 +blackhole +\[virtual-server web\]" "$out"
assert_match "the static blackhole" ">\* 10\.58\.50\.0/24 +static" "$out"
assert_match "and IPv6" "2001:db8:58:50::/64 +static" "$out"
assert_eq "show routes --json: edged's route names web" '["web"]' \
    "$(ctl show routes --json | "$PY" -c '
import json, sys
r = [x for x in json.load(sys.stdin)["routes"] if x["protocol"] == "edged"]
print(json.dumps(r[0]["virtual_servers"]) if len(r) == 1 else r)')"
assert_match "status: the neighbours" \
    "bgp 2/2 established, ospf 1/1 full" "$(ctl status)"

# ---- a reload that changes one static route ----

uptime_of() {	# P's BGP session with 10.58.0.1: its bgpTimerUpMsec
	vtyP -c "show bgp neighbors 10.58.0.1 json" | "$PY" -c \
	    'import json,sys; print(next(iter(json.load(sys.stdin).values()))["bgpTimerUpMsec"])'
}
up_before=$(uptime_of)
printf 'ip route 10.58.98.0/24 blackhole\n' >>"$DE/frr.conf"
write_conf 10.58.51.0/24 >"$T/edged.conf"
ctl reload >/dev/null || fail "reload (one static changed) failed"
assert_eq "the peer loses 10.58.50.0/24" no \
    "$(poll_until no 600 peer_route bgp 10.58.50.0/24)"
assert_eq "and learns 10.58.51.0/24" yes \
    "$(poll_until yes 600 peer_route bgp 10.58.51.0/24)"
assert_eq "over OSPF too" yes \
    "$(poll_until yes 600 peer_route ospf 10.58.51.0/24)"
assert_eq "the BGP session stayed up (FRR got the difference)" \
    Established "$(bgp_state 10.58.0.1)"
assert_ge "its uptime went on" "$(uptime_of)" "$up_before"
running=$(vtyE -c 'show running-config')
assert_match "the line the operator added by hand is applied" \
    "ip route 10.58.98.0/24 blackhole" "$running"
assert_match "and kept in the file" "^ip route 10.58.98.0/24 blackhole$" \
    "$(cat "$DE/frr.conf")"
assert_no_match "E's FRR no longer has the old static" \
    "ip route 10.58.50.0/24" "$running"

# ---- FRR refuses: the reload is rejected, nothing changes ----

cp "$DE/frr.conf" "$T/frr.conf.before"
printf 'router bgp 65058\n neighbor 10.58.0.2 no-such-thing 3\n' \
    >>"$DE/frr.conf"
cp "$DE/frr.conf" "$T/frr.conf.broken"
write_conf 10.58.52.0/24 >"$T/edged.conf"
out=$(ctl reload 2>&1) && fail "a reload FRR refuses was taken: $out"
assert_match "the reload is rejected with FRR's words" \
    "vtysh -C refuses it: .*no-such-thing" "$out"
assert_eq "the file is as the operator left it" "" \
    "$(cmp "$DE/frr.conf" "$T/frr.conf.broken" 2>&1)"
assert_eq "the peer keeps 10.58.51.0/24" yes \
    "$(peer_route bgp 10.58.51.0/24)"
assert_eq "and never learns 10.58.52.0/24" no \
    "$(peer_route bgp 10.58.52.0/24)"
cp "$T/frr.conf.before" "$DE/frr.conf"

# ---- the password stays FRR's ----

assert_match "frr.conf has the password (FRR needs it)" \
    "neighbor 10.58.0.2 password $PW" "$(cat "$DE/frr.conf")"
assert_no_match "edged's log never has it" "$PW" "$(cat "$EDGED_LOG")"
assert_no_match "nor the rejected reload's reply" "$PW" "$out"
assert_no_match "nor edged -T" "$PW" "$("$EDGED" -T -c "$T/edged.conf")"
assert_match "which prints it <hidden>" "password <hidden>" \
    "$("$EDGED" -T -c "$T/edged.conf")"
assert_match "and -T --show-secrets, the password" "password \"?$PW" \
    "$("$EDGED" -T --show-secrets -c "$T/edged.conf")"
cp "$T/edged.conf" "$T/edged.conf.good"
"$EDGED" -T -c "$T/edged.conf" >"$T/edged.conf.hidden"
cp "$T/edged.conf.hidden" "$T/edged.conf"
out=$(ctl reload 2>&1) && fail "edged -T's output, password hidden, loaded: $out"
assert_match "-T's output loaded back is refused: no password <hidden>" \
    "password reads <hidden>.*write the password itself" "$out"
cp "$T/edged.conf.good" "$T/edged.conf"
assert_no_match "nor edged -n" "$PW" "$("$EDGED" -n -c "$T/edged.conf")"
assert_no_match "nor edgectl status" "$PW" "$(ctl status)"

# ---- the peer's daemons stop, and start again ----

log_has() {	# TEXT: "yes" when edged's log has it
	grep -qF -- "$1" "$EDGED_LOG" && echo yes || echo no
}
stop_pid "$(cat "$DP/bgpd.pid")"
assert_eq "the v4 session's end is logged, with bgpd's reason" yes \
    "$(poll_until yes 300 log_has 'BGP neighbour 10.58.0.2: Established -> ')"
assert_match "the reason" "BGP neighbour 10\.58\.0\.2: Established -> [A-Za-z]+ \(bgpd: [^)]+\)" \
    "$(cat "$EDGED_LOG")"
assert_eq "metrics: the v4 neighbour down" 0 "$(poll_until 0 100 metric "$BGP4")"
assert_eq "metrics: the v6 one down" 0 "$(poll_until 0 100 metric "$BGP6")"
stop_pid "$(cat "$DP/ospfd.pid")"
assert_eq "the OSPF neighbour's loss is logged (dead 4 s)" yes \
    "$(poll_until yes 300 log_has ' -> Down (gone from ospfd')"
assert_match "from Full" "OSPF neighbour 10\.58\.0\.2 on e0: Full/[A-Za-z]+ -> Down \(gone" \
    "$(cat "$EDGED_LOG")"
assert_eq "metrics: the OSPF neighbour down" 0 "$(poll_until 0 100 metric "$OSPF")"
assert_match "status: none up" "bgp 0/2 established, ospf 0/1 full" \
    "$(ctl status)"
frr_daemon "$P" "$DP" bgpd
frr_daemon "$P" "$DP" ospfd
assert_eq "the peer's bgpd back: up again" 1 "$(poll_until 1 600 metric "$BGP4")"
assert_eq "the peer's ospfd back: full again" 1 "$(poll_until 1 600 metric "$OSPF")"
assert_eq "the peer relearns the static" yes \
    "$(poll_until yes 600 peer_route bgp 10.58.51.0/24)"

# ---- the FRR statements removed: edged's section goes ----

write_conf x off >"$T/edged.conf"
ctl reload >/dev/null || fail "reload (no FRR statements) failed"
assert_eq "P's BGP session goes (E has no router bgp)" no \
    "$(poll_until no 600 peer_route bgp 10.58.51.0/24)"
running=$(vtyE -c 'show running-config')
assert_no_match "E's FRR runs nothing of edged's" \
    "router bgp|router ospf|EDGED-|10\.58\.51\.0" "$running"
assert_match "the operator's lines stay in force" \
    "10\.58\.99\.0/24.*10\.58\.98\.0/24|10\.58\.98\.0/24.*10\.58\.99\.0/24" \
    "$(echo $running)"
assert_no_match "edged's section is out of the file" "edged: begin" \
    "$(cat "$DE/frr.conf")"
assert_match "the operator's lines stay in it" \
    "10\.58\.99\.0/24 blackhole ip route 10\.58\.98\.0/24" \
    "$(echo $(cat "$DE/frr.conf"))"

pass
