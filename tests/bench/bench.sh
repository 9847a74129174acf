#!/bin/sh
# tests/bench/bench.sh - edged against Debian's HAProxy, side by side.
#
#     sh tests/bench/bench.sh          (as root, after building edged)
#
# Starts two nginx backends (by default two ports of one single-worker
# nginx: what loads a shared CPU least), edged and haproxy with equivalent
# configurations (one thread each, keep-alive on both sides, round-robin
# over the same two backends, no X-Forwarded-For, no logging), then:
#
#   1. idle memory: opens IDLE_CONNS idle keep-alive client connections to
#      each freshly started proxy and prints the growth of its data-path
#      process RSS per connection;
#   2. throughput: ROUNDS rounds of `wrk -t1 -cN -dDURATIONs --latency`
#      for each body size and connection count, against nginx directly
#      ("direct", the reference), edged and haproxy, alternating which
#      proxy goes first from one round to the next; prints every run, then
#      medians of requests/s and p99 and the median of the per-round
#      ratios edged/haproxy.
#
# It prints figures; it never fails on them.  It exits non-zero only when
# it cannot run (missing tool, port in use, a server that does not start).
#
# Environment (defaults in brackets):
#   EDGED_BUILD    build directory with edged and edgectl [../../build]
#   ROUNDS         rounds of measurements [3]
#   DURATION       seconds per wrk run [5]
#   CONNS          wrk connection counts ["50 500"]
#   BODIES         response bodies: small (6 bytes), 4k ["small 4k"]
#   IDLE_CONNS     idle connections for the RSS test, 0 = skip [5000]
#   IDLE_INFLIGHT  idle connections being set up at a time [100]
#   PIN            auto = pin with taskset, none = let the scheduler [auto]
#   NGINX          one = one nginx (1 worker) listening on both backend
#                  ports, two = one nginx (1 worker) per backend [one]
#   PROXY_CPUS, BACKEND_CPUS, CLIENT_CPUS
#                  taskset lists overriding the automatic pinning
#   CAP            a CPU cap for each proxy, in % of one CPU (cgroup cpu
#                  quota; 0 = none): makes the proxy the bottleneck [0]
#   PORT_BASE      edged on PORT_BASE, backends on +1 and +2, haproxy on
#                  +10; all within 31000-31999 [31080]
#   KEEP_TMP       1 = keep the temporary directory (configs, raw output)
set -u

here=$(cd "$(dirname "$0")" && pwd)
me=bench
. "$here/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNS=${CONNS:-50 500}
BODIES=${BODIES:-small 4k}
IDLE_CONNS=${IDLE_CONNS:-5000}
IDLE_INFLIGHT=${IDLE_INFLIGHT:-100}
PIN=${PIN:-auto}
NGINX=${NGINX:-one}
PORT_BASE=${PORT_BASE:-31080}
KEEP_TMP=${KEEP_TMP:-0}

need_uint ROUNDS DURATION IDLE_CONNS IDLE_INFLIGHT PORT_BASE
for c in $CONNS; do
	is_uint "$c" && [ "$c" -gt 0 ] || die "CONNS: bad count '$c'"
done
for b in $BODIES; do
	case $b in small | 4k) ;; *) die "BODIES: 'small' or '4k', not '$b'" ;; esac
done
[ "$ROUNDS" -ge 1 ] && [ "$DURATION" -ge 1 ] && [ "$IDLE_INFLIGHT" -ge 1 ] ||
    die "ROUNDS, DURATION and IDLE_INFLIGHT must be at least 1"
need_port_base 31989
check_placement

EDGE_PORT=$PORT_BASE
WEB1_PORT=$((PORT_BASE + 1))
WEB2_PORT=$((PORT_BASE + 2))
HAP_PORT=$((PORT_BASE + 10))

# ---- what we need ----

need_tools wrk nginx haproxy curl ss pgrep awk sort
need_free_ports $EDGE_PORT $WEB1_PORT $WEB2_PORT $HAP_PORT
raise_nofile
[ "$maxconn" -ge $((IDLE_CONNS + 1000)) ] ||
    die "descriptor limit $nofile is too low for IDLE_CONNS=$IDLE_CONNS"

