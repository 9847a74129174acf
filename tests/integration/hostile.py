#!/usr/bin/python3
"""tests/integration/hostile.py - hostile HTTP clients, one per sub-command.

    hostile.py PORT COMMAND [OPTIONS]

Each connects to 127.0.0.1:PORT, misbehaves as its command says, and
prints one line of key=value figures on stdout, always starting with
status=CODE (0 when no HTTP answer came) and closed=yes|reset|no (how the
connection ended: a FIN, an RST, or still open when the client gave up):

  headers --lines N --size S   a GET with N header lines of S bytes each
  tiny --count N               a GET with N tiny header lines ("a: b")
  reqline --size S             a GET whose request-target is S bytes long
  endless --rate R             a header line that never ends (no CRLF),
                               R bytes a second, until edged answers
  chunksize --size HEX         a chunked POST whose first chunk-size line
                               is HEX
  chunked --seconds S --max-bytes B [--stall]
                               a chunked POST body that goes on for S
                               seconds or B bytes, then its last chunk
                               (with --stall: then nothing, the body never
                               ends); prints sent=BYTES and the answer's
                               body (the echo backend's len=N) as body=...
  nonread --path P --hold S    a GET whose answer it never reads (a small
                               receive buffer) for S seconds; then reads
                               what is left, prints got=BYTES
  slowread --path P --rate R --seconds S
                               reads the answer at R bytes a second for S
                               seconds, then closes; prints got=BYTES
  slowloris --conns N --seconds S [--interval I] [--reconnect] [--spread]
                               N connections, each sending its head one
                               byte every I seconds (1), for S seconds:
                               all at once, as an attacker's connections
                               opened together are (each sends its first
                               byte as it opens, so that they are cut
                               together too), or with --spread each at
                               its own moment of the interval;
                               prints opened, answered STATUS counts (s408
                               ...), closed, reset, open (still going at
                               the end), bytes; with --reconnect a cut
                               connection is replaced (a benchmark's load)

Only the standard library; one selectors loop where there are many
sockets (slowloris), so that the client is never the bottleneck.
"""
import argparse
import heapq
import random
import resource
import selectors
import socket
import sys
import time

HEAD = b"GET /hostile HTTP/1.1\r\nHost: t\r\n"


def connect(port, rcvbuf=0):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    return s


def send_all(s, data):
    """Sends data; False when the server closed or reset meanwhile (it
    may have answered and stopped reading)."""
    try:
        s.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


def answer(s, timeout):
    """Reads until the server closes or timeout passes: (bytes, closed)."""
    return answer_until(s, time.monotonic() + timeout)


def answer_until(s, deadline):
    """Reads until the server closes or the monotonic deadline passes:
    (bytes, closed), closed being "yes", "reset" or "no"."""
    out, closed = b"", "no"
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            closed = "reset"
            break
        if not d:
            closed = "yes"
            break
        out += d
    return out, closed


def status_of(data):
    if data.startswith(b"HTTP/1.") and len(data) >= 12:
        try:
            return int(data[9:12])
        except ValueError:
            return 0
    return 0


def report(**kv):
    print(" ".join("%s=%s" % (k, v) for k, v in kv.items()), flush=True)


def one_shot(args, data):
    """Sends data (as far as the server takes it), reports the answer."""
    t0 = time.monotonic()
    s = connect(args.port)
    sent = send_all(s, data)
    out, closed = answer(s, args.timeout)
    report(status=status_of(out), closed=closed, all_sent=sent,
           elapsed="%.3f" % (time.monotonic() - t0))


def cmd_headers(args):
    line = b"X-Big-%d: " + b"a" * max(args.size - 12, 1) + b"\r\n"
    data = HEAD + b"".join(line.replace(b"%d", b"%04d" % i)
                           for i in range(args.lines))
    one_shot(args, data + b"Connection: close\r\n\r\n")


def cmd_tiny(args):
    data = HEAD + b"".join(b"a%d: b\r\n" % i for i in range(args.count))
    one_shot(args, data + b"Connection: close\r\n\r\n")


