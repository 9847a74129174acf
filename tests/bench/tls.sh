#!/bin/sh
# tests/bench/tls.sh - TLS: edged against Debian's HAProxy (2.6), side by
# side.
#
#     sh tests/bench/tls.sh            (as root, after building edged)
#
# Makes an ECDSA P-256 certificate for "localhost" in the temporary
# directory, starts one single-worker nginx serving "hello\n" on a plain
# HTTP port and, with that certificate, on a TLS port, then edged and
# haproxy with equivalent TLS settings (one thread each, the same
# certificate and key, TLS 1.2 and up, ALPN http/1.1 only, OpenSSL's
# default ciphers, the timeouts of bench.sh, no X-Forwarded-For, no
# logging), and measures, for ROUNDS rounds, alternating which proxy goes
# first:
#
#   terminate-keepalive  TLS terminated by the proxy, plain HTTP to nginx:
#                        wrk -t1 -cCONNS over https with keep-alive
#                        (handshakes only when wrk connects)
#   terminate-newconn    the same with -H 'Connection: close': every
#                        request is a new TLS connection, so requests/s =
#                        handshakes/s.  wrk would resume its previous
#                        session when it reconnects (it keeps it across
#                        SSL_clear), which makes it measure resumptions, at
#                        a rate that depends on the server's ticket policy;
#                        a small LD_PRELOAD shim (compiled here with cc)
#                        drops that session before each handshake, so
#                        every one is a full handshake (both proxies'
#                        handshake counters show it).
#   passthrough          edged `type ssl-passthrough` routing SNI
#                        localhost, haproxy `mode tcp` routing by
#                        req_ssl_sni after `tcp-request inspect-delay`,
#                        both in front of nginx's TLS port: wrk keep-alive
#                        through them; "direct" is wrk on nginx's TLS port
#
# wrk connects to https://localhost:PORT/ (SNI = localhost).  Prints every
# run (req/s, p99, the proxy's CPU, other loads' CPU, the full and resumed
# handshakes the proxy counted, the connections nginx accepted, wrk's
# errors), the medians, the median of the
# per-round ratios edged/haproxy, what each side negotiated, whether each
# side sends a new session ticket on a resumed TLS 1.3 connection, then
# problems.  It never fails on a number; it exits non-zero only when it
# cannot run (missing tool, port in use, a server that does not start).
#
# Environment (defaults in brackets):
#   EDGED_BUILD    build directory with edged and edgectl [../../build]
#   ROUNDS         rounds of measurements [3]
#   DURATION       seconds per wrk run [5]
#   CONNS          wrk connections [50]
#   SCENARIOS      any of terminate-keepalive terminate-newconn
#                  passthrough [all three]
#   PIN            auto = pin with taskset as bench.sh does, none [auto]
#   PROXY_CPUS, BACKEND_CPUS, CLIENT_CPUS   taskset lists (override PIN)
#   CAP            a CPU cap for each proxy, in % of one CPU (cgroup cpu
#                  quota; 0 = none): makes the proxy the bottleneck [0]
#   PORT_BASE      edged on PORT_BASE (termination) and +1 (passthrough),
#                  nginx on +2 (HTTP) and +3 (TLS), haproxy on +10 and
#                  +11; within 31000-31988 [31300]
#   KEEP_TMP       1 = keep the temporary directory (configs, raw output)
set -u

here=$(cd "$(dirname "$0")" && pwd)
me=tls-bench
. "$here/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNS=${CONNS:-50}
SCENARIOS=${SCENARIOS:-terminate-keepalive terminate-newconn passthrough}
PIN=${PIN:-auto}
NGINX=one			# one nginx, both its ports (for check_placement)
PORT_BASE=${PORT_BASE:-31300}
KEEP_TMP=${KEEP_TMP:-0}

need_uint ROUNDS DURATION CONNS PORT_BASE
[ "$ROUNDS" -ge 1 ] && [ "$DURATION" -ge 1 ] && [ "$CONNS" -ge 1 ] ||
    die "ROUNDS, DURATION and CONNS must be at least 1"
