#!/bin/sh
# tests/bench/l4kernel.sh - edged's l4-kernel virtual server (the kernel
# balances by itself: nftables DNAT through a map of slots in table inet
# edged) against edged's proxied `type tcp` virtual server, over the same
# pool and member, side by side.
#
#     sh tests/bench/l4kernel.sh     (as root, after building edged)
#
# Makes three network namespaces and removes them when it exits:
#
#   client C (10.77.1.2) --- [edge E, edged] --- member M (10.77.2.11)
#                          10.77.1.1  10.77.2.1
#
# M runs one single-worker nginx ("hello\n" on /, a sparse BULK_MIB file
# on /bulk with sendfile) and routes by default via E.  edged in E serves
# one pool with that member through two virtual servers on E's
# client-side address: `tcp` (type tcp, edged's worker relays every byte)
# on PORT_BASE and `l4-kernel` (no process on the data path) on
# PORT_BASE+1, both one-armed (edged masquerades to the member).  A third
# target, `routed`, is the member's own address, forwarded by E without
# NAT or balancing: the floor under both, what the client and the member
# alone can do on this machine.  Then, for ROUNDS rounds, the targets in
# an order that rotates from round to round (with two: alternates), from C:
#
#   newconn    wrk -t1 -cCONNS with "Connection: close": a new TCP
#              connection through the edge for every request
#              (connections/s)
#   keepalive  the same over HTTP keep-alive: requests/s
#   bulk       curl downloading the BULK_MIB file BULK_RUNS times: MiB/s
#
# The edge's CPU.  edged's worker's CPU (utime + stime of the process,
# /proc/PID/stat, as tcp.sh reads the proxies') is printed for every run
# (~0 for l4-kernel), but the kernel path's work is in no process of the
# edge: it is softirq and system time, spent in whatever context the
# packets cross the namespaces in (veth hands a packet on in the sender's
# softirq: the client's, nginx's).  So the fair figure is the whole
# machine's CPU (user + nice + system + irq + softirq from /proc/stat)
# per connection (newconn), per request (keepalive) or per GiB (bulk).
# It holds the client's and the member's work too, about the same for
# every target, so the ratio l4-kernel/tcp of machine figures understates
# the edge's own difference.  Hence "beyond routing": each target's
# machine figure less routed's in the same round, the edge's own cost
# over plain forwarding (for tcp it should come near edged's worker's).
# On a shared machine other loads land in the machine's figure as well:
# `other%` is the CPU of every user-space process that is not the
# bench's (not this script nor a descendant; with the children they
# reaped, so that a compiler that came and went counts), `net` the
# machine's figure less that; kernel threads stay in.
#
# Prints every run, then medians, the medians of the per-round ratios
# l4-kernel/tcp of requests/s (connections/s, MiB/s) and of machine CPU
# per connection, request or GiB (below 1: the kernel path spends less),
# and the costs beyond routing.  Also: the SYNs that waited (the
# `stalls` column), and the new flows the kernel counted for the member
# against the requests wrk completed.  It never fails on a number; it
# exits non-zero only when it cannot run.
#
# In the namespaces only: the client may reuse a port that its TIME_WAIT
# holds (tcp_tw_reuse 1, as loopback has by default), and with
# SPLIT_PORTS the client and the edge draw their ports from ranges apart
# (see the comment where they are set for both).
#
# CPU placement: PIN=none by default.  The kernel path runs on the CPU
# that sends each packet, that is on the client's and the member's;
# pinning the client and nginx to one CPU and edged to the other
# (PIN=auto, as tcp.sh does) would confine l4-kernel to one CPU while the
# proxied path gets two.
#
# Environment (defaults in brackets):
#   EDGED_BUILD    build directory with edged and edgectl [../../build]
#   ROUNDS         rounds [3]
#   DURATION       seconds per wrk run [5]
#   CONNS          wrk connections [50]
#   BULK_MIB       size of the bulk file, MiB [1024]
#   BULK_RUNS      downloads per bulk run [2]
#   SCENARIOS      any of newconn keepalive bulk [all three]
#   TARGETS        any of tcp l4-kernel routed [all three]
#   PIN            none, or auto as bench.sh [none]
#   PROXY_CPUS, BACKEND_CPUS, CLIENT_CPUS: taskset lists for edged,
#                  nginx and the clients (override PIN)
#   PORT_BASE      tcp on PORT_BASE, l4-kernel on +1, nginx on +2 (all
#                  inside the namespaces); within 31000-31989 [31800]
#   SPLIT_PORTS    1: the client and the edge pick their ports from
#                  ranges apart (40000-60999, 10000-30999); 0: both the
#                  kernel's default, where the two paths' tuples meet in
#                  the member's TIME_WAIT and connections stall [1]
#   KEEP_TMP       1 = keep the temporary directory
set -u

