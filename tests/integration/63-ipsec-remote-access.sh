#!/bin/bash
# 63-ipsec-remote-access: IKEv2 road warriors through the charon edged
# configures (Debian's strongSwan 5.9.8), against a strongSwan client
# that swanctl configures, in network namespaces made here:
#
#   client C ============ gateway G ---- host H
#   172.31.64.2           172.31.64.1  10.64.2.1  10.64.2.2
#   charon (swanctl)      edged, charon
#
# Both charons use kernel-libipsec (no ESP in this kernel), each in a
# mount namespace of its own.  The test makes a CA, the gateway's
# certificate (for 172.31.64.1) and a client's (CN=carol) with openssl.
# Asserted:
#   - EAP-MSCHAPv2: the client connects as alice (from the users file,
#     0600), gets an address from the pool and reaches H; show ipsec
#     (text and JSON) lists alice and her address, the metrics have the
#     tunnel; ipsec disconnect alice ends her session; a wrong password
#     is refused; a user taken out of the file by a reload is refused,
#     the others still connect; the users file readable by anyone is
#     refused;
#   - RADIUS (FreeRADIUS on H, radius.sh): a reload to eap-radius is
#     refused while charon has no eap-radius plugin; with it, the
#     settings file (0600) reaches charon, dave (RADIUS's user, EAP-
#     MSCHAPv2) connects, reaches H, is listed; accounting start and
#     stop reach FreeRADIUS; a wrong password, or a reload to a wrong
#     secret, is refused; edged -T hides the secret, an edged.conf anyone
#     can read is refused, a settings file edged did not write is left;
#     the file goes when no block uses RADIUS, and edged says charon
#     must be restarted for accounting to stop (charon takes it when
#     it starts: edged said so when it was turned on);
#   - a reload to certificate authentication (client-ca): carol
#     connects with her certificate, and is listed by her identity;
#   - a site whose ends authenticate with certificates (a certificate
#     block, peer-ca, peer-id) carries traffic;
#   - the passwords and the key are in no log line of edged's.
. "$(dirname "$0")/lib.sh"
it_begin 63-ipsec-remote-access
for p in ip /usr/lib/ipsec/charon swanctl openssl ping; do
	command -v $p >/dev/null || fail "$p not found (install-deps.sh)"
done
[ -e /usr/lib/ipsec/plugins/libstrongswan-eap-mschapv2.so ] ||
    fail "no eap-mschapv2 plugin (libcharon-extauth-plugins: install-deps.sh)"
[ -e /usr/lib/ipsec/plugins/libstrongswan-eap-radius.so ] ||
    fail "no eap-radius plugin (libcharon-extra-plugins: install-deps.sh)"
[ -x /usr/sbin/freeradius ] || fail "no freeradius (install-deps.sh)"

C=edged-it63-c-$$ G=edged-it63-g-$$ H=edged-it63-h-$$
for ns in "$C" "$G" "$H"; do netns_add "$ns"; done
netns_link "$C" cw0 172.31.64.2/24 "$G" gw0 172.31.64.1/24
netns_link "$G" gh0 10.64.2.1/24 "$H" h0 10.64.2.2/24
ip -n "$H" route add default via 10.64.2.1
ip netns exec "$G" sysctl -qw net.ipv4.ip_forward=1

# ---- certificates ----

pki() { openssl "$@" >>"$T/openssl.log" 2>&1 || fail "openssl $1 failed"; }
pki req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.crt" -subj "/CN=edged test CA" -days 2
issue() {	# NAME SUBJECT SAN
	pki req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/$1.key" -out "$T/$1.csr" -subj "$2"
	printf 'subjectAltName=%s\n' "$3" >"$T/$1.ext"
	pki x509 -req -in "$T/$1.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
	    -CAcreateserial -out "$T/$1.crt" -days 2 -extfile "$T/$1.ext"
	chmod 600 "$T/$1.key"
}
issue gw "/CN=vpn.example.test" "IP:172.31.64.1,DNS:vpn.example.test"
issue carol "/CN=carol" "email:carol@example.test"

# ---- the two charons ----

