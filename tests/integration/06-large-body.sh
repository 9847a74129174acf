#!/bin/bash
# 06-large-body: a 100 MB upload and a 100 MB download pass through
# intact (sha256), and edged streams them: the worker's resident memory
# grows by less than 8 MB, even with a client that reads slower than the
# backend sends.
. "$(dirname "$0")/lib.sh"
it_begin 06-large-body

VIP=$((IT_PORT + 0)) NG=$((IT_PORT + 1)) ECHO=$((IT_PORT + 2)) VIP_UP=$((IT_PORT + 3))
require_free_ports $VIP $NG $ECHO $VIP_UP
mkdir -p "$T/files"
head -c 100M /dev/urandom >"$T/files/big.bin"
chmod -R a+rX "$T/files"
big_sha=$(sha256sum <"$T/files/big.bin" | cut -d' ' -f1)
nginx_backend ng $NG "location = /big.bin { root $T/files; }"
py_backend echo $ECHO echo

{
	edged_conf_head
	cat <<CONF
application-profile web { type http; x-forwarded-for insert }
pool p_ng {
    algorithm round-robin
    member ng 127.0.0.1:$NG
}
pool p_echo {
    algorithm round-robin
    member echo 127.0.0.1:$ECHO
}
virtual-server down {
    listen 127.0.0.1:$VIP
    profile web
    default-pool p_ng
}
virtual-server up {
    listen 127.0.0.1:$VIP_UP
    profile web
    default-pool p_echo
}
CONF
} >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP $VIP_UP

WPID=$(edged_worker_pid)
kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$WPID/status"; }

# warm up: every thread has allocated its buffers once
for i in 1 2 3 4 5 6 7 8; do
	get "http://127.0.0.1:$VIP/warm$i" -o /dev/null
	get "http://127.0.0.1:$VIP_UP/warm$i" -d x -o /dev/null
done
rss0=$(kb VmRSS)
hwm0=$(kb VmHWM)
it_log "worker $WPID before: VmRSS ${rss0} kB, VmHWM ${hwm0} kB"

# 1. download, full speed
curl -sS --max-time 40 -o "$T/down.bin" "http://127.0.0.1:$VIP/big.bin" ||
    check_failed "the 100 MB download failed"
assert_eq "100 MB download: sha256" "$big_sha" \
    "$(sha256sum <"$T/down.bin" | cut -d' ' -f1)"
rm -f "$T/down.bin"

# 2. download by a client slower than the backend: edged must hold back
# rather than buffer what the client does not take yet
curl -sS --max-time 40 --limit-rate 60M -o "$T/down.bin" \
    "http://127.0.0.1:$VIP/big.bin" ||
    check_failed "the slow 100 MB download failed"
assert_eq "slow 100 MB download: sha256" "$big_sha" \
    "$(sha256sum <"$T/down.bin" | cut -d' ' -f1)"
rm -f "$T/down.bin"

# 3. upload (curl -T streams it, with Expect: 100-continue)
curl -sS --max-time 40 -T "$T/files/big.bin" -o "$T/up.txt" \
    "http://127.0.0.1:$VIP_UP/upload" ||
    check_failed "the 100 MB upload failed"
assert_match "100 MB upload: what the backend got" \
    "len=104857600 sha256=$big_sha " "$(cat "$T/up.txt")"

rss1=$(kb VmRSS)
hwm1=$(kb VmHWM)
it_log "worker $WPID after: VmRSS ${rss1} kB, VmHWM ${hwm1} kB"
assert_eq "worker pid after the transfers" "$WPID" "$(edged_worker_pid)"
assert_le "growth of the worker's peak RSS (kB)" $((hwm1 - hwm0)) 8192
assert_le "growth of the worker's RSS (kB)" $((rss1 - rss0)) 8192

pass
