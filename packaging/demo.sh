#!/bin/sh
# The demo: installs what is missing, builds edged, starts two nginx
# backends on 127.0.0.1:8081 and :8082, and runs edged in the foreground
# on 127.0.0.1:8080 in front of them.  Ctrl-C stops it all.
#     sudo sh packaging/demo.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

EDGED_WITH_DEMO=1 sh packaging/install-deps.sh
[ -f build/build.ninja ] || meson setup build
ninja -C build

dir=$(mktemp -d /tmp/edged-demo.XXXXXX)
chmod 755 "$dir"
for n in 1 2; do
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
        listen 127.0.0.1:808$n;
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

cleanup() {
	kill "$nginx1" "$nginx2" 2>/dev/null || true
	wait "$nginx1" "$nginx2" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

cat <<EOM

edged demo: load balancer on http://127.0.0.1:8080/ (round-robin, weights 2:1)
  try:   curl http://127.0.0.1:8080/
         build/edgectl status
         build/edgectl show stats
         wrk -c 50 -d 5s http://127.0.0.1:8080/
  stop:  Ctrl-C

EOM
build/edged -c conf/examples/demo.conf