need_port_base 31988
newconn=0
for s in $SCENARIOS; do
	case $s in
	terminate-keepalive | passthrough) ;;
	terminate-newconn) newconn=1 ;;
	*) die "SCENARIOS: terminate-keepalive, terminate-newconn, passthrough; not '$s'" ;;
	esac
done
check_placement

EDGE_PORT=$PORT_BASE
EDGE_PASS=$((PORT_BASE + 1))
WEB1_PORT=$((PORT_BASE + 2))
TLSWEB_PORT=$((PORT_BASE + 3))
HAP_PORT=$((PORT_BASE + 10))
HAP_PASS=$((PORT_BASE + 11))
HOST=localhost			# wrk's SNI; must resolve to 127.0.0.1

# ---- what we need ----

tools="wrk nginx haproxy curl openssl ss pgrep awk sort"
[ $newconn = 1 ] && tools="$tools cc"
need_tools $tools
need_free_ports $EDGE_PORT $EDGE_PASS $WEB1_PORT $TLSWEB_PORT $HAP_PORT \
    $HAP_PASS
getent hosts "$HOST" | grep -q '^127\.0\.0\.1[[:space:]]' ||
    die "$HOST does not resolve to 127.0.0.1 (getent hosts $HOST: $(getent hosts "$HOST" | tr '\n' ' '))"
raise_nofile
[ "$maxconn" -ge $((CONNS * 2 + 100)) ] ||
    die "descriptor limit $nofile is too low for CONNS=$CONNS"

pick_cpus			# the proxy alone on one CPU, the rest elsewhere
make_tmp edged-bench-tls	# and what stops our processes on exit

# ---- the certificate; the shim that makes wrk's handshakes full ----

mkdir "$tmp/tls"
CRT=$tmp/tls/c.crt KEY=$tmp/tls/c.key PEM=$tmp/tls/c.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=$HOST" -addext "subjectAltName=DNS:$HOST" -days 2 \
    -keyout "$KEY" -out "$CRT" >"$tmp/openssl.log" 2>&1 || {
	cat "$tmp/openssl.log" >&2
	die "openssl could not make the certificate"
}
chmod 600 "$KEY"
cat "$CRT" "$KEY" >"$PEM"	# haproxy's crt: certificate and key
chmod 600 "$PEM"
# curl (wait_http, the checks) verifies the proxies' certificate
CURL_CA_BUNDLE=$CRT
export CURL_CA_BUNDLE

SHIM=''
if [ $newconn = 1 ]; then
	cat >"$tmp/noresume.c" <<'EOC'
/* tls.sh's shim, LD_PRELOADed into wrk: forget the session of the
 * previous connection before a handshake starts (wrk keeps it across
 * SSL_clear and would offer it), so every handshake is a full one.
 * The SSL_* functions are wrk's libssl's, found when it is loaded. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;
int SSL_set_session(SSL *, SSL_SESSION *);
int SSL_in_before(const SSL *);

int
SSL_connect(SSL *s)
{
	static int (*next)(SSL *);

	if (next == NULL)
		next = (int (*)(SSL *))dlsym(RTLD_NEXT, "SSL_connect");
	if (SSL_in_before(s))	/* not when called again mid-handshake */
		SSL_set_session(s, NULL);
	return next(s);
}
EOC
	SHIM=$tmp/noresume.so
	cc -shared -fPIC -O2 -o "$SHIM" "$tmp/noresume.c" -ldl \
	    >"$tmp/cc.log" 2>&1 || {
		cat "$tmp/cc.log" >&2
		die "cc could not build the wrk shim"
	}
fi

# ---- what we measure with ----

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

# hap_cmd COMMAND: haproxy's stats socket
hap_cmd() {
	timeout 5 $PY - "$tmp/haproxy-stats.sock" "$1" <<'EOP'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(3)
try:
    s.connect(sys.argv[1])
    s.sendall(sys.argv[2].encode() + b"\n")
    while True:
        d = s.recv(65536)
        if not d:
            break
        sys.stdout.write(d.decode(errors="replace"))
except OSError as e:
    print("ERROR %s" % e)
EOP
}

