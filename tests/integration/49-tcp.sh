#!/bin/bash
# 49-tcp: tcp profiles (application-profile { type tcp }) pass bytes both
# ways unread:
#   - HTTP through them to two real nginx members, round-robin by
#     connection, a 2 MB body intact;
#   - a member that speaks first (a greeting before any client byte)
#     reaches the client: the connection goes to the member when it is
#     accepted;
#   - half-close both ways: a client that closes its side still gets the
#     member's answer, which the member sends only after that FIN; a
#     member that closes first still gets every byte the client sends
#     after it, and the connection ends when both sides closed;
#   - 1 GiB down (from nginx) and 1 GiB up go through splice(2) pipes,
#     the worker's memory flat;
#   - ip-hash keeps a client address on one member;
#   - use_backend on dst_port chooses the pool (the second listen);
#   - timeout tunnel closes an idle connection; a member that refuses the
#     connection closes the client's without a byte;
#   - each connection counts once, in the stats and in the access log
#     ("TCP"); a reload that asks for `algorithm uri` on a tcp pool is
#     refused and the running configuration keeps serving.
. "$(dirname "$0")/lib.sh"
it_begin 49-tcp

VIP=$((IT_PORT + 0)) VIP2=$((IT_PORT + 1)) VHASH=$((IT_PORT + 2))
VDEAD=$((IT_PORT + 3)) VSF=$((IT_PORT + 4)) VSTICK=$((IT_PORT + 5))
W1=$((IT_PORT + 10)) W2=$((IT_PORT + 11)) G1=$((IT_PORT + 12))
G2=$((IT_PORT + 13)) DR=$((IT_PORT + 14)) SF=$((IT_PORT + 15))
DEAD=$((IT_PORT + 16))
require_free_ports $VIP $VIP2 $VHASH $VDEAD $VSF $VSTICK $W1 $W2 $G1 $G2 \
    $DR $SF $DEAD

head -c 2000000 /dev/urandom >"$T/big.bin"
truncate -s 1G "$T/gig.bin"		# sparse: no disk
chmod 644 "$T/big.bin" "$T/gig.bin"
nginx_backend w1 $W1 "location ~ ^/(big|gig)\.bin$ { root $T; }"
nginx_backend w2 $W2 "location ~ ^/(big|gig)\.bin$ { root $T; }"
py_backend g1 $G1 greet
py_backend g2 $G2 greet
py_backend dr $DR drain
py_backend sf $SF shutfirst

write_conf() {		# ALGORITHM-OF-POOL-web
	{
		edged_conf_head "timeout tunnel 1500ms"
		cat <<CONF
application-profile raw { type tcp }
pool web {
    algorithm $1
    member w1 127.0.0.1:$W1
    member w2 127.0.0.1:$W2
}
pool greet {
    algorithm ip-hash
    member g1 127.0.0.1:$G1
    member g2 127.0.0.1:$G2
}
pool drain { member dr 127.0.0.1:$DR }
pool shutfirst { member sf 127.0.0.1:$SF }
pool dead { member x 127.0.0.1:$DEAD }
application-rule by-port {
    acl second dst_port $VIP2
    use_backend drain if second
}
virtual-server v {
    listen 127.0.0.1:$VIP
    listen 127.0.0.1:$VIP2
    profile raw
    default-pool web
    access-log $T/access.log
    rules by-port
}
virtual-server hash {
    listen 127.0.0.1:$VHASH
    profile raw
    default-pool greet
}
virtual-server sf {
    listen 127.0.0.1:$VSF
    profile raw
    default-pool shutfirst
}
application-profile sticky { type tcp; persistence source-ip }
pool greet-rr {
    member g1 127.0.0.1:$G1
    member g2 127.0.0.1:$G2
}
virtual-server sticky {
    listen 127.0.0.1:$VSTICK
    profile sticky
    default-pool greet-rr
}
virtual-server dead {
    listen 127.0.0.1:$VDEAD
    profile raw
    default-pool dead
}
CONF
	} >"$T/edged.conf"
}
write_conf round-robin
edged_start "$T/edged.conf" $VIP $VIP2 $VHASH $VDEAD $VSF $VSTICK

