#!/bin/bash
# 53-source-address: one-armed, the address members see.  A pool's
# `source-address` is what its connections leave from:
#   - http, tcp and udp virtual servers: nginx sees 127.0.0.9 as its
#     client, dnsmasq logs the query from it; the pool's http monitor
#     probes from it too (the member is up);
#   - without it, the kernel's choice (127.0.0.1 on loopback);
#   - an address that is not the host's: requests get 503 at once, the
#     member is not blamed (its probes skipped, health unchanged), and
#     the log says why;
#   - a source-address of the other family than a member's is refused at
#     its line, the old configuration kept.
. "$(dirname "$0")/lib.sh"
it_begin 53-source-address

VH=$((IT_PORT + 0)) VT=$((IT_PORT + 1)) VU=$((IT_PORT + 2))
VK=$((IT_PORT + 3)) VX=$((IT_PORT + 4))
N=$((IT_PORT + 10)) D=$((IT_PORT + 11))
require_free_ports $VH $VT $VU $VK $VX $N $D

nginx_backend echo $N 'location = /who {
            return 200 "addr=$remote_addr\n"; }'
dnsmasq_member "$T/dns.log" 127.0.0.1 "$D" 192.0.2.1
wait_port $D

conf() {	# SOURCE-LINE-FOR-POOL-SRC
	edged_conf_head
	cat <<CONF
monitor hc { type http; url /who; interval 300ms; timeout 200ms; rise 1;
    fall 1; }
application-profile web { type http }
application-profile raw { type tcp }
application-profile dns { type udp; udp-responses 1 }
pool src { monitor hc; $1; member n 127.0.0.1:$N }
pool kernel { member n 127.0.0.1:$N }
pool dns { source-address 127.0.0.9; member d 127.0.0.1:$D }
pool away { monitor hc; source-address 192.0.2.99; member n 127.0.0.1:$N }
virtual-server http { listen 127.0.0.1:$VH; profile web; default-pool src }
virtual-server tcp { listen 127.0.0.1:$VT; profile raw; default-pool src }
virtual-server udp { listen 127.0.0.1:$VU; profile dns; default-pool dns }
virtual-server kernel { listen 127.0.0.1:$VK; profile web; default-pool kernel }
virtual-server away { listen 127.0.0.1:$VX; profile web; default-pool away }
CONF
}
conf "source-address 127.0.0.9" >"$T/edged.conf"
edged_start "$T/edged.conf" $VH $VT $VK $VX

assert_eq "http: the member sees the pool's source-address" \
    "addr=127.0.0.9" "$(curl -sS --max-time 5 "http://127.0.0.1:$VH/who")"
assert_eq "tcp: likewise" "addr=127.0.0.9" \
    "$(curl -sS --max-time 5 "http://127.0.0.1:$VT/who")"
assert_eq "udp: answered" 192.0.2.1 "$(dig +short +tries=1 +time=2 \
    -p $VU @127.0.0.1 www.example.test A)"
assert_match "... the query came to dnsmasq from the source-address" \
    "query\[A\] www\.example\.test from 127\.0\.0\.9" "$(cat "$T/dns.log")"
assert_eq "without it: the kernel's choice" "addr=127.0.0.1" \
    "$(curl -sS --max-time 5 "http://127.0.0.1:$VK/who")"
sleep 0.5
assert_eq "the monitor probes from it: the member is up" up \
    "$(member_health src n)"

# ---- an address the host does not have ----
assert_eq "not the host's address: 503 at once" 503 \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    "http://127.0.0.1:$VX/who")"
assert_eq "... and the member is not blamed" 0 \
    "$(stat_of '[x for x in pool("away")["members"]][0]["errors"]')"
assert_ne "... nor taken down by its skipped probes" down \
    "$(member_health away n)"
assert_match "... the log says why" "check skipped: bind to \
source-address: Cannot assign requested address \(the edge's addresses \
or ports\)" "$(cat "$T/edged.log")"

# ---- refused ----
conf "source-address ::1" >"$T/edged.conf"
out=$(ctl reload 2>&1 || true)
assert_match "another family than its member's: refused at its line" \
    "edged\.conf:[0-9]+:[0-9]+: error: pool src: source-address is IPv6 \
and member n \(127\.0\.0\.1:$N\) is not" "$out"
assert_eq "the old configuration in force" "addr=127.0.0.9" \
    "$(curl -sS --max-time 5 "http://127.0.0.1:$VH/who")"

pass
