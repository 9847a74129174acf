#!/bin/bash
# 65-feeds-https: address-groups fed over HTTPS (a threat-intelligence
# list, a cloud provider's ranges in JSON) from a publisher the test
# starts (feedserver.py, with a CA made here), in network namespaces
# made here:
#
#   client C ---- c0  e0 [edge E]  e1 ---- s0  server S (the publisher,
#   172.31.66.2      172.31.66.1  10.66.2.1    10.66.2.2  HTTPS on 8443)
#
# edged in E drops what comes from threat-feed (format list, with a
# bearer token) and from cloud (format json: .prefixes[].ip_prefix and
# .ipv6_prefixes[].ipv6_prefix).  Asserted: both feeds in the kernel's
# sets; GETs after the first are conditional (If-None-Match) and answered
# 304, so an unchanged feed is applied once (one served without
# validators too: the same bytes are not applied again); the client's
# address published drops its pings within the refresh, withdrawn lets
# them through; a publisher answering 500, a wrong token (401), a certificate
# the feed's CA did not sign, and a JSON text whose shape changed each
# keep the last good list (the client still dropped) and say why
# (edgectl group show, its JSON, the metrics); a restart with the
# publisher gone keeps both lists (the JSON one too); the token never in
# the log, in edged -T or in the publisher's log; a reload naming a CA
# file that is not there, or with edged.conf readable by others, is
# refused with the old configuration left in force; a feed of 150,000
# entries goes in whole.
. "$(dirname "$0")/lib.sh"
it_begin 65-feeds-https
for p in ip nft ping openssl; do
	command -v $p >/dev/null || fail "$p not found (install-deps.sh)"
done

C=edged-it65-c-$$ E=edged-it65-e-$$ S=edged-it65-s-$$
for ns in "$C" "$E" "$S"; do netns_add "$ns"; done
netns_link "$C" c0 172.31.66.2/24 "$E" e0 172.31.66.1/24
netns_link "$E" e1 10.66.2.1/24 "$S" s0 10.66.2.2/24
ip -n "$C" route add default via 172.31.66.1
ip -n "$S" route add default via 10.66.2.1
inE() { ip netns exec "$E" "$@"; }
ping_s() { ip netns exec "$C" ping -c 1 -W 1 10.66.2.2 >/dev/null 2>&1 &&
    echo yes || echo no; }

# the publisher's CA and certificate (for its address), and another CA
mkdir -p "$T/pki" "$T/pub"
mkca() {	# NAME
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/pki/$1.key" -out "$T/pki/$1.pem" -days 2 \
	    -subj "/CN=edged test $1" 2>/dev/null || fail "openssl: CA $1"
}
mkca ca
mkca other-ca
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/pki/pub.key" -out "$T/pki/pub.csr" -subj "/CN=10.66.2.2" \
    2>/dev/null || fail "openssl: the publisher's request"
printf 'subjectAltName=IP:10.66.2.2\n' >"$T/pki/ext"
openssl x509 -req -in "$T/pki/pub.csr" -CA "$T/pki/ca.pem" \
    -CAkey "$T/pki/ca.key" -CAcreateserial -days 2 -extfile "$T/pki/ext" \
    -out "$T/pki/pub.pem" 2>/dev/null || fail "openssl: the publisher's cert"

TOKEN=tok-$$-$RANDOM
URL=https://10.66.2.2:8443
publisher_start() {
	spawn "$T/feedserver.out" ip netns exec "$S" "$PY" \
	    "$IT_DIR/feedserver.py" --listen 10.66.2.2:8443 --dir "$T/pub" \
	    --cert "$T/pki/pub.pem" --key "$T/pki/pub.key" \
	    --log "$T/pub.log" --token "$TOKEN" --protect list.txt \
	    --plain ranges.json
	PUB_PID=$SPAWNED
	for _ in $(seq 1 100); do
		ip netns exec "$S" bash -c \
		    '(exec 3<>/dev/tcp/10.66.2.2/8443)' 2>/dev/null && return
		sleep 0.05
	done
	fail "the publisher does not listen: $(cat "$T/feedserver.out")"
}
# a feed published, replaced whole (a rename)
publish() {	# NAME LINE...
	local name=$1
	shift
	printf '%s\n' "$@" >"$T/pub/$name.new" &&
	    mv "$T/pub/$name.new" "$T/pub/$name"
}
publish list.txt "# threat list" "192.0.2.1" "10.99.0.0/16  # a prefix" \
    "198.51.100.10-198.51.100.20"
publish ranges.json '{"syncToken": "1", "prefixes": [' \
    '{"ip_prefix": "3.5.140.0/22", "region": "ap"},' \
    '{"ip_prefix": "52.94.76.0/22"}, {"ip_prefix": 7}],' \
    '"ipv6_prefixes": [{"ipv6_prefix": "2600:1f14::/35"}]}'