here=$(cd "$(dirname "$0")" && pwd)
me=l4kernel-bench
. "$here/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNS=${CONNS:-50}
BULK_MIB=${BULK_MIB:-1024}
BULK_RUNS=${BULK_RUNS:-2}
SCENARIOS=${SCENARIOS:-newconn keepalive bulk}
TARGETS=${TARGETS:-tcp l4-kernel routed}
PIN=${PIN:-none}
PORT_BASE=${PORT_BASE:-31800}
SPLIT_PORTS=${SPLIT_PORTS:-1}
KEEP_TMP=${KEEP_TMP:-0}

need_uint ROUNDS DURATION CONNS BULK_MIB BULK_RUNS PORT_BASE
for s in $SCENARIOS; do
	case $s in keepalive | newconn | bulk) ;;
	*) die "SCENARIOS: newconn, keepalive or bulk, not '$s'" ;; esac
done
for t in $TARGETS; do
	case $t in tcp | l4-kernel | routed) ;;
	*) die "TARGETS: tcp, l4-kernel or routed, not '$t'" ;; esac
done
[ "$ROUNDS" -ge 1 ] && [ "$DURATION" -ge 1 ] && [ "$BULK_RUNS" -ge 1 ] &&
    [ "$CONNS" -ge 1 ] && [ "$BULK_MIB" -ge 1 ] ||
    die "ROUNDS, DURATION, CONNS, BULK_MIB and BULK_RUNS must be at least 1"
case $PIN in auto | none) ;; *) die "PIN: 'auto' or 'none'" ;; esac
case $SPLIT_PORTS in 0 | 1) ;; *) die "SPLIT_PORTS: 0 or 1" ;; esac
[ "${CAP:-0}" = 0 ] || die "CAP does not apply: the kernel path is in no cgroup"
need_port_base 31989

TCP_PORT=$PORT_BASE
L4K_PORT=$((PORT_BASE + 1))
WEB_PORT=$((PORT_BASE + 2))
VIP=10.77.1.1
MEMBER=10.77.2.11
NS_C=edged-l4kb-c-$$
NS_E=edged-l4kb-e-$$
NS_M=edged-l4kb-m-$$

need_tools wrk nginx curl ip ss awk sort timeout
raise_nofile
pick_cpus
make_tmp edged-bench-l4k

# ---- the namespaces (lib.sh's netns_add: gone on exit) ----

inC() { ip netns exec "$NS_C" "$@"; }
inE() { ip netns exec "$NS_E" "$@"; }
inM() { ip netns exec "$NS_M" "$@"; }

netns_add "$NS_C"
netns_add "$NS_E"
netns_add "$NS_M"
netns_link "$NS_C" c0 10.77.1.2/24 "$NS_E" a0 "$VIP/24"
netns_link "$NS_E" b0 10.77.2.1/24 "$NS_M" m0 "$MEMBER/24"
ip -n "$NS_C" route add default via "$VIP" &&
    ip -n "$NS_M" route add default via 10.77.2.1 ||
    die "cannot add the default routes"

