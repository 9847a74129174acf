# tests/bench/lib.sh - what bench.sh and reload.sh have in common: the
# checks before a run, CPU pinning, the processes they start and stop, the
# nginx backends, edged and haproxy with equivalent configurations, the
# CPU that other loads take during a run, medians and the list of problems.
#
# POSIX sh, sourced (not run) after setting `here` (the directory of the
# script) and `me` (the name its messages start with):
#
#     here=$(cd "$(dirname "$0")" && pwd)
#     me=bench
#     . "$here/lib.sh"
#
# Sourcing it sets PY and HZ and empties tmp, pids, stop_file and
# nginx_masters; the rest is functions.  They share the scripts' globals
# (tmp, pids, problems, nofile, maxconn, the *_CPUS lists, the *_PORT
# numbers, KEEP_TMP, PIN, NGINX), which they set or read as said.

PY=/usr/bin/python3		# Debian's, not whatever python3 is in PATH
HZ=$(getconf CLK_TCK)

die() {
	echo "$me: $*" >&2
	exit 1
}

note() {
	echo "$me: $*" >&2
}

is_uint() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	*) return 0 ;;
	esac
}

# need_uint VAR...: dies unless each VAR holds a whole number
need_uint() {
	for var in "$@"; do
		eval "val=\$$var"
		is_uint "$val" || die "$var must be a whole number (got '$val')"
	done
}

# need_port_base HIGHEST: dies unless PORT_BASE is within 31000-HIGHEST
# (each script's ports lie above it)
need_port_base() {
	[ "$PORT_BASE" -ge 31000 ] && [ "$PORT_BASE" -le "$1" ] ||
	    die "PORT_BASE must be within 31000-$1"
}

# PIN, NGINX and CAP, the same for every script
check_placement() {
	case $PIN in auto | none) ;; *) die "PIN: 'auto' or 'none'" ;; esac
	case $NGINX in one | two) ;; *) die "NGINX: 'one' or 'two'" ;; esac
	check_cap
}

# ---- what we need ----

# need_tools TOOL...: dies unless run as root with edged built (sets EDGED
# and EDGECTL), each TOOL, Debian's python3 and the user edged there
need_tools() {
	[ "$(id -u)" -eq 0 ] || die "run me as root (edged and haproxy drop to user edged)"
	build_arg=${EDGED_BUILD:-$here/../../build}
	build=$(cd "$build_arg" 2>/dev/null && pwd) ||
	    die "no build directory $build_arg (set EDGED_BUILD, or: meson setup build && ninja -C build)"
	EDGED=$build/edged
	EDGECTL=$build/edgectl
	[ -x "$EDGED" ] && [ -x "$EDGECTL" ] ||
	    die "no $EDGED or $EDGECTL: build first (meson setup build && ninja -C build)"
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (EDGED_WITH_TESTS=1 sh packaging/install-deps.sh)"
	done
	[ -x $PY ] || die "$PY is missing"
	id edged >/dev/null 2>&1 || die "user edged is missing (packaging/install-deps.sh creates it)"
}

# need_free_ports PORT...: dies if anything listens on one
need_free_ports() {
	for p in "$@"; do
		[ -z "$(ss -Htln "sport = :$p")" ] ||
		    die "127.0.0.1:$p is already in use (set PORT_BASE)"
	done
}

# Raises the descriptor limit as far as we may (2 per proxied connection);
# sets nofile, and maxconn: the proxies' connection limit, at most 100000
raise_nofile() {
	ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	nofile=$(ulimit -n)
	[ "$nofile" = unlimited ] && nofile=1048576
	maxconn=$(( (nofile - 1024) / 2 ))
	[ "$maxconn" -gt 100000 ] && maxconn=100000
	return 0
}

# ---- CPUs: proxy alone on one, the rest elsewhere ----

# Sets ncpu and PROXY_CPUS, BACKEND_CPUS, CLIENT_CPUS: the ones given in
# the environment, or with PIN=auto on 2 CPUs or more: proxy | wrk + nginx
# (2), proxy | nginx | wrk (3), proxy | nginx, nginx | wrk (4+)
pick_cpus() {
	cpus=$($PY -c 'import os; print(" ".join(map(str, sorted(os.sched_getaffinity(0)))))')
	ncpu=$(echo $cpus | wc -w)
	set -- $cpus
	if [ "$PIN" = auto ] && [ "$ncpu" -ge 2 ] && command -v taskset >/dev/null; then
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
	return 0
}

# "taskset -c LIST" or nothing: the command after it keeps its pid
pin() {
	[ -n "$1" ] && echo "taskset -c $1"
	return 0
}

