#!/bin/bash
# 14-fd-exhaustion: when the worker runs out of file descriptors, accept
# backs off (a warning, the listener pauses) instead of failing or
# crashing; once descriptors are free again it serves as before.
# Then a flood that holds the worker at its limit for seconds: a
# keep-alive client connected before it is served all along, the
# warning comes at most once a second (not at each of the ten retries a
# second), edged serves new clients once it ends, and the worker's RSS
# comes back; figures printed.
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
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$worker/status"; }
rss0=$(rss)
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
# The worker first accepts the connections still in the kernel's queue
# (their clients gone), and until it has closed them a connection to the
# member may still find no descriptor (a 503, as it should): the first
# 200 within 2 s is what is asked.
stop_pid "$holder"
after() { status_of "http://127.0.0.1:$VIP/after" --max-time 5; }
assert_eq "served after the clients left" 200 "$(poll_until 200 40 after)"
assert_eq "by the same worker" "$worker" "$(edged_worker_pid)"
assert_eq "the master kept serving control commands" 0 \
    "$(ctl status >/dev/null 2>&1; echo $?)"


# ---- a flood that lasts ----
# keepalive SECONDS: one connection, a GET every 0.1 s for SECONDS;
# prints "requests=N ok=N first-failure"
keepalive() {
	"$PY" - "$VIP" "$1" <<'PY'
import socket, sys, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
n = ok = 0
bad = "-"
end = time.monotonic() + seconds
while time.monotonic() < end:
    n += 1
    try:
        s.sendall(b"GET /ka HTTP/1.1\r\nHost: t\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data or not data.endswith(b"ng\n"):
            chunk = s.recv(4096)
            if not chunk:
                raise ConnectionError("closed by edged")
            data += chunk
        if data.startswith(b"HTTP/1.1 200 "):
            ok += 1
        elif bad == "-":
            bad = data.split(b"\r\n")[0].decode()
    except (OSError, ConnectionError) as e:
        bad = "%s after %d requests" % (e, n - 1)
        break
    print("requests=%d ok=%d first-failure=%s" % (n, ok, bad), flush=True)
    time.sleep(0.1)
PY
}
warnings() { grep -c 'accept: Too many open files; pausing' "$EDGED_LOG" || true; }
keepalive 6 >"$T/keepalive" 2>&1 &
ka=$!
IT_PIDS+=("$ka")
for _ in $(seq 100); do
	grep -q 'ok=1 ' "$T/keepalive" && break
	sleep 0.05
done
assert_match "the keep-alive client is served before the flood" 'ok=1 ' \
    "$(cat "$T/keepalive")"
w0=$(warnings) t0=$(now_ms)
# 300 connections over 3 s that send nothing: the worker stays at its
# limit (each is cut at timeout http-request, 2 s, and the next waits)
"$PY" "$IT_DIR/tlsflood.py" $VIP flood --conns 300 --seconds 3 \
    --silent-every 1 --wait 1 >"$T/flood" 2>&1 &
flooder=$!
IT_PIDS+=("$flooder")
sleep 1
assert_ge "during the flood: worker descriptors in use" \
    "$(ls "/proc/$worker/fd" | wc -l)" $((limit - 2))
rss1=$(rss)
wait "$flooder" || check_failed "the flood failed: $(cat "$T/flood")"
t1=$(now_ms)
w1=$(warnings)
wait "$ka" || true
last=$(tail -n 1 "$T/keepalive")
it_log "flood: $(cat "$T/flood")"
it_log "keep-alive client during the flood: $last"
it_log "pausing warnings: $((w1 - w0)) in $(((t1 - t0) / 1000)) s of flood" \
    "(the listener retries accept every 0.1 s)"
assert_match "the keep-alive client was served throughout" \
    '^requests=([0-9]+) ok=\1 first-failure=-$' "$last"
assert_ge "the keep-alive client's requests" \
    "$(sed 's/^requests=\([0-9]*\).*/\1/' <<<"$last")" 20
assert_between "pausing warnings: one a second at most" $((w1 - w0)) 1 \
    $(((t1 - t0) / 1000 + 2))

# the flood has gone: new clients are served, by the same worker
for _ in $(seq 50); do
	[ "$(ls "/proc/$worker/fd" | wc -l)" -lt $((limit - 8)) ] && break
	sleep 0.1
done
assert_eq "served after the flood" 200 \
    "$(status_of "http://127.0.0.1:$VIP/after-flood" --max-time 5)"
assert_eq "by the same worker, after the flood" "$worker" "$(edged_worker_pid)"
rss2=$(rss)
it_log "worker RSS: ${rss0} KiB before, ${rss1} during the flood, ${rss2} after"
# a few hundred sessions came and went: what glibc keeps of them is
# small next to the 10% (ASan keeps freed memory in its quarantine)
[ "$IT_SANITIZED" = 1 ] || assert_le "worker RSS (KiB) after the flood: at most 10% (and 512 KiB) over before" \
    "$rss2" $((rss0 * 110 / 100 + 512))

pass