# The client may reuse a port its TIME_WAIT holds (tcp_tw_reuse 1, what
# loopback gets by default): through the proxied virtual server the
# client often closes before edged's FIN arrives (both ends then go
# through TIME_WAIT), and with the default (2: loopback only) its 21,000
# ports run out within seconds at thousands of connections a second.
#
# Both virtual servers reach the member from the edge's address 10.77.2.1:
# the proxied one from ports the edge's kernel picks, the l4-kernel one
# masqueraded, which keeps the client's port.  The member closes first
# ("Connection: close"), so its TIME_WAIT sockets hold both kinds of
# tuples, and a SYN on a tuple the other path used last carries another
# host's timestamps: the member rejects it (PAWS, TcpExtPAWSTimewait) and
# the connection waits a 1 s SYN retransmission.  With SPLIT_PORTS=1 the
# client and the edge pick ports from ranges apart so that the two never
# meet; SPLIT_PORTS=0 shows the stalls.
inC sh -c 'echo 1 >/proc/sys/net/ipv4/tcp_tw_reuse' ||
    die "cannot set tcp_tw_reuse in $NS_C"
if [ "$SPLIT_PORTS" = 1 ]; then
	inC sh -c 'echo 40000 60999 >/proc/sys/net/ipv4/ip_local_port_range' &&
	    inE sh -c 'echo 10000 30999 >/proc/sys/net/ipv4/ip_local_port_range' ||
	    die "cannot set the namespaces' port ranges"
fi

# ns_wait_http NS URL TENTHS: waits up to TENTHS tenths of a second for
# URL to answer 200 from namespace NS
ns_wait_http() {
	i=0
	while [ $i -lt "$3" ]; do
		code=$(ip netns exec "$1" curl -s -o /dev/null -w '%{http_code}' \
		    --max-time 1 "$2" 2>/dev/null)
		[ "$code" = 200 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# ---- the member: one nginx in M ----

d=$tmp/web
mkdir "$d" "$d/htdocs"
truncate -s "${BULK_MIB}M" "$d/htdocs/bulk"	# sparse: no disk
chmod -R a+rX "$d/htdocs"
cat >"$d/nginx.conf" <<EOC
worker_processes 1;
worker_rlimit_nofile $nofile;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections $maxconn; multi_accept on; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    default_type text/plain;
    sendfile on;
    open_file_cache max=16;
    open_file_cache_valid 300s;
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    server {
        listen $MEMBER:$WEB_PORT backlog=4096;
        location = /bulk { root $d/htdocs; }
        location / { return 200 "hello\n"; }
    }
}
EOC
$(pin "$BACKEND_CPUS") ip netns exec "$NS_M" nginx -c "$d/nginx.conf" \
    -p "$d/" >"$d/stdout" 2>&1 </dev/null &
nginx_master=$!
pids="$pids $nginx_master"
ns_wait_http "$NS_M" "http://$MEMBER:$WEB_PORT/" 50 ||
    die "nginx in $NS_M did not start: $(cat "$d/stdout" "$d/error.log" 2>/dev/null)"

# ---- edged in E: one pool, a proxied and an l4-kernel virtual server ----

mkdir "$tmp/state"
cat >"$tmp/edged.conf" <<EOC
global {
    workers 1
    user edged
    control-socket $tmp/edged.sock
    state-directory $tmp/state
    max-connections 4096
}
defaults {
    timeout connect 5s
    timeout client 30s
    timeout server 30s
}
application-profile relay { type tcp }
application-profile kernel { type l4-kernel }
pool p {
    algorithm round-robin
    member m1 $MEMBER:$WEB_PORT
}
virtual-server tcp {
    listen $VIP:$TCP_PORT
    profile relay
    default-pool p
}
virtual-server l4k {
    listen $VIP:$L4K_PORT
    profile kernel
    default-pool p
}
EOC
"$EDGED" -t -c "$tmp/edged.conf" >"$tmp/check.log" 2>&1 || {
	cat "$tmp/check.log" >&2
	die "edged rejects the configuration"
}
: >"$tmp/edged.log"
$(pin "$PROXY_CPUS") ip netns exec "$NS_E" "$EDGED" -c "$tmp/edged.conf" \
    >>"$tmp/edged.log" 2>&1 </dev/null &
edged_master=$!
pids="$pids $edged_master"
edged_wait_ready

# edgectl show l4-kernel --json: l4k's member in the kernel's map, and
# klb_flows the new flows the kernel counted for it
klb_json() {
	timeout 5 "$EDGECTL" -s "$tmp/edged.sock" show l4-kernel --json 2>/dev/null
}
klb_flows() {	# twice if need be: the machine may be busy
	n=$(klb_json | sed -n 's/.*"flows":\([0-9]*\).*/\1/p')
	is_uint "$n" || n=$(klb_json | sed -n 's/.*"flows":\([0-9]*\).*/\1/p')
	echo "$n"
}

url_of() {	# TARGET: the URL of / through it, from C
	case $1 in
	tcp) echo "http://$VIP:$TCP_PORT" ;;
	l4-kernel) echo "http://$VIP:$L4K_PORT" ;;
	routed) echo "http://$MEMBER:$WEB_PORT" ;;
	esac
}

