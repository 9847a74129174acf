#!/bin/sh
# tests/unit/routing/zapi/capture.sh - records the messages of a real
# zebra (Debian's FRR 8.4) again: starts one in a network namespace of
# its own, its sockets, pid and log in a temporary directory, and runs
# capture.py against it.  Run as root, with frr installed:
#     sh tests/unit/routing/zapi/capture.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ns=edged-zapicap-$$
tmp=$(mktemp -d "${TMPDIR:-/tmp}/edged-zapicap.XXXXXX")
zpid=
cleanup() {
	[ -z "$zpid" ] || kill "$zpid" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "/var/run/frr/$ns" "$tmp"
}
trap cleanup EXIT

ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
chmod 755 "$tmp"
touch "$tmp/zebra.conf"
chown -R frr:frr "$tmp"
ip netns exec "$ns" /usr/lib/frr/zebra -d -u frr -g frr -N "$ns" -P 0 \
    --log "file:$tmp/zebra.log" -f "$tmp/zebra.conf" -i "$tmp/zebra.pid" \
    -z "$tmp/zserv.api" --vty_socket "$tmp" 2>/dev/null
i=0
until [ -S "$tmp/zserv.api" ] && [ -s "$tmp/zebra.pid" ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || { echo "zebra did not start" >&2; exit 1; }
	sleep 0.1
done
zpid=$(cat "$tmp/zebra.pid")
rm -f "$here"/recv-*.bin "$here"/sent-*.bin
ip netns exec "$ns" /usr/bin/python3 "$here/capture.py" "$tmp/zserv.api" \
    "$here"
echo "zebra $(/usr/lib/frr/zebra -v | head -n 1)"