# "FULL RESUMED": the TLS handshakes of edged's virtual server v so far
# (edgectl show stats: its TLS table)
edged_handshakes() {
	timeout 5 "$EDGECTL" -s "$tmp/edged.sock" show stats 2>/dev/null |
	    awk '$1 == "virtual-server" && $2 == "v" && NF == 7 &&
		$3 ~ /^[0-9]+$/ { f = $3 - $4; r = $4 }
		END { print (f == "" ? "?" : f), (r == "" ? "?" : r) }'
}

# connections nginx accepted so far (both ports; this request's included)
nginx_accepts() {
	curl -s --max-time 2 "http://127.0.0.1:$WEB1_PORT/nginx-status" |
	    awk 'NR == 3 && $1 ~ /^[0-9]+$/ { print $1 }'
}

# "FULL RESUMED": haproxy's TLS handshakes so far on frontend fe
hap_handshakes() {
	hap_cmd "show stat typed" | awk -F: -v id="$hap_fe_id" '
	    $1 ~ /^F\./ && $1 ~ /\.ssl_sess\./ { p = $1; sub(/^F\./, "", p);
		split(p, a, "."); if (a[1] == id) f = $NF }
	    $1 ~ /^F\./ && $1 ~ /\.ssl_reused_sess\./ { p = $1; sub(/^F\./, "", p);
		split(p, a, "."); if (a[1] == id) r = $NF }
	    END { print (f == "" ? "?" : f), (r == "" ? "?" : r) }'
}

# ---- nginx: plain HTTP and TLS ports, one worker ----

# lib.sh's start_nginx, with a second server block: TLS on TLSWEB_PORT
start_web() {
	start_nginx -server "    server {
        listen 127.0.0.1:$TLSWEB_PORT ssl backlog=4096;
        ssl_certificate $CRT;
        ssl_certificate_key $KEY;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / { return 200 \"hello\\n\"; }
    }
" web "$WEB1_PORT"
	for url in "http://127.0.0.1:$WEB1_PORT/" "https://$HOST:$TLSWEB_PORT/"; do
		wait_http "$url" 50 || {
			cat "$d/stdout" "$d/error.log" >&2 2>/dev/null
			die "nginx does not answer 200 on $url"
		}
	done
}

# ---- the proxies' configurations ----

edged_tls_conf() {
	edged_head
	cat <<EOC
certificate c {
    cert $CRT
    key $KEY
}
application-profile tls-term {
    type https
    certificates c
    tls {
        min-version 1.2
        alpn http/1.1
    }
    x-forwarded-for none
}
application-profile pass {
    type ssl-passthrough
    sni $HOST pool tlsp
}
pool p {
    member b1 127.0.0.1:$WEB1_PORT
}
pool tlsp {
    member t1 127.0.0.1:$TLSWEB_PORT
}
virtual-server v {
    listen 127.0.0.1:$EDGE_PORT
    profile tls-term
    default-pool p
}
virtual-server vp {
    listen 127.0.0.1:$EDGE_PASS
    profile pass
    default-pool tlsp
}
EOC
}

# the HTTP settings of lib.sh's haproxy_conf on fe/be only (defaults are
# shared with the TCP proxies); the stats socket reads the TLS counters
haproxy_tls_conf() {
	cat <<EOC
global
    nbthread 1
    maxconn $maxconn
    user edged
    group edged
    stats socket $tmp/haproxy-stats.sock mode 600 level admin

defaults
    maxconn $maxconn
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout http-keep-alive 60s

frontend fe
    mode http
    option http-keep-alive
    bind 127.0.0.1:$HAP_PORT ssl crt $PEM ssl-min-ver TLSv1.2 alpn http/1.1
    default_backend be

backend be
    mode http
    option http-keep-alive
    http-reuse safe
    server b1 127.0.0.1:$WEB1_PORT

frontend fe_pass
    mode tcp
    bind 127.0.0.1:$HAP_PASS
    tcp-request inspect-delay 5s
    tcp-request content accept if { req_ssl_hello_type 1 }
    use_backend be_tls if { req_ssl_sni -i $HOST }
    default_backend be_tls

backend be_tls
    mode tcp
    server t1 127.0.0.1:$TLSWEB_PORT
EOC
}