for t in $TARGETS; do
	ns_wait_http "$NS_C" "$(url_of "$t")/" 50 || {
		cat "$tmp/edged.log" >&2
		die "$t: nothing answers 200 on $(url_of "$t")/ from the client"
	}
	got=$(inC curl -s --max-time 120 -o /dev/null -w '%{size_download}' \
	    "$(url_of "$t")/bulk")
	[ "$got" = $((BULK_MIB * 1048576)) ] ||
	    die "$t: the bulk file came as $got bytes"
done
[ -z "$(inE ss -Htln "sport = :$L4K_PORT")" ] ||
    problem "something listens on the l4-kernel port $L4K_PORT in the edge"
case $(klb_json) in
*'"slots":0,'* | '') problem "the member has no slot in the kernel's map" ;;
esac

echo "edged l4-kernel vs edged tcp (proxied) on $(uname -n)," \
    "$(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r)"
echo "  edged   $EDGED ($("$EDGED" -v 2>&1 | head -n 1)), worker pid $edged_pid"
echo "  client $NS_C 10.77.1.2 -> edge $NS_E $VIP (tcp :$TCP_PORT," \
    "l4-kernel :$L4K_PORT) -> member $NS_M $MEMBER:$WEB_PORT (nginx, 1 worker)"
echo "  scenarios: $SCENARIOS; targets: $TARGETS; wrk -t1 -c$CONNS" \
    "-d${DURATION}s; bulk: ${BULK_MIB} MiB x $BULK_RUNS; $ROUNDS rounds"
echo "  cpus: $ncpu; edged on [${PROXY_CPUS:-any}], nginx on" \
    "[${BACKEND_CPUS:-any}], clients on [${CLIENT_CPUS:-any}];" \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  ephemeral ports: client $(inC cat /proc/sys/net/ipv4/ip_local_port_range |
    tr '\t' -), edge $(inE cat /proc/sys/net/ipv4/ip_local_port_range |
    tr '\t' -) (SPLIT_PORTS=$SPLIT_PORTS); client tcp_tw_reuse 1"
echo

# ---- measuring ----

# CPU ticks of every user-space process that is not the bench's: not
# this shell nor a descendant, not a kernel thread; with the children
# they reaped, so that short-lived ones (a compiler) count too
others_ticks() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v me=$$ '{
		pid = $1; s = $0; sub(/^.*\) /, "", s); split(s, f, " ")
		pp[pid] = f[2]; t[pid] = f[12] + f[13] + f[14] + f[15] }
	    END {
		ours[me] = 1
		do { more = 0
			for (p in pp) if (!(p in ours) && (pp[p] in ours)) {
				ours[p] = 1; more = 1 } } while (more)
		for (p in pp) if (!(p in ours) && p != 2 && pp[p] != 2)
			n += t[p]
		printf "%.0f\n", n }'
}

# machine busy ticks (user + nice + system + irq + softirq) and softirq
machine_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $8 }' /proc/stat
}

# tcp_stalls: SYN retransmissions in the client and the edge, plus SYNs
# the member refused in TIME_WAIT (PAWS; the client's or the edge's
# retransmission follows each): anything but 0 means connections waited
# a second or more
tcp_stalls() {
	for ns in "$NS_C" "$NS_E" "$NS_M"; do
		ip netns exec "$ns" cat /proc/net/netstat
	done | awk '/^TcpExt:/ {	# a line of names, then one of values
		if (!h) { for (i = 2; i <= NF; i++) n[i] = $i; h = 1; next }
		for (i = 2; i <= NF; i++)
			if (n[i] == "TCPSynRetrans" || n[i] == "PAWSTimewait")
				t += $i
		h = 0 }
	    END { print t + 0 }'
}

