#!/bin/bash
# 03-hash-algorithms: the four hashing algorithms keep a key on one member
# (across connections, hence across worker threads) and spread different
# keys; a request without a key falls back to round-robin.
#   ip-hash            every request from 127.0.0.1 on one member
#   uri                same path, same member; paths spread
#   uri depth 1        paths sharing their first segment stick
#   uri length 6       paths sharing their first 6 characters stick
#   header X-Tenant    same value sticks; values spread; absent: spread
#   url-param user     same value sticks; values spread; absent: spread
. "$(dirname "$0")/lib.sh"
it_begin 03-hash-algorithms

B1=$((IT_PORT + 11)) B2=$((IT_PORT + 12)) B3=$((IT_PORT + 13))
V_IP=$((IT_PORT + 1)) V_URI=$((IT_PORT + 2)) V_DEPTH=$((IT_PORT + 3)) V_LEN=$((IT_PORT + 4)) V_HDR=$((IT_PORT + 5)) V_PARAM=$((IT_PORT + 6))
require_free_ports $B1 $B2 $B3 $V_IP $V_URI $V_DEPTH $V_LEN $V_HDR $V_PARAM
nginx_backend b1 $B1
nginx_backend b2 $B2
nginx_backend b3 $B3

{
	edged_conf_head
	echo 'application-profile web { type http; x-forwarded-for insert }'
	for spec in "ip:$V_IP:ip-hash" "uri:$V_URI:uri" \
	    "depth:$V_DEPTH:uri depth 1" "len:$V_LEN:uri length 6" \
	    "hdr:$V_HDR:header X-Tenant" "param:$V_PARAM:url-param user"; do
		IFS=: read -r name port algo <<<"$spec"
		cat <<CONF
pool p_$name {
    algorithm $algo
    member b1 127.0.0.1:$B1
    member b2 127.0.0.1:$B2
    member b3 127.0.0.1:$B3
}
virtual-server v_$name {
    listen 127.0.0.1:$port
    profile web
    default-pool p_$name
}
CONF
	done
} >"$T/edged.conf"
edged_start "$T/edged.conf" $V_IP $V_URI $V_DEPTH $V_LEN $V_HDR $V_PARAM

# members [CURL-ARGS...] URL...: the member (X-Backend) that
# answered each URL, one per line; each request on its own connection,
# so that both worker threads take part.
members() {
	curl -s --max-time 30 -o /dev/null -H 'Connection: close' \
	    -w '%header{x-backend}\n' "$@"
}
distinct() { sort -u | grep -c . || true; }

# ---- ip-hash ----
members "http://127.0.0.1:$V_IP/ip[1-30]" >"$T/ip"
assert_eq "requests answered (ip-hash)" 30 "$(grep -c . "$T/ip" || true)"
assert_eq "members for one client address (ip-hash)" 1 "$(distinct <"$T/ip")"

# ---- uri ----
members "http://127.0.0.1:$V_URI/same/path?x=[1-20]" >"$T/uri-same"
assert_eq "members for one path, queries differing (uri)" 1 \
    "$(distinct <"$T/uri-same")"
members "http://127.0.0.1:$V_URI/p[1-40]" >"$T/uri-many"
assert_eq "members for 40 different paths (uri)" 3 "$(distinct <"$T/uri-many")"
# the same 40 paths again: each to the member it went to before
members "http://127.0.0.1:$V_URI/p[1-40]" >"$T/uri-many2"
assert_eq "40 paths asked twice go where they went (uri)" "" \
    "$(diff "$T/uri-many" "$T/uri-many2" | head -5)"

# ---- uri depth 1: /dirN/anything sticks to dirN's member ----
for d in 1 2 3 4 5 6; do
	members "http://127.0.0.1:$V_DEPTH/dir$d/f[1-8]" >"$T/depth$d"
	assert_eq "members for /dir$d/* (uri depth 1)" 1 "$(distinct <"$T/depth$d")"
done
assert_ge "members over 6 directories (uri depth 1)" \
    "$( (for d in 1 2 3 4 5 6; do head -1 "$T/depth$d"; done) | distinct)" 2

# ---- uri length 6: the first 6 characters decide ----
for p in aaaaa bbbbb ccccc ddddd eeeee fffff; do
	members "http://127.0.0.1:$V_LEN/${p}[1-8]/x" >"$T/len-$p"
	assert_eq "members for /$p* (uri length 6)" 1 "$(distinct <"$T/len-$p")"
done
assert_ge "members over 6 prefixes (uri length 6)" \
    "$( (for p in aaaaa bbbbb ccccc ddddd eeeee fffff; do
	head -1 "$T/len-$p"; done) | distinct)" 2

# ---- header X-Tenant ----
members -H 'X-Tenant: acme' "http://127.0.0.1:$V_HDR/h[1-20]" \
    >"$T/hdr-same"
assert_eq "members for X-Tenant: acme" 1 "$(distinct <"$T/hdr-same")"
for i in $(seq 1 30); do
	members -H "X-Tenant: tenant$i" "http://127.0.0.1:$V_HDR/t"
done >"$T/hdr-many"
assert_eq "members for 30 tenants" 3 "$(distinct <"$T/hdr-many")"
# no header: round-robin; on one connection (one thread) exactly even
curl -s --max-time 30 -o /dev/null -w '%header{x-backend}\n' \
    "http://127.0.0.1:$V_HDR/nohdr[1-30]" >"$T/hdr-none"
for b in b1 b2 b3; do
	assert_eq "requests without X-Tenant on $b" 10 \
	    "$(grep -c "^$b\$" "$T/hdr-none" || true)"
done

# ---- url-param user ----
members "http://127.0.0.1:$V_PARAM/a[1-20]?x=1&user=alice&y=2" \
    >"$T/param-same"
assert_eq "members for user=alice" 1 "$(distinct <"$T/param-same")"
members "http://127.0.0.1:$V_PARAM/q?user=u[1-30]" >"$T/param-many"
assert_eq "members for 30 users" 3 "$(distinct <"$T/param-many")"
curl -s --max-time 30 -o /dev/null -w '%header{x-backend}\n' \
    "http://127.0.0.1:$V_PARAM/noparam[1-30]?other=1" >"$T/param-none"
for b in b1 b2 b3; do
	assert_eq "requests without user= on $b" 10 \
	    "$(grep -c "^$b\$" "$T/param-none" || true)"
done

pass
