#!/bin/bash
# 42-reload-commit: the reload transaction across modules (conf/module.h).
# A new generation is loaded and its worker started; only once that
# worker serves is each module's part committed, and when a module cannot
# commit, every module stays as it was and the new worker goes.
#
# The failing commit is a real one: edged runs, in a network namespace
# made here, without CAP_NET_ADMIN (setpriv drops it from the bounding
# set), so the kernel refuses its nftables table with EPERM.  A load
# balancer alone needs no such privilege and starts; a reload that adds a
# firewall is then refused by the kernel at commit:
#
#   - edgectl reload fails and says why and that the running configuration
#     stays in force; the log says the same;
#   - the worker serving before still serves, and is still the current one;
#     the reload's worker, which served a moment, drains and exits;
#   - the firewall module keeps the generation in force: show firewall
#     says no firewall is configured;
#   - edged_reloads_total counts a failure;
#   - a later reload without the firewall goes through (nothing was left
#     half-done).
source "$(dirname "$0")/lib.sh"

it_begin 42-reload-commit
command -v ip >/dev/null || fail "ip not found (install-deps.sh)"
command -v setpriv >/dev/null || fail "setpriv not found (util-linux)"

VS=$((IT_PORT + 0)) MEMBER=$((IT_PORT + 1)) STATS=$((IT_PORT + 2))
E=edged-it42-e-$$
netns_add "$E"
inE() { ip netns exec "$E" "$@"; }

netns_nginx "$E" member "127.0.0.1:$MEMBER" "
        listen 127.0.0.1:$MEMBER;
        location / { return 200 \"member\\n\"; }"

write_conf() {		# WEIGHT [FIREWALL-BLOCK]
	cat <<EOF
global {
    workers 1
    user edged
    control-socket $EDGED_SOCK
    state-directory $T/state
}
application-profile web { type http }
pool p { member m 127.0.0.1:$MEMBER weight $1 }
virtual-server v {
    listen 127.0.0.1:$VS
    profile web
    default-pool p
}
stats {
    listen 127.0.0.1:$STATS
}
EOF
	[ $# -lt 2 ] || printf '%s\n' "$2"
}
firewall='firewall {
    default-policy accept
    rule no-telnet {
        service tcp/23
        action drop
    }
}'
serves() { inE curl -sS --max-time 5 "http://127.0.0.1:$VS/" 2>&1; }
reloads() {		# RESULT: edged_reloads_total{result=RESULT}
	inE curl -sS --max-time 5 "http://127.0.0.1:$STATS/metrics" |
	    sed -n "s/^edged_reloads_total{result=\"$1\"} //p"
}

mkdir -p "$T/state"
write_conf 1 >"$T/edged.conf"
EDGED_WRAP="ip netns exec $E setpriv --bounding-set -net_admin" \
    edged_start "$T/edged.conf"
assert_eq "no CAP_NET_ADMIN: a load balancer alone serves" member "$(serves)"
w1=$(edged_worker_pid)
fail_before=$(reloads failure)
assert_eq "no failed reload yet" 0 "${fail_before:-missing}"

# ---- a firewall the kernel refuses: the commit fails ----
write_conf 2 "$firewall" >"$T/edged.conf"
rc=0
ctl reload >"$T/reload.out" 2>"$T/reload.err" || rc=$?
assert_ne "edgectl reload: refused" 0 "$rc"
err=$(cat "$T/reload.err")
assert_match "says the kernel refused the table" \
    'the kernel refused the firewall and NAT rules' "$err"
assert_match "says the running configuration stays" \
    'the running configuration stays in force' "$err"
assert_no_match "does not say it reloaded" 'configuration reloaded' \
    "$err$(cat "$T/reload.out")"
assert_match "logged" 'reload failed: the kernel refused the firewall' \
    "$(cat "$EDGED_LOG")"

assert_eq "the worker of before is still the current one" "$w1" \
    "$(edged_worker_pid)"
assert_eq "and it serves" member "$(serves)"
assert_eq "the pool keeps the old weight" 1 \
    "$(ctl show pool p --json | json_get 'j["pools"][0]["members"][0]["weight"]')"
assert_match "show firewall: the configuration in force has none" \
    'no firewall configured' "$(ctl show firewall)"
assert_eq "edged_reloads_total{result=\"failure\"}" 1 "$(reloads failure)"

# the reload's worker: started, then drained away
w2=$(sed -n 's/.*started worker \([0-9]*\).*/\1/p' "$EDGED_LOG" | tail -n 1)
assert_ne "a worker was started for the reload" "$w1" "${w2:-none}"
for _ in $(seq 1 100); do
	[ -e "/proc/$w2" ] || break
	sleep 0.1
done
[ ! -e "/proc/$w2" ] ||
    check_failed "the refused reload's worker $w2 is still running"
assert_eq "no worker left draining" "[]" \
    "$(ctl status --json | json_get 'j["draining_pids"]')"

# ---- nothing left half-done: a reload without the firewall goes ----
write_conf 3 >"$T/edged.conf"
rc=0
ctl reload >"$T/reload.out" 2>&1 || rc=$?
assert_eq "reload without the firewall: exit status" 0 "$rc"
assert_eq "reload without the firewall: answer" "configuration reloaded" \
    "$(cat "$T/reload.out")"
edged_wait_ready "$w1"
assert_eq "the new generation's weight" 3 \
    "$(ctl show pool p --json | json_get 'j["pools"][0]["members"][0]["weight"]')"
assert_eq "it serves" member "$(serves)"

pass
