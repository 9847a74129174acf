#!/bin/bash
# 21-reload-rejected: a file with several errors (an unknown directive, a
# virtual server whose pool does not exist, a bad port) is refused by
# `edgectl reload` (non-zero, every error as FILE:LINE:COL) and by SIGHUP
# (logged; edged keeps running); the running generation stays in force:
# its algorithm, members, listeners, statistics and worker.  Once the
# file is fixed, a reload puts the new configuration in force.
. "$(dirname "$0")/lib.sh"
it_begin 21-reload-rejected

VIP=$((IT_PORT + 0)) NEWVIP=$((IT_PORT + 1)) B1=$((IT_PORT + 11)) B2=$((IT_PORT + 12)) B3=$((IT_PORT + 13))
require_free_ports $VIP $NEWVIP $B1 $B2 $B3
nginx_backend b1 $B1
nginx_backend b2 $B2
nginx_backend b3 $B3

# the running file: round-robin over b1 and b2
one_pool_conf $VIP insert b1 $B1 b2 $B2 >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP
WPID=$(edged_worker_pid)

# new_conf SLOWSTART PORT POOL: the new file (uri hashing, a member b3,
# a pool q, a virtual server w on NEWVIP), with the three lines that
# may carry an error
new_conf() {
	edged_conf_head
	cat <<CONF
application-profile web { type http; x-forwarded-for insert }
pool p {
    algorithm uri
    member b1 127.0.0.1:$B1
    member b2 127.0.0.1:$B2
    member b3 127.0.0.1:$B3
$1
}
pool q {
    member q1 127.0.0.1:$B3
    member q2 127.0.0.1:$2
}
virtual-server v {
    listen 127.0.0.1:$VIP
    profile web
    default-pool p
}
virtual-server w {
    listen 127.0.0.1:$NEWVIP
    profile web
    default-pool $3
}
CONF
}
new_conf "    slowstart 10s" 70000 qq >"$T/edged.conf"

# pos_of TEXT: "LINE:COL" where TEXT first appears in the file
pos_of() {
	awk -v s="$1" 'i = index($0, s) { print NR ":" i; exit }' "$T/edged.conf"
}
P_DIRECTIVE=$(pos_of slowstart)
P_PORT=$(pos_of "127.0.0.1:70000")
P_POOL=$(pos_of qq)
it_log "planted errors at $P_DIRECTIVE (directive), $P_PORT (port)," \
    "$P_POOL (pool)"
# the lines of the file as it is written above, the columns of the tokens
assert_eq "test setup: where the errors are" "17:5 21:15 31:18" \
    "$P_DIRECTIVE $P_PORT $P_POOL"
F=$T/edged.conf
E_DIRECTIVE="^$F:$P_DIRECTIVE: error: unknown directive 'slowstart' in pool p;"
E_DIRECTIVE+=" did you mean 'slow-start'\\?\$"
E_PORT="^$F:$P_PORT: error: bad port '70000' .*expected 1 to 65535\$"
E_POOL="^$F:$P_POOL: error: unknown pool 'qq'; did you mean 'q'\\?\$"

# stats_names: TYPE:NAME of every row of `edgectl show stats`
stats_names() {
	ctl show stats | awk 'NR > 1 { printf "%s:%s ", $1, $2 }'
}
OLD_NAMES="virtual-server:v pool:p member:p/b1 member:p/b2 "
assert_eq "statistics rows before" "$OLD_NAMES" "$(stats_names)"

# split PATH N: which members answered N requests for PATH on one
# connection, as "b1=X b2=Y b3=Z"
split() {
	curl -sS --max-time 20 "http://127.0.0.1:$VIP$1[1-$2]" >"$T/split" ||
	    true
	printf 'b1=%s b2=%s b3=%s' "$(grep -c '^b1$' "$T/split")" \
	    "$(grep -c '^b2$' "$T/split")" "$(grep -c '^b3$' "$T/split")"
}

