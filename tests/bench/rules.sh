#!/bin/sh
# tests/bench/rules.sh - the cost of application rules: edged with a
# realistic HAProxy-syntax rule set, Debian's HAProxy (2.6) with the very
# same lines, and edged without rules, side by side.
#
#     sh tests/bench/rules.sh          (as root, after building edged)
#
# Starts one single-worker nginx serving three backends (ports main, api
# and static; each answers with its name and what it saw: the URI and the
# X-Edge, X-Client and X-Debug headers), then three proxies, one thread
# each, keep-alive on both sides, the timeouts of bench.sh, no
# X-Forwarded-For, no logging:
#
#   edged-rules    edged, virtual server with `rules bench`: about twenty
#                  lines (routing by path and by Host to three pools,
#                  set-header, add-header %[src], del-header, replace-path
#                  with a regex, a deny on User-Agent (hdr_sub -i), a deny
#                  on `src -f` of a generated 10,000-line blocklist,
#                  http-response set-header and del-header);
#   haproxy-rules  haproxy, a frontend holding the same lines verbatim,
#                  backends main, api and static;
#   edged-plain    edged with the same pools and virtual server, no rules;
#   edged-big      (with BIG_LIST) edged-rules with a blocklist of
#                  BIG_LIST lines instead: what a large -f file costs a
#                  request, side by side (issue 16: a 100,000-line file
#                  within 5% of a 10-line one, so
#                      BLOCKLIST=10 BIG_LIST=100000 sh tests/bench/rules.sh
#                  prints edged-big / edged-rules against >= 0.95).
#
# Before measuring it checks with curl, on every proxy, that the requests
# reach the backend they should, rewritten as they should (and that the
# denies deny: a bad User-Agent, /admin, and a source in the blocklist,
# 127.0.0.2); it stops if not, so that it never measures a broken
# configuration.  Then ROUNDS rounds: for each connection count, wrk with
# a Lua script cycling through five requests (/api/..., /static/...css,
# /v1/... with an X-Debug header, /, and /favicon.ico on Host
# static.example.com) against the main nginx port ("direct") and the
# three proxies, in an order that rotates from round to round.  Prints
# every run, then medians of requests/s, p99, proxy CPU and requests per
# CPU-second, and the medians of the per-round ratios
# edged-rules/haproxy-rules and edged-rules/edged-plain.  It never fails
# on a number; it exits non-zero only when it cannot run (missing tool,
# port in use, a server that does not start, a proxy that does not route
# as configured).
#
# Environment (defaults in brackets):
#   EDGED_BUILD    build directory with edged and edgectl [../../build]
#   ROUNDS         rounds of measurements [3]
#   DURATION       seconds per wrk run [5]
#   CONNS          wrk connection counts ["50 500"]
#   BLOCKLIST      lines in the generated blocklist file [10000]
#   BIG_LIST       lines in edged-big's blocklist; 0 = no edged-big [0]
#   ROUTE          1 = the rules route to three pools (use_backend), 0 =
#                  the same rules without their two use_backend lines,
#                  every request to main as without rules: the rules'
#                  cost apart from the traffic three pools make [1]
#   DIRECT         1 = also measure nginx directly each round, 0 = not [1]
#   PIN            auto = pin with taskset as bench.sh does, none [auto]
#   PROXY_CPUS, BACKEND_CPUS, CLIENT_CPUS
#                  taskset lists overriding the automatic pinning
#   CAP            a CPU cap for each proxy, in % of one CPU (cgroup cpu
#                  quota; 0 = none): makes the proxy the bottleneck [0]
#   PORT_BASE      edged-rules on PORT_BASE, edged-plain on +1, nginx on
#                  +2 (main), +3 (api), +4 (static), edged-big on +5,
#                  haproxy on +10;
#                  within 31000-31989 [31500]
#   KEEP_TMP       1 = keep the temporary directory (configs, raw output)
set -u

here=$(cd "$(dirname "$0")" && pwd)
me=rules-bench
. "$here/lib.sh"
t_begin=$(now_ms)

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNS=${CONNS:-50 500}
BLOCKLIST=${BLOCKLIST:-10000}
BIG_LIST=${BIG_LIST:-0}
ROUTE=${ROUTE:-1}
DIRECT=${DIRECT:-1}
PIN=${PIN:-auto}
NGINX=one			# three ports of one nginx; NGINX=two is not offered
PORT_BASE=${PORT_BASE:-31500}
KEEP_TMP=${KEEP_TMP:-0}

need_uint ROUNDS DURATION BLOCKLIST BIG_LIST PORT_BASE
for c in $CONNS; do
	is_uint "$c" && [ "$c" -gt 0 ] || die "CONNS: bad count '$c'"
