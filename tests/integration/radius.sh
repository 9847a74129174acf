# tests/integration/radius.sh - a private FreeRADIUS server for scenarios.
#
# Sourced (bash, set -euo pipefail, as root).  radius_conf writes a small
# configuration of its own (nothing of /etc/freeradius is read): one
# server answering EAP-MSCHAPv2 (no TLS, so no certificates) from the
# users in DIR/users, and Accounting-Request with a line in
# DIR/accounting.log (status, user, framed address).  radius_start runs
# it as root in a network namespace; it logs to DIR/radius.log.
#	radius_conf "$d" 10.77.0.1 10.77.0.0/24 testing123
#	radius_user "$d" alice 'secret pw'
#	radius_start ns1 "$d"; ...; radius_hup "$d"; ...; radius_stop "$d"

# radius_quote STRING: STRING single-quoted; it may hold no ' nor \.
radius_quote() {
	[[ $1 != *[\'\\]* ]] || { echo "radius: ' or \\ in $1" >&2; return 1; }
	printf "'%s'" "$1"
}

# radius_conf DIR ADDRESS CLIENT_NET SECRET: writes DIR/radiusd.conf.
radius_conf() {
	local d=$1 addr=$2 net=$3 secret
	secret=$(radius_quote "$4") || return 1
	chmod go-w "$d"		# else freeradius refuses to start
	: >>"$d/users"
	cat >"$d/radiusd.conf" <<-CONF
	prefix = /usr
	libdir = /usr/lib/freeradius
	localstatedir = $d
	raddbdir = $d
	run_dir = $d
	log {
		destination = files
		file = $d/radius.log
		auth = yes
	}
	client net {
		ipaddr = $net
		secret = $secret
	}
	modules {
		files {
			filename = $d/users
		}
		mschap { }
		eap {
			default_eap_type = mschapv2
			mschapv2 { }
		}
		always ok {
			rcode = ok
		}
		linelog acct_log {
			filename = $d/accounting.log
	format = "%{Acct-Status-Type} %{User-Name} %{Framed-IP-Address}"
		}
	}
	server default {
		listen {
			type = auth
			ipaddr = $addr
			port = 1812
		}
		listen {
			type = acct
			ipaddr = $addr
			port = 1813
		}
		authorize {
			eap
			files
			mschap
		}
		authenticate {
			eap
			Auth-Type MS-CHAP {
				mschap
			}
		}
		accounting {
			acct_log
			ok
		}
	}
	CONF
}

# radius_user DIR NAME PASSWORD: adds a user to DIR/users.
radius_user() {
	local name pw
	name=$(radius_quote "$2") && pw=$(radius_quote "$3") || return 1
	printf '%s Cleartext-Password := %s\n' "$name" "$pw" >>"$1/users"
}

# radius_alive PID: whether PID runs (is there and no zombie).
radius_alive() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	[[ ${s##*) } != Z* ]]
}

# radius_start NETNS DIR: runs the server in NETNS, its pid in DIR/pid.
radius_start() {
	local ns=$1 d=$2 i pid
	# ip netns exec execs freeradius: $! is freeradius
	ip netns exec "$ns" /usr/sbin/freeradius -f -d "$d" \
		</dev/null >>"$d/radius.log" 2>&1 &
	pid=$!
	echo "$pid" >"$d/pid"
	for ((i = 0; i < 100; i++)); do
		radius_alive "$pid" || break
		ip netns exec "$ns" ss -Hlunp 'sport = :1812' |
			grep -F "pid=$pid," >/dev/null && return 0
		sleep 0.1
	done
	echo "radius: not listening on 1812 in $ns; its log:" >&2
	tail -n 30 "$d/radius.log" >&2 || true
	radius_stop "$d"
	return 1
}

# radius_hup DIR: has the server read DIR/users again (takes up to 6 s).
radius_hup() {
	local d=$1 n i re='Reloaded module "files"'
	n=$(grep -c "$re" "$d/radius.log" || true)
	# freeradius ignores a HUP within 5 s of the last one, or 2 s of
	# the module's load, or when the file's mtime (in s) is the same
	for ((i = 0; i < 120; i++)); do
		((i % 10)) || { touch "$d/users"; kill -HUP "$(<"$d/pid")"; }
		sleep 0.1
		(($(grep -c "$re" "$d/radius.log" || true) > n)) && return 0
	done
	echo "radius: $d/users not read again" >&2
	return 1
}

# radius_stop DIR: stops the server radius_start started, and waits.
radius_stop() {
	local pid i
	pid=$(<"$1/pid")
	kill "$pid" 2>/dev/null || return 0
	wait "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		radius_alive "$pid" || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}
