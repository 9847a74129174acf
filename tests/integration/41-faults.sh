#!/bin/bash
# 41-faults: faults around edged rather than in its traffic.
#
# 1. The master killed with SIGKILL: its worker exits by itself at once
#    (it must not hold the unit's cgroup, or systemd waits before it
#    restarts edged), and edged started again (as the unit's
#    Restart=on-failure does) serves again at once, over the control
#    socket and listeners the dead one left.  Figures printed.
# 2. A full disk, in a network namespace and a mount namespace made here
#    (a 1 MiB tmpfs seen by edged alone, filled with dd): serving goes
#    on; the access log's lines are counted as dropped
#    (edged_access_log_dropped_lines_total) with one warning, not one a
#    line; a dynamic group's change holds and edgectl says it was not
#    saved, while the state file keeps its last whole content (written
#    to a temporary file, fsync'd, renamed); once there is room, both
#    write again, and the cut access-log line is ended so that every line
#    stays whole.
# 3. edged's nft table changed by hand (a rule added with nft) and then
#    removed by hand while edged runs: the master, listening to the
#    kernel's nftables notices, logs it at once; show firewall says so;
#    a reload puts edged's table back, with the dynamic group's members.
source "$(dirname "$0")/lib.sh"

it_begin 41-faults
command -v ip >/dev/null || fail "ip not found (install-deps.sh)"
command -v nft >/dev/null || fail "nft not found (install-deps.sh)"
command -v unshare >/dev/null || fail "unshare not found (util-linux)"
command -v nsenter >/dev/null || fail "nsenter not found (util-linux)"

VIP=$((IT_PORT + 0)) NG=$((IT_PORT + 1)) MEMBER=$((IT_PORT + 2))
VS=$((IT_PORT + 3)) STATS=$((IT_PORT + 4))
require_free_ports $VIP $NG

# a process has exited: gone, or a zombie nobody reaped yet
exited() { [ ! -e "/proc/$1/stat" ] || grep -q '^[0-9]* ([^)]*) Z' \
    "/proc/$1/stat" 2>/dev/null; }

# ---- 1. the master killed with SIGKILL ----
nginx_backend ng $NG
one_pool_conf $VIP none ng $NG >"$T/kill.conf"
edged_start "$T/kill.conf" $VIP
assert_eq "before: served" ng "$(get "http://127.0.0.1:$VIP/")"
worker=$(edged_worker_pid)
master=$EDGED_PID
kill -KILL "$master"
t0=$(now_ms)
while ! exited "$worker"; do
	[ $(( $(now_ms) - t0 )) -lt 10000 ] ||
	    fail "the worker outlived its master killed with SIGKILL by 10 s"
	sleep 0.01
done
worker_ms=$(( $(now_ms) - t0 ))
wait "$master" 2>/dev/null || true
assert_match "the control socket the dead master left is there" . \
    "$(ls "$EDGED_SOCK" 2>/dev/null)"
