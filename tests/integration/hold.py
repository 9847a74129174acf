#!/usr/bin/python3
"""tests/integration/hold.py - hold client connections open.

    hold.py PORT N [--request]

Opens N connections to 127.0.0.1:PORT.  With --request each sends one
keep-alive GET and reads its whole answer (so the connection is a real,
accepted, idle keep-alive client); without, it sends nothing.  Prints
"held N" (and with --request the status codes) once done, then keeps the
connections open until it is killed.
"""
import socket
import sys
import time


def request(s):
    s.sendall(b"GET /held HTTP/1.1\r\nHost: t\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            return "closed"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += s.recv(4096)
    return head.split(b" ")[1].decode()


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    with_request = "--request" in sys.argv[3:]
    socks, codes = [], []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        if with_request:
            codes.append(request(s))
        socks.append(s)
    print("held", len(socks), *codes, flush=True)
    while True:
        time.sleep(3600)


main()
