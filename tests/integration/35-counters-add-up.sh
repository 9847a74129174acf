#!/bin/bash
# 35-counters-add-up: every request a virtual server takes counts once in
# its requests and once in one response class, the answers edged makes
# itself included, so that requests == 1xx+2xx+3xx+4xx+5xx+other:
#   - 200 and 404 from nginx (a dead member's failed connects retried)
#   - 400 (duplicate Host, a byte llhttp refuses), 405 (CONNECT), 408 (a
#     head that never ends), 431 (a huge header): the virtual server's
#     only, the pool never saw them
#   - 503 when no member is usable (all disabled) and when every retry
#     failed (the only member refuses), 502 (garbage), 504 (no answer)
#   - "other": a request the client gave up on before any answer, and an
#     ssl-passthrough tunnel (no HTTP status)
# The pools count what reached them the same way.  edgectl show stats
# --json and /metrics agree on every figure.
. "$(dirname "$0")/lib.sh"
it_begin 35-counters-add-up

V=$((IT_PORT + 0)) V_BAD=$((IT_PORT + 1)) V_HANG=$((IT_PORT + 2))
V_DOWN=$((IT_PORT + 3)) V_PASS=$((IT_PORT + 4)) ST=$((IT_PORT + 5))
NG1=$((IT_PORT + 10)) NG2=$((IT_PORT + 11)) GARBAGE=$((IT_PORT + 12))
HANG=$((IT_PORT + 13)) DEAD=$((IT_PORT + 90))
require_free_ports $V $V_BAD $V_HANG $V_DOWN $V_PASS $ST $NG1 $NG2 \
    $GARBAGE $HANG $DEAD
OPENSSL=${OPENSSL:-openssl}
command -v "$OPENSSL" >/dev/null || fail "openssl not found"

nginx_backend ng1 $NG1 'location /missing { return 404 "no\n"; }'
nginx_backend ng2 $NG2 'location /missing { return 404 "no\n"; }'
py_backend garbage $GARBAGE garbage
py_backend hang $HANG hang

# timeout server well above the half second the client that gives up
# takes: it must be gone before edged would answer it 504
TMO_HTTP_REQUEST=1s TMO_SERVER=3s
vs() {				# NAME PORT PROFILE MEMBER-LINES
	printf 'pool p_%s {\n    algorithm round-robin\n%s\n}\n' "$1" "$4"
	printf 'virtual-server %s {\n    listen 127.0.0.1:%s\n' "$1" "$2"
	printf '    profile %s\n    default-pool p_%s\n' "$3" "$1"
	printf '    access-log %s/%s.log\n}\n' "$T" "$1"
}
{
	edged_conf_head
	echo 'application-profile web { type http; x-forwarded-for insert }'
	echo 'application-profile pass { type ssl-passthrough }'
	printf 'stats {\n    listen 127.0.0.1:%s\n}\n' $ST
	vs v $V web "    member ng1 127.0.0.1:$NG1
    member ng2 127.0.0.1:$NG2
    member dead 127.0.0.1:$DEAD"
	vs v_bad $V_BAD web "    member garbage 127.0.0.1:$GARBAGE"
	vs v_hang $V_HANG web "    member hang 127.0.0.1:$HANG"
	vs v_down $V_DOWN web "    member dead2 127.0.0.1:$DEAD"
	vs v_pass $V_PASS pass "    member dead3 127.0.0.1:$DEAD"
} >"$T/edged.conf"
edged_start "$T/edged.conf" $V $V_BAD $V_HANG $V_DOWN $V_PASS $ST

# rawto PORT NAME [RAW-ARGS...]: stdin's bytes to PORT; the answer in
# $T/NAME.out, "elapsed=... closed=..." in $T/NAME.err
rawto() {
	raw "$1" "${@:3}" >"$T/$2.out" 2>"$T/$2.err" || true
}

# ---- v: members' answers ----
curl -s --max-time 20 -o /dev/null -w '%{http_code}\n' \
    "http://127.0.0.1:$V/ok[1-20]" >"$T/ok"
assert_eq "200 answers (of 20; the dead member's connects retried)" 20 \
    "$(grep -c '^200$' "$T/ok" || true)"
curl -s --max-time 20 -o /dev/null -w '%{http_code}\n' \
    "http://127.0.0.1:$V/missing[1-5]" >"$T/missing"
assert_eq "404 answers from nginx (of 5)" 5 \
    "$(grep -c '^404$' "$T/missing" || true)"

# ---- v: what edged answers itself, before any pool ----
printf 'GET /a HTTP/1.1\r\nHost: t\r\nHost: u\r\n\r\n' | rawto $V dup
assert_match "two Host headers: 400" '^HTTP/1.1 400 ' "$(head -1 "$T/dup.out")"
printf 'GET /a\x01b HTTP/1.1\r\nHost: t\r\n\r\n' | rawto $V ctl
assert_match "a control byte in the target: 400" '^HTTP/1.1 400 ' \
    "$(head -1 "$T/ctl.out")"
printf 'CONNECT t:443 HTTP/1.1\r\nHost: t:443\r\n\r\n' | rawto $V connect
assert_match "CONNECT: 405" '^HTTP/1.1 405 ' "$(head -1 "$T/connect.out")"
printf 'GET /slow HTTP/1.1\r\nHost: t\r\nX-Half: ' |
    rawto $V stall --timeout 5
