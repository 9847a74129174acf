#!/bin/bash
# 31-firewall-nat: edged's firewall and NAT on real traffic, in network
# namespaces made here (nothing changes in the machine's own):
#
#   client (10.31.1.2, fd31:1::2) --- uplink0 [edge] inside0 --- server
#                                    10.31.1.1        10.31.2.1   (10.31.2.2,
#                                    fd31:1::1        fd31:2::1    fd31:2::2)
#
# edged runs in the edge namespace; nginx in the server's answers with
# the address it sees.  Asserted: allowed flows and their return traffic
# (IPv4 and IPv6), a dropped flow (the client times out), rejected ones
# (TCP reset; ICMP "filtered" for ping), SNAT (the server sees the
# edge), DNAT (a port forward reaches the server with the client's
# address), the virtual server's listener let in by the default policy's
# side, forwarding turned on, counters (nft, edgectl show firewall|nat
# and the metrics), a dynamic group changed with edgectl taking effect on
# the next connection without a reload (addresses and prefixes, merged
# in the kernel's interval set), kept across a reload that remakes
# the table and across a restart, a table of someone else's never
# touched, a rejected reload that leaves `nft list ruleset` as it was, a
# reload that changes only the load balancer not touching the table
# (handles and counters kept), and a changed rule taking effect.
source "$(dirname "$0")/lib.sh"

it_begin 31-firewall-nat
for p in ip nft ping; do
	command -v $p >/dev/null || fail "$p not found (install-deps.sh)"
done

C=edged-it31-c-$$ E=edged-it31-e-$$ S=edged-it31-s-$$
netns_add "$C"
netns_add "$E"
netns_add "$S"
netns_link "$C" c0 "10.31.1.2/24 fd31:1::2/64" \
    "$E" uplink0 "10.31.1.1/24 fd31:1::1/64"
netns_link "$E" inside0 "10.31.2.1/24 fd31:2::1/64" \
    "$S" s0 "10.31.2.2/24 fd31:2::2/64"
ip -n "$C" route add default via 10.31.1.1
ip -n "$C" -6 route add default via fd31:1::1
ip -n "$S" route add default via 10.31.2.1
ip -n "$S" -6 route add default via fd31:2::1
inC() { ip netns exec "$C" "$@"; }
inE() { ip netns exec "$E" "$@"; }

assert_eq "forwarding before edged" 0 \
    "$(inE cat /proc/sys/net/ipv4/ip_forward)"

# ---- the server: nginx answering with the address it sees ----
netns_nginx "$S" srv 10.31.2.2:80 '
        listen 10.31.2.2:80;
        listen 10.31.2.2:81;
        listen 10.31.2.2:82;
        listen 10.31.2.2:83;
        listen [fd31:2::2]:80;
        location / { return 200 "$remote_addr\n"; }'

# someone else's table in the edge: edged must never touch it
inE nft -f - <<'EOF'
table inet other {
	set keep { type ipv4_addr; elements = { 192.0.2.99 } }
	chain watch { type filter hook prerouting priority -10; policy accept;
		ip saddr @keep counter
	}
}
EOF
other_before=$(inE nft list table inet other)

# ---- edged in the edge ----
write_conf() {		# REJECT-82-ACTION TIMEOUT
	cat <<EOF
global {
    workers 1
    user edged
    control-socket $EDGED_SOCK
    state-directory $T/state
}
defaults {
    timeout connect $2
}
application-profile web { type http }
pool p { member srv 10.31.2.2:80 }
virtual-server v {
    listen 10.31.1.1:8000
    profile web
    default-pool p
}
address-group servers {
    address 10.31.2.0/24 fd31:2::/64
}
address-group quarantine {
    dynamic
}
service web {
    tcp 80,81
}
firewall {
    default-policy drop
    rule block-quarantined {
        source quarantine
        action drop
        log on
    }
    rule web-in {
        destination servers
        service web
        action accept
    }
    rule port-forward {
        destination 10.31.1.1
        service tcp/8080
        action accept
    }
    rule port-82 {
        destination servers
        service tcp/82
        action $1
    }
    rule no-ping {
        destination servers
        service icmp/echo-request icmpv6/echo-request
        action reject
    }
    rule ping-edge {
        destination self
        service icmp/echo-request
        action accept
    }
}
nat {
    snat to-servers {
        source 10.31.1.0/24
        service tcp/81
        out-interface inside0
        translate-to masquerade
    }
    dnat port-forward {
        destination 10.31.1.1
        service tcp/8080
        in-interface uplink0
        translate-to 10.31.2.2:80
    }
}
stats {
    listen 127.0.0.1:9100
}
EOF
}
write_conf reject 1s >"$T/edged.conf"
EDGED_WRAP="ip netns exec $E" edged_start "$T/edged.conf"
inE nft list table inet edged >/dev/null || fail "no table inet edged"
assert_eq "IPv4 forwarding turned on" 1 \
    "$(inE cat /proc/sys/net/ipv4/ip_forward)"

