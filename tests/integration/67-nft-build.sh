#!/bin/bash
# 67-nft-build: fw/fw_build.c, which builds table inet edged as
# nfnetlink messages itself instead of handing the text to libnftables,
# against nft, in two network namespaces made here: A takes the text
# with `nft -f`, B with nft_build (tests/integration/nft_build.c:
# fw_build_table and one transaction, as the master applies it).  The
# builder is only right if the kernel ends up holding what nft would
# have given it, so what is compared is what nft lists back from each.
# For the table `edged -n` prints for every golden configuration of
# tests/conf that has one (69-firewall, 89-l4-kernel and 98-ipsec at
# least, all three asserted compared):
#   - `nft -j list table inet edged` the same in A and B but for the
#     handles (numbers the kernel gives in the order of creation), and
#     `nft list table inet edged` the same byte for byte: a unified diff
#     of both when not;
#   - applied a second time in B (from stdin), the same again: the
#     builder replaces the table, as it replaced the previous
#     configuration's, of which nothing may be left;
#   - table inet other, made in B before, untouched, handles and all:
#     the builder names no other table.
# Then, on 98-ipsec's table in B:
#   - a batch the kernel refuses (a rule on a set that does not exist)
#     fails nft_build with the kernel's reason and leaves the table as it
#     was, handles and all: the transaction is all or nothing;
#   - a statement the builder does not know (tcp flags, which edged never
#     writes; nft takes it) fails it naming the line, before anything
#     reaches the kernel (a caller can then fall back on libnftables);
#   - "" removes table inet edged and only it, and again when there is
#     none; usage and I/O errors exit 2.
# Updates: a reload sends only what changed from the table in force
# (fw/fw_build_diff.c), and the kernel must end up holding exactly what
# `nft -f` of the new text gives.  For each pair OLD NEW, NEW goes from
# scratch into A with `nft -f`, and `nft_build OLD NEW` into B (OLD
# whole, then the change); the two JSON listings compared but for
# handles, and for the order of the table's members (the kernel lists
# counters, sets and chains in the order they were made, and a change
# makes the new ones last; each chain's rules stay in order), so that a
# rule out of place, a member left over or missing, or a set not
# refilled shows.  (A new base chain on the hook and priority of one
# kept, whose order the kernel runs them in, makes the table whole.)  What
# nft_build says is asserted too: "changed N" (N messages) where the
# change can be said, with N small for a rule or two of a long table;
# "whole 0" where it cannot (a base chain's priority, a set's flags).
# The pairs, made from the goldens' texts: a rule changed mid-chain; a
# rule in first and one out last; two rules swapped; a new chain with
# its counter and a jump to it, and back; a static set's elements; the
# two whole-table cases; 98 to 69, 69 to 89 and back; 69 to itself.
. "$(dirname "$0")/lib.sh"
it_begin 67-nft-build
command -v nft >/dev/null || fail "nft not found (install-deps.sh)"
BUILD=$EDGED_BUILD/tests/nft_build
[ -x "$BUILD" ] || fail "no $BUILD (build edged with -Dintegration=true)"

A=edged-it67-a-$$ B=edged-it67-b-$$
netns_add "$A"
netns_add "$B"
inA() { ip netns exec "$A" "$@"; }
inB() { ip netns exec "$B" "$@"; }

# table_json NS TABLE [handles] [members]: `nft -j list table inet TABLE`
# in NS, pretty-printed with sorted keys for diff, without nft's metainfo
# and, unless told, without the handles (and with members: in the order
# of their kind and name, each chain's rules in order); "absent" when
# there is no such table.
table_json() {
	local j
	j=$(ip netns exec "$1" nft -j list table inet "$2" 2>/dev/null) ||
	    { echo absent; return 0; }
	"$PY" -c 'import json, sys
keep = sys.argv[1] == "handles"
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if keep or k != "handle"}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
j = [o for o in json.load(sys.stdin)["nftables"] if "metainfo" not in o]
if sys.argv[2] == "members":
    # the table'"'"'s members by kind and name, each chain'"'"'s rules in their
    # order: the order the kernel lists members in is the order they
    # were made, which a change that adds some cannot keep
    def key(io):
        i, o = io
        kind = next(iter(o))
        if kind == "rule":
            return ("rule", o[kind]["chain"], i)
        return (kind, o[kind].get("name", ""), 0)
    j = [o for _, o in sorted(enumerate(j), key=key)]
