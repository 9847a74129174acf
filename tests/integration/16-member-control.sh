#!/bin/bash
# 16-member-control: edgectl member disable|enable|drain|weight change
# the traffic split at once, without a reload; bad names get a clear
# error; what was set survives a reload and a worker restart.  member
# reset POOL MEMBER and member reset --all go back to the file's admin
# state and weight (those of the configuration in force), and that too
# survives a reload and a worker restart.
. "$(dirname "$0")/lib.sh"
it_begin 16-member-control

VIP=$((IT_PORT + 0)) B1=$((IT_PORT + 1)) B2=$((IT_PORT + 2))
require_free_ports $VIP $B1 $B2
nginx_backend b1 $B1
nginx_backend b2 $B2

one_pool_conf $VIP none b1 $B1 b2 $B2 >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP

# split N: the backends that answered N requests on one connection (one
# thread, one balancer: smooth round-robin is exact), as "b1=X b2=Y".
split() {
	curl -sS --max-time 20 "http://127.0.0.1:$VIP/s[1-$1]" >"$T/split"
	printf 'b1=%s b2=%s' "$(grep -c '^b1$' "$T/split")" \
	    "$(grep -c '^b2$' "$T/split")"
}
admin_of() { ctl show pool p --json | json_get "[m for m in j['pools'][0]['members'] if m['name'] == '$1'][0]['$2']"; }

assert_eq "equal weights" "b1=4 b2=4" "$(split 8)"

assert_eq "disable answers" "pool p member b1: disable" \
    "$(ctl member disable p b1)"
assert_eq "b1 disabled: all to b2" "b1=0 b2=8" "$(split 8)"
assert_eq "show pool: b1's admin state" disabled "$(admin_of b1 admin)"

ctl member enable p b1 >/dev/null
ctl member weight p b1 3 >/dev/null
assert_eq "show pool: b1's weight" 3 "$(admin_of b1 weight)"
assert_eq "weights 3:1" "b1=6 b2=2" "$(split 8)"

ctl member drain p b2 >/dev/null
assert_eq "b2 draining: no new requests" "b1=8 b2=0" "$(split 8)"
assert_eq "show pool: b2 state" drain "$(admin_of b2 state)"

# errors: clear, non-zero, nothing changed
out=$(ctl member disable p b3 2>&1) && fail "unknown member accepted"
assert_match "unknown member" "pool p has no member 'b3'; did you mean" "$out"
out=$(ctl member drain pp b1 2>&1) && fail "unknown pool accepted"
assert_match "unknown pool" "no pool 'pp'; did you mean 'p'" "$out"
out=$(ctl member weight p b1 0 2>&1) && fail "weight 0 accepted"
assert_match "weight out of range" "weight must be a number from 1 to 256" "$out"
out=$(ctl member stop p b1 2>&1) && fail "unknown action accepted"
assert_match "unknown action" "unknown member command 'stop'" "$out"
assert_eq "still draining, weight still 3" "drain 3" \
    "$(admin_of b2 state) $(admin_of b1 weight)"

# a reload keeps what edgectl set
ctl reload >/dev/null
assert_eq "after reload: b2 still draining" "b1=8 b2=0" "$(split 8)"
assert_eq "after reload: b1 weight" 3 "$(admin_of b1 weight)"

# so does a new worker after a crash
crash_worker() {
	local old new
	old=$(edged_worker_pid)
	kill -KILL "$old"
	for _ in $(seq 100); do
		new=$(edged_worker_pid 2>/dev/null || true)
		[ -n "$new" ] && [ "$new" != "$old" ] &&
		    [ "$(status_of "http://127.0.0.1:$VIP/")" = 200 ] && break
		sleep 0.05
	done
	assert_ne "a new worker" "$old" "$(edged_worker_pid)"
}
crash_worker
assert_eq "after restart: b2 still draining" "b1=8 b2=0" "$(split 8)"

ctl member enable p b2 >/dev/null
assert_eq "b2 enabled again, weights 3:1" "b1=6 b2=2" "$(split 8)"

# no usable member at all: 503 at once, not after a timeout
ctl member disable p b1 >/dev/null
ctl member disable p b2 >/dev/null
t0=$(now_ms)
assert_eq "every member disabled: 503" 503 \
    "$(status_of "http://127.0.0.1:$VIP/none")"
assert_le "and at once (ms)" $(( $(now_ms) - t0 )) 300
ctl member enable p b1 >/dev/null
ctl member enable p b2 >/dev/null
assert_eq "enabled again" 200 "$(status_of "http://127.0.0.1:$VIP/")"

# ---- member reset: back to the file ----
# the file now gives b1 weight 2: the reset goes to that, not to 1
sed -i "s/member b1 127.0.0.1:$B1\$/member b1 127.0.0.1:$B1 weight 2/" \
    "$T/edged.conf"
grep -q "weight 2" "$T/edged.conf" || fail "the test's sed did not apply"
reload() {
	local old
	old=$(edged_worker_pid)
	ctl reload >/dev/null
	edged_wait_ready "$old"
}
reload
assert_eq "after reload: edgectl's weight 3 still wins" "b1=6 b2=2" \
    "$(split 8)"
ctl member disable p b2 >/dev/null
assert_eq "b2 disabled" "b1=8 b2=0" "$(split 8)"
assert_eq "reset b2 answers the file's values" \
    "pool p member b2: back to the file: enabled, weight 1" \
    "$(ctl member reset p b2)"
assert_eq "b2 takes traffic again; b1 still 3" "b1=6 b2=2" "$(split 8)"
assert_eq "reset b1 answers the file's weight" \
    "pool p member b1: back to the file: enabled, weight 2" \
    "$(ctl member reset p b1)"
assert_eq "the file's weights 2:1" "b1=6 b2=3" "$(split 9)"
assert_eq "show pool: b1's weight is the file's" 2 "$(admin_of b1 weight)"
assert_eq "show pool: b2 enabled" enabled "$(admin_of b2 admin)"

# the override is gone: neither a reload nor a new worker brings it back
reload
assert_eq "after reload: still the file's weights" "b1=6 b2=3" "$(split 9)"
crash_worker
assert_eq "after a worker restart: still the file's weights" "b1=6 b2=3" \
    "$(split 9)"

# reset --all
ctl member weight p b2 4 >/dev/null
ctl member drain p b1 >/dev/null
assert_eq "b1 draining, b2 weight 4" "b1=0 b2=8" "$(split 8)"
assert_eq "reset --all answers how many changed" \
    "2 members back to the file's admin state and weight" \
    "$(ctl member reset --all)"
assert_eq "after reset --all: the file's weights" "b1=6 b2=3" "$(split 9)"
assert_eq "reset --all with nothing to reset" \
    "0 members back to the file's admin state and weight" \
    "$(ctl member reset --all)"
reload
assert_eq "after reset --all and a reload" "b1=6 b2=3" "$(split 9)"

# misspelt names: did you mean, nothing changed
out=$(ctl member reset p b3 2>&1) && fail "reset of an unknown member"
assert_match "reset: unknown member" "pool p has no member 'b3'; did you mean" \
    "$out"
out=$(ctl member reset pp b1 2>&1) && fail "reset in an unknown pool"
assert_match "reset: unknown pool" "no pool 'pp'; did you mean 'p'" "$out"

pass
