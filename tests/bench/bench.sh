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
#   PORT_BASE      edged on PORT_BASE, backends on +1 and +2, haproxy on
#                  +10; all within 31000-31999 [31080]
#   KEEP_TMP       1 = keep the temporary directory (configs, raw output)
set -u

here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3		# Debian's, not whatever python3 is in PATH

die() {
	echo "bench: $*" >&2
	exit 1
}

note() {
	echo "bench: $*" >&2
}

is_uint() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	*) return 0 ;;
	esac
}

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

for v in ROUNDS DURATION IDLE_CONNS IDLE_INFLIGHT PORT_BASE; do
	eval "val=\$$v"
	is_uint "$val" || die "$v must be a whole number (got '$val')"
done
for c in $CONNS; do
	is_uint "$c" && [ "$c" -gt 0 ] || die "CONNS: bad count '$c'"
done
for b in $BODIES; do
	case $b in small | 4k) ;; *) die "BODIES: 'small' or '4k', not '$b'" ;; esac
done
[ "$ROUNDS" -ge 1 ] && [ "$DURATION" -ge 1 ] && [ "$IDLE_INFLIGHT" -ge 1 ] ||
    die "ROUNDS, DURATION and IDLE_INFLIGHT must be at least 1"
[ "$PORT_BASE" -ge 31000 ] && [ "$PORT_BASE" -le 31989 ] ||
    die "PORT_BASE must be within 31000-31989"
case $PIN in auto | none) ;; *) die "PIN: 'auto' or 'none'" ;; esac
case $NGINX in one | two) ;; *) die "NGINX: 'one' or 'two'" ;; esac

EDGE_PORT=$PORT_BASE
WEB1_PORT=$((PORT_BASE + 1))
WEB2_PORT=$((PORT_BASE + 2))
HAP_PORT=$((PORT_BASE + 10))

# ---- what we need ----

[ "$(id -u)" -eq 0 ] || die "run me as root (edged and haproxy drop to user edged)"
build_arg=${EDGED_BUILD:-$here/../../build}
build=$(cd "$build_arg" 2>/dev/null && pwd) ||
    die "no build directory $build_arg (set EDGED_BUILD, or: meson setup build && ninja -C build)"
EDGED=$build/edged
EDGECTL=$build/edgectl
[ -x "$EDGED" ] && [ -x "$EDGECTL" ] ||
    die "no $EDGED or $EDGECTL: build first (meson setup build && ninja -C build)"
for tool in wrk nginx haproxy curl ss pgrep awk sort; do
	command -v $tool >/dev/null 2>&1 || die "$tool is missing (EDGED_WITH_TESTS=1 sh packaging/install-deps.sh)"
done
[ -x $PY ] || die "$PY is missing"
id edged >/dev/null 2>&1 || die "user edged is missing (packaging/install-deps.sh creates it)"
for p in $EDGE_PORT $WEB1_PORT $WEB2_PORT $HAP_PORT; do
	[ -z "$(ss -Htln "sport = :$p")" ] ||
	    die "127.0.0.1:$p is already in use (set PORT_BASE)"
done

# As many descriptors as we may: 2 per proxied connection.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
[ "$nofile" = unlimited ] && nofile=1048576
maxconn=$(( (nofile - 1024) / 2 ))
[ "$maxconn" -gt 100000 ] && maxconn=100000
[ "$maxconn" -ge $((IDLE_CONNS + 1000)) ] ||
    die "descriptor limit $nofile is too low for IDLE_CONNS=$IDLE_CONNS"

# ---- CPUs: proxy alone on one, the rest elsewhere ----

cpus=$($PY -c 'import os; print(" ".join(map(str, sorted(os.sched_getaffinity(0)))))')
ncpu=$(echo $cpus | wc -w)
set -- $cpus
if [ "$PIN" = auto ] && [ "$ncpu" -ge 2 ] && command -v taskset >/dev/null; then
	# 2: proxy | wrk + nginx;  3: proxy | nginx | wrk;
	# 4+: proxy | nginx, nginx | wrk
	auto_client=$1 auto_proxy=$2
	case $ncpu in
	2) auto_backend=$1 ;;
	3) auto_backend=$3 ;;
	*) auto_backend=$3,$4 ;;
	esac
else
	auto_client='' auto_proxy='' auto_backend=''
fi
PROXY_CPUS=${PROXY_CPUS-$auto_proxy}
BACKEND_CPUS=${BACKEND_CPUS-$auto_backend}
CLIENT_CPUS=${CLIENT_CPUS-$auto_client}
command -v taskset >/dev/null || PROXY_CPUS='' BACKEND_CPUS='' CLIENT_CPUS=''

