#!/bin/bash
# 39-hostile-http: hostile clients and faulty members, each answered
# (4xx, or a close), counted, and none of them growing the worker's memory:
#   - heads too large in every way: 8 KiB header lines up to the head limit
#     (200) and past it (431), 10,000 tiny headers (431; 1,000 fit: 200),
#     a 1 MiB request line (431: the head limit), a header line that never
#     ends (431 at the head limit when fast, 408 at timeout http-request
#     when slow), chunk sizes of 2^64 and more (400)
#   - a chunked body that does not end: streamed whole to a member that
#     reads it, in bounded buffers; stalled, it is cut by timeout client
#     (408)
#   - slowloris: connections trickling a head a byte a second are cut by
#     timeout http-request (408) while normal requests are served
#   - a client that never reads a 100 MiB answer, and one that reads it
#     slowly: bounded buffers; the silent one is cut by timeout client and
#     the member is not blamed for the client's stall
#   - members that reset: mid-body (the client sees the body cut short,
#     never a hang) and before any byte (502, or, for a request that may
#     go elsewhere, another member's answer)
#   - a member slower than timeout client still answers within timeout
#     server: the client waits on it
# After a warm-up that reaches the worker's high-water mark (a thread keeps
# up to 256 free 16 KiB buffers, and malloc keeps what it freed), the
# worker's RSS after each case stays within 10% or 2 MiB of what it was
# before (an ASan build's quarantine holds freed memory: 16 MiB there),
# slowloris's first round within a thread's buffer pool more, and an
# identical second round of it adds nothing; the figures are printed.
. "$(dirname "$0")/lib.sh"
it_begin 39-hostile-http

V=$((IT_PORT + 0)) V_ECHO=$((IT_PORT + 1)) V_MID=$((IT_PORT + 2))
V_RST=$((IT_PORT + 3)) V_RETRY=$((IT_PORT + 4)) V_SLOW=$((IT_PORT + 5))
NG=$((IT_PORT + 10)) ECHO=$((IT_PORT + 11)) MID=$((IT_PORT + 12))
RST=$((IT_PORT + 13)) SLOW=$((IT_PORT + 14))
require_free_ports $V $V_ECHO $V_MID $V_RST $V_RETRY $V_SLOW $NG $ECHO $MID \
    $RST $SLOW

# 100 MiB that take no disk: a sparse file nginx serves
mkdir -p "$T/www"
truncate -s 100M "$T/www/big"
chmod -R a+rX "$T/www"
nginx_backend ng $NG "location /big { root $T/www; }"
py_backend echo $ECHO echo
MID_SIZE=$((4 << 20))
py_backend mid $MID resetmid --size $MID_SIZE
py_backend rst $RST reset
py_backend slow $SLOW slow

# timeout server (2 s) shorter than timeout client (3 s): a client that
# stops reading must still be the client's timeout, not the member's
TMO_HTTP_REQUEST=3s
vs() {				# NAME PORT MEMBER-LINES
	printf 'pool p_%s {\n    algorithm round-robin\n%s\n}\n' "$1" "$3"
	printf 'virtual-server %s {\n    listen 127.0.0.1:%s\n' "$1" "$2"
	printf '    profile web\n    default-pool p_%s\n' "$1"
	printf '    access-log %s/access.log\n}\n' "$T"
}
{
	edged_conf_head "timeout client 3s"
	echo 'application-profile web { type http; x-forwarded-for insert }'
	vs v $V "    member ng 127.0.0.1:$NG"
	vs v_echo $V_ECHO "    member echo 127.0.0.1:$ECHO"
	vs v_mid $V_MID "    member mid 127.0.0.1:$MID"
	vs v_rst $V_RST "    member rst 127.0.0.1:$RST"
	# weight 256: every first pick is the member that resets
	vs v_retry $V_RETRY "    member rst2 127.0.0.1:$RST weight 256
    member ng2 127.0.0.1:$NG"
	vs v_slow $V_SLOW "    member slow 127.0.0.1:$SLOW"
} >"$T/edged.conf"
edged_start "$T/edged.conf" $V $V_ECHO $V_MID $V_RST $V_RETRY $V_SLOW
W=$(edged_worker_pid)

# fewer and smaller under a sanitizer, several times slower
if [ "$IT_SANITIZED" = 1 ]; then
	LORIS=100 CHUNKED_MAX=$((64 << 20)) SLACK_KIB=16384 SLACK_PCT=25