done
[ -n "$CONNS" ] || die "CONNS is empty"
case $DIRECT in 0 | 1) ;; *) die "DIRECT: 0 or 1" ;; esac
[ "$ROUNDS" -ge 1 ] && [ "$DURATION" -ge 1 ] ||
    die "ROUNDS and DURATION must be at least 1"
[ "$BLOCKLIST" -ge 1 ] && [ "$BLOCKLIST" -le 100000 ] ||
    die "BLOCKLIST must be within 1-100000"
[ "$BIG_LIST" -le 1000000 ] || die "BIG_LIST must be within 0-1000000"
case $ROUTE in 0 | 1) ;; *) die "ROUTE: 0 or 1" ;; esac
need_port_base 31989
check_placement

RULES_PORT=$PORT_BASE
PLAIN_PORT=$((PORT_BASE + 1))
MAIN_PORT=$((PORT_BASE + 2))
API_PORT=$((PORT_BASE + 3))
STATIC_PORT=$((PORT_BASE + 4))
BIG_PORT=$((PORT_BASE + 5))
HAP_PORT=$((PORT_BASE + 10))

TARGETS='edged-rules haproxy-rules edged-plain'
[ "$BIG_LIST" -gt 0 ] && TARGETS="$TARGETS edged-big"

# ---- what we need ----

need_tools wrk nginx haproxy curl ss pgrep awk sort
need_free_ports $RULES_PORT $PLAIN_PORT $MAIN_PORT $API_PORT $STATIC_PORT \
    $BIG_PORT $HAP_PORT
raise_nofile
pick_cpus			# the proxies on one CPU, the rest elsewhere
make_tmp edged-bench-rules	# and what stops our processes on exit

ncc=$(echo $CONNS | wc -w)
nt=$(echo $TARGETS | wc -w)
[ "$DIRECT" = 1 ] && nt=$((nt + 1))
runs=$((ROUNDS * ncc * nt))
est=$((runs * DURATION + runs / 2 + nt + 10))

# ---- the backends: one nginx, one worker, three ports ----

# Each answers "NAME uri=... edge=... client=... debug=...": which backend
# the request reached, its URI and the headers the rules set, add and
# delete.  The same body whatever the proxy (but for what the rules do).
# The main one also has /nginx-status: the connections the backends
# accepted (one worker: all three ports) are counted around each run.
nginx_server() {	# NAME PORT
	cat <<EOC
    server {
        listen 127.0.0.1:$2 backlog=4096;
        location = /nginx-status { stub_status; }
        location / {
            return 200 "$1 uri=\$request_uri edge=\$http_x_edge client=\$http_x_client debug=\$http_x_debug\n";
        }
    }
EOC
}

start_rules_nginx() {
	d=$tmp/web
	mkdir "$d"
	{
		cat <<EOC
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
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
EOC
		nginx_server main "$MAIN_PORT"
		nginx_server api "$API_PORT"
		nginx_server static "$STATIC_PORT"
		echo "}"
	} >"$d/nginx.conf"
	$(pin "$BACKEND_CPUS") nginx -c "$d/nginx.conf" -p "$d/" \
	    >"$d/stdout" 2>&1 </dev/null &
	pids="$pids $!"
	nginx_masters="$nginx_masters $!"
	for port in $MAIN_PORT $API_PORT $STATIC_PORT; do
		wait_http "http://127.0.0.1:$port/" 50 || {
			cat "$d/stdout" "$d/error.log" >&2 2>/dev/null
			die "nginx on 127.0.0.1:$port did not start"
		}
	done
}

# ---- the blocklist and the rules ----

# N lines, made the same way every time (an LCG): three in four
# single addresses, one in four prefixes (/16 to /28), all in 1.0.0.0-
# 223.255.255.255 outside 127.0.0.0/8, so never 127.0.0.1 (wrk's and
# curl's source); plus 127.0.0.2 in the middle, the source curl uses to
# check that the list is in force.
make_blocklist() {	# N
	awk -v n="$1" '
	    # 16 bits at a time from the high half of a 32-bit LCG (the
	    # products stay below 2^53: exact in awk'"'"'s doubles)
	    function rnd() { x = (x * 69069 + 1) % 4294967296
		return int(x / 65536) }
	    BEGIN {
		x = 12345
		for (i = 1; i <= n; i++) {
			if (i == int(n / 2) + 1) { print "127.0.0.2"; continue }
			do a = 1 + rnd() % 223; while (a == 127)
			b = rnd() % 256; c = rnd() % 256; d = 1 + rnd() % 254
			if (i % 4 == 0) {
				len = 16 + rnd() % 13	# /16 to /28
				m = 2 ^ (32 - len)
				v = ((a * 256 + b) * 256 + c) * 256 + d
				v = v - (v % m)
				printf "%d.%d.%d.%d/%d\n", int(v / 16777216),
				    int(v / 65536) % 256, int(v / 256) % 256,
				    v % 256, len
			} else
				printf "%d.%d.%d.%d\n", a, b, c, d
		} }'
}

