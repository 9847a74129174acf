#!/bin/bash
# 22-state-kept: what edged knows at run time survives a reload and a
# worker crash, by name: a monitored member's health and check history
# (transitions), the admin state and weight set with edgectl, every
# counter of `edgectl show stats`, and least-conn's count of requests
# still in progress on the old worker, which the new one takes into
# account while the old one drains.
. "$(dirname "$0")/lib.sh"
it_begin 22-state-kept

VIP=$((IT_PORT + 0)) B1=$((IT_PORT + 1)) B2=$((IT_PORT + 2)) B3=$((IT_PORT + 3)) DEAD=$((IT_PORT + 98))
require_free_ports $VIP $B1 $B2 $B3 $DEAD
# answer after ?delay=S seconds (0 by default); /healthz too
py_backend b1 $B1 slow --delay 0
py_backend b2 $B2 slow --delay 0
py_backend b3 $B3 slow --delay 0

TMO_SERVER=20s
# conf ALGORITHM [EXTRA-MEMBER-LINE]
conf() {
	edged_conf_head
	cat <<CONF
monitor up {
    type http
    interval 200ms
    timeout 150ms
    rise 1
    fall 1
    url /healthz
}
application-profile web { type http; x-forwarded-for insert }
pool p {
    algorithm $1
    monitor up
    member b1 127.0.0.1:$B1
    member b2 127.0.0.1:$B2
    member b3 127.0.0.1:$B3
    member dead 127.0.0.1:$DEAD
    ${2:-}
}
virtual-server v {
    listen 127.0.0.1:$VIP
    profile web
    default-pool p
}
CONF
}
conf round-robin >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP

# the monitor finds "dead" down
for i in $(seq 1 60); do
	[ "$(ctl show pool p --json | json_get \
	    '[m for m in j["pools"][0]["members"] if m["name"] == "dead"][0]["health"]')" = down ] &&
	    break
	sleep 0.05
done

ctl member weight p b1 7 >/dev/null || fail "member weight refused"
ctl member drain p b3 >/dev/null || fail "member drain refused"
for i in $(seq 1 12); do
	get "http://127.0.0.1:$VIP/r$i" -H 'Connection: close' >/dev/null ||
	    fail "request $i failed"
done

# the members as show pool --json has them, minus what moves by itself
# (the last check's duration and age), one line per member
members() {
	ctl show pool p --json | "$PY" -c 'import json,sys
for m in json.load(sys.stdin)["pools"][0]["members"]:
    print(m["name"], m["state"], m["admin"], m["health"], m["weight"],
          m["requests"], m["errors"], m["transitions"],
          (m["last_check"] or {}).get("result"))'
}
# every counter but the gauges, from show stats --json
counters() {
	ctl show stats --json | "$PY" -c 'import json,sys
j = json.load(sys.stdin)
for v in j["virtual_servers"]:
    print("vs", v["name"], v["total"], v["requests"], v["bytes_in"],
          v["bytes_out"], v["responses"], v["errors"])
for p in j["pools"]:
    print("pool", p["name"], p["total"], p["requests"], p["bytes_in"],
          p["bytes_out"], p["responses"], p["errors"])
    for m in p["members"]:
        print("member", m["name"], m["total"], m["requests"],
              m["bytes_in"], m["bytes_out"], m["responses"], m["errors"])'
}

before_m=$(members)
before_c=$(counters)
it_log "before: $(tr '\n' ';' <<<"$before_m")"
assert_match "dead is down before the reload" '^dead down enabled down' \
    "$before_m"
assert_match "12 requests counted before" '^vs v [0-9]+ 12 ' "$before_c"

# ---- 1. a reload ----
old=$(edged_worker_pid)
out=$(ctl reload 2>&1) || fail "reload failed: $out"
edged_wait_ready "$old"
# the old worker has nothing in flight: it is gone within a moment
for i in $(seq 1 40); do kill -0 "$old" 2>/dev/null || break; sleep 0.05; done
assert_eq "members after the reload (state, admin, health, weight, requests, errors, transitions, last check)" \
    "$before_m" "$(members)"
assert_eq "counters after the reload" "$before_c" "$(counters)"

# ---- 2. the worker killed ----
old=$(edged_worker_pid)
kill -KILL "$old"
edged_wait_ready "$old"
assert_eq "members after the worker was killed" "$before_m" "$(members)"
assert_eq "counters after the worker was killed" "$before_c" "$(counters)"

# ---- 3. counting goes on from there ----
get "http://127.0.0.1:$VIP/after" >/dev/null || fail "request after failed"
assert_match "13 requests counted in all" '^vs v [0-9]+ 13 ' "$(counters)"

# ---- 4. least-conn sees the old worker's requests in progress ----
# b3 drained and dead down leave b1 and b2, at equal weights: the only
# difference between them is a long request on the old worker.
ctl member weight p b1 1 >/dev/null
conf least-conn >"$T/edged.conf"
old=$(edged_worker_pid)
ctl reload >/dev/null || fail "reload to least-conn failed"
edged_wait_ready "$old"
curl -sS --max-time 30 -o "$T/long" "http://127.0.0.1:$VIP/long?delay=4" &
LONG=$!
IT_PIDS+=("$LONG")
busy=$(backend_with long b1 b2)
[ -n "$busy" ] || fail "the long request reached no backend"
idle=$([ "$busy" = b1 ] && echo b2 || echo b1)
# the long request stays with the old worker, which drains
old=$(edged_worker_pid)
ctl reload >/dev/null || fail "reload with a request in flight failed"
edged_wait_ready "$old"
kill -0 "$old" 2>/dev/null ||
    fail "the old worker left before its long request was done"
act=$(ctl show pool p --json | json_get \
    '" ".join("%s=%d" % (m["name"], m["active"]) for m in j["pools"][0]["members"])')
it_log "long request on $busy; in progress as the new worker sees it: $act"
assert_match "the new worker counts the old one's request on $busy" \
    "(^| )$busy=1( |$)" "$act"
# the new worker has nothing in progress itself: without the old
# worker's count, its least-conn would alternate between b1 and b2
for i in $(seq 1 6); do
	assert_eq "short request $i goes to the member not busy ($idle)" \
	    "$idle" "$(get "http://127.0.0.1:$VIP/short$i" -H 'Connection: close')"
done
wait "$LONG" || check_failed "the long request failed across the reload"
assert_eq "the long request's answer" "$busy" "$(cat "$T/long")"

pass
