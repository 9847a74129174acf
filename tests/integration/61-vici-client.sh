#!/bin/bash
# 61-vici-client: edged's VICI session (vpn/vpn_client.c) against a real
# charon (Debian's strongSwan 5.9.8), in a network namespace made here
# and a mount namespace of its own (a private /run for its pid file; its
# VICI socket in $T).  vici_check (tests/integration/vici_check.c) asks
# it, and two sockets socat makes that are not charon:
#   - version; a command charon does not know, told apart;
#   - an ipsec site read and rendered by edged's own code taken by charon
#     (load-shared, load-conn), listed by a streamed list-conn event
#     before the answer, named by get-conns, taken away again;
#   - a connection charon refuses: charon's reason;
#   - a socket that never answers fails within the time limit (1 s), one
#     that closes says so;
#   - the vpn module's commit: a site charon refuses (a proposal past
#     edged's own checks) fails it at the site's line in charon's words,
#     and what it had changed is put back; a generation without sites
#     takes them away.
. "$(dirname "$0")/lib.sh"
it_begin 61-vici-client
CHECK=$EDGED_BUILD/tests/vici_check
[ -x "$CHECK" ] || fail "no $CHECK (build edged first)"
[ -x /usr/lib/ipsec/charon ] || fail "no charon (install-deps.sh)"

NS=edged-it61-$$
netns_add "$NS"
cat >"$T/strongswan.conf" <<CONF
charon {
    load_modular = no
    load = random nonce openssl pem pkcs1 x509 pubkey revocation constraints kdf kernel-netlink socket-default vici
    install_routes = no
    plugins {
        vici { socket = unix://$T/charon.vici }
    }
    filelog {
        log { path = $T/charon.log
              flush_line = yes
              default = 1 }
    }
}
CONF
# charon in its own /run (the exec chain keeps its pid the one spawned)
spawn "$T/charon.out" ip netns exec "$NS" unshare -m sh -c \
    'mount -t tmpfs tmpfs /run && STRONGSWAN_CONF=$1 exec \
    /usr/lib/ipsec/charon' sh "$T/strongswan.conf"
charon_up() { [ -S "$T/charon.vici" ] && echo yes || echo no; }
assert_eq "charon's VICI socket is there" yes "$(poll_until yes 100 charon_up)"

spawn "$T/silent.out" socat "UNIX-LISTEN:$T/silent.sock" EXEC:"sleep 30"
spawn "$T/closing.out" socat "UNIX-LISTEN:$T/closing.sock,fork" EXEC:true
sock_up() { [ -S "$T/$1.sock" ] && echo yes || echo no; }
poll_until yes 100 sock_up silent >/dev/null
poll_until yes 100 sock_up closing >/dev/null

"$CHECK" "$T/charon.vici" "$T/silent.sock" "$T/closing.sock" >"$T/check.out" 2>&1
rc=$?
while read -r line; do
	case $line in
	ok\ *) it_log "$line" ;;
	"<"[0-9]">"*) ;;	# the module's log lines
	*) check_failed "$line" ;;
	esac
done <"$T/check.out"
assert_eq "vici_check: every step passed" 0 "$rc"
assert_eq "and it took them all" 24 "$(grep -c '^ok ' "$T/check.out")"
assert_match "the module logged what it took away" "vpn: ipsec x taken \
away from charon" "$(cat "$T/check.out")"
assert_match "the charon asked was the one started here" "loaded plugins: \
charon .*vici" "$(cat "$T/charon.log")"

pass