print(json.dumps([strip(o) for o in j], indent=1,
    sort_keys=True))' "${3:-}" "${4:-}" <<<"$j"
}

# snap NS FILE: table inet edged in NS as FILE.json (table_json) and
# FILE.txt (nft's plain listing)
snap() {
	table_json "$1" edged >"$2.json"
	ip netns exec "$1" nft list table inet edged >"$2.txt" 2>&1 ||
	    echo absent >"$2.txt"
}

# same WHAT LABEL1 FILE1 LABEL2 FILE2: the two files alike, or a failed
# check showing how they differ
same() {
	cmp -s "$3" "$5" && return 0
	check_failed "$1 differs:
$(diff -u --label "$2" --label "$4" "$3" "$5" | head -n 150)"
}

# run_build NS [OLD] FILE|-: nft_build's exit status in $rc, what it
# said in $out, stdout and stderr (stdin is nft_build's for "-")
run_build() {
	local ns=$1
	shift
	rc=0
	out=$(ip netns exec "$ns" "$BUILD" "$@" 2>&1) || rc=$?
}

inB nft -f - <<'NFT'
table inet other {
	chain c {
		type filter hook input priority 0; policy accept;
	}
}
NFT
table_json "$B" other handles >"$T/other.json"
grep -q '"name": "c"' "$T/other.json" || fail "no table inet other in B"

# compare NAME TEXT: TEXT from scratch in A, over whatever B holds in B
compare() {
	local name=$1 text=$2 i
	if inA nft list table inet edged >/dev/null 2>&1; then
		inA nft delete table inet edged
	fi
	inA nft -f "$text" 2>"$T/nft.err" ||
	    { check_failed "$name: nft -f refuses it: $(cat "$T/nft.err")"
	    return 0; }
	snap "$A" "$T/a"
	for i in 1 2; do
		if [ "$i" = 1 ]; then
			run_build "$B" "$text"
		else
			run_build "$B" - <"$text"
		fi
		[ "$rc" = 0 ] || { check_failed "$name: nft_build (apply" \
		    "$i) exited $rc: $out"; return 0; }
		snap "$B" "$T/b"
		same "$name, apply $i: nft list table inet edged" \
		    "nft -f" "$T/a.txt" nft_build "$T/b.txt"
		same "$name, apply $i: nft -j list table inet edged" \
		    "nft -f" "$T/a.json" nft_build "$T/b.json"
	done
	table_json "$B" other handles >"$T/other.now"
	same "$name: table inet other" before "$T/other.json" \
	    "after nft_build" "$T/other.now"
}

# The goldens copied, to give them the modes run-golden.sh gives them
# (edged refuses secrets others can read) without touching the tree.
cp -a "$IT_DIR/../conf" "$T/conf"
chmod -R go-rwx "$T/conf"
compared=()
for conf in "$T"/conf/[0-9][0-9]-*.conf; do
	name=$(basename "$conf" .conf)
	# edged -n prints what every module hands the kernel: the table,
	# and edged's section of frr.conf when there is routing
	(cd "$T/conf" && inA "$EDGED" -n -c "$name.conf") >"$T/n.out" \
	    2>/dev/null || continue
	awk '/^table inet edged \{$/ { on = 1 } on { print }
	    on && /^\}$/ { on = 0 }' "$T/n.out" >"$T/$name.nft"
	[ -s "$T/$name.nft" ] || continue
	compare "$name" "$T/$name.nft"
	compared+=("$name")
done
it_log "compared: ${compared[*]}"
for name in 69-firewall 89-l4-kernel 98-ipsec; do
	[[ " ${compared[*]} " == *" $name "* ]] ||
	    check_failed "$name: not compared (edged -n printed no table)"
done

IPSEC=$T/98-ipsec.nft
[ -s "$IPSEC" ] || fail "no table from 98-ipsec.conf"
# with_rule RULE: 98-ipsec's table with RULE first in filter_input
with_rule() {
	awk -v r="$1" '{ print } /^\tchain filter_input \{$/ { c = 1 }
	    c && /^\t\ttype / { print "\t\t" r; c = 0 }' "$IPSEC"
}
run_build "$B" "$IPSEC"
assert_eq "98-ipsec applied in B ($out)" 0 "$rc"
table_json "$B" edged handles >"$T/before.json"