# The rule lines, in HAProxy's syntax: edged reads them in its
# application-rule block, haproxy in its frontend, unchanged.
make_rules() {
	cat <<EOC
acl is_api      path_beg /api/
acl is_static   path_end .css .js .png .jpg .woff2
acl static_host hdr(host) -i static.example.com cdn.example.com
acl is_v1       path_reg ^/v1/
acl is_admin    path_beg /admin
acl internal    src 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16
acl bad_agent   hdr_sub(user-agent) -i sqlmap nikto nmap masscan zgrab
acl blocked     src -f $tmp/blocklist.txt
http-request deny if bad_agent
http-request deny deny_status 403 if blocked
http-request deny if is_admin !internal
http-request del-header X-Debug
http-request set-header X-Edge bench
http-request add-header X-Client %[src]
http-request replace-path ^/v1/(.*)\$ /v2/\1 if is_v1
http-request set-header X-Forwarded-Proto http
http-response set-header X-Frame-Options DENY
http-response set-header X-Content-Type-Options nosniff
http-response del-header Server
EOC
	[ "$ROUTE" = 1 ] && cat <<EOC
use_backend api if is_api
use_backend static if is_static || static_host
EOC
	return 0
}

# ---- edged (two of them) and haproxy ----

# edged_rules_conf NAME PORT RULES: one worker, the bench's timeouts,
# pools main, api and static, virtual server www on PORT, with the rule
# set in the file RULES ('-': none)
edged_rules_conf() {
	cat <<EOC
global {
    workers 1
    user edged
    control-socket $tmp/$1.sock
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
pool main {
    member m 127.0.0.1:$MAIN_PORT
}
pool api {
    member a 127.0.0.1:$API_PORT
}
pool static {
    member s 127.0.0.1:$STATIC_PORT
}
EOC
	if [ "$3" != - ]; then
		echo "application-rule bench {"
		sed 's/^/    /' "$3"
		echo "}"
	fi
	cat <<EOC
virtual-server www {
    listen 127.0.0.1:$2
    profile web
    default-pool main
EOC
	[ "$3" != - ] && echo "    rules bench"
	echo "}"
}

# the same for haproxy: one thread, keep-alive, http-reuse safe; the rules
# in frontend fe, backends named as edged's pools; a stats socket, read at
# the end for the requests each backend served
hap_rules_conf() {
	haproxy_head "    stats socket $tmp/haproxy.sock mode 600 level admin"
	cat <<EOC
frontend fe
    bind 127.0.0.1:$HAP_PORT
EOC
	sed 's/^/    /' "$tmp/rules.txt"
	cat <<EOC
    default_backend main

backend main
    server m 127.0.0.1:$MAIN_PORT

backend api
    server a 127.0.0.1:$API_PORT

backend static
    server s 127.0.0.1:$STATIC_PORT
EOC
}

edged_status_of() {	# NAME
	timeout 5 "$EDGECTL" -s "$tmp/$1.sock" --json status 2>/dev/null
}

# start_edged_as NAME: edged on $tmp/NAME.conf, its output in
# $tmp/NAME.log; waits until it is ready; sets NAME's master (master_NAME)
start_edged_as() {
	name=$1
	var=$(echo "$name" | tr - _)
	: >"$tmp/$name.log"
	cap_make "$var"
	$(pin "$PROXY_CPUS") $(capped "$var") "$EDGED" -c "$tmp/$name.conf" \
	    >>"$tmp/$name.log" 2>&1 </dev/null &
	m=$!
	pids="$pids $m"
	eval "master_$var=$m"
	wpid=''
	i=0
	while [ $i -lt 100 ]; do
		st=$(edged_status_of "$name")
		case $st in
		*'"ready":true'*)
			wpid=$(echo "$st" | worker_pid)
			break ;;
		esac
		alive "$m" || break
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "$wpid" ] && [ "$wpid" -gt 0 ] || {
		cat "$tmp/$name.log" >&2
		die "$name did not become ready (edgectl status --json: ${st:-nothing})"
	}
	eval "worker_$var=$wpid"
}

# the pids a target's CPU time is counted over: the process and its
# children (edged: the master and its worker; haproxy: its one process)
target_pids() {
	case $1 in
	edged-rules) p=$master_edged_rules ;;
	edged-plain) p=$master_edged_plain ;;
	edged-big) p=$master_edged_big ;;
	haproxy-rules) p=$hap_pid ;;
	*) return 0 ;;
	esac
	echo "$p" $(children "$p")
}

