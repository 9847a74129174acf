#!/bin/bash
# 14-fd-exhaustion: when the worker runs out of file descriptors, accept
# backs off (a warning, the listener pauses) instead of failing or
# crashing; once descriptors are free again it serves as before.
. "$(dirname "$0")/lib.sh"
it_begin 14-fd-exhaustion

VIP=$((IT_PORT + 0)) NG=$((IT_PORT + 1))
require_free_ports $VIP $NG
nginx_backend ng $NG

one_pool_conf $VIP none ng $NG >"$T/edged.conf"
# Lowering one's own limit needs no privilege: edged starts with 40
# descriptors, less than max-connections would want (it warns), and the
# worker inherits them.
limit=40
EDGED_WRAP="prlimit --nofile=$limit:$limit" edged_start "$T/edged.conf" $VIP
assert_match "edged warned that the limit is too low, and what to do" \
    '<4>warning: .*file descriptor limit 40 is below .*LimitNOFILE=[0-9]+ in the systemd unit, or ulimit -n [0-9]+' \
    "$(cat "$T/edged.log")"
# a file without a virtual server has nothing to accept: no warning
printf 'global { control-socket %s; }\n' "$T/novs.sock" >"$T/novs.conf"
prlimit --nofile=$limit:$limit "$EDGED" -c "$T/novs.conf" >"$T/novs.log" 2>&1 &
novs=$!
IT_PIDS+=("$novs")
for _ in $(seq 100); do
	grep -q 'is serving' "$T/novs.log" && break
	sleep 0.05
done
assert_match "without virtual servers: edged serves" 'is serving' \
    "$(cat "$T/novs.log")"
assert_no_match "without virtual servers: no descriptor warning" \
    'file descriptor limit' "$(cat "$T/novs.log")"
stop_pid "$novs"
assert_eq "served before" 200 "$(status_of "http://127.0.0.1:$VIP/")"
worker=$(edged_worker_pid)
assert_eq "the worker's limit" $limit \
    "$(awk '/open files/ { print $4 }' "/proc/$worker/limits")"

# 60 idle clients: some get descriptors, the rest wait in the kernel's
# queue.
"$PY" "$IT_DIR/hold.py" $VIP 60 >"$T/hold" 2>&1 &
holder=$!
IT_PIDS+=("$holder")
for _ in $(seq 100); do
	grep -q '^held' "$T/hold" && break
	sleep 0.05
done
assert_eq "the 60 clients connected" "held 60" "$(cat "$T/hold")"
sleep 0.5
assert_ge "worker descriptors in use (all it may have)" \
    "$(ls "/proc/$worker/fd" | wc -l)" $((limit - 2))
assert_match "edged said it pauses accepting" \
    'accept: Too many open files; pausing' "$(cat "$T/edged.log")"
assert_eq "the worker did not die" "$worker" "$(edged_worker_pid)"

# Descriptors come back: a new client is served by the same worker.
stop_pid "$holder"
assert_eq "served after the clients left" 200 \
    "$(status_of "http://127.0.0.1:$VIP/after" --max-time 5)"
assert_eq "by the same worker" "$worker" "$(edged_worker_pid)"
assert_eq "the master kept serving control commands" 0 \
    "$(ctl status >/dev/null 2>&1; echo $?)"

pass