with_rule 'ip saddr @nosuchset accept' >"$T/nosuchset.nft"
grep -q $'^\t\tip saddr @nosuchset accept$' "$T/nosuchset.nft" ||
    fail "the rule on @nosuchset is not in filter_input"
run_build "$B" "$T/nosuchset.nft"
assert_eq "a rule on a set that is not there: nft_build's exit status" \
    1 "$rc"
# built, then refused by the kernel: otherwise the batch never got there
assert_match "a rule on a set that is not there: the kernel's reason" \
    '^nft_build: kernel refused: .+' "$out"
table_json "$B" edged handles >"$T/after.json"
same "a refused batch: table inet edged" before "$T/before.json" \
    after "$T/after.json"

with_rule 'tcp flags syn accept' >"$T/unknown.nft"
line=$(grep -n $'^\t\ttcp flags syn accept$' "$T/unknown.nft" |
    cut -d: -f1 || true)
[ -n "$line" ] || fail "the tcp flags rule is not in filter_input"
inA nft -c -f "$T/unknown.nft" 2>"$T/nft.err" ||
    fail "nft refuses the tcp flags rule: $(cat "$T/nft.err")"
run_build "$B" "$T/unknown.nft"
assert_eq "a statement the builder does not know: nft_build's exit" \
    1 "$rc"
assert_match "a statement the builder does not know: its line named" \
    "^nft_build: cannot build: .*(line $line([^0-9]|$)|:$line:|tcp flags)" \
    "$out"
table_json "$B" edged handles >"$T/after.json"
same "a text the builder does not know: table inet edged" \
    before "$T/before.json" after "$T/after.json"

: >"$T/empty.nft"
run_build "$B" "$T/empty.nft"
assert_eq "the empty text: nft_build's exit status ($out)" 0 "$rc"
assert_eq "the empty text: table inet edged" absent \
    "$(table_json "$B" edged)"
run_build "$B" "$T/empty.nft"
assert_eq "the empty text with no table: nft_build's exit status ($out)" \
    0 "$rc"
table_json "$B" other handles >"$T/other.now"
same "the empty text: table inet other" before "$T/other.json" \
    after "$T/other.now"

run_build "$B" "$T/no-such-file.nft"
assert_eq "a file that is not there: nft_build's exit status" 2 "$rc"
assert_match "a file that is not there: named" \
    "^nft_build: $T/no-such-file.nft: " "$out"
rc=0
inB "$BUILD" >/dev/null 2>&1 || rc=$?
assert_eq "no file named: nft_build's exit status" 2 "$rc"


# ---- updates: nft_build OLD NEW sends what changed from OLD only ----
FW=$T/69-firewall.nft KLB=$T/89-l4-kernel.nft
[ -s "$FW" ] || fail "no table from 69-firewall.conf"
[ -s "$KLB" ] || fail "no table from 89-l4-kernel.conf"

# drop_table NS: table inet edged gone from NS, if it was there
drop_table() {
	if ip netns exec "$1" nft list table inet edged >/dev/null 2>&1; then
		ip netns exec "$1" nft delete table inet edged
	fi
}

# update NAME OLD NEW SAID [MAX]: NEW from scratch with nft -f in A; in
# B, OLD whole and then what changed from it to NEW (nft_build OLD NEW);
# both listed back alike, and nft_build said what the extended regex
# SAID matches, whole ("changed N", "whole 0"), with N <= MAX if given.
update() {
	local name=$1 old=$2 new=$3 said=$4 max=${5:-}
	drop_table "$A"
	drop_table "$B"
	inA nft -f "$new" 2>"$T/nft.err" ||
	    { check_failed "$name: nft -f refuses NEW: $(cat "$T/nft.err")"
	    return 0; }
	run_build "$B" "$old" "$new"
	[ "$rc" = 0 ] || { check_failed "$name: nft_build OLD NEW exited" \
	    "$rc: $out"; return 0; }
	[[ $out =~ ^($said)$ ]] || check_failed "$name: nft_build said" \
	    "'$out', expected /^($said)$/"
	if [ -n "$max" ] && [[ $out =~ ^changed\ ([0-9]+)$ ]]; then
		assert_le "$name: messages in the change" "${BASH_REMATCH[1]}" \
		    "$max"
	fi
	table_json "$B" edged "" members >"$T/b.json"
	table_json "$A" edged "" members >"$T/a.json"
	same "$name: nft -j list table inet edged" "nft -f NEW" "$T/a.json" \
	    "nft_build OLD NEW" "$T/b.json"
}

