#!/bin/bash
# 09-smuggling: requests whose framing or head is ambiguous or malformed
# get 400 and a closed connection, and not one byte of them reaches the
# backend (its access log stays empty, edged's member counter stays 0);
# a valid pipelined pair is answered, in order.
. "$(dirname "$0")/lib.sh"
it_begin 09-smuggling

VIP=$((IT_PORT + 0)) NG=$((IT_PORT + 1))
require_free_ports $VIP $NG
nginx_backend ng $NG \
    'location /uri/ { add_header X-Backend ng always; return 200 "uri=$uri\n"; }'

one_pool_conf $VIP insert ng $NG >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP

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
