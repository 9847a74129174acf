#!/bin/sh
# The demo: installs what is missing, builds edged, starts two nginx
# backends on 127.0.0.1:8081 and :8082, and runs edged in the foreground
# on 127.0.0.1:8080 in front of them.  Ctrl-C stops it all.
#     sudo sh packaging/demo.sh
# When one of those ports is taken, it says which (and by what, when
# `ss -ltnp` tells) and uses the first free triple of ports after them
# instead (8090-8092, 8100-8102, ...).  Its configuration, with the ports
# it chose and a control socket of its own, is written to its temporary
# directory; the lines it prints name both.
#     EDGED_BUILD_DIR=DIR  the build directory to build and run (default:
#                          build, in the source tree)
set -eu
here=$(pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
B=${EDGED_BUILD_DIR:-build}

EDGED_WITH_DEMO=1 sh packaging/install-deps.sh
[ -f "$B/build.ninja" ] || meson setup "$B"
ninja -C "$B"

# listeners PORT: the TCP sockets listening on PORT, on any address (one
# on 0.0.0.0 or [::] takes 127.0.0.1 too); empty when it is free.
listeners() {
	ss -Hltnp "sport = :$1" 2>/dev/null || true
}

# holder PORT: " by PROGRAM (pid N)" when ss can tell who listens there.
holder() {
	listeners "$1" |
	    sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/ by \1 (pid \2)/p' |
	    head -n 1
}

# pick_ports: P0 for edged, P1 and P2 for the backends: 8080-8082, or
# the first triple of free ports among 8090-8092, 8100-8102, ...
pick_ports() {
	base=8080
	while [ "$base" -lt 9000 ]; do
		taken=
		for p in "$base" "$((base + 1))" "$((base + 2))"; do
			if [ -n "$(listeners "$p")" ]; then
				taken=$p
				break
			fi
		done
		if [ -z "$taken" ]; then
			P0=$base P1=$((base + 1)) P2=$((base + 2))
			return 0
		fi
		echo "demo: port $taken is in use$(holder "$taken"): trying" \
		    "$((base + 10))-$((base + 12))"
		base=$((base + 10))
	done
	echo "demo: no three free ports from 8080 to 8999" >&2
	exit 1
}

# show PATH: PATH as the user can type it from where they ran the demo.
show() {
	case $1 in
	/*) echo "$1" ;;
	*) if [ "$here" = "$top" ]; then echo "$1"; else echo "$top/$1"; fi ;;
	esac
}

nginx1=
nginx2=
edged=
dir=$(mktemp -d /tmp/edged-demo.XXXXXX)
chmod 755 "$dir"

cleanup() {
	trap - EXIT INT TERM
	for pid in $edged $nginx1 $nginx2; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in $edged $nginx1 $nginx2; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pick_ports
conf=$dir/demo.conf
{
	echo "# written by packaging/demo.sh from conf/examples/demo.conf:"
	echo "# edged on 127.0.0.1:$P0, backends on :$P1 and :$P2"
	sed -e "s/127\\.0\\.0\\.1:8080/127.0.0.1:$P0/" \
	    -e "s/127\\.0\\.0\\.1:8081/127.0.0.1:$P1/" \
	    -e "s/127\\.0\\.0\\.1:8082/127.0.0.1:$P2/" \
	    -e "s|^\\( *control-socket \\).*|\\1$dir/edged.sock|" \
	    conf/examples/demo.conf
} >"$conf"
"$B/edged" -t -c "$conf" >/dev/null

for n in 1 2; do
	if [ "$n" = 1 ]; then port=$P1; else port=$P2; fi
	mkdir -p "$dir/web$n"
	cat > "$dir/web$n.conf" <<EOC
worker_processes 1;
daemon off;
pid $dir/web$n/nginx.pid;
error_log $dir/web$n/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/web$n/body;
    proxy_temp_path $dir/web$n/proxy;
    fastcgi_temp_path $dir/web$n/fastcgi;
    uwsgi_temp_path $dir/web$n/uwsgi;
    scgi_temp_path $dir/web$n/scgi;
    server {
        listen 127.0.0.1:$port;
        location / {
            add_header X-Backend web$n;
            return 200 "Hello from web$n (you are \$http_x_forwarded_for)\n";
        }
    }
}
EOC
	nginx -c "$dir/web$n.conf" -p "$dir/web$n" &
	eval "nginx$n=\$!"
done

ctl="$(show "$B")/edgectl -c $conf"
cat <<EOM

edged demo: load balancer on http://127.0.0.1:$P0/ (round-robin, weights 2:1)
  backends: web1 on 127.0.0.1:$P1, web2 on 127.0.0.1:$P2 (nginx)
  try:   curl http://127.0.0.1:$P0/
         $ctl status
         $ctl show stats
         wrk -c 50 -d 5s http://127.0.0.1:$P0/
  stop:  Ctrl-C

EOM
# In the background, so that Ctrl-C or a TERM to this script stops it
# at once through cleanup.
"$B/edged" -c "$conf" &
edged=$!
rc=0
wait "$edged" || rc=$?
edged=
exit "$rc"