# ---- flows ----
cget() { inC curl -sS --max-time 5 "$@"; }

assert_eq "allowed flow (IPv4), client's own address" 10.31.1.2 \
    "$(cget http://10.31.2.2:80/)"
assert_eq "allowed flow (IPv6)" fd31:1::2 "$(cget 'http://[fd31:2::2]:80/')"
assert_eq "SNAT: the server sees the edge" 10.31.2.1 \
    "$(cget http://10.31.2.2:81/)"
assert_eq "DNAT: the port forward reaches the server" 10.31.1.2 \
    "$(cget http://10.31.1.1:8080/)"
assert_eq "virtual server's listener let in" 10.31.2.1 \
    "$(cget http://10.31.1.1:8000/)"

# dropped: no answer at all, the client gives up
rc=0
inC curl -sS --connect-timeout 1 -o /dev/null http://10.31.2.2:83/ \
    2>/dev/null || rc=$?
assert_eq "dropped flow: curl timed out (28)" 28 "$rc"

# rejected: a reset at once
rc=0
t0=$(now_ms)
inC curl -sS --connect-timeout 3 -o /dev/null http://10.31.2.2:82/ \
    2>/dev/null || rc=$?
assert_eq "rejected flow: connection refused (7)" 7 "$rc"
assert_le "rejected flow answered at once (ms)" $(( $(now_ms) - t0 )) 2000

out=$(inC ping -n -c 1 -W 2 10.31.2.2 2>&1 || true)
assert_match "ping rejected with ICMP" \
    'From 10\.31\.1\.1 .*(filtered|rohibited|nreachable)' "$out"
inC ping -n -c 1 -W 2 10.31.1.1 >/dev/null ||
    check_failed "ping to the edge itself (rule ping-edge) failed"

# counters, in the kernel's own words
web_in=$(inE nft list counter inet edged r_web-in |
    sed -n 's/.*packets \([0-9]*\).*/\1/p')
assert_ge "r_web-in counted the allowed connections" "$web_in" 3
fwjson=$(ctl show firewall --json)
assert_ge "show firewall: web-in packets" "$(echo "$fwjson" |
    json_get '[r for r in j["rules"] if r["name"] == "web-in"][0]["packets"]')" \
    "$web_in"
assert_ge "show firewall: default policy (forward) dropped the flow to :83" \
    "$(echo "$fwjson" | json_get 'j["default_policy"]["forward"]["packets"]')" 1
natjson=$(ctl show nat --json)
assert_ge "show nat: port-forward used" "$(echo "$natjson" |
    json_get '[r for r in j["nat"] if r["name"] == "port-forward"][0]["packets"]')" 1
assert_ge "show nat: to-servers used" "$(echo "$natjson" |
    json_get '[r for r in j["nat"] if r["name"] == "to-servers"][0]["packets"]')" 1
assert_match "show firewall (text)" 'block-quarantined +drop' \
    "$(ctl show firewall)"

# the same counters in the metrics, which the unprivileged worker serves
# from the block the master fills when asked
inE curl -sS --max-time 5 http://127.0.0.1:9100/metrics >"$T/metrics" ||
    fail "GET /metrics failed"