def cmd_reqline(args):
    target = b"/" + b"a" * (args.size - 1)
    one_shot(args, b"GET " + target + b" HTTP/1.1\r\nHost: t\r\n\r\n")


def cmd_chunksize(args):
    data = (b"POST /chunk HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked"
            b"\r\n\r\n" + args.size.encode() + b"\r\nhello\r\n0\r\n\r\n")
    one_shot(args, data)


def cmd_endless(args):
    """A header line without end, paced at args.rate bytes a second, until
    the server answers or closes (or args.timeout)."""
    t0 = time.monotonic()
    s = connect(args.port)
    s.sendall(HEAD + b"X-Endless: ")
    sent, out, closed = 0, b"", "no"
    step = max(args.rate // 20, 1)
    s.setblocking(False)
    while time.monotonic() - t0 < args.timeout:
        try:
            d = s.recv(65536)
            if not d:
                closed = "yes"
                break
            out += d
        except BlockingIOError:
            pass
        except ConnectionResetError:
            closed = "reset"
            break
        if out:
            # answered: whatever comes next is the close
            more, closed = answer(s, 3)
            out += more
            break
        try:
            sent += s.send(b"a" * step)
        except BlockingIOError:
            pass
        except (BrokenPipeError, ConnectionResetError):
            more, closed = answer(s, 3)
            out += more
            break
        time.sleep(step / args.rate)
    report(status=status_of(out), closed=closed, sent=sent,
           elapsed="%.3f" % (time.monotonic() - t0))


def cmd_chunked(args):
    """A chunked body streamed as fast as the server takes it."""
    t0 = time.monotonic()
    s = connect(args.port)
    s.sendall(b"POST /upload HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n")
    block = bytes(random.Random(1).getrandbits(8) for _ in range(65536))
    sizes = [1, 7, 4096, 65536, 100, 16384, 333, 65535]
    sent, i, ok = 0, 0, True
    while ok and sent < args.max_bytes and \
            time.monotonic() - t0 < args.seconds:
        n = min(sizes[i % len(sizes)], args.max_bytes - sent)
        i += 1
        ok = send_all(s, b"%x\r\n" % n + block[:n] + b"\r\n")
        sent += n if ok else 0
    if ok and not args.stall:
        ok = send_all(s, b"0\r\n\r\n")
    out, closed = answer(s, args.timeout)
    body = out.partition(b"\r\n\r\n")[2].split(b"\n")[0].decode("latin-1")
    len_field = [w for w in body.split() if w.startswith("len=")]
    report(status=status_of(out), closed=closed, sent=sent,
           body_len=len_field[0][4:] if len_field else "-",
           elapsed="%.3f" % (time.monotonic() - t0))


def get_head(args, rcvbuf=0):
    s = connect(args.port, rcvbuf)
    s.sendall(b"GET " + args.path.encode() + b" HTTP/1.1\r\nHost: t\r\n\r\n")
    return s


def cmd_nonread(args):
    """Asks for a large answer and reads none of it for args.hold
    seconds; then drains what is left until the close."""
    t0 = time.monotonic()
    s = get_head(args, rcvbuf=65536)
    time.sleep(args.hold)
    out, closed = answer(s, args.timeout)
    report(status=status_of(out), closed=closed, got=len(out),
           elapsed="%.3f" % (time.monotonic() - t0))


def cmd_slowread(args):
    """Reads the answer at args.rate bytes a second for args.seconds."""
    t0 = time.monotonic()
    s = get_head(args, rcvbuf=65536)
    got, first, closed = 0, b"", "no"
    step = max(args.rate // 10, 1)
    while time.monotonic() - t0 < args.seconds:
        s.settimeout(5)
        try:
            d = s.recv(step)
        except socket.timeout:
            continue
        except ConnectionResetError:
            closed = "reset"
            break
        if not d:
            closed = "yes"
            break
        if len(first) < 12:
            first += d[:12]
        got += len(d)
        time.sleep(len(d) / args.rate)
    report(status=status_of(first), closed=closed, got=got,
           elapsed="%.3f" % (time.monotonic() - t0))


class Slow:
    __slots__ = ("sock", "sent", "out")


def cmd_slowloris(args):
    """N connections, each trickling an endless head one byte per
    interval, together or spread evenly over the interval (a heap of due
    times: the loop's work is per byte sent, not per connection)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.conns + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sel = selectors.DefaultSelector()
    # an endless head: the request line, Host, then header lines forever
    trickle = HEAD + b"".join(b"X-Slow-%d: loris\r\n" % i
                              for i in range(4096))
    stats = {"opened": 0, "closed": 0, "reset": 0, "bytes": 0}
    codes = {}
    due = []			# (when, serial, Slow)
    serial = [0]
    t0 = time.monotonic()
    end = t0 + args.seconds

    def open_one(when):
        c = Slow()
        c.sock = socket.socket()
        c.sock.setblocking(False)
        try:
            c.sock.connect(("127.0.0.1", args.port))
        except BlockingIOError:
            pass
        c.sent, c.out = 0, b""
        sel.register(c.sock, selectors.EVENT_READ, c)
        stats["opened"] += 1
        serial[0] += 1
        heapq.heappush(due, (when, serial[0], c))

    def finish(c, how):
        sel.unregister(c.sock)
        c.sock.close()
        if c.out:
            k = "s%d" % status_of(c.out)
            codes[k] = codes.get(k, 0) + 1
        stats[how] += 1
        if args.reconnect and time.monotonic() < end:
            open_one(time.monotonic() if not args.spread else
                     time.monotonic() + args.interval)

    for i in range(args.conns):
        open_one(t0 + (args.interval * i / args.conns if args.spread else 0))
    while time.monotonic() < end:
        now = time.monotonic()
        while due and due[0][0] <= now:
            when, n, c = heapq.heappop(due)
            if c.sock.fileno() < 0 or c.out:
                continue	# closed, or answered: it only waits
            try:
                c.sent += c.sock.send(trickle[c.sent % len(trickle):][:1])
                stats["bytes"] += 1
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                pass		# not connected yet, or cut: reads tell
            heapq.heappush(due, (when + args.interval, n, c))
        wait = min(due[0][0] - now, 0.05) if due else 0.05
        for key, _ in sel.select(timeout=max(wait, 0)):
            c = key.data
            try:
                d = c.sock.recv(4096)
            except ConnectionResetError:
                finish(c, "reset")
                continue
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                finish(c, "reset")
                continue
            if not d:
                finish(c, "closed")
            else:
                c.out += d
    still = sum(1 for k in sel.get_map().values())
    report(opened=stats["opened"], closed=stats["closed"],
           reset=stats["reset"], open=still, bytes=stats["bytes"],
           **dict(sorted(codes.items())),
           elapsed="%.3f" % (time.monotonic() - t0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--timeout", type=float, default=10.0,
                        help="seconds to wait for the answer and the close")
    sub = ap.add_subparsers(dest="cmd", required=True)
    add = sub.add_parser
    p = add("headers", parents=[common])
    p.add_argument("--lines", type=int, required=True)
    p.add_argument("--size", type=int, default=8192)
    p = add("tiny", parents=[common])
    p.add_argument("--count", type=int, required=True)
    p = add("reqline", parents=[common])
    p.add_argument("--size", type=int, required=True)
    p = add("endless", parents=[common])
    p.add_argument("--rate", type=int, default=1)
    p = add("chunksize", parents=[common])
    p.add_argument("--size", required=True)
    p = add("chunked", parents=[common])
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--max-bytes", type=int, default=1 << 30)
    p.add_argument("--stall", action="store_true")
    p = add("nonread", parents=[common])
    p.add_argument("--path", default="/")
    p.add_argument("--hold", type=float, required=True)
    p = add("slowread", parents=[common])
    p.add_argument("--path", default="/")
    p.add_argument("--rate", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p = add("slowloris", parents=[common])
    p.add_argument("--conns", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--reconnect", action="store_true")
    p.add_argument("--spread", action="store_true")
    args = ap.parse_args()
    globals()["cmd_" + args.cmd](args)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
