#!/bin/bash
# 26-install: `meson install --destdir` of the build directory puts edged,
# edgectl, the systemd unit, the starter configuration, the full example
# and the LICENSE (as documentation) and the three manual pages where the
# build's options say; each page renders with groff without a warning;
# the installed unit is Type=notify and runs the installed binaries on
# the installed configuration; the installed edged accepts it, and its
# default configuration file is that one; and the starter configuration
# really serves as it is: the installed edged, run without -c inside a
# network namespace and a mount namespace of the test's own (a tmpfs on
# /run for the default control socket), balances between two nginx on
# 127.0.0.1:8081 and :8082 there.  Uses no port of the machine.
. "$(dirname "$0")/lib.sh"
it_begin 26-install

command -v groff >/dev/null 2>&1 ||
    fail "groff not found (Debian package groff-base)"

D=$T/root
# (meson test built everything already: ninja has nothing to do)
meson install -C "$EDGED_BUILD" --destdir "$D" \
    >"$T/install.log" 2>&1 ||
    fail "meson install failed: $(tail -n 5 "$T/install.log")"

# Where this build installs: the directories of its options, absolute.
opt() {				# NAME
	meson introspect --buildoptions "$EDGED_BUILD" | "$PY" -c '
import json, os, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
v = o.get(sys.argv[1], "")
if sys.argv[1] == "systemdunitdir" and v == "":
    v = "lib/systemd/system"
print(os.path.join(o["prefix"], v))' "$1"
}
SBIN=$(opt sbindir)
ETC=$(opt sysconfdir)/edged
MAN=$(opt mandir)
UNITDIR=$(opt systemdunitdir)
DOC=$(opt datadir)/doc/edged
TOP=$(cd "$IT_DIR/../.." && pwd)
it_log "sbin $SBIN, configuration $ETC, man $MAN, unit $UNITDIR, doc $DOC"

# ---- what lands ----
for f in "$SBIN/edged" "$SBIN/edgectl"; do
	[ -x "$D$f" ] || check_failed "not installed, or not executable: $f"
done
UNIT=$UNITDIR/edged.service
CONF=$ETC/edged.conf
PAGES="$MAN/man8/edged.8 $MAN/man8/edgectl.8 $MAN/man5/edged.conf.5"
EXAMPLE=$DOC/examples/edged.conf
for f in "$UNIT" "$CONF" $PAGES "$EXAMPLE" "$DOC/LICENSE"; do
	[ -s "$D$f" ] || check_failed "not installed, or empty: $f"
done

# ---- the license, and the full example as documentation ----
assert_match "LICENSE: BSD-2-Clause" '^BSD 2-Clause License$' \
    "$(cat "$TOP/LICENSE" 2>/dev/null)"
assert_match "LICENSE: copyright" \
    '^Copyright \(c\) 2026, the edged authors$' \
    "$(cat "$TOP/LICENSE" 2>/dev/null)"
cmp -s "$TOP/LICENSE" "$D$DOC/LICENSE" ||
    check_failed "the installed LICENSE differs from the tree's"
cmp -s "$TOP/conf/examples/edged.conf" "$D$EXAMPLE" ||
    check_failed "the installed example differs from conf/examples/edged.conf"

