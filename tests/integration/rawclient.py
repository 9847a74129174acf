#!/usr/bin/python3
"""tests/integration/rawclient.py - send bytes exactly as given.

    rawclient.py PORT [--timeout S]  < request

Connects to 127.0.0.1:PORT, sends stdin's bytes unchanged (no
normalisation of line endings, no framing), then prints to stdout what
the server sends back until it closes the connection or --timeout
seconds pass without it closing (a request cut short is a client that
stalls: the connection stays open meanwhile).
The marker <<PAUSE>> in the input splits it: each part is sent after
the previous one with a pause of --pause seconds (0.5), so that the
server sees them in separate reads.
On stderr: "elapsed=SECONDS closed=yes|no" so that a test can tell how
fast an answer came and whether the server closed.
"""
import argparse
import socket
import sys
import time

from hostile import answer_until


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--pause", type=float, default=0.5)
    args = ap.parse_args()
    data = sys.stdin.buffer.read()
    s = socket.create_connection(("127.0.0.1", args.port), timeout=5)
    t0 = time.monotonic()
    parts = data.split(b"<<PAUSE>>")
    for i, part in enumerate(parts):
        if i > 0:
            time.sleep(args.pause)
        s.sendall(part)
    out, closed = answer_until(s, t0 + args.timeout)
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    print("elapsed=%.3f closed=%s" % (time.monotonic() - t0, closed),
          file=sys.stderr)


if __name__ == "__main__":
    main()