# "taskset -c LIST" or nothing: the command after it keeps its pid
pin() {
	[ -n "$1" ] && echo "taskset -c $1"
	return 0
}

# ---- processes and cleanup ----

tmp=''
pids=''			# what we started, by pid; killed on exit
watch_pids=''		# their children (edged's worker): waited for

alive() {
	# a zombie is as good as gone
	[ -r "/proc/$1/stat" ] &&
	    [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]
}

cleanup() {
	trap - EXIT INT TERM HUP
	set +e
	[ -n "$tmp" ] && touch "$tmp/stop" 2>/dev/null
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null
	done
	i=0
	while [ $i -lt 80 ]; do
		left=''
		for p in $pids $watch_pids; do
			alive "$p" && left="$left $p"
		done
		[ -z "$left" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	for p in $left; do
		case " $pids " in
		*" $p "*) note "pid $p did not stop on SIGTERM: SIGKILL"
			kill -KILL "$p" 2>/dev/null ;;
		esac
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	if [ -n "$tmp" ]; then
		if [ "$KEEP_TMP" = 1 ]; then
			note "kept $tmp"
		else
			rm -rf "$tmp"
		fi
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

tmp=$(mktemp -d /tmp/edged-bench.XXXXXX) || die "mktemp failed"
chmod 755 "$tmp"
mkdir "$tmp/runs"
results=$tmp/results		# one line per wrk run
problems=$tmp/problems		# anything that went wrong, for the end
: >"$results"
: >"$problems"

problem() {
	echo "$*" >>"$problems"
	note "PROBLEM: $*"
}

# waits up to $2 tenths of a second for $1 to answer 200
wait_http() {
	i=0
	while [ $i -lt "$2" ]; do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1" 2>/dev/null)
		[ "$code" = 200 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# user + system CPU time of a process (all its threads), in clock ticks
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}
HZ=$(getconf CLK_TCK)

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# CPU ticks of all the CPUs, busy (not idle, not iowait)
busy_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# CPU ticks used by the bench itself: its servers, and the children it
# waited for (wrk, curl...; `times` must run in this shell, not in $(...))
ours_ticks() {
	times >"$tmp/times"
	t=$(awk -v hz="$HZ" 'NR == 2 { for (i = 1; i <= 2; i++) {
		split($i, a, "m"); sub(/s$/, "", a[2]); t += a[1] * 60 + a[2] }
	    printf "%.0f", t * hz }' "$tmp/times")
	for p in $edged_master $edged_pid $hap_pid $nginx_masters \
	    $(for m in $nginx_masters; do pgrep -P "$m"; done); do
		c=$(cpu_ticks "$p")
		t=$((t + ${c:-0}))
	done
	echo "$t"
}

# ---- nginx backends ----

# start_nginx NAME PORT...: one nginx, one worker, serving on each PORT
start_nginx() {
	d=$tmp/$1
	shift
	mkdir "$d" "$d/htdocs"
	head -c 4096 /dev/zero | tr '\0' x >"$d/htdocs/4k"
	chmod -R a+rX "$d/htdocs"
	listen=''
	for port in "$@"; do
		listen="$listen        listen 127.0.0.1:$port backlog=4096;
"
	done
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
$listen        location = /4k { root $d/htdocs; }
        location / { return 200 "hello\n"; }
    }
}
EOC
	$(pin "$BACKEND_CPUS") nginx -c "$d/nginx.conf" -p "$d/" \
	    >"$d/stdout" 2>&1 </dev/null &
	pids="$pids $!"
	nginx_masters="$nginx_masters $!"
}
nginx_masters=''


if [ "$NGINX" = two ]; then
	start_nginx web1 "$WEB1_PORT"
	start_nginx web2 "$WEB2_PORT"
else
	start_nginx web "$WEB1_PORT" "$WEB2_PORT"
fi
for port in $WEB1_PORT $WEB2_PORT; do
	wait_http "http://127.0.0.1:$port/" 50 || {
		cat "$tmp"/web*/stdout "$tmp"/web*/error.log >&2 2>/dev/null
		die "nginx on 127.0.0.1:$port did not start"
	}
done

# ---- edged ----