target_port() {
	case $1 in
	edged-rules) echo "$RULES_PORT" ;;
	edged-plain) echo "$PLAIN_PORT" ;;
	edged-big) echo "$BIG_PORT" ;;
	haproxy-rules) echo "$HAP_PORT" ;;
	direct) echo "$MAIN_PORT" ;;
	esac
}

# the connections nginx has accepted so far (on all three ports)
accepted() {
	curl -s --max-time 2 "http://127.0.0.1:$MAIN_PORT/nginx-status" |
	    awk 'NR == 3 { print $1 }'
}

# CPU ticks of a list of pids
ticks_of() {
	t=0
	for p in "$@"; do
		c=$(cpu_ticks "$p")
		t=$((t + ${c:-0}))
	done
	echo "$t"
}

# CPU ticks of the servers (lib.sh's ours_ticks adds the bench's own)
procs_ticks() {
	ticks_of $(target_pids edged-rules) $(target_pids edged-plain) \
	    $(target_pids edged-big) \
	    $(target_pids haproxy-rules) $nginx_masters \
	    $(for m in $nginx_masters; do pgrep -P "$m"; done)
}

make_blocklist "$BLOCKLIST" >"$tmp/blocklist.txt"
make_rules >"$tmp/rules.txt"
EDGEDS='edged-rules edged-plain'
start_rules_nginx
edged_rules_conf edged-rules "$RULES_PORT" "$tmp/rules.txt" \
    >"$tmp/edged-rules.conf"
edged_rules_conf edged-plain "$PLAIN_PORT" - >"$tmp/edged-plain.conf"
if [ "$BIG_LIST" -gt 0 ]; then
	EDGEDS="$EDGEDS edged-big"
	make_blocklist "$BIG_LIST" >"$tmp/blocklist-big.txt"
	sed "s|$tmp/blocklist.txt|$tmp/blocklist-big.txt|" "$tmp/rules.txt" \
	    >"$tmp/rules-big.txt"
	edged_rules_conf edged-big "$BIG_PORT" "$tmp/rules-big.txt" \
	    >"$tmp/edged-big.conf"
fi
hap_rules_conf >"$tmp/haproxy.cfg"
for name in $EDGEDS; do
	"$EDGED" -t -c "$tmp/$name.conf" >"$tmp/check.log" 2>&1 || {
		cat "$tmp/check.log" >&2
		die "edged rejects $tmp/$name.conf"
	}
done
haproxy -c -f "$tmp/haproxy.cfg" >"$tmp/check.log" 2>&1 || {
	cat "$tmp/check.log" >&2
	die "haproxy rejects $tmp/haproxy.cfg"
}
# haproxy -c says "Configuration file is valid" and, if it has any,
# warnings: those are worth knowing (the lines are meant to be clean)
hw=$(grep -v 'Configuration file is valid' "$tmp/check.log" | grep -v '^$')
[ -z "$hw" ] || problem "haproxy -c warns: $(echo "$hw" | head -n 5 | tr '\n' '|')"

for name in $EDGEDS; do
	start_edged_as "$name"
done
: >"$tmp/haproxy.log"
cap_make haproxy
$(pin "$PROXY_CPUS") $(capped haproxy) haproxy -db -f "$tmp/haproxy.cfg" \
    >>"$tmp/haproxy.log" 2>&1 </dev/null &
hap_pid=$!
pids="$pids $hap_pid"
for port in $RULES_PORT $PLAIN_PORT $HAP_PORT \
    $([ "$BIG_LIST" -gt 0 ] && echo "$BIG_PORT"); do
	wait_http "http://127.0.0.1:$port/" 50 || {
		cat "$tmp"/edged-*.log "$tmp/haproxy.log" >&2
		die "nothing answers 200 on 127.0.0.1:$port"
	}
done

# ---- do they route and rewrite as configured? ----

UA='Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36'
bad_conf=0

# expect TARGET WHAT PATH STATUS BODY HEADERS -- CURL-ARGS...: one curl
# for PATH on TARGET's port; the status must be STATUS and, with BODY not
# '-', the body BODY; HEADERS: 'rules' (no Server header, X-Frame-Options
# DENY) or 'plain' (nginx's Server header, no X-Frame-Options) or '-'
expect() {
	tg=$1 what=$2 path=$3 want_code=$4 want_body=$5 hdrs=$6
	shift 7
	port=$(target_port "$tg")
	code=$(curl -s --max-time 3 -D "$tmp/check.h" -o "$tmp/check.b" \
	    -w '%{http_code}' "$@" "http://127.0.0.1:$port$path" 2>/dev/null)
	got=$(cat "$tmp/check.b" 2>/dev/null)
	ok=1
	[ "$code" = "$want_code" ] || ok=0
	[ "$want_body" = - ] || [ "$got" = "$want_body" ] || ok=0
	case $hdrs in
	rules)
		grep -qi '^server:' "$tmp/check.h" && ok=0
		grep -qi '^x-frame-options: DENY' "$tmp/check.h" || ok=0 ;;
	plain)
		grep -qi '^server: nginx' "$tmp/check.h" || ok=0
		grep -qi '^x-frame-options:' "$tmp/check.h" && ok=0 ;;
	esac
	if [ $ok = 1 ]; then
		printf '  %-13s %-37s ok (%s)\n' "$tg" "$what" "$code"
	else
		bad_conf=1
		printf '  %-13s %-37s WRONG: status %s, body "%s"; wanted %s, "%s"\n' \
		    "$tg" "$what" "$code" "$got" "$want_code" "$want_body"
		printf '                response headers: %s\n' \
		    "$(tr -d '\r' <"$tmp/check.h" | tr '\n' '|')"
	fi
}