publisher_start

write_conf() {	# CA TOKEN [MAX-ENTRIES]
	edged_global
	cat <<CONF
stats { listen 127.0.0.1:9065 }
address-group threat-feed {
    feed $URL/list.txt {
        refresh 1s
        max-entries ${3:-1000}
        ca $1
        header "Authorization: Bearer $2"
    }
}
address-group cloud {
    feed $URL/ranges.json {
        format json .prefixes[].ip_prefix .ipv6_prefixes[].ipv6_prefix
        refresh 1s
        ca $T/pki/ca.pem
    }
}
firewall {
    default-policy accept
    rule block-feeds {
        source threat-feed cloud
        action drop
    }
}
CONF
}
conf() {	# the arguments of write_conf: edged.conf, root's only
	write_conf "$@" >"$T/edged.conf" && chmod 600 "$T/edged.conf"
}
conf "$T/pki/ca.pem" "$TOKEN"
EDGED_WRAP="ip netns exec $E" edged_start "$T/edged.conf"

metric() {
	inE curl -s --max-time 5 http://127.0.0.1:9065/metrics |
	    awk -v k="$1" '$1 == k { print $2 }'
}
set_of() {	# f_GROUP_4: the group's two sets (lib.sh's feed_set)
	local n=${1#f_}
	feed_set "$E" "${n%_*}" "${n##*_}"
}
err_of() {	# GROUP
	ctl group show "$1" --json | json_get 'j["feed"]["last_error"]'
}

# the range's last address, a /32, in the hash set (see 64-feeds)
want="10.99.0.0/16, 192.0.2.1, 198.51.100.10-198.51.100.19, 198.51.100.20"
assert_eq "the list feed, fetched over HTTPS, in the kernel's set" \
    "$want" "$(poll_until "$want" 100 set_of f_threat-feed_4)"
assert_eq "the JSON feed: its IPv4 prefixes" "3.5.140.0/22, 52.94.76.0/22" \
    "$(poll_until "3.5.140.0/22, 52.94.76.0/22" 100 set_of f_cloud_4)"
assert_eq "and its IPv6 prefixes" "2600:1f14::/35" \
    "$(set_of f_cloud_6)"
show=$(ctl group show cloud)
it_log "group show cloud: $show"
assert_match "group show: the JSON feed's figures" \
    "# 3 entries from 4 values, 1 refused; 0 failed reads" "$show"
assert_match "group show: the value refused, and why" \
    "# refused: value 3: 'a number': not a string" "$show"
assert_match "the publisher saw the token" "GET /list.txt 200 inm=- \
auth=yes" "$(cat "$T/pub.log")"
assert_eq "the client passes" yes "$(ping_s)"

# conditional GETs: 304 to each refresh while nothing changes, and the
# feed applied once
inm() { grep -c 'GET /list.txt 304 inm="' "$T/pub.log"; }
assert_ge "later GETs ask If-None-Match and get 304" \
    "$(poll_until_match '^[2-9]' 100 inm)" 2
assert_match "an unchanged feed is applied once" "^1$" \
    "$(grep -c 'feed of address-group threat-feed: 3 entries' "$EDGED_LOG")"
assert_eq "a 304 is a good read: no error" "" "$(err_of threat-feed)"
assert_ge "the JSON feed, served without validators, fetched again" \
    "$(grep -c 'GET /ranges.json 200 inm=-' "$T/pub.log")" 2
assert_match "the same bytes again are not applied again" "^1$" \
    "$(grep -c 'feed of address-group cloud: 3 entries' "$EDGED_LOG")"

# the client's address published: dropped within the refresh
publish list.txt "192.0.2.1" "10.99.0.0/16" "198.51.100.10-198.51.100.20" \
    "172.31.66.2"
assert_eq "the client's address published: dropped" no \
    "$(poll_until no 60 ping_s)"
publish list.txt "192.0.2.1" "10.99.0.0/16"
assert_eq "withdrawn: it passes again" yes "$(poll_until yes 60 ping_s)"
publish list.txt "172.31.66.0/24"
assert_eq "the client's prefix published: dropped" no \
    "$(poll_until no 60 ping_s)"

# a publisher that answers 500: the last good list stays
echo 500 >"$T/pub/list.txt.status"
assert_match "HTTP 500: said" "the server answered HTTP 500" \
    "$(poll_until_match 'HTTP 500' 100 err_of threat-feed)"
assert_eq "and the client still dropped" no "$(ping_s)"
assert_match "group show says the last good list stays" "# last error: \
the server answered HTTP 500 \(the last good list stays\)" \
    "$(ctl group show threat-feed)"
errs=$(metric 'edged_group_feed_errors_total{group="threat-feed"}')
assert_ge "metrics: failed reads counted" "$errs" 1
rm "$T/pub/list.txt.status"
assert_eq "the publisher back: no error" "" \
    "$(poll_until "" 100 err_of threat-feed)"

# a JSON text whose shape changed (the key renamed): an error, not an
# empty group
publish ranges.json '{"syncToken": "2", "ranges": [' \
    '{"ip_prefix": "3.5.140.0/22"}]}'
assert_match "a JSON feed whose paths lead nowhere: said" "lead to no value" \
    "$(poll_until_match 'lead to no value' 100 err_of cloud)"
assert_eq "its list stays" "3.5.140.0/22, 52.94.76.0/22" \
    "$(set_of f_cloud_4)"

# a wrong token: 401, the list stays
conf "$T/pki/ca.pem" wrong-token
out=$(ctl reload 2>&1) || fail "the reload to a wrong token failed: $out"
assert_match "a wrong token: 401 said" "the server answered HTTP 401" \
    "$(poll_until_match 'HTTP 401' 100 err_of threat-feed)"
assert_eq "the client still dropped" no "$(ping_s)"
# a certificate the feed's CA did not sign: the list stays
conf "$T/pki/other-ca.pem" "$TOKEN"
out=$(ctl reload 2>&1) || fail "the reload to another CA failed: $out"
assert_match "a certificate not verified: said" "SSL certificate problem" \
    "$(poll_until_match 'certificate' 100 err_of threat-feed)"
assert_eq "the client still dropped" no "$(ping_s)"
conf "$T/pki/ca.pem" "$TOKEN"
out=$(ctl reload 2>&1) || fail "the reload back failed: $out"
assert_eq "the right CA and token: no error" "" \
    "$(poll_until "" 100 err_of threat-feed)"

# reloads refused: the old configuration in force
conf "$T/pki/no-such-ca.pem" "$TOKEN"
out=$(ctl reload 2>&1) && fail "a reload naming a missing CA passed: $out"
assert_match "a missing CA file refuses the reload" \
    "ca $T/pki/no-such-ca.pem: No such file" "$out"
conf "$T/pki/ca.pem" "$TOKEN"
chmod 644 "$T/edged.conf"
out=$(ctl reload 2>&1) && fail "a reload with the token readable passed: $out"
assert_match "a header in a file others can read refuses the reload" \
    "holds its header, a secret, and any user can read it" "$out"
chmod 600 "$T/edged.conf"
assert_eq "the old configuration in force: no error, still dropped" \
    "no" "$(ping_s)"

# the token is nowhere to be read
printed=$("$EDGED" -T -c "$T/edged.conf" 2>&1)
assert_match "edged -T hides the header's value" \
    'header "Authorization: <hidden>"' "$printed"
for what in "edged -T:$printed" "the log:$(cat "$EDGED_LOG")" \
    "the publisher's log:$(cat "$T/pub.log")" \
    "group show:$(ctl group show threat-feed --json)"; do
	assert_no_match "the token is not in ${what%%:*}" "$TOKEN" \
	    "${what#*:}"
done

# a restart with the publisher gone: both lists kept
stop_pid "$PUB_PID"
stop_pid "$EDGED_PID"
EDGED_WRAP="ip netns exec $E" edged_start "$T/edged.conf"
assert_eq "after a restart, the list feed's last good list" \
    "172.31.66.0/24" "$(poll_until 172.31.66.0/24 100 set_of f_threat-feed_4)"
assert_eq "and the JSON feed's" "3.5.140.0/22, 52.94.76.0/22" \
    "$(set_of f_cloud_4)"
assert_eq "the client still dropped" no "$(ping_s)"
assert_match "the publisher gone: said" "Failed to connect|Couldn't connect" \
    "$(poll_until_match 'onnect' 100 err_of threat-feed)"

# the publisher back, with 150,000 entries, the client's among them
awk 'BEGIN { for (i = 0; i < 149999; i++) {
	a = 100 * 16777216 + 64 * 65536 + i * 2
	printf "%d.%d.%d.%d\n", int(a / 16777216), int(a / 65536) % 256,
	    int(a / 256) % 256, a % 256 }
	print "172.31.66.2" }' >"$T/pub/list.new"
mv "$T/pub/list.new" "$T/pub/list.txt"
publisher_start
conf "$T/pki/ca.pem" "$TOKEN" 150000
out=$(ctl reload 2>&1) || fail "the reload to max-entries 150000 failed: $out"
entries() { ctl group show threat-feed --json |
    json_get 'j["feed"]["entries"]'; }
assert_eq "a feed of 150,000 entries over HTTPS, in the kernel whole" \
    150000 "$(poll_until 150000 400 entries)"
assert_eq "with no error" "" "$(err_of threat-feed)"
assert_eq "the client, among them, dropped" no "$(ping_s)"
it_log "$(grep 'feed of address-group threat-feed: 150000' "$EDGED_LOG")"

pass