else
	LORIS=300 CHUNKED_MAX=$((256 << 20)) SLACK_KIB=2048 SLACK_PCT=10
fi

hostile() {			# PORT COMMAND [OPTIONS...]
	"$PY" "$IT_DIR/hostile.py" "$@"
}

# field NAME LINE: the value of NAME=... in hostile.py's output LINE
field() {
	grep -o "\(^\| \)$1=[^ ]*" <<<"$2" | cut -d= -f2
}

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$W/status"
}

# rss_case NAME BEFORE-KIB [MORE-KIB]: prints the case's figures and
# checks them (MORE: what the case may keep beyond the slack, by design)
rss_case() {
	local now slack
	now=$(rss_kib)
	slack=$(( $2 * SLACK_PCT / 100 > SLACK_KIB ? $2 * SLACK_PCT / 100 :
	    SLACK_KIB ))
	slack=$((slack + ${3:-0}))
	it_log "RSS $1: before $2 KiB, after $now KiB ($((now - $2)) KiB)"
	assert_le "RSS after $1 (KiB; before $2 + $slack)" "$now" \
	    $(( $2 + slack ))
}
# What a thread's buffer pool keeps after hundreds of connections at once
# (256 free 16 KiB buffers, lb/buf.h), which a warm-up does not always
# reach first (meson test's MALLOC_PERTURB_ touches every page of them):
# bounded by design, not a leak.  An identical second round shows the
# bound: it must keep nothing more.
POOL_KIB=4096

# vs4xx VS: the virtual server's 4xx so far
vs4xx() {
	stat_of "vs(\"$1\")[\"responses\"][\"4xx\"]"
}

# ---- warm-up: the worker's buffers and malloc at their high-water mark
# for what follows (as many concurrent heads as slowloris makes, each
# cut with a 408 as in the case, so a reply buffer each too; a large
# answer, a streamed body) ----
hostile $V slowloris --conns $LORIS --seconds 4 >/dev/null
curl -s -o /dev/null --max-time 30 "http://127.0.0.1:$V/big" ||
    fail "warm-up: GET /big failed"
hostile $V_ECHO chunked --seconds 1 --max-bytes $((4 << 20)) >/dev/null
hostile $V nonread --path /big --hold 0.5 --timeout 2 >/dev/null
sleep 1.5			# the warm-up's sessions end (LINGER: 1 s)
BASE=$(rss_kib)
it_log "RSS after the warm-up: $BASE KiB (worker $W)"

# ---- heads too large ----
before=$(rss_kib)
c4=$(vs4xx v)
out=$(hostile $V headers --lines 1 --size 8192)
assert_eq "one 8 KiB header line: status" 200 "$(field status "$out")"
out=$(hostile $V headers --lines 1 --size 14000)
assert_eq "a 14,000-byte header line, under the head limit: status" 200 \
    "$(field status "$out")"
out=$(hostile $V headers --lines 2 --size 8192)
assert_eq "two 8 KiB header lines, past the head limit: status" 431 \
    "$(field status "$out")"
assert_match "... then the connection closed" '^(yes|reset)$' \
    "$(field closed "$out")"
out=$(hostile $V headers --lines 128 --size 8192)
assert_eq "128 lines of 8 KiB (1 MiB of head): status" 431 \
    "$(field status "$out")"
# (to the echo member: nginx refuses that many header lines itself)
out=$(hostile $V_ECHO tiny --count 1000)
assert_eq "1,000 tiny headers (9 KB): status" 200 "$(field status "$out")"
out=$(hostile $V tiny --count 10000)
assert_eq "10,000 tiny headers: status" 431 "$(field status "$out")"
out=$(hostile $V reqline --size $((1 << 20)))
assert_eq "a 1 MiB request line: status (the head limit)" 431 \
    "$(field status "$out")"
assert_match "... then the connection closed" '^(yes|reset)$' \
    "$(field closed "$out")"
out=$(hostile $V endless --rate 20000 --timeout 10)
assert_eq "a header line without end, 20 KB/s: status (head limit)" 431 \
    "$(field status "$out")"
out=$(hostile $V endless --rate 2 --timeout 10)
assert_eq "a header line without end, 2 bytes/s: status (its timeout)" \
    408 "$(field status "$out")"
