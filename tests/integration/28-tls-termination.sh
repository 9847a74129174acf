#!/bin/bash
# 28-tls-termination: an https profile terminates TLS with real clients
# (curl, openssl s_client) and forwards HTTP to nginx and to an echo
# backend:
#   - the certificate is chosen by SNI: exact name, wildcard, the first
#     for an unknown name or none; its chain is sent; ALPN http/1.1
#   - min-version 1.2 refuses TLS 1.1; the TLS 1.2 cipher list is obeyed
#   - the backend sees X-Forwarded-Proto https (the client's is dropped)
#   - keep-alive and large bodies both ways over TLS
#   - client certificates: required refuses none and a stranger's,
#     optional lets none through
#   - resumption: a ticket from one connection is "Reused" by the next,
#     on any thread, and after a reload
#   - a reload reads changed certificate files; a failed handshake counts
#     as an error of the virtual server; no key byte in the log
#   - plain HTTP sent to the https port gets a 400 in plain HTTP saying
#     so, then a clean close; counted as a request, a 4xx and an error,
#     and access-logged; TLS clients are served as before
#   - the access log (text and JSON) carries version, cipher and SNI;
#     stats count handshakes, resumed ones and TLS 1.3 ones
. "$(dirname "$0")/lib.sh"
it_begin 28-tls-termination

VIP=$((IT_PORT + 0)) MTLS=$((IT_PORT + 1)) OPT=$((IT_PORT + 2)) ST=$((IT_PORT + 3)) NG=$((IT_PORT + 10)) ECHO=$((IT_PORT + 11))
require_free_ports $VIP $MTLS $OPT $ST $NG $ECHO
OPENSSL=${OPENSSL:-openssl}
command -v "$OPENSSL" >/dev/null || fail "openssl not found"

TLS=$IT_DIR/../conf/tls
mkdir -p "$T/tls" "$T/www"
for f in www.crt www.key api.crt api.key leaf.crt leaf.key ca.crt; do
	cp "$TLS/$f" "$T/tls/$f"
done
# client certificates: ours (signed by clients-ca) and a stranger's
ossl() { "$OPENSSL" "$@" 2>>"$T/openssl.log"; }
mkclient() {			# NAME CA-NAME
	ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/tls/$1.key" -out "$T/tls/$1.csr" -subj "/CN=$1"
	ossl x509 -req -in "$T/tls/$1.csr" -CA "$T/tls/$2.crt" \
	    -CAkey "$T/tls/$2.key" -CAcreateserial -days 2 \
	    -out "$T/tls/$1.crt"
}
for ca in clients-ca other-ca; do
	ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/tls/$ca.key" -out "$T/tls/$ca.crt" -days 2 \
	    -subj "/CN=$ca"
done
mkclient alice clients-ca
mkclient mallory other-ca
chmod 600 "$T/tls/"*.key
head -c 3000000 /dev/urandom >"$T/www/big.bin"
chmod 644 "$T/www/big.bin"

nginx_backend ng $NG "location = /big.bin { root $T/www; }"
py_backend echo $ECHO echo

conf() {
	edged_conf_head
	cat <<CONF
stats { listen 127.0.0.1:$ST; }
certificate www { cert $T/tls/www.crt; key $T/tls/www.key; }
certificate api { cert $T/tls/api.crt; key $T/tls/api.key; }
certificate app {
    cert $T/tls/leaf.crt
    key $T/tls/leaf.key
    chain $T/tls/ca.crt
}
application-profile web-https {
    type https
    certificates www api app
    tls {
        min-version 1.2
        ciphers "ECDHE+AESGCM"
        alpn http/1.1
    }
    x-forwarded-for insert
}
application-profile mtls {
    type https
    certificates www
    tls { client-ca $T/tls/clients-ca.crt; client-verify required; }
}
application-profile mtls-optional {
    type https
    certificates www
    tls { client-ca $T/tls/clients-ca.crt; client-verify optional; }
    x-forwarded-for insert
}
pool p { member ng 127.0.0.1:$NG; }
pool e { member echo 127.0.0.1:$ECHO; }
virtual-server v {
    listen 127.0.0.1:$VIP
    profile web-https
    default-pool p
    access-log $T/access.log
}
virtual-server m { listen 127.0.0.1:$MTLS; profile mtls; default-pool p; }
virtual-server o {
    listen 127.0.0.1:$OPT
    profile mtls-optional
    default-pool e
    access-log $T/access.json json
}
CONF
}
conf >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP $MTLS $OPT

