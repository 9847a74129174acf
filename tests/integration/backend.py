#!/usr/bin/python3
"""tests/integration/backend.py - small backends that nginx cannot be.

    backend.py --name NAME --port PORT MODE [--delay S] [--size N]

Modes (all on 127.0.0.1, one thread per connection, HTTP/1.1 keep-alive
where they speak HTTP at all).  Each logs one line per request or
connection on stdout, flushed, so that a test can count what reached it:

  echo      answers every request with "name=NAME method=M path=P len=N
            sha256=H te=T cl=C expect=E xff=X xfp=P" about the body it read
            (Content-Length or chunked); log "REQ M P len=N"
  chunked   answers with a chunked body of --size bytes (see pattern()),
            its sha256 in X-Body-Sha256; uneven chunk sizes
  blob      answers --size bytes of pattern() in one write with the head,
            which has no Connection header (as many servers do): framed
            by Content-Length, or, for a path containing "eof", by
            closing the connection (no Content-Length, no chunked);
            X-Body-Sha256 gives the body's sha256
  slow      waits --delay seconds (or the request's ?delay=S), then
            answers "NAME\\n" with X-Backend; log "REQ ..." and "DONE ..."
  garbage   reads a request head, answers with bytes that are not HTTP
  close     reads a request head, closes without a byte
  hang      reads a request head, never answers (holds the connection)
  oneshot   answers the first request of each connection (keep-alive, as
            far as the client can tell), then closes at the next one
            without a byte: a server closing an idle connection just as
            the proxy reuses it; log "REQ ..." and "DROP ..."
  reset     reads a request head (and whatever of its body came with
            it), then resets the connection (SO_LINGER 0: an RST, not a
            FIN) without a byte; log "REQ ..." and "RST ..."
  resetmid  answers the head of a --size byte body (Content-Length) and
            half the body, then resets the connection; log "REQ ..." and
            "RST ... sent=N"
  ws        a websockets echo server (text and binary messages)

Raw TCP modes (no HTTP), for tcp profiles:

  greet     speaks first: "hello from NAME peer=ADDR\n" as soon as a
            connection comes, then echoes every byte until the client's
            FIN, then closes; log "CONN peer=ADDR" and "DONE n=N" (the
            bytes it echoed)
  drain     reads until the client's FIN, then answers "NAME got N bytes
            sha256=H\n" and closes (a client that closed its side still
            gets the answer); log "GOT n=N sha256=H"
  shutfirst sends "bye from NAME\n" and closes its side at once
            (shutdown SHUT_WR), then reads what the client still sends
            until its FIN; log "GOT n=N sha256=H"
"""
import argparse
import asyncio
import hashlib
import re
import socket
import struct
import sys
import threading
import time


LOG_LOCK = threading.Lock()


def log(*a):
    # one write a line, under a lock: two connections' lines never mix
    with LOG_LOCK:
        sys.stdout.write(" ".join(str(x) for x in a) + "\n")
        sys.stdout.flush()