assert_eq "... then the connection closed" yes "$(field closed "$out")"
for size in 10000000000000000 ffffffffffffffff fffffffffffffffff \
    00000000000000000000000000000000ffffffffffffffffff; do
	out=$(hostile $V chunksize --size $size)
	assert_eq "chunk size $size: status" 400 "$(field status "$out")"
	assert_match "... then the connection closed" '^(yes|reset)$' \
	    "$(field closed "$out")"
done
assert_eq "the virtual server's 4xx for those (431 x5, 408, 400 x4)" \
    $((c4 + 10)) "$(vs4xx v)"
rss_case "heads too large" "$before"

# ---- a chunked body that does not end ----
before=$(rss_kib)
out=$(hostile $V_ECHO chunked --seconds 2 --max-bytes $CHUNKED_MAX)
it_log "chunked body streamed: $out"
sent=$(field sent "$out")
assert_eq "a long chunked body: status" 200 "$(field status "$out")"
assert_eq "... the member read all of it" "$sent" "$(field body_len "$out")"
assert_ge "... and it was long (bytes)" "$sent" $((1 << 20))
rss_case "a long chunked body ($sent bytes)" "$before"
before=$(rss_kib)
c4=$(vs4xx v_echo)
out=$(hostile $V_ECHO chunked --seconds 1 --max-bytes $((4 << 20)) --stall)
assert_eq "a chunked body that stalls: status (timeout client)" 408 \
    "$(field status "$out")"
assert_eq "... counted in the virtual server's 4xx" $((c4 + 1)) \
    "$(vs4xx v_echo)"
rss_case "a chunked body that stalls" "$before"

# ---- slowloris ----
before=$(rss_kib)
c4=$(vs4xx v)
spawn "$T/loris.out" "$PY" "$IT_DIR/hostile.py" $V slowloris \
    --conns $LORIS --seconds 7
loris=$SPAWNED
sleep 0.5
ok=0 n=0
while kill -0 "$loris" 2>/dev/null && [ $n -lt 200 ]; do
	n=$((n + 1))
	[ "$(status_of "http://127.0.0.1:$V/normal")" = 200 ] && ok=$((ok + 1))
	sleep 0.05
done
wait "$loris" || true
out=$(cat "$T/loris.out")
it_log "slowloris ($LORIS connections): $out; normal requests: $ok of $n"
assert_eq "normal requests answered 200 during slowloris" "$n" "$ok"
assert_ge "normal requests made during slowloris" "$n" 10
assert_eq "slowloris connections opened" $LORIS "$(field opened "$out")"
assert_eq "slowloris connections answered 408" $LORIS "$(field s408 "$out")"
assert_eq "slowloris connections closed after their 408" $LORIS \
    "$(field closed "$out")"
assert_eq "the 408s in the virtual server's 4xx" $((c4 + LORIS)) \
    "$(vs4xx v)"
sleep 1.2			# the 408s' LINGER second
rss_case "slowloris ($LORIS connections)" "$before" $POOL_KIB
before=$(rss_kib)
out=$(hostile $V slowloris --conns $LORIS --seconds 4)
assert_eq "slowloris again: every connection answered 408" $LORIS \
    "$(field s408 "$out")"
sleep 1.2
rss_case "slowloris again (an identical round)" "$before"

# ---- clients that do not read a 100 MiB answer, or read it slowly ----
before=$(rss_kib)
out=$(hostile $V nonread --path "/big?never" --hold 5 --timeout 10)
it_log "a client that never reads /big: $out"
assert_eq "never read: status (what it finally read)" 200 \
    "$(field status "$out")"
assert_eq "... the connection closed (timeout client)" yes \
    "$(field closed "$out")"
assert_le "... with the answer far from whole (bytes)" "$(field got "$out")" \
    $((32 << 20))
assert_eq "... not counted against the member" 0 \
    "$(stat_of 'm("ng")["errors"]')"
rss_case "a client that never reads 100 MiB" "$before"
before=$(rss_kib)
out=$(hostile $V slowread --path "/big?slow" --rate 200000 --seconds 4)
it_log "a client that reads /big at 200 KB/s: $out"
assert_eq "read slowly: status" 200 "$(field status "$out")"
assert_eq "... the connection stays open while it reads" no \
    "$(field closed "$out")"
assert_ge "... and the answer flows (bytes)" "$(field got "$out")" 400000
rss_case "a client that reads 100 MiB slowly" "$before"
for _ in $(seq 50); do
	grep -q ' CD "GET /big?never ' "$T/access.log" 2>/dev/null &&
	    break
	sleep 0.1
done
assert_match "access log: the silent reader cut as the client's (CD)" \
    ' 200 [0-9]+ CD "GET /big ' "$(cat "$T/access.log")"

# ---- members that reset ----
before=$(rss_kib)
t0=$(now_ms)
rc=0
curl -s -o "$T/mid.body" --max-time 20 "http://127.0.0.1:$V_MID/mid" || rc=$?
ms=$(( $(now_ms) - t0 ))
it_log "a member resets mid-body: curl exit $rc after $ms ms," \
    "$(stat -c %s "$T/mid.body") of $MID_SIZE bytes"
assert_match "a member resetting mid-body: curl sees it cut short" \
    '^(18|56)$' "$rc"
assert_le "... at once, not at --max-time (ms)" "$ms" 10000
assert_le "... with less than the whole body" "$(stat -c %s "$T/mid.body")" \
    $((MID_SIZE - 1))
assert_eq "... counted as the member's error" 1 \
    "$(stat_of 'm("mid")["errors"]')"
assert_eq "a member resetting before a byte: 502" 502 \
    "$(status_of "http://127.0.0.1:$V_RST/r1")"
assert_eq "... counted as the member's error" 1 \
    "$(stat_of 'm("rst")["errors"]')"
# the other pool's member may answer a request no body of which went out
assert_eq "a GET the resetting member dropped: answered by the other" 200 \
    "$(status_of "http://127.0.0.1:$V_RETRY/g1")"
assert_eq "... which served it" 1 "$(grep -c '"GET /g1 ' "$T/ng.access" ||
    true)"
