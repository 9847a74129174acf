#!/bin/bash
# 32-deps-leave-services: packaging/install-deps.sh leaves the services
# of the machine alone.
#
# 1. A user's nginx (its own configuration and pid file, a daemon with a
#    master process, on IT_PORT+0) runs while install-deps runs for the
#    tests and for the demo, every package being installed already, with
#    spies for systemctl, service, invoke-rc.d and deb-systemd-invoke first
#    in PATH: afterwards that nginx answers with the same pid, no spy was
#    asked to act on a service, and /usr/sbin/policy-rc.d is as it was.
# 2. When the run is what installs nginx: inside a private mount
#    namespace where /usr/sbin has neither nginx nor policy-rc.d (an
#    overlay) and /run/systemd/system exists (systemd "runs"), with
#    dpkg-query and apt-get stand-ins that pretend nginx is missing and
#    then installed (and charon-systemd, with EDGED_WITH_VPN): apt-get
#    install runs while the real invoke-rc.d is denied every action by
#    policy, the policy file is gone afterwards, and systemctl is asked
#    exactly to disable nginx.service and strongswan.service (haproxy,
#    installed before, is not touched).
# Uses IT_PORT+0.
. "$(dirname "$0")/lib.sh"
it_begin 32-deps-leave-services

TOP=$(cd "$IT_DIR/../.." && pwd)
DEPS=$TOP/packaging/install-deps.sh
POLICY=/usr/sbin/policy-rc.d
PORT=$IT_PORT
require_free_ports "$PORT"

# ---- the user's nginx, as a service would run it ----
U=$T/user-nginx
mkdir -p "$U/tmp"
cat >"$U/nginx.conf" <<EOF
worker_processes 1;
pid $U/nginx.pid;
error_log $T/user-nginx.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $U/tmp/body;
    proxy_temp_path $U/tmp/proxy;
    fastcgi_temp_path $U/tmp/fastcgi;
    uwsgi_temp_path $U/tmp/uwsgi;
    scgi_temp_path $U/tmp/scgi;
    server {
        listen 127.0.0.1:$PORT;
        location / { return 200 "the user's site\n"; }
    }
}
EOF
# daemonizes, as under systemd or init: its pid is in the pid file
"$NGINX" -p "$U" -e "$T/user-nginx.log" -c "$U/nginx.conf" ||
    fail "the user's nginx did not start"
wait_port "$PORT"
USER_PID=$(cat "$U/nginx.pid")
IT_PIDS+=("$USER_PID")
assert_eq "the user's nginx answers before" "the user's site" \
    "$(get "http://127.0.0.1:$PORT/")"

# ---- spies: every call logged, nothing done ----
SPY=$T/spy
mkdir -p "$SPY"
for s in systemctl service invoke-rc.d deb-systemd-invoke; do
	cat >"$SPY/$s" <<EOF
#!/bin/sh
echo "$s \$*" >>"$T/spy.calls"
exit 0
EOF
	chmod 755 "$SPY/$s"
done
: >"$T/spy.calls"

policy_state() {
	if [ -e "$POLICY" ]; then sha256sum <"$POLICY"; else echo absent; fi
}
POLICY_BEFORE=$(policy_state)

for with in EDGED_WITH_TESTS EDGED_WITH_DEMO; do
	rc=0
	env "$with=1" PATH="$SPY:$PATH" sh "$DEPS" \
	    >"$T/deps-$with.log" 2>&1 || rc=$?
	assert_eq "$with=1 install-deps: exit status" 0 "$rc"
	assert_no_match "$with=1 install-deps: installs nothing here" \
	    'installing:' "$(cat "$T/deps-$with.log")"
done

# acts: the spied calls that change a service (queries such as
# is-active and status are harmless)
acts() {
	grep -E '(^| )(start|stop|disable|mask|restart|reload|try-restart|force-reload|reload-or-restart|kill|isolate)( |$)' \
	    "$T/spy.calls" || true
}
assert_eq "spies asked to act on a service" "" "$(acts)"
assert_eq "policy-rc.d after install-deps" "$POLICY_BEFORE" "$(policy_state)"
assert_eq "the user's nginx: pid file" "$USER_PID" "$(cat "$U/nginx.pid")"
kill -0 "$USER_PID" 2>/dev/null ||
    check_failed "the user's nginx (pid $USER_PID) is gone"
assert_eq "the user's nginx answers after" "the user's site" \
    "$(get "http://127.0.0.1:$PORT/" || true)"

