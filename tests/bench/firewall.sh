#!/bin/sh
# tests/bench/firewall.sh - how fast edged's firewall reaches the kernel.
#
#     sh tests/bench/firewall.sh      (as root, after building edged)
#
# In a network namespace of its own (nothing changes in the machine's):
#
#   1. apply: a configuration with RULES rules and a static address group
#      of GROUP members (addresses and prefixes); edged starts and puts
#      the table in the kernel (one transaction, checked whole before
#      anything changes), ROUNDS times; the time is the one edged logs.  Side by side, in the same
#      run, `nft -f` of the very same table (`edged -n`), the way VyOS
#      applies its firewall: the floor for one nft transaction.
#   2. reload: the same file with one rule changed, ROUNDS times.
#   3. dynamic group update: UPDATES times `edgectl group add` then `del`
#      of one address, each timed end to end (edgectl's process, the
#      control socket, the kernel's set, the state file on disk) by
#      tests/timed; side by side, `nft add element` / `delete element`
#      run as a process, as VyOS's helpers do, and /bin/true: what any
#      process costs here.
#   4. a fed group of FEED entries (its file replaced by a rename): the
#      first read, then ROUNDS times CHANGES entries changed, each read,
#      parsed and applied as edged logs it; side by side, `nft -f` of
#      a change as large, once (bounded by NFT_WAIT).
#
# It prints figures and the targets (apply at most 0.3x nft -f's time, a
# one-rule reload under 50 ms, an update under 5 ms, a fed group's change
# under 20 ms); it never fails on them.
#
# Environment (defaults in brackets):
#   EDGED_BUILD  build directory with edged and edgectl [../../build]
#   RULES        firewall rules [10000]
#   GROUP        members of the static group [100000]
#   ROUNDS       starts and reloads measured [3]
#   UPDATES      dynamic group updates measured [200]
#   FEED         entries of the fed group [100000]
#   CHANGES      of them changed a round [1000]
#   NFT_WAIT     seconds nft's fed-group change may take [60]
#   KEEP_TMP     1 = keep the temporary directory

set -eu
here=$(cd "$(dirname "$0")" && pwd)
me=fw-bench
. "$here/lib.sh"

RULES=${RULES:-10000}
GROUP=${GROUP:-100000}
ROUNDS=${ROUNDS:-3}
UPDATES=${UPDATES:-200}
FEED=${FEED:-100000}
CHANGES=${CHANGES:-1000}
NFT_WAIT=${NFT_WAIT:-60}
KEEP_TMP=${KEEP_TMP:-0}
need_uint RULES GROUP ROUNDS UPDATES FEED CHANGES NFT_WAIT
[ "$RULES" -ge 1 ] && [ "$RULES" -le 60000 ] || die "RULES: 1-60000"
[ "$GROUP" -ge 1 ] && [ "$GROUP" -le 131072 ] || die "GROUP: 1-131072"
[ "$ROUNDS" -ge 1 ] && [ "$UPDATES" -ge 1 ] ||
    die "ROUNDS and UPDATES must be at least 1"
need_tools nft ip awk sort
TIMED=$build/tests/timed
[ -x "$TIMED" ] || die "no $TIMED: build first"
make_tmp edged-bench-fw
NS=edged-bench-fw-$$
fw_cleanup() {
	cleanup_status=$?
	ip netns del "$NS" 2>/dev/null
	cleanup
	exit $cleanup_status
}
trap fw_cleanup EXIT
ip netns add "$NS" || die "cannot make network namespace $NS"
ip -n "$NS" link set lo up
inNS() { ip netns exec "$NS" "$@"; }
now_ns() { date +%s%N; }

# ---- the configuration ----