pick_cpus			# the proxy alone on one CPU, the rest elsewhere
make_tmp edged-bench		# and what stops our processes on exit
stop_file=$tmp/stop		# idle_conns.py stops when it appears

# ---- what we measure with ----

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# CPU ticks of the servers (lib.sh's ours_ticks adds the bench's own)
procs_ticks() {
	t=0
	for p in $edged_master $edged_pid $hap_pid $nginx_masters \
	    $(for m in $nginx_masters; do pgrep -P "$m"; done); do
		c=$(cpu_ticks "$p")
		t=$((t + ${c:-0}))
	done
	echo "$t"
}

# ---- nginx backends, edged, haproxy ----

start_backends -4k "$WEB1_PORT" "$WEB2_PORT"
edged_conf round-robin 2 0 >"$tmp/edged.conf"
haproxy_conf roundrobin 2 0 >"$tmp/haproxy.cfg"
check_confs "$tmp/edged.conf" "$tmp/haproxy.cfg" "the bench configuration"
start_edged
start_haproxy -db
wait_proxies

# Same bytes through every path?
for port in $WEB1_PORT $EDGE_PORT $HAP_PORT; do
	small=$(curl -s --max-time 2 "http://127.0.0.1:$port/" | wc -c)
	big=$(curl -s --max-time 2 "http://127.0.0.1:$port/4k" | wc -c)
	[ "$small" -eq 6 ] && [ "$big" -eq 4096 ] ||
	    problem "127.0.0.1:$port: bodies of $small and $big bytes, not 6 and 4096"
done

echo "edged vs haproxy on $(uname -n), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  edged   $EDGED ($("$EDGED" -v 2>&1 | head -n 1)), worker pid $edged_pid"
echo "  haproxy $(haproxy -v | head -n 1 | cut -d' ' -f1-3), pid $hap_pid"
if [ "$NGINX" = two ]; then
	echo "  nginx   $(nginx -v 2>&1 | sed 's/.*: //'): 2 backends, 2 nginx x 1 worker"
else
	echo "  nginx   $(nginx -v 2>&1 | sed 's/.*: //'): 2 backends, ports of 1 nginx x 1 worker"
fi
echo "  wrk -t1 -c{$(echo $CONNS | tr ' ' ,)} -d${DURATION}s --latency;" \
    "$ROUNDS rounds; bodies: $BODIES"
echo "  cpus: $ncpu; proxy on [${PROXY_CPUS:-any}], nginx on" \
    "[${BACKEND_CPUS:-any}], wrk and clients on [${CLIENT_CPUS:-any}]$(cap_desc)"
echo "  fd limit $nofile, max connections $maxconn; load average:" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
echo

# ---- 1. idle keep-alive connections: RSS ----

