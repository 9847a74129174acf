#!/usr/bin/python3
"""tests/integration/tlsflood.py - hostile TLS clients, one per command.

    tlsflood.py PORT COMMAND [OPTIONS]

Each talks to 127.0.0.1:PORT and prints one line of key=value figures:

  flood --conns N --seconds S [--silent-every K] [--wait W] [--sni NAME]
        N connections, spread evenly over S seconds, each sending one
        ClientHello (made by this Python's OpenSSL: TLS 1.3 with an
        X25519 key share) and never another byte, or, every K-th one,
        nothing at all.  All are kept open until the server closes them
        (FIN or RST), or W seconds after the last connect.  Prints
        conns, refused (connects that failed), answered (the server sent
        a byte: its handshake flight), closed and open (by kind: hello_,
        silent_), and the seconds from connect to the server's close
        (min, median, max) by kind.
  bighello --ciphers N --exts N --ext-size B [--sni NAME] [--tls13]
        one hand-made ClientHello (TLS 1.2, ECDHE with ECDSA or RSA, or
        with --tls13 offering 1.3 with an X25519 key share) with N cipher
        suites, N unknown extensions of B bytes each and that SNI (any
        length, sent as it is), in records of 16 KiB at most; prints
        hello=BYTES records=N and answer=serverhello|alert:DESC|closed|
        reset|none (what came back first).
  unasked-cert --chain FILE [--sni NAME]
        a TLS 1.2 handshake by hand up to the server's ServerHelloDone,
        then a Certificate message holding every certificate of FILE
        (PEM), which a server that asked for none does not expect; prints
        flight=yes|no (the server's first flight came), certs=N
        cert_bytes=N and answer=... as bighello.

Only the standard library; the load is bounded by the counts and times
given.
"""
import argparse
import errno
import os
import random
import re
import resource
import selectors
import socket
import ssl
import statistics
import struct
import sys
import time

ALERTS = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
          22: "record_overflow", 40: "handshake_failure", 42: "bad_certificate",
          47: "illegal_parameter", 50: "decode_error", 51: "decrypt_error",
          70: "protocol_version", 80: "internal_error",
          100: "no_renegotiation", 109: "missing_extension",
          110: "unsupported_extension", 112: "unrecognized_name",
          116: "certificate_required"}


