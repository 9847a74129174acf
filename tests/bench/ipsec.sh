#!/bin/sh
# tests/bench/ipsec.sh - IPsec sites through strongSwan's charon (Debian's
# 5.9.8), edged configuring it, side by side with swanctl, strongSwan's
# own loader, given the same connections in the same run:
#
#   - start to tunnel: from the start of edged (charon running, without
#     the site) until the far host answers a ping through the tunnel;
#     the same from `swanctl --load-all` of the same connection;
#   - apply: a reload adding SITES sites (peers nobody answers, start
#     never) beside the tunnel, then a reload changing one of them: its
#     time, and how many connections charon was given (1, not SITES + 1);
#     swanctl --load-conns of the same SITES + 1 connections, then again
#     with one changed (swanctl sends every one);
#   - throughput: iperf3 from HA to HB through the tunnel, and the same
#     path without IPsec (routed), for scale.  These machines' kernel has
#     no ESP: both charons use kernel-libipsec, ESP in user space inside
#     UDP 4500, which is what the figure measures (not the kernel's ESP).
#
#     sh tests/bench/ipsec.sh      (as root, after building edged)
#
#   host HA ---- gateway GA ============ gateway GB ---- host HB
#   10.63.1.2    10.63.1.1  172.31.63.1  172.31.63.2  10.63.2.1  10.63.2.2
#                edged / swanctl         swanctl
#
# Network namespaces and charons (each with a private /run) made here
# and removed on exit.  Prints every round, then medians; it never fails
# on a number, and exits non-zero only when it cannot run.
#
# Environment (defaults in brackets):
#   EDGED_BUILD    build directory with edged and edgectl [../../build]
#   ROUNDS         rounds of start-to-tunnel and apply [5]
#   SITES          sites added beside the tunnel [100]
#   SECONDS_IPERF  seconds per iperf3 run, 3 runs each way [5]
#   KEEP_TMP       1 = keep the temporary directory
set -u

here=$(cd "$(dirname "$0")" && pwd)
me=ipsec-bench
. "$here/lib.sh"

ROUNDS=${ROUNDS:-5}
SITES=${SITES:-100}
SECONDS_IPERF=${SECONDS_IPERF:-5}
KEEP_TMP=${KEEP_TMP:-0}
need_uint ROUNDS SITES SECONDS_IPERF
[ "$ROUNDS" -ge 1 ] && [ "$SITES" -ge 2 ] && [ "$SITES" -le 5000 ] ||
    die "ROUNDS at least 1, SITES from 2 to 5000"
need_tools ip awk sort swanctl iperf3 ping
[ -x /usr/lib/ipsec/charon ] ||
    die "no /usr/lib/ipsec/charon: install strongswan-charon (install-deps.sh)"
make_tmp edged-bench-ipsec
maxconn=1000
PSK=bench-63-key

HA=edged-ipb-ha-$$ GA=edged-ipb-ga-$$ GB=edged-ipb-gb-$$ HB=edged-ipb-hb-$$
for ns in "$HA" "$GA" "$GB" "$HB"; do netns_add "$ns"; done
netns_link "$HA" ha0 10.63.1.2/24 "$GA" gah 10.63.1.1/24
netns_link "$GA" gaw 172.31.63.1/24 "$GB" gbw 172.31.63.2/24
netns_link "$GB" gbh 10.63.2.1/24 "$HB" hb0 10.63.2.2/24
ip -n "$HA" route add default via 10.63.1.1
ip -n "$HB" route add default via 10.63.2.1
for ns in "$GA" "$GB"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
done

# ---- charon ----

