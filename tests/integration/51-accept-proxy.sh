#!/bin/bash
# 51-accept-proxy: `listen ... accept-proxy` reads the PROXY protocol
# header a proxy in front sends, and the client it names is the client:
#   - behind haproxy `send-proxy-v2` (http, and https: the header before
#     the TLS handshake), the member's X-Forwarded-For and edged's access
#     log carry the address haproxy's client had, not haproxy's;
#   - curl --haproxy-protocol (version 1) likewise;
#   - a header in parts, several reads apart, is read whole, and the
#     addresses it names (any, not loopback's) are the client's;
#   - a tcp virtual server passes the header's addresses on to a member
#     that reads PROXY v1 (nginx proxy_protocol);
#   - a connection without a valid header is closed before anything
#     reaches a member, and counted as an error; a header that never
#     ends is closed at timeout http-request;
#   - edged's own version 2 headers carry TLVs that haproxy reads
#     (fc_pp_authority): the SNI an https virtual server terminated, and
#     the one an ssl-passthrough virtual server read in the ClientHello;
#   - `check-send-proxy`: probes to a monitor-port send the header too
#     (the member is up), and without it do not (down);
#   - `listen ... accept-proxy` printed by edged -T, and a misspelling
#     refused at its line, the old configuration kept.
. "$(dirname "$0")/lib.sh"
it_begin 51-accept-proxy

VH=$((IT_PORT + 0)) VS=$((IT_PORT + 1)) VT=$((IT_PORT + 2))
VTLV=$((IT_PORT + 3)) VP=$((IT_PORT + 4)) VC1=$((IT_PORT + 5))
VC2=$((IT_PORT + 6))
N=$((IT_PORT + 10)) PP=$((IT_PORT + 11)) PP2=$((IT_PORT + 12))
HF=$((IT_PORT + 13)) HFS=$((IT_PORT + 14)) HP=$((IT_PORT + 15))
HPS=$((IT_PORT + 16))
require_free_ports $VH $VS $VT $VTLV $VP $VC1 $VC2 $N $PP $PP2 $HF $HFS \
    $HP $HPS

TLS=$IT_DIR/../conf/tls
mkdir -p "$T/tls"
for f in www.crt www.key; do
	cp "$TLS/$f" "$T/tls/$f"
done
chmod 600 "$T/tls/"*.key
cat "$T/tls/www.crt" "$T/tls/www.key" >"$T/tls/www.pem"

# the plain member: says who connected and what X-Forwarded-For it got
nginx_backend echo $N 'location = /who {
            return 200 "addr=$remote_addr xff=$http_x_forwarded_for\n"; }'
report='return 200 "pp=$proxy_protocol_addr:$proxy_protocol_port'
report="$report"' srv=$proxy_protocol_server_addr:$proxy_protocol_server_port'
report="$report"'\n";'
nginx_backend pp $PP "location = /pp { $report }" proxy_protocol
nginx_backend pp2 $PP2 "location = /pp { $report }" proxy_protocol

# haproxy: in front of edged (tcp, send-proxy-v2), and behind it as a
# member that reads edged's version 2 headers and says what they held
cat >"$T/haproxy.cfg" <<CFG
global
    maxconn 200
defaults
    timeout connect 2s
    timeout client 5s
    timeout server 5s
listen front
    mode tcp
    bind 127.0.0.1:$HF
    server e 127.0.0.1:$VH send-proxy-v2
listen front-tls
    mode tcp
    bind 127.0.0.1:$HFS
    server e 127.0.0.1:$VS send-proxy-v2
frontend pp
    mode http
    bind 127.0.0.1:$HP accept-proxy
    http-request return status 200 content-type text/plain lf-string "src=%[src] dst=%[dst]:%[dst_port] authority=%[fc_pp_authority]\n"
frontend pp-tls
    mode http
    bind 127.0.0.1:$HPS accept-proxy ssl crt $T/tls/www.pem
    http-request return status 200 content-type text/plain lf-string "src=%[src] authority=%[fc_pp_authority] sni=%[ssl_fc_sni]\n"