# write_conf N-TH-RULE-PORT: RULES rules, the big group, a dynamic one
write_conf() {
	awk -v rules="$RULES" -v group="$GROUP" -v sock="$tmp/edged.sock" \
	    -v state="$tmp/state" -v port="$1" 'BEGIN {
	printf "global {\n    workers 1\n    user edged\n"
	printf "    control-socket %s\n    state-directory %s\n}\n", sock, state
	# one member in 16 a /28 prefix, the rest addresses, all in
	# 100.64.0.0/10 and none overlapping or touching: edged merges
	# those, and the set must hold GROUP elements
	printf "address-group big {\n"
	for (i = 0; i < group; i++) {
		a = 100 * 16777216 + 64 * 65536 + i * 32
		printf "    address %d.%d.%d.%d%s\n", int(a / 16777216),
		    int(a / 65536) % 256, int(a / 256) % 256, a % 256,
		    i % 16 == 0 ? "/28" : ""
	}
	printf "}\naddress-group quarantine {\n    dynamic\n}\n"
	printf "firewall {\n    default-policy drop\n"
	printf "    rule q {\n        source quarantine\n        action drop\n    }\n"
	printf "    rule big {\n        source big\n        service tcp/443\n"
	printf "        action accept\n    }\n"
	for (i = 2; i < rules; i++) {
		printf "    rule r%d {\n        source 10.%d.%d.0/24\n", i,
		    int(i / 256) % 256, i % 256
		printf "        destination 172.16.%d.%d\n", int(i / 250) % 250,
		    i % 250 + 1
		printf "        service tcp/%d\n        action accept\n    }\n",
		    i == 2 ? port : 1024 + i % 60000
	}
	printf "}\n"
	}' >"$tmp/edged.conf"
}

write_conf 2000
"$EDGED" -t -c "$tmp/edged.conf" >"$tmp/check.log" 2>&1 || {
	tail -n 5 "$tmp/check.log" >&2
	die "edged -t rejects the generated configuration"
}
"$EDGED" -n -c "$tmp/edged.conf" >"$tmp/table.nft"
nrules=$(grep -c 'counter name "r_' "$tmp/table.nft" || true)
echo "firewall benchmark: $RULES rules ($nrules nft rules), a static group" \
    "of $GROUP members (1 in 16 a /28), $ROUNDS rounds; $(nft --version);" \
    "kernel $(uname -r)"
echo "  table text $(wc -c <"$tmp/table.nft") bytes; load average:" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
echo

# ms_since T0-NS
ms_since() { echo $(( ($(now_ns) - $1) / 1000000 )); }

# the last "applied ... in N ms" of edged's log
applied_ms() {
	sed -n 's/.*table inet edged applied.* in \([0-9.]*\) ms.*/\1/p' \
	    "$tmp/edged.log" | tail -n 1
}

wait_ready() {
	i=0
	while [ $i -lt 600 ]; do
		st=$(timeout 5 "$EDGECTL" -s "$tmp/edged.sock" --json status \
		    2>/dev/null || true)
		case $st in *'"ready":true'*) return 0 ;; esac
		alive "$edged_pid" || break
		sleep 0.1
		i=$((i + 1))
	done
	tail -n 5 "$tmp/edged.log" >&2
	die "edged did not become ready"
}

stop_edged() {
	kill -TERM "$edged_pid" 2>/dev/null
	wait "$edged_pid" 2>/dev/null || true
}

# ---- 1 and 2: apply, reload ----

: >"$tmp/apply" ; : >"$tmp/nftf" ; : >"$tmp/reload" ; : >"$tmp/startup"
r=1
while [ $r -le "$ROUNDS" ]; do
	write_conf 2000
	inNS nft delete table inet edged 2>/dev/null || true
	# nft -f of the same text: one transaction
	t0=$(now_ns)
	inNS nft -f "$tmp/table.nft" || die "nft -f refused edged's table"
	ms_since "$t0" >>"$tmp/nftf"
	inNS nft delete table inet edged
	# edged: parse, compile, apply; then the worker
	: >"$tmp/edged.log"
	t0=$(now_ns)
	# ip itself, not the inNS function: $! must be edged's own pid
	ip netns exec "$NS" "$EDGED" -c "$tmp/edged.conf" >>"$tmp/edged.log" 2>&1 &
	edged_pid=$!
	pids="$pids $edged_pid"
	wait_ready
	ms_since "$t0" >>"$tmp/startup"
	applied_ms >>"$tmp/apply"
	# a reload with one rule changed: the whole table again
	write_conf 2001
	"$EDGECTL" -s "$tmp/edged.sock" reload >/dev/null ||
	    die "reload failed: $(tail -n 3 "$tmp/edged.log")"
	applied_ms >>"$tmp/reload"
	[ $r -lt "$ROUNDS" ] && stop_edged
	r=$((r + 1))
