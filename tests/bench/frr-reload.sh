#!/bin/sh
# tests/bench/frr-reload.sh - a reload that changes one static route
# among many, with edged writing FRR's configuration (Debian's FRR 8.4):
# how long the reload takes, how long until a BGP peer has the new
# route, and how much of it FRR sees (the BGP updates the peer gets, and
# whether its session stays up).
#
#     sh tests/bench/frr-reload.sh      (as root, after building edged)
#
# Makes two network namespaces and removes them when it exits:
#
#   peer P (10.79.0.2, AS 65000) --- edge E (10.79.0.1, AS 65079)
#   zebra + bgpd                     edged; zebra, staticd, bgpd
#
# edged's routing block holds STATICS blackhole routes (/24s) and a bgp
# block redistributing them to P.  Then, ROUNDS times, one of them is
# replaced by another prefix and edged reloads: `reload` is edgectl
# reload's time (FRR's vtysh -C check at load, frr-reload.py at commit,
# the new worker), `learn` until P's kernel has the new prefix, `updates`
# the BGP UPDATE messages P received meanwhile (FRR sending only the
# difference: 1 or 2, not STATICS), `drops` P's dropped sessions (0).
# Prints every round, then medians.  It never fails on a number; it exits
# non-zero only when it cannot run.
#
# Environment (defaults in brackets):
#   EDGED_BUILD    build directory with edged and edgectl [../../build]
#   ROUNDS         rounds [10]
#   STATICS        static routes [1000]
#   KEEP_TMP       1 = keep the temporary directory
set -u

here=$(cd "$(dirname "$0")" && pwd)
me=frr-reload-bench
. "$here/lib.sh"

ROUNDS=${ROUNDS:-10}
STATICS=${STATICS:-1000}
KEEP_TMP=${KEEP_TMP:-0}
need_uint ROUNDS STATICS
[ "$ROUNDS" -ge 1 ] && [ "$STATICS" -ge 2 ] && [ "$STATICS" -le 30000 ] ||
    die "ROUNDS at least 1, STATICS from 2 to 30000"

NS_P=edged-frb-p-$$
NS_E=edged-frb-e-$$
need_tools ip awk sort vtysh
for d in zebra bgpd staticd frr-reload.py; do
	[ -x "/usr/lib/frr/$d" ] ||
	    die "/usr/lib/frr/$d not found: install frr (packaging/install-deps.sh)"
done
make_tmp edged-bench-frr-reload

cleanup_extra() {
	for ns in $netns_made; do
		rm -rf "/var/run/frr/$ns"
	done
}
netns_add "$NS_P"
netns_add "$NS_E"
netns_link "$NS_P" p0 10.79.0.2/24 "$NS_E" e0 10.79.0.1/24

# frr_start NS DIR DAEMON...: FRR's daemons in NS as frr (pathspace NS),
# their sockets, pids and logs in DIR, each with DIR/DAEMON.conf
frr_start() {
	ns=$1 d=$2
	shift 2
	for daemon in "$@"; do
		[ -e "$d/$daemon.conf" ] || : >"$d/$daemon.conf"
	done
	chown -R frr:frr "$d"
	for daemon in "$@"; do
		ip netns exec "$ns" /usr/lib/frr/$daemon -d -u frr -g frr \
		    -N "$ns" -P 0 --log "file:$d/$daemon.log" \
		    -f "$d/$daemon.conf" -i "$d/$daemon.pid" \
		    -z "$d/zserv.api" --vty_socket "$d" 2>/dev/null ||
		    die "$daemon did not start in $ns"
		i=0
		until [ -s "$d/$daemon.pid" ]; do
			i=$((i + 1))
			[ $i -lt 50 ] || die "$daemon in $ns wrote no pid file"
			sleep 0.1
		done
		pids="$pids $(cat "$d/$daemon.pid")"
	done
}

mkdir -p "$tmp/frr-p" "$tmp/frr-e"
printf '%s\n' 'router bgp 65000' ' bgp router-id 10.79.0.2' \
    ' no bgp ebgp-requires-policy' ' neighbor 10.79.0.1 remote-as 65079' \
    ' neighbor 10.79.0.1 timers 3 9' ' neighbor 10.79.0.1 timers connect 1' \
    >"$tmp/frr-p/bgpd.conf"
echo "service integrated-vtysh-config" >"$tmp/frr-e/vtysh.conf"
echo "frr defaults traditional" >"$tmp/frr-e/frr.conf"
frr_start "$NS_P" "$tmp/frr-p" zebra bgpd
frr_start "$NS_E" "$tmp/frr-e" zebra staticd bgpd