check_rules() {	# TARGET: one of the two that run the rules
	t=$1
	rest='edge=bench client=127.0.0.1 debug='
	api=api static=static
	[ "$ROUTE" = 1 ] || api=main static=main
	expect "$t" "/api/ -> $api" '/api/users?id=7' 200 \
	    "$api uri=/api/users?id=7 $rest" rules -- -A "$UA" \
	    -H 'Host: www.example.com'
	expect "$t" "*.css -> $static" /static/app.css 200 \
	    "$static uri=/static/app.css $rest" rules -- -A "$UA" \
	    -H 'Host: www.example.com'
	expect "$t" "Host static.example.com -> $static" /favicon.ico \
	    200 "$static uri=/favicon.ico $rest" rules -- -A "$UA" \
	    -H 'Host: static.example.com'
	expect "$t" "/v1/ -> /v2/, X-Debug deleted" /v1/items/42 200 \
	    "main uri=/v2/items/42 $rest" rules -- -A "$UA" \
	    -H 'Host: www.example.com' -H 'X-Debug: 1'
	expect "$t" "/ -> main" / 200 "main uri=/ $rest" rules -- \
	    -A "$UA" -H 'Host: www.example.com'
	expect "$t" "User-Agent sqlmap: denied" / 403 - - -- \
	    -A 'sqlmap/1.7.2#stable (https://sqlmap.org)'
	expect "$t" "/admin from outside: denied" /admin/ 403 - - -- \
	    -A "$UA"
	expect "$t" "source 127.0.0.2 (blocklist): denied" / 403 - - \
	    -- -A "$UA" --interface 127.0.0.2
}

echo "checking that each proxy routes and rewrites as configured:"
check_rules edged-rules
check_rules haproxy-rules
[ "$BIG_LIST" -gt 0 ] && check_rules edged-big
rest='edge= client= debug='
expect edged-plain "/api/ -> main (no rules)" '/api/users?id=7' 200 \
    "main uri=/api/users?id=7 $rest" plain -- -A "$UA" \
    -H 'Host: www.example.com'
expect edged-plain "/v1/ kept, X-Debug kept" /v1/items/42 200 \
    "main uri=/v1/items/42 edge= client= debug=1" plain -- -A "$UA" \
    -H 'Host: www.example.com' -H 'X-Debug: 1'
expect edged-plain "source 127.0.0.2: served" / 200 \
    "main uri=/ $rest" plain -- -A "$UA" --interface 127.0.0.2
echo
if [ $bad_conf = 1 ]; then
	for f in "$tmp"/edged-*.log "$tmp/haproxy.log"; do
		[ -s "$f" ] && { echo "$f:"; tail -n 20 "$f"; } >&2
	done
	die "a proxy does not route or rewrite as configured: nothing measured"
fi

# ---- the client: wrk with a Lua script cycling through five requests ----

cat >"$tmp/mix.lua" <<EOC
-- five requests, in turn: routed by path (api, static), rewritten
-- (/v1/ -> /v2/, X-Debug removed), the default pool, routed by Host
local reqs = {}
local n = 0
local i = 0
local ua = "$UA"

local function add(path, host, extra)
	local h = { ["Host"] = host, ["User-Agent"] = ua,
		["Accept"] = "*/*" }
	if extra then
		for k, v in pairs(extra) do h[k] = v end
	end
	n = n + 1
	reqs[n] = wrk.format("GET", path, h)
end

add("/api/users?id=7", "www.example.com")
add("/static/app.css", "www.example.com")
add("/v1/items/42", "www.example.com", { ["X-Debug"] = "1" })
add("/", "www.example.com")
add("/favicon.ico", "static.example.com")

request = function()
	i = i % n + 1
	return reqs[i]
end
EOC

# ---- the runs ----

echo "rules vs haproxy vs no rules on $(uname -n), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  edged   $EDGED ($("$EDGED" -v 2>&1 | head -n 1)); 1 worker each:" \
    "edged-rules master $master_edged_rules (worker $worker_edged_rules)," \
    "edged-plain master $master_edged_plain (worker $worker_edged_plain)"
