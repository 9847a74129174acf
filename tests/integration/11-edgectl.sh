#!/bin/bash
# 11-edgectl: the control client against a running edged: status (text
# and JSON), show stats (text and JSON) whose counters match the requests
# made, reload of a valid changed file (a new member gets traffic),
# reload of a broken file (refused with FILE:LINE:COL, the running
# configuration keeps serving), a missing socket (clear error, non-zero
# exit), and a control socket that is not world-writable.
. "$(dirname "$0")/lib.sh"
it_begin 11-edgectl

VIP=$((IT_PORT + 0)) B1=$((IT_PORT + 1)) B2=$((IT_PORT + 2)) B3=$((IT_PORT + 3))
require_free_ports $VIP $B1 $B2 $B3
for b in b1:$B1 b2:$B2 b3:$B3; do
	nginx_backend "${b%%:*}" "${b#*:}" \
	    'location /missing { return 404 "no\n"; }'
done

write_conf() {			# EXTRA-MEMBER-LINES
	{
		edged_conf_head
		cat <<CONF
application-profile web { type http; x-forwarded-for insert }
pool p {
    algorithm round-robin
    member b1 127.0.0.1:$B1
    member b2 127.0.0.1:$B2
$1
}
virtual-server v {
    listen 127.0.0.1:$VIP
    profile web
    default-pool p
}
CONF
	} >"$T/edged.conf"
}
write_conf ""
edged_start "$T/edged.conf" $VIP

# ---- status ----
ctl status >"$T/status.txt" || check_failed "edgectl status failed"
st=$(cat "$T/status.txt")
WPID=$(edged_worker_pid)
assert_match "status: running" '^edged is running' "$st"
assert_match "status: master pid" "master pid $EDGED_PID," "$st"
assert_match "status: worker pid, serving, threads" \
    "worker pid $WPID \\(serving\\), 2 threads" "$st"
assert_match "status: configuration" \
    "configuration $T/edged.conf: 1 virtual server, 1 pool" "$st"
js=$(ctl status --json)
assert_eq "status --json: master_pid" "$EDGED_PID" "$(json_get 'j["master_pid"]' <<<"$js")"
assert_eq "status --json: ready" true "$(json_get 'j["ready"]' <<<"$js")"
assert_eq "status --json: threads" 2 "$(json_get 'j["threads"]' <<<"$js")"
assert_eq "status --json: virtual servers" '["v"]' \
    "$(json_get 'j["virtual_servers"]' <<<"$js")"
# the socket named in the configuration file
assert_match "edgectl -c FILE status" '^edged is running' \
    "$("$EDGECTL" -c "$T/edged.conf" status 2>&1)"

# ---- counters ----
# (edged_start's port probe was a connection too)
total0=$(stat_of 'vs("v")["total"]')
curl -s --max-time 10 -o /dev/null "http://127.0.0.1:$VIP/ok[1-10]"
curl -s --max-time 10 -o /dev/null "http://127.0.0.1:$VIP/missing[1-3]"
sleep 0.1
n1=$(access_count b1)
n2=$(access_count b2)
assert_eq "requests the backends logged" 13 "$((n1 + n2))"
assert_eq "stats: virtual server requests" 13 "$(stat_of 'vs("v")["requests"]')"
assert_eq "stats: virtual server 2xx" 10 "$(stat_of 'vs("v")["responses"]["2xx"]')"
assert_eq "stats: virtual server 4xx" 3 "$(stat_of 'vs("v")["responses"]["4xx"]')"
assert_eq "stats: virtual server 5xx" 0 "$(stat_of 'vs("v")["responses"]["5xx"]')"
assert_eq "stats: pool requests" 13 "$(stat_of 'pool("p")["requests"]')"
assert_eq "stats: b1 requests (as b1 logged)" "$n1" "$(stat_of 'm("b1")["requests"]')"
assert_eq "stats: b2 requests (as b2 logged)" "$n2" "$(stat_of 'm("b2")["requests"]')"
assert_eq "stats: b1 + b2 2xx" 10 \
    "$(stat_of 'm("b1")["responses"]["2xx"] + m("b2")["responses"]["2xx"]')"
assert_eq "stats: connections now open" 0 "$(stat_of 'vs("v")["current"]')"
assert_eq "stats: client connections made by the two curls" 2 \
    "$(( $(stat_of 'vs("v")["total"]') - total0 ))"
# the text form says the same
ctl show stats >"$T/stats.txt" || check_failed "edgectl show stats failed"
assert_match "stats text: header" '^TYPE +NAME +ADDRESS +STATE +CUR +TOTAL +REQUESTS' \
    "$(head -1 "$T/stats.txt")"
