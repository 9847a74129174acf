#!/bin/bash
# 08-errors: the responses edged makes itself, each for its cause:
#   503 at once when the only member refuses connections
#   502 when the backend answers garbage, or closes without answering
#   504 when the backend accepts but never answers (timeout server 2s)
#   408 when a client sends half a head and stalls (timeout http-request)
#   431 for a 20 KB header
#   200 when one member refuses: the connect is retried on another one
. "$(dirname "$0")/lib.sh"
it_begin 08-errors

V_DOWN=$((IT_PORT + 0)) V_GARBAGE=$((IT_PORT + 1)) V_CLOSE=$((IT_PORT + 2)) V_HANG=$((IT_PORT + 3)) V_RETRY=$((IT_PORT + 4))
V_OK=$((IT_PORT + 5)) V_RCLOSE=$((IT_PORT + 6)) V_RHANG=$((IT_PORT + 7)) NG=$((IT_PORT + 10)) GARBAGE=$((IT_PORT + 11)) CLOSE=$((IT_PORT + 12))
HANG=$((IT_PORT + 13)) DEAD=$((IT_PORT + 90))
require_free_ports $V_DOWN $V_GARBAGE $V_CLOSE $V_HANG $V_RETRY $V_OK \
    $V_RCLOSE $V_RHANG $NG $GARBAGE $CLOSE $HANG $DEAD
nginx_backend ng $NG
py_backend garbage $GARBAGE garbage
py_backend closer $CLOSE close
py_backend hang $HANG hang

vs() {				# NAME PORT MEMBER-LINES
	cat <<CONF
pool p_$1 {
    algorithm round-robin
$3
}
virtual-server v_$1 {
    listen 127.0.0.1:$2
    profile web
    default-pool p_$1
}
CONF
}
{
	edged_conf_head
	echo 'application-profile web { type http; x-forwarded-for insert }'
	vs down $V_DOWN "    member dead 127.0.0.1:$DEAD"
	vs garbage $V_GARBAGE "    member garbage 127.0.0.1:$GARBAGE"
	vs close $V_CLOSE "    member closer 127.0.0.1:$CLOSE"
	vs hang $V_HANG "    member hang 127.0.0.1:$HANG"
	vs retry $V_RETRY "    member dead2 127.0.0.1:$DEAD
    member ng2 127.0.0.1:$NG"
	vs ok $V_OK "    member ng 127.0.0.1:$NG"
	vs rclose $V_RCLOSE "    member closer2 127.0.0.1:$CLOSE
    member ng3 127.0.0.1:$NG"
	# weight 256: every first pick is the silent member
	vs rhang $V_RHANG "    member hang2 127.0.0.1:$HANG weight 256
    member ng4 127.0.0.1:$NG"
} >"$T/edged.conf"
edged_start "$T/edged.conf" $V_DOWN $V_GARBAGE $V_CLOSE $V_HANG $V_RETRY $V_OK \
    $V_RCLOSE $V_RHANG

# timed URL: "STATUS MILLISECONDS"
timed() {
	local t0 code
	t0=$(now_ms)
	code=$(status_of "$@")
	echo "$code $(( $(now_ms) - t0 ))"
}

# ---- 503: nothing listens ----
read -r code ms < <(timed "http://127.0.0.1:$V_DOWN/")
assert_eq "status when the only member refuses connections" 503 "$code"
assert_le "milliseconds until that 503" "$ms" 500

# ---- 502: garbage, and a close without an answer ----
assert_eq "status when the backend answers garbage" 502 \
    "$(status_of "http://127.0.0.1:$V_GARBAGE/")"
assert_eq "status when the backend closes without answering" 502 \
    "$(status_of "http://127.0.0.1:$V_CLOSE/")"
assert_eq "requests the closing backend got (no blind replay)" 1 \
    "$(grep -c '^REQ' "$T/closer.log" || true)"

# ---- 504: the backend never answers ----
read -r code ms < <(timed "http://127.0.0.1:$V_HANG/")
assert_eq "status when the backend never answers" 504 "$code"
assert_between "milliseconds until that 504 (timeout server 2s)" "$ms" 1800 3500

# ---- 408: half a head, then nothing ----
printf 'GET /slow HTTP/1.1\r\nHost: t\r\nX-Half: ' |
    raw $V_OK --timeout 6 >"$T/408.txt" 2>"$T/408.err"
assert_match "answer to a stalled head" '^HTTP/1.1 408 ' "$(head -1 "$T/408.txt")"
el=$(sed -n 's/.*elapsed=\([0-9.]*\).*/\1/p' "$T/408.err")
assert_between "milliseconds until that 408 (timeout http-request 2s)" \
    "$(awk -v e="$el" 'BEGIN { printf "%d", e * 1000 }')" 1800 3500
assert_match "connection closed after the 408" 'closed=yes' "$(cat "$T/408.err")"

# ---- 431: a 20 KB header ----
big=$(head -c 20000 /dev/zero | tr '\0' a)
assert_eq "status for a 20 KB header" 431 \
    "$(status_of "http://127.0.0.1:$V_OK/big" -H "X-Big: $big")"
assert_eq "431 requests that reached the backend" 0 \
    "$(grep -c '"GET /big ' "$T/ng.access" || true)"
# a 10 KB header is fine
assert_eq "status for a 10 KB header" 200 \
    "$(status_of "http://127.0.0.1:$V_OK/ten" -H "X-Big: ${big:0:10000}")"

# ---- retry: one of two members refuses; clients never notice ----
curl -s --max-time 30 -o /dev/null -w '%{http_code}\n' -H 'Connection: close' \
    "http://127.0.0.1:$V_RETRY/r[1-20]" >"$T/retry"
assert_eq "200 answers with one member refusing (of 20)" 20 \
    "$(grep -c '^200$' "$T/retry" || true)"
assert_ge "connect failures edged counted on dead2" \
    "$(stat_of 'm("dead2")["errors"]')" 1
assert_eq "requests the live member served via v_retry" 20 \
    "$(grep -c '"GET /r[0-9]* ' "$T/ng.access" || true)"

# ---- retry when safe: a member that closes without answering, or never
# answers an idempotent request: the other member answers it ----
curl -s --max-time 30 -o /dev/null -w '%{http_code}\n' \
    "http://127.0.0.1:$V_RCLOSE/c[1-10]" >"$T/rclose"
assert_eq "200 answers with one member closing without a word (of 10)" 10 \
    "$(grep -c '^200$' "$T/rclose" || true)"
read -r code ms < <(timed "http://127.0.0.1:$V_RHANG/h1")
assert_eq "a GET the silent member did not answer: answered by the other" \
    200 "$code"
assert_ge "after timeout server (ms)" "$ms" 1800
# a POST is not idempotent: after timeout server it is not sent again
assert_eq "a POST the silent member did not answer: 504, not a retry" \
    504 "$(status_of "http://127.0.0.1:$V_RHANG/p1" -X POST -d '')"

# nothing generated ever reached a backend: nginx saw only what it served
assert_eq "5xx logged by nginx" 0 \
    "$(awk '$5 ~ /^5/' "$T/ng.access" | wc -l)"

pass
