#!/bin/bash
# 40-hostile-tls: edged against hostile TLS clients (tlsflood.py, openssl
# s_client and s_server), with figures:
#   - ClientHello floods that never finish, and connections that send
#     nothing, on a terminating (https) and on a passthrough virtual
#     server: each is cut at its timeout (https: http-request for both;
#     passthrough: http-request for the silent ones, the tunnel's idle
#     timeout for those forwarded), the counters say what happened, the
#     worker's CPU per 1,000 handshakes and its RSS are printed, RSS comes
#     back to what it was, and curl's HTTPS requests keep succeeding
#   - renegotiation: a TLS 1.2 client asking for it is refused, and no
#     second handshake ever happens; a member (re-encryption) asking for
#     it is refused too
#   - a Certificate message no one asked for; a client certificate chain
#     of 100 certificates (trusted and not); a member presenting one
#   - ClientHellos of 16 KiB and more (many suites, many extensions), a
#     1000-byte SNI
. "$(dirname "$0")/lib.sh"
it_begin 40-hostile-tls

VIP=$((IT_PORT + 0)) PASS=$((IT_PORT + 1)) MTLS=$((IT_PORT + 2))
REN=$((IT_PORT + 3)) DEEP=$((IT_PORT + 4)) ST=$((IT_PORT + 5))
NG=$((IT_PORT + 10)) TB=$((IT_PORT + 11)) DEEPB=$((IT_PORT + 12))
SSRV=$((IT_PORT + 13))
require_free_ports $VIP $PASS $MTLS $REN $DEEP $ST $NG $TB $DEEPB $SSRV
OPENSSL=${OPENSSL:-openssl}
command -v "$OPENSSL" >/dev/null || fail "openssl not found"
flood() { "$PY" "$IT_DIR/tlsflood.py" "$@"; }

# An ASan build is several times slower: fewer connections, same shape.
FLOOD_CONNS=3000 FLOOD_SECONDS=3
if [ "$IT_SANITIZED" = 1 ]; then
	FLOOD_CONNS=600
fi

# ---- certificates: the fixtures, and a chain of 100 ----
TLS=$IT_DIR/../conf/tls
mkdir -p "$T/tls" "$T/chain"
for f in www.crt www.key; do
	cp "$TLS/$f" "$T/tls/$f"
done
ossl() { "$OPENSSL" "$@" 2>>"$T/openssl.log"; }
# mkchain DIR ROOT-NAME N LEAF-NAME: DIR/root.crt, then N-1 intermediates
# each signed by the one before, then a leaf; DIR/chain.pem holds the
# leaf and the intermediates (N certificates, the root not among them).
mkchain() {
	local d=$1 prev=root i
	mkdir -p "$d"
	ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/root.key" -out "$d/root.crt" -days 2 -subj "/CN=$2" \
	    -addext basicConstraints=critical,CA:TRUE
	for ((i = 1; i < $3; i++)); do
		ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout "$d/i$i.key" -out "$d/i$i.crt" -days 2 \
		    -subj "/CN=$2 intermediate $i" -CA "$d/$prev.crt" \
		    -CAkey "$d/$prev.key" \
		    -addext basicConstraints=critical,CA:TRUE
		prev=i$i
	done
	ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/leaf.key" -out "$d/leaf.crt" -days 2 -subj "/CN=$4" \
	    -CA "$d/$prev.crt" -CAkey "$d/$prev.key" \
	    -addext "subjectAltName=DNS:$4" \
	    -addext basicConstraints=critical,CA:FALSE
	cat "$d/leaf.crt" >"$d/chain.pem"
	for ((i = $3 - 1; i >= 1; i--)); do
		cat "$d/i$i.crt" >>"$d/chain.pem"
	done
}
t0=$(now_ms)
mkchain "$T/chain" "deep root" 100 deep.example.com
# a stranger's chain of 100: the same shape, a root edged does not trust
mkchain "$T/stranger" "stranger root" 100 deep.example.com
chmod 600 "$T/tls/"*.key "$T/chain/"*.key
assert_eq "a chain of 100 certificates" 100 \
    "$(grep -c 'BEGIN CERTIFICATE' "$T/chain/chain.pem")"
