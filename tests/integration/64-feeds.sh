#!/bin/bash
# 64-feeds: an address-group fed from a file (an orchestrator or a
# threat feed writes it, edged follows), in network namespaces made
# here:
#
#   client C ---- c0  e0 [edge E]  e1 ---- s0  server S
#   172.31.65.2      172.31.65.1  10.65.2.1    10.65.2.2
#
# edged in E drops what comes from the group threat-feed, whose members
# come from $T/feed.txt (refresh 1s).  Asserted: the feed's addresses,
# prefixes and ranges in the kernel's interval set (comments, text after
# an address and blank lines taken as nothing, a bad line refused and
# counted); the client's address added to the file drops its pings
# within the refresh, taken out lets them through; a file of nothing
# usable, then no file at all, keep the last good list (the client still
# dropped) and say why (edgectl group show, its JSON, the metrics); a
# restart with the file still gone keeps the list (the state directory's
# copy of the last good read); the file back takes over; max-entries
# truncates and says so; edgectl cannot change a fed group; the group
# made dynamic (its kept list forgotten), then fed again, by reloads
# (its set made again each time); a feed of 100,001 entries goes in
# whole.
. "$(dirname "$0")/lib.sh"
it_begin 64-feeds
for p in ip nft ping; do
	command -v $p >/dev/null || fail "$p not found (install-deps.sh)"
done

C=edged-it64-c-$$ E=edged-it64-e-$$ S=edged-it64-s-$$
for ns in "$C" "$E" "$S"; do netns_add "$ns"; done
netns_link "$C" c0 172.31.65.2/24 "$E" e0 172.31.65.1/24
netns_link "$E" e1 10.65.2.1/24 "$S" s0 10.65.2.2/24
ip -n "$C" route add default via 172.31.65.1
ip -n "$S" route add default via 10.65.2.1
inE() { ip netns exec "$E" "$@"; }
ping_s() { ip netns exec "$C" ping -c 1 -W 1 10.65.2.2 >/dev/null 2>&1 &&
    echo yes || echo no; }

# the feed, replaced whole as an orchestrator would (a rename)
feed() { printf '%s\n' "$@" >"$T/feed.new" && mv "$T/feed.new" "$T/feed.txt"; }
feed "# threat feed, as published" "" "192.0.2.1" \
    "10.99.0.0/16    # a prefix, and a comment" \
    "198.51.100.10-198.51.100.20 a range, then text" "not-an-address" \
    "  203.0.113.7"

write_conf() {	# MAX-ENTRIES | dynamic
	edged_global
	printf 'stats { listen 127.0.0.1:9064 }\naddress-group threat-feed {\n'
	if [ "$1" = dynamic ]; then
		printf '    dynamic\n}\n'
	else
		printf '    feed file://%s {\n        refresh 1s\n' "$T/feed.txt"
		printf '        format list\n        max-entries %s\n    }\n}\n' "$1"
	fi
	cat <<CONF
firewall {
    default-policy accept
    rule block-feed {
        source threat-feed
        action drop
    }
}
CONF
}
write_conf 1000 >"$T/edged.conf"
EDGED_WRAP="ip netns exec $E" edged_start "$T/edged.conf"
metric() {
	inE curl -s --max-time 5 http://127.0.0.1:9064/metrics |
	    awk -v k="$1" '$1 == k { print $2 }'
}
set4() { feed_set "$E" threat-feed 4; }
# (a range is kept as the prefixes that cover it: its last address, a
# /32, goes to the hash set with the other single addresses)
want_set="10.99.0.0/16, 192.0.2.1, 198.51.100.10-198.51.100.19,"
want_set+=" 198.51.100.20, 203.0.113.7"
assert_eq "the feed in the kernel's set: prefixes, addresses, a range" \
    "$want_set" "$(poll_until "$want_set" 100 set4)"
show=$(ctl group show threat-feed)
it_log "group show: $show"
assert_match "group show: the source and the figures" \
    "# feed file://$T/feed.txt, every 1 s: .*
# 4 entries from 7 lines, 1 refused; 0 failed reads" "$show"
assert_match "group show: the refused line, where" \
    "# refused: line 6: 'not-an-address': not an address, a prefix or a range" \
    "$show"
assert_match "the refused line is logged" "feed of address-group \
threat-feed: 1 of 7 lines refused" "$(cat "$EDGED_LOG")"
assert_eq "the client passes" yes "$(ping_s)"
assert_eq "metrics: entries" 4 \
    "$(metric 'edged_group_feed_entries{group="threat-feed"}')"

# the client's address in the feed: dropped within the refresh
feed "192.0.2.1" "10.99.0.0/16" "198.51.100.10-198.51.100.20" \
    "203.0.113.7" "172.31.65.2"
assert_eq "the client's address added to the file: dropped" no \
    "$(poll_until no 50 ping_s)"
assert_match "only what changed was sent: no table applied again" \
    "^1$" "$(grep -c 'firewall: table inet edged applied' "$EDGED_LOG")"
feed "192.0.2.1" "10.99.0.0/16"
assert_eq "taken out of the file: it passes again" yes \
    "$(poll_until yes 50 ping_s)"
assert_eq "the set follows" "10.99.0.0/16, 192.0.2.1" \
    "$(poll_until "10.99.0.0/16, 192.0.2.1" 100 set4)"