cat >"$tmp/edged.conf" <<EOC
global {
    workers 1
    user edged
    control-socket $tmp/edged.sock
    max-connections $maxconn
}
defaults {
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout keep-alive 60s
}
application-profile web {
    type http
    x-forwarded-for none
}
pool p {
    algorithm round-robin
    member b1 127.0.0.1:$WEB1_PORT
    member b2 127.0.0.1:$WEB2_PORT
}
virtual-server v {
    listen 127.0.0.1:$EDGE_PORT
    profile web
    default-pool p
}
EOC
"$EDGED" -t -c "$tmp/edged.conf" >"$tmp/edged-check.log" 2>&1 || {
	cat "$tmp/edged-check.log" >&2
	die "edged rejects the bench configuration"
}
$(pin "$PROXY_CPUS") "$EDGED" -c "$tmp/edged.conf" \
    >"$tmp/edged.log" 2>&1 </dev/null &
edged_master=$!
pids="$pids $edged_master"
edged_pid=''
i=0
while [ $i -lt 100 ]; do
	st=$(timeout 5 "$EDGECTL" -s "$tmp/edged.sock" --json status 2>/dev/null)
	case $st in
	*'"ready":true'*)
		edged_pid=$(echo "$st" | sed -n 's/.*"worker_pid":\([0-9]*\).*/\1/p')
		break ;;
	esac
	alive "$edged_master" || break
	sleep 0.1
	i=$((i + 1))
done
[ -n "$edged_pid" ] && [ "$edged_pid" -gt 0 ] || {
	cat "$tmp/edged.log" >&2
	die "edged did not become ready (edgectl status --json: ${st:-nothing})"
}
watch_pids="$watch_pids $edged_pid"

# ---- haproxy ----

cat >"$tmp/haproxy.cfg" <<EOC
global
    nbthread 1
    maxconn $maxconn
    user edged
    group edged

defaults
    mode http
    maxconn $maxconn
    option http-keep-alive
    http-reuse safe
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout http-keep-alive 60s

frontend fe
    bind 127.0.0.1:$HAP_PORT
    default_backend be

backend be
    balance roundrobin
    server b1 127.0.0.1:$WEB1_PORT
    server b2 127.0.0.1:$WEB2_PORT
EOC
haproxy -c -q -f "$tmp/haproxy.cfg" >"$tmp/haproxy-check.log" 2>&1 || {
	cat "$tmp/haproxy-check.log" >&2
	die "haproxy rejects the bench configuration"
}
$(pin "$PROXY_CPUS") haproxy -db -f "$tmp/haproxy.cfg" \
    >"$tmp/haproxy.log" 2>&1 </dev/null &
hap_pid=$!
pids="$pids $hap_pid"

for port in $EDGE_PORT $HAP_PORT; do
	wait_http "http://127.0.0.1:$port/" 50 || {
		cat "$tmp/edged.log" "$tmp/haproxy.log" >&2
		die "nothing answers 200 on 127.0.0.1:$port"
	}
done

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
    "[${BACKEND_CPUS:-any}], wrk and clients on [${CLIENT_CPUS:-any}]"
echo "  fd limit $nofile, max connections $maxconn; load average:" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
echo

# ---- 1. idle keep-alive connections: RSS ----