CFG
spawn "$T/haproxy.log" haproxy -db -f "$T/haproxy.cfg"
wait_port $HF
wait_port $HPS

conf() {	# the configuration, with LISTEN_OPT after the http listen
	edged_conf_head
	cat <<CONF
certificate www { cert $T/tls/www.crt; key $T/tls/www.key; }
application-profile web { type http; x-forwarded-for insert; }
application-profile sec {
    type https
    certificates www
    x-forwarded-for insert
}
application-profile raw { type tcp }
application-profile pass { type ssl-passthrough }
monitor hc { type http; interval 300ms; timeout 200ms; rise 1; fall 1;
    url /pp; }
pool echo { member n 127.0.0.1:$N }
pool pp { member pp 127.0.0.1:$PP send-proxy v1 }
pool ha { member ha 127.0.0.1:$HP send-proxy v2 }
pool has { member has 127.0.0.1:$HPS send-proxy v2 }
pool chk {
    monitor hc
    member a 127.0.0.1:$PP send-proxy v1 monitor-port $PP2 check-send-proxy
}
pool nochk {
    monitor hc
    member b 127.0.0.1:$PP send-proxy v1 monitor-port $PP2
}
virtual-server http {
    listen 127.0.0.1:$VH ${1:-accept-proxy}
    profile web
    default-pool echo
    access-log $T/access.log
}
virtual-server https {
    listen 127.0.0.1:$VS accept-proxy
    profile sec
    default-pool echo
}
virtual-server tcp { listen 127.0.0.1:$VT accept-proxy; profile raw; default-pool pp }
virtual-server tlv { listen 127.0.0.1:$VTLV; profile sec; default-pool ha }
virtual-server pass { listen 127.0.0.1:$VP; profile pass; default-pool has }
virtual-server c1 { listen 127.0.0.1:$VC1; profile web; default-pool chk }
virtual-server c2 { listen 127.0.0.1:$VC2; profile web; default-pool nochk }
CONF
}
conf >"$T/edged.conf"
edged_start "$T/edged.conf" $VH $VS $VT $VTLV $VP $VC1 $VC2

errors_of() { stat_of "vs(\"$1\")[\"errors\"]"; }

# ---- behind haproxy send-proxy-v2 ----
out=$(curl -sS --max-time 10 --interface 127.0.0.7 "http://127.0.0.1:$HF/who")
assert_eq "http behind haproxy: the member sees edged, X-Forwarded-For \
haproxy's client" "addr=127.0.0.1 xff=127.0.0.7" "$out"
out=$(curl -sS --max-time 10 -k --interface 127.0.0.8 \
    "https://127.0.0.1:$HFS/who")
assert_eq "https behind haproxy: the header, then the TLS handshake" \
    "addr=127.0.0.1 xff=127.0.0.8" "$out"
sleep 0.2	# the access log's lines reach the file within 100 ms
assert_match "the access log names haproxy's client" \
    '^127\.0\.0\.7:[0-9]+ .*"GET /who HTTP/1\.1"' "$(head -n 1 "$T/access.log")"

# ---- curl --haproxy-protocol: version 1 ----
out=$(curl -sS --max-time 10 --haproxy-protocol --interface 127.0.0.9 \
    "http://127.0.0.1:$VH/who")
assert_eq "curl --haproxy-protocol (v1): its address is the client's" \
    "addr=127.0.0.1 xff=127.0.0.9" "$out"

# ---- a header in parts, and what it names ----
req="GET /who HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
out=$(printf "PROXY TCP4 203.0.113.9 198.51.100<<PAUSE>>.1 4000 80\r\n$req" |
    raw $VH --pause 0.3 | tail -n 1)
assert_eq "a version 1 header in two reads: the address it names" \
    "addr=127.0.0.1 xff=203.0.113.9" "$out"
