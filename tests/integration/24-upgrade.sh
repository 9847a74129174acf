#!/bin/bash
# 24-upgrade: while wrk keeps 50 keep-alive connections busy for 12 s,
# the binary is upgraded three times (`edgectl upgrade` twice, SIGUSR2
# once, 1.5 s apart).  wrk sees no socket error and no response but 2xx;
# `edgectl upgrade` answers "upgraded to edged VERSION; worker PID is
# serving"; the master keeps its pid (it re-executed itself in place),
# the listening sockets stay the same kernel sockets, a new worker serves
# after each upgrade and the old ones drain and exit; the member admin
# state and weight set with edgectl and the counters of `show stats`
# outlive the upgrades.  A file the binary rejects makes `edgectl
# upgrade` fail with FILE:LINE:COL and changes nothing; once fixed, an
# upgrade goes through again.
. "$(dirname "$0")/lib.sh"
it_begin 24-upgrade

VIP=$((IT_PORT + 0)) B1=$((IT_PORT + 1)) B2=$((IT_PORT + 2))
require_free_ports $VIP $B1 $B2
command -v wrk >/dev/null || fail "wrk not found"
command -v ss >/dev/null || fail "ss not found"
nginx_backend b1 $B1
nginx_backend b2 $B2

# pool p: b1, b2 and spare, a second member on b2's nginx that edgectl
# drains (so that no request of the scenario may reach it)
one_pool_conf $VIP insert b1 $B1 b2 $B2 spare $B2 >"$T/edged.conf"
cp "$T/edged.conf" "$T/good.conf"
edged_start "$T/edged.conf" $VIP
VERSION=$("$EDGED" -v | awk '{ print $2 }')
[ -n "$VERSION" ] || fail "edged -v printed no version"