assert_match "a head that never ends: 408" '^HTTP/1.1 408 ' \
    "$(head -1 "$T/stall.out")"
big=$(head -c 20000 /dev/zero | tr '\0' a)
assert_eq "a 20 KB header: 431" 431 \
    "$(status_of "http://127.0.0.1:$V/big" -H "X-Big: $big")"

# ---- v: no usable member: 503 at once ----
for m in ng1 ng2 dead; do
	ctl member disable p_v $m >/dev/null ||
	    fail "edgectl member disable p_v $m failed"
done
curl -s --max-time 10 -o /dev/null -w '%{http_code}\n' \
    "http://127.0.0.1:$V/none[1-2]" >"$T/none"
assert_eq "503 answers with every member disabled (of 2)" 2 \
    "$(grep -c '^503$' "$T/none" || true)"

# ---- the others: members that fail, a client that gives up ----
assert_eq "v_bad: garbage from the member: 502" 502 \
    "$(status_of "http://127.0.0.1:$V_BAD/")"
assert_eq "v_hang: no answer within timeout server: 504" 504 \
    "$(status_of "http://127.0.0.1:$V_HANG/")"
# half a body, then the client closes: no answer can ever go out
printf 'POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789' |
    rawto $V_HANG gaveup --timeout 0.5
assert_eq "v_hang: a client that gave up got nothing" "" \
    "$(cat "$T/gaveup.out")"
assert_eq "v_down: the only member refuses: 503" 503 \
    "$(status_of "http://127.0.0.1:$V_DOWN/")"
echo | "$OPENSSL" s_client -connect "127.0.0.1:$V_PASS" \
    -servername www.example.com >"$T/pass.out" 2>&1 || true
assert_no_match "v_pass: no TLS session with a dead member" \
    '^New, TLSv' "$(cat "$T/pass.out")"

# sessions end (and count "other") as their clients close: let the
# last ones go
sleep 0.5

# ---- the figures ----
ctl show stats --json >"$T/stats.json" || fail "edgectl show stats failed"
curl -sS --max-time 5 "http://127.0.0.1:$ST/metrics" |
    "$PY" "$IT_DIR/promcheck.py" >"$T/samples" ||
    fail "/metrics is not valid exposition format"

# figures KIND NAME: "requests 1xx 2xx 3xx 4xx 5xx other" of a virtual
# server (KIND vs) or pool (KIND pool), from edgectl's JSON
figures() {
	"$PY" - "$1" "$2" "$T/stats.json" <<'PY'
import json, sys
kind, name, path = sys.argv[1:]
j = json.load(open(path))
rows = j["virtual_servers"] if kind == "vs" else j["pools"]
o = [r for r in rows if r["name"] == name][0]
r = o["responses"]
print(o["requests"], *(r[c] for c in ("1xx", "2xx", "3xx", "4xx", "5xx",
      "other")))
PY
}
# metric_figures KIND NAME: the same from /metrics
metric_figures() {
	local fam label c out
	case $1 in
	vs) fam=edged_virtual_server label=virtual_server ;;
	pool) fam=edged_pool label=pool ;;
	esac
	metric() { grep -F "$1 " "$T/samples" | awk '{ print $2 }'; }
	out=$(metric "${fam}_requests_total{$label=\"$2\"}")
	for c in 1xx 2xx 3xx 4xx 5xx other; do
		out="$out $(metric "${fam}_responses_total{code=\"$c\",$label=\"$2\"}")"
	done
	echo "$out"
}
# adds_up KIND NAME EXPECTED: the figures say EXPECTED ("requests 1xx
# 2xx 3xx 4xx 5xx other"), requests is their sum, /metrics agrees
adds_up() {
	local got sum
	got=$(figures "$1" "$2")
	sum=$(awk '{ print $2 + $3 + $4 + $5 + $6 + $7 }' <<<"$got")
	assert_eq "$1 $2: requests == the sum of the classes ($got)" \
	    "${got%% *}" "$sum"
	assert_eq "$1 $2: requests 1xx 2xx 3xx 4xx 5xx other" "$3" "$got"
	assert_eq "$1 $2: /metrics says the same as edgectl" "$got" \
	    "$(metric_figures "$1" "$2")"
}

# v: 20 + 5 from members; 400 400 405 408 431 of its own; two 503
adds_up vs v "32 0 20 0 10 2 0"
# p_v saw neither the 400s nor 405, 408, 431: only what reached a member
# or found none usable
adds_up pool p_v "27 0 20 0 5 2 0"
adds_up vs v_bad "1 0 0 0 0 1 0"
adds_up pool p_v_bad "1 0 0 0 0 1 0"
adds_up vs v_hang "2 0 0 0 0 1 1"
adds_up pool p_v_hang "2 0 0 0 0 1 1"
adds_up vs v_down "1 0 0 0 0 1 0"
adds_up pool p_v_down "1 0 0 0 0 1 0"
# a tunnel has no HTTP status
adds_up vs v_pass "1 0 0 0 0 0 1"
adds_up pool p_v_pass "1 0 0 0 0 0 1"

# every one of them is in the access log, with its status
sleep 0.5			# access logs are written in batches
for s in 400 405 408 431 503; do
	assert_match "v's access log: a $s" " $s [0-9]+ [A-Za-z-]{2} \"" \
	    "$(cat "$T/v.log")"
done
assert_eq "v's access log: one line per request" 32 "$(wc -l <"$T/v.log")"

pass