# snap_begin just before a run, snap_end as soon as it ends: sets
# w0/w1 (edged's worker), b0/b1 (machine), q0/q1 (softirq), o0/o1 (other
# loads), ms0/ms1
snap_begin() {
	st0=$(tcp_stalls)
	o0=$(others_ticks)
	w0=$(cpu_ticks "$edged_pid")
	set -- $(machine_ticks)
	b0=$1 q0=$2
	ms0=$(now_ms)
}
snap_end() {
	ms1=$(now_ms)
	set -- $(machine_ticks)
	b1=$1 q1=$2
	w1=$(cpu_ticks "$edged_pid")
	o1=$(others_ticks)
	stalls=$(($(tcp_stalls) - st0))
}

# record ROUND SCENARIO TARGET VALUE P99 UNITS BULK: a line in $results
# with the CPU of the span between the snaps: edged% mach% sirq% other%
# (of one CPU), edged's, the machine's and the machine's less other
# loads' CPU per unit, and the stalls; UNITS is requests (BULK 0: us per
# request) or GiB (BULK 1: CPU-seconds per GiB)
record() {
	awk -v r="$1" -v sc="$2" -v tg="$3" -v v="$4" -v p="$5" -v u="$6" \
	    -v w=$((${w1:-0} - ${w0:-0})) -v b=$((b1 - b0)) -v q=$((q1 - q0)) \
	    -v o=$((o1 - o0)) -v hz="$HZ" -v ms=$((ms1 - ms0)) -v bulk="$7" \
	    -v st="$stalls" \
	    'function pct(x) { return sprintf("%.0f", x * 100000 / hz / ms) }
	    function per(x) {
		if (u == "NA" || u <= 0) return "NA"
		return sprintf(bulk ? "%.3f" : "%.1f",
		    x / hz / u * (bulk ? 1 : 1000000)) }
	    BEGIN {
		if (w < 0) w = 0
		n = b - o; if (n < 0) n = 0
		print r, sc, tg, v, p, pct(w), pct(b), pct(q), pct(o), \
		    per(w), per(b), per(n), st }' >>"$results"
}

# run_wrk ROUND SCENARIO TARGET
run_wrk() {
	out=$tmp/runs/r$1-$2-$3.txt
	hdr=''
	[ "$2" = newconn ] && hdr='Connection: close'
	f0=''
	[ "$2$3" = newconnl4-kernel ] && f0=$(klb_flows)
	snap_begin
	timeout $((DURATION + 30)) $(pin "$CLIENT_CPUS") \
	    ip netns exec "$NS_C" wrk -t1 -c"$CONNS" -d"${DURATION}s" \
	    --latency ${hdr:+-H "$hdr"} "$(url_of "$3")/" >"$out" 2>&1
	rc=$?
	snap_end
	wrk_figures "$out"
	if [ $rc -ne 0 ] || [ -z "$rps" ]; then
		problem "wrk against $3 ($2, round $1) failed (rc $rc): $(tail -n 3 "$out" | tr '\n' ' ')"
		rps=NA p99=NA
	fi
	[ "$errs" = - ] || problem "wrk against $3 ($2, round $1): $errs"
	if [ "$2$3" = newconnl4-kernel ]; then	# a flow per connection
		f1=$(klb_flows)
		n=$(awk '/ requests in / { print $1 }' "$out")
		if is_uint "$f0" && is_uint "$f1" && is_uint "$n"; then
			echo "$((f1 - f0)) $n" >>"$tmp/flows"
		else
			problem "round $1: no flow count from edgectl show" \
			    "l4-kernel (before '$f0', after '$f1')"
		fi
	fi
	units=NA
	[ "$rps" != NA ] && units=$(awk -v r="$rps" -v ms=$((ms1 - ms0)) \
	    'BEGIN { printf "%.0f", r * ms / 1000 }')
	record "$1" "$2" "$3" "$rps" "$p99" "$units" 0
}

