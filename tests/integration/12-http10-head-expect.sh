#!/bin/bash
# 12-http10-head-expect: an HTTP/1.0 client gets a correct answer (closed
# after it unless it asked for keep-alive, and never a 1xx); a HEAD
# answer has headers and no body and the connection stays usable; an
# upload with Expect: 100-continue gets its 100 at once and arrives whole.
# Whatever edged adds to a response head (Connection: close for a client
# that closes, keep-alive for an HTTP/1.0 one) fits however much body
# came with the head (a backend that sends no Connection header).
. "$(dirname "$0")/lib.sh"
it_begin 12-http10-head-expect

V_NG=$((IT_PORT + 0)) V_ECHO=$((IT_PORT + 1)) V_BLOB=$((IT_PORT + 2)) NG=$((IT_PORT + 10)) ECHO=$((IT_PORT + 11)) BLOB=$((IT_PORT + 12))
require_free_ports $V_NG $V_ECHO $V_BLOB $NG $ECHO $BLOB
nginx_backend ng $NG
py_backend echo $ECHO echo
BLOB_SIZE=200000
py_backend blob $BLOB blob --size $BLOB_SIZE

{
	edged_conf_head
	cat <<CONF
application-profile web { type http; x-forwarded-for insert }
pool p_ng {
    algorithm round-robin
    member ng 127.0.0.1:$NG
}
pool p_echo {
    algorithm round-robin
    member echo 127.0.0.1:$ECHO
}
virtual-server v_ng {
    listen 127.0.0.1:$V_NG
    profile web
    default-pool p_ng
}
virtual-server v_echo {
    listen 127.0.0.1:$V_ECHO
    profile web
    default-pool p_echo
}
pool p_blob {
    algorithm round-robin
    member blob 127.0.0.1:$BLOB
}
virtual-server v_blob {
    listen 127.0.0.1:$V_BLOB
    profile web
    default-pool p_blob
}
CONF
} >"$T/edged.conf"
edged_start "$T/edged.conf" $V_NG $V_ECHO $V_BLOB

# ---- HTTP/1.0 ----
curl -sv -0 --max-time 10 -o "$T/b10" "http://127.0.0.1:$V_NG/ten" \
    2>"$T/v10" || check_failed "curl -0 failed"
assert_eq "HTTP/1.0 body" ng "$(cat "$T/b10")"
assert_match "HTTP/1.0 request line sent" '^> GET /ten HTTP/1.0' "$(tr -d '\r' <"$T/v10")"
assert_match "HTTP/1.0 answer: status" '^< HTTP/1.[01] 200' "$(tr -d '\r' <"$T/v10")"
assert_match "HTTP/1.0 answer: Connection: close" '^< Connection: close$' \
    "$(tr -d '\r' <"$T/v10")"
assert_match "HTTP/1.0 answer: Content-Length" '^< Content-Length: 3$' \
    "$(tr -d '\r' <"$T/v10")"

# no Host is fine in HTTP/1.0; keep-alive on request; no 1xx ever
printf 'GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n' |
    raw $V_NG --timeout 4 >"$T/ka10" 2>"$T/ka10.err"
assert_eq "answers to two HTTP/1.0 keep-alive requests" 2 \
    "$(grep -ac '^HTTP/1.[01] 200' "$T/ka10" || true)"
assert_match "first HTTP/1.0 answer keeps the connection" \
    '^Connection: keep-alive$' "$(tr -d '\r' <"$T/ka10" | sed -n '1,/^$/p')"
assert_match "closed after the HTTP/1.0 request without keep-alive" 'closed=yes' \
    "$(cat "$T/ka10.err")"
assert_eq "Connection the backend saw for HTTP/1.0" 'conn="keep-alive"' \
    "$(grep -o 'conn="[^"]*"' "$T/ng.access" | sort -u | tr '\n' ' ' |
    sed 's/ $//')"
printf 'POST /e HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello' |
    raw $V_ECHO --timeout 4 >"$T/exp10" 2>"$T/exp10.err"
assert_match "HTTP/1.0 upload with Expect: first line" '^HTTP/1.1 200 ' \
    "$(head -1 "$T/exp10")"
