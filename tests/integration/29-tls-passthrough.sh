#!/bin/bash
# 29-tls-passthrough: an ssl-passthrough profile reads only the
# ClientHello, routes by its SNI to real nginx TLS backends and forwards
# every byte unchanged:
#   - exact and wildcard SNI routes, the profile's default pool for an
#     unknown name and for none; the backend's own certificate reaches
#     the client (curl verifies it against the backend's CA); an
#     application rule's use_backend on req.ssl_sni comes first
#   - plain HTTP, a malformed and an oversized ClientHello are closed and
#     counted as errors; no backend sees a byte of them
#   - a ClientHello that does not come within timeout http-request is
#     closed
#   - a client that closes its side still gets the whole answer
#   - persistence ssl-session-id: TLS 1.2 sessions resumed by id (no
#     tickets) all reach the member that made them, among two;
#   - the access log names the SNI; stats count each pool's connections
. "$(dirname "$0")/lib.sh"
it_begin 29-tls-passthrough

VIP=$((IT_PORT + 0)) APP=$((IT_PORT + 10)) API=$((IT_PORT + 11)) WEB=$((IT_PORT + 12))
VSID=$((IT_PORT + 1)) S1=$((IT_PORT + 13)) S2=$((IT_PORT + 14))
require_free_ports $VIP $APP $API $WEB $VSID $S1 $S2
OPENSSL=${OPENSSL:-openssl}
command -v "$OPENSSL" >/dev/null || fail "openssl not found"

TLS=$IT_DIR/../conf/tls
mkdir -p "$T/tls"
for f in www.crt www.key api.crt api.key leaf-chain.crt leaf.key ca.crt; do
	cp "$TLS/$f" "$T/tls/$f"
done
chmod 600 "$T/tls/"*.key
head -c 2000000 /dev/urandom >"$T/big.bin"
chmod 644 "$T/big.bin"

nginx_tls_backend app $APP "$T/tls/leaf-chain.crt" "$T/tls/leaf.key"
nginx_tls_backend api $API "$T/tls/api.crt" "$T/tls/api.key"
nginx_tls_backend web $WEB "$T/tls/www.crt" "$T/tls/www.key" \
    "location = /big.bin { root $T; }"
# two members that resume TLS 1.2 sessions by id, each from its own cache
for s in s1:$S1 s2:$S2; do
	nginx_tls_backend "${s%%:*}" "${s##*:}" "$T/tls/www.crt" \
	    "$T/tls/www.key" "ssl_session_cache shared:${s%%:*}:1m;
        ssl_session_tickets off;"
done

TMO_HTTP_REQUEST=1s
{
	edged_conf_head
	cat <<CONF
application-profile pass {
    type ssl-passthrough
    sni app.example.com pool app-tls
    sni *.api.example.com pool api-tls
    default-pool web-tls
}
pool app-tls { member app 127.0.0.1:$APP; }
pool api-tls { member api 127.0.0.1:$API; }
pool web-tls { member web 127.0.0.1:$WEB; }
# application rules on a passthrough: addresses and the ClientHello's SNI
application-rule by-sni {
    acl legacy req.ssl_sni -i -m end .legacy.example.com
    use_backend api-tls if legacy
}
# ssl-session-id persistence: a resumed session goes back to its member
application-profile sid {
    type ssl-passthrough
    persistence ssl-session-id timeout 1m
}
pool sid-tls {
    member s1 127.0.0.1:$S1
    member s2 127.0.0.1:$S2
}
virtual-server sid {
    listen 127.0.0.1:$VSID
    profile sid
    default-pool sid-tls
}
virtual-server v {
    listen 127.0.0.1:$VIP
    profile pass
    default-pool web-tls
    access-log $T/access.log
    rules by-sni
}
CONF
} >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP $VSID

# via NAME [CURL-ARGS...]: GET https://NAME:VIP/ through edged
via() {
	local name=$1
	shift
	curl -sS --max-time 10 --resolve "$name:$VIP:127.0.0.1" "$@" \
	    "https://$name:$VIP/"
}

# ---- ssl-session-id: resumed sessions go back to their member ----
# (TLS 1.2 without tickets: resumption by id, which only the member that
# made the session can do; round-robin would send every other one away)
echo | "$OPENSSL" s_client -connect "127.0.0.1:$VSID" -tls1_2 -no_ticket \
    -sess_out "$T/sess.pem" >"$T/sess0.txt" 2>&1 || true
assert_match "the first handshake is new" '^New, ' \
    "$(grep -E '^(New|Reused),' "$T/sess0.txt")"
reused=""
for i in 1 2 3 4; do
	echo | "$OPENSSL" s_client -connect "127.0.0.1:$VSID" -tls1_2 \
	    -no_ticket -sess_in "$T/sess.pem" >"$T/sess$i.txt" 2>&1 || true
	reused="$reused $(grep -oE '^(New|Reused)' "$T/sess$i.txt")"
done
assert_eq "ssl-session-id: each resumption reaches the member that can" \
    " Reused Reused Reused Reused" "$reused"