# ---- a CPU cap for the proxies ----

# With CAP=PCT (1-100; 0 or unset: no cap), edged (master and workers) and
# haproxy each run in a cgroup of their own that may use PCT% of one CPU:
# PCT*100 us of every 10 ms.  On a machine too small for wrk and nginx to
# saturate the proxy (2 CPUs: they share one), requests/s then measure
# the proxies rather than the load on the other CPU.  cgroup v2 (cpu.max)
# or v1 (cpu.cfs_quota_us); the groups go when the run ends.
cap_dirs=''

# check_cap: CAP is a percentage, and a cpu controller is there for it;
# sets cap_root (the parent of our groups) and cap_kind (v1 or v2)
check_cap() {
	CAP=${CAP:-0}
	need_uint CAP
	[ "$CAP" -le 100 ] || die "CAP is a percentage of one CPU: 0-100"
	[ "$CAP" -eq 0 ] && return 0
	if grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		cap_root=/sys/fs/cgroup cap_kind=v2
		grep -qw cpu "$cap_root/cgroup.subtree_control" ||
		    echo +cpu >"$cap_root/cgroup.subtree_control" ||
		    die "CAP: cannot enable the cpu controller in $cap_root"
	elif [ -w /sys/fs/cgroup/cpu/cgroup.procs ]; then
		cap_root=/sys/fs/cgroup/cpu cap_kind=v1
	else
		die "CAP needs a writable cgroup cpu controller (v2 or v1)"
	fi
}

# cap_make NAME: with CAP, makes NAME's cgroup (once) and $tmp/cap-NAME,
# a wrapper that enters it and runs its arguments
cap_make() {
	[ "${CAP:-0}" -gt 0 ] || return 0
	d=$cap_root/edged-bench-$$-$1
	[ -d "$d" ] && return 0
	mkdir "$d" || die "CAP: cannot make the cgroup $d"
	cap_dirs="$cap_dirs $d"
	if [ "$cap_kind" = v2 ]; then
		echo "$((CAP * 100)) 10000" >"$d/cpu.max"
	else
		echo 10000 >"$d/cpu.cfs_period_us" &&
		    echo $((CAP * 100)) >"$d/cpu.cfs_quota_us"
	fi || die "CAP: cannot set the quota of $d"
	printf '#!/bin/sh\necho $$ >%s/cgroup.procs || exit 1\nexec "$@"\n' \
	    "$d" >"$tmp/cap-$1"
	chmod 755 "$tmp/cap-$1"
}

# capped NAME: the wrapper cap_make made, as a command prefix (like pin's
# output), or nothing without CAP
capped() {
	[ "${CAP:-0}" -gt 0 ] && echo "$tmp/cap-$1"
	return 0
}

# "; each proxy capped at ..." for the header, or nothing
cap_desc() {
	[ "${CAP:-0}" -gt 0 ] &&
	    echo "; each proxy capped at $CAP% of one CPU (cgroup $cap_kind)"
	return 0
}

# ---- processes and cleanup ----

tmp=''
pids=''			# what we started, by pid; stopped on exit
stop_file=''		# touched first on exit: the clients that poll it stop

alive() {
	# a zombie is as good as gone
	[ -r "/proc/$1/stat" ] &&
	    [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]
}

