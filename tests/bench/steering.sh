#!/bin/sh
# tests/bench/steering.sh - what service insertion costs, and how fast
# edged sees an inspection appliance fail.
#
#     sh tests/bench/steering.sh     (as root, after building edged)
#
# Makes four network namespaces and removes them when it exits:
#
#   client C (10.78.1.2) --- [edge E, edged] --- server S (10.78.2.2)
#                          10.78.1.1  10.78.2.1
#                               | ins0 10.78.9.1
#                          appliance A (10.78.9.2: routes back to E)
#
# S runs three iperf3 servers.  edged in E steers what goes to port 5201
# through A (`steer` in a firewall rule, a service chain of one
# appliance); port 5202 goes straight; port 5203 is steered through A by
# hand, in a table of its own and an ip rule, the way VyOS and pfSense
# do policy routing: the peer.  For ROUNDS rounds, in an order that
# rotates, iperf3 from C to each for SECONDS: the throughput, and the
# whole machine's CPU per GiB (user + nice + system + irq + softirq from
# /proc/stat: the forwarding is softirq work in no process of its own).
# Steered traffic crosses the edge twice and the appliance once, so
# against `straight` it costs about one more forwarding; against `hand`
# it should cost nothing more: edged's marks and routes are the same
# kernel path.
#
# Then, FAILS times, the appliance stops answering (an nft rule in A that
# drops everything) and edged's monitor (ping, interval 200ms, fall 2,
# rise 2) takes it down; the time from the drop to `edgectl show
# steering` saying so, and back up once the drop goes, polled every
# 20 ms.  Target: within interval x fall, plus the interval the last
# probe takes (600 ms).
#
# It never fails on a number; it exits non-zero only when it cannot run.
#
# Environment (defaults in brackets):
#   EDGED_BUILD  build directory with edged and edgectl [../../build]
#   ROUNDS       rounds of the three targets [3]
#   SECONDS_RUN  seconds each iperf3 runs [3]
#   FAILS        appliance failures measured [3]
#   KEEP_TMP     1 = keep the temporary directory

set -eu
here=$(cd "$(dirname "$0")" && pwd)
me=steering-bench
. "$here/lib.sh"

ROUNDS=${ROUNDS:-3}
SECONDS_RUN=${SECONDS_RUN:-3}
FAILS=${FAILS:-3}
KEEP_TMP=${KEEP_TMP:-0}
need_uint ROUNDS SECONDS_RUN FAILS
[ "$ROUNDS" -ge 1 ] && [ "$SECONDS_RUN" -ge 1 ] && [ "$FAILS" -ge 1 ] ||
    die "ROUNDS, SECONDS_RUN and FAILS must be at least 1"
need_tools nft ip iperf3 awk sort
make_tmp edged-bench-steer
C=edged-bs-c-$$ E=edged-bs-e-$$ S=edged-bs-s-$$ A=edged-bs-a-$$
st_cleanup() {
	cleanup_status=$?
	for ns in $C $E $S $A; do ip netns del "$ns" 2>/dev/null; done
	cleanup
	exit $cleanup_status
}
trap st_cleanup EXIT
for ns in $C $E $S $A; do
	ip netns add "$ns" || die "cannot make network namespace $ns"
	ip -n "$ns" link set lo up
done
link() {	# NS1 IF1 ADDR1 NS2 IF2 ADDR2
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}
link $C c0 10.78.1.2/24 $E e0 10.78.1.1/24
link $E e1 10.78.2.1/24 $S s0 10.78.2.2/24
link $E ins0 10.78.9.1/24 $A a0 10.78.9.2/24
ip -n $C route add default via 10.78.1.1
ip -n $S route add default via 10.78.2.1
ip -n $A route add default via 10.78.9.1
ip netns exec $A sysctl -qw net.ipv4.ip_forward=1 \
    net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.a0.send_redirects=0
ip netns exec $A nft -f - <<'NFT'
table inet app {
	chain fail {
		type filter hook prerouting priority -300; policy accept;
	}
}
NFT
for port in 5201 5202 5203; do
	ip netns exec $S iperf3 -s -B 10.78.2.2 -p $port >/dev/null 2>&1 &
	pids="$pids $!"
done