# split N: the backends that answered N requests on one connection (one
# thread, one balancer: smooth round-robin is exact), as "b1=X b2=Y".
split() {
	curl -sS --max-time 20 "http://127.0.0.1:$VIP/s[1-$1]" >"$T/split"
	printf 'b1=%s b2=%s' "$(grep -c '^b1$' "$T/split")" \
	    "$(grep -c '^b2$' "$T/split")"
}
# member_of NAME FIELD: a field of pool p's member NAME in show pool
member_of() {
	ctl show pool p --json |
	    json_get "[m for m in j['pools'][0]['members'] if m['name'] == '$1'][0]['$2']"
}
vs_requests() { stat_of 'vs("v")["requests"]'; }
master_pid_of_status() { ctl status --json | json_get 'j["master_pid"]'; }
# listen_inodes: the inodes of the sockets listening on VIP, sorted
listen_inodes() {
	ss -ltnpeH "sport = :$VIP" | grep -o 'ino:[0-9]*' | cut -d: -f2 |
	    sort -n | tr '\n' ' '
}
# master_inodes: the inodes of every socket the master holds
master_inodes() {
	local l
	for l in /proc/"$EDGED_PID"/fd/*; do
		readlink "$l" 2>/dev/null || true
	done | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | sort -n | tr '\n' ' '
}
# master_fds: how many descriptors the master has open
master_fds() {
	local fds=(/proc/"$EDGED_PID"/fd/*)
	echo "${#fds[@]}"
}
# children_once_drained PID: the master's children once only PID is
# left (5 s at most)
children_once_drained() {
	local c
	for _ in $(seq 50); do
		c=$(pgrep -P "$EDGED_PID" | tr '\n' ' ' || true)
		[ "$c" = "$1 " ] && break
		sleep 0.1
	done
	echo "$c"
}
# in_master INODES: each of them is held by the master
in_master() {
	local held i
	held=" $(master_inodes)"
	for i in $1; do
		[[ $held == *" $i "* ]] || return 1
	done
}

# 1. runtime state set with edgectl, and some traffic
ctl member weight p b1 3 >/dev/null
ctl member drain p spare >/dev/null
assert_eq "before: weights 3:1, spare drained" "b1=6 b2=2" "$(split 8)"
assert_eq "before: b1's weight, spare's admin state" "3 drain" \
    "$(member_of b1 weight) $(member_of spare admin)"

MASTER=$EDGED_PID
assert_eq "master pid in status" "$MASTER" "$(master_pid_of_status)"
W0=$(edged_worker_pid)
INO0=$(listen_inodes)
it_log "listening sockets on :$VIP: inodes $INO0"
assert_match "sockets listening on :$VIP (one per thread)" \
    '^[0-9]+ [0-9]+ $' "$INO0"
in_master "$INO0" ||
    check_failed "the master holds the listening sockets $INO0: it holds $(master_inodes)"
FDS0=$(master_fds)
REQ0=$(vs_requests)
B1REQ0=$(member_of b1 requests)
assert_ge "requests counted before the upgrades" "$REQ0" 8

# a reload the file refuses: counted, and the count outlives the upgrades
sed 's/^    default-pool p$/&\n    bogus-directive on/' "$T/good.conf" >"$T/edged.conf"
ctl reload >/dev/null 2>&1 && fail "a broken file was reloaded"
cp "$T/good.conf" "$T/edged.conf"
assert_eq "failed reloads before the upgrades" 1 \
    "$(stat_of 'j["edged"]["reloads"]["failure"]')"

# 2. wrk for 12 s (time to spare on a sanitizer build); upgrades at
# 1.5, 3 and 4.5 s
wrk_count_script "$T/count.lua" 299
wrk -t2 -c50 -d12s -s "$T/count.lua" "http://127.0.0.1:$VIP/load" \
    >"$T/wrk.txt" 2>&1 &
WRK=$!
IT_PIDS+=("$WRK")
t_wrk=$(now_ms)

# until_ms MS: sleeps until MS after wrk started
until_ms() {
	local left=$(( t_wrk + $1 - $(now_ms) ))
	[ "$left" -le 0 ] || sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
}

WORKERS=("$W0")
# upgrade_ctl N: `edgectl upgrade`; exit 0, its message, a new worker
upgrade_ctl() {
	local old rc=0 t0 took new
	old=$(edged_worker_pid)
	t0=$(now_ms)
	ctl upgrade >"$T/upgrade$1.out" 2>"$T/upgrade$1.err" || rc=$?
	took=$(( $(now_ms) - t0 ))
	it_log "upgrade $1 (edgectl): exit $rc in $took ms:" \
	    "$(cat "$T/upgrade$1.out" "$T/upgrade$1.err")"
	assert_eq "upgrade $1: edgectl upgrade exit status" 0 "$rc"
	assert_match "upgrade $1: edgectl upgrade's answer" \
	    "^upgraded to edged $VERSION; worker [0-9]+ is serving\$" \
	    "$(cat "$T/upgrade$1.out" "$T/upgrade$1.err")"
	new=$(edged_worker_pid)
	assert_eq "upgrade $1: the worker edgectl names is the one in status" \
	    "$(sed -n 's/.*; worker \([0-9]*\) is serving$/\1/p' "$T/upgrade$1.out")" \
	    "$new"
	assert_ne "upgrade $1: worker pid" "$old" "$new"
	WORKERS+=("$new")
}
# upgrade_usr2 N: SIGUSR2 to the master; waits until another worker serves
upgrade_usr2() {
	local old t0 new
	old=$(edged_worker_pid)
	t0=$(now_ms)
	kill -USR2 "$MASTER"
	edged_wait_ready "$old" 10
	new=$(edged_worker_pid)
	it_log "upgrade $1 (SIGUSR2): worker $old -> $new in $(( $(now_ms) - t0 )) ms"
	assert_ne "upgrade $1: worker pid" "$old" "$new"
	WORKERS+=("$new")
}
# counted_since BEFORE N: the request count did not go back
counted_since() {
	local now
	now=$(vs_requests)
	assert_ge "upgrade $2: virtual server v's requests (before it: $1)" \
	    "$now" "$1"
}

until_ms 1500
r=$(vs_requests)
upgrade_ctl 1
counted_since "$r" 1
until_ms 3000
r=$(vs_requests)
upgrade_ctl 2
counted_since "$r" 2
until_ms 4500
r=$(vs_requests)
upgrade_usr2 3
counted_since "$r" 3
kill -0 "$WRK" 2>/dev/null || check_failed "wrk ended before the upgrades did"
wait "$WRK" || check_failed "wrk failed: $(cat "$T/wrk.txt")"

lua=$(grep '^LUA' "$T/wrk.txt" || true)
it_log "wrk: $lua"
assert_wrk_clean "$T/wrk.txt" 2xx
REQS=$(wrk_lua "$T/wrk.txt" requests)
assert_ge "requests wrk completed in 12 s" "${REQS:-0}" 10000

# 3. after the upgrades
assert_eq "master pid in status after the upgrades" "$MASTER" \
    "$(master_pid_of_status)"
kill -0 "$MASTER" 2>/dev/null || fail "the master died"
assert_match "the master re-executed itself (its command line)" ' -U [0-9]+' \
    "$(tr '\0' ' ' <"/proc/$MASTER/cmdline")"
log=$(cat "$EDGED_LOG")
assert_eq "times a new image took over (log)" 3 \
    "$(grep -c "edged $VERSION took over (upgrade)" <<<"$log" || true)"
assert_eq "distinct workers: the first and one per upgrade" 4 \
    "$(printf '%s\n' "${WORKERS[@]}" | sort -u | wc -l)"
W3=${WORKERS[3]}
assert_eq "worker pid in status" "$W3" "$(edged_worker_pid)"
# the old workers drain and exit (idle keep-alive connections close
# after 1 s)
assert_eq "the master's children after wrk" "$W3 " "$(children_once_drained "$W3")"
log=$(cat "$EDGED_LOG")
for w in "${WORKERS[@]:0:3}"; do
	kill -0 "$w" 2>/dev/null && check_failed "old worker $w still exists"
	assert_match "old worker $w exited with status 0 (log)" \
	    "worker $w exited with status 0" "$log"
done
assert_no_match "workers killed, failed or stuck; upgrades failed" \
    'killed by signal|exited with status [1-9]|still busy|upgrade failed|reload failed|state was lost' \
    "$log"

INO1=$(listen_inodes)
assert_eq "listening sockets on :$VIP (inodes) after the upgrades" "$INO0" "$INO1"
in_master "$INO1" ||
    check_failed "the master holds the listening sockets $INO1: it holds $(master_inodes)"

assert_eq "failed reloads after the upgrades (carried over)" 1 \
    "$(stat_of 'j["edged"]["reloads"]["failure"]')"
assert_eq "after: b1's weight, spare's admin state" "3 drain" \
    "$(member_of b1 weight) $(member_of spare admin)"
assert_eq "after: weights 3:1, spare drained" "b1=6 b2=2" "$(split 8)"
assert_eq "requests the drained spare got" 0 "$(member_of spare requests)"
REQ1=$(vs_requests)
it_log "virtual server v's requests: $REQ0 before, $REQ1 after; wrk made $REQS"
assert_ge "virtual server v's requests after the upgrades (before + wrk's)" \
    "$REQ1" "$(( REQ0 + ${REQS:-0} ))"
# b1 has 3 of the weight 4: 3/4 of wrk's requests, give or take a few
# (each thread of each worker balances on its own)
assert_ge "member b1's requests after the upgrades" \
    "$(member_of b1 requests)" "$(( B1REQ0 + ${REQS:-0} * 3 / 4 - 20 ))"

# 4. a file the binary rejects: edgectl upgrade fails, nothing changes
sed 's/^    default-pool p$/&\n    bogus-directive on/' "$T/good.conf" >"$T/edged.conf"
F=$T/edged.conf
POS=$(awk 'i = index($0, "bogus-directive") { print NR ":" i; exit }' "$F")
assert_match "test setup: the planted error's position" '^[0-9]+:5$' "$POS"
rc=0
ctl upgrade >"$T/bad.out" 2>"$T/bad.err" || rc=$?
it_log "upgrade with a bad file: exit $rc: $(cat "$T/bad.out" "$T/bad.err")"
assert_ne "bad file: edgectl upgrade exit status" 0 "$rc"
assert_match "bad file: the error with its FILE:LINE:COL" \
    "^$F:$POS: error: unknown directive 'bogus-directive'" \
    "$(cat "$T/bad.out" "$T/bad.err")"
assert_no_match "bad file: no 'upgraded'" 'upgraded' \
    "$(cat "$T/bad.out" "$T/bad.err")"
assert_eq "bad file: worker pid" "$W3" "$(edged_worker_pid)"
assert_eq "bad file: master pid in status" "$MASTER" "$(master_pid_of_status)"
assert_eq "bad file: times a new image took over (log)" 3 \
    "$(grep -c "took over (upgrade)" "$EDGED_LOG" || true)"
codes=
for i in 1 2 3; do
	codes="$codes$(status_of "http://127.0.0.1:$VIP/bad$i") "
done
assert_eq "bad file: served" "200 200 200 " "$codes"
assert_eq "bad file: the master's children" "$W3 " \
    "$(pgrep -P "$MASTER" | tr '\n' ' ' || true)"
assert_eq "bad file: listening sockets (inodes)" "$INO0" "$(listen_inodes)"

# 5. fixed again: an upgrade goes through
cp "$T/good.conf" "$T/edged.conf"
upgrade_ctl 4
assert_eq "fixed file: served" 200 "$(status_of "http://127.0.0.1:$VIP/fixed")"
assert_eq "fixed file: master pid in status" "$MASTER" "$(master_pid_of_status)"
W4=${WORKERS[4]}
assert_eq "fixed file: the master's children" "$W4 " "$(children_once_drained "$W4")"
# nothing of the old images and workers is left open in the master
assert_eq "the master's open descriptors, before the upgrades and after" \
    "$FDS0" "$(master_fds)"

# 6. the upgraded master still stops on SIGTERM, with status 0
t0=$(now_ms)
kill -TERM "$MASTER"
# until it is gone or a zombie (our child: reaped below)
for _ in $(seq 250); do
	st=$(sed 's/.*) //' "/proc/$MASTER/stat" 2>/dev/null | cut -d' ' -f1 ||
	    true)
	[ -z "$st" ] || [ "$st" = Z ] && break
	sleep 0.02
done
took=$(( $(now_ms) - t0 ))
[ -z "$st" ] || [ "$st" = Z ] || fail "the master still runs 5 s after SIGTERM"
rc=0
wait "$MASTER" || rc=$?
assert_eq "SIGTERM after the upgrades: the master's exit status" 0 "$rc"
assert_le "SIGTERM after the upgrades: ms until the master exited" "$took" 3000
kill -0 "$W4" 2>/dev/null && check_failed "worker $W4 outlived the master"

pass