# tcpc PORT HOW [SRC]: a raw client (see the cases below); prints what
# it got, one line
tcpc() {
	"$PY" - "$@" <<'PY'
import hashlib, socket, sys, time
port, how = int(sys.argv[1]), sys.argv[2]
src = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
s = socket.create_connection(("127.0.0.1", port), timeout=10,
                             source_address=(src, 0))
def to_eof():
    got = b""
    while True:
        b = s.recv(65536)
        if not b:
            return got
        got += b
data = bytes(range(256)) * 4096          # 1 MiB
sha = hashlib.sha256(data).hexdigest()
if how == "greet":
    # nothing sent: the member speaks first
    print(s.recv(200).decode().strip())
elif how == "echo":
    hello = s.recv(200)
    s.sendall(b"ping\n")
    echo = s.recv(200)
    s.shutdown(socket.SHUT_WR)
    print(hello.decode().split()[2], echo.decode().strip(),
          "eof" if to_eof() == b"" else "data")
elif how == "drain":
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = to_eof().decode().split()     # NAME got N bytes sha256=H
    print(got[0], got[2], "ok" if got[4] == "sha256=" + sha else "bad")
elif how == "shutfirst":
    bye = s.recv(200)
    rest = to_eof()                      # the member's FIN
    time.sleep(0.2)
    s.sendall(data)                      # and still the client sends
    s.shutdown(socket.SHUT_WR)
    print(bye.decode().strip(), "eof" if rest == b"" else "data",
          "end" if to_eof() == b"" else "more", sha[:16])
elif how == "idle":
    t0 = time.time()
    got = to_eof()
    print("closed" if got.startswith(b"hello") else "bytes",
          int((time.time() - t0) * 1000))
elif how == "dead":
    try:
        got = to_eof()
        print("closed" if got == b"" else "bytes")
    except ConnectionResetError:
        print("reset")
PY
}

# ---- HTTP through a tcp virtual server ----
sleep 0.2	# edged_start's probes of the ports are connections too
req0=$(stat_of 'vs("v")["requests"]')
log0=$(grep -c '"TCP"' "$T/access.log" || true)
names=""
for i in 1 2 3 4; do
	names="$names $(get "http://127.0.0.1:$VIP/")"
done
assert_eq "round-robin by connection over two nginx: 2 each" "2 w1 2 w2" \
    "$(echo $names | tr ' ' '\n' | sort | uniq -c | xargs)"
got=$(curl -sS --max-time 20 "http://127.0.0.1:$VIP/big.bin" |
    sha256sum | cut -d' ' -f1)
assert_eq "2 MB through the tcp tunnel intact" \
    "$(sha256sum <"$T/big.bin" | cut -d' ' -f1)" "$got"
three=$(curl -sS --max-time 10 "http://127.0.0.1:$VIP/" \
    "http://127.0.0.1:$VIP/" "http://127.0.0.1:$VIP/" | sort -u)
assert_match "keep-alive: 3 requests on one connection, one member" \
    "^w[12]$" "$three"

# ---- a member that speaks first ----
out=$(tcpc $VHASH greet)
assert_match "the greeting comes before any client byte" \
    "^hello from g[12] peer=127\.0\.0\.1:" "$out"

# ---- ip-hash: one address, one member; the echo and both FINs ----
first=$(tcpc $VHASH echo)
assert_match "echo through, then the member's close reaches the client" \
    "^g[12] ping eof$" "$first"
for i in 1 2 3 4; do
	assert_eq "ip-hash: 127.0.0.1 stays on its member ($i)" \
	    "$first" "$(tcpc $VHASH echo)"
done
other=$(tcpc $VHASH echo 127.0.0.2)
assert_match "another address is served too" "^g[12] ping eof$" "$other"
assert_eq "and stays where ip-hash put it" "$other" \
    "$(tcpc $VHASH echo 127.0.0.2)"
for i in $(seq 1 50); do
	[ "$(grep -c '^DONE' "$T/g1.log" "$T/g2.log" |
	    awk -F: '{ n += $2 } END { print n }')" -ge 7 ] && break
	sleep 0.05
