#!/bin/bash
# 44-stick-tables: HAProxy's rate-limit idiom, verbatim, in front of a
# real nginx (issue 16):
#   stick-table per-ip type ip size 1k expire 1m store http_req_rate(10s)
#   http-request track-sc0 src table per-ip
#   http-request deny deny_status 429 if { sc_http_req_rate(0) gt N }
#   - one client: the first N requests pass, the rest get 429; under wrk
#     (2 worker threads, 20 connections) exactly N pass: one table,
#     counted exactly whatever the thread;
#   - edgectl show table lists the entry and its rate, show table NAME
#     KEY one entry (JSON too), clear table KEY forgets it (the client
#     passes again), an unknown table is an error naming those there are;
#   - a reload keeps the table (the client is still limited), and so
#     does an upgrade (the binary executed again); a reload that changes
#     its shape starts a new one (the client passes);
#   - a 4xx the member answers counts in http_err_rate; sc-inc-gpc0 and
#     sc0_get_gpc0 ban a client after two hits on /trap;
#   - edged -t refuses track-sc to a table that does not exist, a store
#     edged does not know, a rate without its period.
. "$(dirname "$0")/lib.sh"
it_begin 44-stick-tables

V=$((IT_PORT + 1)) NG=$((IT_PORT + 2))
require_free_ports $V $NG
nginx_backend ng $NG 'location /missing { return 404 "no\n"; }'

# write_conf LIMIT SIZE: the configuration on stdout
write_conf() {
	edged_conf_head
	cat <<CONF
application-profile web { type http; x-forwarded-for none }
pool p {
    member ng 127.0.0.1:$NG
}
stick-table per-ip type ip size $2 expire 1m store http_req_rate(10s),http_err_rate(10s),gpc0,conn_cur
application-rule limit {
    http-request track-sc0 src table per-ip
    http-request sc-inc-gpc0(0) if { path /trap }
    http-request deny if { sc0_get_gpc0 ge 2 }
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt $1 }
}
virtual-server v {
    listen 127.0.0.1:$V
    profile web
    default-pool p
    rules limit
}
CONF
}
F=$T/edged.conf
write_conf 5 1k >"$F"
edged_start "$F" $V

codes() {			# N PATH: the statuses of N GETs, on one line
	local i out=""
	for i in $(seq "$1"); do
		out="$out $(curl -s -o /dev/null -w '%{http_code}' \
		    --max-time 5 "http://127.0.0.1:$V$2")"
	done
	echo "${out# }"
}

# ---- one client over the limit ----
assert_eq "5 pass, then 429" "200 200 200 200 200 429 429" "$(codes 7 /)"
ctl show table per-ip >"$T/show.txt"
assert_match "show table: the entry, its rate" \
    '^key=127\.0\.0\.1 exp=[0-9]+ms conn_cur=0 http_req_rate=7 http_err_rate=2 gpc0=0$' \
    "$(grep '^key=' "$T/show.txt")"
assert_match "show table: the header" '^# table per-ip: size 1024, used 1$' \
    "$(head -1 "$T/show.txt")"
assert_eq "show table KEY --json: the rate" 7 "$(ctl show table per-ip \
    127.0.0.1 --json | "$PY" -c '
import json, sys
print(json.load(sys.stdin)["entries"][0]["http_req_rate"])')"
assert_match "show table: an unknown table" \
    "no stick-table 'nope' \\(there are: per-ip\\)" \
    "$(ctl show table nope 2>&1)"

# ---- a reload keeps the table; a new shape starts anew ----
write_conf 6 1k >"$F"
assert_eq "reload (a rule changed)" "configuration reloaded" \
    "$(ctl reload 2>&1)"
assert_eq "after the reload: still limited (8 in 10s > 6)" 429 "$(codes 1 /)"
assert_match "upgrade" "^upgraded to edged " "$(ctl upgrade 2>&1)"
edged_wait_ready
assert_eq "after the upgrade: still limited (9 in 10s > 6)" 429 \
    "$(codes 1 /)"
assert_match "after the upgrade: the entry, its rate" ' http_req_rate=9 ' \
    "$(ctl show table per-ip 127.0.0.1)"
assert_eq "clear table KEY" "1 entry cleared" \
    "$(ctl clear table per-ip 127.0.0.1 2>&1)"
assert_eq "cleared: passes again" 200 "$(codes 1 /)"
codes 7 / >/dev/null
write_conf 6 2k >"$F"
assert_eq "reload (the table's size changed)" "configuration reloaded" \
    "$(ctl reload 2>&1)"
assert_eq "a new table: the client passes" 200 "$(codes 1 /)"

# ---- errors and gpc0 ----
assert_eq "a 404 passes" 404 "$(codes 1 /missing)"
assert_match "it counts in http_err_rate" ' http_err_rate=1 ' \
    "$(ctl show table per-ip 127.0.0.1)"
assert_eq "two hits on /trap: the second is banned" "200 403" \
    "$(codes 2 /trap)"
assert_eq "banned everywhere now" 403 "$(codes 1 /)"
ctl clear table per-ip >/dev/null

# ---- wrk: exactly the limit passes, across threads and connections ----
write_conf 100 2k >"$F"
ctl reload >/dev/null 2>&1
ctl clear table per-ip >/dev/null
wrk_count_script "$T/count.lua" 299
wrk -t2 -c20 -d2s -s "$T/count.lua" "http://127.0.0.1:$V/" \
    >"$T/wrk.txt" 2>&1 || true
reqs=$(wrk_lua "$T/wrk.txt" requests)
bad=$(wrk_lua "$T/wrk.txt" bad)
assert_ge "wrk: many more requests than the limit" "${reqs:-0}" 300
assert_eq "wrk: exactly the limit passed" 100 $((reqs - bad))
assert_match "wrk: the others were 429" "codes=\\[ 429" \
    "$(grep '^LUA' "$T/wrk.txt")"

# ---- edged -t refuses ----
refused() {			# WHAT LINE REGEX
	local f=$T/bad.conf rc=0
	write_conf 5 1k | sed "$2" >"$f"
	"$EDGED" -t -c "$f" >"$T/bad.out" 2>&1 || rc=$?
	assert_ne "edged -t: $1: exit status" 0 "$rc"
	assert_match "edged -t: $1" "$3" "$(cat "$T/bad.out")"
}
refused "an unknown table" 's/table per-ip$/table per-iq/' \
    "error: unknown stick-table 'per-iq'; did you mean 'per-ip'\\?"
refused "an unknown store" 's/,gpc0,/,gpc1,/' "cannot store 'gpc1'"
refused "a rate without its period" 's/http_req_rate(10s)/http_req_rate/' \
    "a rate takes its period"

kill -0 "$EDGED_PID" 2>/dev/null || fail "edged died"
pass
