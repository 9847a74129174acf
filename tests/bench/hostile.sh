#!/bin/sh
# tests/bench/hostile.sh - normal clients' latency under slowloris, edged
# against Debian's HAProxy.
#
#     sh tests/bench/hostile.sh        (as root, after building edged)
#
# The backends, edged and haproxy of bench.sh (one thread each, the same
# timeouts: timeout http-request 10s), then ROUNDS rounds of, for each
# proxy (alternating which goes first):
#
#   unloaded   wrk -t1 -cCONNS -dDURATIONs --latency through the proxy;
#   control    the same while the same slowloris client trickles into a
#              socket nobody reads (a listening socket whose connections the
#              kernel completes and buffers): what the slowloris client
#              costs the clients' CPU by itself, with no proxy work;
#   slowloris  the same while LORIS connections trickle a request head one
#              byte a second each (tests/integration/hostile.py slowloris
#              --reconnect: one selectors loop, the bytes spread evenly
#              over the second; a connection the proxy cuts, 408 at
#              timeout http-request, is replaced at once), started RAMP
#              seconds before wrk so that all are open and trickling.
#
# It prints every run: wrk's requests/s, p99 and max latency, the proxy's
# CPU, requests per CPU-second, the CPU the rest of the machine used, the
# connections the proxy held, the slowloris client's own CPU (it must not
# be the bottleneck) and what it saw (408s, closes); then per proxy the
# medians and the median of the per-round ratios p99 slowloris / p99
# unloaded (the goal: at most 2.0), and p99 slowloris / p99 control (the
# proxy's own share: the client's scheduling noise taken out).  It never
# fails on figures; it exits
# non-zero only when it cannot run.
#
# Environment (defaults in brackets):
#   EDGED_BUILD    build directory with edged and edgectl [../../build]
#   ROUNDS         rounds [3]
#   DURATION       seconds per wrk run [10]
#   CONNS          wrk connections [50]
#   LORIS          slowloris connections [2000]
#   RAMP           seconds between starting slowloris and wrk [3]
#   LORIS_NICE     the slowloris client's nice(1) value [19]: it shares the
#                  clients' CPU with wrk and nginx, and its bursts of 2,000
#                  sends would otherwise delay them (what control shows)
#   PIN, NGINX, PROXY_CPUS, BACKEND_CPUS, CLIENT_CPUS, CAP, KEEP_TMP
#                  as for bench.sh
#   PORT_BASE      edged on it, backends on +1 and +2, haproxy on +10;
#                  within 31000-31989 [31400]
set -u

here=$(cd "$(dirname "$0")" && pwd)
me=hostile
. "$here/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-50}
LORIS=${LORIS:-2000}
RAMP=${RAMP:-3}
LORIS_NICE=${LORIS_NICE:-19}
PIN=${PIN:-auto}
NGINX=${NGINX:-one}
PORT_BASE=${PORT_BASE:-31400}
KEEP_TMP=${KEEP_TMP:-0}

need_uint ROUNDS DURATION CONNS LORIS RAMP PORT_BASE LORIS_NICE
[ "$ROUNDS" -ge 1 ] && [ "$DURATION" -ge 1 ] && [ "$CONNS" -ge 1 ] ||
    die "ROUNDS, DURATION and CONNS must be at least 1"
need_port_base 31989
check_placement

EDGE_PORT=$PORT_BASE
WEB1_PORT=$((PORT_BASE + 1))
WEB2_PORT=$((PORT_BASE + 2))
HAP_PORT=$((PORT_BASE + 10))
SINK_PORT=$((PORT_BASE + 20))
HOSTILE=$here/../integration/hostile.py

need_tools wrk nginx haproxy curl ss awk sort
[ -r "$HOSTILE" ] || die "no $HOSTILE"
need_free_ports $EDGE_PORT $WEB1_PORT $WEB2_PORT $HAP_PORT $SINK_PORT
raise_nofile
[ "$maxconn" -ge $((LORIS + CONNS + 1000)) ] ||
    die "descriptor limit $nofile is too low for LORIS=$LORIS"

pick_cpus
make_tmp edged-hostile

loris_pid=''

# CPU ticks of the servers and the slowloris client (lib.sh's ours_ticks
# adds the bench's own children)
procs_ticks() {
	t=0
	for p in $edged_master $edged_pid $hap_pid $nginx_masters \
	    $(for m in $nginx_masters; do pgrep -P "$m"; done) $loris_pid; do
		c=$(cpu_ticks "$p")
		t=$((t + ${c:-0}))
	done
	echo "$t"
}

start_backends "$WEB1_PORT" "$WEB2_PORT"
edged_conf round-robin 2 0 >"$tmp/edged.conf"
haproxy_conf roundrobin 2 0 >"$tmp/haproxy.cfg"
check_confs "$tmp/edged.conf" "$tmp/haproxy.cfg" "the bench configuration"
start_edged
start_haproxy -db
wait_proxies

echo "normal clients under slowloris: edged vs haproxy on $(uname -n)," \
    "$(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  edged   $EDGED ($("$EDGED" -v 2>&1 | head -n 1)), worker pid $edged_pid"
