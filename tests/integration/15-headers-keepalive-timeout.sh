#!/bin/bash
# 15-headers-keepalive-timeout: what the backend sees of the client's
# headers (X-Forwarded-For inserted or not, an existing one kept, headers
# the client's Connection header names removed, framing headers never
# removed), what the client sees of the backend's hop-by-hop headers, and
# the keep-alive timeout closing an idle client connection.
. "$(dirname "$0")/lib.sh"
it_begin 15-headers-keepalive-timeout

VX=$((IT_PORT + 0)) VN=$((IT_PORT + 1)) NG=$((IT_PORT + 2))
require_free_ports $VX $VN $NG
nginx_backend ng $NG '
        location /hop { add_header X-Hop server-hop always;
            add_header Connection "X-Hop" always;
            return 200 "hop=$http_x_hop foo=$http_x_foo\n"; }'

{
	edged_conf_head "timeout keep-alive 1s"
	cat <<CONF
application-profile xff { type http; x-forwarded-for insert }
application-profile plain { type http; x-forwarded-for none }
pool p {
    algorithm round-robin
    member ng 127.0.0.1:$NG
}
virtual-server x {
    listen 127.0.0.1:$VX
    profile xff
    default-pool p
}
virtual-server n {
    listen 127.0.0.1:$VN
    profile plain
    default-pool p
}
CONF
} >"$T/edged.conf"
edged_start "$T/edged.conf" $VX $VN

last_xff() { tail -1 "$T/ng.access" | grep -o 'xff="[^"]*"'; }

get "http://127.0.0.1:$VX/a" >/dev/null
assert_eq "X-Forwarded-For inserted" 'xff="127.0.0.1"' "$(last_xff)"
get "http://127.0.0.1:$VX/b" -H 'X-Forwarded-For: 198.51.100.7' >/dev/null
assert_eq "an existing X-Forwarded-For is kept, ours added" \
    'xff="198.51.100.7, 127.0.0.1"' "$(last_xff)"
get "http://127.0.0.1:$VN/c" >/dev/null
assert_eq "x-forwarded-for none: nothing inserted (nginx logs -)" 'xff="-"' "$(last_xff)"

# Connection names X-Hop: the backend must not see it; X-Foo is kept.
body=$(get "http://127.0.0.1:$VN/hop" -H 'Connection: keep-alive, X-Hop' \
    -H 'X-Hop: client-hop' -H 'X-Foo: kept')
assert_eq "headers named by Connection removed, others kept" \
    "hop= foo=kept" "$body"
# and the backend's X-Hop, named by its own Connection, never reaches us
headers=$(curl -s -D - -o /dev/null --max-time 5 "http://127.0.0.1:$VN/hop")
assert_no_match "the backend's Connection-named header removed" \
    '^X-Hop:' "$headers"
assert_no_match "the backend's Connection header removed" \
    '^Connection: X-Hop' "$headers"

# Connection naming Content-Length must not unframe the body.
printf 'POST /cl HTTP/1.1\r\nHost: t\r\nConnection: Content-Length\r\nContent-Length: 5\r\n\r\nhello' |
    raw $VN --timeout 2 >"$T/out" 2>"$T/err" || true
assert_match "a body framed by a Connection-named length still answered" \
    '^HTTP/1.1 200 ' "$(head -1 "$T/out")"
assert_match "the backend saw the Content-Length" 'cl="5"' \
    "$(grep '/cl' "$T/ng.access")"

# An idle keep-alive client is closed after timeout keep-alive (1 s).
printf 'GET /idle HTTP/1.1\r\nHost: t\r\n\r\n' |
    raw $VN --timeout 5 >"$T/out" 2>"$T/err" || true
assert_match "answered" '^HTTP/1.1 200 ' "$(head -1 "$T/out")"
assert_match "then closed by edged" 'closed=yes' "$(cat "$T/err")"
elapsed=$(sed -n 's/.*elapsed=\([0-9.]*\).*/\1/p' "$T/err")
assert_match "after about the keep-alive timeout (s)" \
    '^(0\.[89]|1\.[0-9]|2\.[0-4])' "$elapsed"

pass
