#!/bin/bash
# 37-local-exhaustion: the worker at its descriptor limit cannot open a
# connection to any member.  That is the edge's own trouble, not the
# members': requests get edged's 503 at once (no retry, no hang, no
# reset), logged "RC" in the access log; the members' errors, health and
# check history stay as they were (their monitor's checks are skipped,
# not failed), and so do those of a pool without a monitor (nothing
# counted against them); the log says so once a second, not once a
# request; and once descriptors come back traffic is served as before.
. "$(dirname "$0")/lib.sh"
it_begin 37-local-exhaustion

VIP=$((IT_PORT + 0)) B1=$((IT_PORT + 1)) B2=$((IT_PORT + 2))
VIQ=$((IT_PORT + 3))
require_free_ports $VIP $B1 $B2 $VIQ
HEALTHY='location /healthz { return 200 "ok\n"; }'
nginx_backend b1 $B1 "$HEALTHY"
nginx_backend b2 $B2 "$HEALTHY"

# idle clients must stay until released: no http-request timeout cuts them
{
	TMO_HTTP_REQUEST=60s edged_conf_head
	cat <<CONF
monitor web {
    type http
    interval 200ms
    timeout 200ms
    rise 2
    fall 2
    url /healthz
    expect status 200
}
application-profile web { type http; x-forwarded-for none }
pool p {
    algorithm round-robin
    monitor web
    member b1 127.0.0.1:$B1
    member b2 127.0.0.1:$B2
}
# the same servers without a monitor: what live traffic alone would count
pool q {
    algorithm round-robin
    member c1 127.0.0.1:$B1
    member c2 127.0.0.1:$B2
}
virtual-server v {
    listen 127.0.0.1:$VIP
    profile web
    default-pool p
    access-log $T/access.log
}
virtual-server w {
    listen 127.0.0.1:$VIQ
    profile web
    default-pool q
    access-log $T/access.log
}
CONF
} >"$T/edged.conf"

limit=64
EDGED_WRAP="prlimit --nofile=$limit:$limit" edged_start "$T/edged.conf" $VIP \
    $VIQ
worker=$(edged_worker_pid)

# pool_field EXPR [POOL]: EXPR over `edgectl show pool POOL --json`'s
# members (POOL p by default), each as m (e.g. 'm["health"]'), one value
# per member, space-separated.
pool_field() {
	ctl show pool "${2:-p}" --json | "$PY" -c 'import json,sys
j = json.load(sys.stdin)
print(" ".join(str(eval(sys.argv[1])) for m in j["pools"][0]["members"]))' "$1"
}

for _ in $(seq 100); do
	[ "$(pool_field 'm["last_check"] is not None')" = "True True" ] &&
	    break
	sleep 0.05
done
assert_eq "both members up, checked" "up up" "$(pool_field 'm["health"]')"
assert_eq "served before" 200 "$(status_of "http://127.0.0.1:$VIP/")"
assert_eq "served before (no monitor)" 200 \
    "$(status_of "http://127.0.0.1:$VIQ/")"

# Clients connect (to both virtual servers in turn) until the worker has
# no descriptor left: it stops accepting, the rest wait in the kernel's
# queue.  The client program: PORTS N GO-FILE; holds N connections,
# prints "open N", sends one request on each once GO-FILE exists, prints
# "answers STATUS=COUNT..." (or reset, timeout, closed), then holds on.
cat >"$T/clients.py" <<'PY'
import os, socket, sys, time

ports, n, go = sys.argv[1].split(","), int(sys.argv[2]), sys.argv[3]
socks = [socket.create_connection(("127.0.0.1", int(ports[i % len(ports)])),
                                  timeout=5) for i in range(n)]
print("open", len(socks), flush=True)
while not os.path.exists(go):
    time.sleep(0.05)