children() {
	cat /proc/"$1"/task/*/children 2>/dev/null
}

# Stops what we started: SIGTERM, then SIGKILL to what is left after 10 s;
# their children (the masters' workers, old and new) are waited for, not
# signalled: their master stops them.  Removes the temporary directory
# unless KEEP_TMP is 1.
cleanup() {
	trap - EXIT INT TERM HUP
	set +e
	[ -n "$stop_file" ] && touch "$stop_file" 2>/dev/null
	kids=''
	for p in $pids; do
		kids="$kids $(children "$p")"
	done
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null
	done
	i=0
	while [ $i -lt 100 ]; do
		left=''
		for p in $pids $kids; do
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
		*) note "pid $p (a worker of ours) is still there" ;;
		esac
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	for d in $cap_dirs; do
		rmdir "$d" 2>/dev/null || note "could not remove the cgroup $d"
	done
	# a script's own leftovers outside $tmp (cleanup_extra, if it
	# defines one), then the namespaces with what is left in them
	if command -v cleanup_extra >/dev/null 2>&1; then
		cleanup_extra
	fi
	for ns in $netns_made; do
		ip netns del "$ns" 2>/dev/null ||
		    note "could not delete the network namespace $ns"
	done
	if [ -n "$tmp" ]; then
		if [ "$KEEP_TMP" = 1 ]; then
			note "kept $tmp"
		else
			rm -rf "$tmp"
		fi
	fi
}

# ---- network namespaces (the benches that route), gone on exit ----

netns_made=''

# netns_add NAME: a network namespace with its loopback up, deleted by
# cleanup once the processes are stopped
netns_add() {
	ip netns add "$1" || die "cannot make the network namespace $1"
	netns_made="$netns_made $1"
	ip -n "$1" link set lo up || die "no loopback in $1"
}

# netns_link NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair made inside the two
# namespaces (never in this one), both ends up
netns_link() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" ||
	    die "cannot make the veth pair $1/$2 - $4/$5"
	ip -n "$1" addr add "$3" dev "$2" && ip -n "$4" addr add "$6" dev "$5" &&
	    ip -n "$1" link set "$2" up && ip -n "$4" link set "$5" up ||
	    die "cannot set up the veth pair $1/$2 - $4/$5"
}

# make_tmp NAME: sets the traps that clean up on exit, then makes tmp
# (/tmp/NAME.XXXXXX) with runs/ in it, and the empty files results and
# problems (their paths in $results and $problems)
make_tmp() {
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	tmp=$(mktemp -d "/tmp/$1.XXXXXX") || die "mktemp failed"
	chmod 755 "$tmp"
	mkdir "$tmp/runs"
	results=$tmp/results
	problems=$tmp/problems
	: >"$results"
	: >"$problems"
}

# anything that went wrong: said now, listed again at the end
problem() {
	echo "$*" >>"$problems"
	note "PROBLEM: $*"
}

# the list of problems, last thing printed
print_problems() {
	if [ -s "$problems" ]; then
		echo "problems seen:"
		sed 's/^/  - /' "$problems"
	else
		echo "problems seen: none"
	fi
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

# wrk_figures FILE: from wrk --latency's output in FILE, sets rps
# (requests/s, whole), p99 (ms) and errs (socket errors and non-2xx/3xx
# answers as "read=3,non2xx=1", or "-"); empty when wrk printed none
wrk_figures() {
	rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$1")
	p99=$(awk '$1 == "99%" {
		v = $2
		if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v); v = v + 0 }
		else if (v ~ /m$/) { sub(/m$/, "", v); v = v * 60000 }
		else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 }
		printf "%.3f", v }' "$1")
	errs=$(awk '
		/Socket errors:/ { gsub(/,/, ""); for (i = 3; i < NF; i += 2)
			if ($(i + 1) > 0) e = e $i "=" $(i + 1) "," }
		/Non-2xx or 3xx responses:/ { e = e "non2xx=" $NF "," }
		END { sub(/,$/, "", e); print (e == "" ? "-" : e) }' "$1")
}

# ---- figures: CPU time, and numbers as the summaries print them ----

# user + system CPU time of a process (all its threads), in clock ticks
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
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

# ---- nginx backends ----

nginx_masters=''

# start_nginx [-bulk MIB] [-4k] [-server TEXT] NAME PORT...: one nginx,
# one worker, serving on each PORT "hello\n" on /, its connection counts
# on /nginx-status, with -4k a static 4096-byte file on /4k, with -bulk
# that and a sparse file of MIB MiB on /bulk (sendfile); -server adds
# TEXT, a server block of its own, to the http block
start_nginx() {
	big=0 server='' bulk=0
	[ "$1" = -bulk ] && { big=1 bulk=$2; shift 2; }
	[ "$1" = -4k ] && { big=1; shift; }
	[ "$1" = -server ] && { server=$2; shift 2; }
	d=$tmp/$1
	shift
	mkdir "$d"
	listen=''
	for port in "$@"; do
		listen="$listen        listen 127.0.0.1:$port backlog=4096;
"
	done
	file_lines='' file_location=''
	if [ $big = 1 ]; then
		mkdir "$d/htdocs"
		head -c 4096 /dev/zero | tr '\0' x >"$d/htdocs/4k"
		chmod -R a+rX "$d/htdocs"
		file_lines='    sendfile on;
    open_file_cache max=16;
    open_file_cache_valid 300s;
'
		file_location="        location = /4k { root $d/htdocs; }
"
	fi
	if [ "$bulk" -gt 0 ]; then	# sparse: no disk
		truncate -s "${bulk}M" "$d/htdocs/bulk"
		chmod a+r "$d/htdocs/bulk"
		file_location="$file_location        location = /bulk { root $d/htdocs; }
"
	fi
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
${file_lines}    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    server {
$listen$file_location        location = /nginx-status { stub_status; }
        location / { return 200 "hello\n"; }
    }
$server}
EOC
	$(pin "$BACKEND_CPUS") nginx -c "$d/nginx.conf" -p "$d/" \
	    >"$d/stdout" 2>&1 </dev/null &
	pids="$pids $!"
	nginx_masters="$nginx_masters $!"
}

# start_backends [-4k] PORT1 PORT...: with NGINX=one, one nginx ("web")
# listening on every port; with NGINX=two, one ("web1") on PORT1 and
# another ("web2") on the rest; then waits until they all answer
start_backends() {
	opt=''
	[ "$1" = -4k ] && { opt=-4k; shift; }
	if [ "$NGINX" = two ]; then
		first=$1
		shift
		start_nginx $opt web1 "$first"
		start_nginx $opt web2 "$@"
		set -- "$first" "$@"
	else
		start_nginx $opt web "$@"
	fi
	for port in "$@"; do
		wait_http "http://127.0.0.1:$port/" 50 || {
			cat "$tmp"/web*/stdout "$tmp"/web*/error.log >&2 2>/dev/null
			die "nginx on 127.0.0.1:$port did not start"
		}
	done
}