# ---- start ----

start_web
edged_tls_conf >"$tmp/edged.conf"
haproxy_tls_conf >"$tmp/haproxy.cfg"
check_confs "$tmp/edged.conf" "$tmp/haproxy.cfg" "the TLS bench configuration"
start_edged
start_haproxy -db
for port in $EDGE_PORT $EDGE_PASS $HAP_PORT $HAP_PASS; do
	wait_http "https://$HOST:$port/" 50 || {
		cat "$tmp/edged.log" "$tmp/haproxy.log" >&2
		die "nothing answers 200 on https://$HOST:$port/ (certificate verified)"
	}
done
hap_fe_id=$(hap_cmd "show stat typed" | awk -F: '
    $1 ~ /^F\./ && $1 ~ /\.pxname\./ && $NF == "fe" {
	p = $1; sub(/^F\./, "", p); split(p, a, "."); print a[1]; exit }')
[ -n "$hap_fe_id" ] ||
    problem "haproxy's stats socket does not show frontend fe: no handshake counts"

# Same answer through every path?
for port in $EDGE_PORT $EDGE_PASS $HAP_PORT $HAP_PASS $TLSWEB_PORT; do
	body=$(curl -s --max-time 2 "https://$HOST:$port/")
	[ "$body" = hello ] ||
	    problem "https://$HOST:$port/: answered '$body', not 'hello'"
done

# what a client gets: protocol, cipher, key exchange, ALPN
negotiated() {
	echo | timeout 5 openssl s_client -connect "127.0.0.1:$1" \
	    -servername "$HOST" -alpn http/1.1,h2 2>&1 | awk '
	    /^New, / { split($0, a, ", "); proto = a[2]; c = $NF }
	    /^Server Temp Key:/ { sub(/^Server Temp Key: /, ""); sub(/,.*/, ""); k = $0 }
	    /^Peer signature type:/ { s = $NF }
	    /^ALPN protocol:/ { alpn = $NF }
	    /^No ALPN negotiated/ { alpn = "none" }
	    END { printf "%s %s %s %s alpn=%s", proto, c, k, s, alpn }'
}

# new session tickets a resumed TLS 1.3 connection gets (none: the client
# must make a full handshake next time, its ticket being single-use)
resumed_tickets() {
	rm -f "$tmp/sess1"
	# a request, and its answer read to the end: the tickets came by then
	tls_get() {
		printf 'GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' \
		    "$HOST" | timeout 5 openssl s_client -connect "127.0.0.1:$1" \
		    -servername "$HOST" -tls1_3 -ign_eof "$2" "$tmp/sess1" 2>&1
	}
	tls_get "$1" -sess_out | grep -c 'Post-Handshake New Session Ticket' \
	    >"$tmp/tickets1"
	[ -s "$tmp/sess1" ] || { echo "no session ticket at all"; return; }
	tls_get "$1" -sess_in | awk -v t="$(cat "$tmp/tickets1")" '
	    /^Reused,/ { r = 1 } /Post-Handshake New Session Ticket/ { n++ }
	    END { printf "%s new ticket(s) on a full handshake, ", t
		  if (r) printf "%d on a resumed one", n
		  else printf "the ticket was not accepted" }'
}

neg_e=$(negotiated $EDGE_PORT) neg_h=$(negotiated $HAP_PORT)
neg_ep=$(negotiated $EDGE_PASS) neg_hp=$(negotiated $HAP_PASS)
neg_d=$(negotiated $TLSWEB_PORT)
[ "$neg_e" = "$neg_h" ] ||
    problem "termination negotiates differently: edged '$neg_e', haproxy '$neg_h'"
[ "$neg_ep" = "$neg_d" ] && [ "$neg_hp" = "$neg_d" ] ||
    problem "passthrough negotiates differently: edged '$neg_ep', haproxy '$neg_hp', nginx '$neg_d'"

echo "TLS: edged vs haproxy on $(uname -n), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  edged   $EDGED ($("$EDGED" -v 2>&1 | head -n 1)), worker pid $edged_pid"
echo "  haproxy $(haproxy -v | head -n 1 | cut -d' ' -f1-3), pid $hap_pid"
echo "  nginx   $(nginx -v 2>&1 | sed 's/.*: //'): 1 worker, HTTP :$WEB1_PORT and TLS :$TLSWEB_PORT"
echo "  $(openssl version); certificate ECDSA P-256 CN=$HOST; wrk -t1 -c$CONNS" \
    "-d${DURATION}s --latency https://$HOST:PORT/; $ROUNDS rounds"
echo "  negotiated (openssl s_client offering h2,http/1.1):"
echo "    termination: edged $neg_e; haproxy $neg_h"
echo "    passthrough: edged $neg_ep; haproxy $neg_hp; nginx $neg_d"
echo "  session tickets (TLS 1.3, termination): edged $(resumed_tickets $EDGE_PORT);"
echo "    haproxy $(resumed_tickets $HAP_PORT)"
[ $newconn = 1 ] && echo "  terminate-newconn: -H 'Connection: close', wrk with" \
    "$SHIM: every handshake a full one"
echo "  cpus: $ncpu; proxy on [${PROXY_CPUS:-any}], nginx on" \
    "[${BACKEND_CPUS:-any}], wrk on [${CLIENT_CPUS:-any}]$(cap_desc)"
echo "  fd limit $nofile, max connections $maxconn; load average:" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
echo

# ---- runs ----

# port SCENARIO TARGET
port_of() {
	case $1:$2 in
	passthrough:direct) echo "$TLSWEB_PORT" ;;
	passthrough:edged) echo "$EDGE_PASS" ;;
	passthrough:haproxy) echo "$HAP_PASS" ;;
	*:edged) echo "$EDGE_PORT" ;;
	*:haproxy) echo "$HAP_PORT" ;;
	esac
}