done
assert_eq "each member saw the client's FIN (7 DONE n=5)" 7 \
    "$(cat "$T/g1.log" "$T/g2.log" | grep -c '^DONE n=5$')"

# ---- persistence source-ip: round-robin, yet one member per client ----
first=$(tcpc $VSTICK greet | cut -d' ' -f3)
for i in 1 2 3; do
	assert_eq "source-ip persistence: 127.0.0.1 back to $first ($i)" \
	    "$first" "$(tcpc $VSTICK greet | cut -d' ' -f3)"
done

# ---- half-close, the client first: the answer comes after its FIN ----
assert_eq "use_backend dst_port: the second listen reaches drain, whose
    answer after the client's FIN counts all 1 MiB, sha256 equal" \
    "dr 1048576 ok" "$(tcpc $VIP2 drain)"
assert_eq "again" "dr 1048576 ok" "$(tcpc $VIP2 drain)"

# ---- half-close, the member first: the client still sends ----
out=$(tcpc $VSF shutfirst)
sha=${out##* }
assert_eq "the member's FIN reaches the client; the client sends on" \
    "bye from sf eof end" "${out% *}"
for i in $(seq 1 50); do
	grep -q '^GOT n=[1-9]' "$T/sf.log" && break
	sleep 0.05
done
assert_match "the member got all of it after its own close" \
    "^GOT n=1048576 sha256=$sha" "$(grep '^GOT n=[1-9]' "$T/sf.log")"

# ---- 1 GiB each way through splice(2), the worker's memory flat ----
WPID=$(edged_worker_pid)
kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$WPID/status"; }
# bytes the worker moved with read(2) and write(2) (splice counts in
# neither)
io() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$WPID/io"; }
rss0=$(kb VmRSS) rchar0=$(io rchar) wchar0=$(io wchar)
got=$(curl -sS --max-time 60 -o /dev/null -w '%{size_download}' \
    "http://127.0.0.1:$VIP/gig.bin")
assert_eq "1 GiB down (nginx, through tcp)" 1073741824 "$got"
gig=$("$PY" - $VIP2 <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
chunk = b"\0" * (1 << 20)
for i in range(1024):
    s.sendall(chunk)
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    got += b
print(got.decode().split()[2])
PY
)
assert_eq "1 GiB up (to drain, through tcp)" 1073741824 "$gig"
rss1=$(kb VmRSS)
it_log "worker $WPID: VmRSS ${rss0} kB before, ${rss1} kB after 2 GiB"
assert_le "growth of the worker's RSS over 2 GiB (kB)" $((rss1 - rss0)) 4096
assert_le "bytes the worker read(2) meanwhile (MiB): splice moved them" \
    $((($(io rchar) - rchar0) >> 20)) 16
assert_le "bytes the worker write(2) meanwhile (MiB)" \
    $((($(io wchar) - wchar0) >> 20)) 16

# ---- timeouts, a member that refuses ----
out=$(tcpc $VHASH idle)
assert_eq "an idle connection is closed" closed "${out% *}"
assert_between "after about timeout tunnel (1.5 s)" "${out#* }" 1200 5000
assert_match "a member that refuses: the client's connection closes" \
    "^(closed|reset)$" "$(tcpc $VDEAD dead)"

# ---- counters and the access log ----
sleep 0.2
assert_eq "stats: a request a connection (4 + 1 + 1 + 1 HTTP, 3 drain)" \
    $((req0 + 10)) "$(stat_of 'vs("v")["requests"]')"
assert_eq "the access log: a TCP line per connection of v" $((log0 + 10)) \
    "$(grep -c '"TCP"' "$T/access.log" || true)"

# ---- a reload that would hash URIs on a tcp pool is refused ----
write_conf "uri"
ctl reload >"$T/reload.out" 2>&1 &&
    fail "a tcp pool with algorithm uri was accepted"
assert_match "the refusal names the line and why" "edged.conf:[0-9]+:[0-9]+: \
error: pool web: algorithm uri hashes a part of an HTTP request" \
    "$(cat "$T/reload.out")"
assert_match "the old configuration still serves" "^w[12]$" \
    "$(get "http://127.0.0.1:$VIP/")"

pass