# NAME [PLUGIN...]: and the RADIUS settings edged writes for it (a glob:
# none at first)
charon_conf() {
	cat >"$T/$1.strongswan.conf" <<CONF
include $T/$1-radius*.conf
charon {
    load_modular = no
    load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey revocation constraints kdf kernel-libipsec kernel-netlink socket-default eap-identity eap-mschapv2 attr vici ${*:2}
    retransmit_timeout = 1
    retransmit_tries = 2
    plugins { vici { socket = unix://$T/$1.vici } }
    filelog {
        log { path = $T/charon-$1.log
              flush_line = yes
              default = 1
              ike = 2
              cfg = 2 }
    }
}
CONF
}
sock_there() { [ -S "$1" ] && echo yes || echo no; }
charon_start() {	# NS NAME
	rm -f "$T/$2.vici"
	spawn "$T/charon-$2.out" ip netns exec "$1" unshare -m sh -c \
	    'mount -t tmpfs tmpfs /run && STRONGSWAN_CONF=$1 exec \
	    /usr/lib/ipsec/charon' sh "$T/$2.strongswan.conf"
	[ "$(poll_until yes 200 sock_there "$T/$2.vici")" = yes ] ||
	    fail "charon $2 did not start: $(cat "$T/charon-$2.out")"
}
charon_conf g
charon_conf c
charon_start "$G" g
G_CHARON=$SPAWNED
charon_start "$C" c

# the client: EAP (alice or bob, with PASSWORD) or its certificate
client_conf() {	# eap USER PASSWORD | cert
	cat <<CONF
connections {
    rw {
        version = 2
        remote_addrs = 172.31.64.1
        vips = 0.0.0.0
        proposals = aes256gcm16-prfsha256-ecp256
CONF
	if [ "$1" = eap ]; then
		printf '        local { auth = eap-mschapv2\n'
		printf '                eap_id = %s }\n' "$2"
	else
		printf '        local { auth = pubkey\n'
		printf '                certs = %s\n' "$T/carol.crt"
		printf '                id = "CN=carol" }\n'
	fi
	cat <<CONF
        remote { auth = pubkey
                 id = 172.31.64.1
                 cacerts = $T/ca.crt }
        children {
            rw {
                remote_ts = 10.64.2.0/24
                esp_proposals = aes256gcm16-ecp256
            }
        }
    }
}
secrets {
CONF
	if [ "$1" = eap ]; then
		printf '    eap-%s { id = %s\n        secret = "%s" }\n' "$2" "$2" "$3"
	fi
	echo "}"
}
# swanctl's directory: its configuration, and the client's key in
# private/ (what --load-all loads from there)
mkdir -p "$T/sw/private"
client_load() {	# ARGS of client_conf
	client_conf "$@" >"$T/sw/swanctl.conf"
	if [ "$1" = cert ]; then
		cp "$T/carol.key" "$T/sw/private/carol.key"
	else
		rm -f "$T/sw/private/carol.key"
	fi
	swanctl --load-all --clear --noprompt --file "$T/sw/swanctl.conf" \
	    --uri "unix://$T/c.vici" >"$T/swanctl-c.out" 2>&1 ||
	    fail "swanctl could not load the client: $(cat "$T/swanctl-c.out")"
}
client_up() {	# 0 when the client's tunnel comes up
	swanctl --initiate --child rw --timeout 15 \
	    --uri "unix://$T/c.vici" >"$T/initiate.out" 2>&1
}
client_down() {
	swanctl --terminate --ike rw --timeout 10 \
	    --uri "unix://$T/c.vici" >/dev/null 2>&1
}
client_vip() {	# the address the client was given
	swanctl --list-sas --uri "unix://$T/c.vici" 2>/dev/null |
	    sed -n 's/.*local.*\(10\.200\.0\.[0-9]*\).*/\1/p' | head -n 1
}
ping_h() { ip netns exec "$C" ping -c 1 -W 1 10.64.2.2 >/dev/null 2>&1 &&
    echo yes || echo no; }

# ---- edged on G ----

printf '# the VPN users\nalice:alice-pass-63\nbob:bob-pass-63\n' \
    >"$T/vpn-users"
chmod 600 "$T/vpn-users"
# the RADIUS server's secret, and where edged writes charon's settings
RSECRET=radius-secret-63 RSETTINGS=$T/g-radius.conf
write_conf() {	# eap | radius | cert [site]
	edged_global
	cat <<CONF
stats { listen 127.0.0.1:9063 }
certificate vpn-gw { cert $T/gw.crt; key $T/gw.key }
vpn {
    vici-socket $T/g.vici
CONF
	[ "$1" = radius ] && cat <<CONF
    radius-settings $RSETTINGS
    radius corp {
        address 10.64.2.2
        secret "$RSECRET"
        nas-identifier edge-63
    }
    radius-accounting on
CONF
	cat <<CONF
}
remote-access staff {
    local 172.31.64.1
    certificate vpn-gw
CONF
	if [ "$1" = eap ]; then
		printf '    authentication eap-mschapv2\n    users %s\n' \
		    "$T/vpn-users"
	elif [ "$1" = radius ]; then
		printf '    authentication eap-radius\n'
	else
		printf '    authentication certificate\n    client-ca %s\n' \
		    "$T/ca.crt"
	fi
	cat <<CONF
    pool 10.200.0.0/24
    dns 10.64.2.53
    subnets 10.64.2.0/24
}
CONF
	[ "${2:-}" = site ] && cat <<CONF
ipsec c-site {
    local 172.31.64.1
    peer 172.31.64.2
    authentication certificate vpn-gw
    peer-ca $T/ca.crt
    peer-id "CN=carol"
    local-subnets 10.64.2.0/24
    peer-subnets 10.64.9.1/32
    start never
}
CONF
	return 0
}
write_conf eap >"$T/edged.conf"
chmod 600 "$T/edged.conf"
EDGED_WRAP="ip netns exec $G" edged_start "$T/edged.conf"
metric() {
	ip netns exec "$G" curl -s --max-time 5 http://127.0.0.1:9063/metrics |
	    awk -v k="$1" '$1 == k { print $2 }'
}

# ---- EAP-MSCHAPv2 ----

client_load eap alice alice-pass-63
client_up || fail "alice could not connect: $(cat "$T/initiate.out")"
vip=$(client_vip)
assert_match "alice is given an address from the pool" \
    '^10\.200\.0\.[0-9]+$' "$vip"
assert_eq "and reaches H behind the gateway" yes "$(poll_until yes 100 ping_h)"
show=$(ctl show ipsec)
it_log "show ipsec: $show"
assert_match "show ipsec lists alice and her address" \
    "^staff: user alice, address $vip" "$show"
assert_eq "show ipsec --json: her address" "$vip" \
    "$(ctl show ipsec --json | json_get '[s for s in j["sites"]
    if s.get("user") == "alice"][0]["virtual-addresses"][0]')"
assert_eq "metrics: staff's tunnel is up" 1 \
    "$(poll_until 1 100 metric 'edged_ipsec_tunnel_up{site="staff"}')"
assert_match "her connection is logged, with her address" \
    "vpn: remote-access staff: user alice connected from 172.31.64.2, \
address $vip" "$(cat "$EDGED_LOG")"
out=$(ctl ipsec disconnect alice 2>&1) || fail "disconnect alice: $out"
assert_eq "ipsec disconnect alice" "alice disconnected (1 session)" "$out"
assert_eq "her session is gone" no "$(ping_h)"
assert_match "show ipsec: nobody is connected" "^staff: no user connected" \
    "$(ctl show ipsec)"
out=$(ctl ipsec up staff 2>&1) && fail "ipsec up of a remote-access block: $out"
assert_match "ipsec up of a remote-access block is refused" \
    "staff is a remote-access block: its users connect" "$out"
out=$(ctl ipsec disconnect alice 2>&1) && fail "disconnect twice: $out"
assert_match "disconnecting her again says she is not connected" \
    "alice is not connected" "$out"

client_load eap bob wrong-password
client_up && fail "bob connected with a wrong password"
assert_match "a wrong password is refused" "EAP|AUTHENTICATION_FAILED" \
    "$(cat "$T/initiate.out")"
client_load eap bob bob-pass-63
client_up || fail "bob could not connect: $(cat "$T/initiate.out")"
assert_match "bob, with his password, is listed" "^staff: user bob" \
    "$(ctl show ipsec)"
client_down
printf 'alice:alice-pass-63\n' >"$T/vpn-users"
out=$(ctl reload 2>&1) || fail "the reload without bob failed: $out"
client_up && fail "bob connected after his line went"
assert_match "bob, taken out of the users file, is refused" \
    "EAP|AUTHENTICATION_FAILED" "$(cat "$T/initiate.out")"
client_load eap alice alice-pass-63
client_up || fail "alice could not connect again: $(cat "$T/initiate.out")"
client_down

chmod 644 "$T/vpn-users"
out=$(ctl reload 2>&1) && fail "a users file anyone can read was taken: $out"
assert_match "a users file anyone can read is refused" \
    "users file $T/vpn-users holds passwords and any user can read it" \
    "$out"
chmod 600 "$T/vpn-users"

# ---- RADIUS ----

# a FreeRADIUS server on H, behind the gateway, that knows dave
. "$(dirname "$0")/radius.sh"
R=$T/radius
mkdir -m 700 "$R"
radius_conf "$R" 10.64.2.2 10.64.2.0/24 "$RSECRET"
radius_user "$R" dave dave-pass-63
radius_start "$H" "$R" || fail "freeradius did not start"
IT_PIDS+=("$(<"$R/pid")")

# charon without its eap-radius plugin: the reload is refused, and the
# settings file it would have needed is taken away again
write_conf radius >"$T/edged.conf"
out=$(ctl reload 2>&1) && fail "eap-radius taken without the plugin: $out"
assert_match "a charon without eap-radius: the reload is refused" \
    "charon has no eap-radius plugin loaded" "$out"
assert_eq "and the settings file is not left" no \
    "$([ -e "$RSETTINGS" ] && echo yes || echo no)"

# charon started again with it: edged loads staff into it once more
g_has_staff() { swanctl --list-conns --uri "unix://$T/g.vici" 2>/dev/null |
    grep -q '^staff:' && echo yes || echo no; }
g_restart() {
	stop_pid "$G_CHARON"
	charon_start "$G" g
	G_CHARON=$SPAWNED
	assert_eq "charon back: edged loads staff into it again" yes \
	    "$(poll_until yes 150 g_has_staff)"
}
charon_conf g eap-radius
g_restart
out=$(ctl reload 2>&1) || fail "the reload to eap-radius failed: $out"
assert_eq "the settings file is root's only" 600 "$(stat -c %a "$RSETTINGS")"
assert_match "charon is told of the server" "vpn: charon has the RADIUS \
servers of $RSETTINGS" "$(cat "$EDGED_LOG")"
# charon takes accounting at its start alone: edged says so, and the
# settings file is there for the next
assert_match "edged says accounting waits for charon's restart" \
    "charon takes radius-accounting on only when it starts" \
    "$(cat "$EDGED_LOG")"
g_restart

client_load eap dave dave-pass-63
client_up || fail "dave could not connect: $(cat "$T/initiate.out")"
vip=$(client_vip)
assert_match "dave, whom RADIUS knows, is given a pool address" \
    '^10\.200\.0\.[0-9]+$' "$vip"
assert_eq "and reaches H" yes "$(poll_until yes 100 ping_h)"
assert_match "show ipsec lists dave" "^staff: user dave, address $vip" \
    "$(ctl show ipsec)"
assert_match "FreeRADIUS said yes to dave" "Login OK: \[dave\]" \
    "$(cat "$R/radius.log")"
acct() { grep -c "^$1 dave $vip" "$R/accounting.log" 2>/dev/null || true; }
assert_eq "charon's accounting start reaches FreeRADIUS" 1 \
    "$(poll_until 1 100 acct Start)"
client_down
assert_eq "and its stop" 1 "$(poll_until 1 100 acct Stop)"
client_load eap dave wrong-password
client_up && fail "dave connected with a wrong password"
assert_match "RADIUS refuses a wrong password" "Login incorrect.*\[dave\]" \
    "$(cat "$R/radius.log")"

# a wrong secret reaches charon with the reload (FreeRADIUS drops what
# it cannot authenticate), the right one again
RSECRET=not-the-secret write_conf radius >"$T/edged.conf"
out=$(ctl reload 2>&1) || fail "the reload of another secret failed: $out"
client_load eap dave dave-pass-63
client_up && fail "dave connected through a server with another secret"
write_conf radius >"$T/edged.conf"
out=$(ctl reload 2>&1) || fail "the reload of the secret failed: $out"
client_up || fail "dave could not connect again: $(cat "$T/initiate.out")"
client_down

out=$("$EDGED" -T -c "$T/edged.conf" 2>&1) || fail "edged -T: $out"
assert_match "edged -T hides the secret" "secret <hidden>" "$out"
assert_no_match "and prints it nowhere" "$RSECRET" "$out"
chmod 644 "$T/edged.conf"
out=$(ctl reload 2>&1) && fail "a secret anyone can read was taken: $out"
assert_match "edged.conf readable by anyone, with a secret: refused" \
    "radius corp: $T/edged.conf holds its secret and any user can read" \
    "$out"
chmod 600 "$T/edged.conf"
printf '# the operator own settings\n' >"$T/mine-radius.conf"
RSETTINGS=$T/mine-radius.conf write_conf radius >"$T/edged.conf"
out=$(ctl reload 2>&1) && fail "a file edged did not write was replaced"
assert_match "a settings file edged did not write is not replaced" \
    "$T/mine-radius.conf is there and edged did not write it" "$out"
assert_eq "and is left as it was" "# the operator own settings" \
    "$(cat "$T/mine-radius.conf")"
rm "$T/mine-radius.conf"

# ---- certificates ----

write_conf cert >"$T/edged.conf"
out=$(ctl reload 2>&1) || fail "the reload to certificates failed: $out"
# charon still accounts (it took that at its start) and has no server
# to account to: edged says to restart it
assert_match "edged says accounting stops with charon's restart" \
    "charon takes radius-accounting off only when it starts" \
    "$(cat "$EDGED_LOG")"
g_restart
# (radius-settings gone with the rest: the file is taken away from
# where the configuration before had it)
assert_eq "without eap-radius, the settings file is taken away" no \
    "$([ -e "$RSETTINGS" ] && echo yes || echo no)"
client_load cert
client_up || fail "carol could not connect: $(cat "$T/initiate.out")"
assert_eq "carol reaches H" yes "$(poll_until yes 100 ping_h)"
assert_match "show ipsec lists her by her certificate's identity" \
    "^staff: user CN=carol, address 10\.200\.0\." "$(ctl show ipsec)"
client_down

# ---- a site authenticated by certificates ----

# C as a site now: its own subnet (an address of its loopback), carol's
# certificate, G's checked against the CA
ip -n "$C" addr add 10.64.9.1/32 dev lo
write_conf cert site >"$T/edged.conf"
out=$(ctl reload 2>&1) || fail "the reload adding c-site failed: $out"
cat >"$T/sw/swanctl.conf" <<CONF
connections {
    site {
        version = 2
        local_addrs = 172.31.64.2
        remote_addrs = 172.31.64.1
        proposals = aes256gcm16-prfsha256-ecp256
        local { auth = pubkey
                certs = $T/carol.crt
                id = "CN=carol" }
        remote { auth = pubkey
                 id = "CN=vpn.example.test"
                 cacerts = $T/ca.crt }
        children {
            site {
                local_ts = 10.64.9.1/32
                remote_ts = 10.64.2.0/24
                esp_proposals = aes256gcm16-ecp256
            }
        }
    }
}
CONF
swanctl --load-all --clear --noprompt --file "$T/sw/swanctl.conf" \
    --uri "unix://$T/c.vici" >"$T/swanctl-c.out" 2>&1 ||
    fail "swanctl could not load the site: $(cat "$T/swanctl-c.out")"
swanctl --initiate --child site --timeout 15 --uri "unix://$T/c.vici" \
    >"$T/initiate.out" 2>&1 ||
    fail "the certificate site did not come up: $(cat "$T/initiate.out")"
ping_site() { ip netns exec "$C" ping -c 1 -W 1 -I 10.64.9.1 10.64.2.2 \
    >/dev/null 2>&1 && echo yes || echo no; }
assert_eq "the site, both ends authenticated by certificates, carries a \
ping" yes "$(poll_until yes 100 ping_site)"
assert_match "show ipsec: c-site established with CN=carol" \
    "^c-site: IKE SA #[0-9]+ ESTABLISHED, 172.31.64.1\[CN=vpn.example.test\] \
- 172.31.64.2\[CN=carol\]" "$(ctl show ipsec)"

assert_no_match "no password in edged's log" \
    "alice-pass-63|bob-pass-63|$RSECRET" "$(cat "$EDGED_LOG")"
assert_no_match "no key" "PRIVATE KEY" "$(cat "$EDGED_LOG")"
pass