cat >"$tmp/edged.conf" <<CONF
global {
    workers 1
    user edged
    control-socket $tmp/edged.sock
    state-directory $tmp/state
}
service-appliance a {
    address 10.78.9.2
    interface ins0
    monitor ping
    interval 200ms
    rise 2
    fall 2
    failure open
}
service-chain inspect {
    appliances a
}
firewall {
    default-policy accept
    rule steered {
        service tcp/5201
        action accept
        steer inspect
    }
}
CONF
ip netns exec $E "$EDGED" -c "$tmp/edged.conf" >"$tmp/edged.log" 2>&1 &
pids="$pids $!"
ctl() { "$EDGECTL" -s "$tmp/edged.sock" "$@"; }
i=0
until ctl status >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] || die "edged did not start: $(cat "$tmp/edged.log")"
	sleep 0.1
done
# the peer: the same steering by hand, for port 5203
ip netns exec $E nft -f - <<'NFT'
table inet hand {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		iifname "ins0" return
		ct state new tcp dport 5203 ct mark set 0x1234
		ct mark 0x1234 meta mark set 0x1234
	}
}
NFT
ip -n $E rule add fwmark 0x1234 lookup 100 priority 100
ip -n $E route add default via 10.78.9.2 dev ins0 table 100

# machine CPU jiffies: user + nice + system + irq + softirq
cpu() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
run() {		# TARGET PORT ROUND
	c0=$(cpu)
	ip netns exec $C iperf3 -c 10.78.2.2 -p "$2" -t "$SECONDS_RUN" -J \
	    >"$tmp/runs/$1-$3.json" 2>&1 || die "iperf3 to $1 failed"
	c1=$(cpu)
	"$PY" - "$tmp/runs/$1-$3.json" "$((c1 - c0))" "$HZ" <<'PY' >>"$tmp/$1"
import json, sys
j = json.load(open(sys.argv[1]))
b = j["end"]["sum_received"]["bytes"]
gib = b / 2**30
print("%.2f %.2f" % (j["end"]["sum_received"]["bits_per_second"] / 1e9,
      int(sys.argv[2]) / int(sys.argv[3]) / gib if gib else 0))
PY
}
: >"$tmp/edged-steered"
: >"$tmp/straight"
: >"$tmp/hand"
r=1
while [ $r -le "$ROUNDS" ]; do
	case $((r % 3)) in
	1) order="edged-steered:5201 straight:5202 hand:5203" ;;
	2) order="straight:5202 hand:5203 edged-steered:5201" ;;
	0) order="hand:5203 edged-steered:5201 straight:5202" ;;
	esac
	for t in $order; do run "${t%%:*}" "${t#*:}" $r; done
	r=$((r + 1))
done
steered=$(ctl show steering --json | "$PY" -c \
    'import json,sys; print(json.load(sys.stdin)["chains"][0]["packets"])')

col() { awk -v k="$2" '{ print $k }' "$tmp/$1" | median; }
echo "steering: TCP through the edge, $SECONDS_RUN s a run, median of $ROUNDS:"
printf '  %-16s %10s %16s\n' target Gbit/s "CPU s per GiB"
for t in straight edged-steered hand; do
	printf '  %-16s %10s %16s\n' "$t" "$(col $t 1)" "$(col $t 2)"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b
    else print "NA" }'; }
echo "  edged-steered / hand: $(ratio "$(col edged-steered 1)" \
    "$(col hand 1)")x the throughput, $(ratio "$(col edged-steered 2)" \
    "$(col hand 2)")x the CPU per GiB"
echo "  packets edged steered (its counter): $steered"
echo

# ---- failure detection ----
health() { ctl show steering --json | "$PY" -c \
    'import json,sys; print(json.load(sys.stdin)["chains"][0]["hops"][0]["health"])'; }
until_health() {	# WANT: ms until the appliance is WANT (polled)
	t0=$(date +%s%N)
	i=0
	while [ "$(health)" != "$1" ]; do
		i=$((i + 1))
		[ $i -lt 500 ] || die "the appliance never went $1"
		sleep 0.02
	done
	echo $(( ($(date +%s%N) - t0) / 1000000 ))
}
: >"$tmp/down"
: >"$tmp/up"
f=1
while [ $f -le "$FAILS" ]; do
	ip netns exec $A nft add rule inet app fail drop
	until_health down >>"$tmp/down"
	ip netns exec $A nft flush chain inet app fail
	until_health up >>"$tmp/up"
	f=$((f + 1))
done
echo "appliance failure (ping every 200 ms, fall 2, rise 2), median of $FAILS:"
printf '  %-40s %6s ms\n' "seen down after it stops answering" \
    "$(median <"$tmp/down")"
printf '  %-40s %6s ms\n' "seen up after it answers again" \
    "$(median <"$tmp/up")"
echo "  target: within interval x fall, plus one interval (600 ms)"
