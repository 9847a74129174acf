# tests/integration/lib.sh - what every integration scenario shares.
#
# A scenario sources this file, calls it_begin with its name (which
# picks its block of free ports, IT_PORT), starts real programs (nginx, python backends, edged) on
# 127.0.0.1 through the helpers below, asserts, and ends with `pass`.
# Every process started here is recorded by pid and stopped, and the
# scenario's temporary directory removed, by the EXIT trap: on success,
# on failure and on interruption alike.
#
# Environment:
#   EDGED_BUILD   the build directory holding edged and edgectl
#                 (default: ../../build from this file)
#   IT_KEEP=1     keep the temporary directory (for post-mortems)

set -eu -o pipefail

IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EDGED_BUILD=${EDGED_BUILD:-$IT_DIR/../../build}
EDGED_BUILD=$(cd "$EDGED_BUILD" && pwd)
EDGED=$EDGED_BUILD/edged
EDGECTL=$EDGED_BUILD/edgectl
# Debian's python: it has the websockets module (a pyenv one may not).
PY=/usr/bin/python3
NGINX=${NGINX:-/usr/sbin/nginx}

# A sanitizer build (meson -Dsanitize=...) reports on stderr, which is
# edged's log here (the worker inherits it); it_cleanup fails the scenario
# when a log holds a report.  Leaks are looked for where a process exits
# normally (the master, edgectl, a worker stopped by its master); a
# worker killed by a signal leaves no report, by design.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1}
SANITIZER_REPORT='ERROR: (Address|Leak|Thread)Sanitizer|WARNING: ThreadSanitizer|runtime error:'
# IT_SANITIZED=1 when edged is such a build: it runs several times more
# slowly, and a scenario that counts what fits in a time expects less.
IT_SANITIZED=0
if grep -qa -e __asan_init -e __tsan_init "$EDGED" 2>/dev/null; then
	IT_SANITIZED=1
fi

IT_NAME=
T=
IT_PIDS=()			# every background process we started
IT_FAILED=0
EDGED_PID=
EDGED_SOCK=
EDGED_LOG=
declare -A BACKEND_PID=()
IT_NETNS=()
IT_FRR_NS=()			# FRR pathspaces (frr_daemon)			# network namespaces we made

# ---- messages ----

it_log() { printf '[%s] %s\n' "$IT_NAME" "$*" >&2; }

