#!/bin/sh
# tests/bench/reload.sh - reloads under load: edged against Debian's
# HAProxy (2.6) doing its seamless reload, side by side.
#
#     sh tests/bench/reload.sh         (as root, after building edged)
#
# Starts two nginx backends (by default ports of one single-worker nginx,
# as bench.sh does; a third port of it is the member that reloads add and
# remove), edged and haproxy with equivalent configurations (one thread
# each, keep-alive on both sides, the timeouts of bench.sh), then, for
# ROUNDS rounds, alternating which side goes first:
#
#   wrk -tWRK_THREADS -cCONNS -dDURATION at full load on one side, while
#   its configuration is reloaded every RELOAD_EVERY seconds, cycling
#   through six files, each differing from the one before in one thing:
#     0 round-robin b1 b2             -> 1 adds member b3
#     1 round-robin b1 b2 b3          -> 2 changes the algorithm
#     2 least-conn  b1 b2 b3          -> 3 adds a second virtual server
#     3 least-conn  b1 b2 b3 + vs2    -> 4 removes member b3
#     4 least-conn  b1 b2 + vs2       -> 5 changes the algorithm back
#     5 round-robin b1 b2 + vs2       -> 0 removes the second virtual server
#
#   edged:   `edgectl reload` (which returns once the new worker is READY);
#            the new worker takes the master's listening sockets
#            (SO_REUSEPORT, kept by the master), the old one drains.
#   haproxy: master-worker mode (-W) with a master CLI (-S); `reload` on
#            the master CLI, done once `show proc` shows the master's
#            reload counter moved on; the new worker gets the listening
#            sockets from the old one (the -x mechanism: the master passes
#            them over its socketpair; the stats socket also has
#            `expose-fd listeners`), the old one finishes (soft stop).
#
# Reload k is due at k * RELOAD_EVERY; one that comes due while the
# previous is under way starts when it ends ("late"), a tick a whole
# interval behind is skipped ("missed").  After each reload to a
# configuration with the second virtual server, one GET is sent to it (in
# a thread of its own: a check that the new configuration is in force).
# A wrk Lua script (written to the temporary directory) reports requests,
# socket errors and non-2xx/3xx answers.  Every run starts from
# configuration 0 with the side's old workers gone (waited for up to
# SETTLE_MAX = 15 s).
#
# Prints every run and the medians of each side, and the median of the
# per-round ratios edged/haproxy of requests/s; then edged's log lines
# while wrk ran (it runs with -d, so every session it closes is logged
# with the reason), haproxy's unusual messages, and problems (errors,
# failed reloads or GETs, old workers still there, more than one
# listening socket on a port).  It never fails on a number; it exits
# non-zero only when it cannot run.
#
# Environment (defaults in brackets):
#   EDGED_BUILD    build directory with edged and edgectl [../../build]
#   ROUNDS         rounds (each: one run per side) [3]
#   DURATION       seconds per wrk run [20]
#   RELOAD_EVERY   seconds between reloads (decimal allowed) [0.5]
#   CONNS          wrk connections [50]
#   WRK_THREADS    wrk threads [2]
#   PIN            auto = pin with taskset as bench.sh does, none [auto]
#   NGINX          one = one nginx (1 worker) on all backend ports,
#                  two = one nginx for b1, another for b2 and b3 [one]
#   PROXY_CPUS, BACKEND_CPUS, CLIENT_CPUS   taskset lists (override PIN)
#   CAP            a CPU cap for each proxy, in % of one CPU (cgroup cpu
#                  quota; 0 = none): makes the proxy the bottleneck [0]
#   PORT_BASE      edged on PORT_BASE, its vs2 on +4, backends on +1..+3,
#                  haproxy on +10, its vs2 on +14; within 31000-31985 [31280]
#   STATUS_CODES   1 = the Lua script also counts each non-2xx/3xx status
#                  code (costs wrk CPU: its response() hook) [0]
#   KEEP_TMP       1 = keep the temporary directory (configs, logs, outputs)
set -u

here=$(cd "$(dirname "$0")" && pwd)
me=reload-bench
. "$here/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-20}
RELOAD_EVERY=${RELOAD_EVERY:-0.5}
CONNS=${CONNS:-50}
WRK_THREADS=${WRK_THREADS:-2}
PIN=${PIN:-auto}
NGINX=${NGINX:-one}
PORT_BASE=${PORT_BASE:-31280}
STATUS_CODES=${STATUS_CODES:-0}
KEEP_TMP=${KEEP_TMP:-0}

