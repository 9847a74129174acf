#!/bin/bash
# 59-interfaces: the interface blocks, through rtnetlink, in network
# namespaces made here:
#
#   host H: h1 (10.59.1.2, fd59:1::2) --- edge E: e1   (edged)
#           h2 (10.59.8.2)            --- e2 (not in edged's file)
#
# Asserted against the kernel:
#   - e1 gets the file's addresses (both families), marked as edged's
#     (IFA_PROTO 237), its MTU and its state; H reaches them;
#   - the operator's own address on e1 and everything of e2 (an
#     interface the file does not name) are never touched;
#   - a reload takes away an address the file no longer has, adds a new
#     one, sets the state down and up again; an address the operator had
#     already, once named in the file and then not, stays;
#   - a file naming an interface the edge does not have is rejected,
#     nothing changed;
#   - a VLAN sub-interface: on a kernel with 802.1Q, made (with edged's
#     alias), addressed, and deleted by a reload; on one without (these
#     machines), the reload is refused with the kernel's words and every
#     interface is as it was;
#   - edged restarted with an address gone from the file: it is taken
#     away at start (the mark outlives edged).
. "$(dirname "$0")/lib.sh"
it_begin 59-interfaces

H=edged-it59-h-$$ E=edged-it59-e-$$
netns_add "$H"
netns_add "$E"
netns_link "$H" h1 "10.59.1.2/24 fd59:1::2/64" "$E" e1 ""
netns_link "$H" h2 "10.59.8.2/24" "$E" e2 "10.59.8.1/24"
ip -n "$E" link set e2 mtu 1300
ip -n "$E" addr add 10.59.9.1/24 dev e1	# the operator's own
inH() { ip netns exec "$H" "$@"; }

# addrs IF: "ADDR/LEN PROTO" per address of IF in E (IPv6 link-local
# left out), from the kernel's own dump (iproute2 6.1 does not show
# IFA_PROTO)
addrs() {
	ip netns exec "$E" "$PY" - "$1" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
s.bind((0, 0))
want = socket.if_nametoindex(sys.argv[1])
s.send(struct.pack("=IHHII", 24, 22, 0x301, 1, 0) + bytes(8))
out, done = [], False
while not done:
    d = s.recv(65536)
    off = 0
    while off + 16 <= len(d):
        n, t = struct.unpack("=IH", d[off:off + 6])
        if t in (2, 3):
            done = True
        elif t == 20:
            fam, plen, _, _, idx = struct.unpack("=BBBBI", d[off + 16:off + 24])
            a, proto, p = None, 0, off + 24
            while p + 4 <= off + n:
                ln, ty = struct.unpack("=HH", d[p:p + 4])
                v = d[p + 4:p + ln]
                if ty in (1, 2) and (a is None or ty == 2):
                    a = socket.inet_ntop(fam, v)
                if ty == 11:
                    proto = v[0]
                p += (ln + 3) & ~3
            if idx == want and not (a or "").startswith("fe80"):
                out.append("%s/%d %d" % (a, plen, proto))
        off += (n + 3) & ~3
print("\n".join(sorted(out)))
PY
}
mtu_of() { ip -n "$E" -o link show "$1" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p'; }
is_up() { ip -n "$E" -o link show "$1" | grep -q '<[^>]*[,<]UP[,>]' &&
    echo up || echo down; }
has_addr() {	# IF ADDR/LEN: "yes" when the kernel has it there
	addrs "$1" | grep -q "^$2 " && echo yes || echo no
}

write_conf() {	# the interface blocks
	edged_global
	cat <<CONF
$1
CONF
}
write_conf "interface e1 {
    address 10.59.1.1/24
    address fd59:1::1/64
    address 10.59.9.1/24
    mtu 1400
}" >"$T/edged.conf"
EDGED_WRAP="ip netns exec $E" edged_start "$T/edged.conf"

assert_eq "e1 has the file's addresses, edged's (proto 237); the \
operator's stays its own" "10.59.1.1/24 237
10.59.9.1/24 0
fd59:1::1/64 237" "$(addrs e1)"
assert_eq "e1's MTU" 1400 "$(mtu_of e1)"
assert_eq "e1 is up" up "$(is_up e1)"
assert_match "H reaches 10.59.1.1" "1 received" \
    "$(inH ping -c 1 -W 2 10.59.1.1 2>&1)"
ping6_ok() { inH ping -6 -c 1 -W 1 fd59:1::1 >/dev/null 2>&1 &&
    echo yes || echo no; }
assert_eq "and fd59:1::1 (once DAD is done)" yes "$(poll_until yes 100 ping6_ok)"
assert_eq "e2, not in the file, is untouched: its address" "10.59.8.1/24 0" \
    "$(addrs e2)"