col() {				# ROW-NAME COLUMN-NAME
	awk -v row="$1" -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++)
	    if ($i == c) k = i } $2 == row { print $k }' "$T/stats.txt"
}
assert_eq "stats text: v REQUESTS" 13 "$(col v REQUESTS)"
assert_eq "stats text: v 2XX" 10 "$(col v 2XX)"
assert_eq "stats text: v 4XX" 3 "$(col v 4XX)"
assert_eq "stats text: p/b1 REQUESTS" "$n1" "$(col p/b1 REQUESTS)"
assert_eq "stats text: p/b2 REQUESTS" "$n2" "$(col p/b2 REQUESTS)"
assert_eq "stats text: p/b1 ADDRESS" "127.0.0.1:$B1" "$(col p/b1 ADDRESS)"

# ---- reload, valid: a third member ----
write_conf "    member b3 127.0.0.1:$B3"
ctl reload >"$T/reload.out" 2>"$T/reload.err" ||
    check_failed "edgectl reload of a valid file failed: $(cat "$T/reload.err")"
assert_match "reload answer" 'reloaded' "$(cat "$T/reload.out")"
edged_wait_ready "$WPID"
WPID2=$(edged_worker_pid)
assert_ne "worker pid after the reload" "$WPID" "$WPID2"
curl -s --max-time 10 -o /dev/null "http://127.0.0.1:$VIP/after[1-9]"
assert_eq "requests the new member b3 got (of 9, round-robin)" 3 "$(access_count b3)"
assert_eq "stats: b3 requests" 3 "$(stat_of 'm("b3")["requests"]')"

# ---- reload, broken ----
cp "$T/edged.conf" "$T/good.conf"
sed -i "s/member b3 127.0.0.1:$B3/member b3 127.0.0.1:notaport/" "$T/edged.conf"
line=$(grep -n 'notaport' "$T/edged.conf" | cut -d: -f1)
rc=0
ctl reload >"$T/reload.out" 2>"$T/reload.err" || rc=$?
assert_ne "exit status of reload with a broken file" 0 "$rc"
assert_match "reload error names FILE:LINE:COL" \
    "$T/edged.conf:$line:[0-9]+: error: .*notaport" "$(cat "$T/reload.err")"
assert_match "reload error says it did not reload" 'not reloading' \
    "$(cat "$T/reload.err")"
assert_eq "worker pid after the refused reload" "$WPID2" "$(edged_worker_pid)"
: >"$T/b3.access"
curl -s --max-time 10 -o /dev/null -w '%{http_code}\n' \
    "http://127.0.0.1:$VIP/still[1-9]" >"$T/codes"
assert_eq "200s after the refused reload" 9 "$(grep -c '^200$' "$T/codes" || true)"
assert_eq "b3 still gets its share after the refused reload" 3 "$(access_count b3)"
kill -0 "$EDGED_PID" || fail "edged died after a refused reload"

# ---- a socket nobody listens on ----
rc=0
"$EDGECTL" -s "$T/nope.sock" status >"$T/nope.out" 2>"$T/nope.err" || rc=$?
assert_ne "exit status with a missing socket" 0 "$rc"
assert_match "error for a missing socket" \
    "cannot connect to $T/nope.sock: .*is edged running" "$(cat "$T/nope.err")"
assert_eq "output for a missing socket" "" "$(cat "$T/nope.out")"
rc=0
ctl frobnicate >/dev/null 2>"$T/usage.err" || rc=$?
assert_eq "exit status for an unknown command" 2 "$rc"
assert_eq "an unknown command is named first" \
    "edgectl: unknown command 'frobnicate'" "$(head -1 "$T/usage.err")"
assert_match "usage for an unknown command" '^usage: edgectl' \
    "$(sed -n 2p "$T/usage.err")"

# ---- a small client: none of the daemon's libraries ----
# (its command rows are written at build time: edgectl_gen)
needed=$(readelf -d "$EDGECTL" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
    tr '\n' ' ')
assert_match "edgectl needs the C library" 'libc\.so' "$needed"
assert_no_match "edgectl needs none of the daemon's libraries" \
    'ssl|crypto|curl|nftables|libev|pcre|llhttp' "$needed"
it_log "edgectl needs: $needed"
ctl --help >"$T/help.out"
for c in 'status' 'show pool' 'group add' 'show firewall' 'reload' 'check'; do
	assert_match "usage lists '$c'" "^  $c( |\$)" "$(cat "$T/help.out")"
done

# ---- the control socket's mode ----
mode=$(stat -c %a "$EDGED_SOCK")
assert_eq "control socket is a socket" socket "$(stat -c %F "$EDGED_SOCK" | awk '{print $NF}')"
assert_eq "control socket world-writable bit" 0 $(( 0$mode & 2 ))
it_log "control socket mode $mode"

pass