# resolve NAME: curl's arguments to reach VIP as https://NAME:VIP/
resolve() { echo "--resolve $1:$VIP:127.0.0.1"; }
# subject SNI [PORT]: the subject of the certificate served for SNI ("" =
# none sent)
subject() {
	local sni=()
	[ -n "$1" ] && sni=(-servername "$1")
	echo | "$OPENSSL" s_client -connect "127.0.0.1:${2:-$VIP}" \
	    "${sni[@]}" 2>/dev/null | "$OPENSSL" x509 -noout -subject 2>/dev/null |
	    sed 's/^subject= *//; s/ = /=/g'
}

# ---- certificates by SNI ----
assert_eq "exact name" "CN=www.example.com" "$(subject www.example.com)"
assert_eq "second name of the same certificate" "CN=www.example.com" \
    "$(subject example.com)"
assert_eq "wildcard" "CN=api.example.com" "$(subject a1.api.example.com)"
assert_eq "SNI in capitals" "CN=api.example.com" "$(subject B2.API.Example.COM)"
assert_eq "a wildcard covers one label only: the default" \
    "CN=www.example.com" "$(subject x.y.api.example.com)"
assert_eq "unknown name: the first certificate" "CN=www.example.com" \
    "$(subject unknown.example.org)"
assert_eq "no SNI: the first certificate" "CN=www.example.com" "$(subject "")"
assert_eq "app: the leaf signed by the CA" "CN=app.example.com" \
    "$(subject app.example.com)"

# curl verifies each against its issuer: the chain is sent with the leaf
# shellcheck disable=SC2046
assert_eq "curl verifies www" "ng" "$(get "https://www.example.com:$VIP/" \
    $(resolve www.example.com) --cacert "$T/tls/www.crt")"
# shellcheck disable=SC2046
assert_eq "curl verifies app through the chain edged sends" "ng" \
    "$(get "https://app.example.com:$VIP/" $(resolve app.example.com) \
    --cacert "$T/tls/ca.crt")"
# shellcheck disable=SC2046
out=$(curl -sS -v --max-time 10 -o /dev/null $(resolve www.example.com) \
    --cacert "$T/tls/www.crt" "https://www.example.com:$VIP/" 2>&1)
assert_match "ALPN http/1.1 chosen among curl's h2,http/1.1" \
    "ALPN: server accepted http/1.1" "$out"

# ---- versions and ciphers ----
sc() { echo | "$OPENSSL" s_client -connect "127.0.0.1:$VIP" "$@" 2>&1 || true; }
out=$(sc -tls1_1)
assert_match "TLS 1.1 refused" "alert protocol version|no protocols available" "$out"
assert_match "TLS 1.2 accepted" "^New, TLSv1.2, Cipher is ECDHE-ECDSA-AES" "$(sc -tls1_2)"
assert_match "TLS 1.3 accepted" "^New, TLSv1.3" "$(sc -tls1_3)"
assert_match "a TLS 1.2 cipher outside ECDHE+AESGCM refused" \
    "^New, \(NONE\)" "$(sc -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305)"
errors=$(stat_of 'vs("v")["errors"]')
assert_ge "failed handshakes counted as errors of v" "$errors" 2

# ---- plain HTTP on the https port: a 400 in plain HTTP, a clean close ----
req0=$(stat_of 'vs("v")["requests"]')
c4xx0=$(stat_of 'vs("v")["responses"]["4xx"]')
rc=0
curl -sS --max-time 10 -D "$T/plain.head" -o "$T/plain.body" \
    "http://127.0.0.1:$VIP/plain" 2>"$T/plain.err" || rc=$?
assert_eq "curl http:// to the https port: exit status (no reset; $(
    cat "$T/plain.err"))" 0 "$rc"
assert_match "plain HTTP to the https port: status" '^HTTP/1.1 400 ' \
    "$(head -1 "$T/plain.head")"
assert_match "plain HTTP to the https port: the body says why" \
    'plain HTTP request was sent to an HTTPS port' "$(cat "$T/plain.body")"
