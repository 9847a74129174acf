#!/bin/bash
# tests/conf/run-golden.sh - the configuration regress tests.
#
# usage: run-golden.sh PATH-TO-EDGED
#
# Each NN-name.conf here comes with one expectation:
#   NN-name.out  a valid file: `edged -T` prints exactly this on stdout,
#                nothing on stderr (or exactly NN-name.warn when there is
#                one: its warnings), and exits 0; `edged -t` exits 0.
#                With NN-name.nft beside it, `edged -n` prints exactly
#                that (the nftables table the firewall and NAT compile to);
#                with NN-name.frr, the same (edged's section of frr.conf).
#   NN-name.err  an invalid file: `edged -t` and `edged -T` print exactly
#                this on stderr, nothing on stdout, and exit 1.
# Then the round trip: every valid file here and every file in
# ../../conf/examples prints (-T) a text that is valid and prints again
# to the same bytes (but for the comments that stand for passwords,
# which -T never prints).
#
# edged runs with this directory as its working directory and a relative
# path, so that messages read "05-name.conf:12:18: error: ..." wherever the
# tree is.  One line per case; the exit status is 1 if any case failed.

set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 PATH-TO-EDGED" >&2
	exit 2
fi
case $1 in
/*) edged=$1 ;;
*) edged=$PWD/$1 ;;
esac
if [ ! -x "$edged" ]; then
	echo "$0: $edged is not an executable" >&2
	exit 2
fi

here=$(cd "$(dirname "$0")" && pwd) || exit 2
cd "$here" || exit 2
examples=../../conf/examples

# A checkout keeps no modes but the executable bit, and edged warns about
# a key other users can read: the test keys (tls/make.sh) are made
# root's only, but for readable.key, whose mode is what 63 tests.
chmod 600 tls/*.key && chmod 644 tls/readable.key || exit 2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/edged-golden.XXXXXX") || exit 2
# edged refuses a pre-shared key, a RADIUS secret, a feed's header (or
# a users file) others can read: the printed forms are made unreadable to them, and so
# are the goldens with secrets and the users file (git keeps no such
# mode)
umask 077
for f in [0-9][0-9]-*.conf; do
	grep -qE 'authentication psk|^ *(secret|header) ' "$f" &&
	    chmod go-rwx "$f"
done
chmod go-rwx tls/vpn-users
trap 'rm -rf "$tmp"' EXIT

npass=0
nfail=0

pass() {
	npass=$((npass + 1))
	printf 'PASS %s\n' "$1"
}

# fail CASE WHY [FILE-TO-SHOW]
fail() {
	nfail=$((nfail + 1))
	printf 'FAIL %s: %s\n' "$1" "$2"
	if [ $# -ge 3 ] && [ -s "$3" ]; then
		sed 's/^/    | /' "$3"
	fi
}

# run OUT ERR ARGS...: runs edged, leaves its stdout and stderr in the
# files OUT and ERR and its exit status in $rc.
run() {
	local out=$1 err=$2

	shift 2
	"$edged" "$@" >"$out" 2>"$err"
	rc=$?
}

# expect_same CASE WANT GOT: diff -u on a mismatch; returns 1 if they
# differ.
expect_same() {
	if cmp -s "$2" "$3"; then
		return 0
	fi
	diff -u --label "expected ($2)" --label "got" "$2" "$3" \
	    >"$tmp/diff" 2>&1
	fail "$1" "output differs from $2" "$tmp/diff"
	return 1
}

check_valid() {
	local conf=$1 base=${1%.conf} name="golden $1" ext

	run "$tmp/out" "$tmp/err" -T -c "$conf"
	if [ $rc -ne 0 ]; then
		fail "$name" "edged -T exited $rc, want 0" "$tmp/err"
		return
	fi
	if [ -f "$base.warn" ]; then
		expect_same "$name (warnings)" "$base.warn" "$tmp/err" ||
		    return
	elif [ -s "$tmp/err" ]; then
		fail "$name" "edged -T wrote to stderr" "$tmp/err"
		return
	fi
	expect_same "$name" "$base.out" "$tmp/out" || return
	run "$tmp/out" "$tmp/err" -t -c "$conf"
	if [ $rc -ne 0 ]; then
		fail "$name" "edged -t exited $rc, want 0" "$tmp/err"
		return
	fi
	for ext in nft frr; do
		[ -f "$base.$ext" ] || continue
		run "$tmp/out" "$tmp/err" -n -c "$conf"
		if [ $rc -ne 0 ]; then
			fail "$name" "edged -n exited $rc, want 0" "$tmp/err"
			return
		fi
		expect_same "$name (edged -n)" "$base.$ext" "$tmp/out" ||
		    return
	done
	pass "$name"
}

check_invalid() {
	local conf=$1 base=${1%.conf} name="golden $1" mode

	for mode in -t -T; do
		run "$tmp/out" "$tmp/err" "$mode" -c "$conf"
		if [ $rc -ne 1 ]; then
			fail "$name" "edged $mode exited $rc, want 1" \
			    "$tmp/out"
			return
		fi
		if [ -s "$tmp/out" ]; then
			fail "$name" "edged $mode wrote to stdout" "$tmp/out"
			return
		fi
		expect_same "$name (edged $mode)" "$base.err" "$tmp/err" ||
		    return
	done
	pass "$name"
}

# The printed form of conf, its secrets shown (-T --show-secrets), must
# be valid and print again to itself; with them hidden (plain -T, the
# .out) it is the same but for the secrets.
check_round_trip() {
	local conf=$1 name="round-trip $1"

	run "$tmp/rt1" "$tmp/err" -T --show-secrets -c "$conf"
	if [ $rc -ne 0 ]; then
		fail "$name" "edged -T exited $rc, want 0" "$tmp/err"
		return
	fi
	run "$tmp/out" "$tmp/err" -t -c "$tmp/rt1"
	if [ $rc -ne 0 ]; then
		fail "$name" "the printed form is not valid (edged -t" \
		    "exited $rc)" "$tmp/err"
		return
	fi
	run "$tmp/rt2" "$tmp/err" -T --show-secrets -c "$tmp/rt1"
	if [ $rc -ne 0 ]; then
		fail "$name" "edged -T of the printed form exited $rc" \
		    "$tmp/err"
		return
	fi
	expect_same "$name" "$tmp/rt1" "$tmp/rt2" || return
	run "$tmp/rt3" "$tmp/err" -T -c "$tmp/rt1"
	run "$tmp/hidden" "$tmp/err" -T -c "$conf"
	expect_same "$name (secrets hidden)" "$tmp/hidden" "$tmp/rt3" ||
	    return
	pass "$name"
}

valid=()
shopt -s nullglob
for conf in [0-9][0-9]-*.conf; do
	base=${conf%.conf}
	if [ -e "$base.out" ] && [ -e "$base.err" ]; then
		fail "golden $conf" "has both $base.out and $base.err"
	elif [ -e "$base.out" ]; then
		check_valid "$conf"
		valid+=("$conf")
	elif [ -e "$base.err" ]; then
		check_invalid "$conf"
	else
		fail "golden $conf" "has neither $base.out nor $base.err"
	fi
done

# An expectation whose configuration is gone tests nothing.
for want in [0-9][0-9]-*.out [0-9][0-9]-*.err; do
	if [ ! -e "${want%.*}.conf" ]; then
		fail "golden $want" "no ${want%.*}.conf for it"
	fi
done

examples_found=0
for conf in "${valid[@]}" "$examples"/*; do
	[ -f "$conf" ] || continue
	case $conf in
	"$examples"/*) examples_found=1 ;;
	esac
	check_round_trip "$conf"
done
if [ $examples_found -eq 0 ]; then
	fail "round-trip $examples" "no example configuration found"
fi

printf '%d passed, %d failed\n' "$npass" "$nfail"
[ $nfail -eq 0 ]
