#!/bin/bash
# 36-overrides-metrics: what edgectl set and the file does not say is shown
# as such.  show pool marks a weight or admin state set with edgectl that
# differs from the file ('*' in the text, with a footnote giving the
# file's values; weight_file, admin_file and override in JSON); the marks
# survive a reload and go when the runtime equals the file again (the file
# changed to agree, or member reset).  The metrics count failed TLS
# handshakes per https virtual server, and only there.
. "$(dirname "$0")/lib.sh"
it_begin 36-overrides-metrics

VIP=$((IT_PORT + 0)) B1=$((IT_PORT + 1)) B2=$((IT_PORT + 2)) B3=$((IT_PORT + 3))
ST=$((IT_PORT + 4)) TV=$((IT_PORT + 5))
require_free_ports $VIP $B1 $B2 $B3 $ST $TV
OPENSSL=${OPENSSL:-openssl}
command -v "$OPENSSL" >/dev/null || fail "openssl not found"
nginx_backend b1 $B1
nginx_backend b2 $B2
nginx_backend b3 $B3
mkdir -p "$T/tls"
cp "$IT_DIR/../conf/tls/www.crt" "$IT_DIR/../conf/tls/www.key" "$T/tls/"
chmod 600 "$T/tls/www.key"

conf() {			# B1-WEIGHT
	edged_conf_head
	cat <<CONF
stats { listen 127.0.0.1:$ST; }
certificate www { cert $T/tls/www.crt; key $T/tls/www.key; }
application-profile web { type http; }
application-profile tls13 {
    type https
    certificates www
    tls { min-version 1.3; }
}
pool p {
    algorithm round-robin
    member b1 127.0.0.1:$B1 weight $1
    member b2 127.0.0.1:$B2 weight 2
    member b3 127.0.0.1:$B3
}
virtual-server v { listen 127.0.0.1:$VIP; profile web; default-pool p; }
virtual-server s { listen 127.0.0.1:$TV; profile tls13; default-pool p; }
CONF
}
conf 1 >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP $ST $TV

# field MEMBER KEY: a member's field in show pool --json
field() {
	ctl show pool p --json | json_get \
	    "[m for m in j['pools'][0]['members'] if m['name'] == '$1'][0]['$2']"
}
# member_json MEMBER: the fields this test is about, on one line
member_json() {
	echo "$(field "$1" weight) $(field "$1" weight_file)" \
	    "$(field "$1" admin) $(field "$1" admin_file) $(field "$1" override)"
}
# column MEMBER NAME: a column of the member's row in the show pool text,
# found by its header
column() {
	ctl show pool p | awk -v m="$1" -v c="$2" '
	    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	    $2 == m { print $col[c] }'
}

# ---- nothing set: the file's values, no mark ----
for m in b1 b2 b3; do
	assert_eq "$m: override false at the start" false "$(field $m override)"
done
assert_eq "b2: the file's weight" "2 2 enabled enabled false" "$(member_json b2)"
assert_no_match "no mark in the text" '\*' "$(ctl show pool p)"

# ---- set with edgectl ----
ctl member weight p b1 3 >/dev/null || fail "member weight refused"
ctl member disable p b2 >/dev/null || fail "member disable refused"
assert_eq "b1: weight 3, the file's 1" "3 1 enabled enabled true" \
    "$(member_json b1)"
assert_eq "b2: disabled, the file's enabled" "2 2 disabled enabled true" \
    "$(member_json b2)"