assert_match "plain HTTP to the https port: Connection: close" \
    '^Connection: close' "$(tr -d '\r' <"$T/plain.head")"
# a method OpenSSL does not know, and more request after the head: still
# the 400, then a close (not a reset from unread bytes)
printf 'DELETE /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello' |
    raw $VIP --timeout 4 >"$T/plain.raw" 2>"$T/plain.rawerr"
assert_match "DELETE in plain HTTP: status" '^HTTP/1.1 400 ' \
    "$(head -1 "$T/plain.raw")"
assert_match "DELETE in plain HTTP: closed cleanly" 'closed=yes' \
    "$(cat "$T/plain.rawerr")"
# TLS garbage that is not HTTP gets no HTTP answer: just the close
printf '\x16\x03\x01\x00\x05hello' | raw $VIP --timeout 4 >"$T/junk.raw" \
    2>"$T/junk.err"
assert_no_match "a broken TLS record: no HTTP answer" 'HTTP/' \
    "$(cat "$T/junk.raw")"
assert_eq "plain HTTP counted as errors of v (failed handshakes)" \
    $((errors + 3)) "$(stat_of 'vs("v")["errors"]')"
assert_eq "plain HTTP counted as requests of v" $((req0 + 2)) \
    "$(stat_of 'vs("v")["requests"]')"
assert_eq "plain HTTP counted as 4xx responses of v" $((c4xx0 + 2)) \
    "$(stat_of 'vs("v")["responses"]["4xx"]')"
# shellcheck disable=SC2046
assert_eq "a TLS client on the same port afterwards" "ng" \
    "$(get "https://www.example.com:$VIP/" $(resolve www.example.com) \
    --cacert "$T/tls/www.crt")"

# ---- what the backend sees; keep-alive; bodies both ways ----
# shellcheck disable=SC2046
out=$(get "https://www.example.com:$OPT/echo" --resolve \
    "www.example.com:$OPT:127.0.0.1" -k -H 'X-Forwarded-Proto: http')
assert_match "X-Forwarded-Proto https, the client's dropped" \
    " xff=127.0.0.1 xfp=https$" "$out"
# shellcheck disable=SC2046
n=$(curl -sS --max-time 10 -k $(resolve www.example.com) -o /dev/null \
    -o /dev/null -w '%{num_connects}\n' "https://www.example.com:$VIP/a" \
    "https://www.example.com:$VIP/b" | awk '{ s += $1 } END { print s }')
assert_eq "two requests, one TLS connection" 1 "$n"
# shellcheck disable=SC2046
got=$(curl -sS --max-time 20 -k $(resolve www.example.com) \
    "https://www.example.com:$VIP/big.bin" | sha256sum | cut -d' ' -f1)
assert_eq "3 MB download intact" "$(sha256sum <"$T/www/big.bin" | cut -d' ' -f1)" "$got"
out=$(curl -sS --max-time 20 -k --resolve "www.example.com:$OPT:127.0.0.1" \
    --data-binary @"$T/www/big.bin" "https://www.example.com:$OPT/up")
assert_match "3 MB upload intact" \
    "len=3000000 sha256=$(sha256sum <"$T/www/big.bin" | cut -d' ' -f1) " "$out"

# ---- client certificates ----
mget() { curl -sS --max-time 10 -k "https://127.0.0.1:$1/" "${@:2}" 2>&1; }
assert_no_match "required: no certificate, no answer" "^ng$" "$(mget $MTLS)"
assert_eq "required: alice's certificate" "ng" \
    "$(mget $MTLS --cert "$T/tls/alice.crt" --key "$T/tls/alice.key")"
assert_no_match "required: a certificate of another CA refused" "^ng$" \
    "$(mget $MTLS --cert "$T/tls/mallory.crt" --key "$T/tls/mallory.key")"
assert_match "optional: no certificate is fine" "^name=echo " "$(mget $OPT)"
assert_match "optional: alice is fine" "^name=echo " \
    "$(mget $OPT --cert "$T/tls/alice.crt" --key "$T/tls/alice.key")"
assert_no_match "optional: a bad certificate is still refused" "^name=echo " \
    "$(mget $OPT --cert "$T/tls/mallory.crt" --key "$T/tls/mallory.key")"