# wrk_run SCENARIO PORT DURATION-S OUT: wrk as the scenario wants it
wrk_run() {
	if [ "$1" = terminate-newconn ]; then
		timeout $(($3 + 30)) $(pin "$CLIENT_CPUS") env LD_PRELOAD="$SHIM" \
		    wrk -t1 -c"$CONNS" -d"$3s" --latency -H 'Connection: close' \
		    "https://$HOST:$2/" >"$4" 2>&1
	else
		timeout $(($3 + 30)) $(pin "$CLIENT_CPUS") wrk -t1 -c"$CONNS" \
		    -d"$3s" --latency "https://$HOST:$2/" >"$4" 2>&1
	fi
}

# run_wrk ROUND SCENARIO TARGET: one wrk run, one line in $results:
# round scenario target req/s p99-ms cpu% other% full resumed
# nginx-connections errors
run_wrk() {
	round=$1 scen=$2 target=$3
	port=$(port_of "$scen" "$target")
	out=$tmp/runs/r$round-$scen-$target.txt
	pid=-
	case $target in
	edged)
		# a crashed worker is replaced by the master: follow it
		wpid=$(edged_status | worker_pid)
		if [ -n "$wpid" ] && [ "$wpid" != "$edged_pid" ]; then
			problem "the edged worker changed from pid $edged_pid to ${wpid:-none} before round $round ($scen): $(grep -v '^<[67]>' "$tmp/edged.log" | tail -n 3 | tr '\n' '|')"
			edged_pid=$wpid
		fi
		pid=$edged_pid ;;
	haproxy) pid=$hap_pid ;;
	esac
	hs0='- -'
	if [ "$scen" != passthrough ]; then
		case $target in
		edged) hs0=$(edged_handshakes) ;;
		haproxy) [ -n "$hap_fe_id" ] && hs0=$(hap_handshakes) ;;
		esac
	fi
	a0=$(nginx_accepts)
	[ "$pid" = - ] || t0=$(cpu_ticks "$pid")
	run_begin
	wrk_run "$scen" "$port" "$DURATION" "$out"
	rc=$?
	run_end
	other_cpu
	cpu=-
	if [ "$pid" != - ]; then
		t1=$(cpu_ticks "$pid")
		[ -n "$t0" ] && [ -n "$t1" ] && cpu=$(cpu_pct "$t0" "$t1")
	fi
	a1=$(nginx_accepts)
	bconns=-
	is_uint "$a0" && is_uint "$a1" && bconns=$((a1 - a0 - 1))
	full=- resumed=-
	if [ "$hs0" != '- -' ]; then
		case $target in
		edged) hs1=$(edged_handshakes) ;;
		haproxy) hs1=$(hap_handshakes) ;;
		esac
		set -- $hs0 $hs1
		if is_uint "$1" && is_uint "$2" && is_uint "$3" && is_uint "$4"; then
			full=$(($3 - $1)) resumed=$(($4 - $2))
		fi
	fi
	wrk_figures "$out"
	if [ $rc -ne 0 ] || [ -z "$rps" ] || [ -z "$p99" ]; then
		problem "wrk against $target ($scen, round $round) failed (rc $rc): $(tail -n 3 "$out" | tr '\n' ' ')"
		rps=NA p99=NA
	fi
	[ "$errs" = - ] ||
	    problem "wrk against $target ($scen, round $round): $errs"
	if [ "$scen" = terminate-newconn ] && [ "$resumed" != - ] &&
	    [ "$resumed" -gt 0 ]; then
		problem "$target resumed $resumed sessions in terminate-newconn round $round: the wrk shim did not work"
	fi
	echo "$round $scen $target $rps $p99 $cpu $other $full $resumed $bconns $errs" \
	    >>"$results"
}