need_uint ROUNDS DURATION CONNS WRK_THREADS PORT_BASE
[ "$ROUNDS" -ge 1 ] && [ "$DURATION" -ge 2 ] && [ "$CONNS" -ge 1 ] &&
    [ "$WRK_THREADS" -ge 1 ] && [ "$CONNS" -ge "$WRK_THREADS" ] ||
    die "ROUNDS, CONNS, WRK_THREADS >= 1, DURATION >= 2, CONNS >= WRK_THREADS"
case $RELOAD_EVERY in
'' | *[!0-9.]* | *.*.* | .) die "RELOAD_EVERY: seconds, e.g. 0.5 (got '$RELOAD_EVERY')" ;;
esac
awk -v r="$RELOAD_EVERY" 'BEGIN { exit !(r >= 0.05 && r <= 3600) }' ||
    die "RELOAD_EVERY must be within 0.05-3600 seconds"
need_port_base 31985
check_placement
case $STATUS_CODES in 0 | 1) ;; *) die "STATUS_CODES: 0 or 1" ;; esac

EDGE_PORT=$PORT_BASE
WEB1_PORT=$((PORT_BASE + 1))
WEB2_PORT=$((PORT_BASE + 2))
WEB3_PORT=$((PORT_BASE + 3))
EDGE_VS2=$((PORT_BASE + 4))
HAP_PORT=$((PORT_BASE + 10))
HAP_VS2=$((PORT_BASE + 14))
SETTLE_MAX=15		# seconds to wait for old workers after a run

# ---- what we need ----

need_tools wrk nginx haproxy curl ss awk sort uniq sed timeout
need_free_ports $EDGE_PORT $WEB1_PORT $WEB2_PORT $WEB3_PORT $EDGE_VS2 \
    $HAP_PORT $HAP_VS2
raise_nofile
[ "$maxconn" -ge $((CONNS * 4 + 100)) ] ||
    die "descriptor limit $nofile is too low for CONNS=$CONNS"

pick_cpus			# as bench.sh: the proxy alone on one CPU
t_start=$(now_ms)

# the proxy's CPU, when it is a single one: its busy% is the proxy's load
proxy_cpu=''
case $PROXY_CPUS in
'' | *[!0-9]*) ;;
*) proxy_cpu=$PROXY_CPUS ;;
esac

# busy ticks of CPU $1
cpu_busy() {
	awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# user + system CPU ticks of a process and of its reaped children
cpu_ticks_all() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 + $14 + $15 }'
}

# CPU ticks of the processes we started (the reloader while it runs) and
# their live children (workers, old and new; the ones their master reaped
# count in the master's); ours_ticks adds the children this shell waited
# for (wrk, curl, the reloader and its edgectl)
procs_ticks() {
	t=0
	for p in $pids; do
		for q in $p $(children "$p"); do
			c=$(cpu_ticks_all "$q")
			t=$((t + ${c:-0}))
		done
	done
	echo "$t"
}

make_tmp edged-bench-reload	# and what stops our processes on exit

# ---- nginx backends (as bench.sh, "/" only) ----

start_backends "$WEB1_PORT" "$WEB2_PORT" "$WEB3_PORT"

# ---- the six configurations of each side ----

NVARIANTS=6
# variant N: algorithm, members, second virtual server (0/1)
variant() {
	case $1 in
	0) echo "rr 2 0" ;;
	1) echo "rr 3 0" ;;
	2) echo "lc 3 0" ;;
	3) echo "lc 3 1" ;;
	4) echo "lc 2 1" ;;
	5) echo "rr 2 1" ;;
	esac
}

# haproxy's global lines for its seamless reload
hap_global="    stats socket $tmp/haproxy-stats.sock mode 600 level admin expose-fd listeners
    # edged's draining worker stops regardless after 300 s
    hard-stop-after 300s"

v=0
while [ $v -lt $NVARIANTS ]; do
	set -- $(variant $v)
	case $1 in
	rr) ealg=round-robin halg=roundrobin ;;
	lc) ealg=least-conn halg=leastconn ;;
	esac
	edged_conf "$ealg" "$2" "$3" >"$tmp/edged.$v.conf"
	haproxy_conf "$halg" "$2" "$3" "$hap_global" >"$tmp/haproxy.$v.cfg"
	check_confs "$tmp/edged.$v.conf" "$tmp/haproxy.$v.cfg" "configuration $v"
	v=$((v + 1))
done
cp "$tmp/edged.0.conf" "$tmp/edged.conf"
cp "$tmp/haproxy.0.cfg" "$tmp/haproxy.cfg"

# ---- the wrk script: a summary line, socket errors and non-2xx/3xx ----