echo "  haproxy $(haproxy -v | head -n 1 | cut -d' ' -f1-3), pid $hap_pid"
echo "  wrk -t1 -c$CONNS -d${DURATION}s --latency; slowloris: $LORIS" \
    "connections, one byte a second each, replaced when cut;" \
    "timeout http-request 10s; $ROUNDS rounds"
echo "  cpus: $ncpu; proxy on [${PROXY_CPUS:-any}], nginx on" \
    "[${BACKEND_CPUS:-any}], wrk and slowloris on [${CLIENT_CPUS:-any}]$(cap_desc)"
echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# wrk's max latency in ms, from its "Latency avg stdev max" line
wrk_max() {
	awk '$1 == "Latency" && $2 != "Distribution" {
		v = $4
		if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v); v = v + 0 }
		else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 }
		printf "%.1f", v; exit }' "$1"
}

# held PORT: established connections the proxy on PORT holds
held() {
	ss -Htn state established "( sport = :$1 )" | wc -l
}

# The control's sink: listens and never accepts nor reads (the kernel
# completes the connections and buffers their bytes); one per run, as
# connections closed in its accept queue stay there and would fill it.
sink_pid=''
start_sink() {
	$PY -c 'import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(65535)
time.sleep(3600)' "$SINK_PORT" &
	sink_pid=$!
	pids="$pids $sink_pid"
	sleep 0.3
}
stop_sink() {
	[ -n "$sink_pid" ] || return 0
	kill "$sink_pid" 2>/dev/null
	wait "$sink_pid" 2>/dev/null
	sink_pid=''
}

# run ROUND TARGET PORT PID MODE: one wrk run, unloaded or under
# slowloris; one line in $results:
#   round target mode req/s p99 max cpu% req/cpu-s other% held loris% errs
run() {
	round=$1 target=$2 port=$3 pid=$4 mode=$5
	out=$tmp/runs/r$round-$target-$mode.txt
	lout=$tmp/runs/r$round-$target-$mode.loris
	loris_pid='' hold=0 lcpu=-
	if [ "$mode" != unloaded ]; then
		lport=$port
		[ "$mode" = control ] && start_sink && lport=$SINK_PORT
		$(pin "$CLIENT_CPUS") nice -n "$LORIS_NICE" $PY "$HOSTILE" \
		    "$lport" slowloris \
		    --conns "$LORIS" --reconnect \
		    --seconds $((RAMP + DURATION + 2)) >"$lout" 2>&1 &
		loris_pid=$!
		pids="$pids $loris_pid"
		sleep "$RAMP"
		hold=$(held "$lport")
		l0=$(cpu_ticks "$loris_pid")
	fi
	t0=$(cpu_ticks "$pid")
	run_begin
	timeout $((DURATION + 30)) $(pin "$CLIENT_CPUS") wrk -t1 -c"$CONNS" \
	    -d"${DURATION}s" --latency "http://127.0.0.1:$port/" >"$out" 2>&1
	rc=$?
	run_end
	other_cpu
	t1=$(cpu_ticks "$pid")
	cpu=$(cpu_pct "$t0" "$t1")
	if [ -n "$loris_pid" ]; then
		l1=$(cpu_ticks "$loris_pid")
		[ -n "$l0" ] && [ -n "$l1" ] && lcpu=$(cpu_pct "$l0" "$l1")
		wait "$loris_pid" 2>/dev/null
		loris_pid=''
		stop_sink
		grep -q '^opened=' "$lout" ||
		    problem "slowloris against $target (round $round) printed no figures: $(tail -n 3 "$lout" | tr '\n' ' ')"
	fi
	wrk_figures "$out"
	mx=$(wrk_max "$out")
	if [ $rc -ne 0 ] || [ -z "$rps" ] || [ -z "$p99" ]; then
		problem "wrk against $target ($mode, round $round) failed (rc $rc): $(tail -n 3 "$out" | tr '\n' ' ')"
		rps=NA p99=NA
	fi
	[ "$errs" = - ] ||
	    problem "wrk against $target ($mode, round $round): $errs"
	eff=$(awk -v r="$rps" -v c="$cpu" 'BEGIN {
	    if (r != "NA" && c > 0) printf "%.0f", r * 100 / c; else print "NA" }')
	echo "$round $target $mode $rps $p99 ${mx:-NA} $cpu $eff $other $hold" \
	    "$lcpu $errs" >>"$results"
	printf '%-5s %-8s %-9s %9s %8s %9s %5s %9s %6s %5s %6s  %s\n' \
	    "$round" "$target" "$mode" "$rps" "$p99" "${mx:-NA}" "$cpu" "$eff" \
	    "$other" "$hold" "$lcpu" "$errs"
	[ -s "$lout" ] && [ "$mode" != unloaded ] &&
	    echo "      $mode: $(cat "$lout")"
	# the cut connections' lingering ends before the next run
	sleep 2
}

