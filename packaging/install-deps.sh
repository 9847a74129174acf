#!/bin/sh
# Install what edged needs to build, test and benchmark on Debian 12, and
# create the unprivileged "edged" system user the worker process runs as.
# Idempotent: installs only what is missing; safe to run again.
set -eu

BUILD_PKGS="meson ninja-build gcc clang pkg-config libev-dev libssl-dev \
libpcre2-dev libcmocka-dev node-llhttp libnftables-dev"
DEMO_PKGS="nginx-light curl"
TEST_PKGS="nginx-light curl wrk haproxy iproute2 procps python3 \
python3-websockets groff-base openssl nftables iputils-ping"

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: must run as root (apt-get, useradd)" >&2
	exit 1
fi

want=""
for p in $BUILD_PKGS ${EDGED_WITH_DEMO:+$DEMO_PKGS} \
    ${EDGED_WITH_TESTS:+$TEST_PKGS}; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		want="$want $p"
	fi
done

if [ -n "$want" ]; then
	echo "install-deps: installing:$want"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $want
fi

# Debian starts nginx from its package; the tests start their own on
# loopback, so a packaged instance holding port 80 is only in the way.
if [ -n "${EDGED_WITH_TESTS:-}${EDGED_WITH_DEMO:-}" ] &&
    command -v systemctl >/dev/null 2>&1; then
	systemctl disable --now nginx >/dev/null 2>&1 || true
	systemctl disable --now haproxy >/dev/null 2>&1 || true
fi

if ! getent passwd edged >/dev/null; then
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin edged
	echo "install-deps: created system user edged"
fi