# the old configuration, in every respect that the new file would change
old_in_force() {		# WHEN
	assert_eq "$1: worker pid" "$WPID" "$(edged_worker_pid)"
	assert_eq "$1: round-robin over b1 and b2 (8 requests, one path)" \
	    "b1=4 b2=4 b3=0" "$(split "/same?n=" 8)"
	assert_eq "$1: pool p's algorithm" round-robin \
	    "$(ctl show pool p --json | json_get 'j["pools"][0]["algorithm"]')"
	assert_eq "$1: b3 got nothing" 0 "$(access_count b3)"
	port_open $NEWVIP && check_failed "$1: port $NEWVIP accepts"
	assert_eq "$1: statistics rows" "$OLD_NAMES" "$(stats_names)"
	assert_eq "$1: virtual servers in status" '["v"]' \
	    "$(ctl status --json | json_get 'j["virtual_servers"]')"
	kill -0 "$EDGED_PID" 2>/dev/null || fail "$1: edged died"
}

# 1. edgectl reload: refused, every error with its position
rc=0
ctl reload >"$T/reload.out" 2>"$T/reload.err" || rc=$?
assert_ne "edgectl reload exit status" 0 "$rc"
err=$(cat "$T/reload.err")
assert_match "unknown directive at $P_DIRECTIVE" "$E_DIRECTIVE" "$err"
assert_match "bad port at $P_PORT" "$E_PORT" "$err"
assert_match "unknown pool at $P_POOL" "$E_POOL" "$err"
assert_eq "errors reported" 3 "$(grep -c ': error: ' <<<"$err" || true)"
assert_match "says it did not reload" 'not reloading' "$err"
assert_no_match "says it reloaded" 'configuration reloaded' \
    "$err$(cat "$T/reload.out")"
old_in_force "after edgectl reload"

# 2. SIGHUP: the same, in the log
before=$(wc -l <"$EDGED_LOG")
kill -HUP "$EDGED_PID"
for _ in $(seq 100); do
	tail -n +$((before + 1)) "$EDGED_LOG" | grep -q 'not reloading' && break
	sleep 0.05
done
hup=$(tail -n +$((before + 1)) "$EDGED_LOG")
assert_match "SIGHUP: logged" 'SIGHUP: reloading' "$hup"
assert_match "SIGHUP: logged as refused" \
    "configuration $F has errors, not reloading" "$hup"
# each error a log line of its own at error priority, as journald files
# them: "<3>error: edged master[PID]: FILE:LINE:COL: error: ..."
L="^<3>error: edged master\\[$EDGED_PID\\]: "
assert_match "SIGHUP: unknown directive at $P_DIRECTIVE" "$L${E_DIRECTIVE#^}" \
    "$hup"
assert_match "SIGHUP: bad port at $P_PORT" "$L${E_PORT#^}" "$hup"
assert_match "SIGHUP: unknown pool at $P_POOL" "$L${E_POOL#^}" "$hup"
sleep 0.3			# a worker it would have started: ready by now
old_in_force "after SIGHUP"
assert_eq "workers (children of the master)" "$WPID" \
    "$(pgrep -P "$EDGED_PID" | tr '\n' ' ' | sed 's/ $//')"

# 3. the file fixed: reloaded, the new configuration in force
new_conf "" $B2 q >"$T/edged.conf"
rc=0
ctl reload >"$T/reload.out" 2>"$T/reload.err" || rc=$?
assert_eq "edgectl reload of the fixed file: exit status" 0 "$rc"
assert_eq "edgectl reload of the fixed file: answer" "configuration reloaded" \
    "$(cat "$T/reload.out" "$T/reload.err")"
edged_wait_ready "$WPID"
assert_ne "worker pid after the reload" "$WPID" "$(edged_worker_pid)"
wait_port $NEWVIP
assert_match "the new virtual server w answers from pool q" '^b[23]$' \
    "$(get "http://127.0.0.1:$NEWVIP/" || true)"
assert_eq "pool p's algorithm" uri \
    "$(ctl show pool p --json | json_get 'j["pools"][0]["algorithm"]')"
assert_match "uri hashing: 8 requests for one path go to one member" \
    '=8( |$)' "$(split "/same?n=" 8)"
curl -s --max-time 20 -o /dev/null "http://127.0.0.1:$VIP/path[1-30]"
assert_ge "requests the new member b3 got (of 30 paths)" "$(access_count b3)" 1
assert_eq "statistics rows" "virtual-server:v virtual-server:w pool:p \
member:p/b1 member:p/b2 member:p/b3 pool:q member:q/q1 member:q/q2 " \
    "$(stats_names)"

pass