it_log "made two chains of 100 certificates in $(($(now_ms) - t0)) ms"

# ---- backends ----
nginx_backend ng $NG
nginx_tls_backend tb $TB "$T/tls/www.crt" "$T/tls/www.key"
nginx_tls_backend deepb $DEEPB "$T/chain/chain.pem" "$T/chain/leaf.key"

{
	TMO_HTTP_REQUEST=1s edged_conf_head "timeout client 2s"
	cat <<CONF
stats { listen 127.0.0.1:$ST; }
certificate www { cert $T/tls/www.crt; key $T/tls/www.key; }
application-profile web-https { type https; certificates www; }
application-profile tls-pass { type ssl-passthrough; }
application-profile mtls {
    type https
    certificates www
    tls { client-ca $T/chain/root.crt; client-verify required; }
}
application-profile web { type http; }
pool p { member ng 127.0.0.1:$NG; }
pool tlsp { member tb 127.0.0.1:$TB; }
pool renego {
    tls { verify none; }
    member ssrv 127.0.0.1:$SSRV
}
pool deep {
    tls { verify required; ca $T/chain/root.crt; sni deep.example.com; }
    member deepb 127.0.0.1:$DEEPB
}
virtual-server v { listen 127.0.0.1:$VIP; profile web-https; default-pool p; }
virtual-server pt { listen 127.0.0.1:$PASS; profile tls-pass; default-pool tlsp; }
virtual-server m { listen 127.0.0.1:$MTLS; profile mtls; default-pool p; }
virtual-server r { listen 127.0.0.1:$REN; profile web; default-pool renego; }
virtual-server d { listen 127.0.0.1:$DEEP; profile web; default-pool deep; }
CONF
} >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP $PASS $MTLS $REN $DEEP $ST
worker=$(edged_worker_pid)

# figures of the worker: CPU (clock ticks, user + system, all threads)
# and resident memory (KiB)
ticks() { awk '{ print $14 + $15 }' "/proc/$worker/stat"; }
HZ=$(getconf CLK_TCK)
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$worker/status"; }
metric() {			# NAME VS
	curl -sS --max-time 5 "http://127.0.0.1:$ST/metrics" |
	    awk -v m="$1{virtual_server=\"$2\"}" '$1 == m { print $2 }'
}
errors_of() { stat_of "vs(\"$1\")[\"errors\"]"; }
assert_eq "https answers before" ng "$(get "https://127.0.0.1:$VIP/" -k)"
assert_eq "passthrough answers before" tb "$(get "https://127.0.0.1:$PASS/" -k)"