assert_eq "and its MTU" 1300 "$(mtu_of e2)"
assert_match "edged logs what it added" \
    "interface e1: fd59:1::1/64 added" "$(cat "$EDGED_LOG")"

# ---- a reload ----

write_conf "interface e1 {
    address 10.59.1.1/24
    address 10.59.2.1/24
    mtu 1400
}" >"$T/edged.conf"
ctl reload >/dev/null || fail "reload (addresses) failed"
assert_eq "fd59:1::1 taken away, 10.59.2.1 added, the operator's \
10.59.9.1 left (it was never edged's)" "10.59.1.1/24 237
10.59.2.1/24 237
10.59.9.1/24 0" "$(addrs e1)"
assert_match "the removal is logged" \
    "interface e1: fd59:1::1/64 removed \(no longer in the file\)" \
    "$(cat "$EDGED_LOG")"
sed -i 's/mtu 1400/mtu 1400; state down/' "$T/edged.conf"
ctl reload >/dev/null || fail "reload (state down) failed"
assert_eq "e1 set down" down "$(is_up e1)"
sed -i 's/state down/state up/' "$T/edged.conf"
ctl reload >/dev/null || fail "reload (state up) failed"
assert_eq "e1 up again" up "$(is_up e1)"
assert_eq "with its addresses" "10.59.1.1/24 237
10.59.2.1/24 237
10.59.9.1/24 0" "$(addrs e1)"

# ---- rejected: an interface the edge does not have ----

cp "$T/edged.conf" "$T/edged.conf.good"
write_conf "interface e1 { address 10.59.3.1/24 }
interface nothere { address 10.59.4.1/24 }" >"$T/edged.conf"
out=$(ctl reload 2>&1) && fail "a missing interface was taken: $out"
assert_match "rejected, saying which" \
    "interface nothere: the edge has no such interface" "$out"
assert_eq "e1 as it was" "10.59.1.1/24 237
10.59.2.1/24 237
10.59.9.1/24 0" "$(addrs e1)"
cp "$T/edged.conf.good" "$T/edged.conf"

# ---- a VLAN sub-interface ----

vlan_kernel() {	# "yes" when this kernel makes VLAN links
	local ns=edged-it59-v-$$ ok=no
	ip netns add "$ns" 2>/dev/null || { echo no; return; }
	ip -n "$ns" link add v0 type veth peer name v1 &&
	    ip -n "$ns" link add link v0 name v0.9 type vlan id 9 \
	    2>/dev/null && ok=yes
	ip netns del "$ns"
	echo $ok
}
write_conf "interface e1 { address 10.59.1.1/24; address 10.59.2.1/24 }
interface e1.100 { vlan 100; address 10.59.100.1/24 }" >"$T/edged.conf"
if [ "$(vlan_kernel)" = yes ]; then
	ctl reload >/dev/null || fail "reload (a VLAN) failed"
	assert_match "e1.100 made, with edged's alias" \
	    "alias edged: vlan 100 of e1" \
	    "$(ip -n "$E" -d link show e1.100)"
	assert_eq "and its address" "10.59.100.1/24 237" "$(addrs e1.100)"
	cp "$T/edged.conf.good" "$T/edged.conf"
	ctl reload >/dev/null || fail "reload (no VLAN) failed"
	assert_eq "a reload without it deletes it" no \
	    "$(ip -n "$E" link show e1.100 >/dev/null 2>&1 && echo yes ||
	    echo no)"
else
	out=$(ctl reload 2>&1) &&
	    fail "a VLAN was taken by a kernel without 802.1Q: $out"
	assert_match "no 802.1Q here: refused with the kernel's words" \
	    "interface e1.100: cannot make VLAN 100 of e1: .*(Unknown device type|not supported)" \
	    "$out"
	assert_eq "no e1.100" no "$(ip -n "$E" link show e1.100 \
	    >/dev/null 2>&1 && echo yes || echo no)"
	assert_eq "e1 as it was" "10.59.1.1/24 237
10.59.2.1/24 237
10.59.9.1/24 0" "$(addrs e1)"
	cp "$T/edged.conf.good" "$T/edged.conf"
fi

# ---- a restart: what edged put there is still known as its own ----

stop_pid "$EDGED_PID"
write_conf "interface e1 { address 10.59.1.1/24 }" >"$T/edged.conf"
EDGED_WRAP="ip netns exec $E" edged_start "$T/edged.conf"
assert_eq "10.59.2.1, out of the file while edged was stopped, is taken \
away at start" "10.59.1.1/24 237
10.59.9.1/24 0" "$(addrs e1)"
assert_eq "e1's MTU stays (no longer in the file)" 1400 "$(mtu_of e1)"
assert_eq "e2 never touched" "10.59.8.1/24 0" "$(addrs e2)"

pass
