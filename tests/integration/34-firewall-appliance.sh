#!/bin/bash
# 34-firewall-appliance: the firewall as an appliance's operator expects
# it, in network namespaces made here (nothing changes in the machine's
# own):
#
#   client (10.34.1.2) --- c0 | a0 [edge] 10.34.1.1: edged, and nginx on
#                                         the edge's loopback as the member
#
# Asserted, with `default-policy drop`: the client reaches the virtual
# server and scrapes the stats listener's /metrics with no rule for either,
# while a port without a rule is dropped; a rule that drops the stats port
# closes it after a reload, which sends only what changed (the default
# policy's counter goes on, not from 0); SIGTERM leaves the table in force (nft still
# lists it, the port without a rule is still dropped) and the log says so
# and how to remove it; `firewall flush` after a restart removes the table
# (nft lists no inet edged, that port now answers with a reset), show
# firewall (text and JSON) says it is flushed and how to put it back, a
# dynamic group changed meanwhile is kept, and a reload puts the table
# back with the group's members, as it does a table removed by hand;
# "did you mean" for a mistyped group and firewall command, a static
# group refused, group show in JSON; without a firewall, flush has
# nothing to remove, but removes a leftover table.
source "$(dirname "$0")/lib.sh"

it_begin 34-firewall-appliance
command -v ip >/dev/null || fail "ip not found (install-deps.sh)"
command -v nft >/dev/null || fail "nft not found (install-deps.sh)"

VS=$((IT_PORT + 0)) MEMBER=$((IT_PORT + 1)) STATS=$((IT_PORT + 2))
NORULE=$((IT_PORT + 3))
C=edged-it34-c-$$ E=edged-it34-e-$$
netns_add "$C"
netns_add "$E"
netns_link "$C" c0 "10.34.1.2/24" "$E" a0 "10.34.1.1/24"
inC() { ip netns exec "$C" "$@"; }
inE() { ip netns exec "$E" "$@"; }

