#!/bin/sh
# tests/bench/accesslog.sh - the cost of access logs: two edged instances,
# identical but for `access-log FILE` (text) on one, in front of the same
# nginx, measured in alternating wrk rounds; prints each round, the
# medians and the ratio logged/unlogged.  As root, after a build:
#     sh tests/bench/accesslog.sh      (ROUNDS=5 DURATION=5 CONNS=50)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/bench me=accesslog
. "$here/lib.sh"		# median
build=${EDGED_BUILD:-$top/build}
ROUNDS=${ROUNDS:-5} DURATION=${DURATION:-5} CONNS=${CONNS:-50}
NG=31191 OFF=31192 ON=31193
tmp=$(mktemp -d /tmp/edged-bench-log.XXXXXX)
chmod 755 "$tmp"
pids=""
# its own, not lib.sh's cleanup (which goes with make_tmp and KEEP_TMP)
on_exit() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap on_exit EXIT INT TERM

mkdir -p "$tmp/ng"
cat >"$tmp/ng/nginx.conf" <<EOC
daemon off;
worker_processes 1;
pid $tmp/ng/nginx.pid;
error_log $tmp/ng/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $tmp/ng/body;
    proxy_temp_path $tmp/ng/proxy;
    fastcgi_temp_path $tmp/ng/fcgi;
    uwsgi_temp_path $tmp/ng/uwsgi;
    scgi_temp_path $tmp/ng/scgi;
    server { listen 127.0.0.1:$NG; location / { return 200 "hello\n"; } }
}
EOC
taskset -c 0 nginx -c "$tmp/ng/nginx.conf" -p "$tmp/ng" >/dev/null 2>&1 &
pids="$pids $!"

conf() {	# NAME PORT [ACCESS-LOG-LINE]
	cat <<EOC
global { workers 1; user edged; control-socket $tmp/$1.sock }
application-profile web { type http; x-forwarded-for none }
pool p { member ng 127.0.0.1:$NG }
virtual-server v {
    listen 127.0.0.1:$2
    profile web
    default-pool p
    ${3:-}
}
EOC
}
conf off $OFF >"$tmp/off.conf"
conf on $ON "access-log $tmp/access.log" >"$tmp/on.conf"
for v in off on; do
	taskset -c 1 "$build/edged" -c "$tmp/$v.conf" >"$tmp/$v.out" 2>&1 &
	pids="$pids $!"
done
sleep 1
for port in $OFF $ON; do
	curl -sf -o /dev/null "http://127.0.0.1:$port/" ||
	    { echo "edged on $port does not answer" >&2; exit 1; }
done

rps() {		# PORT
	taskset -c 0 wrk -t1 -c"$CONNS" -d"${DURATION}s" \
	    "http://127.0.0.1:$1/" 2>&1 |
	    awk '/Requests\/sec/ { print $2 } /Non-2xx|Socket errors/ { print "ERR " $0 > "/dev/stderr" }'
}

echo "round  logging-off req/s  logging-on req/s  ratio"
: >"$tmp/off.r"; : >"$tmp/on.r"; : >"$tmp/ratio.r"
r=1
while [ $r -le "$ROUNDS" ]; do
	off=$(rps $OFF); on=$(rps $ON)
	echo "$off" >>"$tmp/off.r"; echo "$on" >>"$tmp/on.r"
	ratio=$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.3f", a / b }')
	echo "$ratio" >>"$tmp/ratio.r"
	printf '%5d  %18s  %16s  %5s\n' $r "$off" "$on" "$ratio"
	r=$((r + 1))
done
lines=$(wc -l <"$tmp/access.log")
printf 'median %17s  %16s  %5s\n' "$(median <"$tmp/off.r")" \
    "$(median <"$tmp/on.r")" "$(median <"$tmp/ratio.r")"
echo "access log lines written: $lines"
echo "target: logging on within 10% of logging off (ratio >= 0.90)"
