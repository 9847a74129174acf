#!/bin/bash
# 05-chunked: a chunked request body reaches the backend intact (same
# length and sha256), and a chunked response with uneven chunk sizes
# reaches the client intact; the keep-alive connection stays in step
# after each.
. "$(dirname "$0")/lib.sh"
it_begin 05-chunked

VIP_UP=$((IT_PORT + 0)) VIP_DOWN=$((IT_PORT + 1)) ECHO=$((IT_PORT + 10)) CHUNK=$((IT_PORT + 11))
require_free_ports $VIP_UP $VIP_DOWN $ECHO $CHUNK
py_backend echo $ECHO echo
SIZE=3000017
py_backend chunky $CHUNK chunked --size $SIZE

{
	edged_conf_head
	cat <<CONF
application-profile web { type http; x-forwarded-for insert }
pool p_echo {
    algorithm round-robin
    member echo 127.0.0.1:$ECHO
}
pool p_chunk {
    algorithm round-robin
    member chunky 127.0.0.1:$CHUNK
}
virtual-server up {
    listen 127.0.0.1:$VIP_UP
    profile web
    default-pool p_echo
}
virtual-server down {
    listen 127.0.0.1:$VIP_DOWN
    profile web
    default-pool p_chunk
}
CONF
} >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP_UP $VIP_DOWN

# ---- upload ----
head -c 2500000 /dev/urandom >"$T/up.bin"
want_sha=$(sha256sum <"$T/up.bin" | cut -d' ' -f1)
want_len=$(stat -c %s "$T/up.bin")

# chunked upload, then a plain GET on the same connection
curl -sS -v --max-time 30 -H 'Transfer-Encoding: chunked' \
    --data-binary @"$T/up.bin" "http://127.0.0.1:$VIP_UP/upload" \
    -o "$T/up1.txt" --next "http://127.0.0.1:$VIP_UP/after" -o "$T/up2.txt" \
    2>"$T/up-v.txt" || fail "curl upload failed: $(tail -5 "$T/up-v.txt")"
got=$(cat "$T/up1.txt")
assert_match "chunked upload: length at the backend" " len=$want_len " "$got"
assert_match "chunked upload: sha256 at the backend" " sha256=$want_sha " "$got"
assert_match "chunked upload: framing the backend saw" " te=chunked cl=- " "$got"
assert_match "GET after the upload, same connection" \
    "method=GET path=/after len=0 " "$(cat "$T/up2.txt")"
assert_eq "curl reused its connection for the GET" 1 \
    "$(grep -c 'Re-using existing connection' "$T/up-v.txt" || true)"

# a hand-made chunked body: chunk extensions, a trailer, odd sizes
printf '%s\r\n' \
    'POST /hand HTTP/1.1' 'Host: t' 'Transfer-Encoding: chunked' \
    'Content-Type: text/plain' '' \
    '5;ext=1' 'hello' '1' ' ' 'a' '0123456789' '0' 'X-Trailer: yes' '' \
    'GET /next HTTP/1.1' 'Host: t' 'Connection: close' '' |
    raw $VIP_UP --timeout 5 >"$T/hand.txt" 2>"$T/hand.err"
want=$(printf 'hello 0123456789' | sha256sum | cut -d' ' -f1)
assert_eq "responses to chunked POST + GET on one connection" 2 \
    "$(grep -c '^HTTP/1.1 200' "$T/hand.txt" || true)"
assert_match "hand-made chunked body at the backend" \
    "path=/hand len=16 sha256=$want " "$(cat "$T/hand.txt")"
assert_match "request after the chunked one" "path=/next len=0" \
    "$(cat "$T/hand.txt")"

# ---- download ----
curl -sS -D "$T/down-h.txt" --max-time 30 -o "$T/down.bin" \
    "http://127.0.0.1:$VIP_DOWN/download" --next -D "$T/down2-h.txt" \
    -o "$T/down2.bin" "http://127.0.0.1:$VIP_DOWN/download2" ||
    fail "curl download failed"
want_sha=$(tr -d '\r' <"$T/down-h.txt" | sed -n 's/^[Xx]-[Bb]ody-[Ss]ha256: //p' |
    head -1)
assert_ne "X-Body-Sha256 from the backend" "" "$want_sha"
assert_eq "chunked download: length" "$SIZE" "$(stat -c %s "$T/down.bin")"
assert_eq "chunked download: sha256" "$want_sha" \
    "$(sha256sum <"$T/down.bin" | cut -d' ' -f1)"
assert_eq "second chunked download, same connection: sha256" "$want_sha" \
    "$(sha256sum <"$T/down2.bin" | cut -d' ' -f1)"
assert_eq "Transfer-Encoding to the client" 2 \
    "$(cat "$T/down-h.txt" "$T/down2-h.txt" |
    grep -ci '^transfer-encoding: chunked' || true)"

pass