# idle_rss NAME PORT PID: prints "NAME before during after-close per-conn"
idle_rss() {
	name=$1 port=$2 pid=$3
	out=$tmp/idle-$name.txt
	rm -f "$tmp/stop"
	sleep 1
	before=$(rss_kib "$pid")
	: >"$out"
	$(pin "$CLIENT_CPUS") $PY "$here/idle_conns.py" 127.0.0.1 "$port" \
	    "$IDLE_CONNS" "$tmp/stop" "$IDLE_INFLIGHT" 120 >"$out" 2>&1 &
	cpid=$!
	pids="$pids $cpid"
	i=0
	while [ $i -lt 900 ] && ! grep -q '^ready' "$out" && alive "$cpid"; do
		sleep 0.1
		i=$((i + 1))
	done
	if ! grep -q '^ready' "$out"; then
		problem "idle test $name: the client did not get ready: $(tr '\n' ' ' <"$out")"
		touch "$tmp/stop"
		wait "$cpid" 2>/dev/null
		return 1
	fi
	sleep 1		# let the last responses' buffers go back
	during=$(rss_kib "$pid")
	bconns=$(ss -Htn state established \
	    "( dport = :$WEB1_PORT or dport = :$WEB2_PORT )" | wc -l)
	touch "$tmp/stop"
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
		st=$(timeout 5 "$EDGECTL" -s "$tmp/edged.sock" --json status 2>/dev/null)
		wpid=$(echo "$st" | sed -n 's/.*"worker_pid":\([0-9]*\).*/\1/p')
		if [ -n "$wpid" ] && [ "$wpid" != "$edged_pid" ]; then
			problem "the edged worker changed from pid $edged_pid to ${wpid:-none} before round $round ($body, $conns conns): $(grep -v '^<[67]>' "$tmp/edged.log" | tail -n 3 | tr '\n' '|')"
			edged_pid=$wpid pid=$wpid
			watch_pids="$watch_pids $wpid"
		fi
	fi
	[ "$pid" = - ] || t0=$(cpu_ticks "$pid")
	ours_ticks >"$tmp/ours"
	read -r o0 <"$tmp/ours"
	b0=$(busy_ticks)
	ms0=$(now_ms)
	timeout $((DURATION + 30)) $(pin "$CLIENT_CPUS") wrk -t1 -c"$conns" \
	    -d"${DURATION}s" --latency "http://127.0.0.1:$port$path" \
	    >"$out" 2>&1
	rc=$?
	ms1=$(now_ms)
	b1=$(busy_ticks)
	ours_ticks >"$tmp/ours"
	read -r o1 <"$tmp/ours"
	# CPU that went to anything else: another load, kernel threads
	other=$(awk -v b=$((b1 - b0)) -v o=$((o1 - o0)) -v hz="$HZ" \
	    -v ms=$((ms1 - ms0)) 'BEGIN { v = (b - o) * 100000 / hz / ms
	    printf "%.0f", v < 0 ? 0 : v }')
	cpu=-
	if [ "$pid" != - ]; then
		t1=$(cpu_ticks "$pid")
		[ -n "$t0" ] && [ -n "$t1" ] && cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" -v ms=$((ms1 - ms0)) \
		    'BEGIN { printf "%.0f", (b - a) * 100000 / hz / ms }')
	fi
	rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
	p99=$(awk '$1 == "99%" {
		v = $2
		if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v); v = v + 0 }
		else if (v ~ /m$/) { sub(/m$/, "", v); v = v * 60000 }
		else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 }
		printf "%.3f", v }' "$out")
	errs=$(awk '
		/Socket errors:/ { gsub(/,/, ""); for (i = 3; i < NF; i += 2)
			if ($(i + 1) > 0) e = e $i "=" $(i + 1) "," }
		/Non-2xx or 3xx responses:/ { e = e "non2xx=" $NF "," }
		END { sub(/,$/, "", e); print (e == "" ? "-" : e) }' "$out")
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
		timeout 30 $(pin "$CLIENT_CPUS") wrk -t1 -c50 -d1s \
		    "http://127.0.0.1:$2$path" >/dev/null 2>&1
	done
done

echo "cpu% = the proxy's CPU, other% = CPU used by anything else on the" \
    "machine (of one CPU; high = a disturbed run)"
printf '%-5s %-6s %5s  %-8s %9s %9s %6s %7s  %s\n' round body conns target \
    'req/s' 'p99 ms' 'cpu%' 'other%' errors
r=1
while [ "$r" -le "$ROUNDS" ]; do
	if [ $((r % 2)) -eq 1 ]; then
		order="edged haproxy"
	else
		order="haproxy edged"
	fi
	for body in $BODIES; do
		for conns in $CONNS; do
			run_wrk "$r" "$body" "$conns" direct "$WEB1_PORT" -
			for t in $order; do
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

# median of the numbers on stdin ("NA" lines skipped); "NA" if none
median() {
	grep -v '^NA$' | sort -g | awk '{ v[NR] = $1 }
	    END { if (NR == 0) print "NA"
		  else if (NR % 2) print v[(NR + 1) / 2]
		  else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

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

fmt_ms() {
	case $1 in NA) echo NA ;; *) awk -v v="$1" 'BEGIN {
	    if (v < 10) printf "%.2fms", v; else if (v < 1000) printf "%.1fms", v
	    else printf "%.2fs", v / 1000 }' ;; esac
}

fmt_num() {
	case $1 in NA) echo NA ;; *) awk -v v="$1" 'BEGIN { printf "%.0f", v }' ;; esac
}

fmt_ratio() {
	case $1 in NA) echo NA ;; *) awk -v v="$1" 'BEGIN { printf "%.2f", v }' ;; esac
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
if [ -s "$problems" ]; then
	echo "problems seen:"
	sed 's/^/  - /' "$problems"
else
	echo "problems seen: none"
fi
exit 0
