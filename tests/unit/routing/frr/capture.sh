#!/bin/sh
# tests/unit/routing/frr/capture.sh - records what a real FRR (Debian's
# 8.4) answers to the questions edged asks on its daemons' vty sockets
# (routing/rt_neigh.c), for test_rt_frrjson and fuzz_frr_json's seeds.
# Two network namespaces of its own, an edge A (zebra, bgpd, ospfd,
# staticd) and a peer B (zebra, bgpd, ospfd), eBGP over IPv4 and IPv6
# with a third neighbour that never answers, OSPF on the link, static
# routes on A, and 192.0.2.10/32 added to A's zebra as edged adds a
# virtual server's address (the ZAPI messages of ../zapi/).  Run as
# root, with frr installed:
#     sh tests/unit/routing/frr/capture.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
zapi=$here/../zapi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/edged-frrcap.XXXXXX")
A=edged-frrcap-a-$$ B=edged-frrcap-b-$$
cleanup() {
	for p in "$tmp"/*/*.pid; do
		[ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
	done
	ip netns del "$A" 2>/dev/null || true
	ip netns del "$B" 2>/dev/null || true
	rm -rf "/var/run/frr/$A" "/var/run/frr/$B" "$tmp"
}
trap cleanup EXIT

ip netns add "$A"
ip netns add "$B"
ip -n "$A" link set lo up
ip -n "$B" link set lo up
ip link add a0 netns "$A" type veth peer name b0 netns "$B"
ip -n "$A" addr add 10.99.0.1/24 dev a0
ip -n "$B" addr add 10.99.0.2/24 dev b0
ip -n "$A" addr add fd99::1/64 dev a0 nodad
ip -n "$B" addr add fd99::2/64 dev b0 nodad
ip -n "$A" link set a0 up
ip -n "$B" link set b0 up

# bgp AS ROUTER-ID PEER PEER6 PEER-AS
bgp() {
	cat <<CONF
router bgp $1
 bgp router-id $2
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor $3 remote-as $5
 neighbor $3 timers 3 9
 neighbor $3 timers connect 1
 neighbor $4 remote-as $5
 neighbor $4 timers connect 1
 address-family ipv4 unicast
  neighbor $3 activate
  redistribute connected
  redistribute static
  redistribute openfabric
 exit-address-family
 address-family ipv6 unicast
  neighbor $4 activate
  redistribute connected
 exit-address-family
CONF
}
ospf() {	# INTERFACE ROUTER-ID
	printf 'interface %s\n ip ospf area 0\n ip ospf hello-interval 1\n' "$1"
	printf ' ip ospf dead-interval 4\nrouter ospf\n ospf router-id %s\n' \
	    "$2"
}
mkdir -p "$tmp/a" "$tmp/b"
{ bgp 65099 10.99.0.1 10.99.0.2 fd99::2 65000
  echo " neighbor 10.99.0.9 remote-as 65009"; } >"$tmp/a/bgpd.conf"
bgp 65000 10.99.0.2 10.99.0.1 fd99::1 65099 >"$tmp/b/bgpd.conf"
ospf a0 10.99.0.1 >"$tmp/a/ospfd.conf"
ospf b0 10.99.0.2 >"$tmp/b/ospfd.conf"
printf 'ip route 10.99.50.0/24 blackhole\nip route 10.99.60.0/24 10.99.0.2\n' \
    >"$tmp/a/staticd.conf"
printf 'ipv6 route 2001:db8:99::/48 blackhole\n' >>"$tmp/a/staticd.conf"
chmod 755 "$tmp"
for side in a b; do
	ns=$A
	[ $side = a ] || ns=$B
	touch "$tmp/$side/zebra.conf"
	chown -R frr:frr "$tmp/$side"
	for d in zebra bgpd ospfd staticd; do
		[ -e "$tmp/$side/$d.conf" ] || continue
		ip netns exec "$ns" /usr/lib/frr/$d -d -u frr -g frr -N "$ns" \
		    -P 0 --log "file:$tmp/$side/$d.log" \
		    -f "$tmp/$side/$d.conf" -i "$tmp/$side/$d.pid" \
		    -z "$tmp/$side/zserv.api" --vty_socket "$tmp/$side" \
		    2>/dev/null
		sleep 0.3
	done
done

vty() { vtysh --vty_socket "$tmp/a" -c "$1"; }
i=0
until vty 'show bgp summary' | grep -q 'fd99::2.* 1 *[0-9]* N/A' &&
    vty 'show ip ospf neighbor' | grep -q Full; do
	i=$((i + 1))
	[ $i -lt 300 ] || { echo "BGP and OSPF did not come up" >&2; exit 1; }
	sleep 0.1
done
sleep 2

# edged's own route to 192.0.2.10/32 while the answers are taken
ip netns exec "$A" /usr/bin/python3 - "$tmp/a/zserv.api" \
    "$zapi/sent-hello.bin" "$zapi/sent-add-v4.bin" "$tmp/a" "$here" <<'PY'
import socket, subprocess, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
for f in sys.argv[2:4]:
    s.sendall(open(f, "rb").read())
time.sleep(1)
for name, cmd in [("bgp-neighbors", "show bgp neighbors json"),
                  ("ospf-neighbors", "show ip ospf neighbor json"),
                  ("ip-route", "show ip route json"),
                  ("ipv6-route", "show ipv6 route json")]:
    out = subprocess.run(["vtysh", "--vty_socket", sys.argv[4], "-c", cmd],
                         check=True, capture_output=True).stdout
    open("%s/%s.json" % (sys.argv[5], name), "wb").write(out)
s.close()
PY
echo "captured from $(vtysh --vty_socket "$tmp/a" -c 'show version' | head -n 1)"
