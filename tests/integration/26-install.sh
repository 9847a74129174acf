#!/bin/bash
# 26-install: `meson install --destdir` of the build directory puts edged,
# edgectl, the systemd unit, the example configuration and the three
# manual pages where the build's options say; each page renders with
# groff without a warning; the installed unit is Type=notify and runs the
# installed binaries on the installed configuration; and the installed
# edged accepts the installed example.  Uses no port.
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
it_log "sbin $SBIN, configuration $ETC, man $MAN, unit $UNITDIR"

# ---- what lands ----
for f in "$SBIN/edged" "$SBIN/edgectl"; do
	[ -x "$D$f" ] || check_failed "not installed, or not executable: $f"
done
UNIT=$UNITDIR/edged.service
CONF=$ETC/edged.conf
PAGES="$MAN/man8/edged.8 $MAN/man8/edgectl.8 $MAN/man5/edged.conf.5"
for f in "$UNIT" "$CONF" $PAGES; do
	[ -s "$D$f" ] || check_failed "not installed, or empty: $f"
done

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

# ---- the installed edged accepts the installed example ----
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

pass