assert_match "the profile's table holds the session id" '^key=' \
    "$(ctl show table persist.sid | grep '^key=')"

# ---- routing by SNI, certificates untouched ----
assert_eq "exact SNI to app, app's own chain verified" "app" \
    "$(via app.example.com --cacert "$T/tls/ca.crt")"
assert_eq "wildcard SNI to api" "api" \
    "$(via x1.api.example.com --cacert "$T/tls/api.crt")"
assert_eq "SNI in capitals" "api" \
    "$(via X2.API.EXAMPLE.com --cacert "$T/tls/api.crt")"
assert_eq "unknown SNI: the profile's default pool" "web" \
    "$(via www.example.com --cacert "$T/tls/www.crt")"
assert_eq "no SNI (an address): the default pool" "web" \
    "$(curl -sSk --max-time 10 "https://127.0.0.1:$VIP/")"
assert_eq "use_backend on req.ssl_sni (-i, -m end): before the routes" \
    "api" "$(via WWW.Legacy.example.com -k)"
served=$(echo | "$OPENSSL" s_client -connect "127.0.0.1:$VIP" \
    -servername app.example.com 2>/dev/null |
    "$OPENSSL" x509 -noout -fingerprint -sha256)
assert_eq "the client gets the backend's certificate, byte for byte" \
    "$("$OPENSSL" x509 -in "$T/tls/leaf-chain.crt" -noout -fingerprint -sha256)" \
    "$served"
assert_match "TLS 1.2 passes through too" "^New, TLSv1.2" \
    "$(echo | "$OPENSSL" s_client -connect "127.0.0.1:$VIP" -tls1_2 \
    -servername app.example.com 2>&1 | grep '^New,')"
got=$(curl -sSk --max-time 20 "https://127.0.0.1:$VIP/big.bin" |
    sha256sum | cut -d' ' -f1)
assert_eq "2 MB through the tunnel intact" \
    "$(sha256sum <"$T/big.bin" | cut -d' ' -f1)" "$got"

# ---- what is not a good ClientHello ----
before_app=$(access_count app) before_web=$(access_count web)
errors0=$(stat_of 'vs("v")["errors"]')
# raw HOW: what edged answers (hex) to bytes that are not a ClientHello
raw_hex() {
	"$PY" - "$VIP" "$1" <<'PY'
import socket, sys, struct
port, how = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=5)
if how == "http":
    s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
elif how == "malformed":
    # a handshake record holding a ServerHello (type 2), not a ClientHello
    body = b"\x02\x00\x00\x04\x03\x03\x00\x00"
    s.sendall(b"\x16\x03\x01" + struct.pack(">H", len(body)) + body)
elif how == "oversized":
    # a ClientHello that announces 64 KB: more than edged reads
    body = b"\x01\x01\x00\x00" + b"\x03\x03" + b"\x00" * 200
    s.sendall(b"\x16\x03\x01" + struct.pack(">H", len(body)) + body)
got = b""
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
except (ConnectionResetError, socket.timeout) as e:
    got += ("<%s>" % type(e).__name__).encode()
print(got.hex() or "closed")
PY
}
assert_eq "plain HTTP: closed without a byte" closed "$(raw_hex http)"
assert_eq "a ServerHello instead: closed" closed "$(raw_hex malformed)"
assert_eq "a 64 KB ClientHello: closed" closed "$(raw_hex oversized)"
assert_eq "three errors counted" $((errors0 + 3)) "$(stat_of 'vs("v")["errors"]')"
assert_eq "app saw none of it" "$before_app" "$(access_count app)"
assert_eq "web (the default) saw none of it" "$before_web" "$(access_count web)"

# a ClientHello that stops half-way: closed at timeout http-request
t0=$(now_ms)
out=$("$PY" - "$VIP" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
print("closed" if s.recv(10) == b"" else "data")
PY
)
t1=$(now_ms)
assert_eq "half a ClientHello: closed" closed "$out"
assert_between "closed after about 1 s (timeout http-request)" \
    $((t1 - t0)) 700 5000

# ---- a client that closes its side first still gets the answer ----
out=$(printf 'GET / HTTP/1.0\r\nHost: app.example.com\r\n\r\n' |
    timeout 10 "$OPENSSL" s_client -connect "127.0.0.1:$VIP" \
    -servername app.example.com -quiet 2>/dev/null | tail -n 1)
assert_eq "half-closed client: app's answer arrives" "app" "$out"

# ---- the log and the counters ----
sleep 0.3				# the access log is flushed in batches
assert_match "access log names the SNI" \
    "v app-tls/app .* \"TLS app.example.com\"" "$(cat "$T/access.log")"
assert_match "access log: no SNI" "v web-tls/web .* \"TLS -\"" \
    "$(cat "$T/access.log")"
assert_ge "app-tls connections" "$(stat_of 'pool("app-tls")["requests"]')" 4
assert_ge "api-tls connections" "$(stat_of 'pool("api-tls")["requests"]')" 2

pass