# ---- resumption: tickets shared by threads, kept across a reload ----
# resumed SESS-FILE [S_CLIENT-ARGS...]: one request with the session of
# SESS-FILE; prints s_client's "New"/"Reused" line
first=$(printf 'GET / HTTP/1.0\r\n\r\n' | "$OPENSSL" s_client -connect \
    "127.0.0.1:$VIP" -servername www.example.com -sess_out "$T/sess.pem" \
    -ign_eof 2>&1 | grep -E '^(New|Reused),')
assert_match "first connection: a full handshake" "^New, TLSv1.3" "$first"
resumed() {
	printf 'GET / HTTP/1.0\r\n\r\n' | "$OPENSSL" s_client -connect \
	    "127.0.0.1:$VIP" -servername www.example.com -sess_in "$1" \
	    "${@:2}" -ign_eof 2>&1 | grep -E '^(New|Reused),'
}
reused=0
for i in 1 2 3 4 5 6; do
	case $(resumed "$T/sess.pem") in Reused,*) reused=$((reused + 1)) ;; esac
done
assert_eq "six connections (two threads) all resumed" 6 "$reused"
echo | "$OPENSSL" s_client -connect "127.0.0.1:$VIP" -tls1_2 \
    -sess_out "$T/sess12.pem" >/dev/null 2>&1
assert_match "TLS 1.2 resumes too" "^Reused, TLSv1.2" \
    "$(resumed "$T/sess12.pem" -tls1_2)"

old=$(edged_worker_pid)
out=$(ctl reload 2>&1) || fail "reload failed: $out"
edged_wait_ready "$old"
assert_match "resumed after a reload (new worker, same keys)" "^Reused," \
    "$(resumed "$T/sess.pem")"

# ---- what the log and the counters say ----
tls_of() { stat_of "vs(\"v\")[\"tls\"][\"$1\"]"; }
assert_ge "handshakes counted (kept across the reload)" "$(tls_of handshakes)" 14
assert_ge "resumed ones" "$(tls_of resumed)" 8
assert_ge "TLS 1.3 ones" "$(tls_of tls13)" 10
assert_match "show stats: the TLS table" \
    "^virtual-server +v +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$" \
    "$(ctl show stats | sed -n '/^TLS /,$p')"
assert_match "metrics: resumed handshakes" \
    '^edged_virtual_server_tls_resumed_total\{virtual_server="v"\} [1-9]' \
    "$(get "http://127.0.0.1:$ST/metrics")"
sleep 0.3			# access logs are written in batches
assert_match "text log: version, cipher, SNI" \
    '"GET / HTTP/1.1" tls=TLSv1.3/TLS_AES_[0-9A-Z_]+/www.example.com$' \
    "$(cat "$T/access.log")"
assert_match "text log: a resumed session says so" \
    '"GET / HTTP/1.0" tls=TLSv1.3/[A-Z0-9_]+/www.example.com/resumed$' \
    "$(cat "$T/access.log")"
assert_match "text log: plain HTTP on the https port, answered 400" \
    ' v p/- [0-9]+/0/-1/-1/[0-9]+ 400 [0-9]+ PR "<BADREQ>"$' \
    "$(cat "$T/access.log")"
assert_match "JSON log: the tls object" \
    '"tls":\{"version":"TLSv1.3","cipher":"TLS_[A-Z0-9_]+","sni":"www.example.com","resumed":false\}\}$' \
    "$(cat "$T/access.json")"

# ---- a reload reads changed files ----
cp "$T/tls/api.crt" "$T/tls/www.crt"
cp "$T/tls/api.key" "$T/tls/www.key"
old=$(edged_worker_pid)
out=$(ctl reload 2>&1) || fail "reload with new www files failed: $out"
edged_wait_ready "$old"
assert_eq "the new file is served for www's names" "CN=api.example.com" \
    "$(subject www.example.com)"

# ---- no key material in the log ----
for k in "$TLS/www.key" "$TLS/api.key" "$TLS/leaf.key"; do
	while read -r line; do
		case $line in -----*) continue ;; esac
		grep -qF -- "$line" "$EDGED_LOG" &&
		    check_failed "a line of $k is in edged's log"
	done <"$k"
done

pass