# Prints the end of every log the scenario has, to explain a failure
# (edged's without the debug line every ordinary session end makes).
it_dump_logs() {
	local f
	[ -n "$T" ] && [ -d "$T" ] || return 0
	for f in "$T"/*.log; do
		[ -s "$f" ] || continue
		printf -- '---- %s (last 25 lines) ----\n' "${f#"$T"/}" >&2
		grep -av 'session closed: \(client closed\|done\)$' "$f" |
		    tail -n 25 >&2 || true
	done
}

# fail MESSAGE...: the scenario failed; explains and exits 1.
fail() {
	IT_FAILED=1
	printf '[%s] FAIL: %s\n' "$IT_NAME" "$*" >&2
	it_dump_logs
	exit 1
}

# check_failed MESSAGE...: records a failed assertion but goes on, so that one
# run shows every problem; `pass` then exits 1.
check_failed() {
	IT_FAILED=1
	printf '[%s] FAIL: %s\n' "$IT_NAME" "$*" >&2
}

pass() {
	if [ "$IT_FAILED" != 0 ]; then
		it_dump_logs
		printf '[%s] FAILED\n' "$IT_NAME" >&2
		exit 1
	fi
	printf '[%s] PASS\n' "$IT_NAME" >&2
	exit 0
}

# ---- assertions: WHAT describes the check; all print expected and got --

assert_eq() {			# WHAT EXPECTED GOT
	[ "$2" = "$3" ] && return 0
	check_failed "$1: expected '$2', got '$3'"
	return 0
}

assert_ne() {			# WHAT UNEXPECTED GOT
	[ "$2" != "$3" ] && return 0
	check_failed "$1: expected anything but '$2', got it"
	return 0
}

assert_match() {		# WHAT EXTENDED-REGEX GOT
	grep -Eq -- "$2" <<<"$3" && return 0
	check_failed "$1: expected to match /$2/, got '$3'"
	return 0
}

assert_no_match() {		# WHAT EXTENDED-REGEX GOT
	grep -Eq -- "$2" <<<"$3" || return 0
	check_failed "$1: expected not to match /$2/, got '$3'"
	return 0
}

assert_le() {			# WHAT GOT MAX
	[ "$2" -le "$3" ] && return 0
	check_failed "$1: expected at most $3, got $2"
	return 0
}

assert_ge() {			# WHAT GOT MIN
	[ "$2" -ge "$3" ] && return 0
	check_failed "$1: expected at least $3, got $2"
	return 0
}

assert_between() {		# WHAT GOT MIN MAX
	[ "$2" -ge "$3" ] && [ "$2" -le "$4" ] && return 0
	check_failed "$1: expected between $3 and $4, got $2"
	return 0
}

# ---- life ----

# proc_start PID: when the process started (clock ticks after boot,
# /proc/PID/stat's 22nd field), or nothing when it is gone
proc_start() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}

it_cleanup() {
	local rc=$? pid i kids=()
	set +e
	trap - EXIT
	# a closed stderr must not stop the cleanup half-way
	trap '' INT TERM HUP PIPE
	# what they forked (socat's handler of a connection that never
	# ends once its namespace is gone): stopped after them, if it is
	# still there then (edged's workers go with their master)
	for pid in "${IT_PIDS[@]}"; do
		for i in $(pgrep -P "$pid" 2>/dev/null); do
			kids+=("$i:$(proc_start "$i")")
		done
	done
	# edged first: its master stops its workers
	for ((i = ${#IT_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${IT_PIDS[i]}
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${IT_PIDS[@]}"; do
		for i in $(seq 1 60); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			it_log "pid $pid ignored SIGTERM; killing it"
			kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
	done
	for pid in "${kids[@]}"; do
		# the same process, not another that got its number since
		[ "$(proc_start "${pid%%:*}")" = "${pid#*:}" ] || continue
		pid=${pid%%:*}
		kill -TERM "$pid" 2>/dev/null
		for i in $(seq 1 20); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	done
	# a scenario's own leftovers outside $T (it_cleanup_extra, if it
	# defines one: FRR's pathspace directories)
	if declare -F it_cleanup_extra >/dev/null; then
		it_cleanup_extra
	fi
	# FRR's pathspace directories (frr_daemon), its daemons stopped
	for pid in "${IT_FRR_NS[@]}"; do
		rm -rf "/var/run/frr/$pid"
	done
	# the namespaces go with everything in them (addresses, rules)
	for pid in "${IT_NETNS[@]}"; do
		ip netns del "$pid" 2>/dev/null
	done
	# every process has stopped: the reports made at exit are in too
	if [ -n "$T" ] && [ -d "$T" ] &&
	    grep -aEl -- "$SANITIZER_REPORT" "$T"/*.log >/dev/null 2>&1; then
		printf '[%s] FAIL: a sanitizer report in %s\n' "$IT_NAME" \
		    "$(grep -aEl -- "$SANITIZER_REPORT" "$T"/*.log |
		    sed "s|^$T/||" | tr '\n' ' ')" >&2
		grep -aEh -A 30 -- "$SANITIZER_REPORT" "$T"/*.log |
		    head -n 80 >&2
		IT_FAILED=1
		[ "$rc" != 0 ] || rc=1
	fi
	if [ "$rc" != 0 ] && [ "$IT_FAILED" = 0 ]; then
		printf '[%s] FAIL: exited with status %s (a command failed)\n' \
		    "$IT_NAME" "$rc" >&2
		it_dump_logs
	fi
	if [ -n "$T" ] && [ "${IT_KEEP:-0}" != 1 ]; then
		rm -rf "$T"
	elif [ -n "$T" ]; then
		it_log "kept $T"
	fi
	exit "$rc"
}

# it_begin NAME: the temporary directory $T, the trap, the checks that
# the programs exist, the scenario's ports (it_pick_ports).
it_begin() {
	IT_NAME=$1
	local p
	for p in "$EDGED" "$EDGECTL" "$NGINX" "$PY" curl; do
		command -v "$p" >/dev/null 2>&1 ||
		    { echo "[$IT_NAME] FAIL: $p not found" >&2; exit 1; }
	done
	[ "$(id -u)" = 0 ] ||
	    { echo "[$IT_NAME] FAIL: integration tests need root" >&2; exit 1; }
	T=$(mktemp -d "/tmp/edged-it-$IT_NAME.XXXXXX")
	# the worker runs as user edged and reads nothing here, but the
	# backends' files must be readable to whoever serves them
	chmod 755 "$T"
	EDGED_SOCK=$T/edged.sock
	trap it_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	trap 'exit 141' PIPE
	it_pick_ports
}

# spawn LOGFILE CMD...: runs CMD in the background, recorded for cleanup;
# its pid in $SPAWNED.
spawn() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 </dev/null &
	SPAWNED=$!
	IT_PIDS+=("$SPAWNED")
}

# stop_pid PID: stops one process we started, and waits for it.
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

port_open() {			# PORT
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_port PORT [SECONDS]: until something accepts on 127.0.0.1:PORT.
wait_port() {
	local port=$1 tries=$(( ${2:-5} * 20 ))
	while ! port_open "$port"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || fail "nothing listens on 127.0.0.1:$port"
		sleep 0.05
	done
}

# wait_port_closed PORT: until nothing accepts there any more.
wait_port_closed() {
	local port=$1 tries=100
	while port_open "$port"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || fail "127.0.0.1:$port still accepts"
		sleep 0.05
	done
}

# it_pick_ports: IT_PORT, the first of the 100 ports scenario NN uses
# (NN from its name): 21000 + 100 * NN, or, when another program holds
# one of them, the first block of the same shape (11000 + ..., then
# 61000 + ...) that is all free, said in the log.  Scenarios name their
# ports as IT_PORT + k, k < 100.
it_pick_ports() {
	local nn=${IT_NAME%%-*} base p taken
	case $nn in
	[0-9][0-9]) ;;
	*) IT_PORT=; return 0 ;;
	esac
	for base in 21000 11000 61000; do
		IT_PORT=$((base + 100 * 10#$nn))
		taken=
		for ((p = IT_PORT; p < IT_PORT + 100; p++)); do
			port_open "$p" && { taken=$p; break; }
		done
		[ -n "$taken" ] || return 0
		it_log "port $taken is in use (by a program not ours): trying" \
		    "another block of ports"
	done
	fail "no free block of 100 ports for this scenario (tried those" \
	    "from $((21000 + 100 * 10#$nn)), $((11000 + 100 * 10#$nn)) and" \
	    "$((61000 + 100 * 10#$nn)))"
}

# A port must be free before a scenario uses it, or its results would
# come from someone else's server.
require_free_ports() {		# PORT...
	local p
	for p in "$@"; do
		port_open "$p" && fail "port $p is already in use"
	done
	return 0
}

now_ms() { date +%s%3N; }

# ---- network namespaces ----

# netns_add NAME: a new network namespace with its loopback up, deleted
# on exit.  Tests that change firewall rules, routes or addresses do it
# only in namespaces of their own.
netns_add() {
	ip netns add "$1" || fail "cannot make network namespace $1"
	IT_NETNS+=("$1")
	ip -n "$1" link set lo up
}

# netns_addr NS IF CIDR: IPv6 ones without duplicate address detection,
# so that they are usable at once
netns_addr() {
	case $3 in
	*:*) ip -n "$1" addr add "$3" dev "$2" nodad ;;
	*) ip -n "$1" addr add "$3" dev "$2" ;;
	esac
}

# netns_link NS1 IF1 ADDRS1 NS2 IF2 ADDRS2: a veth pair between two
# namespaces, each end up with its addresses (space-separated CIDRs).
netns_link() {
	local a
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" ||
	    fail "cannot make the veth pair $1/$2 - $4/$5"
	for a in $3; do netns_addr "$1" "$2" "$a"; done
	for a in $6; do netns_addr "$4" "$5" "$a"; done
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

# ---- FRR ----

# frr_daemon NS DIR NAME [ARGS...]: FRR's daemon NAME in namespace NS, as
# frr, with FRR's pathspace NS (its directory under /var/run/frr goes on
# exit), its vty socket, zserv socket, pid file and log in DIR (made
# frr's), its configuration DIR/NAME.conf (made empty when missing); its
# pid in $FRR_PID, stopped on exit.
frr_daemon() {
	local ns=$1 d=$2 name=$3 i
	shift 3
	mkdir -p "$d"
	[ -e "$d/$name.conf" ] || : >"$d/$name.conf"
	chown -R frr:frr "$d"
	rm -f "$d/$name.pid"
	IT_FRR_NS+=("$ns")
	ip netns exec "$ns" /usr/lib/frr/$name -d -u frr -g frr -N "$ns" \
	    -P 0 --log "file:$d/$name.log" -f "$d/$name.conf" \
	    -i "$d/$name.pid" -z "$d/zserv.api" --vty_socket "$d" "$@" ||
	    fail "$name did not start in $ns"
	for i in $(seq 1 50); do
		[ -s "$d/$name.pid" ] && break
		sleep 0.1
	done
	FRR_PID=$(cat "$d/$name.pid")
	IT_PIDS+=("$FRR_PID")
	if [ "$name" = zebra ]; then
		for i in $(seq 1 50); do
			[ -S "$d/zserv.api" ] && break
			sleep 0.1
		done
	fi
}

# ---- dnsmasq members ----

# dnsmasq_member LOG ADDR PORT ANSWER [NS]: a dnsmasq on ADDR:PORT (in
# namespace NS when given) answering ANSWER for every name under
# example.test and logging each query to LOG ("query[A] NAME from
# CLIENT"); SPAWNED is its pid.
dnsmasq_member() {
	local pre=()
	[ -n "${5:-}" ] && pre=(ip netns exec "$5")
	spawn "$1" "${pre[@]}" dnsmasq --keep-in-foreground --port="$3" \
	    --listen-address="$2" --bind-interfaces --no-resolv --no-hosts \
	    --address="/example.test/$4" --pid-file= --conf-file=/dev/null \
	    --user=nobody --log-facility=- --log-queries
}

# ---- nginx backends ----

# netns_nginx NS NAME HOST:PORT SERVER-BODY: one nginx (single process,
# foreground) inside namespace NS, serving SERVER-BODY (the lines of its
# server { } block), its errors in $T/NAME.err; waits until HOST:PORT
# (IPv4) accepts there.
netns_nginx() {
	local ns=$1 name=$2 hp=$3 body=$4 d=$T/nginx-$2 i
	mkdir -p "$d/tmp"
	chmod -R 777 "$d/tmp"
	cat >"$d/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $d/nginx.pid;
error_log $T/$name.err info;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    server {
$body
    }
}
EOF
	spawn "$T/$name.log" ip netns exec "$ns" "$NGINX" -c "$d/nginx.conf" \
	    -p "$d/"
	for i in $(seq 1 50); do
		ip netns exec "$ns" bash -c \
		    "exec 3<>/dev/tcp/${hp%:*}/${hp##*:}" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "nginx $name in $ns does not accept on $hp"
}

# nginx_backend NAME PORT [SERVER-DIRECTIVES] [LISTEN-OPTIONS]: one nginx
# (single process, foreground) answering "NAME\n" with X-Backend: NAME on
# every location not overridden, logging each request to $T/NAME.access:
#   connection-serial connection-requests "request" status
#   xff="..." len=request-length host="..." conn="..." te="..." cl="..."
nginx_backend() {
	local name=$1 port=$2 extra=${3:-} opts=${4:-} d=$T/nginx-$1
	mkdir -p "$d/tmp"
	chmod -R 777 "$d/tmp"
	cat >"$d/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $d/nginx.pid;
error_log $T/$name.err info;
events { worker_connections 1024; }
http {
    log_format it '\$connection \$connection_requests "\$request" \$status '
                  'xff="\$http_x_forwarded_for" len=\$request_length '
                  'host="\$host" conn="\$http_connection" '
                  'te="\$http_transfer_encoding" cl="\$http_content_length"';
    access_log $T/$name.access it;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    keepalive_requests 100000;
    keepalive_timeout 60s;
    client_max_body_size 0;
    large_client_header_buffers 4 64k;
    default_type text/plain;
    server {
        listen 127.0.0.1:$port $opts;
        location / {
            add_header X-Backend $name always;
            return 200 "$name\n";
        }
        $extra
    }
}
EOF
	: >"$T/$name.access"
	spawn "$T/$name.nginx.log" "$NGINX" -p "$d" -e "$T/$name.err" \
	    -c "$d/nginx.conf"
	BACKEND_PID[$name]=$SPAWNED
	wait_port "$port"
}

# nginx_tls_backend NAME PORT CERT KEY [SERVER-DIRECTIVES]: the same over
# TLS, with that certificate and key (TLS 1.2 and 1.3).
nginx_tls_backend() {
	nginx_backend "$1" "$2" "ssl_certificate $3; ssl_certificate_key $4;
        ssl_protocols TLSv1.2 TLSv1.3; ${5:-}" ssl
}

# backend_stop NAME: stops one backend (nginx or python) started here.
backend_stop() {
	stop_pid "${BACKEND_PID[$1]}"
}

# access_count NAME: requests the backend logged.
access_count() {
	# nginx writes its log line after the response: give it a moment
	sleep 0.05
	wc -l <"$T/$1.access" | tr -d ' '
}

# ---- python backends (backend.py) ----

# py_backend NAME PORT MODE [ARGS...]: see backend.py for the modes.
py_backend() {
	local name=$1 port=$2
	shift 2
	spawn "$T/$name.log" "$PY" "$IT_DIR/backend.py" --name "$name" \
	    --port "$port" "$@"
	BACKEND_PID[$name]=$SPAWNED
	wait_port "$port"
}

# req_gap LOG: the shortest time, in ms, between two requests a slow
# python backend logged (its REQ lines' t=), one after the other; a
# large number when it logged fewer than two.  A member that takes one
# request at a time and D seconds each logs them at least D apart
# (whatever the order its REQ and DONE lines land in).
req_gap() {
	awk '/^REQ / { for (i = 1; i <= NF; i++) if ($i ~ /^t=/) {
	    t = substr($i, 3) * 1000
	    if (n++ > 0 && (min == "" || t - last < min)) min = t - last
	    last = t } }
	    END { printf "%d\n", min == "" ? 999999 : min }' "$1"
}

# backend_with WORD NAME...: the name of the python backend whose log
# (NAME.log) shows WORD, waiting up to 5 s for one to; "" if none does.
backend_with() {
	local word=$1 i
	shift
	local logs=("${@/#/$T/}")
	logs=("${logs[@]/%/.log}")
	for i in $(seq 1 100); do
		grep -q -- "$word" "${logs[@]}" && break
		sleep 0.05
	done
	{ grep -l -- "$word" "${logs[@]}" || true; } |
	    sed 's|.*/||; s|\.log$||' | head -n 1
}

