#!/bin/bash
# 07-websocket: an Upgrade: websocket request becomes a tunnel: a
# python3-websockets client talks through edged to a websockets echo
# server, text and binary, small and over 64 KB, both ways; closing it
# ends the session on both sides.  An upgrade the backend declines (it
# answers 200, not 101) leaves plain HTTP going on on that connection.
. "$(dirname "$0")/lib.sh"
it_begin 07-websocket

VIP=$((IT_PORT + 0)) WS=$((IT_PORT + 1)) V_NG=$((IT_PORT + 2)) NG=$((IT_PORT + 3))
require_free_ports $VIP $WS $V_NG $NG
py_backend ws $WS ws
nginx_backend ng $NG

{
	edged_conf_head
	cat <<CONF
application-profile web { type http; x-forwarded-for insert }
pool p {
    algorithm round-robin
    member ws 127.0.0.1:$WS
}
virtual-server v {
    listen 127.0.0.1:$VIP
    profile web
    default-pool p
}
pool p_ng {
    algorithm round-robin
    member ng 127.0.0.1:$NG
}
virtual-server v_ng {
    listen 127.0.0.1:$V_NG
    profile web
    default-pool p_ng
}
CONF
} >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP $V_NG

cat >"$T/client.py" <<'PY'
import asyncio, hashlib, sys, time
import websockets

async def main(port):
    msgs = [
        "hello",
        b"\x00\x01\x02binary",
        "x" * 70000,                                   # > 64 KB text
        bytes((i * 13) & 0xFF for i in range(300000)), # > 64 KB binary
    ] + ["message %d" % i for i in range(50)]
    ok = 0
    async with websockets.connect("ws://127.0.0.1:%d/chat" % port,
                                  max_size=None, open_timeout=5,
                                  close_timeout=5) as ws:
        # one at a time
        for m in msgs[:4]:
            await ws.send(m)
            r = await asyncio.wait_for(ws.recv(), 5)
            if r != m:
                print("MISMATCH one-by-one: sent %s %d, got %s %d" % (
                    type(m).__name__, len(m), type(r).__name__, len(r)))
                return 1
            ok += 1
        # many in flight at once, both ways at the same time
        for m in msgs:
            await ws.send(m)
        for m in msgs:
            r = await asyncio.wait_for(ws.recv(), 5)
            if r != m:
                print("MISMATCH in flight: sent %s %d, got %s %d" % (
                    type(m).__name__, len(m), type(r).__name__, len(r)))
                return 1
            ok += 1
        # a ping through the tunnel
        pong = await ws.ping()
        await asyncio.wait_for(pong, 5)
    print("OK %d echoed" % ok)
    return 0

sys.exit(asyncio.run(main(int(sys.argv[1]))))
PY
out=$("$PY" "$T/client.py" $VIP 2>&1) || true
assert_eq "websocket echo through edged" "OK 58 echoed" "$out"

# the handshake went through edged with its upgrade headers (the server
# logged the connection) and the tunnel ended with the client's close
assert_eq "websocket connections the server saw" 1 \
    "$(grep -c '^WS connection' "$T/ws.log" || true)"
for i in $(seq 1 40); do
	[ "$(stat_of 'vs("v")["current"]')" = 0 ] && break
	sleep 0.05
done
assert_eq "client connections still open after the close" 0 \
    "$(stat_of 'vs("v")["current"]')"
assert_eq "1xx responses counted (101)" 1 \
    "$(stat_of 'vs("v")["responses"]["1xx"]')"

# a plain request (no Upgrade): the websockets server's own refusal
# comes back as it is
assert_eq "plain HTTP request to the websocket server" 426 \
    "$(status_of "http://127.0.0.1:$VIP/plain")"

# ---- an upgrade the backend declines ----
# nginx answers an Upgrade request with a plain 200.  The connection is
# then plain HTTP again: a next request on it must be answered (or, at
# the least, edged must close right after the 200 and say so), whether
# it was pipelined or sent after the answer.  nginx alone answers both.
for how in pipelined after-the-answer; do
	sep=''
	[ "$how" = pipelined ] || sep='<<PAUSE>>'
	printf 'GET /up HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n%sGET /second HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' \
	    "$sep" | raw $V_NG --timeout 5 >"$T/declined" 2>"$T/declined.err"
	first=$(tr -d '\r' <"$T/declined" | sed -n '1,/^$/p')
	assert_match "declined upgrade ($how): first answer" '^HTTP/1.1 200 ' "$first"
	if grep -q '^Connection: close$' <<<"$first"; then
		it_log "declined upgrade ($how): edged closes after the 200"
	else
		assert_eq "declined upgrade ($how): answers on the kept connection" \
		    "200 200" "$(grep -ao '^HTTP/1.1 [0-9]*' "$T/declined" |
		    cut -d' ' -f2 | tr '\n' ' ' | sed 's/ $//')"
	fi
	el=$(sed -n 's/.*elapsed=\([0-9.]*\).*/\1/p' "$T/declined.err")
	assert_le "declined upgrade ($how): ms until the connection closed" \
	    "$(awk -v e="$el" 'BEGIN { printf "%d", e * 1000 }')" 1500
done

pass