# what Restart=on-failure does once the cgroup is empty: start it again
t1=$(now_ms)
spawn "$T/edged2.log" "$EDGED" -d -c "$T/kill.conf"
EDGED_PID=$SPAWNED EDGED_LOG=$T/edged2.log
while [ "$(status_of "http://127.0.0.1:$VIP/")" != 200 ]; do
	[ $(( $(now_ms) - t1 )) -lt 10000 ] ||
	    fail "edged started again does not serve within 10 s"
	sleep 0.01
done
serve_ms=$(( $(now_ms) - t1 ))
edged_wait_ready
it_log "master SIGKILL: worker exited after ${worker_ms} ms; edged started again served after ${serve_ms} ms"
assert_eq "after the restart: served" ng "$(get "http://127.0.0.1:$VIP/")"
assert_match "the unit restarts edged when it dies" \
    '^Restart=on-failure' "$(cat "$IT_DIR/../../packaging/edged.service")"
assert_match "... a second later at most" '^RestartSec=(0|1)(s|ms)?$' \
    "$(grep '^RestartSec=' "$IT_DIR/../../packaging/edged.service")"
stop_pid "$EDGED_PID"
backend_stop ng

# ---- 2. a full disk ----
E=edged-it41-e-$$
netns_add "$E"
inE() { ip netns exec "$E" "$@"; }
netns_nginx "$E" member "127.0.0.1:$MEMBER" "
        listen 127.0.0.1:$MEMBER;
        location / { return 200 \"member\\n\"; }"

FULL=$T/full
mkdir -p "$FULL"
# edged's own mount namespace (private: nothing reaches the machine's),
# with a small tmpfs for its access log and state directory
cat >"$T/withfull.sh" <<EOF
#!/bin/sh
mount -t tmpfs -o size=1m,mode=0755 edged-it41 "$FULL" || exit 1
mkdir -p "$FULL/state"
exec "\$@"
EOF
chmod +x "$T/withfull.sh"
cat >"$T/edged.conf" <<EOF
global {
    workers 1
    user edged
    control-socket $EDGED_SOCK
    state-directory $FULL/state
}
application-profile web { type http }
pool p { member m 127.0.0.1:$MEMBER }
virtual-server v {
    listen 127.0.0.1:$VS
    profile web
    default-pool p
    access-log $FULL/access.log
}
stats { listen 127.0.0.1:$STATS }
address-group trusted { dynamic }
firewall {
    default-policy accept
    rule trusted-web {
        source trusted
        destination self
        service tcp/$VS
        action accept
    }
}
EOF
EDGED_WRAP="ip netns exec $E unshare -m --propagation private $T/withfull.sh" \
    edged_start "$T/edged.conf"
inFS() { nsenter -t "$EDGED_PID" -m "$@"; }
dropped() {
	inE curl -sS --max-time 5 "http://127.0.0.1:$STATS/metrics" |
	    awk '$1 == "edged_access_log_dropped_lines_total" { print $2 }'
}
requests() {		# N: N requests, each must be answered 200
	local i code
	for i in $(seq "$1"); do
		code=$(inE curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
		    "http://127.0.0.1:$VS/r$i") || true
		[ "$code" = 200 ] || fail "request $i: status '$code', not 200"
	done
}
assert_eq "the tmpfs is edged's alone" "" \
    "$(grep " $FULL " /proc/self/mounts || true)"

out=$(ctl group add trusted 10.41.0.5)
assert_no_match "group add, disk not full: saved" 'not saved' "$out"
assert_eq "the state file" "trusted 10.41.0.5" \
    "$(state_groups inFS "$FULL/state")"
requests 5
sleep 0.3
assert_eq "before the disk is full: no line dropped" 0 "$(dropped)"

# fill it: dd stops at ENOSPC
inFS dd if=/dev/zero of="$FULL/filler" bs=64k >/dev/null 2>&1 || true
assert_match "the disk is full" '^0$' \
    "$(inFS df --output=avail "$FULL" | tail -n 1 | tr -d ' ')"
# The page the access log's last lines are in still has room: the first
# lines after the fill go there, one is cut at the page's end, the rest
# are dropped.  Enough requests to fill that page and more.
whole() {		# the whole access-log lines written so far
	inFS cat "$FULL/access.log" | grep -cE \
	    '^127\.0\.0\.1:[0-9]+ \[[^]]*\] v p/m [-0-9/]+ 200 [0-9]+ [-A-Za-z]+ "GET /r[0-9]+ HTTP/1\.1"$' || true
}
N=120
requests $N
n= w=
for _ in $(seq 100); do
	n=$(dropped) w=$(whole)
	[ $((n + w)) -eq $((5 + N)) ] && break
	sleep 0.05
done
it_log "full disk: of $N access-log lines, $((w - 5)) fitted in the last page, $n dropped"
assert_eq "each line is written whole or counted as dropped" $((5 + N)) $((n + w))
assert_ge "lines were dropped" "$n" 1
assert_between "one warning for them, not one a line" \
    "$(grep -c "access log $FULL/access.log: cannot write: No space left on device" "$T/edged.log")" 1 2
out=$(ctl group add trusted 10.41.0.6) || fail "group add on a full disk failed: $out"
assert_match "group add on a full disk: the change holds" \
    'group trusted: added 1 address; 2 members' "$out"
assert_match "... and edgectl says it was not saved, and why" \
    'warning: not saved \(.*No space left on device\): the change holds until edged restarts' \
    "$out"
assert_match "the kernel's set has the new member" '10\.41\.0\.6' \
    "$(inE nft list table inet edged)"
assert_eq "the state file keeps its last whole content" "trusted 10.41.0.5" \
    "$(state_groups inFS "$FULL/state")"
assert_eq "no slot left half made" "groups.1" \
    "$(inFS ls "$FULL/state" | tr '\n' ' ' | sed 's/ $//')"

# room again
inFS rm -f "$FULL/filler"
requests 5
for _ in $(seq 100); do
	grep -q "access log $FULL/access.log: writing again" "$T/edged.log" &&
	    break
	sleep 0.05
done
assert_match "the access log writes again, and says so" \
    "access log $FULL/access.log: writing again" "$(cat "$T/edged.log")"
assert_eq "nothing more dropped" "$n" "$(dropped)"
for _ in $(seq 100); do
	[ "$(whole)" -eq $((w + 5)) ] && break
	sleep 0.05
done
inFS cat "$FULL/access.log" >"$T/access.log"
assert_eq "the access log: the lines written before, between and after" \
    $((w + 5)) "$(whole)"
assert_le "... and at most one cut line besides, on a line of its own" \
    "$(( $(wc -l <"$T/access.log") - w - 5 ))" 1
out=$(ctl group add trusted 10.41.0.7)
assert_no_match "group add with room again: saved" 'not saved' "$out"
assert_eq "the state file has every member" "trusted 10.41.0.5 10.41.0.6 10.41.0.7" \
    "$(state_groups inFS "$FULL/state")"
# both slots made: a change that fits their room is saved on a full disk
ctl group add trusted 10.41.0.8 >/dev/null
inFS dd if=/dev/zero of="$FULL/filler" bs=64k >/dev/null 2>&1 || true
assert_match "the disk is full again" '^0$' \
    "$(inFS df --output=avail "$FULL" | tail -n 1 | tr -d ' ')"
assert_eq "both slots made" "groups.0 groups.1" \
    "$(inFS ls "$FULL/state" | tr '\n' ' ' | sed 's/ $//')"
out=$(ctl group del trusted 10.41.0.8)
assert_no_match "group del on a full disk, into the slots' room: saved" \
    'not saved' "$out"
assert_eq "... and kept" "trusted 10.41.0.5 10.41.0.6 10.41.0.7" \
    "$(state_groups inFS "$FULL/state")"
inFS rm -f "$FULL/filler"

# ---- 3. the table changed, then removed, by hand ----
chain=$(inE nft list table inet edged | awk '$1 == "chain" { print $2; exit }')
assert_match "edged's table has a chain" . "$chain"
# the log line the master writes when the kernel's notices show it
wait_log() {		# WHAT REGEX
	local _
	for _ in $(seq 100); do
		grep -qE "$2" "$T/edged.log" && break
		sleep 0.05
	done
	assert_match "$1" "$2" "$(cat "$T/edged.log")"
}
assert_no_match "edged's own changes (groups, reloads) are not taken for a stranger's" \
    'by something other than edged' "$(cat "$T/edged.log")"
inE nft add rule inet edged "$chain" counter comment '"added-by-hand"'
wait_log "the master notices the change at once, and says so" \
    'warning: .*firewall: table inet edged was changed by something other than edged while edged runs: its rules may not be the configuration.s; edgectl reload puts edged.s back'
assert_match "show firewall: changed by something other than edged" \
    '^table inet edged: in the kernel, but changed by something other than edged' \
    "$(ctl show firewall | head -n 1)"
assert_eq "show firewall --json: state changed" changed \
    "$(ctl show firewall --json | json_get 'j["table"]["state"]')"
ctl reload >/dev/null || fail "reload failed"
assert_match "the reload says it puts edged's table back" \
    'firewall: table inet edged was changed by something other than edged; putting it back' \
    "$(cat "$T/edged.log")"
table=$(inE nft list table inet edged)
assert_no_match "the rule added by hand is gone" 'added-by-hand' "$table"
# (.5, .6 and .7: one range of the interval set)
assert_match "the group's members are back in the set" \
    '10\.41\.0\.5-10\.41\.0\.7' "$table"
assert_match "show firewall: in force again" \
    '^table inet edged: in the kernel, in force' \
    "$(ctl show firewall | head -n 1)"
# an unchanged table is not sent again by a reload
lines=$(grep -c 'table inet edged applied' "$T/edged.log")
ctl reload >/dev/null || fail "reload failed"
assert_eq "a reload with the table intact leaves it alone" "$lines" \
    "$(grep -c 'table inet edged applied' "$T/edged.log")"

inE nft delete table inet edged
wait_log "the master notices the removal" \
    'firewall: table inet edged was removed by something other than edged while edged runs: no filtering and no NAT by edged'
assert_match "show firewall: missing" \
    '^table inet edged: not in the kernel \(removed by something other than edged\)' \
    "$(ctl show firewall | head -n 1)"
ctl reload >/dev/null || fail "reload failed"
assert_match "the reload puts the removed table back, and says so" \
    'firewall: table inet edged was removed by something other than edged; putting it back' \
    "$(cat "$T/edged.log")"
assert_match "... with the group's members" '10\.41\.0\.5-10\.41\.0\.7' \
    "$(inE nft list table inet edged)"
assert_eq "served throughout" member \
    "$(inE curl -sS --max-time 5 "http://127.0.0.1:$VS/")"

pass
