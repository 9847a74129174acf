#!/usr/bin/python3
# tests/unit/routing/rtnl/capture.py DIR - run by capture.sh inside its
# namespace: adds an address marked IFA_PROTO 237 (edged's) on a0, then
# records the kernel's replies to an RTM_GETLINK and an RTM_GETADDR dump,
# byte for byte, into DIR/links.bin and DIR/addrs.bin (every datagram
# of the dump, one after the other).
import socket
import struct
import sys

NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 1, 4, 0x300
NLM_F_CREATE, NLM_F_EXCL = 0x400, 0x200
RTM_GETLINK, RTM_NEWADDR, RTM_GETADDR = 18, 20, 22
NLMSG_DONE, NLMSG_ERROR = 3, 2
IFA_ADDRESS, IFA_LOCAL, IFA_PROTO = 1, 2, 11


def attr(kind, data):
    n = 4 + len(data)
    return struct.pack("=HH", n, kind) + data + b"\0" * ((4 - n % 4) % 4)


def msg(kind, flags, seq, body):
    return struct.pack("=IHHII", 16 + len(body), kind, flags, seq, 0) + body


s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
s.bind((0, 0))
index = socket.if_nametoindex("a0")
addr = socket.inet_pton(socket.AF_INET, "10.98.0.1")
body = struct.pack("=BBBBI", socket.AF_INET, 24, 0, 0, index)
body += attr(IFA_LOCAL, addr) + attr(IFA_ADDRESS, addr)
body += attr(IFA_PROTO, b"\xed")
s.send(msg(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
           NLM_F_EXCL, 1, body))
ack = s.recv(65536)
err = struct.unpack("=i", ack[16:20])[0]
if err != 0:
    sys.exit("RTM_NEWADDR: error %d" % err)


def dump(kind, hdr, seq, path):
    s.send(msg(kind, NLM_F_REQUEST | NLM_F_DUMP, seq, hdr))
    out = b""
    while True:
        d = s.recv(65536)
        out += d
        off, done = 0, False
        while off + 16 <= len(d):
            n, t = struct.unpack("=IH", d[off:off + 6])
            done = done or t in (NLMSG_DONE, NLMSG_ERROR)
            off += (n + 3) & ~3
        if done:
            break
    open(path, "wb").write(out)


dump(RTM_GETLINK, struct.pack("=BxHiII", 0, 0, 0, 0, 0), 2,
     sys.argv[1] + "/links.bin")
dump(RTM_GETADDR, struct.pack("=BBBBI", 0, 0, 0, 0, 0), 3,
     sys.argv[1] + "/addrs.bin")
