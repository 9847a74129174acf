#!/bin/bash
# 48-queue-threads: a pool's queue is one queue for all worker threads
# (issue 16: "queued requests are served in arrival order as slots
# free").  Two worker threads, each accepting on its own SO_REUSEPORT
# socket, so that the kernel spreads the connections between them; one
# member with max-connections 1 (backend.py slow: 0.3 s a request).
# Eight requests sent 100 ms apart, each on a connection of its own:
# the member sees them in the order they came and never two at once,
# whichever thread each landed on.  (A thread serving the next of its
# own requests when a slot frees, before an older one waiting on the
# other thread, breaks the order; that all eight land on one thread,
# where the order holds anyway, has a chance of 1 in 128.)
. "$(dirname "$0")/lib.sh"
it_begin 48-queue-threads

V=$((IT_PORT + 1)) SL=$((IT_PORT + 11))
require_free_ports $V $SL
py_backend slow $SL slow --delay 0.3

TMO_SERVER=10s
{
	edged_conf_head
	cat <<CONF
application-profile web { type http; x-forwarded-for none }
pool p {
    timeout queue 10s
    member s 127.0.0.1:$SL max-connections 1
}
virtual-server v { listen 127.0.0.1:$V; profile web; default-pool p }
CONF
} >"$T/edged.conf"
grep -q '^    workers 2$' "$T/edged.conf" || fail "test setup: not two threads"
edged_start "$T/edged.conf" $V

CURLS=()
want=''
for i in 1 2 3 4 5 6 7 8; do
	curl -s -o /dev/null -w '%{http_code}' --max-time 15 \
	    "http://127.0.0.1:$V/r$i" >"$T/code$i" &
	CURLS+=("$!")
	want="$want /r$i"
	sleep 0.1
done
wait "${CURLS[@]}"
assert_eq "all eight answered" "200 200 200 200 200 200 200 200" \
    "$(for i in 1 2 3 4 5 6 7 8; do cat "$T/code$i"; echo; done |
    tr '\n' ' ' | sed 's/ $//')"
assert_eq "the member saw them in arrival order" "${want# }" \
    "$(grep '^REQ' "$T/slow.log" | awk '{ print $3 }' | tr '\n' ' ' |
    sed 's/ $//')"
# each began once the previous one's 0.3 s were over (two at once would
# begin about 0.1 s apart)
assert_ge "never two at once: ms between two beginnings" \
    "$(req_gap "$T/slow.log")" 290

kill -0 "$EDGED_PID" 2>/dev/null || fail "edged died"
pass
