#!/bin/bash
# 62-ipsec: a site-to-site IPsec tunnel edged configures in strongSwan's
# charon (Debian's 5.9.8), against a peer gateway whose charon swanctl
# configures from a plain swanctl.conf, in network namespaces made here:
#
#   host HA ---- gateway GA ============ gateway GB ---- host HB
#   10.62.1.2    10.62.1.1  172.31.62.1  172.31.62.2  10.62.2.1  10.62.2.2
#                edged, charon A         charon B (swanctl)
#
# Both charons use kernel-libipsec (this kernel has no ESP: ESP goes in
# UDP 4500 through a TUN device), each in a mount namespace of its own
# (a private /run for its pid file), their VICI sockets in $T.
# Asserted:
#   - the tunnel comes up from edged's start alone; HA and HB ping each
#     other through it, and 10 MiB sent from HA arrives whole at HB;
#   - edgectl show ipsec (text and JSON) has the IKE SA and the tunnel,
#     its SPIs and bytes; status counts the sites; the metrics have the
#     tunnel up, its bytes, its changes and charon's state; edged -T
#     hides the key, which is in no log line and no reply;
#   - a reload that changes another site leaves this tunnel alone (same
#     SPIs, nothing reloaded in charon for it); so does stopping edged
#     and starting it again;
#   - a site charon refuses rejects the reload, with charon's words and
#     the site's line; the tunnel stays;
#   - ipsec down and up; a wrong key: the tunnel does not come up, and
#     ipsec up says why;
#   - charon A killed and started again: edged sees it go, loads the
#     sites into the new charon, the tunnel comes back, no edged restart;
#   - the peer's charon gone a while (closing the tunnel as it stops):
#     `start always` has charon open it again, and try until the peer
#     is back;
#   - the site removed by a reload: charon has it no more, the tunnel is
#     down.
# edged's firewall on GA drops what it is not told to let in: IKE and
# ESP in UDP come in as the vpn module's endpoints; and it masquerades
# everything HA sends, but what goes between the site's subnets, which
# the vpn module keeps from source NAT (as NSX does).
. "$(dirname "$0")/lib.sh"
it_begin 62-ipsec
for p in ip /usr/lib/ipsec/charon swanctl socat ping sha256sum; do
	command -v $p >/dev/null || fail "$p not found (install-deps.sh)"
done

PSK='62-very secret key'
HA=edged-it62-ha-$$ GA=edged-it62-ga-$$ GB=edged-it62-gb-$$
HB=edged-it62-hb-$$
for ns in "$HA" "$GA" "$GB" "$HB"; do netns_add "$ns"; done
netns_link "$HA" ha0 10.62.1.2/24 "$GA" gah 10.62.1.1/24
netns_link "$GA" gaw 172.31.62.1/24 "$GB" gbw 172.31.62.2/24
netns_link "$GB" gbh 10.62.2.1/24 "$HB" hb0 10.62.2.2/24
ip -n "$HA" route add default via 10.62.1.1
ip -n "$HB" route add default via 10.62.2.1
for ns in "$GA" "$GB"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
done

# ---- the two charons ----

