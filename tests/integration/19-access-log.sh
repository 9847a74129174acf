#!/bin/bash
# 19-access-log: one line per request, text (HAProxy-like) and JSON,
# matching the requests made: client, virtual server, pool/member,
# timers, status, bytes, termination state, request line.
. "$(dirname "$0")/lib.sh"
it_begin 19-access-log

VT=$((IT_PORT + 0)) VJ=$((IT_PORT + 1)) NG=$((IT_PORT + 2)) VS=$((IT_PORT + 3))
require_free_ports $VT $VJ $NG $VS
nginx_backend ng $NG 'location /missing { return 404 "no\n"; }'

# a syslog receiver: a datagram socket, as /dev/log is
"$PY" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536) + b"\n")
' "$T/syslog.sock" "$T/syslog.out" &
IT_PIDS+=("$!")
for _ in $(seq 50); do [ -S "$T/syslog.sock" ] && break; sleep 0.05; done

{
	edged_conf_head
	cat <<CONF
application-profile web { type http; x-forwarded-for none }
pool p {
    algorithm round-robin
    member ng 127.0.0.1:$NG
}
virtual-server t {
    listen 127.0.0.1:$VT
    profile web
    default-pool p
    access-log $T/t.log
}
virtual-server j {
    listen 127.0.0.1:$VJ
    profile web
    default-pool p
    access-log $T/j.log json
}
virtual-server s {
    listen 127.0.0.1:$VS
    profile web
    default-pool p
    access-log syslog:$T/syslog.sock
}
CONF
} >"$T/edged.conf"
edged_start "$T/edged.conf" $VT $VJ $VS

# the harness's readiness probes made no request: no line yet
curl -sS --max-time 10 -o /dev/null "http://127.0.0.1:$VT/ok[1-5]" \
    "http://127.0.0.1:$VT/missing?x=1"
printf 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n' | raw $VT --timeout 2 \
    >/dev/null 2>&1 || true
curl -sS --max-time 10 -o /dev/null "http://127.0.0.1:$VJ/json[1-3]"
sleep 0.5			# lines reach the file within 100 ms

assert_eq "text lines" 7 "$(grep -c . "$T/t.log")"
line=$(grep '"GET /ok1 ' "$T/t.log")
assert_match "a 200 line" \
    '^127\.0\.0\.1:[0-9]+ \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:.]+\] t p/ng [0-9]+/0/[0-9]+/[0-9]+/[0-9]+ 200 [0-9]+ -- "GET /ok1 HTTP/1.1"$' \
    "$line"
assert_match "the 404 line" ' 404 [0-9]+ -- "GET /missing\?x=1 HTTP/1.1"$' \
    "$(grep missing "$T/t.log")"
assert_match "the refused request: 400, no member, PR" \
    ' t p/- [0-9]+/0/-1/-1/[0-9]+ 400 [0-9]+ PR "GET / HTTP/1.1"$' \
    "$(grep ' 400 ' "$T/t.log")"
# bytes: what curl received for /ok1 (head + body)
bytes=$(curl -s -o /dev/null -w '%{size_header} %{size_download}' \
    "http://127.0.0.1:$VT/ok1" | awk '{ print $1 + $2 }')
sleep 0.3
assert_match "bytes logged are the bytes sent" " 200 $bytes -- \"GET /ok1 " \
    "$(tail -1 "$T/t.log")"

assert_eq "json lines" 3 "$(grep -c . "$T/j.log")"
"$PY" - "$T/j.log" <<'PYCHECK' || fail "json lines: $(cat "$T/j.log")"
import json, sys
for n, line in enumerate(open(sys.argv[1]), 1):
    r = json.loads(line)
    assert r["virtual_server"] == "j" and r["pool"] == "p", r
    assert r["member"] == "ng" and r["status"] == 200, r
    assert r["request"] == "GET /json%d HTTP/1.1" % n, r
    assert r["termination"] == "--" and r["bytes"] > 0, r
    assert set(r["timers"]) == {"request", "queue", "connect",
                                "response", "total"}, r
    assert r["time"].endswith("Z") and r["client"].startswith("127.0.0.1:")
PYCHECK

# syslog: one datagram per line, local0.info, from edged
curl -sS --max-time 10 -o /dev/null "http://127.0.0.1:$VS/sys[1-2]"
sleep 0.5
assert_eq "syslog datagrams" 2 "$(grep -c . "$T/syslog.out")"
assert_match "a syslog line" \
    '^<134>edged\[[0-9]+\]: 127\.0\.0\.1:[0-9]+ \[[^]]+\] s p/ng [0-9/-]+ 200 [0-9]+ -- "GET /sys1 HTTP/1.1"$' \
    "$(head -1 "$T/syslog.out")"

pass