# run_bulk ROUND TARGET: MiB/s in the value column
run_bulk() {
	snap_begin
	k=0 bytes=0
	while [ $k -lt "$BULK_RUNS" ]; do
		got=$($(pin "$CLIENT_CPUS") ip netns exec "$NS_C" curl -s \
		    --max-time 300 -o /dev/null -w '%{size_download}' \
		    "$(url_of "$2")/bulk")
		bytes=$((bytes + ${got:-0}))
		k=$((k + 1))
	done
	snap_end
	[ "$bytes" -eq $((BULK_MIB * 1048576 * BULK_RUNS)) ] ||
	    problem "bulk through $2 (round $1): $bytes bytes"
	set -- "$1" "$2" $(awk -v b="$bytes" -v ms=$((ms1 - ms0)) 'BEGIN {
		printf "%.0f %.6f\n", b / 1048576 / (ms / 1000), b / 1073741824 }')
	record "$1" bulk "$2" "$3" - "$4" 1
}

# round_order ROUND: the targets, rotated by one each round (with two:
# which goes first alternates)
round_order() {
	k=$1
	set -- $TARGETS
	k=$(( (k - 1) % $# ))
	while [ "$k" -gt 0 ]; do
		first=$1
		shift
		set -- "$@" "$first"
		k=$((k - 1))
	done
	echo "$@"
}

for t in $TARGETS; do
	timeout 30 $(pin "$CLIENT_CPUS") ip netns exec "$NS_C" wrk -t1 \
	    -c"$CONNS" -d1s "$(url_of "$t")/" >/dev/null 2>&1
done

line_fmt='%-5s %-9s %-9s %8s %7s %6s %5s %5s %6s %8s %8s %8s %6s\n'
printf "$line_fmt" round scenario target value p99ms 'edged%' 'mach%' \
    'sirq%' 'other%' edged/u mach/u net/u stalls
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for sc in $SCENARIOS; do
		for t in $(round_order "$r"); do
			if [ "$sc" = bulk ]; then
				run_bulk "$r" "$t"
			else
				run_wrk "$r" "$sc" "$t"
			fi
		done
		grep "^$r $sc " "$results" | while read -r l; do
			printf "$line_fmt" $l
		done
	done
	r=$((r + 1))
done
echo "(value: req/s, bulk MiB/s; edged%, mach%, sirq%, other%: % of one" \
    "CPU; /u: CPU-us per request, bulk CPU-s per GiB; stalls: SYN" \
    "retransmissions + SYNs refused in TIME_WAIT)"
echo

# ---- summary ----

field() {	# SCENARIO TARGET COLUMN
	awk -v s="$1" -v t="$2" -v f="$3" '$2 == s && $3 == t { print $f }' \
	    "$results"
}
ratios() {	# SCENARIO COLUMN: per-round l4-kernel/tcp
	awk -v s="$1" -v f="$2" '$2 == s { val[$1, $3] = $f; rounds[$1] = 1 }
	    END { for (r in rounds) {
		k = val[r, "l4-kernel"]; t = val[r, "tcp"]
		if (k == "NA" || t == "NA" || k == "" || t == "" || t == 0)
			print "NA"
		else printf "%.3f\n", k / t } }' "$results"
}
beyond() {	# SCENARIO TARGET|ratio: per round, net/u less routed's
	awk -v s="$1" -v t="$2" '$2 == s { v[$1, $3] = $12; rounds[$1] = 1 }
	    END { for (r in rounds) {
		b = v[r, "routed"]; k = v[r, "l4-kernel"]; p = v[r, "tcp"]
		if (b == "NA" || b == "") { print "NA"; continue }
		if (t != "ratio") {
			x = v[r, t]
			print (x == "NA" || x == "") ? "NA" : x - b
		} else if (k == "NA" || p == "NA" || k == "" || p == "" ||
		    p - b <= 0)
			print "NA"
		else printf "%.3f\n", (k - b) / (p - b) } }' "$results"
}
med() {		# SCENARIO TARGET COLUMN
	field "$1" "$2" "$3" | median
}
fmt_cost() {	# a per-request cost in us, or a per-GiB one in CPU-s
	case $1 in NA) echo NA ;; *) awk -v v="$1" -v b="$2" 'BEGIN {
	    printf(b ? "%.3f" : "%.1f", v) }' ;; esac
}