def client_hello(sni):
    """A real ClientHello, as this Python's OpenSSL sends it."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


# ---- flood ----

class Conn:
    __slots__ = ("sock", "silent", "t0", "sent", "answered", "closed_at")

    def __init__(self, sock, silent, t0):
        self.sock, self.silent, self.t0 = sock, silent, t0
        self.sent = silent
        self.answered = False
        self.closed_at = None


def figures(kind, conns):
    lives = sorted(c.closed_at - c.t0 for c in conns
                   if c.closed_at is not None)
    out = ["%s_closed=%d" % (kind, len(lives)),
           "%s_open=%d" % (kind, len(conns) - len(lives))]
    if lives:
        out.append("%s_life=%.2f/%.2f/%.2f" % (
            kind, lives[0], statistics.median(lives), lives[-1]))
    return out


def flood(port, a):
    want = a.conns + 256
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    hellos = [client_hello(a.sni) for _ in range(8)]
    sel = selectors.DefaultSelector()
    conns, refused = [], 0
    start = time.monotonic()
    step = a.seconds / a.conns
    opened = 0
    deadline = None

    def finish(c, now):
        sel.unregister(c.sock)
        c.sock.close()
        c.closed_at = now

    while True:
        now = time.monotonic()
        while opened < a.conns and now >= start + opened * step:
            silent = a.silent_every > 0 and opened % a.silent_every == 0
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            rc = s.connect_ex(("127.0.0.1", port))
            opened += 1
            if rc not in (0, errno.EINPROGRESS):
                s.close()
                refused += 1
                continue
            c = Conn(s, silent, now)
            conns.append(c)
            sel.register(s, selectors.EVENT_READ if silent and rc == 0 else
                         selectors.EVENT_WRITE, c)
        if opened == a.conns and deadline is None:
            deadline = now + a.wait
        if deadline is not None and (now >= deadline or
                                     all(c.closed_at for c in conns)):
            break
        timeout = step if opened < a.conns else 0.05
        for key, ev in sel.select(timeout):
            c = key.data
            now = time.monotonic()
            if ev & selectors.EVENT_WRITE:
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err != 0:
                    refused += 1
                    conns.remove(c)
                    sel.unregister(c.sock)
                    c.sock.close()
                    continue
                if not c.sent:
                    try:
                        c.sock.send(random.choice(hellos))
                    except OSError:
                        finish(c, now)
                        continue
                    c.sent = True
                sel.modify(c.sock, selectors.EVENT_READ, c)
                continue
            try:
                data = c.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                c.answered = True
            else:
                finish(c, now)
    hello = [c for c in conns if not c.silent]
    silent = [c for c in conns if c.silent]
    out = ["conns=%d" % a.conns, "refused=%d" % refused,
           "answered=%d" % sum(c.answered for c in hello),
           "hellos=%d" % len(hello), "silents=%d" % len(silent)]
    out += figures("hello", hello) + figures("silent", silent)
    print(" ".join(out), flush=True)
    for c in conns:
        if c.closed_at is None:
            c.sock.close()


# ---- hand-made handshakes ----

def record(ctype, body):
    out = b""
    for i in range(0, max(len(body), 1), 16384):
        frag = body[i:i + 16384]
        out += struct.pack("!BHH", ctype, 0x0303, len(frag)) + frag
    return out


def ext(etype, body):
    return struct.pack("!HH", etype, len(body)) + body


def vec16(body):
    return struct.pack("!H", len(body)) + body


def hand_hello(a):
    suites = [0xC02B, 0xC02F, 0xC02C, 0xC030, 0x1301, 0x1302]
    # code points servers do not know, and skip (not TLS_FALLBACK_SCSV)
    suites += [c for c in range(0x0A0A, 0x0A0A + 2 * a.ciphers)
               if c != 0x5600][:max(a.ciphers - len(suites), 0)]
    exts = b""
    if a.sni is not None:
        name = a.sni.encode()
        exts += ext(0, vec16(b"\x00" + vec16(name)))
    exts += ext(10, vec16(struct.pack("!HH", 0x001d, 0x0017)))
    exts += ext(11, b"\x01\x00")
    exts += ext(13, vec16(struct.pack("!HHHH", 0x0403, 0x0804, 0x0401,
                                      0x0503)))
    if a.tls13:
        key = os.urandom(32)
        exts += ext(43, b"\x04\x03\x04\x03\x03")
        exts += ext(51, vec16(struct.pack("!HH", 0x001d, 32) + key))
    for i in range(a.exts):
        exts += ext(0x5A00 + i, b"\x00" * a.ext_size)
    body = (struct.pack("!H", 0x0303) + os.urandom(32) + b"\x00" +
            vec16(b"".join(struct.pack("!H", s) for s in suites)) +
            b"\x01\x00" + vec16(exts))
    msg = struct.pack("!B", 1) + struct.pack("!I", len(body))[1:] + body
    return msg, record(22, msg)


def read_records(s, until, limit=1 << 20):
    """Reads records until until(type, handshake-bytes-so-far) says
    stop; returns (first-answer word, handshake bytes)."""
    buf, hs, first = b"", b"", None
    while len(buf) < limit:
        try:
            data = s.recv(65536)
        except socket.timeout:
            return first or "none", hs
        except ConnectionResetError:
            return first or "reset", hs
        if not data:
            return first or "closed", hs
        buf += data
        while len(buf) >= 5:
            ctype, _, n = struct.unpack("!BHH", buf[:5])
            if len(buf) < 5 + n:
                break
            frag, buf = buf[5:5 + n], buf[5 + n:]
            if ctype == 21 and len(frag) >= 2:
                word = "alert:" + ALERTS.get(frag[1], str(frag[1]))
                return first or word, hs
            if ctype == 22:
                hs += frag
                if first is None:
                    first = "serverhello" if frag[:1] == b"\x02" else \
                        "handshake:%d" % frag[0]
            if until(ctype, hs):
                return first, hs
    return first or "none", hs


def messages(hs):
    out, i = [], 0
    while i + 4 <= len(hs):
        n = struct.unpack("!I", b"\x00" + hs[i + 1:i + 4])[0]
        if i + 4 + n > len(hs):
            break
        out.append(hs[i])
        i += 4 + n
    return out


def bighello(port, a):
    msg, recs = hand_hello(a)
    s = socket.create_connection(("127.0.0.1", port), timeout=a.timeout)
    s.sendall(recs)
    answer, _ = read_records(s, lambda t, hs: True)
    s.close()
    print("hello=%d records=%d answer=%s" % (len(msg), (len(msg) + 16383) //
                                             16384, answer), flush=True)


def pem_ders(path):
    text = open(path).read()
    import base64
    return [base64.b64decode("".join(m.split()))
            for m in re.findall(r"-----BEGIN CERTIFICATE-----(.*?)"
                                r"-----END CERTIFICATE-----", text, re.S)]


def unasked_cert(port, a):
    a.tls13 = False
    a.ciphers, a.exts, a.ext_size = 6, 0, 0
    _, recs = hand_hello(a)
    ders = pem_ders(a.chain)
    s = socket.create_connection(("127.0.0.1", port), timeout=a.timeout)
    s.sendall(recs)
    first, hs = read_records(s, lambda t, h: 14 in messages(h))
    flight = 14 in messages(hs)
    answer = first
    if flight:
        lst = b"".join(struct.pack("!I", len(d))[1:] + d for d in ders)
        body = struct.pack("!I", len(lst))[1:] + lst
        msg = b"\x0b" + struct.pack("!I", len(body))[1:] + body
        try:
            s.sendall(record(22, msg))
            answer, _ = read_records(s, lambda t, h: False)
        except (BrokenPipeError, ConnectionResetError):
            answer = "reset"
    s.close()
    print("flight=%s certs=%d cert_bytes=%d answer=%s" % (
        "yes" if flight else "no", len(ders), sum(map(len, ders)), answer),
        flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("command", choices=["flood", "bighello", "unasked-cert"])
    p.add_argument("--conns", type=int, default=100)
    p.add_argument("--seconds", type=float, default=1.0)
    p.add_argument("--silent-every", type=int, default=0)
    p.add_argument("--wait", type=float, default=10.0)
    p.add_argument("--sni", default=None)
    p.add_argument("--ciphers", type=int, default=6)
    p.add_argument("--exts", type=int, default=0)
    p.add_argument("--ext-size", type=int, default=0)
    p.add_argument("--tls13", action="store_true")
    p.add_argument("--chain", default=None)
    p.add_argument("--timeout", type=float, default=5.0)
    a = p.parse_args()
    {"flood": flood, "bighello": bighello,
     "unasked-cert": unasked_cert}[a.command](a.port, a)


if __name__ == "__main__":
    sys.exit(main())