# ---- the member: nginx on the edge's own loopback ----
netns_nginx "$E" member "127.0.0.1:$MEMBER" "
        listen 127.0.0.1:$MEMBER;
        location / { return 200 \"member\\n\"; }"

# ---- edged in the edge ----
write_conf() {		# [EXTRA-RULE...]: a firewall with these rules
	cat <<EOF
global {
    workers 1
    user edged
    control-socket $EDGED_SOCK
    state-directory $T/state
}
application-profile web { type http }
pool p { member m 127.0.0.1:$MEMBER }
virtual-server v {
    listen 10.34.1.1:$VS
    profile web
    default-pool p
}
stats {
    listen 10.34.1.1:$STATS
}
address-group trusted {
    dynamic
}
address-group admins {
    address 10.34.1.0/24
}
firewall {
    default-policy drop
    rule trusted-ssh {
        source trusted
        destination self
        service tcp/22
        action accept
    }
EOF
	[ $# -eq 0 ] || printf '%s\n' "$@"
	echo "}"
}
no_scrape='    rule no-scrape {
        destination self
        service tcp/'$STATS'
        action drop
    }'

# the control socket spoken to directly: "OK" or "ERROR", then the text
ctl_line() {		# LINE
	"$PY" - "$EDGED_SOCK" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
EOF
}

# curl's exit status from the client: 0, 7 refused, 28 no answer (dropped)
reach() {		# PORT [PATH]
	local rc=0
	inC curl -sS --connect-timeout 1 --max-time 3 -o /dev/null \
	    "http://10.34.1.1:$1${2:-/}" 2>/dev/null || rc=$?
	echo "$rc"
}
edge_tables() { inE nft list tables; }

write_conf >"$T/edged.conf"
EDGED_WRAP="ip netns exec $E" edged_start "$T/edged.conf"
inE nft list table inet edged >"$T/table" || fail "no table inet edged"
assert_match "the table lets the stats listener in" \
    "ip daddr 10\\.34\\.1\\.1 tcp dport $STATS accept comment \"stats\"" \
    "$(cat "$T/table")"

# ---- edged's own listeners need no rule; the rest is dropped ----
assert_eq "virtual server through default-policy drop" member \
    "$(inC curl -sS --max-time 5 "http://10.34.1.1:$VS/")"
inC curl -sS --max-time 5 "http://10.34.1.1:$STATS/metrics" \
    >"$T/metrics" || check_failed "scraping /metrics failed"
assert_match "the scrape is the metrics" '^# TYPE edged_' "$(cat "$T/metrics")"
assert_eq "a port without a rule: dropped (curl 28)" 28 "$(reach "$NORULE")"

out=$(ctl show firewall)
assert_match "show firewall: the table, in force" \
    '^table inet edged: in the kernel, in force; it stays in force when edged stops' \
    "$(head -n 1 <<<"$out")"
fwjson=$(ctl show firewall --json)
assert_eq "show firewall --json: table" \
    '{"in_kernel": true, "name": "inet edged", "state": "in-force"}' \
    "$(echo "$fwjson" | json_get 'json.dumps(j["table"], sort_keys=True)')"
assert_eq "show firewall --json: the default policy's counters" true \
    "$(echo "$fwjson" | json_get 'j["default_policy"]["input"]["packets"] >= 1')"

# ---- a rule comes first: it closes the stats port ----
dropped=$(ctl show firewall --json |
    json_get 'j["default_policy"]["input"]["packets"]')
write_conf "$no_scrape" >"$T/edged.conf"
ctl reload >/dev/null || fail "reload (rule no-scrape) failed"
assert_eq "stats port closed by a rule (curl 28)" 28 \
    "$(reach "$STATS" /metrics)"
# the reload sent what changed (a rule, its counter), not the whole
# table: the default policy's counter went on counting, not from 0
assert_match "the reload sent only what changed" \
    'table inet edged applied .*what changed only \([0-9]+ messages\)' \
    "$(cat "$EDGED_LOG")"
assert_ge "the default policy's counter kept across the reload" \
    "$(ctl show firewall --json |
    json_get 'j["default_policy"]["input"]["packets"]')" "$dropped"
assert_eq "the virtual server still answers" 0 "$(reach "$VS")"
write_conf >"$T/edged.conf"
ctl reload >/dev/null || fail "reload (rule no-scrape gone) failed"
assert_eq "stats port open again" 0 "$(reach "$STATS" /metrics)"

# ---- stop: the table stays in force (fail closed) ----
stop_pid "$EDGED_PID"
assert_match "the log at stop says the table stays, and how to remove it" \
    'table inet edged stays in force after edged stops.*nft delete table inet edged' \
    "$(cat "$EDGED_LOG")"
inE nft list table inet edged >/dev/null ||
    check_failed "table inet edged gone after SIGTERM"
assert_eq "edged stopped: a port without a rule is still dropped" 28 \
    "$(reach "$NORULE")"

# ---- restart; flush ----
EDGED_WRAP="ip netns exec $E" edged_start "$T/edged.conf"
out=$(ctl_line "firewall flush")
assert_match "flush: what was done" \
    '^OK$' "$(head -n 1 <<<"$out")"
assert_match "flush: what it means" \
    'table inet edged removed: no filtering and no NAT by edged until the next reload or restart' \
    "$out"
assert_no_match "flush: no inet edged in the kernel" 'table inet edged' \
    "$(edge_tables)"
assert_eq "flushed: the port without a rule answers (refused, 7)" 7 \
    "$(reach "$NORULE")"
assert_match "flush logged" 'edgectl: firewall flush: table inet edged removed' \
    "$(cat "$EDGED_LOG")"
out=$(ctl show firewall)
assert_match "show firewall: flushed, and how to put it back" \
    '^table inet edged: not in the kernel \(flushed by edgectl firewall flush\).*edgectl reload puts it back' \
    "$(head -n 1 <<<"$out")"
assert_match "show firewall: no counters to read" 'trusted-ssh +accept +- +-' \
    "$out"
fwjson=$(ctl show firewall --json)
assert_eq "show firewall --json: flushed" "False flushed None" \
    "$(echo "$fwjson" | json_get '" ".join(str(x) for x in (j["table"]["in_kernel"], j["table"]["state"], j["rules"][0]["packets"]))')"
out=$(ctl_line "firewall flush")
assert_match "a second flush: nothing removed" \
    'not in the kernel \(already flushed.*nothing removed' "$out"

# a dynamic group changed while flushed waits for the next table
out=$(ctl_line "group add trusted 10.34.1.77")
assert_match "group add while flushed: kept for the next table" \
    '^OK$' "$(head -n 1 <<<"$out")"
assert_match "group add while flushed: says so" 'flushed' "$out"

# a reload puts it back, the group's members in it
ctl reload >/dev/null || fail "reload after the flush failed"
inE nft list table inet edged >/dev/null ||
    check_failed "reload did not put table inet edged back"
assert_match "the group's member in the new table" '10\.34\.1\.77' \
    "$(inE nft list set inet edged d_trusted_4)"
assert_eq "back: the port without a rule is dropped again" 28 \
    "$(reach "$NORULE")"
assert_match "the log says it is back" \
    'table inet edged applied .*back in the kernel after edgectl firewall flush' \
    "$(cat "$EDGED_LOG")"
assert_match "show firewall: in force again" '^table inet edged: in the kernel' \
    "$(ctl show firewall | head -n 1)"

# removed by something other than edged: said so; a reload puts it back
# (the unchanged table is sent again since it is gone)
inE nft delete table inet edged
assert_eq "removed by hand: show firewall --json" "False missing" \
    "$(ctl show firewall --json | json_get 'str(j["table"]["in_kernel"]) + " " + j["table"]["state"]')"
ctl reload >/dev/null || fail "reload after the table was removed by hand"
inE nft list table inet edged >/dev/null ||
    check_failed "reload did not put back a table removed by hand"

# ---- the words of the commands ----
out=$(ctl_line "firewall flsh")
assert_eq "unknown firewall command" \
    "ERROR
unknown firewall command 'flsh'; did you mean 'flush'?" "$out"
out=$(ctl_line "group add trustd 10.34.1.9")
assert_match "mistyped group: did you mean" \
    "^no dynamic address-group 'trustd' .*; did you mean 'trusted'\\?" \
    "$(sed -n 2p <<<"$out")"
out=$(ctl_line "group add admins 10.34.1.9")
assert_match "static group: refused, and why" \
    '^group admins is a static address-group .*cannot change at run time' \
    "$(sed -n 2p <<<"$out")"
assert_eq "group show json (control line)" '["10.34.1.77"]' \
    "$(ctl_line "group show trusted json" | sed 1d |
    json_get 'j["members"] if j["group"] == "trusted" else None')"
