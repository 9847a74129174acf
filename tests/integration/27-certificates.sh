#!/bin/bash
# 27-certificates: the master reads each certificate block's files at
# start and at every reload; `edgectl show certificates` lists names,
# expiry, key and chain; a key that does not match its certificate makes
# the reload fail at its position and the old certificates stay listed;
# no byte of a private key ever reaches the log or edgectl.
. "$(dirname "$0")/lib.sh"
it_begin 27-certificates

VIP=$((IT_PORT + 0)) NG=$((IT_PORT + 1))
require_free_ports $VIP $NG
nginx_backend ng $NG

TLS=$IT_DIR/../conf/tls
mkdir -p "$T/tls"
for f in www.crt www.key api.crt api.key leaf.crt leaf.key ca.crt; do
	cp "$TLS/$f" "$T/tls/$f"
done
chmod 600 "$T/tls/"*.key

# conf WWW-CERT WWW-KEY
conf() {
	one_pool_conf $VIP none ng $NG
	cat <<CONF
certificate www {
    cert $1
    key $2
}
certificate app {
    cert $T/tls/leaf.crt
    key $T/tls/leaf.key
    chain $T/tls/ca.crt
}
CONF
}
conf "$T/tls/www.crt" "$T/tls/www.key" >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP

certs() { ctl show certificates --json; }
names() { certs | json_get "' '.join(' '.join(c['names']) for c in j['certificates'])"; }

out=$(ctl show certificates)
it_log "show certificates:"$'\n'"$out"
assert_match "text: www's row" '^www +2126-[0-9-]+T[0-9:]+Z +[0-9]+ +EC-256 +0 +www.example.com example.com$' "$out"
assert_match "text: app's row, chain of 1" '^app +2126-.* +EC-256 +1 +app.example.com$' "$out"
assert_eq "names" "www.example.com example.com app.example.com" "$(names)"
assert_eq "www not expired" false "$(certs | json_get 'j["certificates"][0]["expired"]')"
assert_match "www's fingerprint is the certificate's" \
    "$(openssl x509 -in "$T/tls/www.crt" -noout -fingerprint -sha256 | cut -d= -f2)" \
    "$(certs | json_get 'j["certificates"][0]["sha256"]')"
assert_eq "app's issuer" "CN=edged test CA" \
    "$(certs | json_get 'j["certificates"][1]["issuer"]')"

# ---- a reload reads the files again ----
cp "$T/tls/api.crt" "$T/tls/www.crt"
cp "$T/tls/api.key" "$T/tls/www.key"
out=$(ctl reload 2>&1) || fail "reload with the new www files failed: $out"
assert_eq "names after the files changed" "*.api.example.com app.example.com" \
    "$(names)"
assert_eq "www's key now" RSA-2048 \
    "$(certs | json_get 'j["certificates"][0]["key"]')"

# ---- a key that does not match: rejected where it is named ----
conf "$T/tls/www.crt" "$T/tls/leaf.key" >"$T/edged.conf"
old=$(edged_worker_pid)
out=$(ctl reload 2>&1) && fail "a mismatched key was accepted"
assert_match "the reload names the key's position" \
    "^$T/edged.conf:[0-9]+:9: error: key $T/tls/leaf.key does not match certificate $T/tls/www.crt" \
    "$out"
assert_eq "worker unchanged" "$old" "$(edged_worker_pid)"
assert_eq "the certificates in force are still listed" \
    "*.api.example.com app.example.com" "$(names)"
assert_eq "traffic still served" 200 "$(status_of "http://127.0.0.1:$VIP/")"

# ---- no key material anywhere ----
for k in "$T"/tls/*.key; do
	# any line of base64 of a key, in the log or in edgectl's answers
	while read -r line; do
		case $line in -----*) continue ;; esac
		grep -qF -- "$line" "$EDGED_LOG" &&
		    check_failed "a line of $k is in edged's log"
		grep -qF -- "$line" <<<"$(ctl show certificates --json; ctl status)" &&
		    check_failed "a line of $k is in edgectl's output"
	done <"$k"
done

pass
