#!/bin/sh
# tests/unit/routing/rtnl/capture.sh - records the kernel's rtnetlink
# replies that routing/rt_nl.c reads (a link dump and an address dump)
# again, for test_rt_nl and fuzz_rtnl's seeds: a network namespace of
# its own with a veth pair a0/b0, a0 with an MTU of 1400, IPv4 and IPv6
# addresses, one of them marked as edged's (IFA_PROTO 237); then
# capture.py.  Run as root:
#     sh tests/unit/routing/rtnl/capture.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ns=edged-rtnlcap-$$
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add a0 type veth peer name b0
ip -n "$ns" link set a0 mtu 1400 alias "edged: a test alias"
ip -n "$ns" addr add 192.0.2.1/24 dev a0
ip -n "$ns" addr add 2001:db8:98::1/64 dev a0 nodad
ip -n "$ns" link set a0 up
ip -n "$ns" link set b0 up
ip netns exec "$ns" /usr/bin/python3 "$here/capture.py" "$here"
echo "captured on $(uname -r)"