assert_eq "edgectl group show --json" '["10.34.1.77"]' \
    "$(ctl group show trusted --json | json_get 'j["members"]')"
assert_eq "group show, a static group" '10.34.1.0/24' \
    "$(ctl group show admins)"

# ---- no firewall: nothing of edged's to remove, but a leftover is ----
sed '/^firewall {/,$d' "$T/edged.conf" >"$T/nofw.conf"
cp "$T/nofw.conf" "$T/edged.conf"
ctl reload >/dev/null || fail "reload (no firewall) failed"
assert_no_match "no firewall: table removed at reload" 'table inet edged' \
    "$(edge_tables)"
out=$(ctl_line "group add trusted 10.34.1.78")
assert_match "no firewall: a group change kept for a later table" \
    '^OK.*no firewall or NAT in force' "$(tr '\n' ' ' <<<"$out")"
out=$(ctl_line "firewall flush")
assert_match "no firewall: nothing to remove" \
    '^OK$' "$(head -n 1 <<<"$out")"
assert_match "no firewall: says so" "nothing of edged's to remove" "$out"
inE nft add table inet edged
assert_match "show firewall: a leftover table" \
    '^table inet edged: in the kernel, but no firewall or NAT is configured' \
    "$(ctl show firewall | head -n 1)"
out=$(ctl_line "firewall flush")
assert_match "no firewall: a leftover table removed, and said" \
    'removed table inet edged, which was left in the kernel' "$out"
assert_no_match "the leftover is gone" 'table inet edged' "$(edge_tables)"
pass