done

med() { median <"$1"; }
echo "apply (median of $ROUNDS):"
printf '  %-44s %8s ms\n' "edged: apply, one transaction (logged)" "$(med "$tmp/apply")"
printf '  %-44s %8s ms\n' "nft -f of the same table" "$(med "$tmp/nftf")"
printf '  %-44s %8s ms\n' "edged start to serving (parse, all of it)" \
    "$(med "$tmp/startup")"
printf '  %-44s %8s ms\n' "reload, one rule changed (logged)" \
    "$(med "$tmp/reload")"
awk -v e="$(med "$tmp/apply")" -v n="$(med "$tmp/nftf")" 'BEGIN {
	if (n > 0)
		printf "  %-44s %8.2fx\n", "edged / nft -f", e / n }'
echo "  targets (issue 20): apply at most 0.3x nft -f; a reload that" \
    "changes one rule under 50 ms"
echo

# ---- 3: dynamic group updates ----

# one address per update, from 198.18.0.0/15
addr() { echo "198.18.$(( $1 / 250 )).$(( $1 % 250 + 1 ))"; }
: >"$tmp/upd" ; : >"$tmp/nftupd" ; : >"$tmp/floor"
i=0
while [ $i -lt "$UPDATES" ]; do
	a=$(addr $i)
	"$TIMED" "$tmp/upd" "$EDGECTL" -s "$tmp/edged.sock" \
	    group add quarantine "$a" >/dev/null || die "group add failed"
	"$TIMED" "$tmp/upd" "$EDGECTL" -s "$tmp/edged.sock" \
	    group del quarantine "$a" >/dev/null || die "group del failed"
	inNS "$TIMED" "$tmp/nftupd" \
	    nft add element inet edged d_quarantine_4 "{ $a }"
	inNS "$TIMED" "$tmp/nftupd" \
	    nft delete element inet edged d_quarantine_4 "{ $a }"
	"$TIMED" "$tmp/floor" /bin/true
	i=$((i + 1))
done
pct() {		# FILE PCT: the PCT-th percentile, microseconds -> ms
	sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 }
	    END { i = int(NR * p / 100 + 0.5); if (i < 1) i = 1
		  printf "%.2f", v[i] / 1000 }'
}
echo "dynamic group update, $((UPDATES * 2)) updates (add, del) of one address:"
printf '  %-44s %8s ms  p99 %s ms\n' "edged: edgectl group add|del (median)" \
    "$(pct "$tmp/upd" 50)" "$(pct "$tmp/upd" 99)"
printf '  %-44s %8s ms  p99 %s ms\n' "nft add|delete element as a process" \
    "$(pct "$tmp/nftupd" 50)" "$(pct "$tmp/nftupd" 99)"
printf '  %-44s %8s ms  p99 %s ms\n' "/bin/true as a process (the floor here)" \
    "$(pct "$tmp/floor" 50)" "$(pct "$tmp/floor" 99)"
echo "  target: under 5 ms"
stop_edged
echo

# ---- 4: a fed group's update ----