def pattern(n):
    """n deterministic bytes (not all equal, so that a lost or repeated
    block changes the sha256)."""
    block = bytes((i * 7 + i // 251) & 0xFF for i in range(65536))
    out = bytearray()
    while len(out) < n:
        out += block[: n - len(out)]
    return bytes(out)


class Conn:
    """A buffered reader over a socket for parsing HTTP/1.1 by hand."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        d = self.sock.recv(65536)
        if not d:
            raise EOFError
        self.buf += d

    def line(self):
        while b"\r\n" not in self.buf:
            if len(self.buf) > 65536:
                raise ValueError("line too long")
            self.fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read(self, n, sink):
        while n > 0:
            if not self.buf:
                self.fill()
            take = self.buf[:n]
            self.buf = self.buf[len(take):]
            n -= len(take)
            sink(take)

    def head(self):
        start = self.line()
        headers = []
        while True:
            line = self.line()
            if line == b"":
                break
            k, _, v = line.partition(b":")
            headers.append((k.strip().lower().decode(), v.strip().decode()))
        return start.decode("latin-1"), headers

    def body(self, headers, sink):
        h = dict(headers)
        if "chunked" in h.get("transfer-encoding", "").lower():
            while True:
                size = int(self.line().split(b";")[0], 16)
                if size == 0:
                    while self.line() != b"":
                        pass
                    return
                self.read(size, sink)
                if self.line() != b"":
                    raise ValueError("bad chunk end")
        n = int(h.get("content-length", "0"))
        self.read(n, sink)


def respond(sock, status, headers, body=b""):
    head = "HTTP/1.1 %s\r\n" % status
    for k, v in headers:
        head += "%s: %s\r\n" % (k, v)
    sock.sendall(head.encode() + b"\r\n" + body)


def serve_http(args, conn_handler):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", args.port))
    ls.listen(128)
    while True:
        s, _ = ls.accept()
        threading.Thread(target=conn_wrap, args=(args, s, conn_handler),
                         daemon=True).start()


def conn_wrap(args, s, handler):
    try:
        handler(args, s)
    except (EOFError, ConnectionError, ValueError, OSError):
        pass
    finally:
        try:
            s.close()
        except OSError:
            pass


def keepalive(headers, start):
    h = dict(headers)
    c = h.get("connection", "").lower()
    if start.endswith("HTTP/1.0"):
        return "keep-alive" in c
    return "close" not in c


def h_echo(args, s):
    c = Conn(s)
    while True:
        start, headers = c.head()
        h = dict(headers)
        if h.get("expect", "").lower() == "100-continue":
            s.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        digest = hashlib.sha256()
        count = [0]

        def sink(b):
            digest.update(b)
            count[0] += len(b)

        c.body(headers, sink)
        method, path = start.split(" ")[0], start.split(" ")[1]
        log("REQ %s %s len=%d" % (method, path, count[0]))
        text = ("name=%s method=%s path=%s len=%d sha256=%s te=%s cl=%s "
                "expect=%s xff=%s xfp=%s\n" % (
                    args.name, method, path, count[0], digest.hexdigest(),
                    h.get("transfer-encoding", "-"),
                    h.get("content-length", "-"), h.get("expect", "-"),
                    h.get("x-forwarded-for", "-"),
                    h.get("x-forwarded-proto", "-"))).encode()
        ka = keepalive(headers, start)
        respond(s, "200 OK", [("Content-Type", "text/plain"),
                              ("X-Backend", args.name),
                              ("Content-Length", str(len(text))),
                              ("Connection", "keep-alive" if ka else "close")],
                text)
        if not ka:
            return


def h_chunked(args, s):
    c = Conn(s)
    data = pattern(args.size)
    sha = hashlib.sha256(data).hexdigest()
    while True:
        start, headers = c.head()
        c.body(headers, lambda b: None)
        log("REQ %s" % start)
        respond(s, "200 OK", [("Content-Type", "application/octet-stream"),
                              ("X-Backend", args.name),
                              ("X-Body-Sha256", sha),
                              ("Transfer-Encoding", "chunked")])
        off, sizes, i = 0, [1, 10, 4096, 65536, 7, 100000, 333], 0
        while off < len(data):
            n = min(sizes[i % len(sizes)], len(data) - off)
            i += 1
            s.sendall(b"%x\r\n" % n + data[off:off + n] + b"\r\n")
            off += n
        s.sendall(b"0\r\n\r\n")
        if not keepalive(headers, start):
            return


def h_blob(args, s):
    c = Conn(s)
    data = pattern(args.size)
    sha = hashlib.sha256(data).hexdigest()
    while True:
        start, headers = c.head()
        c.body(headers, lambda b: None)
        log("REQ %s" % start)
        eof = "eof" in start.split(" ")[1]
        hdrs = [("X-Backend", args.name), ("X-Body-Sha256", sha)]
        if not eof:
            hdrs.append(("Content-Length", str(len(data))))
        head = "HTTP/1.1 200 OK\r\n" + "".join(
            "%s: %s\r\n" % kv for kv in hdrs) + "\r\n"
        s.sendall(head.encode() + data)
        if eof or not keepalive(headers, start):
            return


def h_slow(args, s):
    c = Conn(s)
    while True:
        start, headers = c.head()
        c.body(headers, lambda b: None)
        log("REQ %s t=%.3f" % (start, time.time()))
        m = re.search(r"[?&]delay=([0-9.]+)", start)
        time.sleep(float(m.group(1)) if m else args.delay)
        body = ("%s\n" % args.name).encode()
        respond(s, "200 OK", [("X-Backend", args.name),
                              ("Content-Length", str(len(body)))], body)
        log("DONE %s t=%.3f" % (start, time.time()))


def h_garbage(args, s):
    c = Conn(s)
    start, _ = c.head()
    log("REQ %s" % start)
    s.sendall(b"this is not HTTP at all\r\n\r\n")
    time.sleep(0.2)


def h_close(args, s):
    c = Conn(s)
    start, _ = c.head()
    log("REQ %s" % start)


def h_hang(args, s):
    c = Conn(s)
    start, _ = c.head()
    log("REQ %s" % start)
    while s.recv(65536):
        pass


def h_oneshot(args, s):
    c = Conn(s)
    start, headers = c.head()
    c.body(headers, lambda b: None)
    log("REQ %s" % start)
    body = ("%s\n" % args.name).encode()
    respond(s, "200 OK", [("X-Backend", args.name),
                          ("Content-Length", str(len(body)))], body)
    start, _ = c.head()
    log("DROP %s" % start)


def rst(s):
    """Closes s with an RST: SO_LINGER on, with a zero timeout."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                 struct.pack("ii", 1, 0))
    s.close()


def h_reset(args, s):
    c = Conn(s)
    start, _ = c.head()
    log("REQ %s" % start)
    log("RST %s" % start)
    rst(s)


def h_resetmid(args, s):
    c = Conn(s)
    start, headers = c.head()
    c.body(headers, lambda b: None)
    log("REQ %s" % start)
    data = pattern(args.size)
    half = len(data) // 2
    head = ("HTTP/1.1 200 OK\r\nX-Backend: %s\r\nContent-Length: %d\r\n"
            "\r\n" % (args.name, len(data)))
    s.sendall(head.encode() + data[:half])
    # let the proxy read what went out before the RST overtakes it
    time.sleep(0.2)
    log("RST %s sent=%d" % (start, half))
    rst(s)


def read_to_eof(s):
    h = hashlib.sha256()
    n = 0
    while True:
        b = s.recv(65536)
        if not b:
            return n, h.hexdigest()
        n += len(b)
        h.update(b)


def h_greet(args, s):
    peer = "%s:%d" % s.getpeername()
    log("CONN", "peer=" + peer)
    s.sendall(("hello from %s peer=%s\n" % (args.name, peer)).encode())
    n = 0
    while True:
        b = s.recv(65536)
        if not b:
            break
        s.sendall(b)
        n += len(b)
    log("DONE", "n=%d" % n)


def h_drain(args, s):
    n, digest = read_to_eof(s)
    log("GOT", "n=%d" % n, "sha256=" + digest)
    s.sendall(("%s got %d bytes sha256=%s\n" %
               (args.name, n, digest)).encode())


def h_shutfirst(args, s):
    s.sendall(("bye from %s\n" % args.name).encode())
    s.shutdown(socket.SHUT_WR)
    n, digest = read_to_eof(s)
    log("GOT", "n=%d" % n, "sha256=" + digest)


def serve_ws(args):
    import websockets

    async def echo(ws, path=None):
        log("WS connection")
        async for msg in ws:
            log("WS message %s %d" % (type(msg).__name__, len(msg)))
            await ws.send(msg)

    async def main():
        async with websockets.serve(echo, "127.0.0.1", args.port,
                                    max_size=None):
            await asyncio.Future()

    asyncio.run(main())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--delay", type=float, default=1.0)
    ap.add_argument("--size", type=int, default=1 << 20)
    ap.add_argument("mode", choices=["echo", "chunked", "blob", "slow",
                                     "garbage", "close", "hang", "oneshot",
                                     "reset", "resetmid", "ws", "greet",
                                     "drain", "shutfirst"])
    args = ap.parse_args()
    if args.mode == "ws":
        serve_ws(args)
        return
    handler = {"echo": h_echo, "chunked": h_chunked, "blob": h_blob,
               "slow": h_slow,
               "garbage": h_garbage, "close": h_close,
               "hang": h_hang, "oneshot": h_oneshot,
               "reset": h_reset, "resetmid": h_resetmid,
               "greet": h_greet, "drain": h_drain,
               "shutfirst": h_shutfirst}[args.mode]
    serve_http(args, handler)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