cat >"$tmp/report.lua" <<'EOL'
-- reload.sh's wrk script: done() prints one machine-readable line.
-- summary.errors.status counts the answers wrk calls failed: status > 399
-- (wrk's "Non-2xx or 3xx responses").  With WRK_STATUS_CODES=1 each
-- thread also counts them by code (the response() hook costs wrk CPU).
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

if os.getenv("WRK_STATUS_CODES") == "1" then
	codes = ""
	local n = {}
	function response(status, headers, body)
		if status > 399 then
			n[status] = (n[status] or 0) + 1
			local s = ""
			for c, k in pairs(n) do s = s .. c .. ":" .. k .. "," end
			codes = s
		end
	end
end

function done(summary, latency, requests)
	local e = summary.errors
	local all = {}
	for _, t in ipairs(threads) do
		local s = t:get("codes")
		if s then
			for c, k in string.gmatch(s, "(%d+):(%d+),") do
				all[c] = (all[c] or 0) + tonumber(k)
			end
		end
	end
	local codes = ""
	for c, k in pairs(all) do codes = codes .. c .. "=" .. k .. ";" end
	if codes == "" then codes = "-" end
	io.write(string.format("RESULT requests=%d duration_us=%d bytes=%d " ..
	    "connect=%d read=%d write=%d timeout=%d non2xx3xx=%d " ..
	    "p99_us=%d max_us=%d codes=%s\n", summary.requests,
	    summary.duration, summary.bytes, e.connect, e.read, e.write,
	    e.timeout, e.status, latency:percentile(99), latency.max, codes))
end
EOL

# ---- the reload driver ----

cat >"$tmp/reloader.py" <<'EOP'
"""reload.sh's reload driver: reloads one proxy every INTERVAL seconds for
DURATION seconds, cycling through its configuration files.

  reloader.py edged|haproxy CONTROL LIVE FIRST INTERVAL DURATION MARKLOG
      VS2PORT OUT VARIANT-FILE...

CONTROL: edgectl's path and the control socket, joined by a comma (edged),
or the master CLI socket (haproxy).  LIVE: the file the proxy reads,
replaced by rename.  FIRST: index of the first variant to load.  DURATION
0: one reload (to FIRST), no checks.  MARKLOG: the proxy's log, where a
line marks each reload.  VS2PORT: the second virtual server's port;
variants whose file mentions it get one GET there after their reload.
Writes one line per reload to OUT, then a line "SUMMARY k=v ...".
"""
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

side, control, live, first, interval, duration, marklog, vs2, out = \
    sys.argv[1:10]
variants = sys.argv[10:]
first, interval, duration, vs2 = int(first), float(interval), \
    float(duration), int(vs2)
has_vs2 = [(":%d" % vs2) in open(v).read() for v in variants]


def mark(text):
    with open(marklog, "a") as f:
        f.write("@@ reloader %.3f %s\n" % (time.time(), text))


def read_all(s, data, size):
    """Appends what s sends to the bytearray data until s closes; what came
    before an error stays in data."""
    while True:
        d = s.recv(size)
        if not d:
            return
        data += d


def mcli(cmd, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(control)
        s.sendall(cmd.encode() + b"\n")
        s.shutdown(socket.SHUT_WR)
        data = bytearray()
        read_all(s, data, 65536)
        return data.decode(errors="replace")
    finally:
        s.close()


def hap_counters():
    """(reloads, failed) of the master, from `show proc`; None if the
    master CLI does not answer (the master is re-executing)."""
    try:
        text = mcli("show proc", 1.0)
    except OSError:
        return None
    for line in text.splitlines():
        w = line.split()
        if len(w) >= 5 and w[1] == "master":
            return int(w[2]), int(w[4].rstrip("]"))
    return None


def reload_once():
    """(ok, detail)"""
    if side == "edged":
        edgectl, sock = control.split(",", 1)
        try:
            r = subprocess.run([edgectl, "-s", sock, "reload"],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=20)
        except subprocess.TimeoutExpired:
            return False, "edgectl reload timed out (20 s)"
        text = r.stdout.decode(errors="replace").strip().replace("\n", " | ")
        return r.returncode == 0, text
    deadline = time.monotonic() + 20
    before = None
    while before is None and time.monotonic() < deadline:
        before = hap_counters()
        if before is None:
            time.sleep(0.005)
    if before is None:
        return False, "master CLI does not answer"
    try:
        mcli("reload", 5.0)
    except OSError as e:
        return False, "reload on the master CLI: %s" % e
    while time.monotonic() < deadline:
        now = hap_counters()
        if now is not None and now[0] > before[0]:
            if now[1] > before[1]:
                return False, "show proc: reload failed (%d failed)" % now[1]
            return True, "reloads %d" % now[0]
        time.sleep(0.005)
    return False, "the master's reload counter did not move in 20 s"


def get_vs2():
    try:
        s = socket.create_connection(("127.0.0.1", vs2), timeout=2)
    except OSError as e:
        return "connect: %s" % e
    try:
        s.settimeout(2)
        s.sendall(b"GET / HTTP/1.1\r\nHost: vs2\r\nConnection: close\r\n\r\n")
        data = bytearray()
        read_all(s, data, 4096)
    except OSError as e:
        return "read: %s (after %d bytes)" % (e, len(data))
    finally:
        s.close()
    line = data.split(b"\r\n", 1)[0].decode(errors="replace")
    return None if line.startswith("HTTP/1.1 200") else "answer: %r" % line


def load(i):
    tmp = live + ".new"
    shutil.copyfile(variants[i], tmp)
    os.rename(tmp, live)


class Vs2Checks:
    """GETs on the second virtual server, each in a thread of its own so
    that a slow one does not hold the next reload back."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ok = self.failed = 0
        self.threads = []

    def start(self, k, o):
        t = threading.Thread(target=self.run, args=(k, o), daemon=True)
        t.start()
        self.threads.append(t)

    def run(self, k, o):
        err = get_vs2()
        with self.lock:
            if err is None:
                self.ok += 1
            else:
                self.failed += 1
                o.write("vs2 reload %d FAILED %s\n" % (k, err))
                mark("reload %d: GET on vs2 :%d failed: %s" % (k, vs2, err))

    def join(self):
        for t in self.threads:
            t.join(5)


with open(out, "a") as o:
    if duration == 0:
        load(first)
        ok, detail = reload_once()
        o.write("reset %d %s %s\n" % (first, "ok" if ok else "FAILED", detail))
        sys.exit(0 if ok else 1)
    checks = Vs2Checks()
    t0 = time.monotonic()
    end = t0 + duration - interval / 2
    # reload k is due at t0 + k * interval; one that comes due while the
    # previous is still under way starts as soon as it ends ("late", if
    # more than 20 ms after its time), and a tick already a whole interval
    # behind is skipped ("missed")
    planned = 0
    while t0 + (planned + 1) * interval < end:
        planned += 1
    k, i = 0, first
    ok_n = fail_n = late = missed = 0
    lat = []
    tick = 0
    while True:
        tick += 1
        if tick > planned:
            break
        due = t0 + tick * interval
        now = time.monotonic()
        if now > due + interval:
            missed += 1
            continue
        if now < due:
            time.sleep(due - now)
        elif now > due + 0.020:
            late += 1
        k += 1
        load(i)
        mark("reload %d: configuration %d" % (k, i))
        a = time.monotonic()
        ok, detail = reload_once()
        ms = (time.monotonic() - a) * 1000
        mark("reload %d: %s in %.0f ms: %s" % (k, "done" if ok else "FAILED",
                                                ms, detail))
        if ok:
            ok_n += 1
            lat.append(ms)
            if has_vs2[i]:
                checks.start(k, o)
        else:
            fail_n += 1
        with checks.lock:
            o.write("%.3f %d %d %s %.1f %s\n" % (a - t0, k, i,
                    "ok" if ok else "FAILED", ms, detail))
            o.flush()
        i = (i + 1) % len(variants)
    checks.join()
    lat.sort()
    med = lat[len(lat) // 2] if lat else -1
    mx = lat[-1] if lat else -1
    o.write("SUMMARY ok=%d failed=%d planned=%d late=%d missed=%d "
            "vs2_ok=%d vs2_failed=%d ms_median=%.0f ms_max=%.0f next=%d\n" % (
                ok_n, fail_n, planned, late, missed, checks.ok,
                checks.failed, med, mx, i))
EOP

# ---- edged; haproxy: master-worker, master CLI ----

# -d: every session edged closes is logged with its reason; the log is
# appended to, so that the reload driver's marks fall in between
start_edged -d
start_haproxy -W -db -S "$tmp/haproxy-master.sock,mode,600"
hap_master=$hap_pid
edged_master_pid=$edged_master haproxy_master_pid=$hap_master
wait_proxies

hap_proc() {
	$PY - "$tmp/haproxy-master.sock" "$1" <<'EOP'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(3)
try:
    s.connect(sys.argv[1])
    s.sendall(sys.argv[2].encode() + b"\n")
    s.shutdown(socket.SHUT_WR)
    while True:
        d = s.recv(65536)
        if not d:
            break
        sys.stdout.write(d.decode(errors="replace"))
except OSError as e:
    print("ERROR %s" % e)
EOP
}
case $(hap_proc "show proc") in
*master*worker*) ;;
*) die "the haproxy master CLI does not answer 'show proc': $(hap_proc 'show proc')" ;;
esac

# old workers still running: "edged N" / "haproxy N"
old_workers() {
	case $1 in
	edged)
		# every child of the master but the current worker
		n=$(children "$edged_master" | wc -w)
		echo $((n > 0 ? n - 1 : 0)) ;;
	haproxy)
		hap_proc "show proc" | awk '/^# old workers/ { o = 1; next }
		    /^#/ { o = 0 } o && $2 == "worker" { n++ }
		    END { print n + 0 }' ;;
	esac
}

# what edged's old workers hold: client and backend connections
old_detail() {
	[ "$1" = edged ] || return 0
	cur=$(edged_status | worker_pid)
	old=$(children "$edged_master" | tr ' ' '\n' | grep -v "^${cur:-x}\$" | tr '\n' ' ')
	ss -Htnp state established 2>/dev/null | awk -v old=" $old " \
	    -v b=" $WEB1_PORT $WEB2_PORT $WEB3_PORT " '
	    { if (!match($NF, /pid=[0-9]+,/)) next
	      pid = substr($NF, RSTART + 4, RLENGTH - 5)
	      if (index(old, " " pid " ") == 0) next
	      n = split($4, a, ":")
	      if (index(b, " " a[n] " ")) be++; else cl++ }
	    END { printf " (holding %d client and %d backend connections)",
		cl, be }'
}

# waits (at most SETTLE_MAX s) for SIDE's old workers to be gone; prints
# how long it took, or "still N after S s"
settle() {
	s0=$(now_ms)
	while :; do
		n=$(old_workers "$1")
		[ "$n" = 0 ] && { echo "$(( $(now_ms) - s0 )) ms"; return 0; }
		[ $(( $(now_ms) - s0 )) -ge $((SETTLE_MAX * 1000)) ] && {
			echo "still $n after ${SETTLE_MAX} s$(old_detail "$1")"
			return 1
		}
		sleep 0.1
	done
}

planned=$(awk -v d="$DURATION" -v r="$RELOAD_EVERY" \
    'BEGIN { n = 0; while ((n + 1) * r < d - r / 2) n++; print n }')
est=$(( ROUNDS * 2 * (DURATION + 4) + 10 ))
est_max=$(( ROUNDS * 2 * (DURATION + 2 * SETTLE_MAX + 25) + 60 ))

echo "reload under load: edged vs haproxy on $(uname -n), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  edged   $EDGED ($("$EDGED" -v 2>&1 | head -n 1)), master pid $edged_master"
echo "  haproxy $(haproxy -v | head -n 1 | cut -d' ' -f1-3), master pid $hap_master (-W, master CLI, expose-fd listeners)"
if [ "$NGINX" = two ]; then
	echo "  nginx   $(nginx -v 2>&1 | sed 's/.*: //'): b1 on one nginx, b2 and b3 on another (1 worker each)"
else
	echo "  nginx   $(nginx -v 2>&1 | sed 's/.*: //'): b1, b2, b3 = ports of 1 nginx x 1 worker"
fi
echo "  wrk -t$WRK_THREADS -c$CONNS -d${DURATION}s; a reload every ${RELOAD_EVERY}s" \
    "($planned per run) cycling through $NVARIANTS configurations; $ROUNDS rounds"
echo "  cpus: $ncpu; proxy on [${PROXY_CPUS:-any}], nginx on" \
    "[${BACKEND_CPUS:-any}], wrk and reloader on [${CLIENT_CPUS:-any}]$(cap_desc)"
echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg); expected run time about ${est} s (at most about ${est_max} s)"
echo

# warm-up, not counted
for port in $EDGE_PORT $HAP_PORT; do
	warm_up "$WRK_THREADS" "$CONNS" "http://127.0.0.1:$port/"
done

cur_edged=0 cur_haproxy=0		# the configuration each side runs

# run_side ROUND SIDE: one run, one line in $results:
#  1 round  2 side  3 requests  4 req/s  5-8 connect read write timeout
#  9 non2xx  10 reloads done  11 failed  12 late  13 vs2 GETs failed
# 14-15 reload ms median, max  16 p99 ms  17 max ms  18 proxy cpu%
# 19 status codes  20 other%  21 listening sockets (main/vs2)
# 22 reloads planned  23 missed  24 sessions edged closed as "draining"
# 25 vs2 GETs made
run_side() {
	r=$1 side=$2
	out=$tmp/runs/r$r-$side
	case $side in
	edged)
		control="$EDGECTL,$tmp/edged.sock" live=$tmp/edged.conf
		log=$tmp/edged.log port=$EDGE_PORT vs2=$EDGE_VS2 ext=conf ;;
	haproxy)
		control=$tmp/haproxy-master.sock live=$tmp/haproxy.cfg
		log=$tmp/haproxy.log port=$HAP_PORT vs2=$HAP_VS2 ext=cfg ;;
	esac
	files='' v=0
	while [ $v -lt $NVARIANTS ]; do
		files="$files $tmp/$side.$v.$ext"; v=$((v + 1))
	done
	eval "cur=\$cur_$side"
	# every run starts from configuration 0, its old workers gone
	if [ "$cur" != 0 ]; then
		# shellcheck disable=SC2086
		$(pin "$CLIENT_CPUS") $PY "$tmp/reloader.py" "$side" "$control" \
		    "$live" 0 "$RELOAD_EVERY" 0 "$log" "$vs2" "$out.reset" $files ||
		    problem "$side round $r: the reload back to configuration 0 failed: $(cat "$out.reset")"
	fi
	s=$(settle "$side") || problem "$side round $r: old workers before the run: $s"
	sleep 1
	echo "@@ run $r $side begin $(date +%s.%N)" >>"$log"
	[ -n "$proxy_cpu" ] && c0=$(cpu_busy "$proxy_cpu")
	run_begin
	# shellcheck disable=SC2086
	$(pin "$CLIENT_CPUS") $PY "$tmp/reloader.py" "$side" "$control" "$live" \
	    1 "$RELOAD_EVERY" "$DURATION" "$log" "$vs2" "$out.reloads" $files \
	    >"$out.reloader" 2>&1 &
	rpid=$!
	pids="$pids $rpid"
	WRK_STATUS_CODES=$STATUS_CODES timeout $((DURATION + 30)) \
	    $(pin "$CLIENT_CPUS") wrk -t"$WRK_THREADS" -c"$CONNS" \
	    -d"${DURATION}s" -s "$tmp/report.lua" "http://127.0.0.1:$port/" \
	    >"$out.wrk" 2>&1
	rc=$?
	run_end
	# listening sockets on the side's ports now: more than one on a port
	# means a stale SO_REUSEPORT socket that new connections can land in
	echo "@@ run $r $side wrk ended $(date +%s.%N)" >>"$log"
	ss -Htlnp "( sport = :$port or sport = :$vs2 )" >"$out.listening"
	lsn="$(ss -Htln "sport = :$port" | wc -l)/$(ss -Htln "sport = :$vs2" | wc -l)"
	cpu=-
	[ -n "$proxy_cpu" ] && cpu=$(cpu_pct "$c0" "$(cpu_busy "$proxy_cpu")")
	# the reloader ends by itself within a reload of DURATION
	i=0
	while alive "$rpid" && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	alive "$rpid" && { problem "$side round $r: the reloader is stuck; stopping it"
		kill -TERM "$rpid" 2>/dev/null; }
	wait "$rpid" 2>/dev/null
	pids=$(echo "$pids" | sed "s/ $rpid\$//; s/ $rpid / /")
	# the reloader's tail after wrk ended counts as ours
	other_cpu
	echo "@@ run $r $side end $(date +%s.%N)" >>"$log"
	s=$(settle "$side") || problem "$side round $r: old workers after the run: $s"
	echo "@@ run $r $side settled ($s)" >>"$log"
	drained=-
	[ "$side" = edged ] && drained=$(awk -v b="@@ run $r edged begin" \
	    -v e="@@ run $r edged end" 'index($0, b) == 1 { on = 1; next }
	    index($0, e) == 1 { on = 0 }
	    on && /session closed: draining$/ { n++ } END { print n + 0 }' "$log")
	[ -s "$out.reloader" ] && problem "$side round $r: reloader said: $(head -c 300 "$out.reloader" | tr '\n' '|')"
	sum=$(grep '^SUMMARY' "$out.reloads")
	# the configuration in force: the one before the next
	nxt=$(echo "$sum" | sed -n 's/.* next=\([0-9]*\).*/\1/p')
	eval "cur_$side=$(( (${nxt:-1} + NVARIANTS - 1) % NVARIANTS ))"
	res=$(grep '^RESULT' "$out.wrk")
	if [ $rc -ne 0 ] || [ -z "$res" ]; then
		problem "wrk against $side (round $r) failed (rc $rc): $(tail -n 3 "$out.wrk" | tr '\n' ' ')"
		res="RESULT requests=NA duration_us=1"
	fi
	echo "$res $sum" | awk -v r="$r" -v side="$side" -v cpu="$cpu" \
	    -v other="$other" -v lsn="$lsn" -v drained="$drained" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		rps = f["requests"] == "NA" ? "NA" : \
		    sprintf("%.0f", f["requests"] / (f["duration_us"] / 1e6))
		print r, side, f["requests"], rps, f["connect"], f["read"],
		    f["write"], f["timeout"], f["non2xx3xx"], f["ok"],
		    f["failed"], f["late"], f["vs2_failed"], f["ms_median"],
		    f["ms_max"], sprintf("%.1f", f["p99_us"] / 1000),
		    sprintf("%.0f", f["max_us"] / 1000), cpu, f["codes"], other,
		    lsn, f["planned"], f["missed"], drained,
		    f["vs2_ok"] + f["vs2_failed"] }' \
	    >>"$results"
	line=$(tail -n 1 "$results")
	set -- $line
	if [ "$5$6$7$8$9" != 00000 ]; then
		why=''
		[ "$side" = edged ] && why="; edged closed ${24} idle keep-alive sessions as 'session closed: draining'"
		problem "$side round $r: socket errors connect $5, read $6, write $7, timeout $8; non-2xx/3xx $9 (codes: ${19:-?})$why"
	fi
	case ${21} in
	1/[01]) ;;
	*) eval "mpid=\$${side}_master_pid"
	   problem "$side round $r: listening sockets at the end of wrk (:$port/:$vs2): ${21}: $(awk -v m="$mpid" '
		{ n = split($4, a, ":"); port = a[n]; k[port]++
		  rest = $NF; only = 1
		  while (match(rest, /pid=[0-9]+,/)) {
			if (substr(rest, RSTART + 4, RLENGTH - 5) != m) only = 0
			rest = substr(rest, RSTART + RLENGTH) }
		  if (only) mo[port]++ }
		END { for (p in k) if (k[p] > 1) printf ":%s %d sockets, %d held only by the master (pid %s), which accepts on none; ", p, k[p], mo[p] + 0, m }' "$out.listening")" ;;
	esac
	[ "${11:-0}" = 0 ] || problem "$side round $r: ${11} reloads failed: $(grep '^[0-9.]* [0-9]* [0-9]* FAILED' "$out.reloads" | head -n 3 | cut -d' ' -f6- | tr '\n' '|')"
	[ "${10}" = "${22}" ] || problem "$side round $r: ${10} of ${22} reloads done (${11} failed, ${23} ticks missed while a reload was under way)"
	[ "${13:-0}" = 0 ] || problem "$side round $r: ${13} GETs on vs2 after a reload failed: $(grep '^vs2 reload' "$out.reloads" | head -n 3 | cut -d' ' -f3,5- | tr '\n' '|')"
	case $side in
	edged) alive "$edged_master" || problem "the edged master $edged_master is gone" ;;
	haproxy) alive "$hap_master" || problem "the haproxy master $hap_master is gone" ;;
	esac
}

hdr() {
	printf '%-5s %-8s %9s %8s %5s %5s %5s %5s %7s %8s %4s %4s %6s %8s %7s %7s %5s %6s\n' \
	    round side requests 'req/s' conn read write tmout non2xx reloads \
	    late miss 'vs2 x' 'rl ms' 'p99 ms' 'max ms' 'cpu%' 'other%'
}
row() {
	set -- $1
	printf '%-5s %-8s %9s %8s %5s %5s %5s %5s %7s %8s %4s %4s %6s %8s %7s %7s %5s %6s\n' \
	    "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "${10}/${22}" \
	    "${12}" "${23}" "${13}/${25}" "${14}/${15}" "${16}" "${17}" "${18}" "${20}"
}

echo "conn/read/write/tmout = wrk socket errors; non2xx = answers >= 400;"
echo "reloads = done/planned; late = reloads that started over 20 ms after their"
echo "tick (the previous one was still under way); miss = ticks skipped, a whole"
echo "interval behind;"
echo "vs2 x = failed/made GETs on the second virtual server after the reloads to"
echo "a configuration that has it;"
echo "rl ms = reload time median/max (until edgectl reload returned, or the"
echo "haproxy master showed the new reload); cpu% = the proxy CPU's busy time;"
echo "other% = CPU used by anything but this bench (of one CPU; high = disturbed)"
hdr
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for side in $(round_order "$r"); do
		run_side "$r" "$side"
		row "$(tail -n 1 "$results")"
	done
	awk -v r="$r" '$1 == r { v[$2] = $4 }
	    END { if (v["edged"] != "NA" && v["haproxy"] != "NA" && v["haproxy"] > 0)
		printf "%-5s %-8s %9s %8.2f\n", r, "ratio", "", v["edged"] / v["haproxy"] }' \
	    "$results"
	r=$((r + 1))
done
echo

# ---- summary ----

field() {		# SIDE FIELD
	awk -v s="$1" -v f="$2" '$2 == s { print $f }' "$results"
}
total() {		# SIDE FIELD
	awk -v s="$1" -v f="$2" '$2 == s && $f != "NA" { t += $f } END { print t + 0 }' "$results"
}

echo "medians over $ROUNDS round(s) (errors: totals over all rounds in brackets)"
printf '%-8s %9s %8s %9s %9s %9s %9s %9s %8s %9s %7s\n' side requests \
    'req/s' connect read write timeout non2xx reloads 'rl ms' 'p99 ms'
for side in edged haproxy; do
	m() { field "$side" "$1" | median; }
	printf '%-8s %9s %8s %9s %9s %9s %9s %9s %8s %9s %7s\n' "$side" \
	    "$(m 3)" "$(m 4)" "$(m 5) [$(total $side 5)]" "$(m 6) [$(total $side 6)]" \
	    "$(m 7) [$(total $side 7)]" "$(m 8) [$(total $side 8)]" \
	    "$(m 9) [$(total $side 9)]" "$(m 10)" "$(m 14)" "$(m 16)"
done
ratio=$(awk '{ v[$1, $2] = $4; rounds[$1] = 1 }
    END { for (r in rounds) { e = v[r, "edged"]; h = v[r, "haproxy"]
	if (e != "NA" && h != "NA" && h > 0) printf "%.3f\n", e / h } }' \
    "$results" | median)
echo "ratio edged/haproxy of requests/s (median of the per-round ratios):" \
    "$(awk -v v="$ratio" 'BEGIN { if (v == "NA") print v; else printf "%.2f", v }')"
awk '$20 != "-" && $20 >= 20 { n++ } END { if (n > 0)
    printf "disturbed: %d of %d runs had other%% >= 20 (another load on the machine)\n", n, NR }' "$results"
echo "reloads: edged $(total edged 10) done, $(total edged 11) failed;" \
    "haproxy $(total haproxy 10) done, $(total haproxy 11) failed" \
    "(of $planned per run)"
echo

# edged's log during the runs (between the marks of each run, until its
# old workers were gone): every distinct line, pids and numbers folded,
# with its count; the reloader's marks left out
echo "edged log while wrk ran ($ROUNDS runs; pids folded to N; wrk resets the"
echo "connections it holds when it exits: that makes a few 'client read error'"
echo "lines at the very end of each run):"
awk '/^@@ run [0-9]+ edged begin/ { on = 1; next }
    /^@@ run [0-9]+ edged wrk ended/ { on = 0 }
    on && !/^@@/' "$tmp/edged.log" |
    sed 's/\[[0-9]*\]/[N]/g; s/worker [0-9][0-9]*/worker N/g' |
    sort | uniq -c | sort -rn | head -n 25 | sed 's/^/  /'
echo
# haproxy's: what a seamless reload does not normally print
echo "haproxy messages while wrk ran, other than the usual reload notices:"
awk '/^@@ run [0-9]+ haproxy begin/ { on = 1; next }
    /^@@ run [0-9]+ haproxy wrk ended/ { on = 0 }
    on && !/^@@/' "$tmp/haproxy.log" |
    grep -v -e 'Reloading HAProxy' -e 'New worker (.*) forked' \
	-e 'Loading success' -e 'Proxy .* stopped (cumulated' \
	-e 'Former worker (.*) exited with code 0' -e 'haproxy version is' \
	-e 'path to executable is' -e '^$' |
    sed 's/([0-9]*)/(N)/g' | sort | uniq -c | sort -rn | head -n 15 |
    sed 's/^/  /' >"$tmp/hap-msgs"
if [ -s "$tmp/hap-msgs" ]; then cat "$tmp/hap-msgs"; else echo "  none"; fi
echo

# edged's warnings and errors anywhere (outside debug and info)
msgs=$(grep -v -e '^<[67]>' -e '^@@' "$tmp/edged.log" | grep -v '^$')
[ -z "$msgs" ] || problem "edged printed: $(echo "$msgs" | sed 's/\[[0-9]*\]/[N]/g' | sort | uniq -c | sort -rn | head -n 5 | tr '\n' '|')"

t_end=$(now_ms)
echo "load average now: $(cut -d' ' -f1-3 /proc/loadavg); total run time" \
    "$(( (t_end - t_start) / 1000 )) s"
print_problems
exit 0