v2='\r\n\r\n\0\r\nQUIT\n\x21\x21\0\x24'
v2="$v2"'\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x07'
v2="$v2"'\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01\x30\x39\0\x50'
out=$(printf "${v2:0:30}<<PAUSE>>${v2:30}<<PAUSE>>$req" |
    raw $VH --pause 0.2 | tail -n 1)
assert_eq "a version 2 header (IPv6) in three reads" \
    "addr=127.0.0.1 xff=2001:db8::7" "$out"

# ---- tcp: the header's addresses passed on to the member ----
out=$(printf "PROXY TCP4 192.0.2.44 192.0.2.80 41000 8080\r\nGET /pp \
HTTP/1.0\r\n\r\n" | raw $VT | tail -n 1)
assert_eq "tcp: the member's PROXY v1 names the header's client and VIP" \
    "pp=192.0.2.44:41000 srv=192.0.2.80:8080" "$out"

# ---- without a valid header ----
e0=$(errors_of http)
n0=$(access_count echo)
out=$(printf "GET /who HTTP/1.1\r\nHost: x\r\n\r\n" | raw $VH 2>"$T/raw.err")
assert_eq "a request without the header: closed, nothing answered" "" "$out"
assert_match "... at once" "closed=(yes|reset)" "$(cat "$T/raw.err")"
out=$(printf "PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n$req" | raw $VH)
assert_eq "a port out of range: closed" "" "$out"
assert_eq "no request reached the member" "$n0" "$(access_count echo)"
assert_eq "both counted as errors of the virtual server" $((e0 + 2)) \
    "$(errors_of http)"
out=$(curl -sS --max-time 10 -k "https://127.0.0.1:$VS/who" 2>&1 || true)
assert_no_match "https without the header: no answer" "addr=" "$out"
t0=$(now_ms)
printf 'PROXY TCP4 ' | raw $VH --timeout 6 2>"$T/raw.err" >/dev/null
assert_match "a header that never ends: closed" "closed=(yes|reset)" \
    "$(cat "$T/raw.err")"
assert_between "... at timeout http-request (2 s)" $(( $(now_ms) - t0 )) \
    1500 4500

# ---- edged's TLVs, read by haproxy ----
out=$(curl -sS --max-time 10 -k --interface 127.0.0.10 \
    --resolve "www.example.com:$VTLV:127.0.0.1" \
    "https://www.example.com:$VTLV/")
assert_eq "https, v2: haproxy reads the SNI edged terminated (authority)" \
    "src=127.0.0.10 dst=127.0.0.1:$VTLV authority=www.example.com" "$out"
out=$(curl -sS --max-time 10 -k --interface 127.0.0.11 \
    --resolve "www.example.com:$VP:127.0.0.1" "https://www.example.com:$VP/")
assert_eq "passthrough, v2: the ClientHello's SNI as authority" \
    "src=127.0.0.11 authority=www.example.com sni=www.example.com" "$out"

# ---- check-send-proxy ----
sleep 1
assert_eq "check-send-proxy: probes on the monitor-port send the header" \
    up "$(member_health chk a)"
assert_eq "without it they do not (nginx refuses them)" down \
    "$(member_health nochk b)"

# ---- configuration ----
assert_match "edged -T prints accept-proxy" \
    "listen 127\.0\.0\.1:$VH accept-proxy" \
    "$("$EDGED" -T -c "$T/edged.conf" 2>&1)"
conf accept-prox >"$T/edged.conf"
out=$(ctl reload 2>&1 || true)
assert_match "a misspelt accept-proxy refused at its line" \
    "edged\.conf:[0-9]+:[0-9]+: .*accept-prox.*did you mean 'accept-proxy'" \
    "$out"
out=$(curl -sS --max-time 10 --haproxy-protocol --interface 127.0.0.12 \
    "http://127.0.0.1:$VH/who")
assert_eq "the old configuration still in force" \
    "addr=127.0.0.1 xff=127.0.0.12" "$out"

pass
