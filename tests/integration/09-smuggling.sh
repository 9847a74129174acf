#!/bin/bash
# 09-smuggling: requests whose framing or head is ambiguous or malformed
# (outside RFC 9112's grammar, whatever llhttp accepts) get 400 at once and
# a closed connection, and not one byte of them reaches the backend (its
# access log stays empty, edged's member counter stays 0); a valid
# pipelined pair is answered, in order, and valid but unusual heads (a
# tab or obs-text in a value, an empty value, absolute-form, OPTIONS *)
# reach the backend.
. "$(dirname "$0")/lib.sh"
it_begin 09-smuggling

VIP=$((IT_PORT + 0)) NG=$((IT_PORT + 1))
require_free_ports $VIP $NG
nginx_backend ng $NG \
    'location /uri/ { add_header X-Backend ng always; return 200 "uri=$uri\n"; }'

# a long header timeout: each 400 below must come from the request's
# bytes themselves (raw gives up after 4 s), never from the timeout
TMO_HTTP_REQUEST=30s one_pool_conf $VIP insert ng $NG >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP

# over edged's limit on a request-target (8192 bytes)
LONG=$(head -c 9000 /dev/zero | tr '\0' a)
CH='POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n'

# NAME|printf format of the raw request (\r\n spelled out)
CASES=(
"CL and TE together|POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /uri/smuggled HTTP/1.1\r\nHost: t\r\n\r\n"
"TE and CL together|POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"
"two different Content-Lengths|POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"
"Content-Length list|POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 6\r\n\r\nhello!"
"negative Content-Length|POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\nhello"
"Transfer-Encoding gzip|POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\nhello"
"Transfer-Encoding chunked, gzip|POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"
"Transfer-Encoding on HTTP/1.0|POST / HTTP/1.0\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
"bare LF line endings|GET / HTTP/1.1\nHost: t\n\n"
"bare LF after the request line|GET / HTTP/1.1\nHost: t\r\n\r\n"
"obs-fold continuation|GET / HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n b\r\n\r\n"
"space before colon|GET / HTTP/1.1\r\nHost: t\r\nX-Foo : a\r\n\r\n"
"space before colon in Transfer-Encoding|POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"
"invalid chunk size|POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
"missing Host in HTTP/1.1|GET / HTTP/1.1\r\nUser-Agent: t\r\n\r\n"
"two Host headers|GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"
"empty field name|GET / HTTP/1.1\r\nHost: t\r\n: v\r\n\r\n"
"space in a field name|GET / HTTP/1.1\r\nHost: t\r\nX Y: 1\r\n\r\n"
"non-tchar in a field name|GET / HTTP/1.1\r\nHost: t\r\nX@Y: 1\r\n\r\n"
"NUL in a field value|GET / HTTP/1.1\r\nHost: t\r\nX: a\000b\r\n\r\n"
"control byte in a field value|GET / HTTP/1.1\r\nHost: t\r\nX: a\001b\r\n\r\n"
"DEL in a field value|GET / HTTP/1.1\r\nHost: t\r\nX: a\177b\r\n\r\n"
"bare CR in a field value|GET / HTTP/1.1\r\nHost: t\r\nX: a\rb\r\n\r\n"
"chunk size of 16 F's (2^64-1)|${CH}ffffffffffffffff\r\nhello\r\n0\r\n\r\n"
"chunk size of 17 F's|${CH}fffffffffffffffff\r\nhello\r\n0\r\n\r\n"
"chunk size above 2^62|${CH}4000000000000001\r\nhello\r\n0\r\n\r\n"
"chunk size with leading garbage|${CH}x5\r\nhello\r\n0\r\n\r\n"
"chunk size with a leading space|${CH} 5\r\nhello\r\n0\r\n\r\n"
"chunk extension with a control byte|${CH}5;a=\001\r\nhello\r\n0\r\n\r\n"
"empty trailer field name|${CH}5\r\nhello\r\n0\r\n: v\r\n\r\n"
"space in a trailer field name|${CH}5\r\nhello\r\n0\r\nX Y: 1\r\n\r\n"
"Content-Length with a plus sign|POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\nhello"
"Content-Length with a space inside|POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1 2\r\n\r\nhello"
"Content-Length of 20 digits|POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 12345678901234567890\r\n\r\nhello"
"Content-Length above 2^62|POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4611686018427387905\r\n\r\nhello"
"space in the request-target|GET /a b HTTP/1.1\r\nHost: t\r\n\r\n"
"control byte in the request-target|GET /a\001b HTTP/1.1\r\nHost: t\r\n\r\n"
"raw UTF-8 in the request-target|GET /caf\303\251 HTTP/1.1\r\nHost: t\r\n\r\n"
"two spaces after the method|GET  / HTTP/1.1\r\nHost: t\r\n\r\n"
"request-target over the limit|GET /$LONG HTTP/1.1\r\nHost: t\r\n\r\n"
"asterisk-form with GET|GET * HTTP/1.1\r\nHost: t\r\n\r\n"
"authority-form with GET|GET t:80 HTTP/1.1\r\nHost: t\r\n\r\n"
"version HTTP/1.2|GET / HTTP/1.2\r\nHost: t\r\n\r\n"
"version HTTP/2.0|GET / HTTP/2.0\r\nHost: t\r\n\r\n"
"version http/1.1|GET / http/1.1\r\nHost: t\r\n\r\n"
"method with a non-token byte|G@T / HTTP/1.1\r\nHost: t\r\n\r\n"
"Host with a space|GET / HTTP/1.1\r\nHost: a b\r\n\r\n"
"Host with two ports|GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n"
"HTTP/0.9 request line|GET /\r\n"
"HTTP/0.9 request line, then a head|GET /\r\nHost: t\r\n\r\n"
)