# ---- edged and haproxy ----

# edged_head: the global and defaults blocks of every bench: one worker,
# the control socket in tmp, maxconn, the bench's timeouts
edged_head() {
	cat <<EOC
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
EOC
}

# edged_conf ALGORITHM MEMBERS VS2: one worker, the bench's timeouts, no
# X-Forwarded-For; pool p over b1 and b2 (MEMBERS 2) or b1, b2, b3 (3), on
# WEB1_PORT...WEB3_PORT; virtual server v on EDGE_PORT and, with VS2 1, v2
# on EDGE_VS2
edged_conf() {
	edged_head
	cat <<EOC
application-profile web {
    type http
    x-forwarded-for none
}
pool p {
    algorithm $1
    member b1 127.0.0.1:$WEB1_PORT
    member b2 127.0.0.1:$WEB2_PORT
EOC
	[ "$2" = 3 ] && echo "    member b3 127.0.0.1:$WEB3_PORT"
	cat <<EOC
}
virtual-server v {
    listen 127.0.0.1:$EDGE_PORT
    profile web
    default-pool p
}
EOC
	[ "$3" = 1 ] && cat <<EOC
virtual-server v2 {
    listen 127.0.0.1:$EDGE_VS2
    profile web
    default-pool p
}
EOC
	return 0
}

# haproxy_head [GLOBAL]: haproxy's global and defaults sections as every
# comparison runs it: one thread, keep-alive, http-reuse safe; GLOBAL:
# more lines for the global section.  A blank line ends it.
haproxy_head() {
	cat <<EOC
global
    nbthread 1
    maxconn $maxconn
    user edged
    group edged
EOC
	[ -n "${1:-}" ] && printf '%s\n' "$1"
	cat <<EOC

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

EOC
}

# haproxy_conf BALANCE MEMBERS VS2 [GLOBAL]: the same for haproxy
# (haproxy_head); frontend fe on HAP_PORT, with VS2 1 fe2 on HAP_VS2
haproxy_conf() {
	haproxy_head "${4:-}"
	cat <<EOC
frontend fe
    bind 127.0.0.1:$HAP_PORT
    default_backend be

backend be
    balance $1
    server b1 127.0.0.1:$WEB1_PORT
    server b2 127.0.0.1:$WEB2_PORT
EOC
	[ "$2" = 3 ] && echo "    server b3 127.0.0.1:$WEB3_PORT"
	[ "$3" = 1 ] && cat <<EOC

frontend fe2
    bind 127.0.0.1:$HAP_VS2
    default_backend be
EOC
	return 0
}

# check_confs EDGED-FILE HAPROXY-FILE WHAT: dies unless both accept theirs
check_confs() {
	"$EDGED" -t -c "$1" >"$tmp/check.log" 2>&1 || {
		cat "$tmp/check.log" >&2
		die "edged rejects $3"
	}
	haproxy -c -q -f "$2" >"$tmp/check.log" 2>&1 || {
		cat "$tmp/check.log" >&2
		die "haproxy rejects $3"
	}
}

# edgectl status --json, and the worker pid in it (a filter)
edged_status() {
	timeout 5 "$EDGECTL" -s "$tmp/edged.sock" --json status 2>/dev/null
}
worker_pid() {
	sed -n 's/.*"worker_pid":\([0-9]*\).*/\1/p'
}

