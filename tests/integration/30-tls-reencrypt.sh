#!/bin/bash
# 30-tls-reencrypt: pools with `tls { }` speak TLS to real nginx TLS
# members:
#   - verify required with the right CA and SNI: 200, the connections
#     kept alive and reused; a 2 MB answer intact; TLS on both sides
#   - the wrong CA: 502 and a log line saying the certificate did not
#     verify; without sni, the member's address must be in the
#     certificate (it is not: 502)
#   - verify none: any certificate
#   - https monitors: a TLS member is up, a plain HTTP one is down
. "$(dirname "$0")/lib.sh"
it_begin 30-tls-reencrypt

VIP=$((IT_PORT + 0)) TVIP=$((IT_PORT + 1)) APP=$((IT_PORT + 10)) PLAIN=$((IT_PORT + 11))
require_free_ports $VIP $TVIP $APP $PLAIN
TLS=$IT_DIR/../conf/tls
mkdir -p "$T/tls"
for f in www.crt www.key leaf-chain.crt leaf.key ca.crt; do
	cp "$TLS/$f" "$T/tls/$f"
done
chmod 600 "$T/tls/"*.key
head -c 2000000 /dev/urandom >"$T/big.bin"
chmod 644 "$T/big.bin"

nginx_tls_backend app $APP "$T/tls/leaf-chain.crt" "$T/tls/leaf.key" \
    "location = /big.bin { root $T; }"
nginx_backend plain $PLAIN

{
	edged_conf_head
	cat <<CONF
certificate www { cert $T/tls/www.crt; key $T/tls/www.key; }
monitor tls-check { type https; interval 300ms; timeout 300ms; rise 1; fall 1; url /; }
application-profile web { type http; x-forwarded-for insert; }
application-profile web-https { type https; certificates www; }
pool good {
    tls { verify required; ca $T/tls/ca.crt; sni app.example.com; }
    member app 127.0.0.1:$APP
}
pool wrong-ca {
    tls { verify required; ca $T/tls/www.crt; sni app.example.com; }
    member app 127.0.0.1:$APP
}
pool by-address {
    tls { verify required; ca $T/tls/ca.crt; }
    member app 127.0.0.1:$APP
}
pool unverified {
    tls { verify none; }
    member app 127.0.0.1:$APP
}
pool monitored {
    monitor tls-check
    tls { verify none; }
    member app 127.0.0.1:$APP
    member plain 127.0.0.1:$PLAIN
}
virtual-server v { listen 127.0.0.1:$VIP; profile web; default-pool good; }
virtual-server t { listen 127.0.0.1:$TVIP; profile web-https; default-pool good; }
virtual-server w { listen 127.0.0.1:$((VIP + 2)); profile web; default-pool wrong-ca; }
virtual-server a { listen 127.0.0.1:$((VIP + 3)); profile web; default-pool by-address; }
virtual-server u { listen 127.0.0.1:$((VIP + 4)); profile web; default-pool unverified; }
virtual-server m { listen 127.0.0.1:$((VIP + 5)); profile web; default-pool monitored; }
CONF
} >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP $TVIP

# ---- verified, kept alive ----
out=$(curl -sS --max-time 10 "http://127.0.0.1:$VIP/a" "http://127.0.0.1:$VIP/b" \
    "http://127.0.0.1:$VIP/c")
assert_eq "three answers through a verified TLS connection" \
    "app app app" "$(echo $out)"
# pool monitored's probes reach app too, at any moment: only the
# lines of these three count
access_count app >/dev/null
abc=$(grep '"GET /[abc] HTTP' "$T/app.access" || true)
assert_eq "nginx got the three requests" 3 "$(grep -c . <<<"$abc")"
conns=$(cut -d' ' -f1 <<<"$abc" | sort -u | wc -l)
assert_eq "on one TLS connection, reused (nginx's connection serial)" 1 "$conns"
got=$(curl -sS --max-time 20 "http://127.0.0.1:$VIP/big.bin" |
    sha256sum | cut -d' ' -f1)
assert_eq "2 MB through re-encryption intact" \
    "$(sha256sum <"$T/big.bin" | cut -d' ' -f1)" "$got"
assert_eq "TLS on both sides" "app" \
    "$(curl -sS --max-time 10 -k "https://127.0.0.1:$TVIP/")"
assert_match "the backend sees X-Forwarded-For" 'xff="127.0.0.1"' \
    "$(grep '"GET /a ' "$T/app.access")"

# ---- verification failures ----
assert_eq "the wrong CA: 502" 502 "$(status_of "http://127.0.0.1:$((VIP + 2))/")"
assert_match "a log line says why, naming the member" \
    "pool wrong-ca member app 127.0.0.1:$APP: TLS handshake failed: certificate verify failed" \
    "$(cat "$EDGED_LOG")"
assert_eq "no sni: the address must be in the certificate: 502" 502 \
    "$(status_of "http://127.0.0.1:$((VIP + 3))/")"
assert_match "... and the log says so" \
    "pool by-address member app .*certificate verify failed: [Ii][Pp] address mismatch" \
    "$(cat "$EDGED_LOG")"
assert_eq "verify none: 200" 200 "$(status_of "http://127.0.0.1:$((VIP + 4))/")"

# ---- https monitors ----
state() { ctl show pool monitored --json | json_get \
    "[x['state'] for x in j['pools'][0]['members'] if x['name'] == '$1'][0]"; }
for i in $(seq 1 50); do
	[ "$(state app)" = up ] && [ "$(state plain)" = down ] && break
	sleep 0.1
done
assert_eq "https monitor: the TLS member is up" up "$(state app)"
assert_eq "https monitor: the plain HTTP member is down" down "$(state plain)"
assert_match "its last check says why" "plain .* TLS failed" \
    "$(ctl show pool monitored)"
assert_match "and the log, in words" \
    "pool monitored member plain DOWN: TLS handshake: wrong version number" \
    "$(cat "$EDGED_LOG")"
for i in 1 2 3 4; do
	assert_eq "monitored pool request $i goes to the up member" "app" \
	    "$(get "http://127.0.0.1:$((VIP + 5))/")"
done

pass
