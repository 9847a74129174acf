#!/bin/sh
# Install what edged needs to build, test and benchmark on Debian 12, and
# create the unprivileged "edged" system user the worker process runs as.
#     EDGED_WITH_DEMO=1   also what packaging/demo.sh needs
#     EDGED_WITH_TESTS=1  also what tests/run.sh needs
#     EDGED_WITH_VPN=1    also strongSwan for the ipsec and remote-access
#                         blocks: charon-systemd (strongswan.service,
#                         disabled at boot when this run installs it:
#                         systemctl enable --now strongswan), swanctl and
#                         the plugins (EAP-MSCHAPv2 among them)
#
# It never stops, disables, restarts or reconfigures a service already on
# the machine: the demo and the tests start their own nginx on loopback
# ports, and leave a packaged nginx or haproxy alone.  When this run is
# what installs a package that brings a service (nginx, haproxy), the
# package's scripts are kept from starting anything while apt-get runs
# (a temporary /usr/sbin/policy-rc.d, only if there is none), and that
# service alone is disabled at boot, where systemd runs.
# Idempotent: installs only what is missing; safe to run again.
set -eu

BUILD_PKGS="meson ninja-build gcc clang pkg-config libev-dev libssl-dev \
libpcre2-dev libcmocka-dev node-llhttp libnftables-dev libcurl4-openssl-dev"
DEMO_PKGS="nginx-light curl iproute2"
VPN_PKGS="charon-systemd strongswan-swanctl libcharon-extra-plugins \
libcharon-extauth-plugins libstrongswan-standard-plugins"
TEST_PKGS="nginx-light curl wrk haproxy iproute2 procps python3 \
python3-websockets groff-base openssl nftables iputils-ping \
libclang-rt-14-dev valgrind dnsmasq-base dnsperf bind9-dnsutils \
libnginx-mod-stream socat frr frr-pythontools strongswan-charon \
strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins \
libcharon-extauth-plugins iperf3 freeradius"

# The packages that bring a service, as PACKAGE:UNIT.
SERVICE_PKGS="nginx-common:nginx haproxy:haproxy frr:frr \
strongswan-starter:strongswan-starter iperf3:iperf3 \
charon-systemd:strongswan freeradius:freeradius"

# Asked by invoke-rc.d and deb-systemd-invoke before a package's scripts
# start, stop or restart a service; 101 is "action forbidden".
POLICY=/usr/sbin/policy-rc.d

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: must run as root (apt-get, useradd)" >&2
	exit 1
fi

policy_ours=
lists=

cleanup() {
	allow_starts
	[ -z "$lists" ] || rm -rf "$lists"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# missing PKG: true when PKG is not installed.  Any nginx the machine
# already has serves the demo and the tests as well as nginx-light, and
# asking for nginx-light beside another build of it would replace it.
missing() {
	case $1 in
	nginx-light)
		[ -x /usr/sbin/nginx ] && return 1 ;;
	esac
	! dpkg-query -W -f='${Status}' "$1" 2>/dev/null |
	    grep -q 'install ok installed'
}

# installed_pkgs: the names of the installed packages, sorted.
installed_pkgs() {
	dpkg-query -W -f='${Status} ${Package}\n' |
	    awk '$3 == "installed" { print $4 }' | sort -u
}

# deny_starts: forbids every service action of package scripts until
# allow_starts, with a policy-rc.d of our own; an existing one is the
# administrator's and stays in charge.
deny_starts() {
	if [ -e "$POLICY" ]; then
		echo "install-deps: $POLICY exists: its policy applies"
		return 0
	fi
	# noclobber: never write over one that appeared meanwhile
	if (set -C; cat >"$POLICY") 2>/dev/null <<EOF; then
#!/bin/sh
# Written by edged's packaging/install-deps.sh for the duration of one
# apt-get install, and removed after it: package scripts start, stop and
# restart no service meanwhile.  If you find it, remove it.
exit 101
EOF
		policy_ours=1
		chmod 755 "$POLICY"
	fi
}

allow_starts() {
	[ -n "$policy_ours" ] || return 0
	rm -f "$POLICY"
	policy_ours=
}

# keep_off_at_boot NEW-PACKAGES: disables the unit of each package in
# SERVICE_PKGS that this run installed; no other.  Without systemd
# running, there is nothing to ask.
keep_off_at_boot() {
	[ -d /run/systemd/system ] || return 0
	for su in $SERVICE_PKGS; do
		case " $1 " in
		*" ${su%%:*} "*) ;;
		*) continue ;;
		esac
		unit=${su#*:}.service
		if systemctl disable "$unit" >/dev/null 2>&1; then
			echo "install-deps: $unit, installed by this run," \
			    "is disabled at boot (systemctl enable $unit" \
			    "to change that)"
		fi
	done
}

want=""
for p in $BUILD_PKGS ${EDGED_WITH_DEMO:+$DEMO_PKGS} \
    ${EDGED_WITH_TESTS:+$TEST_PKGS} ${EDGED_WITH_VPN:+$VPN_PKGS}; do
	case " $want " in
	*" $p "*) continue ;;
	esac
	if missing "$p"; then
		want="$want $p"
	fi
done

if [ -n "$want" ]; then
	echo "install-deps: installing:$want"
	lists=$(mktemp -d /tmp/edged-deps.XXXXXX)
	installed_pkgs >"$lists/before"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	deny_starts
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $want
	allow_starts
	installed_pkgs >"$lists/after"
	new=$(comm -13 "$lists/before" "$lists/after" | tr '\n' ' ')
	new=${new% }
	echo "install-deps: this run installed: ${new:-nothing}"
	keep_off_at_boot "$new"
fi

if ! getent passwd edged >/dev/null; then
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin edged
	echo "install-deps: created system user edged"
fi