assert_eq "b3: as the file" "1 1 enabled enabled false" "$(member_json b3)"
assert_eq "text: b1's weight marked" '3*' "$(column b1 WEIGHT)"
assert_eq "text: b1's admin state as the file" enabled "$(column b1 ADMIN)"
assert_eq "text: b2's admin state marked" 'disabled*' "$(column b2 ADMIN)"
assert_eq "text: b2's weight as the file" 2 "$(column b2 WEIGHT)"
assert_eq "text: b3 unmarked" "enabled 1" "$(column b3 ADMIN) $(column b3 WEIGHT)"
ctl show pool p >"$T/pool.txt"
assert_match "footnote for b1: the file's values and the way back" \
    '^\* p/b1: set with edgectl, differs from the file \(weight 1, enabled\); edgectl member reset p b1 returns to it$' \
    "$(cat "$T/pool.txt")"
assert_match "footnote for b2" \
    '^\* p/b2: set with edgectl, differs from the file \(weight 2, enabled\)' \
    "$(cat "$T/pool.txt")"
assert_eq "no footnote for b3" 0 "$(grep -c '^\* p/b3' "$T/pool.txt" || true)"
assert_match "show pool without a pool name has them too" '^\* p/b1: ' \
    "$(ctl show pool)"
# the other columns keep their places
assert_eq "text: b2's state column" disabled "$(column b2 STATE)"
assert_eq "text: b1's health column" up "$(column b1 HEALTH)"

# ---- a reload keeps them ----
ctl reload >"$T/reload.out" 2>&1 || fail "reload refused: $(cat "$T/reload.out")"
assert_eq "after reload: b1 still overridden" "3 1 enabled enabled true" \
    "$(member_json b1)"
assert_eq "after reload: b2 still overridden" "2 2 disabled enabled true" \
    "$(member_json b2)"
assert_eq "after reload: the mark" '3*' "$(column b1 WEIGHT)"

# ---- the file comes to agree: no override any more ----
conf 3 >"$T/edged.conf"
ctl reload >"$T/reload.out" 2>&1 || fail "reload refused: $(cat "$T/reload.out")"
assert_eq "file says weight 3 too: b1 as the file" "3 3 enabled enabled false" \
    "$(member_json b1)"
assert_eq "text: b1 unmarked" 3 "$(column b1 WEIGHT)"
assert_eq "b2 still overridden" true "$(field b2 override)"

# ---- member reset returns to the file ----
ctl member reset p b2 >"$T/reset.out" 2>&1 ||
    fail "member reset refused: $(cat "$T/reset.out")"
assert_eq "after member reset: b2 as the file" "2 2 enabled enabled false" \
    "$(member_json b2)"
assert_no_match "after member reset: no mark left" '\*' "$(ctl show pool p)"

# ---- failed TLS handshakes, per https virtual server ----
out=$(echo | "$OPENSSL" s_client -connect "127.0.0.1:$TV" -tls1_2 2>&1 || true)
assert_match "TLS 1.2 refused by a 1.3-only profile" \
    "alert protocol version|no protocols available|handshake failure" "$out"
curl -sS --max-time 5 "http://127.0.0.1:$ST/metrics" >"$T/metrics" ||
    fail "GET /metrics failed"
"$PY" "$IT_DIR/promcheck.py" <"$T/metrics" >"$T/samples" 2>"$T/promerr" ||
    fail "not valid exposition format: $(cat "$T/promerr")"
failed=$(grep -F 'edged_virtual_server_tls_handshake_failures_total{virtual_server="s"} ' \
    "$T/samples" | awk '{ print $2 }')
assert_ge "the refused handshake counted" "${failed:-0}" 1
assert_eq "no such series for the plain HTTP virtual server" 0 \
    "$(grep -c 'tls_handshake_failures_total{virtual_server="v"}' "$T/samples" || true)"
assert_eq "/stats: the same figure" "$failed" "$(curl -sS --max-time 5 \
    "http://127.0.0.1:$ST/stats" | json_get \
    "[v for v in j['virtual_servers'] if v['name'] == 's'][0]['tls']['failed']")"
assert_eq "show stats' FAILED column: the same figure" "$failed" \
    "$(ctl show stats | awk '$1 == "virtual-server" && $2 == "s" && NF == 7 { print $7 }')"

pass