charon_conf() {	# NAME
	cat >"$tmp/$1.strongswan.conf" <<EOC
charon {
    load_modular = no
    load = random nonce openssl pem pkcs1 x509 pubkey revocation constraints kdf kernel-libipsec kernel-netlink socket-default vici
    retransmit_timeout = 1
    plugins { vici { socket = unix://$tmp/$1.vici } }
    filelog { log { path = $tmp/charon-$1.log
                    flush_line = yes
                    default = 1 } }
}
EOC
}
charon_pid_a='' charon_pid_b=''
charon_start() {	# NS NAME: its pid in charon_pid
	rm -f "$tmp/$2.vici" "$tmp/charon-$2.log"
	ip netns exec "$1" unshare -m sh -c 'mount -t tmpfs tmpfs /run &&
	    STRONGSWAN_CONF=$1 exec /usr/lib/ipsec/charon' sh \
	    "$tmp/$2.strongswan.conf" >"$tmp/charon-$2.out" 2>&1 </dev/null &
	charon_pid=$!
	pids="$pids $charon_pid"
	i=0
	until [ -S "$tmp/$2.vici" ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || die "charon $2 did not start"
		sleep 0.05
	done
}
charon_stop() {	# PID
	kill -TERM "$1" 2>/dev/null
	i=0
	while alive "$1" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	wait "$1" 2>/dev/null
}
charon_conf a
charon_conf b

# swanctl.conf connections: the tunnel "b" seen from side a (or a, from
# b), and SITES sites with no peer there (the Nth changed when CHANGE=N)
swan_tunnel() {	# NAME LOCAL REMOTE LTS RTS START
	cat <<EOC
    $1 {
        version = 2
        local_addrs = $2
        remote_addrs = $3
        proposals = aes256gcm16-prfsha256-ecp256
        unique = replace
        local { auth = psk
                id = $2 }
        remote { auth = psk
                 id = $3 }
        children {
            $1 {
                local_ts = $4
                remote_ts = $5
                esp_proposals = aes256gcm16-ecp256
                start_action = $6
            }
        }
    }
EOC
}
swan_secret() {	# NAME ID-A ID-B
	printf '    ike-%s {\n        id-a = %s\n        id-b = %s\n' "$1" "$2" "$3"
	printf '        secret = "%s"\n    }\n' "$PSK"
}
sites_swan() {	# CHANGE
	awk -v n="$SITES" -v ch="$1" 'BEGIN { for (i = 1; i <= n; i++) {
	    printf "    s%d {\n        version = 2\n", i
	    printf "        local_addrs = 172.31.63.1\n"
	    printf "        remote_addrs = 198.18.%d.%d\n", int(i / 250), i % 250 + 1
	    printf "        local { auth = psk }\n        remote { auth = psk }\n"
	    printf "        children { s%d { local_ts = 10.63.1.0/24\n", i
	    printf "            remote_ts = 10.%d.%d.0/24 } }\n    }\n",
		100 + int(i / 250), (i == ch) ? 250 : i % 250 } }'
}
{
	echo connections {
	swan_tunnel a 172.31.63.2 172.31.63.1 10.63.2.0/24 10.63.1.0/24 none
	echo "}"
	echo secrets {
	swan_secret a 172.31.63.1 172.31.63.2
	echo "}"
} >"$tmp/swanctl-b.conf"
swan_a() {	# CHANGE: side a's swanctl.conf: the tunnel, and SITES sites
	{
		echo connections {
		swan_tunnel b 172.31.63.1 172.31.63.2 10.63.1.0/24 \
		    10.63.2.0/24 start
		[ "$1" = none ] || sites_swan "$1"
		echo "}"
		echo secrets {
		swan_secret b 172.31.63.1 172.31.63.2
		echo "}"
	} >"$tmp/swanctl-a.conf"
}

# ---- edged ----

sites_edged() {	# CHANGE
	awk -v n="$SITES" -v ch="$1" 'BEGIN { for (i = 1; i <= n; i++) {
	    printf "ipsec s%d {\n    local 172.31.63.1\n", i
	    printf "    peer 198.18.%d.%d\n", int(i / 250), i % 250 + 1
	    printf "    authentication psk \"k%d\"\n", i
	    printf "    local-subnets 10.63.1.0/24\n"
	    printf "    peer-subnets 10.%d.%d.0/24\n", 100 + int(i / 250),
		(i == ch) ? 250 : i % 250
	    printf "    start never\n}\n" } }'
}
write_edged() {	# CHANGE (none: the tunnel alone)
	{
		edged_head
		printf 'vpn { vici-socket %s }\n' "$tmp/a.vici"
		printf '%s\n' 'ipsec b {' '    local 172.31.63.1' \
		    '    peer 172.31.63.2' "    authentication psk \"$PSK\"" \
		    '    local-subnets 10.63.1.0/24' \
		    '    peer-subnets 10.63.2.0/24' '    start always' '}'
		[ "$1" = none ] || sites_edged "$1"
	} >"$tmp/edged.conf"
	chmod 600 "$tmp/edged.conf"
}
ctl() { "$EDGECTL" -s "$tmp/edged.sock" "$@"; }

# ms from T0 until HA's ping reaches HB ("NA" after 30 s)
until_ping() {
	i=0
	until ip netns exec "$HA" ping -c 1 -W 0.2 10.63.2.2 >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 300 ] || { echo NA; return; }
		sleep 0.05
	done
	echo $(($(now_ms) - $1))
}
# connections charon A was given ("added" or "updated") so far
given() {
	grep -c 'vici connection:' "$tmp/charon-a.log" 2>/dev/null || echo 0
}

# ---- throughput: routed first, without IPsec ----

iperf_run() {	# SECONDS: HA to HB, in Mbit/s
	ip netns exec "$HA" iperf3 -c 10.63.2.2 -t "$1" -f m 2>/dev/null |
	    awk '/receiver/ { print $(NF - 2) }'
}
ip netns exec "$HB" iperf3 -s >"$tmp/iperf3-s.log" 2>&1 </dev/null &
iperf_pid=$!
pids="$pids $iperf_pid"
ip -n "$GA" route add 10.63.2.0/24 via 172.31.63.2
ip -n "$GB" route add 10.63.1.0/24 via 172.31.63.1
sleep 0.5
plain=$tmp/plain
: >"$plain"
for r in 1 2 3; do iperf_run "$SECONDS_IPERF" >>"$plain"; done
ip -n "$GA" route del 10.63.2.0/24
ip -n "$GB" route del 10.63.1.0/24

charon_start "$GB" b
charon_pid_b=$charon_pid
swanctl --load-all --noprompt --file "$tmp/swanctl-b.conf" \
    --uri "unix://$tmp/b.vici" >"$tmp/swanctl-b.out" 2>&1 ||
    die "swanctl could not load B: $(cat "$tmp/swanctl-b.out")"

echo "IPsec through charon (strongSwan $(/usr/lib/ipsec/charon --version \
    2>/dev/null | awk '{ print $NF }' | head -n 1), kernel-libipsec: ESP" \
    "in UDP in user space), $(uname -n), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  edged $EDGED ($("$EDGED" -v 2>&1 | head -n 1)); $ROUNDS rounds," \
    "$SITES sites"
echo
printf '%-5s %13s %13s %11s %11s %8s %8s %11s %11s\n' round \
    'edged up ms' 'swanctl up ms' 'edged add' 'swan add' 'edged 1' \
    'swan 1' 'edged given' 'swan given'
r=1
while [ "$r" -le "$ROUNDS" ]; do
	# edged: from its start to the tunnel
	charon_start "$GA" a
	charon_pid_a=$charon_pid
	write_edged none
	: >"$tmp/edged.log"
	t0=$(now_ms)
	ip netns exec "$GA" "$EDGED" -c "$tmp/edged.conf" \
	    >>"$tmp/edged.log" 2>&1 </dev/null &
	edged_master=$!
	pids="$pids $edged_master"
	e_up=$(until_ping "$t0")
	edged_wait_ready
	# SITES more, then one of them changed
	write_edged 0
	t0=$(now_ms)
	ctl reload >"$tmp/reload.out" 2>&1 ||
	    { cat "$tmp/reload.out" >&2; die "the reload adding sites failed"; }
	e_add=$(($(now_ms) - t0))
	g0=$(given)
	write_edged $((SITES / 2))
	t0=$(now_ms)
	ctl reload >"$tmp/reload.out" 2>&1 ||
	    { cat "$tmp/reload.out" >&2; die "the reload changing one failed"; }
	e_one=$(($(now_ms) - t0))
	e_given=$(($(given) - g0))
	kill -TERM "$edged_master"
	wait "$edged_master" 2>/dev/null
	charon_stop "$charon_pid_a"

	# swanctl: the same connections
	charon_start "$GA" a
	charon_pid_a=$charon_pid
	swan_a none
	t0=$(now_ms)
	swanctl --load-all --noprompt --file "$tmp/swanctl-a.conf" \
	    --uri "unix://$tmp/a.vici" >"$tmp/swanctl-a.out" 2>&1 ||
	    die "swanctl could not load A: $(cat "$tmp/swanctl-a.out")"
	s_up=$(until_ping "$t0")
	swan_a 0
	t0=$(now_ms)
	swanctl --load-all --noprompt --file "$tmp/swanctl-a.conf" \
	    --uri "unix://$tmp/a.vici" >"$tmp/swanctl-a.out" 2>&1 ||
	    die "swanctl could not load the sites"
	s_add=$(($(now_ms) - t0))
	g0=$(given)
	swan_a $((SITES / 2))
	t0=$(now_ms)
	swanctl --load-all --noprompt --file "$tmp/swanctl-a.conf" \
	    --uri "unix://$tmp/a.vici" >"$tmp/swanctl-a.out" 2>&1 ||
	    die "swanctl could not load the changed site"
	s_one=$(($(now_ms) - t0))
	s_given=$(($(given) - g0))
	[ "$r" -lt "$ROUNDS" ] && charon_stop "$charon_pid_a"

	printf '%-5s %13s %13s %11s %11s %8s %8s %11s %11s\n' "$r" "$e_up" \
	    "$s_up" "$e_add" "$s_add" "$e_one" "$s_one" "$e_given" "$s_given"
	echo "$e_up $s_up $e_add $s_add $e_one $s_one $e_given $s_given" \
	    >>"$results"
	r=$((r + 1))
done

# the tunnel swanctl brought up last carries iperf3
tunnel=$tmp/tunnel
: >"$tmp/tunnel"
for r in 1 2 3; do iperf_run "$SECONDS_IPERF" >>"$tunnel"; done

col() { awk -v c="$1" '{ print $c }' "$results" | median; }
ratio() {
	case "$1 $2" in *NA*) echo NA ;; *) awk -v a="$1" -v b="$2" \
	    'BEGIN { if (b > 0) printf "%.2f", a / b; else print "NA" }' ;;
	esac
}
echo
echo "medians over $ROUNDS rounds:"
echo "  start to tunnel: edged $(col 1) ms (its own start included)," \
    "swanctl --load-all $(col 2) ms"
echo "  $SITES sites added: edged reload $(col 3) ms, swanctl" \
    "--load-all $(col 4) ms"
echo "  one of them changed: edged reload $(col 5) ms, charon given" \
    "$(col 7) connection(s); swanctl $(col 6) ms, charon given $(col 8)"
echo "  ratios edged/swanctl: start $(ratio "$(col 1)" "$(col 2)")," \
    "add $(ratio "$(col 3)" "$(col 4)"), one $(ratio "$(col 5)" "$(col 6)")"
echo "  throughput HA to HB (iperf3, ${SECONDS_IPERF} s, 3 runs):" \
    "routed $(median <"$plain") Mbit/s; through the tunnel" \
    "$(median <"$tunnel") Mbit/s (kernel-libipsec, user space)"
[ "$(col 7)" = 1 ] ||
    problem "edged gave charon $(col 7) connections for one changed site"
print_problems