# ---- edged ----

# edged_conf_head [LINE...]: the global and defaults blocks every
# scenario shares (two threads, the edged user, the scenario's own control
# socket, short timeouts: TMO_CONNECT, TMO_SERVER, TMO_HTTP_REQUEST
# override them), on stdout.  Extra defaults lines may be passed.
# edged_global: a global block for one worker whose state stays in $T
# (the namespace scenarios')
edged_global() {
	cat <<GLOBAL
global {
    workers 1
    user edged
    control-socket $EDGED_SOCK
    state-directory $T/state
}
GLOBAL
}

edged_conf_head() {
	cat <<EOF
global {
    workers 2
    user edged
    control-socket $EDGED_SOCK
}
defaults {
    timeout connect ${TMO_CONNECT:-1s}
    timeout server ${TMO_SERVER:-2s}
    timeout http-request ${TMO_HTTP_REQUEST:-2s}
EOF
	[ $# -eq 0 ] || printf '    %s\n' "$@"
	echo "}"
}

# one_pool_conf VIP XFF NAME PORT [NAME PORT]...: the common case,
# written to stdout: edged_conf_head, a profile "web" (x-forwarded-for
# XFF), a round-robin pool p of the members NAME at 127.0.0.1:PORT, and
# virtual server v on VIP.
one_pool_conf() {
	local vip=$1 xff=$2
	shift 2
	edged_conf_head
	printf 'application-profile web { type http; x-forwarded-for %s }\n' \
	    "$xff"
	printf 'pool p {\n    algorithm round-robin\n'
	while [ $# -ge 2 ]; do
		printf '    member %s 127.0.0.1:%s\n' "$1" "$2"
		shift 2
	done
	printf '}\nvirtual-server v {\n    listen 127.0.0.1:%s\n' "$vip"
	printf '    profile web\n    default-pool p\n}\n'
}

ctl() { "$EDGECTL" -s "$EDGED_SOCK" "$@"; }
# [CMD...] STATE-DIR: the members of dynamic groups edged keeps there,
# the lines of the newer of its two slot files (base/slots.h), without
# comments and padding; CMD runs the reader (nsenter into edged's
# mounts...), which looks for the files where it runs
state_groups() {
	local dir=${!#}
	"${@:1:$#-1}" sh -c 'awk '\''
	FNR == 1 { f++; gen[f] = $2 == "edged" && $3 == "state:" ? $5 + 0 : -1 }
	FNR > 1 && $0 !~ /^#/ && $0 != "" { text[f] = text[f] $0 "\n" }
	END {
		for (i = 1; i <= f; i++)
			if (gen[i] >= 0 && (!b || gen[i] > gen[b]))
				b = i
		printf "%s", text[b]
	}'\'' "$1"/groups.[01] 2>/dev/null' sh "$dir" || true
}

# json_get EXPR: reads JSON on stdin, prints the python expression EXPR
# evaluated with the document as `j` (e.g. 'j["worker_pid"]').
json_get() {
	"$PY" -c 'import json,sys
j = json.load(sys.stdin)
v = eval(sys.argv[1])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) else v)' "$1"
}

# stat_of EXPR: evaluates EXPR over `edgectl show stats --json`, with
# helpers m(name) for a member, vs(name) and pool(name).
stat_of() {
	ctl show stats --json | "$PY" -c 'import json,sys
j = json.load(sys.stdin)
def vs(n): return [v for v in j["virtual_servers"] if v["name"] == n][0]
def pool(n): return [p for p in j["pools"] if p["name"] == n][0]
def m(n): return [x for p in j["pools"] for x in p["members"] if x["name"] == n][0]
print(eval(sys.argv[1]))' "$1"
}

# member_health POOL MEMBER: the member's health once its first probes
# had time (up to 2 s), or "unknown".
member_health() {
	local i h
	for i in $(seq 1 40); do
		h=$(ctl show pool "$1" --json | json_get "[m for m in \
j['pools'][0]['members'] if m['name'] == '$2'][0]['health']")
		[ -n "$h" ] && [ "$h" != unknown ] && break
		sleep 0.05
	done
	echo "$h"
}

# poll_until WANT TRIES CMD...: what CMD prints once it is WANT, or what
# it prints at the last of TRIES tries 50 ms apart.
poll_until() {
	local want=$1 tries=$2 i v
	shift 2
	for i in $(seq 1 "$tries"); do
		v=$("$@")
		[ "$v" = "$want" ] && break
		sleep 0.05
	done
	echo "$v"
}

# feed_set NS GROUP 4|6: the elements of fed group GROUP's two sets in
# NS (f_GROUP_4, its prefixes and ranges; fh_GROUP_4, its single
# addresses), as nft lists them, in address order: "A, B/24, C-D"
feed_set() {
	local s all=
	for s in "f_$2_$3" "fh_$2_$3"; do
		all+=$(ip netns exec "$1" nft list set inet edged "$s" \
		    2>/dev/null | tr -d '\n\t' | tr -s ' ' |
		    sed -n 's/.*elements = { \(.*\) }.*/\1/p'),
	done
	"$PY" -c 'import ipaddress, sys
v = [e.strip() for e in sys.argv[1].split(",") if e.strip()]
key = lambda e: ipaddress.ip_address(e.split("/")[0].split("-")[0])
print(", ".join(sorted(v, key=key)))' "$all"
}

# poll_until_match REGEX TRIES CMD...: what CMD prints once it matches
# the extended REGEX, or what it prints at the last of TRIES tries 50 ms
# apart.
poll_until_match() {
	local re=$1 tries=$2 i v
	shift 2
	for i in $(seq 1 "$tries"); do
		v=$("$@")
		[[ $v =~ $re ]] && break
		sleep 0.05
	done
	echo "$v"
}

# member_health_is POOL MEMBER HEALTH: the member's health once it is
# HEALTH, or what it is after 2 s.
member_health_is() {
	poll_until "$3" 40 member_health "$1" "$2"
}

edged_worker_pid() {
	ctl status --json | json_get 'j["worker_pid"]'
}

# edged_wait_ready [OLDPID] [SECONDS]: until status says a worker (other
# than OLDPID) is ready.
edged_wait_ready() {
	local old=${1:-0} tries=$(( ${2:-10} * 20 )) st
	while :; do
		st=$(ctl status --json 2>/dev/null || true)
		if [[ $st == *'"ready":true'* &&
		    $st != *"\"worker_pid\":$old,"* ]]; then
			return 0
		fi
		kill -0 "$EDGED_PID" 2>/dev/null ||
		    fail "edged exited while starting"
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || fail "edged not ready: status '$st'"
		sleep 0.05
	done
}

# edged_start CONF [PORT...]: starts edged -d on CONF (master + worker,
# foreground, logs in $T/edged.log) and waits until it is ready and the
# given ports accept.
edged_start() {
	local conf=$1 p
	shift
	EDGED_LOG=$T/edged.log
	"$EDGED" -t -c "$conf" >"$T/edged-check.log" 2>&1 ||
	    fail "edged -t rejects the test's configuration: $(cat "$T/edged-check.log")"
	# EDGED_WRAP: a command prefix, e.g. "prlimit --nofile=40:40"
	# shellcheck disable=SC2086
	spawn "$EDGED_LOG" ${EDGED_WRAP:-} "$EDGED" -d -c "$conf"
	EDGED_PID=$SPAWNED
	edged_wait_ready
	for p in "$@"; do
		wait_port "$p"
	done
}

# ---- clients ----

# get URL [CURL-ARGS...]: the body of a GET (exit status of curl kept).
get() {
	local url=$1
	shift
	curl -sS --max-time 10 "$@" "$url"
}

# status_of URL [CURL-ARGS...]: the HTTP status code of a request.
status_of() {
	local url=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" "$url" ||
	    true
}

# wrk_count_script FILE MAX-STATUS: writes to FILE a wrk script that
# counts, in each thread, the responses with a status below 200 or above
# MAX-STATUS (299: only 2xx are good; 399: 3xx too), and whose done()
# prints one line with them and wrk's own error counts:
#   LUA requests=N bad=N connect=N read=N write=N status=N timeout=N codes=[...]
wrk_count_script() {
	cat >"$1" <<LUA
local threads = {}
function setup(thread)
	table.insert(threads, thread)
end
function init(args)
	bad = 0
	codes = ""
end
function response(status, headers, body)
	if status < 200 or status > $2 then
		bad = bad + 1
		if bad <= 10 then codes = codes .. " " .. status end
	end
end
function done(summary, latency, requests)
	local bad, codes = 0, ""
	for _, t in ipairs(threads) do
		bad = bad + t:get("bad")
		codes = codes .. t:get("codes")
	end
	local e = summary.errors
	io.write(string.format("LUA requests=%d bad=%d connect=%d read=%d " ..
	    "write=%d status=%d timeout=%d codes=[%s]\\n", summary.requests,
	    bad, e.connect, e.read, e.write, e.status, e.timeout, codes))
end
LUA
}

# wrk_lua WRK-OUTPUT NAME: field NAME of the LUA line wrk_count_script's
# done() printed in the file WRK-OUTPUT ("" when there is none).
wrk_lua() {
	{ grep '^LUA' "$1" || true; } | grep -o " $2=[0-9]*" | cut -d= -f2
}

# assert_wrk_clean WRK-OUTPUT GOOD: wrk (with wrk_count_script) saw no
# socket error of any kind and no response other than GOOD ("2xx",
# "2xx/3xx": what the script's MAX-STATUS let through).
assert_wrk_clean() {
	local e
	grep -q '^LUA' "$1" ||
	    check_failed "no LUA line from wrk's done(): $(cat "$1")"
	for e in connect read write timeout; do
		assert_eq "wrk's $e errors" 0 "$(wrk_lua "$1" $e)"
	done
	assert_eq "responses not $2 (wrk's Lua)" 0 "$(wrk_lua "$1" bad)"
	assert_no_match "wrk's own error lines" 'Socket errors|Non-2xx' \
	    "$(cat "$1")"
}

# raw PORT [--timeout S] [--half-close]: sends stdin's bytes as they are
# to 127.0.0.1:PORT, prints what comes back until the server closes
# (rawclient.py).
raw() {
	"$PY" "$IT_DIR/rawclient.py" "$@"
}