assert_eq "1xx lines sent to an HTTP/1.0 client" 0 \
    "$(grep -ac '^HTTP/1.1 1' "$T/exp10" || true)"
assert_match "HTTP/1.0 upload body at the backend" 'len=5 ' "$(cat "$T/exp10")"

# ---- HEAD ----
printf 'HEAD /h HTTP/1.1\r\nHost: t\r\n\r\nGET /g HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' |
    raw $V_NG --timeout 4 >"$T/head" 2>"$T/head.err"
# the whole exchange: head, then the GET's head and its 3-byte body
assert_eq "answers to HEAD then GET" 2 "$(grep -ac '^HTTP/1.1 200' "$T/head" || true)"
first=$(tr -d '\r' <"$T/head" | sed -n '1,/^$/p')
assert_match "HEAD answer keeps Content-Length" '^Content-Length: 3$' "$first"
assert_eq "bytes after the GET's head (HEAD had no body)" "ng" \
    "$(tr -d '\r' <"$T/head" | awk 'p == 2 { print } /^$/ { p++ }')"
assert_match "closed after the GET" 'closed=yes' "$(cat "$T/head.err")"
curl -sv -I --max-time 10 "http://127.0.0.1:$V_NG/h1" --next \
    -o "$T/afterhead" "http://127.0.0.1:$V_NG/h2" 2>"$T/headv" >/dev/null ||
    check_failed "curl HEAD then GET failed"
assert_eq "GET after HEAD on one connection (curl)" ng "$(cat "$T/afterhead")"
assert_eq "curl reused the connection after HEAD" 1 \
    "$(grep -c 'Re-using existing connection' "$T/headv" || true)"

# ---- Expect: 100-continue ----
head -c 3000000 /dev/urandom >"$T/up.bin"
sha=$(sha256sum <"$T/up.bin" | cut -d' ' -f1)
t0=$(now_ms)
curl -sv --max-time 20 --data-binary @"$T/up.bin" -o "$T/exp" \
    "http://127.0.0.1:$V_ECHO/upload" 2>"$T/expv" ||
    check_failed "curl upload with Expect failed"
ms=$(( $(now_ms) - t0 ))
v=$(tr -d '\r' <"$T/expv")
assert_match "curl sent Expect: 100-continue" '^> Expect: 100-continue$' "$v"
assert_match "curl got 100 Continue" '^< HTTP/1.1 100 Continue$' "$v"
assert_match "curl's final status" '^< HTTP/1.1 200 ' "$v"
assert_no_match "curl gave up waiting for the 100" 'Done waiting for 100-continue' "$v"
assert_match "upload behind the 100 at the backend" \
    "len=3000000 sha256=$sha te=- cl=3000000 expect=100-continue " "$(cat "$T/exp")"
assert_le "milliseconds for the upload (curl waits 1000 without a 100)" "$ms" 900

# ---- a 200 KB answer arriving with its head, no Connection header ----
# (the backend writes head and body at once: edged's first read is full)
blob() {			# WHAT PATH [CURL-ARGS...]
	local what=$1 path=$2 out
	shift 2
	out=$(curl -s -D "$T/blob-h" -o "$T/blob" --max-time 10 \
	    -w '%{http_code} %{size_download}' "$@" \
	    "http://127.0.0.1:$V_BLOB$path" || true)
	assert_eq "$what: status and size" "200 $BLOB_SIZE" "$out"
	[ "$out" = "200 $BLOB_SIZE" ] || return 0
	assert_eq "$what: sha256" \
	    "$(tr -d '\r' <"$T/blob-h" | sed -n 's/^X-Body-Sha256: //p')" \
	    "$(sha256sum <"$T/blob" | cut -d' ' -f1)"
}
blob "HTTP/1.1 keep-alive client" /ka
blob "HTTP/1.1 client sending Connection: close" /close -H 'Connection: close'
blob "HTTP/1.0 client" /ten -0
blob "HTTP/1.0 client asking for keep-alive" /tenka -0 -H 'Connection: keep-alive'
blob "response delimited by the server's close" /eof

pass
