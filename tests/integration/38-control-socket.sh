#!/bin/bash
# 38-control-socket: hostile control clients.  A NUL or another control
# byte in the command line is refused at once, naming it and its offset
# (even before the line ends); a line over 64 KiB is refused; 200
# clients that connect and send nothing: the first 64 are held, the
# others answered "too many control clients" at once (edgectl too, while
# the 64 are held), the warning logged once a second at most, the
# master's memory barely moves, and the 64 are closed with an answer
# after the 5 s allowed for a command line; then edgectl works again.
# Throughout, the worker serves, undisturbed.
#
# The clients wait 5 s (15 s for the held ones) for an answer: far under
# the 30 s the master once took, far over what an answer at once takes.
. "$(dirname "$0")/lib.sh"
it_begin 38-control-socket

VIP=$((IT_PORT + 0)) B1=$((IT_PORT + 1))
require_free_ports $VIP $B1
nginx_backend b1 $B1

one_pool_conf $VIP none b1 $B1 >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP
WPID=$(edged_worker_pid)

cat >"$T/ctlclient.py" <<'PY'
import ast
import os
import socket
import subprocess
import sys

SOCK = os.environ["EDGED_SOCK"]


def connect(timeout):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCK)     # blocking: a full backlog waits for the master
    s.settimeout(timeout)
    return s


def read_all(s):
    """The answer up to the master's close, or what came and why not."""
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        got += b"<no answer within %g s>" % s.gettimeout()
    except ConnectionResetError:
        pass            # closed with what we sent unread: the answer
                        # came first all the same
    return got.decode(errors="replace")


def ask(data):
    """data sent as one client (the socket left open), its answer."""
    s = connect(5)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass            # refused before all of it went: read the answer
    answer = read_all(s)
    s.close()
    return answer


def vm(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def edgectl(edgectl_bin):
    p = subprocess.run([edgectl_bin, "-s", SOCK, "status"],
                       capture_output=True, text=True, timeout=10)
    return p.returncode, (p.stdout + p.stderr).strip().replace("\n", " | ")


def crowd(pid, edgectl_bin, total, held_n):
    out = {}
    rss0, data0 = vm(pid, "VmRSS"), vm(pid, "VmData")
    socks = [connect(5) for _ in range(total)]
    held, extra = socks[:held_n], socks[held_n:]
    refused = 0
    for s in extra:
        if read_all(s) != ("too many control clients (%d); try again\n"
                           % held_n).join(["ERROR\n", ""]):
            break
        refused += 1
    for s in extra:
        s.close()
    out["refused"] = refused
    out["edgectl_held_rc"], out["edgectl_held"] = edgectl(edgectl_bin)
    out["rss_growth_kb"] = vm(pid, "VmRSS") - rss0
    out["data_growth_kb"] = vm(pid, "VmData") - data0
    # the held ones had no answer yet: they were held, not refused
    silent = 0
    for s in held:
        s.setblocking(False)
        try:
            s.recv(1)           # an answer or a close: not held
        except BlockingIOError:
            silent += 1
        s.settimeout(15)
    out["held_silent"] = silent
    answers = {}
    for s in held:
        a = read_all(s)
        answers[a] = answers.get(a, 0) + 1
        s.close()
    out["held_answers"] = answers
    out["edgectl_after_rc"], out["edgectl_after"] = edgectl(edgectl_bin)
    for k, v in out.items():
        print("%s=%s" % (k, v))


if sys.argv[1] == "ask":
    sys.stdout.write(ask(ast.literal_eval(sys.argv[2])))
elif sys.argv[1] == "long":
    sys.stdout.write(ask(b"group set g " + b"1" * int(sys.argv[2]) + b"\n"))
elif sys.argv[1] == "crowd":
    crowd(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]),
          int(sys.argv[5]))
PY
export EDGED_SOCK
ask() { "$PY" "$T/ctlclient.py" ask "$1"; }