# ---- the starter configuration: loopback only, pointing further ----
if [ -s "$D$CONF" ]; then
	# every address it listens on or sends to
	addrs=$(grep -E '^[[:space:]]*(listen|member)[[:space:]]' "$D$CONF" |
	    sed -E 's/^[[:space:]]*listen[[:space:]]+//;
	        s/^[[:space:]]*member[[:space:]]+[^[:space:]]+[[:space:]]+//;
	        s/[[:space:]].*//' | sort | tr '\n' ' ')
	assert_eq "starter: listen and member addresses" \
	    "127.0.0.1:8080 127.0.0.1:8081 127.0.0.1:8082 " "$addrs"
	assert_match "starter: names the installed full example" \
	    "$EXAMPLE" "$(cat "$D$CONF")"
	assert_match "starter: names edged.conf(5)" 'edged\.conf\(5\)' \
	    "$(cat "$D$CONF")"
	assert_eq "starter: the default control socket" \
	    "/run/edged/edged.sock" \
	    "$(sed -n 's/^[[:space:]]*control-socket[[:space:]]*//p' "$D$CONF")"
fi

# ---- installing again keeps the operator's configuration ----
if [ -s "$D$CONF" ]; then
	cp "$D$CONF" "$T/starter.conf"
	echo "# edited by the operator" >>"$D$CONF"
	cp "$D$CONF" "$T/edited.conf"
	meson install -C "$EDGED_BUILD" --destdir "$D" \
	    >"$T/install2.log" 2>&1 ||
	    fail "meson install (again) failed: $(tail -n 5 "$T/install2.log")"
	cmp -s "$T/edited.conf" "$D$CONF" ||
	    check_failed "a second install wrote over the edited $CONF"
	cmp -s "$T/starter.conf" "$D$CONF.starter" ||
	    check_failed "a second install did not put the starter beside it as $CONF.starter"
	cp "$T/starter.conf" "$D$CONF"
	rm -f "$D$CONF.starter"
fi

# ---- the manual pages render, without a warning ----
for f in $PAGES; do
	[ -s "$D$f" ] || continue
	rc=0
	groff -man -ww -z "$D$f" >"$T/groff.out" 2>&1 || rc=$?
	assert_eq "groff -man -ww -z ${f##*/}: exit status" 0 "$rc"
	assert_eq "groff -man -ww -z ${f##*/}: warnings" "" "$(cat "$T/groff.out")"
	if command -v man >/dev/null 2>&1; then
		MANWIDTH=80 man --warnings -l "$D$f" >"$T/man.txt" 2>"$T/man.err" ||
		    check_failed "man -l ${f##*/} failed: $(cat "$T/man.err")"
		assert_eq "man -l ${f##*/}: warnings" "" "$(cat "$T/man.err")"
		assert_match "man -l ${f##*/}: has a NAME section" '^NAME' \
		    "$(cat "$T/man.txt")"
	fi
done

# ---- the unit names what was installed ----
# key KEY: the unit's KEY= lines, as they are
key() { grep -E "^$1=" "$D$UNIT" || true; }
if [ -s "$D$UNIT" ]; then
	assert_eq "unit: Type" "Type=notify" "$(key Type)"
	assert_eq "unit: NotifyAccess" "NotifyAccess=main" "$(key NotifyAccess)"
	assert_eq "unit: ExecStartPre checks the configuration" \
	    "ExecStartPre=$SBIN/edged -t -c $CONF" "$(key ExecStartPre)"
	assert_eq "unit: ExecStart" "ExecStart=$SBIN/edged -c $CONF" \
	    "$(key ExecStart)"
	assert_eq "unit: ExecReload" \
	    "ExecReload=$SBIN/edgectl -c $CONF reload" "$(key ExecReload)"
	assert_eq "unit: the default control socket's directory" \
	    "RuntimeDirectory=edged" "$(key RuntimeDirectory)"
	assert_match "unit: TimeoutStopSec" '^TimeoutStopSec=[0-9]' \
	    "$(key TimeoutStopSec)"
	# every program the unit runs is one this installation put there
	grep -E '^Exec[A-Za-z]*=' "$D$UNIT" | sed 's/^[^=]*=[-@!+:]*//' |
	    awk '{ print $1 }' | sort -u >"$T/execs"
	assert_ne "unit: Exec lines" "" "$(cat "$T/execs")"
	while read -r exe; do
		[ -x "$D$exe" ] || check_failed "unit runs $exe, which the installation does not hold"
	done <"$T/execs"
	# systemd's own opinion, on a copy that points into the destdir
	if command -v systemd-analyze >/dev/null 2>&1; then
		mkdir -p "$T/unit"
		sed "s|=\\([-@!+:]*\\)$SBIN/|=\\1$D$SBIN/|" "$D$UNIT" \
		    >"$T/unit/edged.service"
		systemd-analyze verify --man=no "$T/unit/edged.service" \
		    >"$T/verify.log" 2>&1 ||
		    check_failed "systemd-analyze verify: $(cat "$T/verify.log")"
	fi
fi

# ---- the installed edged accepts the installed configuration ----
if [ -x "$D$SBIN/edged" ] && [ -s "$D$CONF" ]; then
	rc=0
	"$D$SBIN/edged" -t -c "$D$CONF" >"$T/check.out" 2>"$T/check.err" || rc=$?
	assert_eq "installed edged -t on the installed example: exit status" 0 "$rc"
	assert_match "installed edged -t: verdict" 'is valid' "$(cat "$T/check.out")"
	assert_eq "installed edged -t: errors" "" "$(cat "$T/check.err")"
	rc=0
	"$D$SBIN/edgectl" check "$D$CONF" >/dev/null 2>&1 || rc=$?
	assert_eq "installed edgectl check on the installed example" 0 "$rc"
fi

# ---- the installed edged's default file is the installed one ----
# at-default.sh ROOT ETC, run in a private mount namespace: makes the
# configuration directory ETC hold what the installation put in ROOT/ETC
# (a bind mount over it, or over a tmpfs on its parent when it does not
# exist); exits 3 when it cannot without hiding /etc or /.
cat >"$T/at-default.sh" <<'EOF'
set -e
root=$1 etc=$2 parent=${2%/*}
if [ -d "$etc" ]; then
	mount --bind "$root$etc" "$etc"
elif [ -n "$parent" ] && [ "$parent" != /etc ] && [ -d "$parent" ]; then
	mount -t tmpfs tmpfs "$parent"
	mkdir "$etc"
	mount --bind "$root$etc" "$etc"
else
	exit 3
fi
EOF
PLACED=1
if [ -x "$D$SBIN/edged" ] && [ -s "$D$CONF" ]; then
	rc=0
	# shellcheck disable=SC2016 # expanded by that sh
	unshare -m sh -c 'sh "$1" "$2" "$3" || exit 3; exec "$4" -t' sh \
	    "$T/at-default.sh" "$D" "$ETC" "$D$SBIN/edged" \
	    >"$T/default.out" 2>"$T/default.err" || rc=$?
	if [ "$rc" = 3 ]; then
		# no file can be put at the default path: its usage names it
		PLACED=
		it_log "cannot show $ETC in a mount namespace: checking the" \
		    "default path in edged's usage instead"
		assert_match "installed edged -h: default configuration" \
		    "default $CONF\\)" "$("$D$SBIN/edged" -h 2>&1 || true)"
	else
		assert_eq "installed edged -t without -c: exit status" 0 "$rc"
		assert_match "installed edged -t without -c: reads $CONF" \
		    "$CONF is valid" "$(cat "$T/default.out")"
		assert_eq "installed edged -t without -c: errors" "" \
		    "$(cat "$T/default.err")"
	fi
fi

# ---- the starter configuration serves as it is ----
# Inside a network namespace of the test's own (8080-8082 there are not
# the machine's) and a private mount namespace with a tmpfs on /run (the
# default control socket /run/edged/edged.sock is not the machine's):
# nginx web1 and web2 on 127.0.0.1:8081 and :8082, the installed edged
# without -c (or with it, when the default path cannot be shown), curl
# through 127.0.0.1:8080, the installed edgectl on the default socket.
for n in 1 2; do
	w=$T/web$n
	mkdir -p "$w/tmp"
	cat >"$w/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $w/nginx.pid;
error_log $T/web$n.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $w/tmp/body;
    proxy_temp_path $w/tmp/proxy;
    fastcgi_temp_path $w/tmp/fastcgi;
    uwsgi_temp_path $w/tmp/uwsgi;
    scgi_temp_path $w/tmp/scgi;
    server {
        listen 127.0.0.1:808$n;
        location / { return 200 "web$n\n"; }
    }
}
EOF
done
cat >"$T/serve.sh" <<'EOF'
# serve.sh T D SBIN ETC CONF NGINX PLACED: runs in the namespaces; stops
# what it started, by pid, when it ends.
T=$1 D=$2 SBIN=$3 ETC=$4 CONF=$5 NGINX=$6 PLACED=$7
pids=()
stop() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
}
trap stop EXIT
mount -t tmpfs tmpfs /run || exit 10
copt=(-c "$D$CONF")
if [ -n "$PLACED" ]; then
	sh "$T/at-default.sh" "$D" "$ETC" || exit 11
	copt=()
fi
for n in 1 2; do
	"$NGINX" -p "$T/web$n" -e "$T/web$n.log" -c "$T/web$n/nginx.conf" \
	    >>"$T/web$n.log" 2>&1 &
	pids+=("$!")
done
"$D$SBIN/edged" "${copt[@]}" >"$T/installed-edged.log" 2>&1 &
pids=("$!" "${pids[@]}")
# until edged and both backends accept (edged's exit ends the wait)
for port in 8080 8081 8082; do
	for i in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		kill -0 "${pids[0]}" 2>/dev/null || exit 12
		sleep 0.1
	done
done
for i in 1 2 3 4; do
	curl -sS --max-time 5 http://127.0.0.1:8080/
done >"$T/served.out" 2>"$T/served.err"
"$D$SBIN/edgectl" status >"$T/ctl.out" 2>&1
echo $? >"$T/ctl.rc"
EOF
RUN_EDGED_BEFORE=$([ -e /run/edged ] && echo present || echo absent)
if [ -x "$D$SBIN/edged" ] && [ -s "$D$CONF" ]; then
	NS=edged-it26-$$
	netns_add "$NS"
	rc=0
	ip netns exec "$NS" unshare -m bash "$T/serve.sh" "$T" "$D" "$SBIN" \
	    "$ETC" "$CONF" "$NGINX" "$PLACED" >"$T/serve.log" 2>&1 || rc=$?
	assert_eq "serving the starter configuration: exit status" 0 "$rc"
	assert_eq "curl through 127.0.0.1:8080: errors" "" \
	    "$(cat "$T/served.err" 2>/dev/null)"
	assert_eq "curl through 127.0.0.1:8080: the backends that answered" \
	    "web1 web2" \
	    "$(sort -u "$T/served.out" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
	assert_eq "installed edgectl status on the default socket: exit status" \
	    0 "$(cat "$T/ctl.rc" 2>/dev/null)"
	assert_match "installed edgectl status" 'edged is running' \
	    "$(cat "$T/ctl.out" 2>/dev/null)"
	if [ -n "$PLACED" ]; then
		assert_match "the installed edged without -c runs $CONF" \
		    "started with $CONF" "$(cat "$T/installed-edged.log")"
	fi
fi
assert_eq "the machine's /run/edged, afterwards" "$RUN_EDGED_BEFORE" \
    "$([ -e /run/edged ] && echo present || echo absent)"

pass