# targets of a scenario, in the order of round ROUND
targets() {
	[ "$1" = passthrough ] && echo direct
	round_order "$2"
}

# warm-up, not counted: a second per target and scenario
for scen in $SCENARIOS; do
	for t in $(targets "$scen" 1); do
		wrk_run "$scen" "$(port_of "$scen" "$t")" 1 /dev/null
	done
done

echo "cpu% = the proxy's CPU, other% = CPU used by anything else on the" \
    "machine (of one CPU; high = a disturbed run);"
echo "handshakes = full/resumed TLS handshakes the proxy counted during the" \
    "run (edged: edgectl show stats; haproxy: ssl_sess/ssl_reused_sess);"
echo "nginx conns = connections nginx accepted during the run (the proxy's" \
    "to the backend)"
fmt_row='%-5s %-19s %-8s %9s %9s %6s %7s %13s %7s  %s\n'
printf "$fmt_row" round scenario target 'req/s' 'p99 ms' 'cpu%' 'other%' \
    'handshakes' 'nginx' errors
printf "$fmt_row" '' '' '' '' '' '' '' '' 'conns' 
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for scen in $SCENARIOS; do
		for t in $(targets "$scen" "$r"); do
			run_wrk "$r" "$scen" "$t"
		done
		awk -v r="$r" -v s="$scen" '$1 == r && $2 == s' "$results" |
		    while read -r _r _s tg rps p99 cpu oth full res bc errs; do
			hs=-
			[ "$full" = - ] || hs=$full/$res
			printf "$fmt_row" "$_r" "$_s" "$tg" "$rps" "$p99" \
			    "$cpu" "$oth" "$hs" "$bc" "$errs"
		done
		awk -v r="$r" -v s="$scen" '
		    $1 == r && $2 == s { v[$3] = $4 }
		    END { if (v["edged"] != "NA" && v["haproxy"] != "NA" &&
			v["haproxy"] + 0 > 0)
			printf "%-5s %-19s %-8s %9.2f\n", r, s, "ratio",
			    v["edged"] / v["haproxy"] }' "$results"
	done
	r=$((r + 1))
done
echo

# ---- summary ----

# field F ($4 req/s, $5 p99, $6 cpu) of SCENARIO TARGET, one per round
field() {
	awk -v s="$1" -v t="$2" -v f="$3" \
	    '$2 == s && $3 == t { print $f }' "$results"
}