charon_conf() {	# NAME
	cat >"$T/$1.strongswan.conf" <<CONF
charon {
    load_modular = no
    load = random nonce openssl pem pkcs1 x509 pubkey revocation constraints kdf kernel-libipsec kernel-netlink socket-default vici
    retransmit_timeout = 1
    retransmit_tries = 3
    plugins {
        vici { socket = unix://$T/$1.vici }
    }
    filelog {
        log { path = $T/charon-$1.log
              flush_line = yes
              default = 1
              ike = 2 }
    }
}
CONF
}
charon_start() {	# NS NAME: its pid in CHARON_PID
	rm -f "$T/$2.vici"
	spawn "$T/charon-$2.out" ip netns exec "$1" unshare -m sh -c \
	    'mount -t tmpfs tmpfs /run && STRONGSWAN_CONF=$1 exec \
	    /usr/lib/ipsec/charon' sh "$T/$2.strongswan.conf"
	CHARON_PID=$SPAWNED
	local up
	up=$(poll_until yes 200 sock_there "$T/$2.vici")
	[ "$up" = yes ] || fail "charon $2 did not start: $(cat "$T/charon-$2.out")"
}
sock_there() { [ -S "$1" ] && echo yes || echo no; }
charon_conf a
charon_conf b
charon_start "$GA" a
CHARON_A=$CHARON_PID
charon_start "$GB" b
CHARON_B=$CHARON_PID

cat >"$T/swanctl-b.conf" <<CONF
connections {
    a {
        version = 2
        local_addrs = 172.31.62.2
        remote_addrs = 172.31.62.1
        proposals = aes256gcm16-prfsha256-ecp256
        dpd_delay = 2s
        unique = replace
        local { auth = psk
                id = 172.31.62.2 }
        remote { auth = psk
                 id = 172.31.62.1 }
        children {
            a {
                local_ts = 10.62.2.0/24
                remote_ts = 10.62.1.0/24
                esp_proposals = aes256gcm16-ecp256
                dpd_action = clear
            }
        }
    }
}
secrets {
    ike-a {
        id-a = 172.31.62.1
        id-b = 172.31.62.2
        secret = "$PSK"
    }
}
CONF
swanctl --load-all --noprompt --file "$T/swanctl-b.conf" \
    --uri "unix://$T/b.vici" >"$T/swanctl-b.out" 2>&1 ||
    fail "swanctl could not load B: $(cat "$T/swanctl-b.out")"

# ---- edged on GA: the site, and one with no peer there ----

write_conf() {	# KEY [C-SUBNETS] [B-LINE...]
	local key=$1 csub=${2:-10.62.30.0/24}
	shift $(($# < 2 ? $# : 2))
	edged_global
	cat <<CONF
stats { listen 127.0.0.1:9062 }
firewall {
    default-policy drop
    rule between-sites {
        source 10.62.1.0/24 10.62.2.0/24
        destination 10.62.1.0/24 10.62.2.0/24
        action accept
    }
}
nat {
    snat everything-out {
        source 10.62.0.0/16
        translate-to masquerade
    }
}
vpn { vici-socket $T/a.vici }
CONF
	[ "${NO_B:-0}" = 1 ] || cat <<CONF
ipsec b {
    local 172.31.62.1
    peer 172.31.62.2
    authentication psk "$key"
    local-subnets 10.62.1.0/24
    peer-subnets 10.62.2.0/24
    dpd 2s
    start always
CONF
	[ "${NO_B:-0}" = 1 ] || { [ $# -eq 0 ] || printf '    %s\n' "$@"; echo "}"; }
	cat <<CONF
ipsec c {
    local 172.31.62.1
    peer 172.31.62.3
    authentication psk "another key"
    local-subnets 10.62.1.0/24
    peer-subnets $csub
    start never
}
CONF
}
write_conf "$PSK" >"$T/edged.conf"
chmod 600 "$T/edged.conf"
EDGED_WRAP="ip netns exec $GA" edged_start "$T/edged.conf"

metric() {	# SAMPLE: its value in GA's edged's /metrics
	ip netns exec "$GA" curl -s --max-time 5 http://127.0.0.1:9062/metrics |
	    awk -v k="$1" '$1 == k { print $2 }'
}
metric_at_least() {	# SAMPLE MIN: "yes" once it is
	local v
	v=$(metric "$1")
	[ -n "$v" ] && [ "$v" -ge "$2" ] && echo yes || echo "no ($v)"
}
ping_through() {	# FROM-NS TO: "yes" when one ping is answered
	ip netns exec "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1 &&
	    echo yes || echo no
}
assert_eq "the tunnel carries HA's ping to HB" yes \
    "$(poll_until yes 200 ping_through "$HA" 10.62.2.2)"
assert_eq "and HB's to HA" yes "$(ping_through "$HB" 10.62.1.2)"
assert_match "charon B has the IKE SA with A" "ESTABLISHED" \
    "$(swanctl --list-sas --uri "unix://$T/b.vici" 2>&1)"

# 10 MiB from HA to HB through the tunnel, whole
head -c 10485760 /dev/urandom >"$T/10m"
spawn "$T/recv.out" ip netns exec "$HB" socat -d -d -u \
    TCP-LISTEN:6262,reuseaddr \
    "OPEN:$T/10m.got,creat,trunc"
RECV=$SPAWNED
listening() { ip netns exec "$HB" ss -ltn | grep -q ':6262 ' &&
    echo yes || echo no; }
poll_until yes 100 listening >/dev/null
timeout 60 ip netns exec "$HA" socat -u "OPEN:$T/10m" TCP:10.62.2.2:6262 ||
    fail "the 10 MiB transfer through the tunnel failed"
for i in $(seq 1 100); do kill -0 "$RECV" 2>/dev/null || break; sleep 0.1; done
assert_eq "10 MiB arrive intact at HB" "$(sha256sum <"$T/10m")" \
    "$(sha256sum <"$T/10m.got")"
assert_match "from HA's own address: the masquerade rule left it alone" \
    "accepting connection from AF=2 10\.62\.1\.2:" "$(cat "$T/recv.out")"

# ---- what edged shows ----

show=$(ctl show ipsec)
it_log "show ipsec: $show"
assert_match "show ipsec: site b's IKE SA is established" \
    "^b: IKE SA #[0-9]+ ESTABLISHED, 172.31.62.1\[172.31.62.1\] - \
172.31.62.2\[172.31.62.2\]" "$show"
assert_match "its tunnel is installed, subnets and SPIs shown" \
    "tunnel b #[0-9]+ INSTALLED: 10.62.1.0/24 === 10.62.2.0/24" "$show"
assert_match "ESP in UDP (kernel-libipsec)" "ESP in UDP, SPIs [0-9a-f]+ in \
[0-9a-f]+ out" "$show"
assert_match "site c, which has no peer, is down" "^c: down \(no IKE SA\)" \
    "$show"
json=$(ctl show ipsec --json)
spi_of() { ctl show ipsec --json | json_get \
    '[s for s in j["sites"] if s["site"] == "b"][0]["tunnels"][0]["spi-in"]'; }
bytes_out=$(echo "$json" | json_get \
    '[s for s in j["sites"] if s["site"] == "b"][0]["tunnels"][0]["bytes-out"]')
assert_ge "show ipsec --json: the tunnel's bytes out count the 10 MiB" \
    "$bytes_out" 10485760
SPI=$(spi_of)
assert_match "and its inbound SPI" "^[0-9a-f]{8}$" "$SPI"
assert_eq "charon is there" up "$(echo "$json" | json_get 'j["charon"]')"
assert_eq "metrics: site b's tunnel is up" 1 \
    "$(poll_until 1 200 metric 'edged_ipsec_tunnel_up{site="b"}')"
assert_eq "site c's is not" 0 "$(metric 'edged_ipsec_tunnel_up{site="c"}')"
assert_eq "charon is up" 1 "$(metric edged_ipsec_charon_up)"
assert_eq "the bytes out count the 10 MiB (charon asked every 5 s)" yes \
    "$(poll_until yes 160 metric_at_least \
    'edged_ipsec_bytes_total{site="b",direction="out"}' 10485760)"
assert_eq "and the tunnel's coming up" 1 \
    "$(metric 'edged_ipsec_tunnel_changes_total{site="b",change="up"}')"
assert_match "status counts the sites" "2 ipsec sites, charon has them" \
    "$(ctl status)"
assert_match "the tunnel coming up is logged" \
    "vpn: ipsec b: tunnel up, 10.62.1.0/24 === 10.62.2.0/24" \
    "$(cat "$EDGED_LOG")"
assert_match "edged -T hides the key" "authentication psk <hidden>" \
    "$("$EDGED" -T -c "$T/edged.conf")"
assert_no_match "the key is in no log line of edged's" "$PSK" \
    "$(cat "$EDGED_LOG")"
assert_no_match "nor in show ipsec" "$PSK" "$show $json $(ctl status)"
cp "$T/edged.conf" "$T/edged.conf.good"
"$EDGED" -T -c "$T/edged.conf.good" >"$T/edged.conf"
out=$(ctl reload 2>&1) && fail "edged -T's output, keys hidden, loaded: $out"
assert_match "edged -T's output loaded back is refused: no key <hidden>" \
    "ipsec b: the pre-shared key reads <hidden>, as edged -T prints it" \
    "$out"
assert_match "-T --show-secrets prints it for the operator who asks" \
    "authentication psk \"$PSK\"" \
    "$("$EDGED" -T --show-secrets -c "$T/edged.conf.good")"
cp "$T/edged.conf.good" "$T/edged.conf"
chmod 644 "$T/edged.conf"
out=$(ctl reload 2>&1) && fail "a key any user can read, loaded: $out"
assert_match "a key in a file any user can read is refused" \
    "edged.conf holds its pre-shared key and any user can read it \
\(mode 0644\)" "$out"
assert_match "edged -t says so too" "any user can read it" \
    "$("$EDGED" -t -c "$T/edged.conf" 2>&1)"
chmod 600 "$T/edged.conf"
assert_eq "the tunnel stayed up through the refused reloads" yes \
    "$(ping_through "$HA" 10.62.2.2)"
assert_eq "with its SPI" "$(spi_of)" "$SPI"
assert_match "edged -n lets IKE in on the site's address (the firewall \
drops the rest: the tunnel came up through it)" \
    "ip daddr 172.31.62.1 udp dport 4500 accept" \
    "$("$EDGED" -n -c "$T/edged.conf")"
assert_match "the firewall is edged's, in force on GA" "ipsec: IKE" \
    "$(ip netns exec "$GA" nft list ruleset)"
assert_match "the site's traffic goes by the masquerade rule" \
    "ip saddr 10.62.1.0/24 ip daddr 10.62.2.0/24 accept comment \
\"ipsec b: no NAT\"" "$(ip netns exec "$GA" nft list ruleset)"

# ---- a reload that changes site c only ----

before=$(grep -c "vici connection: b" "$T/charon-a.log")
write_conf "$PSK" 10.62.31.0/24 >"$T/edged.conf"
out=$(ctl reload 2>&1) || fail "the reload changing site c failed: $out"
assert_eq "site b's tunnel keeps its SPI" "$SPI" "$(spi_of)"
assert_eq "charon was not given site b again" "$before" \
    "$(grep -c "vici connection: b" "$T/charon-a.log")"
assert_match "charon has site c's new subnets" "10.62.31.0/24" \
    "$(swanctl --list-conns --uri "unix://$T/a.vici" 2>&1)"

# ---- edged stopped and started again ----

stop_pid "$EDGED_PID"
assert_match "edged stops: charon keeps the tunnels" "vpn: edged stops: \
charon keeps the 2 sites and their tunnels" "$(cat "$EDGED_LOG")"
assert_eq "the tunnel carries HA's ping without edged" yes \
    "$(ping_through "$HA" 10.62.2.2)"
mv "$EDGED_LOG" "$T/edged-first.log"
EDGED_WRAP="ip netns exec $GA" edged_start "$T/edged.conf"
assert_eq "edged started again: the tunnel keeps its SPI (not rekeyed)" \
    "$SPI" "$(spi_of)"

# ---- ipsec down and up ----

out=$(ctl ipsec down b 2>&1) || fail "ipsec down b failed: $out"
assert_eq "ipsec down b waits for charon, and says so" "ipsec b: down" "$out"
assert_eq "HB is not reached any more" no "$(ping_through "$HA" 10.62.2.2)"
assert_eq "metrics: the tunnel is down at once (the event)" 0 \
    "$(poll_until 0 100 metric 'edged_ipsec_tunnel_up{site="b"}')"
assert_eq "and counted" yes "$(metric_at_least \
    'edged_ipsec_tunnel_changes_total{site="b",change="down"}' 1)"
assert_match "show ipsec: b is down" "^b: down \(no IKE SA\)" \
    "$(ctl show ipsec)"
out=$(ctl ipsec up b 2>&1) || fail "ipsec up b failed: $out"
assert_eq "ipsec up b waits for the tunnel" "ipsec b: up" "$out"
assert_eq "HB is reached again" yes \
    "$(poll_until yes 100 ping_through "$HA" 10.62.2.2)"
out=$(ctl ipsec up nosuch 2>&1) && fail "ipsec up of no site: $out"
assert_match "ipsec up of a site not in the file" "no ipsec site nosuch" \
    "$out"
assert_match "the tunnel's going down and coming up are logged" \
    "ipsec b: tunnel down.*ipsec b: tunnel up" \
    "$(tr '\n' ' ' <"$EDGED_LOG")"

# ---- a wrong key ----

write_conf "a wrong key" 10.62.31.0/24 >"$T/edged.conf"
out=$(ctl reload 2>&1) || fail "the reload with another key failed: $out"
ctl ipsec down b >/dev/null 2>&1
out=$(ctl ipsec up b 2>&1) && fail "ipsec up with a wrong key: $out"
it_log "ipsec up, wrong key: $out"
assert_match "ipsec up with a wrong key fails" \
    "^ipsec b: charon could not bring it up: establishing CHILD_SA 'b' \
failed; charon says:" "$out"
assert_match "and says why, in charon's words" \
    "received AUTHENTICATION_FAILED notify error" "$out"
assert_no_match "and never the key" "a wrong key" "$out"
assert_match "show ipsec: b is down" "^b: down" "$(ctl show ipsec)"
write_conf "$PSK" 10.62.31.0/24 >"$T/edged.conf"
out=$(ctl reload 2>&1) || fail "the reload with the key back failed: $out"
out=$(ctl ipsec up b 2>&1) || fail "ipsec up b, the key back: $out"
assert_eq "with the key back, the tunnel carries HA's ping" yes \
    "$(poll_until yes 100 ping_through "$HA" 10.62.2.2)"

# ---- charon A killed, and started again ----

stop_pid "$CHARON_A"
assert_match "edged sees charon go" "vpn: charon went away" \
    "$(poll_until yes 100 sh -c "grep -q 'charon went away' '$EDGED_LOG' \
    && echo yes || echo no" >/dev/null; cat "$EDGED_LOG")"
assert_match "show ipsec says charon is not there" "charon: charon is not \
there" "$(ctl show ipsec)"
assert_match "status too" "charon not there" "$(ctl status)"
assert_eq "metrics: charon is not up" 0 "$(metric edged_ipsec_charon_up)"
assert_eq "and went away once" 1 "$(metric edged_ipsec_charon_lost_total)"
assert_eq "no tunnel is up" 0 "$(metric 'edged_ipsec_tunnel_up{site="b"}')"
charon_start "$GA" a
assert_eq "edged loads the sites into the new charon: the tunnel is back" \
    yes "$(poll_until yes 400 ping_through "$HA" 10.62.2.2)"
assert_match "edged says charon has them" "vpn: charon answers at \
$T/a.vici: it has the 2 sites" "$(cat "$EDGED_LOG")"
assert_eq "the same edged" "$EDGED_PID" \
    "$(ctl status --json | json_get 'j["master_pid"]')"

# ---- the peer gone a while: start always tries until it is back ----

stop_pid "$CHARON_B"
tunnel_gone() { [ "$(ping_through "$HA" 10.62.2.2)" = no ] &&
    [ "$(metric 'edged_ipsec_tunnel_up{site="b"}')" = 0 ] && echo yes ||
    echo no; }
assert_eq "B gone (it says so as it stops): the tunnel is down" yes \
    "$(poll_until yes 200 tunnel_gone)"
# longer than A's first try (its retransmits): the tries after it
# (keyingtries 0) are what bring the tunnel up
sleep 13
charon_start "$GB" b
CHARON_B=$CHARON_PID
swanctl --load-all --noprompt --file "$T/swanctl-b.conf" \
    --uri "unix://$T/b.vici" >"$T/swanctl-b.out" 2>&1 ||
    fail "swanctl could not load B again: $(cat "$T/swanctl-b.out")"
assert_eq "B back: A, still trying, brings the tunnel up by itself" yes \
    "$(poll_until yes 200 ping_through "$HA" 10.62.2.2)"

# ---- site b removed ----

NO_B=1 write_conf "$PSK" 10.62.31.0/24 >"$T/edged.conf"
out=$(ctl reload 2>&1) || fail "the reload without site b failed: $out"
assert_no_match "charon A has b no more" "^b:" \
    "$(swanctl --list-conns --uri "unix://$T/a.vici" 2>&1)"
assert_eq "the tunnel is down" no "$(ping_through "$HA" 10.62.2.2)"
assert_match "logged" "ipsec b taken away from charon" "$(cat "$EDGED_LOG")"
assert_no_match "show ipsec has c only" "^b" "$(ctl show ipsec)"

pass