"$PY" "$IT_DIR/promcheck.py" <"$T/metrics" >"$T/samples" 2>"$T/promerr" ||
    fail "metrics not valid exposition format: $(cat "$T/promerr")"
metric() { grep -F "$1 " "$T/samples" | awk '{ print $2 }'; }
web_in=$(inE nft list counter inet edged r_web-in |
    sed -n 's/.*packets \([0-9]*\).*/\1/p')
assert_eq "metrics: web-in packets, as the kernel counts them" "$web_in" \
    "$(metric 'edged_firewall_rule_packets_total{action="accept",rule="web-in"}')"
assert_ge "metrics: default policy (forward)" "$(metric \
    'edged_firewall_default_packets_total{action="drop",direction="forward"}')" 1
assert_ge "metrics: port-forward DNAT" "$(metric \
    'edged_nat_rule_packets_total{rule="port-forward",type="dnat"}')" 1
age=$(metric "edged_firewall_counters_age_seconds{}")
awk -v a="$age" 'BEGIN { exit !(a != "" && a + 0 < 1) }' ||
    check_failed "metrics: the figures are not fresh (age '$age' s)"

# ---- a dynamic group: the next packet, no reload ----
applied=$(grep -c 'firewall: table inet edged applied' "$EDGED_LOG")
out=$(ctl group add quarantine 10.31.1.2 fd31:1::2) ||
    fail "group add failed: $out"
rc=0
inC curl -sS --connect-timeout 1 -o /dev/null http://10.31.2.2:80/ \
    2>/dev/null || rc=$?
assert_eq "quarantined client (IPv4) dropped" 28 "$rc"
rc=0
inC curl -sS --connect-timeout 1 -o /dev/null 'http://[fd31:2::2]:80/' \
    2>/dev/null || rc=$?
assert_eq "quarantined client (IPv6) dropped" 28 "$rc"
assert_eq "no reload for a group change" "$applied" \
    "$(grep -c 'firewall: table inet edged applied' "$EDGED_LOG")"
assert_eq "group show" "10.31.1.2 fd31:1::2" \
    "$(ctl group show quarantine | tr '\n' ' ' | sed 's/ $//')"
assert_match "kept in the state file" '^quarantine 10\.31\.1\.2 fd31:1::2$' \
    "$(state_groups "$T/state")"
# prefixes: the kernel's interval set holds the members merged, each
# change sent as the ranges that went and came
set4() { inE nft list set inet edged d_quarantine_4 |
    sed -n 's/.*elements = { \(.*\) }.*/\1/p'; }
out=$(ctl group add quarantine 10.31.1.3) || fail "group add .3: $out"
assert_eq "a neighbour joins the range" "10.31.1.2/31" "$(set4)"
out=$(ctl group add quarantine 10.31.1.0/24) || fail "add a prefix: $out"
assert_eq "a prefix takes the range in" "10.31.1.0/24" "$(set4)"
ctl group del quarantine 10.31.1.2 10.31.1.3 >/dev/null ||
    fail "group del of members under the prefix failed"
assert_eq "members under a prefix go: the set holds the prefix" \
    "10.31.1.0/24" "$(set4)"
ctl group add quarantine 10.31.1.2 >/dev/null || fail "group add .2"
ctl group del quarantine 10.31.1.0/24 >/dev/null || fail "del the prefix"
assert_eq "the prefix gone, the member it covered stays" "10.31.1.2" \
    "$(set4)"
rc=0
inC curl -sS --connect-timeout 1 -o /dev/null http://10.31.2.2:80/ \
    2>/dev/null || rc=$?
assert_eq "and is still dropped" 28 "$rc"
assert_eq "group show: the members as given" "10.31.1.2 fd31:1::2" \
    "$(ctl group show quarantine | tr '\n' ' ' | sed 's/ $//')"
out=$(ctl group add quarantine 10.31.1.1/24 2>&1) &&
    fail "a prefix with host bits was accepted: $out"
assert_match "a prefix with host bits set is refused" \
    "bits set after the prefix length" "$out"
out=$(ctl group add servers 10.31.1.9 2>&1) &&
    fail "a static group was changed at run time: $out"
