#!/bin/sh
# tests/unit/lb/hello/capture.sh - the ClientHello fixtures of
# tests/unit/lb/test_tls_hello.c.
#
#     sh tests/unit/lb/hello/capture.sh          capture, then derive
#     sh tests/unit/lb/hello/capture.sh derive   derive only
#
# Capture: each client below connects to a one-shot listener on
# 127.0.0.1 (python3, below) that reads the records holding the whole
# ClientHello, writes exactly those bytes to NAME.bin, and closes; the
# client then fails its handshake, which is expected.  Every capture
# holds fresh random values (random, key shares), so running this again
# changes every file; the tests only rely on their structure.
#
# Derive: derive.py makes every other fixture from the captures by
# decoding and re-encoding them (fragmented, ECH, hostile, ...); see
# README.md for the list.  Needs openssl, curl, wget (GnuTLS) and
# /usr/bin/python3; the unit test needs none of them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# listen NAME: a one-shot listener writing NAME.bin; its port goes to
# $tmp/port once it listens.
listen() {
	rm -f "$tmp/port"
	"$py" - "$here/$1.bin" "$tmp/port" <<'PY' &
import os, socket, sys

out, portfile = sys.argv[1], sys.argv[2]
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
with open(portfile + ".new", "w") as f:
    f.write(str(srv.getsockname()[1]))
os.rename(portfile + ".new", portfile)
srv.settimeout(10)
conn, _ = srv.accept()
conn.settimeout(1)
data = b""

def hello_end(data):
    """End of the records holding the whole ClientHello, or None."""
    pos, hs = 0, b""
    while pos + 5 <= len(data):
        n = int.from_bytes(data[pos + 3:pos + 5], "big")
        if data[pos] != 22 or pos + 5 + n > len(data):
            return None
        hs += data[pos + 5:pos + 5 + n]
        pos += 5 + n
        if len(hs) >= 4 and len(hs) >= 4 + int.from_bytes(hs[1:4], "big"):
            return pos
    return None

try:
    while hello_end(data) is None:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
end = hello_end(data)
if end is None:
    sys.exit("%s: no whole ClientHello in %d bytes" % (out, len(data)))
with open(out, "wb") as f:
    f.write(data[:end])
conn.close()
PY
	pid=$!
	while [ ! -s "$tmp/port" ]; do
		sleep 0.05
	done
	port=$(cat "$tmp/port")
}

# capture NAME 'CLIENT COMMAND': $port in the command is the listener's.
capture() {
	listen "$1"
	eval "$2" </dev/null >"$tmp/client.log" 2>&1 || true
	wait "$pid"
	echo "captured $1.bin ($(wc -c <"$here/$1.bin") bytes)"
}

# A TLS 1.3 session from a real server, for a resumption hello with a
# pre_shared_key extension (which must be the last one).
session() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -subj /CN=app.example.com -days 1 \
	    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
	# s_server ends at the end of its stdin: keep it open a while
	(sleep 3 | openssl s_server -accept 127.0.0.1:0 -naccept 1 -tls1_3 \
	    -cert "$tmp/cert.pem" -key "$tmp/key.pem" \
	    >"$tmp/server.log" 2>&1) &
	spid=$!
	while ! grep -q '^ACCEPT' "$tmp/server.log" 2>/dev/null; do
		sleep 0.05
	done
	sport=$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$tmp/server.log")
	# the tickets come after the handshake: stay a second for them
	(sleep 1; echo Q) | openssl s_client -connect "127.0.0.1:$sport" \
	    -servername app.example.com -tls1_3 -sess_out "$tmp/sess.pem" \
	    >/dev/null 2>&1 || true
	wait "$spid"
}

if [ "${1:-}" != derive ]; then
	ssl='openssl s_client -connect 127.0.0.1:$port'
	capture openssl-tls12-sni "$ssl -tls1_2 -servername app.example.com"
	capture openssl-tls12-nosni "$ssl -tls1_2 -noservername"
	capture openssl-tls13-sni "$ssl -tls1_3 -servername app.example.com"
	capture openssl-tls13-nosni "$ssl -tls1_3 -noservername"
	capture openssl-alpn \
	    "$ssl -servername app.example.com -alpn h2,http/1.1"
	capture openssl-upper-dot "$ssl -servername App.Example.COM."
	session
	capture openssl-resume \
	    "$ssl -servername app.example.com -sess_in $tmp/sess.pem"
	capture curl 'curl -s --max-time 3 \
	    --resolve app.example.com:$port:127.0.0.1 \
	    https://app.example.com:$port/'
	capture gnutls-wget 'wget -q -t 1 -T 3 -O /dev/null \
	    https://localhost:$port/'
	capture python '$py -c "import socket, ssl
c = ssl.create_default_context()
c.set_alpn_protocols([\"http/1.1\"])
s = c.wrap_socket(socket.create_connection((\"127.0.0.1\", $port)),
    server_hostname=\"python.example.org\")"'
fi
"$py" "$here/derive.py" "$here"