# idle_rss NAME PORT PID: prints "NAME before during after-close per-conn"
idle_rss() {
	name=$1 port=$2 pid=$3
	out=$tmp/idle-$name.txt
	rm -f "$stop_file"
	sleep 1
	before=$(rss_kib "$pid")
	: >"$out"
	$(pin "$CLIENT_CPUS") $PY "$here/idle_conns.py" 127.0.0.1 "$port" \
	    "$IDLE_CONNS" "$stop_file" "$IDLE_INFLIGHT" 120 >"$out" 2>&1 &
	cpid=$!
	pids="$pids $cpid"
	i=0
	while [ $i -lt 900 ] && ! grep -q '^ready' "$out" && alive "$cpid"; do
		sleep 0.1
		i=$((i + 1))
	done
	if ! grep -q '^ready' "$out"; then
		problem "idle test $name: the client did not get ready: $(tr '\n' ' ' <"$out")"
		touch "$stop_file"
		wait "$cpid" 2>/dev/null
		return 1
	fi
	sleep 1		# let the last responses' buffers go back
	during=$(rss_kib "$pid")
	bconns=$(ss -Htn state established \
	    "( dport = :$WEB1_PORT or dport = :$WEB2_PORT )" | wc -l)
	touch "$stop_file"
	wait "$cpid" 2>/dev/null
	ready=$(grep '^ready' "$out")
	ok=$(echo "$ready" | sed -n 's/.* ok=\([0-9]*\).*/\1/p')
	failed=$(echo "$ready" | sed -n 's/.* failed=\([0-9]*\).*/\1/p')
	non200=$(echo "$ready" | sed -n 's/.* non200=\([0-9]*\).*/\1/p')
	secs=$(echo "$ready" | sed -n 's/.* secs=\([0-9.]*\).*/\1/p')
	closed=$(sed -n 's/^closed_by_server=//p' "$out")
	[ "${failed:-1}" -eq 0 ] && [ "${non200:-1}" -eq 0 ] ||
	    problem "idle test $name: $ready"
	[ "${closed:-1}" -eq 0 ] ||
	    problem "idle test $name: $name closed $closed idle connections while they were held"
	sleep 2
	after=$(rss_kib "$pid")
	per=$(awk -v a="$before" -v b="$during" -v n="${ok:-0}" \
	    'BEGIN { if (n > 0) printf "%.2f", (b - a) / n; else print "n/a" }')
	printf '  %-8s %6s conns in %4ss: RSS %7s KiB before, %7s KiB with them' \
	    "$name" "${ok:-0}" "${secs:-?}" "$before" "$during"
	printf ' (%s backend conns), %7s KiB after they closed: %s KiB/conn\n' \
	    "$bconns" "$after" "$per"
	echo "$name $per" >>"$tmp/idle"
}

: >"$tmp/idle"
if [ "$IDLE_CONNS" -gt 0 ]; then
	echo "idle keep-alive connections ($IDLE_CONNS, one request each," \
	    "then idle; fresh proxies):"
	idle_rss edged "$EDGE_PORT" "$edged_pid"
	idle_rss haproxy "$HAP_PORT" "$hap_pid"
	echo
fi

# ---- 2. throughput ----

# run_wrk ROUND BODY CONNS TARGET PORT PID(or -): one wrk run, one line in
# $results: round body conns target req/s p99-ms cpu% errors
run_wrk() {
	round=$1 body=$2 conns=$3 target=$4 port=$5 pid=$6
	case $body in small) path=/ ;; 4k) path=/4k ;; esac
	out=$tmp/runs/r$round-$body-c$conns-$target.txt
	if [ "$target" = edged ]; then
		# a crashed worker is replaced by the master: follow it
		wpid=$(edged_status | worker_pid)
		if [ -n "$wpid" ] && [ "$wpid" != "$edged_pid" ]; then
			problem "the edged worker changed from pid $edged_pid to ${wpid:-none} before round $round ($body, $conns conns): $(grep -v '^<[67]>' "$tmp/edged.log" | tail -n 3 | tr '\n' '|')"
			edged_pid=$wpid pid=$wpid
		fi
	fi
	[ "$pid" = - ] || t0=$(cpu_ticks "$pid")
	run_begin
	timeout $((DURATION + 30)) $(pin "$CLIENT_CPUS") wrk -t1 -c"$conns" \
	    -d"${DURATION}s" --latency "http://127.0.0.1:$port$path" \
	    >"$out" 2>&1
	rc=$?
	run_end
	other_cpu
	cpu=-
	if [ "$pid" != - ]; then
		t1=$(cpu_ticks "$pid")
		[ -n "$t0" ] && [ -n "$t1" ] && cpu=$(cpu_pct "$t0" "$t1")
	fi
	wrk_figures "$out"
	if [ $rc -ne 0 ] || [ -z "$rps" ] || [ -z "$p99" ]; then
		problem "wrk against $target ($body, $conns conns, round $round) failed (rc $rc): $(tail -n 3 "$out" | tr '\n' ' ')"
		rps=NA p99=NA
	fi
	[ "$errs" = - ] ||
	    problem "wrk against $target ($body, $conns conns, round $round): $errs"
	echo "$round $body $conns $target $rps $p99 $cpu $other $errs" >>"$results"
}