# address I of the feed's space: every other address of 100.64.0.0/10,
# so that none merge (the set holds one range an entry)
feed_addr_awk='function fa(i,  a) {
	a = 100 * 16777216 + 64 * 65536 + i * 2
	return sprintf("%d.%d.%d.%d", int(a / 16777216), int(a / 65536) % 256,
	    int(a / 256) % 256, a % 256)
}'
# round R: entries 0..FEED-1, CHANGES of them (from R * CHANGES on)
# moved past the end (FEED * 2 + ...), as a feed's churn
feed_file() {	# ROUND
	awk -v n="$FEED" -v c="$CHANGES" -v r="$1" "$feed_addr_awk"'
	BEGIN {
	for (i = 0; i < n; i++) {
		k = i
		if (r > 0 && i >= r * c && i < (r + 1) * c)
			k = 2 * n + r * c + (i - r * c)
		print fa(k)
	}
	}' >"$tmp/feed.new" && mv "$tmp/feed.new" "$tmp/feed.txt"
}
# the same change as nft element commands, one nft -f
nft_change() {	# ROUND
	awk -v n="$FEED" -v c="$CHANGES" -v r="$1" "$feed_addr_awk"'
	BEGIN {
	printf "delete element inet edged fh_fed_4 {"
	for (i = r * c; i < (r + 1) * c; i++)
		printf "%s %s", (i > r * c ? "," : ""), fa(i)
	printf " }\nadd element inet edged fh_fed_4 {"
	for (i = r * c; i < (r + 1) * c; i++)
		printf "%s %s", (i > r * c ? "," : ""),
		    fa(2 * n + r * c + (i - r * c))
	printf " }\n"
	}'
}
{
	printf 'global {\n    workers 1\n    user edged\n'
	printf '    control-socket %s\n' "$tmp/edged.sock"
	printf '    state-directory %s\n}\n' "$tmp/state-feed"
	printf 'address-group fed {\n    feed file://%s {\n' "$tmp/feed.txt"
	printf '        refresh 1s\n        max-entries %s\n    }\n}\n' "$FEED"
	printf 'firewall {\n    default-policy accept\n'
	printf '    rule fed { source fed; action drop }\n}\n'
} >"$tmp/feed.conf"
# the "applied in N ms" lines edged logged for the feed
feed_lines() { grep -c 'feed of address-group fed: .* applied in' \
    "$tmp/edged.log" || true; }
feed_ms() { sed -n \
    's/.*feed of address-group fed: .* applied in \([0-9.]*\) ms.*/\1/p' \
    "$tmp/edged.log" | tail -n 1; }
feed_wait() {	# COUNT: until edged has logged COUNT such lines
	i=0
	while [ "$(feed_lines)" -lt "$1" ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(feed_lines)" -ge "$1" ] || die "the feed was not read"
}
feed_file 0
inNS nft delete table inet edged 2>/dev/null || true
: >"$tmp/edged.log"
ip netns exec "$NS" "$EDGED" -c "$tmp/feed.conf" >>"$tmp/edged.log" 2>&1 &
edged_pid=$!
pids="$pids $edged_pid"
wait_ready
feed_wait 1
first=$(feed_ms)
: >"$tmp/feedupd"
r=1
while [ $r -le "$ROUNDS" ]; do
	feed_file $r
	feed_wait $((r + 1))
	feed_ms >>"$tmp/feedupd"
	r=$((r + 1))
done
# nft: a change of as many entries (the next round's), once, in at most
# NFT_WAIT seconds (nft reads the whole set before it changes it)
nft_change $r >"$tmp/nftfeed.nft"
t0=$(now_ns)
if inNS timeout "$NFT_WAIT" nft -f "$tmp/nftfeed.nft"; then
	nftfeed="$(ms_since "$t0")"
else
	nftfeed="over $((NFT_WAIT * 1000))"
fi
echo "fed group: $FEED entries, $CHANGES changed a round (median of $ROUNDS):"
printf '  %-44s %8s ms\n' "edged: the first read, all of it (logged)" "$first"
printf '  %-44s %8s ms\n' "edged: a change read and applied (logged)" \
    "$(med "$tmp/feedupd")"
printf '  %-44s %8s ms\n' "nft -f of as large a change (once)" \
    "$nftfeed"
echo "  target: under 20 ms"
stop_edged