# a broken feed, then none: the last good list stays
feed "172.31.65.0/24"
assert_eq "the client's prefix: dropped" no "$(poll_until no 50 ping_s)"
feed "garbage" "more garbage"
err_of() { ctl group show threat-feed --json |
    json_get 'j["feed"]["last_error"]'; }
assert_match "a file of nothing usable: said" "none of its 2 lines is an \
address" "$(poll_until_match 'none of its' 100 err_of)"
assert_eq "and the last good list stays: still dropped" no "$(ping_s)"
rm "$T/feed.txt"
assert_match "no file: said" "cannot read $T/feed.txt: No such file" \
    "$(poll_until_match 'cannot read' 100 err_of)"
assert_eq "still dropped" no "$(ping_s)"
assert_match "group show says the last good list stays" \
    "# last error: cannot read $T/feed.txt: No such file or directory \
\(the last good list stays\)" "$(ctl group show threat-feed)"
errs=$(metric 'edged_group_feed_errors_total{group="threat-feed"}')
assert_ge "metrics: failed reads counted" "$errs" 2
assert_match "the failure is logged once per reason" "^1$" \
    "$(grep -c "cannot read $T/feed.txt" "$EDGED_LOG")"
json=$(ctl group show threat-feed --json)
assert_eq "JSON: the members kept" '["172.31.65.0/24"]' \
    "$(json_get 'json.dumps(j["members"])' <<<"$json")"
assert_ge "JSON: the last good read's time" \
    "$(json_get 'int(j["feed"]["last_success"])' <<<"$json")" 1700000000

# a restart with the file still gone: the list from the state file
stop_pid "$EDGED_PID"
EDGED_WRAP="ip netns exec $E" edged_start "$T/edged.conf"
assert_eq "after a restart, the kept list is in the set" "172.31.65.0/24" \
    "$(poll_until 172.31.65.0/24 100 set4)"
assert_eq "and the client still dropped" no "$(ping_s)"
feed "192.0.2.1"
assert_eq "the file back takes over" yes "$(poll_until yes 50 ping_s)"

# max-entries: the first ones, said
feed "192.0.2.1" "192.0.2.3" "192.0.2.5" "192.0.2.7" "172.31.65.2"
write_conf 3 >"$T/edged.conf"
out=$(ctl reload 2>&1) || fail "the reload to max-entries 3 failed: $out"
assert_eq "truncated at max-entries: the first three" \
    "192.0.2.1, 192.0.2.3, 192.0.2.5" \
    "$(poll_until "192.0.2.1, 192.0.2.3, 192.0.2.5" 100 set4)"
assert_eq "the client, past max-entries, passes" yes "$(ping_s)"
assert_match "truncation is said" "more than max-entries 3: the first 3 \
taken" "$(cat "$EDGED_LOG")"
assert_eq "JSON: truncated" true \
    "$(ctl group show threat-feed --json | json_get 'j["feed"]["truncated"]')"

out=$(ctl group add threat-feed 192.0.2.9 2>&1) &&
    fail "edgectl changed a fed group: $out"
assert_match "edgectl cannot change a fed group" \
    "group threat-feed is fed from file://$T/feed.txt" "$out"

# the client in the feed, then the group made dynamic by a reload: the
# table is made again (its set is another), without the feed's members;
# edgectl sets them now
feed "172.31.65.2"
assert_eq "the client in the feed: dropped" no "$(poll_until no 50 ping_s)"
write_conf dynamic >"$T/edged.conf"
out=$(ctl reload 2>&1) || fail "the reload to a dynamic group failed: $out"
assert_eq "made dynamic: the client passes" yes "$(poll_until yes 50 ping_s)"
[ -e "$T/state/feeds/threat-feed" ] &&
    fail "the list of a group fed no more is still kept in the state directory"
assert_match "and forgotten, said" "address-group threat-feed is fed no \
more: its last list forgotten" "$(cat "$EDGED_LOG")"
out=$(ctl group add threat-feed 172.31.65.2 2>&1) ||
    fail "group add to the group made dynamic: $out"
assert_eq "and edgectl sets its members" no "$(ping_s)"
ctl group set threat-feed >/dev/null || fail "group set (empty) failed"

# fed again, from a big feed: 100,000 addresses that do not touch
# (100,001 elements of the group's hash set, sent in some 98 messages),
# the client's among them
awk 'BEGIN { for (i = 0; i < 100000; i++) {
	a = 100 * 16777216 + 64 * 65536 + i * 2
	printf "%d.%d.%d.%d\n", int(a / 16777216), int(a / 65536) % 256,
	    int(a / 256) % 256, a % 256 }
	print "172.31.65.2" }' >"$T/feed.new"
mv "$T/feed.new" "$T/feed.txt"
write_conf 150000 >"$T/edged.conf"
out=$(ctl reload 2>&1) || fail "the reload to max-entries 150000 failed: $out"
entries() { ctl group show threat-feed --json |
    json_get 'j["feed"]["entries"]'; }
assert_eq "a feed of 100,001 entries, in the kernel whole" 100001 \
    "$(poll_until 100001 400 entries)"
assert_eq "with no error" "" "$(err_of)"
assert_eq "the client, among them, dropped" no "$(ping_s)"
assert_eq "all of them single addresses, in the hash set" 100001 \
    "$(inE nft -j list set inet edged fh_threat-feed_4 | "$PY" -c '
import json, sys
s = json.load(sys.stdin)["nftables"][1]["set"]
print(len(s.get("elem", [])))')"

pass
