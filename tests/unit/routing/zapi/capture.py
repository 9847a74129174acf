#!/usr/bin/python3
"""tests/unit/routing/zapi/capture.py - what a real zebra (FRR 8.4) sends
a client that says HELLO as edged does, records it one message a file,
for test_rt_zapi and the seeds of fuzz_zapi.  Run by capture.sh, inside
the network namespace where it started zebra; not part of the build.

usage: capture.py ZSERV_SOCKET OUTDIR

The messages sent are written with the layout of routing/rt_zapi.c, by
hand here, so that the test compares the two: they are saved too
(sent-*.bin)."""
import os
import socket
import struct
import sys
import time


def msg(cmd, body):
    return struct.pack("!HBBIH", 10 + len(body), 0xFE, 6, 0, cmd) + body


# edged's route type: OPENFABRIC (routing/rt_zapi.h says why)
TYPE = 26


def route(add, family, addr, plen, distance=20, metric=0):
    body = bytes([TYPE]) + struct.pack("!HI", 0, 0)
    body += struct.pack("!I", 0x07 if add else 0)
    body += bytes([1, 2 if family == socket.AF_INET else 10, plen])
    body += socket.inet_pton(family, addr)[: (plen + 7) // 8]
    if add:
        body += struct.pack("!HIBBB", 1, 0, 6, 0, 1)
        body += bytes([distance]) + struct.pack("!I", metric)
    return msg(8 if add else 9, body)


def read_all(s, wait):
    s.settimeout(wait)
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except socket.timeout:
        pass
    out = []
    while len(data) >= 10:
        n = struct.unpack("!H", data[:2])[0]
        out.append(data[:n])
        data = data[n:]
    return out


def main():
    path, outdir = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    sent = {
        "hello": msg(18, bytes([TYPE]) + struct.pack("!HIBB", 0, 0, 1, 0)),
        "add-v4": route(True, socket.AF_INET, "192.0.2.10", 32),
        "add-v6": route(True, socket.AF_INET6, "2001:db8::10", 128),
        "del-v4": route(False, socket.AF_INET, "192.0.2.10", 32),
        "unknown": msg(250, b""),
    }
    names = []
    for what in ("hello", "add-v4", "add-v6", "del-v4", "unknown"):
        s.send(sent[what])
        for m in read_all(s, 0.5):
            cmd = struct.unpack("!H", m[8:10])[0]
            names.append("%s-%d" % (what, cmd))
            with open(os.path.join(outdir, "recv-%s-cmd%d.bin" %
                                   (what, cmd)), "wb") as f:
                f.write(m)
        with open(os.path.join(outdir, "sent-%s.bin" % what), "wb") as f:
            f.write(sent[what])
    print("received:", " ".join(names))


main()