# warm-up, not counted: connections, caches, the backends' first requests
for body in $BODIES; do
	for t in "direct $WEB1_PORT" "edged $EDGE_PORT" "haproxy $HAP_PORT"; do
		set -- $t
		case $body in small) path=/ ;; 4k) path=/4k ;; esac
		warm_up 1 50 "http://127.0.0.1:$2$path"
	done
done

echo "cpu% = the proxy's CPU, other% = CPU used by anything else on the" \
    "machine (of one CPU; high = a disturbed run)"
printf '%-5s %-6s %5s  %-8s %9s %9s %6s %7s  %s\n' round body conns target \
    'req/s' 'p99 ms' 'cpu%' 'other%' errors
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for body in $BODIES; do
		for conns in $CONNS; do
			run_wrk "$r" "$body" "$conns" direct "$WEB1_PORT" -
			for t in $(round_order "$r"); do
				case $t in
				edged) run_wrk "$r" "$body" "$conns" edged \
				    "$EDGE_PORT" "$edged_pid" ;;
				haproxy) run_wrk "$r" "$body" "$conns" haproxy \
				    "$HAP_PORT" "$hap_pid" ;;
				esac
			done
			grep "^$r $body $conns " "$results" | while read -r \
			    _r _b _c tg rps p99 cpu oth errs; do
				printf '%-5s %-6s %5s  %-8s %9s %9s %6s %7s  %s\n' \
				    "$_r" "$_b" "$_c" "$tg" "$rps" "$p99" "$cpu" \
				    "$oth" "$errs"
			done
			awk -v r="$r" -v b="$body" -v c="$conns" '
			    $1 == r && $2 == b && $3 == c { v[$4] = $5 }
			    END { if (v["edged"] != "NA" && v["haproxy"] != "NA" &&
				v["haproxy"] + 0 > 0)
				printf "%-5s %-6s %5s  %-8s %9.2f\n", r, b, c,
				    "ratio", v["edged"] / v["haproxy"] }' \
			    "$results"
		done
	done
	r=$((r + 1))
done
echo

# ---- summary ----

# field F ($5 req/s, $6 p99, $7 cpu) of BODY CONNS TARGET, one per round
field() {
	awk -v b="$1" -v c="$2" -v t="$3" -v f="$4" \
	    '$2 == b && $3 == c && $4 == t { print $f }' "$results"
}

# per-round edged/haproxy of field F (5 = req/s; "eff" = req/s per CPU)
ratios() {
	awk -v b="$1" -v c="$2" -v f="$3" '
	    $2 == b && $3 == c && ($4 == "edged" || $4 == "haproxy") {
		v = $5
		if (f == "eff") v = ($7 > 0 && $5 != "NA") ? $5 / $7 : "NA"
		val[$1, $4] = v; rounds[$1] = 1 }
	    END { for (r in rounds) {
		e = val[r, "edged"]; h = val[r, "haproxy"]
		if (e == "NA" || h == "NA" || e == "" || h == "" || h == 0)
			print "NA"
		else printf "%.3f\n", e / h } }' "$results"
}

echo "medians over $ROUNDS round(s); ratio = median of the per-round ratios edged/haproxy"
printf '%-11s %5s %11s %13s %6s %10s %12s %12s %11s\n' '' conns \
    'edged req/s' 'haproxy req/s' ratio 'edged p99' 'haproxy p99' \
    'direct req/s' 'direct p99'
for body in $BODIES; do
	case $body in small) label='small body' ;; 4k) label='4 KiB body' ;; esac
	for conns in $CONNS; do
		printf '%-11s %5s %11s %13s %6s %10s %12s %12s %11s\n' \
		    "$label" "$conns" \
		    "$(fmt_num "$(field "$body" "$conns" edged 5 | median)")" \
		    "$(fmt_num "$(field "$body" "$conns" haproxy 5 | median)")" \
		    "$(fmt_ratio "$(ratios "$body" "$conns" 5 | median)")" \
		    "$(fmt_ms "$(field "$body" "$conns" edged 6 | median)")" \
		    "$(fmt_ms "$(field "$body" "$conns" haproxy 6 | median)")" \
		    "$(fmt_num "$(field "$body" "$conns" direct 5 | median)")" \
		    "$(fmt_ms "$(field "$body" "$conns" direct 6 | median)")"
	done