for t in "edged $EDGE_PORT" "haproxy $HAP_PORT"; do
	set -- $t
	warm_up 1 "$CONNS" "http://127.0.0.1:$2/"
done

echo "p99 and max in ms; cpu% = the proxy's CPU (of one core); req/cpu-s ="
echo "requests per CPU-second of the proxy; other% = CPU used by anything"
echo "else; held = connections the proxy held as wrk started; loris% = the"
echo "slowloris client's CPU"
printf '%-5s %-8s %-9s %9s %8s %9s %5s %9s %6s %5s %6s  %s\n' round target \
    mode 'req/s' p99 max 'cpu%' 'req/cpu-s' 'other%' held 'loris%' errors
r=1
while [ "$r" -le "$ROUNDS" ]; do
	# (not $t: procs_ticks uses it)
	for side in $(round_order "$r"); do
		case $side in
		edged) port=$EDGE_PORT pid=$edged_pid ;;
		haproxy) port=$HAP_PORT pid=$hap_pid ;;
		esac
		run "$r" "$side" "$port" "$pid" unloaded
		run "$r" "$side" "$port" "$pid" control
		run "$r" "$side" "$port" "$pid" slowloris
	done
	r=$((r + 1))
done
echo

# field TARGET MODE F: field F of each round's run
field() {
	awk -v t="$1" -v m="$2" -v f="$3" '$2 == t && $3 == m { print $f }' \
	    "$results"
}

# per-round p99 slowloris / p99 BASE (unloaded, control) of TARGET
ratios() {
	awk -v t="$1" -v base="${2:-unloaded}" '$2 == t { v[$1, $3] = $5; r[$1] = 1 }
	    END { for (k in r) {
		a = v[k, base]; b = v[k, "slowloris"]
		if (a == "NA" || b == "NA" || a == "" || b == "" || a == 0)
			print "NA"
		else printf "%.3f\n", b / a } }' "$results"
}

echo "medians over $ROUNDS round(s); ratio = median of the per-round ratios" \
    "p99 slowloris / p99 unloaded (goal: at most 2.00)"
printf '%-8s %11s %11s %7s %11s %11s %10s %10s %12s %12s\n' '' \
    'p99 alone' 'p99 loris' ratio 'max alone' 'max loris' 'req/s alone' \
    'req/s loris' 'req/cpu-s al' 'req/cpu-s lo'
for t in edged haproxy; do
	printf '%-8s %11s %11s %7s %11s %11s %10s %10s %12s %12s\n' "$t" \
	    "$(fmt_ms "$(field $t unloaded 5 | median)")" \
	    "$(fmt_ms "$(field $t slowloris 5 | median)")" \
	    "$(fmt_ratio "$(ratios $t | median)")" \
	    "$(fmt_ms "$(field $t unloaded 6 | median)")" \
	    "$(fmt_ms "$(field $t slowloris 6 | median)")" \
	    "$(fmt_num "$(field $t unloaded 4 | median)")" \
	    "$(fmt_num "$(field $t slowloris 4 | median)")" \
	    "$(fmt_num "$(field $t unloaded 8 | median)")" \
	    "$(fmt_num "$(field $t slowloris 8 | median)")"
done
echo "per-round ratios: edged $(ratios edged | sort -g | tr '\n' ' ')," \
    "haproxy $(ratios haproxy | sort -g | tr '\n' ' ')"
echo "the client's own share: p99 control (slowloris into a socket nobody" \
    "reads) edged $(fmt_ms "$(field edged control 5 | median)")," \
    "haproxy $(fmt_ms "$(field haproxy control 5 | median)");" \
    "p99 slowloris / p99 control: edged" \
    "$(fmt_ratio "$(ratios edged control | median)")," \
    "haproxy $(fmt_ratio "$(ratios haproxy control | median)")"
echo "proxy cpu% (median): edged unloaded $(field edged unloaded 7 | median)," \
    "slowloris $(field edged slowloris 7 | median); haproxy unloaded" \
    "$(field haproxy unloaded 7 | median), slowloris $(field haproxy slowloris 7 | median)"
echo "slowloris client cpu% (median): $(awk '$3 == "slowloris" &&
    $11 != "-" { print $11 }' "$results" | median)"
awk '$9 != "-" && $9 >= 20 { n++ } END { if (n > 0)
    printf "disturbed: %d of %d runs had other%% >= 20 (another load on the machine)\n", n, NR }' "$results"

# edged's counters: the 408s it answered, nothing else unusual
stats=$(timeout 5 "$EDGECTL" -s "$tmp/edged.sock" show stats 2>&1)
echo "edged counters (edgectl show stats):"
echo "$stats" | sed 's/^/  /'
msgs=$(grep -v '^<[67]>' "$tmp/edged.log" | grep -v 'file descriptor limit' |
    grep -v '^$')
[ -z "$msgs" ] || problem "edged printed: $(echo "$msgs" | head -n 5 | tr '\n' '|')"
alive "$edged_pid" || problem "the edged worker $edged_pid is gone"
alive "$hap_pid" || problem "haproxy $hap_pid is gone"
echo
echo "load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
print_problems
exit 0
