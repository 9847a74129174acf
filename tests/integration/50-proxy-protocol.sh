#!/bin/bash
# 50-proxy-protocol: `member ... send-proxy v1|v2` puts a PROXY protocol
# header before anything else on each connection to the member, read by
# real nginx `proxy_protocol` listeners, which report what they got:
#   - tcp profile, v1: the client's address and port, and the virtual
#     server's, reach the member;
#   - http profile, v2: on every request, keep-alive included (a
#     connection that carries one client's address is never reused for
#     another client), for two clients in turn;
#   - ssl-passthrough, v2: the header, then the client's TLS untouched;
#   - re-encryption to a TLS member, v1: the header goes before the TLS
#     handshake;
#   - health probes of such a member send the header too (down without
#     it: nginx refuses what it reads);
#   - `send-proxy v3` is refused at its line.
. "$(dirname "$0")/lib.sh"
it_begin 50-proxy-protocol

VTCP=$((IT_PORT + 0)) VHTTP=$((IT_PORT + 1)) VPASS=$((IT_PORT + 2))
VRE=$((IT_PORT + 3)) VPLAIN=$((IT_PORT + 4))
PP=$((IT_PORT + 10)) PPS=$((IT_PORT + 11))
require_free_ports $VTCP $VHTTP $VPASS $VRE $VPLAIN $PP $PPS

TLS=$IT_DIR/../conf/tls
mkdir -p "$T/tls"
for f in www.crt www.key ca.crt; do
	cp "$TLS/$f" "$T/tls/$f"
done
chmod 600 "$T/tls/"*.key

report='return 200 "pp=$proxy_protocol_addr:$proxy_protocol_port'
report="$report"' srv=$proxy_protocol_server_addr:$proxy_protocol_server_port'
report="$report"' conn=$connection\n";'
nginx_backend pp $PP "location = /pp { $report }" proxy_protocol
nginx_backend pps $PPS "ssl_certificate $T/tls/www.crt;
        ssl_certificate_key $T/tls/www.key;
        location = /pp { $report }" "ssl proxy_protocol"

{
	edged_conf_head
	cat <<CONF
application-profile raw { type tcp }
application-profile web { type http }
application-profile pass { type ssl-passthrough }
monitor hc {
    type http
    interval 300ms
    timeout 200ms
    rise 1
    fall 1
    url /pp
}
monitor hcs {
    type https
    interval 300ms
    timeout 200ms
    rise 1
    fall 1
    url /pp
}
# the probes send the header too (a TLS member's: before the handshake);
# the member without it is the control: nginx refuses what it reads
pool v1 { monitor hc; member pp 127.0.0.1:$PP send-proxy v1 }
pool plain { monitor hc; member pp 127.0.0.1:$PP }
pool v2 { member pp 127.0.0.1:$PP send-proxy v2 }
pool tls-v2 { member pps 127.0.0.1:$PPS send-proxy v2 }
pool re-v1 {
    tls { verify none; }
    monitor hcs
    member pps 127.0.0.1:$PPS send-proxy v1
}
virtual-server tcp { listen 127.0.0.1:$VTCP; profile raw; default-pool v1 }
virtual-server http { listen 127.0.0.1:$VHTTP; profile web; default-pool v2 }
virtual-server pass {
    listen 127.0.0.1:$VPASS
    profile pass
    default-pool tls-v2
}
virtual-server re { listen 127.0.0.1:$VRE; profile web; default-pool re-v1 }
virtual-server plain {
    listen 127.0.0.1:$VPLAIN
    profile web
    default-pool plain
}
CONF
} >"$T/edged.conf"
edged_start "$T/edged.conf" $VTCP $VHTTP $VPASS $VRE $VPLAIN


# what the member saw, without the connection number
seen() {
	sed 's/ conn=[0-9]*$//'
}

# ---- tcp, v1 ----
out=$(curl -sS --max-time 10 --interface 127.0.0.2 "http://127.0.0.1:$VTCP/pp")
assert_match "tcp, v1: the client's address and the VIP reach the member" \
    "^pp=127\.0\.0\.2:[0-9]+ srv=127\.0\.0\.1:$VTCP conn=" "$out"

# ---- http, v2, keep-alive ----
out=$(curl -sS --max-time 10 --interface 127.0.0.3 \
    "http://127.0.0.1:$VHTTP/pp" "http://127.0.0.1:$VHTTP/pp")
assert_eq "http, v2: two requests on one client connection" 2 \
    "$(echo "$out" | wc -l)"
assert_match "the first carries the client" \
    "^pp=127\.0\.0\.3:[0-9]+ srv=127\.0\.0\.1:$VHTTP$" \
    "$(echo "$out" | head -n 1 | seen)"
assert_eq "the second the same client, port and all" \
    "$(echo "$out" | head -n 1 | seen)" "$(echo "$out" | tail -n 1 | seen)"
out2=$(curl -sS --max-time 10 --interface 127.0.0.4 \
    "http://127.0.0.1:$VHTTP/pp")
assert_match "the next client gets its own address, not the last one's" \
    "^pp=127\.0\.0\.4:" "$out2"
assert_ne "nor the last one's member connection" \
    "$(echo "$out" | tail -n 1 | sed 's/.* conn=//')" "${out2##* conn=}"

# ---- ssl-passthrough, v2 ----
out=$(curl -sS --max-time 10 -k --interface 127.0.0.5 \
    "https://127.0.0.1:$VPASS/pp")
assert_match "passthrough, v2: the header, then the client's own TLS" \
    "^pp=127\.0\.0\.5:[0-9]+ srv=127\.0\.0\.1:$VPASS conn=" "$out"
served=$(echo | openssl s_client -connect "127.0.0.1:$VPASS" \
    -servername www.example.com 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256)
assert_eq "the member's certificate reaches the client" \
    "$(openssl x509 -in "$T/tls/www.crt" -noout -fingerprint -sha256)" \
    "$served"

# ---- re-encryption, v1: the header before the handshake ----
out=$(curl -sS --max-time 10 --interface 127.0.0.6 "http://127.0.0.1:$VRE/pp")
assert_match "re-encrypted, v1: header first, then TLS to the member" \
    "^pp=127\.0\.0\.6:[0-9]+ srv=127\.0\.0\.1:$VRE conn=" "$out"

# ---- health checks ----
sleep 1		# three probes at least
assert_eq "a monitored send-proxy member: its probes pass" up \
    "$(member_health v1 pp)"
assert_eq "and a TLS one's (the header before the handshake)" up \
    "$(member_health re-v1 pps)"
assert_eq "the same member probed without the header: down" down \
    "$(member_health plain pp)"

# ---- a version edged does not know ----
printf 'pool bad {\n    member x 127.0.0.1:%s send-proxy v3\n}\n' $PP \
    >"$T/bad.conf"
"$EDGED" -t -c "$T/bad.conf" >"$T/bad.out" 2>&1 &&
    fail "send-proxy v3 was accepted"
assert_match "send-proxy v3: refused at its line" \
    "bad.conf:2:[0-9]+: error: .send-proxy. in member x expects v1 or \
v2 after it, got .v3." "$(cat "$T/bad.out")"

pass
