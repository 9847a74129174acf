#!/usr/bin/python3
"""tests/integration/feedserver.py - an HTTPS server of feeds, for the
scenarios of fed address-groups (65-feeds-https).

    feedserver.py --listen ADDR:PORT --dir DIR --cert PEM --key PEM
                  --log FILE [--token TOKEN --protect NAME...]
                  [--plain NAME...]

Serves DIR/NAME for GET /NAME, as a feed publisher does: an ETag (a hash
of the bytes) and a Last-Modified (the file's time) on each answer, 304
to a GET whose If-None-Match names the current ETag; a NAME given to
--plain is served without them (as some publishers do).  With --token, a
GET of a NAME given to --protect without "Authorization: Bearer TOKEN"
gets 401.  DIR/NAME.status,
when it exists, holds a status to answer instead (500, say: a broken
publisher).  Each GET is logged to FILE as one line:

    GET /NAME STATUS inm=ETAG-ASKED-OR-- auth=yes|no|-

(the token itself is never written).  Stops on SIGTERM.
"""
import argparse
import hashlib
import http.server
import os
import signal
import socketserver
import ssl
import sys
import threading
from email.utils import formatdate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--token")
    ap.add_argument("--protect", action="append", default=[])
    ap.add_argument("--plain", action="append", default=[])
    a = ap.parse_args()
    host, port = a.listen.rsplit(":", 1)
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def note(self, status, auth):
            inm = self.headers.get("If-None-Match") or "-"
            with lock, open(a.log, "a") as f:
                f.write("GET %s %d inm=%s auth=%s\n" %
                        (self.path, status, inm, auth))

        def answer(self, status, body=b"", headers=()):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def do_GET(self):
            name = os.path.basename(self.path.split("?", 1)[0])
            path = os.path.join(a.dir, name)
            auth = "-"
            if a.token is not None and name in a.protect:
                ok = (self.headers.get("Authorization") ==
                      "Bearer " + a.token)
                auth = "yes" if ok else "no"
                if not ok:
                    self.note(401, auth)
                    return self.answer(401, b"who are you?\n")
            try:
                with open(path + ".status") as f:
                    status = int(f.read().strip())
                self.note(status, auth)
                return self.answer(status, b"broken\n")
            except FileNotFoundError:
                pass
            try:
                with open(path, "rb") as f:
                    body = f.read()
                mtime = os.stat(path).st_mtime
            except (FileNotFoundError, IsADirectoryError):
                self.note(404, auth)
                return self.answer(404, b"no such feed\n")
            etag = '"%s"' % hashlib.sha1(body).hexdigest()[:16]
            headers = [("ETag", etag),
                       ("Last-Modified", formatdate(mtime, usegmt=True)),
                       ("Content-Type", "text/plain")]
            if name in a.plain:
                headers = headers[2:]
            elif self.headers.get("If-None-Match") == etag:
                self.note(304, auth)
                return self.answer(304, headers=headers[:2])
            self.note(200, auth)
            self.answer(200, body, headers)

    class Server(http.server.ThreadingHTTPServer):
        # without http.server's reverse lookup of the address, which
        # waits for a DNS server a namespace cannot reach
        def server_bind(self):
            socketserver.TCPServer.server_bind(self)
            self.server_name, self.server_port = self.server_address[:2]

    srv = Server((host, int(port)), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    srv.serve_forever()


if __name__ == "__main__":
    main()