# edited FILE ORIG: FILE, which the caller made from ORIG, differs from
# it (or the edit missed, and the case would test nothing)
edited() {
	cmp -s "$1" "$2" && fail "$(basename "$1"): its edit of" \
	    "$(basename "$2") matched nothing"
	return 0
}

# the first of the two rules of forwarded-web on port 80, in rules_2
web='counter name "r_forwarded-web"'
sed "0,/tcp dport 80 $web/s//tcp dport 81 $web/" "$FW" >"$T/u-port.nft"
edited "$T/u-port.nft" "$FW"
update "one rule changed mid-chain" "$FW" "$T/u-port.nft" 'changed [0-9]+' 4

# filter_input's last ESP rule, one before its end
esp='ip6 daddr 2001:db8::10 meta l4proto esp accept comment "ipsec: ESP"'
with_rule 'tcp dport 22 accept comment "added"' |
    grep -vFx $'\t\t'"$esp" >"$T/u-ends.nft"
[ "$(diff "$IPSEC" "$T/u-ends.nft" | grep -c '^[<>]')" = 2 ] ||
    fail "u-ends.nft: not one rule in and one out"
update "a rule in first, one out last" "$IPSEC" "$T/u-ends.nft" \
    'changed [0-9]+' 6

# rules_2's first two rules, the other way round: order is meaning
awk '!done && /^\t\tip daddr 10\.0\.1\.11 tcp dport 80 / { held = $0; next }
    held != "" { print; print held; held = ""; done = 1; next }
    { print }' "$FW" >"$T/u-swap.nft"
edited "$T/u-swap.nft" "$FW"
update "two rules swapped" "$FW" "$T/u-swap.nft" 'changed [0-9]+'

# a counter and a chain counting with it, last of their kinds (the
# kernel lists each kind in the order it was given them), jumped to
with_rule 'jump c_new' | sed '$d' >"$T/u-chain.nft"
printf '\tcounter c_new {\n\t}\n\tchain c_new {\n%s\n\t}\n}\n' \
    $'\t\tip saddr 10.9.9.9 counter name "c_new" drop' >>"$T/u-chain.nft"
update "a new chain, its counter and a jump" "$IPSEC" "$T/u-chain.nft" \
    'changed [0-9]+'
update "a chain, its counter and the jump gone" "$T/u-chain.nft" "$IPSEC" \
    'changed [0-9]+'

# one of g_web-servers_4's ranges moved (the elements kept sorted and
# apart, as edged prints them)
sed 's|^\t\t\t10\.0\.1\.0/24, 10\.0\.2\.4/31$|\t\t\t10.0.2.4/31, 10.0.3.0/24|' \
    "$FW" >"$T/u-elements.nft"
edited "$T/u-elements.nft" "$FW"
update "a static set's elements" "$FW" "$T/u-elements.nft" 'changed [0-9]+'

# what a batch of changes cannot say: the whole table again
sed '/hook forward priority filter;/s/priority filter;/priority filter - 2;/' \
    "$IPSEC" >"$T/u-hook.nft"
edited "$T/u-hook.nft" "$IPSEC"
update "a base chain's priority" "$IPSEC" "$T/u-hook.nft" 'whole 0'
# d_quarantine_4, which has no elements, no longer an interval set
awk '/^\tset d_quarantine_4 \{$/ { s = 1 }
    s && /^\t\tflags interval$/ { s = 0; next } { print }' "$FW" \
    >"$T/u-decl.nft"
edited "$T/u-decl.nft" "$FW"
update "a set's declaration" "$FW" "$T/u-decl.nft" 'whole 0'

# everything changed, or nothing: either way is fine, the kernel's
# table must come out the same
update "98-ipsec to 69-firewall" "$IPSEC" "$FW" 'changed [0-9]+|whole 0'
update "69-firewall to 89-l4-kernel" "$FW" "$KLB" 'changed [0-9]+|whole 0'
update "89-l4-kernel to 69-firewall" "$KLB" "$FW" 'changed [0-9]+|whole 0'
update "69-firewall to itself" "$FW" "$FW" 'changed 0|whole 0'
table_json "$B" other handles >"$T/other.now"
same "updates: table inet other" before "$T/other.json" after \
    "$T/other.now"

pass