echo "medians over $ROUNDS round(s) (units as above)"
sum_fmt='%-9s %-9s %8s %7s %6s %8s %8s %8s\n'
printf "$sum_fmt" scenario target value p99 'sirq%' edged/u mach/u net/u
for sc in $SCENARIOS; do
	bulk=0
	[ "$sc" = bulk ] && bulk=1
	for t in $TARGETS; do
		p99=-
		[ $bulk = 1 ] || p99=$(fmt_ms "$(med "$sc" "$t" 5)")
		printf "$sum_fmt" "$sc" "$t" "$(fmt_num "$(med "$sc" "$t" 4)")" \
		    "$p99" "$(fmt_num "$(med "$sc" "$t" 8)")" \
		    "$(fmt_cost "$(med "$sc" "$t" 10)" $bulk)" \
		    "$(fmt_cost "$(med "$sc" "$t" 11)" $bulk)" \
		    "$(fmt_cost "$(med "$sc" "$t" 12)" $bulk)"
	done
done
case " $TARGETS " in *" tcp "*) case " $TARGETS " in *" l4-kernel "*)
	echo
	echo "l4-kernel / tcp, medians of the per-round ratios (machine CPU:" \
	    "below 1, the kernel path spends less):"
	for sc in $SCENARIOS; do
		case $sc in
		newconn) what='connections/s' per='per connection' ;;
		keepalive) what='requests/s' per='per request' ;;
		bulk) what='MiB/s' per='per GiB' ;;
		esac
		printf '  %-9s %s %s; machine CPU %s %s (net of other loads %s)\n' \
		    "$sc" "$what" "$(fmt_ratio "$(ratios "$sc" 4 | median)")" \
		    "$per" "$(fmt_ratio "$(ratios "$sc" 11 | median)")" \
		    "$(fmt_ratio "$(ratios "$sc" 12 | median)")"
	done ;;
esac ;; esac
case " $TARGETS " in *" routed "*)
	echo
	echo "beyond routing: net machine CPU less routed's in the same round" \
	    "(the edge's own cost over forwarding), medians:"
	for sc in $SCENARIOS; do
		bulk=0 per='us per request'
		case $sc in
		newconn) per='us per connection' ;;
		bulk) bulk=1 per='CPU-s per GiB' ;;
		esac
		line=''
		for t in $TARGETS; do
			[ "$t" = routed ] && continue
			line="$line, $t $(fmt_cost "$(beyond "$sc" "$t" | median)" $bulk)"
		done
		case " $TARGETS " in *" tcp "*) case " $TARGETS " in *" l4-kernel "*)
			line="$line; l4-kernel/tcp $(fmt_ratio "$(beyond "$sc" ratio | median)")"
		esac ;; esac
		printf '  %-9s %s:%s\n' "$sc" "$per" "${line#,}"
	done ;;
esac
awk '$9 != "NA" && $9 >= 20 { n++ } END { if (n > 0)
    printf "disturbed: %d of %d runs had other%% >= 20\n", n, NR }' "$results"
n=$(awk '{ n += $13 } END { print n + 0 }' "$results")
[ "$n" -eq 0 ] || problem "$n SYN retransmissions + SYNs refused in" \
    "TIME_WAIT (connections waited; see the stalls column)"
if [ -s "$tmp/flows" ]; then
	set -- $(awk '{ f += $1; q += $2 } END { print f + 0, q + 0 }' "$tmp/flows")
	echo "l4-kernel newconn: the kernel counted $1 new flows to the member," \
	    "wrk completed $2 requests"
	[ "$1" -ge "$2" ] ||
	    problem "l4-kernel: fewer flows counted ($1) than requests ($2)"
fi
echo
echo "edgectl show l4-kernel:"
timeout 5 "$EDGECTL" -s "$tmp/edged.sock" show l4-kernel 2>&1 | sed 's/^/  /'

msgs=$(grep -v '^<[67]>' "$tmp/edged.log" | grep -v '^$')
[ -z "$msgs" ] || problem "edged printed: $(echo "$msgs" | head -n 5 | tr '\n' '|')"
alive "$edged_pid" || problem "the edged worker $edged_pid is gone"
alive "$nginx_master" || problem "nginx $nginx_master is gone"
echo
echo "load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
print_problems
exit 0