[ "$BIG_LIST" -gt 0 ] && echo "  edged-big master $master_edged_big" \
    "(worker $worker_edged_big): blocklist of" \
    "$(wc -l <"$tmp/blocklist-big.txt") lines"
echo "  haproxy $(haproxy -v | head -n 1 | cut -d' ' -f1-3), nbthread 1, pid $hap_pid"
echo "  nginx   $(nginx -v 2>&1 | sed 's/.*: //'): 3 backends (main, api," \
    "static), ports of 1 nginx x 1 worker"
echo "  rules: $(grep -c . "$tmp/rules.txt") lines; blocklist:" \
    "$(wc -l <"$tmp/blocklist.txt") lines ($(grep -c / "$tmp/blocklist.txt") prefixes)"
echo "  wrk -t1 -c{$(echo $CONNS | tr ' ' ,)} -d${DURATION}s --latency -s mix.lua" \
    "(5 requests in turn); $ROUNDS rounds"
echo "  cpus: $ncpu; proxies on [${PROXY_CPUS:-any}], nginx on" \
    "[${BACKEND_CPUS:-any}], wrk on [${CLIENT_CPUS:-any}]$(cap_desc)"
echo "  fd limit $nofile, max connections $maxconn; load average:" \
    "$(cut -d' ' -f1-3 /proc/loadavg); expected run time about $est s"
echo

# run_wrk ROUND CONNS TARGET: one wrk run, one line in $results:
# round conns target req/s p99-ms cpu% other% errors new-backend-conns
run_wrk() {
	round=$1 conns=$2 target=$3
	port=$(target_port "$target")
	out=$tmp/runs/r$round-c$conns-$target.txt
	tp=$(target_pids "$target")
	t0=''
	[ -n "$tp" ] && t0=$(ticks_of $tp)
	a0=$(accepted)
	run_begin
	timeout $((DURATION + 30)) $(pin "$CLIENT_CPUS") wrk -t1 -c"$conns" \
	    -d"${DURATION}s" --latency -s "$tmp/mix.lua" \
	    "http://127.0.0.1:$port/" >"$out" 2>&1
	rc=$?
	run_end
	a1=$(accepted)
	other_cpu
	# less the status request's own connection
	newc=-
	[ -n "$a0" ] && [ -n "$a1" ] && newc=$((a1 - a0 - 1))
	cpu=-
	if [ -n "$tp" ]; then
		tp1=$(target_pids "$target")
		if [ "$tp1" = "$tp" ]; then
			t1=$(ticks_of $tp)
			cpu=$(cpu_pct "$t0" "$t1")
		else
			problem "$target's processes changed during round $round ($conns conns): $tp -> $tp1 (a worker restarted?)"
		fi
	fi
	wrk_figures "$out"
	if [ $rc -ne 0 ] || [ -z "$rps" ] || [ -z "$p99" ]; then
		problem "wrk against $target ($conns conns, round $round) failed (rc $rc): $(tail -n 3 "$out" | tr '\n' ' ')"
		rps=NA p99=NA
	fi
	[ "$errs" = - ] ||
	    problem "wrk against $target ($conns conns, round $round): $errs"
	echo "$round $conns $target $rps $p99 $cpu $other $errs $newc" >>"$results"
}

# the order of the proxies rotates: each goes first, second, third ...
round_targets() {	# ROUND: TARGETS rotated by ROUND - 1
	k=$((($1 - 1) % $(echo $TARGETS | wc -w)))
	set -- $TARGETS
	while [ "$k" -gt 0 ]; do
		x=$1
		shift
		set -- "$@" "$x"
		k=$((k - 1))
	done
	echo "$@"
}

# warm-up, not counted
for t in direct $TARGETS; do
	timeout 30 $(pin "$CLIENT_CPUS") wrk -t1 -c50 -d1s -s "$tmp/mix.lua" \
	    "http://127.0.0.1:$(target_port "$t")/" >/dev/null 2>&1
done

echo "cpu% = the proxy's CPU (its processes and threads), other% = CPU used by"
echo "anything else on the machine (% of one CPU; high = a disturbed run);"
echo "req/cpu-s = requests per CPU-second of the proxy; bconns = connections"
echo "the backends accepted during the run (for direct: wrk's)"
fmt_line='%-5s %5s  %-13s %9s %9s %6s %7s %10s %7s  %s\n'
printf "$fmt_line" round conns target 'req/s' 'p99 ms' 'cpu%' 'other%' \
    'req/cpu-s' bconns errors