# ---- bytes a command line must not hold ----
assert_eq "status NUL LF: refused at once, naming the NUL" \
    "$(printf 'ERROR\nthe command holds a NUL byte at offset 6')" \
    "$(ask 'b"status\x00\n"')"
assert_eq "status NUL, no LF yet: refused at once all the same" \
    "$(printf 'ERROR\nthe command holds a NUL byte at offset 6')" \
    "$(ask 'b"status\x00"')"
assert_eq "an ESC inside a word" \
    "$(printf 'ERROR\nthe command holds control byte 0x1b at offset 3')" \
    "$(ask 'b"sta\x1btus\n"')"
assert_eq "a CR that does not end the line" \
    "$(printf 'ERROR\nthe command holds control byte 0x0d at offset 4')" \
    "$(ask 'b"show\rstats\n"')"
assert_eq "a DEL" \
    "$(printf 'ERROR\nthe command holds control byte 0x7f at offset 7')" \
    "$(ask 'b"status \x7f\n"')"
assert_match "CR LF ends a line; a TAB separates words" \
    '^OK.edged is running' "$(ask 'b"status\tjson\r\n"' | tr '\n' ' ' |
    sed 's/^OK /OK./; s/{.*"ready":true.*}/edged is running/')"
assert_match "a line of spaces" '^ERROR.unknown command; commands:' \
    "$(ask 'b"   \n"' | tr '\n' .)"

# ---- a line longer than 64 KiB ----
assert_eq "a line of 70,000 bytes" \
    "$(printf 'ERROR\nthe command line is longer than 65535 bytes; give the addresses in several commands')" \
    "$("$PY" "$T/ctlclient.py" long 70000)"
assert_match "a line just under the limit reaches its command" \
    "^ERROR.no dynamic address-group 'g'" \
    "$("$PY" "$T/ctlclient.py" long 65000 | tr '\n' .)"
assert_match "edgectl after the refused lines" '^edged is running' \
    "$(ctl status)"

# ---- 200 clients that send nothing ----
"$PY" "$T/ctlclient.py" crowd "$EDGED_PID" "$EDGECTL" 200 64 >"$T/crowd.out"
it_log "crowd: $(tr '\n' ' ' <"$T/crowd.out")"
crowd() { sed -n "s/^$1=//p" "$T/crowd.out"; }
assert_eq "the 65th to 200th clients: too many, at once" 136 "$(crowd refused)"
assert_eq "edgectl while 64 are held: exit status" 1 "$(crowd edgectl_held_rc)"
assert_eq "edgectl while 64 are held: the reason" \
    "too many control clients (64); try again" "$(crowd edgectl_held)"
assert_eq "the 64 held were not answered meanwhile" 64 "$(crowd held_silent)"
assert_le "master's resident memory with 64 idle clients (KiB more)" \
    "$(crowd rss_growth_kb)" 1024
assert_le "master's heap with 64 idle clients (KiB more)" \
    "$(crowd data_growth_kb)" 1024
assert_eq "the 64 held: closed with an answer after the 5 s allowed" \
    "{'ERROR\\nno command line within 5 seconds\\n': 64}" \
    "$(crowd held_answers)"
assert_eq "edgectl once they are gone: exit status" 0 \
    "$(crowd edgectl_after_rc)"
assert_match "edgectl once they are gone" '^edged is running' \
    "$(crowd edgectl_after)"
warnings=$(grep -c 'clients\{0,1\} refused: too many control clients (64)' \
    "$EDGED_LOG" || true)
assert_ge "the refusals were logged" "$warnings" 1
assert_le "logged once a second at most, not once a client" "$warnings" 20

# ---- the worker was never disturbed ----
assert_eq "worker pid" "$WPID" "$(edged_worker_pid)"
assert_eq "traffic served" 200 "$(status_of "http://127.0.0.1:$VIP/after")"
kill -0 "$EDGED_PID" || fail "the master died"

pass