assert_ge "block-quarantined counted" "$(ctl show firewall --json |
    json_get '[r for r in j["rules"] if r["name"] == "block-quarantined"][0]["packets"]')" 2

# ---- reloads ----
# The ruleset with its handles (a table made again gets new ones), and
# counters blanked (stray packets, MLD reports, may count meanwhile).
snapshot() {
	inE nft -a list ruleset |
	    sed -E 's/packets [0-9]+ bytes [0-9]+/packets - bytes -/'
}
# a file with an error: rejected, the ruleset as it was
before=$(snapshot)
cp "$T/edged.conf" "$T/good.conf"
sed -i 's/action reject$/action rejekt/' "$T/edged.conf"
out=$(ctl reload 2>&1) && fail "a bad firewall rule was accepted: $out"
assert_match "reload error names the place" 'edged.conf:[0-9]+:[0-9]+: ' \
    "$out"
assert_eq "ruleset after a rejected reload" "$before" "$(snapshot)"

# a change to the load balancer only: the table is not touched (its
# counters go on from where they were)
write_conf reject 2s >"$T/edged.conf"
ctl reload >/dev/null || fail "reload (timeout changed) failed"
assert_eq "ruleset after a reload that changes no rule" "$before" \
    "$(snapshot)"
web_in2=$(inE nft list counter inet edged r_web-in |
    sed -n 's/.*packets \([0-9]*\).*/\1/p')
assert_ge "r_web-in kept its count" "$web_in2" "$web_in"
assert_eq "the table was applied once" 1 \
    "$(grep -c 'firewall: table inet edged applied' "$EDGED_LOG")"

# a changed rule takes effect; the group's members go into the new table
write_conf accept 2s >"$T/edged.conf"
ctl reload >/dev/null || fail "reload (port 82 accepted) failed"
rc=0
inC curl -sS --connect-timeout 1 -o /dev/null http://10.31.2.2:82/ \
    2>/dev/null || rc=$?
assert_eq "still quarantined after a reload that remade the table" 28 "$rc"
ctl group del quarantine 10.31.1.2 fd31:1::2 >/dev/null ||
    fail "group del failed"
assert_eq "port 82 open after the reload" 10.31.1.2 \
    "$(cget http://10.31.2.2:82/)"
assert_eq "released from quarantine" 10.31.1.2 \
    "$(cget http://10.31.2.2:80/)"

# members outlive a restart (the state file)
ctl group set quarantine 10.31.1.2 >/dev/null || fail "group set failed"
stop_pid "$EDGED_PID"
EDGED_WRAP="ip netns exec $E" edged_start "$T/edged.conf"
assert_match "members restored into the kernel after a restart" \
    'elements = \{ 10\.31\.1\.2 \}' \
    "$(inE nft list set inet edged d_quarantine_4)"
rc=0
inC curl -sS --connect-timeout 1 -o /dev/null http://10.31.2.2:80/ \
    2>/dev/null || rc=$?
assert_eq "still quarantined after a restart" 28 "$rc"
ctl group set quarantine >/dev/null || fail "group set (empty) failed"
assert_eq "allowed once the group is empty" 10.31.1.2 \
    "$(cget http://10.31.2.2:80/)"

# the single state file an edged before the slot files wrote is read,
# and gives way to them at the first change
stop_pid "$EDGED_PID"
rm -f "$T/state"/groups.[01]
printf '# edged: members of dynamic address groups (edgectl group); %s\n%s\n' \
    'rewritten on every change' 'quarantine 10.31.1.2' >"$T/state/groups"
EDGED_WRAP="ip netns exec $E" edged_start "$T/edged.conf"
assert_match "an earlier edged's state file restored" \
    'elements = \{ 10\.31\.1\.2 \}' \
    "$(inE nft list set inet edged d_quarantine_4)"
ctl group set quarantine >/dev/null || fail "group set (empty) failed"
assert_eq "... then replaced by a slot file" "groups.1" \
    "$(ls "$T/state" | tr '\n' ' ' | sed 's/ $//')"

assert_eq "the other table, untouched" "$other_before" \
    "$(inE nft list table inet other)"
pass