# per-round edged/haproxy of req/s ("eff": of req/s per CPU)
ratios() {
	awk -v s="$1" -v f="$2" '
	    $2 == s && ($3 == "edged" || $3 == "haproxy") {
		v = $4
		if (f == "eff") v = ($6 > 0 && $4 != "NA") ? $4 / $6 : "NA"
		val[$1, $3] = v; rounds[$1] = 1 }
	    END { for (r in rounds) {
		e = val[r, "edged"]; h = val[r, "haproxy"]
		if (e == "NA" || h == "NA" || e == "" || h == "" || h == 0)
			print "NA"
		else printf "%.3f\n", e / h } }' "$results"
}

# req/s per CPU-second of SCENARIO TARGET, one per round
eff() {
	awk -v s="$1" -v t="$2" '$2 == s && $3 == t && $6 > 0 && $4 != "NA" {
	    print $4 * 100 / $6 }' "$results"
}

echo "medians over $ROUNDS round(s); ratio = median of the per-round ratios edged/haproxy"
fmt_sum='%-19s %11s %13s %6s %10s %12s %12s\n'
printf "$fmt_sum" scenario 'edged req/s' 'haproxy req/s' ratio 'edged p99' \
    'haproxy p99' 'direct req/s'
for scen in $SCENARIOS; do
	d=-
	[ "$scen" = passthrough ] && d=$(fmt_num "$(field "$scen" direct 4 | median)")
	printf "$fmt_sum" "$scen" \
	    "$(fmt_num "$(field "$scen" edged 4 | median)")" \
	    "$(fmt_num "$(field "$scen" haproxy 4 | median)")" \
	    "$(fmt_ratio "$(ratios "$scen" 4 | median)")" \
	    "$(fmt_ms "$(field "$scen" edged 5 | median)")" \
	    "$(fmt_ms "$(field "$scen" haproxy 5 | median)")" "$d"
done
echo
echo "proxy CPU (% of one core, median) and requests per CPU-second;" \
    "eff. ratio = median per-round (edged req/CPU-s)/(haproxy req/CPU-s)"
fmt_cpu='%-19s %10s %12s %15s %17s %11s\n'
printf "$fmt_cpu" scenario 'edged cpu' 'haproxy cpu' 'edged req/cpu-s' \
    'haproxy req/cpu-s' 'eff. ratio'
for scen in $SCENARIOS; do
	printf "$fmt_cpu" "$scen" \
	    "$(field "$scen" edged 6 | grep -v '^-$' | median)%" \
	    "$(field "$scen" haproxy 6 | grep -v '^-$' | median)%" \
	    "$(fmt_num "$(eff "$scen" edged | median)")" \
	    "$(fmt_num "$(eff "$scen" haproxy | median)")" \
	    "$(fmt_ratio "$(ratios "$scen" eff | median)")"
done
echo

awk '$7 != "-" && $7 >= 20 { n++ } END { if (n > 0)
    printf "disturbed: %d of %d runs had other%% >= 20 (another load on the machine); medians and per-round ratios damp that, but fewer disturbed runs give firmer figures\n", n, NR }' "$results"

# edged's own counters.  A handshake wrk cuts when it stops counts as an
# error of the virtual server: up to CONNS per run, and a run's errors
# beyond that (or any 4xx/5xx) are a problem.
stats=$(timeout 5 "$EDGECTL" -s "$tmp/edged.sock" show stats 2>&1)
echo "edged counters (edgectl show stats; a handshake cut when wrk stops" \
    "counts as an error):"
echo "$stats" | sed 's/^/  /'
eruns=$(awk '$3 == "edged" { n++ } END { print n + 0 }' "$results")
bad=$(echo "$stats" | awk -v lim=$((eruns * CONNS)) '
    NR > 1 && NF >= 15 && ($(NF - 2) + $(NF - 1) > 0 || $NF > lim) {
    printf "%s %s: 4xx %s, 5xx %s, errors %s; ", $1, $2, $(NF - 2), $(NF - 1), $NF }')
[ -z "$bad" ] ||
    problem "edged counted $bad(errors up to $((eruns * CONNS)) = wrk stopping mid-handshake)"

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