# ---- 1. ClientHello floods that never finish ----
# https_meanwhile PORT SECONDS: curl -k requests, one every 0.1 s, for
# SECONDS; prints "OK BAD"
https_meanwhile() {
	local ok=0 bad=0 end=$(($(now_ms) + $2 * 1000)) code
	while [ "$(now_ms)" -lt "$end" ]; do
		code=$(status_of "https://127.0.0.1:$1/" -k)
		if [ "$code" = 200 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
		sleep 0.1
	done
	echo "$ok $bad"
}
# field NAME LINE: the value of NAME=... in tlsflood's line
field() { grep -o " $1=[^ ]*" <<<" $2" | cut -d= -f2; }

# flood_round VS PORT ROUND: one flood (a quarter of the connections
# silent), with HTTPS requests meanwhile; asserts and prints figures;
# leaves the line in FLOOD_OUT
flood_round() {
	local vs=$1 port=$2 round=$3 c0 c1 r0 r1 e0 e1 mine out
	c0=$(ticks) r0=$(rss) e0=$(errors_of "$vs")
	flood "$port" flood --conns $FLOOD_CONNS --seconds $FLOOD_SECONDS \
	    --silent-every 4 --wait 15 --sni www.example.com \
	    >"$T/flood-$vs-$round" 2>&1 &
	mine=$!
	IT_PIDS+=("$mine")
	out=$(https_meanwhile "$port" $FLOOD_SECONDS)
	wait "$mine" || check_failed "tlsflood $vs: $(cat "$T/flood-$vs-$round")"
	FLOOD_OUT=$(cat "$T/flood-$vs-$round")
	c1=$(ticks) r1=$(rss) e1=$(errors_of "$vs")
	assert_eq "$vs round $round: HTTPS requests that failed during the flood" \
	    0 "${out#* }"
	assert_ge "$vs round $round: HTTPS requests made during the flood" \
	    "${out% *}" 5
	assert_eq "$vs round $round: every connection was made" 0 \
	    "$(field refused "$FLOOD_OUT")"
	assert_eq "$vs round $round: every ClientHello connection cut by edged" \
	    0 "$(field hello_open "$FLOOD_OUT")"
	assert_eq "$vs round $round: every silent connection cut by edged" \
	    0 "$(field silent_open "$FLOOD_OUT")"
	it_log "$vs round $round: $FLOOD_OUT"
	it_log "$vs round $round: worker CPU $(((c1 - c0) * 1000 / HZ)) ms" \
	    "for $(field hellos "$FLOOD_OUT") ClientHellos: $(((c1 - c0) * \
	    1000 * 1000 / HZ / $(field hellos "$FLOOD_OUT"))) ms per 1,000;" \
	    "RSS ${r0} -> ${r1} KiB; errors $e0 -> $e1;" \
	    "HTTPS meanwhile: ${out% *} ok"
	FLOOD_RSS=$r1 FLOOD_ERRORS=$((e1 - e0))
}

# life_med KIND: the median seconds from connect to edged's close
life_med() { field "$1_life" "$FLOOD_OUT" | cut -d/ -f2; }
life_max() { field "$1_life" "$FLOOD_OUT" | cut -d/ -f3; }
# in_range WHAT SECONDS MIN MAX: a float between two (generous) bounds
in_range() {
	awk -v x="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(x >= lo && x <= hi) }' ||
	    check_failed "$1: expected between $3 and $4 s, got '$2'"
}

# flood_vs VS PORT: two rounds; edged's counters and RSS checked
flood_vs() {
	local vs=$1 port=$2 rss0 rss1 conns0 conns1 hs0 hs1
	rss0=$(rss)
	conns0=$(metric edged_virtual_server_connections_total "$vs")
	hs0=$(metric edged_virtual_server_tls_handshakes_total "$vs")
	flood_round "$vs" "$port" 1
	rss1=$FLOOD_RSS
	# https: each ClientHello never finished is a failed handshake, cut
	# at timeout http-request (a silent connection is not); passthrough:
	# a whole ClientHello went to the member, whose tunnel went idle
	if [ "$vs" = v ]; then
		assert_eq "$vs: each ClientHello never finished counted as a failure" \
		    "$(field hellos "$FLOOD_OUT")" "$FLOOD_ERRORS"
	else
		assert_eq "$vs: no failure counted for a ClientHello the member had" \
		    0 "$FLOOD_ERRORS"
	fi
	flood_round "$vs" "$port" 2
	# glibc keeps what the peak freed for the next one (edged never
	# calls malloc_trim): the first round raises RSS once, an identical
	# second one must not raise it further.  (ASan holds freed memory in
	# its quarantine, up to 256 MiB: no figure of RSS means much there.)
	[ "$IT_SANITIZED" = 1 ] || assert_le "$vs: worker RSS (KiB) after a second identical flood, at most 10% over the first's" \
	    "$FLOOD_RSS" $((rss1 * 110 / 100))
	it_log "$vs: worker RSS ${rss0} KiB before, ${rss1} after one flood," \
	    "${FLOOD_RSS} after two"
	conns1=$(metric edged_virtual_server_connections_total "$vs")
	assert_ge "$vs: every flood connection counted as accepted" \
	    $((conns1 - conns0)) $((2 * FLOOD_CONNS))
	assert_eq "$vs: no connection left open" 0 \
	    "$(metric edged_virtual_server_connections "$vs")"
	hs1=$(metric edged_virtual_server_tls_handshakes_total "$vs")
	FLOOD_HANDSHAKES=$((${hs1:-0} - ${hs0:-0}))
}

flood_vs v $VIP
in_range "https: a silent connection is cut at timeout http-request (1 s)" \
    "$(life_med silent)" 0.9 3
in_range "https: an unfinished handshake is cut at timeout http-request (1 s)" \
    "$(life_med hello)" 0.9 3
assert_eq "https: every ClientHello got the server's flight" \
    "$(field hellos "$FLOOD_OUT")" "$(field answered "$FLOOD_OUT")"
assert_le "https: handshakes completed: curl's only, at most" \
    $FLOOD_HANDSHAKES 100
# The passthrough member (nginx, 1024 connections) takes every
# ClientHello that parses: a third of the load keeps it within its limit.
FLOOD_CONNS=$((FLOOD_CONNS / 3))
flood_vs pt $PASS
in_range "passthrough: a silent connection is cut at timeout http-request (1 s)" \
    "$(life_med silent)" 0.9 3
in_range "passthrough: a forwarded ClientHello is cut when the tunnel is idle (2 s)" \
    "$(life_med hello)" 1.9 4

# ---- 2. renegotiation ----
# A TLS 1.2 client asks for it ("R" on s_client's input): edged answers
# with a no_renegotiation alert and sends no second ServerHello;
# s_client gives up on its connection.
e0=$(errors_of v)
{ sleep 0.5; printf 'R\n'; sleep 1.5; } | timeout 10 "$OPENSSL" s_client \
    -connect "127.0.0.1:$VIP" -tls1_2 -msg >"$T/reneg.out" 2>&1 || true
assert_match "renegotiation: s_client asked" '^RENEGOTIATING' \
    "$(cat "$T/reneg.out")"
assert_eq "renegotiation: s_client sent a second ClientHello" 2 \
    "$(grep -c '^>>> .*ClientHello' "$T/reneg.out")"
assert_eq "renegotiation: edged never sent a second ServerHello" 1 \
    "$(grep -c '^<<< .*ServerHello$' "$T/reneg.out")"
assert_match "renegotiation: edged refused it with a no_renegotiation alert" \
    '^<<< TLS 1.2, Alert .*warning no_renegotiation' "$(cat "$T/reneg.out")"
it_log "renegotiation asked by a client: errors of v $e0 -> $(errors_of v)"
assert_eq "https answers after the renegotiation attempt" ng \
    "$(get "https://127.0.0.1:$VIP/" -k)"

# A member (re-encryption, TLS 1.2) asks for it: openssl s_server, "r"
# on its input once the request is there (a HelloRequest), then its
# answer.  edged's side of the connection refuses with the same alert
# and never sends a second ClientHello.
mkfifo "$T/ssrv.in"
spawn "$T/ssrv.log" bash -c "exec \"$OPENSSL\" s_server -accept \
    127.0.0.1:$SSRV -tls1_2 -cert \"$T/tls/www.crt\" -key \
    \"$T/tls/www.key\" -msg -crlf <\"$T/ssrv.in\""
ssrv=$SPAWNED
exec 7>"$T/ssrv.in"
for _ in $(seq 100); do
	grep -q '^ACCEPT' "$T/ssrv.log" && break
	sleep 0.05
done
curl -sS --max-time 10 -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$REN/renegotiate" >"$T/reneg.curl" 2>&1 &
rcurl=$!
IT_PIDS+=("$rcurl")
for _ in $(seq 100); do
	grep -q 'GET /renegotiate' "$T/ssrv.log" && break
	sleep 0.05
done
printf 'r\n' >&7
sleep 0.5
printf 'HTTP/1.1 200 OK\nContent-Length: 4\nConnection: close\n\nok\n' >&7 ||
    true
wait "$rcurl" || true
exec 7>&-
stop_pid "$ssrv"
assert_match "member renegotiation: s_server asked (HelloRequest sent)" \
    '^SSL_do_handshake -> 1' "$(cat "$T/ssrv.log")"
assert_eq "member renegotiation: edged sent one ClientHello, not two" 1 \
    "$(grep -c '^<<< .*ClientHello' "$T/ssrv.log")"
assert_match "member renegotiation: edged refused it with no_renegotiation" \
    '^<<< TLS 1.2, Alert .*warning no_renegotiation' "$(cat "$T/ssrv.log")"
it_log "member renegotiation: the client got $(cat "$T/reneg.curl")" \
    "(s_server gives up on a refused renegotiation)"

# ---- 3. certificates nobody asked for; chains of 100 ----
e0=$(errors_of v)
out=$(flood $VIP unasked-cert --chain "$T/chain/chain.pem" --sni www.example.com)
it_log "unasked Certificate message: $out"
assert_match "a Certificate message v did not ask for: its first flight came" \
    'flight=yes certs=100 ' "$out"
assert_match "... then an unexpected_message alert" \
    'answer=alert:unexpected_message' "$out"
assert_eq "... counted as a failed handshake of v" $((e0 + 1)) "$(errors_of v)"

# handshakes N PORT CURL-ARGS...: N curl requests; prints "OK MS-OF-CPU"
handshakes() {
	local n=$1 port=$2 ok=0 c0 i
	shift 2
	c0=$(ticks)
	for ((i = 0; i < n; i++)); do
		[ "$(status_of "https://127.0.0.1:$port/" -k "$@")" = 200 ] &&
		    ok=$((ok + 1))
	done
	echo "$ok $((($(ticks) - c0) * 1000 / HZ))"
}
N=20
[ "$IT_SANITIZED" = 1 ] && N=5
out=$(handshakes $N $VIP)
it_log "https: $N ordinary handshakes: ${out% *} answered, ${out#* } ms of CPU"
# The largest chain a client may send: as many of the stranger's
# certificates as fit 16 KiB (edged's bound on a Certificate message)
"$PY" - "$T/stranger/chain.pem" "$T/stranger/fits.pem" <<'PY'
import re, sys
certs = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n",
                   open(sys.argv[1]).read(), re.S)
out, size = "", 0
for c in certs:
    der = (len("".join(c.splitlines()[1:-1])) * 3) // 4
    if size + der + 3 > 16384 - 3:
        break
    out, size = out + c, size + der + 3
open(sys.argv[2], "w").write(out)
PY
fits=$(grep -c 'BEGIN CERTIFICATE' "$T/stranger/fits.pem")
rss0=$(rss) e0=$(errors_of m)
out=$(handshakes $N $MTLS --cert "$T/chain/chain.pem" --key "$T/chain/leaf.key")
it_log "client chain of 100 (trusted root): $N handshakes:" \
    "${out% *} answered, ${out#* } ms of CPU"
assert_eq "client chain of 100: refused (longer than 16 KiB)" 0 "${out% *}"
assert_match "client chain of 100: the log says why" \
    'virtual-server m: client 127\.0\.0\.1(:[0-9]+)?: TLS handshake failed: excessive message size' \
    "$(cat "$EDGED_LOG")"
out=$(handshakes $N $MTLS --cert "$T/stranger/fits.pem" \
    --key "$T/stranger/leaf.key")
it_log "client chain of $fits (a stranger's, 16 KiB): $N handshakes:" \
    "${out% *} answered, ${out#* } ms of CPU"
assert_eq "client chain of $fits, untrusted: refused" 0 "${out% *}"
assert_eq "chains refused: counted as failed handshakes of m" $((e0 + 2 * N)) \
    "$(metric edged_virtual_server_tls_handshake_failures_total m)"
[ "$IT_SANITIZED" = 1 ] ||
    assert_le "RSS (KiB) after $((2 * N)) long chains: at most 2 MiB more" \
    "$(rss)" $((rss0 + 2048))
assert_eq "m serves a client with no certificate? no: required" 000 \
    "$(status_of "https://127.0.0.1:$MTLS/" -k)"

t0=$(now_ms) c0=$(ticks)
code=$(status_of "http://127.0.0.1:$DEEP/")
it_log "member with a chain of 100: $code in $(($(now_ms) - t0)) ms," \
    "$((($(ticks) - c0) * 1000 / HZ)) ms of CPU"
assert_eq "member with a chain of 100: 502" 502 "$code"
assert_match "member with a chain of 100: the log says why" \
    'pool deep member deepb 127\.0\.0\.1:[0-9]+: .*TLS handshake failed: excessive message size' \
    "$(cat "$EDGED_LOG")"

# ---- 4. ClientHellos of 16 KiB and more ----
# big PORT ARGS...: tlsflood's bighello line
big() { flood "$1" bighello "${@:2}"; }
e0=$(errors_of v) c0=$(ticks)
out=$(big $VIP --ciphers 9000 --sni www.example.com)
it_log "https, 9000 cipher suites: $out"
assert_match "https, 9000 cipher suites (18 KiB, 2 records): answered" \
    'records=2 answer=serverhello' "$out"
out=$(big $VIP --exts 100 --ext-size 200 --sni www.example.com --tls13)
it_log "https, 100 unknown extensions of 200 bytes: $out"
assert_match "https, 20 KiB of extensions: answered" \
    'records=2 answer=serverhello' "$out"
out=$(big $VIP --ciphers 32000 --exts 300 --ext-size 200)
it_log "https, a 125 KiB ClientHello (near TLS's and OpenSSL's limit): $out"
assert_match "https, a 125 KiB ClientHello: answered, not left hanging" \
    'records=8 answer=(serverhello|alert:)' "$out"
out=$(big $VIP --sni "$(printf 'a%.0s' $(seq 1000))")
it_log "https, a 1000-byte SNI: $out"
assert_match "https, a 1000-byte SNI: refused with an alert" 'answer=alert:' \
    "$out"
it_log "https: the four cost $((($(ticks) - c0) * 1000 / HZ)) ms of CPU;" \
    "errors of v $e0 -> $(errors_of v)"
assert_ge "https: a refused one counts as a failed handshake" \
    "$(errors_of v)" $((e0 + 1))
e0=$(errors_of pt)
out=$(big $PASS --ciphers 9000 --sni www.example.com)
assert_match "passthrough, an 18 KiB ClientHello: closed (over 16 KiB)" \
    'answer=(closed|reset)' "$out"
out=$(big $PASS --exts 150 --ext-size 0 --sni www.example.com)
it_log "passthrough, 150 empty extensions: $out"
out=$(big $PASS --sni "$(printf 'a%.0s' $(seq 1000))")
assert_match "passthrough, a 1000-byte SNI: closed" 'answer=(closed|reset)' \
    "$out"
out=$(big $PASS --ciphers 300 --exts 20 --ext-size 100 --sni www.example.com)
assert_match "passthrough, a 3 KiB ClientHello: forwarded, nginx answers" \
    'answer=serverhello' "$out"
it_log "passthrough: errors of pt $e0 -> $(errors_of pt)"
assert_ge "passthrough: the refused ClientHellos counted as errors" \
    "$(errors_of pt)" $((e0 + 2))

assert_eq "https answers at the end" ng "$(get "https://127.0.0.1:$VIP/" -k)"
assert_eq "passthrough answers at the end" tb "$(get "https://127.0.0.1:$PASS/" -k)"
assert_eq "the same worker all along" "$worker" "$(edged_worker_pid)"

pass