done
echo
echo "proxy CPU (% of one core, median) and requests per CPU-second;" \
    "eff. ratio = median per-round (edged req/CPU-s)/(haproxy req/CPU-s)"
printf '%-11s %5s %10s %12s %15s %17s %11s\n' '' conns 'edged cpu' \
    'haproxy cpu' 'edged req/cpu-s' 'haproxy req/cpu-s' 'eff. ratio'
for body in $BODIES; do
	case $body in small) label='small body' ;; 4k) label='4 KiB body' ;; esac
	for conns in $CONNS; do
		ecpu=$(field "$body" "$conns" edged 7 | grep -v '^-$' | median)
		hcpu=$(field "$body" "$conns" haproxy 7 | grep -v '^-$' | median)
		eeff=$(awk -v b="$body" -v c="$conns" '$2 == b && $3 == c &&
		    $4 == "edged" && $7 > 0 && $5 != "NA" { print $5 * 100 / $7 }' \
		    "$results" | median)
		heff=$(awk -v b="$body" -v c="$conns" '$2 == b && $3 == c &&
		    $4 == "haproxy" && $7 > 0 && $5 != "NA" { print $5 * 100 / $7 }' \
		    "$results" | median)
		printf '%-11s %5s %9s%% %11s%% %15s %17s %11s\n' "$label" \
		    "$conns" "$ecpu" "$hcpu" "$(fmt_num "$eeff")" \
		    "$(fmt_num "$heff")" \
		    "$(fmt_ratio "$(ratios "$body" "$conns" eff | median)")"
	done
done
echo

awk '$8 != "-" && $8 >= 20 { n++ } END { if (n > 0)
    printf "disturbed: %d of %d runs had other%% >= 20 (another load on the machine); medians and per-round ratios damp that, but fewer disturbed runs give firmer figures\n", n, NR }' "$results"
if [ -s "$tmp/idle" ]; then
	e=$(awk '$1 == "edged" { print $2 }' "$tmp/idle")
	h=$(awk '$1 == "haproxy" { print $2 }' "$tmp/idle")
	echo "idle RSS ($IDLE_CONNS conns): edged ${e:-n/a} KiB/conn," \
	    "haproxy ${h:-n/a} KiB/conn"
fi
echo "targets: edged/haproxy req/s >= 1.00; edged idle RSS <= 4 KiB/conn"

# edged's own counters: answers it did not get from a backend, errors
stats=$(timeout 5 "$EDGECTL" -s "$tmp/edged.sock" show stats 2>&1)
echo "edged counters (edgectl show stats):"
echo "$stats" | sed 's/^/  /'
bad=$(echo "$stats" | awk 'NR > 1 && NF >= 15 && ($(NF - 2) + $(NF - 1) + $NF) > 0 {
    printf "%s %s: 4xx %s, 5xx %s, errors %s; ", $1, $2, $(NF - 2), $(NF - 1), $NF }')
[ -z "$bad" ] || problem "edged counted $bad"

# What the proxies said on their own: edged's warnings and errors (<4>,
# <3>, anything unprefixed), haproxy's anything
msgs=$(grep -v '^<[67]>' "$tmp/edged.log" | grep -v '^$')
[ -z "$msgs" ] || problem "edged printed: $(echo "$msgs" | head -n 5 | tr '\n' '|')"
msgs=$(grep -v '^$' "$tmp/haproxy.log")
[ -z "$msgs" ] || problem "haproxy printed: $(echo "$msgs" | head -n 5 | tr '\n' '|')"
alive "$edged_pid" || problem "the edged worker $edged_pid is gone: $(tail -n 5 "$tmp/edged.log" | tr '\n' '|')"
alive "$hap_pid" || problem "haproxy $hap_pid is gone"

echo
echo "load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
print_problems
exit 0