for s in socks:
    s.sendall(b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n")
got = {}
for s in socks:
    s.settimeout(20)
    try:
        data = s.recv(4096)
        what = data.split(b" ")[1].decode() if data.startswith(b"HTTP/") \
            else "closed" if not data else "junk"
    except ConnectionResetError:
        what = "reset"
    except socket.timeout:
        what = "timeout"
    got[what] = got.get(what, 0) + 1
print("answers", " ".join("%s=%d" % kv for kv in sorted(got.items())),
      flush=True)
while True:
    time.sleep(3600)
PY
N=100
spawn "$T/clients.out" "$PY" "$T/clients.py" $VIP,$VIQ $N "$T/go"
clients=$SPAWNED
for _ in $(seq 100); do
	grep -q '^open' "$T/clients.out" && break
	sleep 0.05
done
assert_eq "the clients connected" "open $N" "$(head -n 1 "$T/clients.out")"
for _ in $(seq 100); do
	grep -q 'accept: Too many open files; pausing' "$T/edged.log" && break
	sleep 0.05
done
assert_match "the worker ran out of descriptors accepting" \
    'accept: Too many open files; pausing' "$(cat "$T/edged.log")"

# The monitor cannot get a socket either: its checks are skipped.
for _ in $(seq 100); do
	grep -q 'check skipped' "$T/edged.log" && break
	sleep 0.05
done
# several intervals: with fall 2, failed checks would have taken both down
sleep 1
assert_match "the monitor's checks were skipped, said so" \
    'pool p member b[12]: check skipped: socket: Too many open files \(the edge.s descriptor limit\); health unchanged' \
    "$(cat "$T/edged.log")"
assert_eq "health while out of descriptors" "up up" \
    "$(pool_field 'm["health"]')"

# Every held client sends a request.  The worker cannot open a backend
# connection for those it holds; as their 503s go out and they close,
# it accepts the waiting ones, whose requests meet the same fate, until
# none waits and descriptors are free again (the last few may get 200).
touch "$T/go"
for _ in $(seq 600); do
	grep -q '^answers' "$T/clients.out" && break
	sleep 0.05
done
answers=$(grep '^answers' "$T/clients.out" || true)
n503=$(grep -o '503=[0-9]*' <<<"$answers" | cut -d= -f2)
n503=${n503:-0}
assert_match "every client got an HTTP answer (no reset, no hang)" \
    '^answers (200=[0-9]+ )?503=[0-9]+$' "$answers"
assert_ge "requests answered 503 for want of descriptors" "$n503" $((N / 2))
# the logger thread writes the lines after the answers went out: wait
# (up to 5 s) for it to catch up before counting
rc_lines() { grep -cE ' 503 [0-9]+ RC "GET /x ' "$T/access.log" || true; }
for _ in $(seq 100); do
	[ "$(rc_lines)" -ge "$n503" ] && break
	sleep 0.05
done
assert_eq "access log: each 503 is the edge's own (RC)" "$n503" "$(rc_lines)"
assert_eq "members: health" "up up" "$(pool_field 'm["health"]')"
assert_eq "members: no error counted" "0 0" "$(pool_field 'm["errors"]')"
assert_eq "members without a monitor: no error counted" "0 0" \
    "$(pool_field 'm["errors"]' q)"
assert_eq "members: no health transition" "0 0" \
    "$(pool_field 'm["transitions"]')"
assert_eq "members: the last check is the last real one" \
    "HTTP 200 HTTP 200" "$(pool_field 'm["last_check"]["result"]')"
assert_ge "the virtual servers counted the 503s as their 5xx" \
    "$(stat_of 'vs("v")["responses"]["5xx"] + vs("w")["responses"]["5xx"]')" \
    "$n503"
log=$(cat "$T/edged.log")
warned=$(grep -c 'pool [pq] member [bc][12]: cannot open a connection: Too many open files (the edge.s descriptor limit)' <<<"$log" || true)
assert_ge "the data path said it could not connect" "$warned" 1
assert_le "... in a line per second and thread, not per request" \
    "$warned" $((n503 / 4))
assert_match "... that it answers 503 without retrying" \
    'Too many open files \(the edge.s descriptor limit\); answering 503 without retrying; members. health unchanged' \
    "$log"
assert_no_match "no retry on another member" 'attempt [0-9]+ of' "$log"
assert_no_match "no member marked down" 'member b[12] DOWN' "$log"

# reported_503: the requests the log's lines say were answered 503: one
# for each first line, then how many each later line and each "open
# again" line says.
reported_503() {
	local n=0 k
	n=$(grep -c 'answering 503 without retrying' "$T/edged.log" || true)
	for k in $(grep -oE '[0-9]+ (more )?requests? answered 503 (in the|since)' \
	    "$T/edged.log" | cut -d' ' -f1); do
		n=$((n + k))
	done
	echo "$n"
}

# Descriptors come back: served again, by the same worker, the members
# untouched.  Each thread says it is over at its first success a second
# or more after its last line, with the refusals no line told yet.
stop_pid "$clients"
ok=0
for _ in $(seq 60); do
	[ "$(status_of "http://127.0.0.1:$VIP/after")" = 200 ] &&
	    ok=$((ok + 1))
	[ "$(reported_503)" -ge "$n503" ] && [ "$ok" -ge 10 ] && break
	sleep 0.1
done
assert_ge "served after the clients left" "$ok" 10
assert_eq "by the same worker" "$worker" "$(edged_worker_pid)"
assert_match "the log says connections open again" \
    'pool [pq] member [bc][12]: connections to members open again; [0-9]+ more requests? answered 503 since the last warning' \
    "$(cat "$T/edged.log")"
assert_eq "the log's lines account for every 503, once" "$n503" \
    "$(reported_503)"
for _ in $(seq 40); do
	grep -q 'checks run again' "$T/edged.log" && break
	sleep 0.1
done
assert_match "... and that checks run again" \
    'pool p member b[12]: checks run again; [0-9]+ more checks? skipped since the last warning' \
    "$(cat "$T/edged.log")"
assert_eq "members: still up" "up up" "$(pool_field 'm["health"]')"
assert_eq "members: still no error" "0 0" "$(pool_field 'm["errors"]')"
assert_eq "members without a monitor: still no error" "0 0" \
    "$(pool_field 'm["errors"]' q)"
assert_eq "served again (no monitor)" 200 \
    "$(status_of "http://127.0.0.1:$VIQ/after")"
assert_eq "members: still no transition" "0 0" \
    "$(pool_field 'm["transitions"]')"

pass