# the static routes, the one at position STATICS/2 being $1
statics() {
	awk -v n="$STATICS" -v swap="$1" 'BEGIN {
	    for (i = 0; i < n; i++)
		if (i == int(n / 2)) printf "    static %s blackhole\n", swap
		else printf "    static 10.%d.%d.0/24 blackhole\n",
		    100 + int(i / 256), i % 256 }'
}
maxconn=1000
write_conf() {	# SWAPPED-PREFIX
	{
		edged_head
		printf '%s\n' 'routing {' \
		    "    zebra-socket $tmp/frr-e/zserv.api" \
		    "    vty-socket $tmp/frr-e" \
		    "    frr-config $tmp/frr-e/frr.conf" \
		    '    router-id 10.79.0.1'
		statics "$1"
		printf '%s\n' '    bgp {' '        asn 65079' \
		    '        neighbor 10.79.0.2 { remote-as 65000; keepalive 3; hold 9 }' \
		    '        redistribute static' '    }' '}'
	} >"$tmp/edged.conf"
}
write_conf 10.250.0.0/24
"$EDGED" -t -c "$tmp/edged.conf" >"$tmp/check.log" 2>&1 || {
	cat "$tmp/check.log" >&2
	die "edged rejects the configuration"
}
: >"$tmp/edged.log"
t0=$(now_ms)
ip netns exec "$NS_E" "$EDGED" -c "$tmp/edged.conf" >>"$tmp/edged.log" \
    2>&1 </dev/null &
edged_master=$!
pids="$pids $edged_master"
edged_wait_ready
start_ms=$(($(now_ms) - t0))

# peer FIELD: P's figure for its neighbour 10.79.0.1 (pfx: prefixes
# received; updates: UPDATE messages received; drops: sessions dropped)
peer() {
	vtysh --vty_socket "$tmp/frr-p" -c 'show bgp neighbors 10.79.0.1 json' |
	    /usr/bin/python3 -c '
import json, sys
n = json.load(sys.stdin).get("10.79.0.1", {})
f = sys.argv[1]
if f == "pfx":
    print(n.get("addressFamilyInfo", {}).get("ipv4Unicast", {}).get(
        "acceptedPrefixCounter", 0))
elif f == "updates":
    print(n.get("messageStats", {}).get("updatesRecv", 0))
else:
    print(n.get("connectionsDropped", 0))' "$1"
}
# until_has PREFIX T0: ms from T0 until P's kernel has PREFIX from BGP
until_has() {
	i=0
	until ip -n "$NS_P" route show "$1" proto bgp | grep -q .; do
		i=$((i + 1))
		[ $i -lt 1500 ] || { echo NA; return; }
		sleep 0.02
	done
	echo $(($(now_ms) - $2))
}
i=0
until [ "$(peer pfx)" = "$STATICS" ]; do
	i=$((i + 1))
	[ $i -lt 600 ] ||
	    die "the peer did not learn the $STATICS routes (KEEP_TMP=1; see $tmp)"
	sleep 0.1
done
learned_ms=$(($(now_ms) - t0))

echo "a reload changing 1 static route of $STATICS, FRR $(/usr/lib/frr/zebra -v |
    head -n 1 | awk '{ print $3 }'), $(uname -n), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  edged $EDGED ($("$EDGED" -v 2>&1 | head -n 1)); $ROUNDS rounds"
echo "  start: edged ready in $start_ms ms (FRR given $STATICS routes)," \
    "the peer had all $STATICS in $learned_ms ms"
echo
printf '%-5s %10s %9s %8s %6s\n' round 'reload ms' 'learn ms' updates drops
results=$tmp/results
: >"$results"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	prefix=10.250.$r.0/24
	write_conf "$prefix"
	u0=$(peer updates)
	t0=$(now_ms)
	"$EDGECTL" -s "$tmp/edged.sock" reload >"$tmp/reload.out" 2>&1 ||
	    { cat "$tmp/reload.out" >&2; die "the reload failed"; }
	t1=$(now_ms)
	l=$(until_has "$prefix" "$t0")
	sleep 1		# the withdrawal's update too, if it comes apart
	u=$(($(peer updates) - u0))
	printf '%-5s %10s %9s %8s %6s\n' "$r" $((t1 - t0)) "$l" "$u" \
	    "$(peer drops)"
	echo "$((t1 - t0)) $l $u" >>"$results"
	r=$((r + 1))
done
echo
echo "medians over $ROUNDS rounds: reload $(awk '{ print $1 }' "$results" |
    median) ms, learn $(awk '{ print $2 }' "$results" | median) ms," \
    "updates $(awk '{ print $3 }' "$results" | median)"
echo "the peer has $(peer pfx) prefixes (want $STATICS)," \
    "$(peer drops) dropped sessions (want 0)"
[ "$(peer drops)" = 0 ] || problem "the peer's session was dropped"
grep -q ' NA' "$results" && problem "a new route did not reach the peer within 30 s"
alive "$edged_master" || problem "edged is gone"
echo
print_problems
exit 0
