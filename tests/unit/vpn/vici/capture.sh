#!/bin/sh
# tests/unit/vpn/vici/capture.sh - records a real charon's VICI messages
# (Debian's strongSwan 5.9.8) again: one charon in a network namespace
# and a mount namespace of its own (a private /run, where it keeps its
# pid file and VICI socket), its configuration in a temporary directory,
# then capture.py against its socket.  Run as root, with
# strongswan-charon installed (packaging/install-deps.sh):
#     sh tests/unit/vpn/vici/capture.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ns=edged-vicicap-$$
tmp=$(mktemp -d "${TMPDIR:-/tmp}/edged-vicicap.XXXXXX")
trap 'ip netns del "$ns" 2>/dev/null || true; rm -rf "$tmp"' EXIT

ip netns add "$ns"
ip -n "$ns" link set lo up
cat >"$tmp/strongswan.conf" <<CONF
charon {
    load_modular = no
    load = random nonce openssl pem pkcs1 x509 pubkey revocation constraints kdf kernel-netlink socket-default vici
    port = 500
    port_nat_t = 4500
    install_routes = no
    plugins {
        vici { socket = unix:///run/charon.vici }
    }
    filelog {
        log { path = $tmp/charon.log
              default = 1 }
    }
}
CONF
rm -f "$here"/sent-*.bin "$here"/recv-*.bin
# charon in its own /run; capture.py once the socket is there, then
# charon stopped (it is this shell's child, in the same namespaces)
ip netns exec "$ns" unshare -m sh -c '
	mount -t tmpfs tmpfs /run
	STRONGSWAN_CONF=$1/strongswan.conf /usr/lib/ipsec/charon &
	pid=$!
	i=0
	until [ -S /run/charon.vici ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "charon did not start" >&2; exit 1; }
		sleep 0.1
	done
	/usr/bin/python3 "$2/capture.py" /run/charon.vici "$2"
	rc=$?
	kill "$pid"
	wait "$pid"
	exit $rc' sh "$tmp" "$here"
echo "captured from charon $(/usr/lib/ipsec/charon --version 2>&1 | head -n 1)"
