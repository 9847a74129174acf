#!/bin/sh
# tests/bench/udp.sh - edged's udp profile against nginx's stream module
# (Debian's libnginx-mod-stream) proxying UDP, side by side.
#
#     sh tests/bench/udp.sh          (as root, after building edged)
#
# Starts two dnsmasq (the members, each answering every name), edged with
# a `type udp` virtual server (udp-responses 1) and nginx with a stream
# `listen ... udp` server (proxy_responses 1), one worker each,
# round-robin over the two, then, for ROUNDS rounds, in an order that
# alternates from round to round, runs dnsperf for DURATION seconds
# through each proxy with CLIENTS sockets and MAXQ queries out at most:
# queries per second, and queries per CPU-second of the proxy (its
# worker's and master's CPU over the run).
#
# Prints every run, then medians, and the medians of the per-round ratios
# edged/nginx.  Issue 17's target: 1.2x nginx per CPU-second.  It never
# fails on a number; it exits non-zero only when it cannot run.
#
# Environment (defaults in brackets):
#   EDGED_BUILD    build directory with edged and edgectl [../../build]
#   ROUNDS         rounds [3]
#   DURATION       seconds per dnsperf run [5]
#   CLIENTS        dnsperf sockets [8]
#   MAXQ           dnsperf queries outstanding [100]
#   PIN, PROXY_CPUS, BACKEND_CPUS, CLIENT_CPUS, CAP: as bench.sh
#   PORT_BASE      edged on PORT_BASE, dnsmasq on +1 and +2, nginx on
#                  +10; within 31000-31989 [31700]
#   KEEP_TMP       1 = keep the temporary directory
set -u

here=$(cd "$(dirname "$0")" && pwd)
me=udp-bench
. "$here/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CLIENTS=${CLIENTS:-8}
MAXQ=${MAXQ:-100}
PIN=${PIN:-auto}
NGINX=one
PORT_BASE=${PORT_BASE:-31700}
KEEP_TMP=${KEEP_TMP:-0}

need_uint ROUNDS DURATION CLIENTS MAXQ PORT_BASE
[ "$ROUNDS" -ge 1 ] && [ "$DURATION" -ge 1 ] ||
    die "ROUNDS and DURATION must be at least 1"
need_port_base 31989
check_placement

EDGE_PORT=$PORT_BASE
DNS1_PORT=$((PORT_BASE + 1))
DNS2_PORT=$((PORT_BASE + 2))
NGX_PORT=$((PORT_BASE + 10))
STREAM_MOD=/usr/lib/nginx/modules/ngx_stream_module.so

need_tools dnsperf dnsmasq dig nginx awk sort
[ -f "$STREAM_MOD" ] ||
    die "$STREAM_MOD is missing: apt-get install libnginx-mod-stream"
need_free_ports $EDGE_PORT $DNS1_PORT $DNS2_PORT $NGX_PORT
raise_nofile
pick_cpus
make_tmp edged-bench-udp

procs_ticks() {
	t=0
	for p in $edged_master $edged_pid $ngx_pid $dns_pids; do
		c=$(cpu_ticks "$p")
		t=$((t + ${c:-0}))
	done
	echo "$t"
}

# ---- dnsmasq, edged and nginx ----

dns_pids=''
for port in $DNS1_PORT $DNS2_PORT; do
	$(pin "$BACKEND_CPUS") dnsmasq --keep-in-foreground --port="$port" \
	    --listen-address=127.0.0.1 --bind-interfaces --no-resolv \
	    --no-hosts --address=/#/192.0.2.1 --pid-file= \
	    --conf-file=/dev/null --user=nobody --cache-size=0 \
	    --dns-forward-max=10000 >"$tmp/dnsmasq-$port.log" 2>&1 </dev/null &
	dns_pids="$dns_pids $!"
	pids="$pids $!"
done

maxconn=100000
{
	edged_head
	cat <<EOC
application-profile dns { type udp; udp-responses 1 }
pool p {
    algorithm round-robin
    member d1 127.0.0.1:$DNS1_PORT
    member d2 127.0.0.1:$DNS2_PORT
}
virtual-server v {
    listen 127.0.0.1:$EDGE_PORT
    profile dns
    default-pool p
}
EOC
} >"$tmp/edged.conf"
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx.conf" <<EOC
load_module $STREAM_MOD;
daemon off;
master_process on;
worker_processes 1;
user edged;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 65536; }
stream {
    upstream dns {
        server 127.0.0.1:$DNS1_PORT;
        server 127.0.0.1:$DNS2_PORT;
    }
    server {
        listen 127.0.0.1:$NGX_PORT udp reuseport;
        proxy_pass dns;
        proxy_responses 1;
        proxy_timeout 10s;
    }
}
EOC
"$EDGED" -t -c "$tmp/edged.conf" >/dev/null 2>&1 ||
    die "the edged configuration: $("$EDGED" -t -c "$tmp/edged.conf" 2>&1)"
nginx -t -p "$tmp/nginx" -c "$tmp/nginx.conf" >/dev/null 2>&1 ||
    die "the nginx configuration: $(nginx -t -p "$tmp/nginx" -c "$tmp/nginx.conf" 2>&1)"
start_edged
cap_make nginx
$(pin "$PROXY_CPUS") $(capped nginx) nginx -p "$tmp/nginx" -c "$tmp/nginx.conf" \
    >"$tmp/nginx.log" 2>&1 </dev/null &
ngx_master=$!
pids="$pids $ngx_master"
ngx_pid=''
for port in $DNS1_PORT $DNS2_PORT $EDGE_PORT $NGX_PORT; do
	i=0
	until dig +short +tries=1 +time=1 -p "$port" @127.0.0.1 a.test A \
	    >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 20 ] || die "no DNS answer through 127.0.0.1:$port"
		sleep 0.2
	done