t_start=$(now_ms)
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for conns in $CONNS; do
		[ "$DIRECT" = 1 ] && run_wrk "$r" "$conns" direct
		for t in $(round_targets "$r"); do
			run_wrk "$r" "$conns" "$t"
		done
		awk -v r="$r" -v c="$conns" '$1 == r && $2 == c' "$results" |
		    while read -r _r _c tg rps p99 cpu oth errs newc; do
			eff=-
			case $cpu in -|0) ;; *) [ "$rps" = NA ] ||
			    eff=$(awk -v a="$rps" -v c="$cpu" \
				'BEGIN { printf "%.0f", a * 100 / c }') ;;
			esac
			printf "$fmt_line" "$_r" "$_c" "$tg" "$rps" "$p99" \
			    "$cpu" "$oth" "$eff" "$newc" "$errs"
		done
		awk -v r="$r" -v c="$conns" '
		    $1 == r && $2 == c { v[$3] = $4; u[$3] = $6 }
		    function q(a, b) {
			if (a == "NA" || b == "NA" || a == "-" || b == "-" ||
			    b + 0 == 0)
				return "NA"
			return sprintf("%.2f", a / b) }
		    END {
			printf "%-5s %5s  ratios req/s: rules/haproxy %s, rules/plain %s;", r, c,
			    q(v["edged-rules"], v["haproxy-rules"]),
			    q(v["edged-rules"], v["edged-plain"])
			er = eff("edged-rules"); hr = eff("haproxy-rules")
			pr = eff("edged-plain")
			printf " req/cpu-s: %s, %s", q(er, hr), q(er, pr)
			if ("edged-big" in v)
				printf "; big/rules %s, %s", q(v["edged-big"],
				    v["edged-rules"]), q(eff("edged-big"), er)
			printf "\n" }
		    function eff(t) {
			if (u[t] == "-" || u[t] + 0 <= 0 || v[t] == "NA")
				return "NA"
			return v[t] / u[t] }' \
		    "$results"
	done
	r=$((r + 1))
done
t_runs=$(( ($(now_ms) - t_start) / 1000 ))
echo

# ---- summary ----

# field F ($4 req/s, $5 p99, $6 cpu) of CONNS TARGET, one per round
field() {
	awk -v c="$1" -v t="$2" -v f="$3" '$2 == c && $3 == t { print $f }' \
	    "$results"
}

# req/cpu-s of CONNS TARGET, one per round
effs() {
	awk -v c="$1" -v t="$2" '$2 == c && $3 == t && $6 != "-" && $6 > 0 &&
	    $4 != "NA" { print $4 * 100 / $6 }' "$results"
}

# per-round A/B of CONNS for field F (4 = req/s; "eff" = req/cpu-s)
ratios() {
	awk -v c="$1" -v a="$2" -v b="$3" -v f="$4" '
	    $2 == c && ($3 == a || $3 == b) {
		v = $4
		if (f == "eff")
			v = ($6 != "-" && $6 > 0 && $4 != "NA") ? $4 / $6 : "NA"
		val[$1, $3] = v; rounds[$1] = 1 }
	    END { for (r in rounds) {
		x = val[r, a]; y = val[r, b]
		if (x == "NA" || y == "NA" || x == "" || y == "" || y == 0)
			print "NA"
		else printf "%.3f\n", x / y } }' "$results"
}

echo "medians over $ROUNDS round(s):"
printf '%5s  %-13s %9s %9s %6s %10s %7s\n' conns target 'req/s' p99 'cpu%' \
    'req/cpu-s' bconns
for conns in $CONNS; do
	for t in direct $TARGETS; do
		[ "$t" = direct ] && [ "$DIRECT" = 0 ] && continue
		cpu=$(field "$conns" "$t" 6 | grep -v '^-$' | median)
		bc=$(field "$conns" "$t" 9 | grep -v '^-$' | median)
		printf '%5s  %-13s %9s %9s %6s %10s %7s\n' "$conns" "$t" \
		    "$(fmt_num "$(field "$conns" "$t" 4 | median)")" \
		    "$(fmt_ms "$(field "$conns" "$t" 5 | median)")" \
		    "$([ "$cpu" = NA ] && echo - || fmt_num "$cpu")" \
		    "$([ "$t" = direct ] && echo - ||
		       fmt_num "$(effs "$conns" "$t" | median)")" \
		    "$([ "$bc" = NA ] && echo - || fmt_num "$bc")"
	done