# a body went out: it is not sent again
assert_eq "a POST with a body the resetting member dropped: 502" 502 \
    "$(status_of "http://127.0.0.1:$V_RETRY/p1" -d 'x=1')"
assert_eq "... not sent to the other member" 0 \
    "$(grep -c '"POST /p1 ' "$T/ng.access" || true)"
# nor does a POST without a body once its head went out: the member may
# have acted on it before it died (RFC 9110: POST is not idempotent)
assert_eq "a POST without a body the resetting member dropped: 502" 502 \
    "$(status_of "http://127.0.0.1:$V_RETRY/q1" -X POST)"
assert_eq "... not sent to the other member" 0 \
    "$(grep -c '"POST /q1 ' "$T/ng.access" || true)"
assert_match "the member's failures are logged, with what the client got" \
    'member rst2 [^ ]+: read error: [^(]*\(not retried; answering 502\)' \
    "$(cat "$T/edged.log")"
assert_match "... and a retry says it may go elsewhere" \
    'member rst2 [^ ]+: read error: [^(]*\(attempt 1 of at most 4\)' \
    "$(cat "$T/edged.log")"
assert_eq "requests the resetting member got (r1, g1, p1, q1: once each)" 4 \
    "$(grep -c '^REQ' "$T/rst.log" || true)"
rss_case "members that reset" "$before"

# every class adds up, and memory is where the warm-up left it
sleep 0.5
for v in v v_echo v_mid v_rst v_retry; do
	assert_eq "$v: requests == the sum of the classes" \
	    "$(stat_of "vs(\"$v\")[\"requests\"]")" \
	    "$(stat_of "sum(vs(\"$v\")[\"responses\"].values())")"
done
rss_case "all the cases (since the warm-up)" "$BASE" $POOL_KIB
assert_eq "the same worker throughout" "$W" "$(edged_worker_pid)"

# ---- a member slower than timeout client: the client waits on it, and
# it has timeout server to answer in ----
sed -i 's/timeout client 3s/timeout client 1s/; s/timeout server .*/timeout server 4s/' \
    "$T/edged.conf"
ctl reload >/dev/null || fail "edgectl reload failed"
edged_wait_ready "$W"
assert_eq "a member answering after 2 s (timeout client 1s, server 4s)" \
    200 "$(status_of "http://127.0.0.1:$V_SLOW/?delay=2")"
assert_eq "... in time: no error counted against it" 0 \
    "$(stat_of 'm("slow")["errors"]')"

pass