# ---- the run that installs nginx ----
# Stand-ins for the package tools: dpkg-query answers from the list in
# $F/installed, which apt-get install extends (nginx-common among the new
# ones); apt-get install records what the real invoke-rc.d would do.
F=$T/fake
mkdir -p "$F/bin" "$F/ovl"
grep -v -E '^(nginx|nginx-light|nginx-common|charon-systemd)$' \
    <(dpkg-query -W -f='${Status} ${Package}\n' |
    awk '$3 == "installed" { print $4 }' | sort -u) >"$F/installed"
grep -qx haproxy "$F/installed" ||
    fail "haproxy is not installed here (Debian package haproxy)"
cat >"$F/bin/dpkg-query" <<EOF
#!/bin/sh
# dpkg-query -W -f=FORMAT [PACKAGE]
for last; do :; done
case \$last in
-f*) sed 's/^/install ok installed /' "$F/installed" ;;
*) grep -qx "\$last" "$F/installed" &&
    printf 'install ok installed' ;;
esac
exit 0
EOF
cat >"$F/bin/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$*" >>"$F/apt.calls"
case " \$* " in
*" install "*)
	rc=0
	/usr/sbin/invoke-rc.d --query --quiet nginx start 2>/dev/null || rc=\$?
	echo "invoke-rc.d start: \$rc" >>"$F/apt.calls"
	printf 'nginx\nnginx-common\nnginx-light\ncharon-systemd\n' \
	    >>"$F/installed"
	sort -u -o "$F/installed" "$F/installed"
	;;
esac
exit 0
EOF
chmod 755 "$F/bin/dpkg-query" "$F/bin/apt-get"
: >"$T/spy.calls"

# In a mount namespace of its own: /usr/sbin through an overlay whose
# upper layer (on a tmpfs: an overlay cannot sit on the overlay /tmp may
# be) hides nginx and policy-rc.d, and a /run where systemd seems to run.
rc=0
unshare -m sh -c '
	set -e
	mount -t tmpfs tmpfs "$1/ovl"
	mkdir "$1/ovl/up" "$1/ovl/work"
	mknod "$1/ovl/up/nginx" c 0 0
	mknod "$1/ovl/up/policy-rc.d" c 0 0
	mount -t overlay overlay -o "lowerdir=/usr/sbin,upperdir=$1/ovl/up,workdir=$1/ovl/work" /usr/sbin
	mount -t tmpfs tmpfs /run
	mkdir -p /run/systemd/system
	[ ! -e /usr/sbin/nginx ] && [ ! -e /usr/sbin/policy-rc.d ]
	rc=0
	EDGED_WITH_DEMO=1 EDGED_WITH_VPN=1 PATH="$1/bin:$2:$PATH" sh "$3" ||
	    rc=$?
	[ ! -e /usr/sbin/policy-rc.d ] || echo "policy-rc.d left behind" >>"$1/apt.calls"
	exit $rc
' sh "$F" "$SPY" "$DEPS" >"$T/deps-new.log" 2>&1 || rc=$?
assert_eq "install-deps that installs nginx: exit status" 0 "$rc"
assert_match "it says what it installs (EDGED_WITH_VPN: charon-systemd)" \
    'installing: nginx-light charon-systemd' "$(cat "$T/deps-new.log")"
assert_match "it says what this run installed" \
    'this run installed: charon-systemd nginx nginx-common nginx-light' \
    "$(cat "$T/deps-new.log")"
assert_match "apt-get install ran" '^apt-get .*install .*nginx-light' \
    "$(cat "$F/apt.calls" 2>/dev/null)"
assert_eq "invoke-rc.d during apt-get install: denied by policy (101)" \
    "invoke-rc.d start: 101" \
    "$(grep '^invoke-rc.d' "$F/apt.calls" 2>/dev/null || true)"
assert_no_match "no policy-rc.d left behind" 'left behind' \
    "$(cat "$F/apt.calls" 2>/dev/null)"
assert_eq "systemctl: only the units this run installed, at boot only" \
    "systemctl disable nginx.service
systemctl disable strongswan.service" "$(acts)"
assert_eq "policy-rc.d of the machine, after all" "$POLICY_BEFORE" \
    "$(policy_state)"

assert_eq "the user's nginx: pid file, at the end" "$USER_PID" \
    "$(cat "$U/nginx.pid")"
assert_eq "the user's nginx answers at the end" "the user's site" \
    "$(get "http://127.0.0.1:$PORT/" || true)"

pass
