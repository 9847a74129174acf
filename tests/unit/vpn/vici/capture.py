#!/usr/bin/python3
# tests/unit/vpn/vici/capture.py SOCKET DIR - run by capture.sh: talks to
# a real charon's VICI socket and records each message sent
# (DIR/sent-NAME.bin) and each one received (DIR/recv-NAME-N.bin), whole
# (length included), for test_vpn_vici and fuzz_vici's seeds.  Its own
# encoder, written from the protocol's description, so that the unit
# test can compare edged's bytes with these, which charon took; site-b is
# what edged renders for tests/unit/vpn/test_vpn_site.c's `ipsec site-b`.
import socket
import struct
import sys

CMD_REQUEST, CMD_RESPONSE, CMD_UNKNOWN = 0, 1, 2
EVENT_REGISTER, EVENT_UNREGISTER, EVENT_CONFIRM = 3, 4, 5
EVENT_UNKNOWN, EVENT = 6, 7
SEC_START, SEC_END, KV, LIST_START, LIST_ITEM, LIST_END = 1, 2, 3, 4, 5, 6


def name(n):
    return bytes([len(n)]) + n.encode()


def value(v):
    v = v.encode() if isinstance(v, str) else v
    return struct.pack("!H", len(v)) + v


def elements(d):
    out = b""
    for k, v in d:
        if isinstance(v, list):
            out += bytes([LIST_START]) + name(k)
            for item in v:
                out += bytes([LIST_ITEM]) + value(item)
            out += bytes([LIST_END])
        elif isinstance(v, tuple):
            out += bytes([SEC_START]) + name(k) + elements(v) + \
                bytes([SEC_END])
        else:
            out += bytes([KV]) + name(k) + value(v)
    return out


def packet(kind, n=None, body=()):
    p = bytes([kind]) + (name(n) if n is not None else b"") + elements(body)
    return struct.pack("!I", len(p)) + p


s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
out = sys.argv[2]


def recv_one():
    hdr = b""
    while len(hdr) < 4:
        hdr += s.recv(4 - len(hdr))
    n = struct.unpack("!I", hdr)[0]
    body = b""
    while len(body) < n:
        body += s.recv(n - len(body))
    return hdr + body


def exchange(label, msg, until=(CMD_RESPONSE, CMD_UNKNOWN, EVENT_CONFIRM,
                                EVENT_UNKNOWN)):
    open("%s/sent-%s.bin" % (out, label), "wb").write(msg)
    s.sendall(msg)
    i = 0
    while True:
        m = recv_one()
        i += 1
        open("%s/recv-%s-%d.bin" % (out, label, i), "wb").write(m)
        if m[4] in until:
            return m


site = (
    ("version", "2"),
    ("local_addrs", ["192.0.2.10"]),
    ("remote_addrs", ["198.51.100.1"]),
    ("proposals", ["aes256gcm16-prfsha256-ecp256"]),
    ("dpd_delay", "30s"),
    ("rekey_time", "28800s"),
    ("local", (("auth", "psk"), ("id", "192.0.2.10"))),
    ("remote", (("auth", "psk"), ("id", "198.51.100.1"))),
    ("children", (("site-b", (
        ("local_ts", ["10.0.0.0/16"]),
        ("remote_ts", ["10.1.0.0/16", "10.2.0.0/16"]),
        ("esp_proposals", ["aes256gcm16-ecp256"]),
        ("rekey_time", "3600s"),
        ("start_action", "none"),
        ("dpd_action", "clear"),
    )),)),
)
exchange("version", packet(CMD_REQUEST, "version"))
exchange("unknown-cmd", packet(CMD_REQUEST, "no-such-command"))
exchange("unknown-event", packet(EVENT_REGISTER, "no-such-event"))
exchange("load-shared", packet(CMD_REQUEST, "load-shared", (
    ("id", "edged-site-b"), ("type", "IKE"), ("data", "s3cr3t-psk"),
    ("owners", ["192.0.2.10", "198.51.100.1"]))))
exchange("load-conn", packet(CMD_REQUEST, "load-conn", (("site-b", site),)))
# local_addrs as a key, not a list: charon refuses the connection
bad = (("version", "2"), ("local_addrs", "192.0.2.10")) + site[2:]
exchange("load-conn-bad", packet(CMD_REQUEST, "load-conn", (("bad", bad),)))
exchange("get-conns", packet(CMD_REQUEST, "get-conns"))
exchange("register-list-conn", packet(EVENT_REGISTER, "list-conn"))
exchange("list-conns", packet(CMD_REQUEST, "list-conns"),
         until=(CMD_RESPONSE,))
exchange("unregister-list-conn", packet(EVENT_UNREGISTER, "list-conn"))
exchange("register-list-sa", packet(EVENT_REGISTER, "list-sa"))
exchange("list-sas", packet(CMD_REQUEST, "list-sas", (("noblock", "yes"),)),
         until=(CMD_RESPONSE,))
exchange("unload-conn", packet(CMD_REQUEST, "unload-conn",
                               (("name", "site-b"),)))
exchange("unload-shared", packet(CMD_REQUEST, "unload-shared",
                                 (("id", "edged-site-b"),)))
s.close()