for c in "${CASES[@]}"; do
	name=${c%%|*}
	fmt=${c#*|}
	# shellcheck disable=SC2059
	printf "$fmt" | raw $VIP --timeout 4 >"$T/out" 2>"$T/err" || true
	assert_match "$name: status line" '^HTTP/1.1 400 ' "$(head -1 "$T/out")"
	assert_match "$name: connection closed after the 400" 'closed=(yes|reset)' \
	    "$(cat "$T/err")"
	n=$(access_count ng)
	if [ "$n" != 0 ]; then
		check_failed "$name: reached the backend: $(cat "$T/ng.access")"
		: >"$T/ng.access"
	fi
done
assert_eq "requests edged counted on the member" 0 \
    "$(stat_of 'm("ng")["requests"]')"
assert_eq "400 responses counted" "${#CASES[@]}" \
    "$(stat_of 'vs("v")["responses"]["4xx"]')"
assert_eq "requests counted" "${#CASES[@]}" \
    "$(stat_of 'vs("v")["requests"]')"

# valid, if unusual: each reaches the backend, once.
# NAME|the backend's answer ("-": any; nginx may refuse "*" itself)|format
VALID=(
"tab inside a field value|uri=/uri/tab|GET /uri/tab HTTP/1.1\r\nHost: t\r\nX: a\tb\r\nConnection: close\r\n\r\n"
"obs-text in a field value|uri=/uri/obs|GET /uri/obs HTTP/1.1\r\nHost: t\r\nX: caf\303\251 \200\377\r\nConnection: close\r\n\r\n"
"empty field value|uri=/uri/empty|GET /uri/empty HTTP/1.1\r\nHost: t\r\nX:\r\nConnection: close\r\n\r\n"
"absolute-form|uri=/uri/abs|GET http://t/uri/abs HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
"OPTIONS *|-|OPTIONS * HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
"chunk extension and trailer|uri=/uri/chunks|POST /uri/chunks HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5;name=\"v a\"\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n"
"Host with an IPv6 literal and a port|uri=/uri/v6|GET /uri/v6 HTTP/1.1\r\nHost: [::1]:80\r\nConnection: close\r\n\r\n"
)
for c in "${VALID[@]}"; do
	name=${c%%|*}
	rest=${c#*|}
	want=${rest%%|*}
	fmt=${rest#*|}
	: >"$T/ng.access"
	# shellcheck disable=SC2059
	printf "$fmt" | raw $VIP --timeout 4 >"$T/out" 2>"$T/err" || true
	assert_eq "$name: requests at the backend" 1 "$(access_count ng)"
	if [ "$want" = - ]; then
		assert_match "$name: answered" '^HTTP/1.1 [0-9]{3} ' \
		    "$(head -1 "$T/out")"
	else
		assert_match "$name: status line" '^HTTP/1.1 200 ' \
		    "$(head -1 "$T/out")"
		assert_eq "$name: the backend's answer" "$want" \
		    "$(grep -a '^uri=' "$T/out" || true)"
	fi
done

# A bad chunk that comes after the head already went to the backend: edged
# streams, so the backend has the head (and may answer it); but the bad
# bytes and what follows them must never reach it, above all not as a
# request of their own, and the connection must end.
: >"$T/ng.access"
printf 'POST /uri/streamed HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n<<PAUSE>>zz\r\n\r\nGET /uri/smuggled HTTP/1.1\r\nHost: t\r\n\r\n' |
    raw $VIP --timeout 4 >"$T/out" 2>"$T/err" || true
assert_match "bad chunk after the head went out: connection closed" \
    'closed=(yes|reset)' "$(cat "$T/err")"
assert_eq "requests after a bad chunk that reached the backend" 0 \
    "$(grep -c smuggled "$T/ng.access" || true)"
assert_le "requests the backend saw for a bad chunk after the head" \
    "$(access_count ng)" 1

# a valid pipelined pair, sent in one write: two answers, in order
printf 'GET /uri/first HTTP/1.1\r\nHost: t\r\n\r\nGET /uri/second HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' |
    raw $VIP --timeout 4 >"$T/pipe" 2>"$T/pipe.err"
assert_eq "answers to a pipelined pair" 2 \
    "$(grep -c '^HTTP/1.1 200' "$T/pipe" || true)"
assert_eq "order of the pipelined answers" "uri=/uri/first uri=/uri/second" \
    "$(grep -a '^uri=' "$T/pipe" | tr '\n' ' ' | sed 's/ $//')"
assert_match "connection closed after Connection: close" 'closed=yes' \
    "$(cat "$T/pipe.err")"

pass
