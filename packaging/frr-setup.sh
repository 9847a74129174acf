#!/bin/sh
# packaging/frr-setup.sh - makes Debian's FRR ready for edged's routing
# { } block, when the operator asks for it (it changes FRR's
# configuration, so nothing runs it by itself):
#   - bgpd and ospfd on in FRR's daemons file (zebra and staticd always
#     run), bfdd too with --bfd (for `bfd on` on a BGP neighbour);
#   - one integrated configuration (vtysh.conf: `service
#     integrated-vtysh-config`), which edged keeps its section in and
#     frr-reload.py needs.
# It says what it changed, and changes nothing that is already so.  FRR
# starts the daemons when it restarts: --restart does that (systemctl
# restart frr), else the operator does, when it suits.
#
#     sh packaging/frr-setup.sh [--bfd] [--restart] [DIR]
#
# DIR is FRR's configuration directory [/etc/frr].
set -eu

bfd=no
restart=no
while [ $# -gt 0 ]; do
	case $1 in
	--bfd) bfd=yes ;;
	--restart) restart=yes ;;
	-*) echo "usage: $0 [--bfd] [--restart] [DIR]" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
dir=${1:-/etc/frr}
daemons=$dir/daemons
vtysh=$dir/vtysh.conf

if [ ! -f "$daemons" ]; then
	echo "frr-setup: no $daemons: install FRR first (apt-get install frr)" >&2
	exit 1
fi

changed=no
# enable NAME: NAME=yes in the daemons file
enable() {
	if grep -q "^$1=yes" "$daemons"; then
		return
	fi
	if grep -q "^$1=" "$daemons"; then
		sed -i "s/^$1=.*/$1=yes/" "$daemons"
	else
		echo "$1=yes" >>"$daemons"
	fi
	echo "frr-setup: $daemons: $1=yes"
	changed=yes
}
enable bgpd
enable ospfd
[ "$bfd" = no ] || enable bfdd

if [ -f "$vtysh" ] && grep -q '^no service integrated-vtysh-config' \
    "$vtysh"; then
	sed -i 's/^no service integrated-vtysh-config/service integrated-vtysh-config/' \
	    "$vtysh"
	echo "frr-setup: $vtysh: service integrated-vtysh-config"
	changed=yes
elif ! { [ -f "$vtysh" ] && grep -q '^service integrated-vtysh-config' \
    "$vtysh"; }; then
	echo "service integrated-vtysh-config" >>"$vtysh"
	chown --reference="$dir" "$vtysh" 2>/dev/null || true
	chmod 640 "$vtysh"
	echo "frr-setup: $vtysh: service integrated-vtysh-config"
	changed=yes
fi

if [ "$changed" = no ]; then
	echo "frr-setup: FRR was ready already; nothing changed"
elif [ "$restart" = yes ]; then
	systemctl restart frr
	echo "frr-setup: FRR restarted"
else
	echo "frr-setup: restart FRR for it to take effect:" \
	    "systemctl restart frr"
fi