done
echo
echo "ratios (median of the per-round ratios):"
printf '%5s  %-28s %7s %10s   %s\n' conns '' 'req/s' 'req/cpu-s' target
for conns in $CONNS; do
	printf '%5s  %-28s %7s %10s   %s\n' "$conns" \
	    'edged-rules / haproxy-rules' \
	    "$(fmt_ratio "$(ratios "$conns" edged-rules haproxy-rules 4 | median)")" \
	    "$(fmt_ratio "$(ratios "$conns" edged-rules haproxy-rules eff | median)")" \
	    '>= 1.20'
	printf '%5s  %-28s %7s %10s   %s\n' "$conns" \
	    'edged-rules / edged-plain' \
	    "$(fmt_ratio "$(ratios "$conns" edged-rules edged-plain 4 | median)")" \
	    "$(fmt_ratio "$(ratios "$conns" edged-rules edged-plain eff | median)")" \
	    '>= 0.90'
	[ "$BIG_LIST" -gt 0 ] && printf '%5s  %-28s %7s %10s   %s\n' \
	    "$conns" 'edged-big / edged-rules' \
	    "$(fmt_ratio "$(ratios "$conns" edged-big edged-rules 4 | median)")" \
	    "$(fmt_ratio "$(ratios "$conns" edged-big edged-rules eff | median)")" \
	    '>= 0.95'
done
echo "(a proxy at ~99% cpu is the bottleneck and its req/s is its capacity;"
echo " below that, something else limits it and req/cpu-s is the fairer figure)"
# a proxy that opens many more backend connections than wrk has client
# connections is reconnecting (idle connections it did not keep)
for conns in $CONNS; do
	for t in $TARGETS; do
		bc=$(field "$conns" "$t" 9 | grep -v '^-$' | median)
		[ "$bc" = NA ] && continue
		[ "$(fmt_num "$bc")" -le $((2 * conns + 10)) ] ||
		    problem "$t opened a median $(fmt_num "$bc") backend connections per run for $conns client connections: it reconnects to its backends"
	done
done
awk '$7 != "-" && $7 >= 20 { n++ } END { if (n > 0)
    printf "disturbed: %d of %d runs had other%% >= 20 (another load on the machine)\n", n, NR }' \
    "$results"
echo

# ---- where the requests went, and what the proxies said ----

# Each of the five requests of the mix goes to a pool of its own choice:
# with the rules, api 1/5, static 2/5, main 2/5; without, main all.
echo "requests per pool/backend over the whole run (curl checks and warm-up included):"
for name in $EDGEDS; do
	stats=$(timeout 5 "$EDGECTL" -s "$tmp/$name.sock" show stats 2>&1)
	echo "$stats" >"$tmp/$name.stats"
	echo "  $name (edgectl show stats):"
	echo "$stats" | sed 's/^/    /'
	bad=$(echo "$stats" | awk 'NR > 1 && NF >= 15 && ($(NF - 1) + $NF) > 0 {
	    printf "%s %s: 5xx %s, errors %s; ", $1, $2, $(NF - 1), $NF }')
	[ -z "$bad" ] || problem "$name counted $bad"
	# 4xx: the denied checks' (3 with the rules), no other
	denied=0
	[ "$name" = edged-plain ] || denied=3
	n4=$(echo "$stats" | awk '$1 == "virtual-server" && NF >= 15 {
	    print $(NF - 2) }')
	[ "${n4:-x}" = "$denied" ] ||
	    problem "$name counted ${n4:-no} 4xx answers, not $denied (the denied checks)"
done
hs=$($PY - "$tmp/haproxy.sock" <<'EOP' 2>&1
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
for line in out.decode().splitlines():
    f = line.split(",")
    if line.startswith("#"):
        h = [x.strip("# ") for x in f]
        continue
    if len(f) < 40:
        continue
    r = dict(zip(h, f))
    if r["svname"] in ("FRONTEND", "BACKEND"):
        print("%-8s %-8s requests %-9s 2xx %-9s 4xx %-6s 5xx %-6s" % (
            r["pxname"], r["svname"], r.get("req_tot") or r["stot"],
            r.get("hrsp_2xx", ""), r.get("hrsp_4xx", ""),
            r.get("hrsp_5xx", "")))
EOP
)
echo "  haproxy-rules (show stat; a backend's requests are its sessions; the"
echo "  frontend's 4xx: the 3 denied checks and one per wrk run, apparently the"
echo "  connection wrk opens and closes without a request before it starts):"
echo "$hs" | sed 's/^/    /'
echo

for name in $EDGEDS; do
	msgs=$(grep -v '^<[67]>' "$tmp/$name.log" | grep -v '^$')
	[ -z "$msgs" ] || problem "$name printed: $(echo "$msgs" | head -n 5 | tr '\n' '|')"
done
msgs=$(grep -v '^$' "$tmp/haproxy.log")
[ -z "$msgs" ] || problem "haproxy printed: $(echo "$msgs" | head -n 5 | tr '\n' '|')"
for name in $(echo $EDGEDS | tr - _); do
	eval "w=\$worker_$name"
	alive "$w" || problem "the $name worker $w is gone"
done
alive "$hap_pid" || problem "haproxy $hap_pid is gone"

echo "run time $(( ($(now_ms) - t_begin) / 1000 )) s (wrk rounds ${t_runs} s);" \
    "load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
print_problems
exit 0
