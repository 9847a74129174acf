#!/usr/bin/python3
"""idle_conns.py - hold N idle HTTP/1.1 keep-alive connections to a proxy.

    /usr/bin/python3 idle_conns.py HOST PORT N STOPFILE [INFLIGHT] [HOLD]

Opens N connections to HOST:PORT, at most INFLIGHT (default 100) being
set up at a time; on each it sends one keep-alive GET / and reads the
whole response (Content-Length framed), then leaves the connection idle.
Then it prints one line

    ready ok=N failed=N non200=N secs=S

and keeps every connection open, watching for the server closing any,
until STOPFILE exists or HOLD seconds (default 120) have passed.  It ends
by printing

    closed_by_server=N

Only the standard library (selectors, non-blocking sockets); bench.sh
runs it with Debian's /usr/bin/python3.
"""
import errno
import os
import resource
import selectors
import socket
import sys
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: idle_conns\r\n\r\n"


class Conn:
    __slots__ = ("sock", "buf", "sent", "state")

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.sent = 0
        self.state = "connect"


def response_complete(buf):
    """(done, status) for what buf holds; done is None on a framing error."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return False, 0
    head = buf[:end].decode("latin-1").split("\r\n")
    try:
        status = int(head[0].split()[1])
    except (IndexError, ValueError):
        return None, 0
    length = None
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
        elif name.strip().lower() == "transfer-encoding":
            return None, status  # not expected from the bench backends
    if length is None:
        return None, status
    return len(buf) - (end + 4) >= length, status


def main():
    host, port, total, stopfile = (sys.argv[1], int(sys.argv[2]),
                                   int(sys.argv[3]), sys.argv[4])
    inflight = int(sys.argv[5]) if len(sys.argv) > 5 else 100
    hold = float(sys.argv[6]) if len(sys.argv) > 6 else 120.0

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < total + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    sel = selectors.DefaultSelector()
    idle = []
    started = ok = failed = non200 = 0
    pending = 0
    t0 = time.monotonic()
    deadline = t0 + 60.0

    def fail(c):
        nonlocal failed, pending
        failed += 1
        pending -= 1
        try:
            sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()

    while (started < total or pending > 0) and time.monotonic() < deadline:
        while started < total and pending < inflight:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            started += 1
            pending += 1
            c = Conn(s)
            err = s.connect_ex((host, port))
            if err not in (0, errno.EINPROGRESS):
                fail(c)
                continue
            sel.register(s, selectors.EVENT_WRITE, c)
        for key, events in sel.select(timeout=1.0):
            c = key.data
            if c.state == "connect":
                if c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    fail(c)
                    continue
                c.state = "send"
            if c.state == "send":
                try:
                    c.sent += c.sock.send(REQUEST[c.sent:])
                except BlockingIOError:
                    continue
                except OSError:
                    fail(c)
                    continue
                if c.sent == len(REQUEST):
                    c.state = "recv"
                    sel.modify(c.sock, selectors.EVENT_READ, c)
                continue
            try:
                data = c.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                fail(c)
                continue
            if not data:
                fail(c)
                continue
            c.buf += data
            done, status = response_complete(c.buf)
            if done is None:
                fail(c)
                continue
            if done:
                sel.unregister(c.sock)
                pending -= 1
                ok += 1
                if status != 200:
                    non200 += 1
                c.buf = b""
                c.state = "idle"
                idle.append(c)
    # whatever is still being set up when the deadline passed has failed
    for key in list(sel.get_map().values()):
        fail(key.data)

    print("ready ok=%d failed=%d non200=%d secs=%.1f" %
          (ok, failed, non200, time.monotonic() - t0), flush=True)

    # hold: an idle connection becoming readable means the server closed
    # it (or sent something it should not have)
    for c in idle:
        sel.register(c.sock, selectors.EVENT_READ, c)
    closed = 0
    end = time.monotonic() + hold
    while time.monotonic() < end and not os.path.exists(stopfile):
        for key, events in sel.select(timeout=0.2):
            sel.unregister(key.fileobj)
            closed += 1
    print("closed_by_server=%d" % closed, flush=True)
    for c in idle:
        c.sock.close()


if __name__ == "__main__":
    main()