done
ngx_pid=$(pgrep -P "$ngx_master" | head -n 1)
[ -n "$ngx_pid" ] || die "no nginx worker"
ngx_pid="$ngx_pid $ngx_master"

i=0
while [ $i -lt 20000 ]; do
	echo "q$i.test A"
	i=$((i + 1))
done >"$tmp/queries"

echo "edged udp vs nginx stream udp on $(uname -n), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  edged $EDGED ($("$EDGED" -v 2>&1 | head -n 1)), worker pid $edged_pid"
echo "  nginx $(nginx -v 2>&1 | cut -d' ' -f3) stream, worker pid ${ngx_pid%% *}"
echo "  dnsperf -c$CLIENTS -q$MAXQ -l${DURATION}s; $ROUNDS rounds"
echo "  cpus: $ncpu; proxy on [${PROXY_CPUS:-any}], dnsmasq on" \
    "[${BACKEND_CPUS:-any}], dnsperf on [${CLIENT_CPUS:-any}]$(cap_desc)"
echo

# ---- runs ----

# the proxy's CPU ticks, every process of it
proxy_ticks() {
	t=0
	for p in $1; do
		c=$(cpu_ticks "$p")
		t=$((t + ${c:-0}))
	done
	echo "$t"
}

# run_dnsperf ROUND TARGET PORT PIDS: one line in $results:
# round udp target qps lost% cpu% other%
run_dnsperf() {
	round=$1 target=$2 port=$3 tpids=$4
	out=$tmp/runs/r$round-$target.txt
	t0=$(proxy_ticks "$tpids")
	run_begin
	timeout $((DURATION + 30)) $(pin "$CLIENT_CPUS") dnsperf -s 127.0.0.1 \
	    -p "$port" -d "$tmp/queries" -c "$CLIENTS" -q "$MAXQ" \
	    -l "$DURATION" -t 2 >"$out" 2>&1
	rc=$?
	run_end
	other_cpu
	t1=$(proxy_ticks "$tpids")
	cpu=$(cpu_pct "$t0" "$t1")
	qps=$(sed -n 's/^ *Queries per second: *\([0-9.]*\).*/\1/p' "$out")
	lost=$(sed -n 's/^ *Queries lost: *[0-9]* (\([0-9.]*\)%).*/\1/p' "$out")
	if [ $rc -ne 0 ] || [ -z "$qps" ]; then
		problem "dnsperf against $target (round $round) failed (rc $rc): $(tail -n 3 "$out" | tr '\n' ' ')"
		qps=NA lost=NA
	fi
	echo "$round udp $target ${qps%.*} $lost $cpu $other" >>"$results"
}

mkdir -p "$tmp/runs"
results=$tmp/results
: >"$results"
printf '%-5s %-8s %10s %7s %6s %7s\n' round target 'queries/s' 'lost%' \
    'cpu%' 'other%'
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for t in $(round_order "$r" | sed 's/haproxy/nginx/'); do
		case $t in
		edged) run_dnsperf "$r" edged $EDGE_PORT "$edged_pid $edged_master" ;;
		nginx) run_dnsperf "$r" nginx $NGX_PORT "$ngx_pid" ;;
		esac
	done
	grep "^$r udp " "$results" | while read -r _r _s tg v l c o; do
		printf '%-5s %-8s %10s %7s %6s %7s\n' "$_r" "$tg" "$v" "$l" \
		    "$c" "$o"
	done
	r=$((r + 1))
done
echo

# ---- summary ----

field() {	# TARGET COLUMN
	awk -v t="$1" -v f="$2" '$3 == t { print $f }' "$results"
}
eff() {		# TARGET: queries per CPU-second
	awk -v t="$1" '$3 == t && $6 > 0 && $4 != "NA" { print $4 * 100 / $6 }' \
	    "$results"
}
ratios() {	# v | eff: per-round edged/nginx
	awk -v f="$1" '{
		v = $4
		if (f == "eff") v = ($6 > 0 && $4 != "NA") ? $4 / $6 : "NA"
		val[$1, $3] = v; rounds[$1] = 1 }
	    END { for (r in rounds) {
		e = val[r, "edged"]; n = val[r, "nginx"]
		if (e == "NA" || n == "NA" || e == "" || n == "" || n == 0)
			print "NA"
		else printf "%.3f\n", e / n } }' "$results"
}

echo "medians over $ROUNDS round(s); ratios: medians of the per-round edged/nginx"
printf 'queries/s: edged %s, nginx %s (ratio %s); lost %% %s / %s\n' \
    "$(fmt_num "$(field edged 4 | median)")" \
    "$(fmt_num "$(field nginx 4 | median)")" \
    "$(fmt_ratio "$(ratios v | median)")" \
    "$(field edged 5 | median)" "$(field nginx 5 | median)"
printf 'queries per CPU-s: edged %s, nginx %s (ratio %s)\n' \
    "$(fmt_num "$(eff edged | median)")" \
    "$(fmt_num "$(eff nginx | median)")" \
    "$(fmt_ratio "$(ratios eff | median)")"
echo "target (issue 17): edged/nginx per CPU-second >= 1.2"
awk '$7 != "-" && $7 >= 20 { n++ } END { if (n > 0)
    printf "disturbed: %d of %d runs had other%% >= 20\n", n, NR }' "$results"

msgs=$(grep -v '^<[67]>' "$tmp/edged.log" | grep -v '^$' |
    grep -v 'file descriptor limit')
[ -z "$msgs" ] || problem "edged printed: $(echo "$msgs" | head -n 5 | tr '\n' '|')"
alive "$edged_pid" || problem "the edged worker $edged_pid is gone"
echo
echo "load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
print_problems
exit 0