# start_edged [OPTION...]: edged with OPTIONs on $tmp/edged.conf, its log
# in $tmp/edged.log (appended to: others may write marks in between);
# waits until it is ready, sets edged_master and edged_pid (its worker)
start_edged() {
	: >"$tmp/edged.log"
	cap_make edged
	$(pin "$PROXY_CPUS") $(capped edged) "$EDGED" "$@" -c "$tmp/edged.conf" \
	    >>"$tmp/edged.log" 2>&1 </dev/null &
	edged_master=$!
	pids="$pids $edged_master"
	edged_wait_ready
}

# edged_wait_ready: until the edged started as edged_master is ready (10 s
# at most: else its log and die); sets edged_pid (its worker).  The
# control socket is a path, so this works from any namespace.
edged_wait_ready() {
	edged_pid=''
	i=0
	while [ $i -lt 100 ]; do
		st=$(edged_status)
		case $st in
		*'"ready":true'*)
			edged_pid=$(echo "$st" | worker_pid)
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
}

# start_haproxy [OPTION...]: haproxy with OPTIONs on $tmp/haproxy.cfg, its
# output in $tmp/haproxy.log (appended to); sets hap_pid
start_haproxy() {
	: >"$tmp/haproxy.log"
	cap_make haproxy
	$(pin "$PROXY_CPUS") $(capped haproxy) haproxy "$@" -f "$tmp/haproxy.cfg" \
	    >>"$tmp/haproxy.log" 2>&1 </dev/null &
	hap_pid=$!
	pids="$pids $hap_pid"
}

# waits until both proxies answer 200 on EDGE_PORT and HAP_PORT
wait_proxies() {
	for port in $EDGE_PORT $HAP_PORT; do
		wait_http "http://127.0.0.1:$port/" 50 || {
			cat "$tmp/edged.log" "$tmp/haproxy.log" >&2
			die "nothing answers 200 on 127.0.0.1:$port"
		}
	done
}

# ---- runs ----

# round_order ROUND: which side goes first alternates from round to round
round_order() {
	if [ $(($1 % 2)) -eq 1 ]; then
		echo "edged haproxy"
	else
		echo "haproxy edged"
	fi
}

# warm_up THREADS CONNS URL: one second of wrk, not counted
warm_up() {
	timeout 30 $(pin "$CLIENT_CPUS") wrk -t"$1" -c"$2" -d1s "$3" \
	    >/dev/null 2>&1
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# CPU ticks of all the CPUs, busy (not idle, not iowait)
busy_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# CPU ticks used by the bench itself: the children this shell waited for
# (wrk, curl...; `times` must run in this shell, not in $(...)), and what
# procs_ticks, which the script defines, counts for the processes it runs
ours_ticks() {
	times >"$tmp/times"
	t=$(awk -v hz="$HZ" 'NR == 2 { for (i = 1; i <= 2; i++) {
		split($i, a, "m"); sub(/s$/, "", a[2]); t += a[1] * 60 + a[2] }
	    printf "%.0f", t * hz }' "$tmp/times")
	echo $((t + $(procs_ticks)))
}

# The CPU that went to anything but the bench during a run, in % of one
# CPU (another load on the machine, kernel threads): run_begin just before
# it, run_end as soon as it ends, other_cpu once whatever of ours still
# ran for it is done; other_cpu sets $other.  cpu_pct uses the same span.
run_begin() {
	ours_ticks >"$tmp/ours"
	read -r o0 <"$tmp/ours"
	b0=$(busy_ticks)
	ms0=$(now_ms)
}

run_end() {
	ms1=$(now_ms)
	b1=$(busy_ticks)
}

other_cpu() {
	ours_ticks >"$tmp/ours"
	read -r o1 <"$tmp/ours"
	other=$(awk -v b=$((b1 - b0)) -v o=$((o1 - o0)) -v hz="$HZ" \
	    -v ms=$((ms1 - ms0)) 'BEGIN { v = (b - o) * 100000 / hz / ms
	    printf "%.0f", v < 0 ? 0 : v }')
}

# cpu_pct TICKS0 TICKS1: the ticks in between in % of one CPU over the run
cpu_pct() {
	awk -v a="$1" -v b="$2" -v hz="$HZ" -v ms=$((ms1 - ms0)) \
	    'BEGIN { printf "%.0f", (b - a) * 100000 / hz / ms }'
}

# ---- summary ----

# median of the numbers on stdin ("NA" lines skipped); "NA" if none
median() {
	grep -v '^NA$' | sort -g | awk '{ v[NR] = $1 }
	    END { if (NR == 0) print "NA"
		  else if (NR % 2) print v[(NR + 1) / 2]
		  else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
