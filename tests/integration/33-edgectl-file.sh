#!/bin/bash
# 33-edgectl-file: `edgectl -c FILE` reaches the daemon through FILE's
# control-socket alone, so runtime commands work while the rest of the
# file is being edited (and is broken), without printing its errors;
# `reload` of that file still reports every error and changes nothing;
# when the socket cannot be found, edgectl says exactly why (the file is
# missing, the setting's own value is bad, syntax errors hide it).  Also
# the command lines: --version, --help and the long options of edged and
# edgectl, and "unknown command 'X'; did you mean 'Y'?".
. "$(dirname "$0")/lib.sh"
it_begin 33-edgectl-file

VIP=$((IT_PORT + 0)) B1=$((IT_PORT + 1)) B2=$((IT_PORT + 2))
require_free_ports $VIP $B1 $B2
nginx_backend b1 $B1
nginx_backend b2 $B2

F=$T/edged.conf
one_pool_conf $VIP none b1 $B1 b2 $B2 >"$F"
cp "$F" "$T/good.conf"
edged_start "$F" $VIP

# split N: the backends that answered N requests on one connection, as
# "b1=X b2=Y" (one thread, one balancer: round-robin is exact).
split() {
	curl -sS --max-time 20 "http://127.0.0.1:$VIP/s[1-$1]" >"$T/split"
	printf 'b1=%s b2=%s' "$(grep -c '^b1$' "$T/split")" \
	    "$(grep -c '^b2$' "$T/split")"
}
# ectl ARGS...: edgectl -c FILE ARGS, with rc, out and err set.
ectl() {
	rc=0
	"$EDGECTL" "$@" >"$T/out" 2>"$T/err" || rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}

# ---- versions, help, long options ----
ectl --version
assert_eq "edgectl --version" 0 "$rc"
assert_match "edgectl --version says its version" \
    '^edgectl [0-9]+\.[0-9]+\.[0-9]+$' "$out"
ev=$("$EDGED" --version)
assert_match "edged --version says its version" \
    '^edged [0-9]+\.[0-9]+\.[0-9]+$' "$ev"
assert_eq "one version for both" "${ev#edged }" "${out#edgectl }"
assert_eq "edged -v is --version" "$ev" "$("$EDGED" -v)"

rc=0
"$EDGED" --help >"$T/help" 2>"$T/help.err" || rc=$?
assert_eq "edged --help exits 0" 0 "$rc"
assert_eq "edged --help: nothing on stderr" "" "$(cat "$T/help.err")"
for o in "-c, --config FILE" "-t, --check" "-T, --print" "-n, --nft" \
    "-d, --debug" "-v, --version" "-h, --help"; do
	grep -qF -- "$o" "$T/help" || check_failed "edged --help lacks '$o'"
done
assert_match "edged --help names the default file" \
    '\(default' "$(cat "$T/help")"
grep -qE '/edged/edged\.conf\)?$' "$T/help" ||
    check_failed "edged --help: no default edged.conf path"
rc=0
"$EDGED" --bogus >/dev/null 2>"$T/bogus.err" || rc=$?
assert_eq "edged with an unknown option exits 2" 2 "$rc"
assert_match "edged with an unknown option: usage on stderr" \
    '^usage: edged' "$(sed -n 2p "$T/bogus.err")"
# the long options do what the short ones do
"$EDGED" --check --config "$F" >"$T/check.out" 2>&1 ||
    check_failed "edged --check --config: $(cat "$T/check.out")"
assert_eq "edged --check --config" "configuration file $F is valid" \
    "$(cat "$T/check.out")"
assert_eq "edged --print is -T" "$("$EDGED" -T -c "$F")" \
    "$("$EDGED" --print --config "$F")"
assert_eq "edged --nft is -n" "$("$EDGED" -n -c "$F")" \
    "$("$EDGED" --nft --config "$F")"

ectl --help
assert_eq "edgectl --help exits 0" 0 "$rc"
assert_eq "edgectl --help: nothing on stderr" "" "$err"
for o in "-s, --socket SOCKET" "-c, --config FILE" "-j, --json" \
    "-v, --version" "-h, --help"; do
	grep -qF -- "$o" "$T/out" || check_failed "edgectl --help lacks '$o'"
done
# every command that shows something takes --json, and says so
for c in "status" "show stats" "show pool \\[POOL\\]" "show certificates" \
    "show firewall" "show nat" "group show NAME"; do
	assert_match "edgectl --help: $c takes --json" \
	    "^  $c \\[--json\\]" "$out"
done
for c in "reload" "upgrade" "member reset POOL MEMBER \\| --all" \
    "firewall flush"; do
	assert_match "edgectl --help lists $c" "^  $c( |$)" "$out"
done
assert_no_match "edgectl --help: reload shows nothing" \
    "reload.*--json" "$out"

# ---- unknown commands and wrong counts ----
ectl -s "$EDGED_SOCK" statsu
assert_eq "unknown command: exit 2" 2 "$rc"
assert_eq "unknown command: said first" \
    "edgectl: unknown command 'statsu'; did you mean 'status'?" \
    "$(head -1 "$T/err")"
assert_match "unknown command: then the usage" '^usage: edgectl' \
    "$(sed -n 2p "$T/err")"
assert_eq "unknown command: nothing on stdout" "" "$out"
ectl -s "$EDGED_SOCK" show pol
assert_eq "show pol: exit 2" 2 "$rc"
assert_eq "show pol: did you mean pool" \
    "edgectl: unknown show command 'pol'; did you mean 'pool'?" \
    "$(head -1 "$T/err")"
ectl -s "$EDGED_SOCK" member disabel p b1
assert_eq "member disabel: did you mean disable" \
    "edgectl: unknown member command 'disabel'; did you mean 'disable'?" \
    "$(head -1 "$T/err")"
ectl -s "$EDGED_SOCK" group sho g
assert_match "group sho: did you mean show" "did you mean 'show'\\?" \
    "$(head -1 "$T/err")"
ectl -s "$EDGED_SOCK" firewall
assert_eq "firewall alone: exit 2" 2 "$rc"
assert_eq "firewall alone: what it takes" \
    "edgectl: 'firewall' needs one of: flush" "$(head -1 "$T/err")"
ectl -s "$EDGED_SOCK" frobnicate
assert_eq "no close command: no hint" \
    "edgectl: unknown command 'frobnicate'" "$(head -1 "$T/err")"
ectl -s "$EDGED_SOCK" member weight p b1
assert_eq "too few arguments: exit 2" 2 "$rc"
assert_eq "too few arguments: what it expects" \
    "edgectl: usage: edgectl member weight POOL MEMBER N" "$err"
ectl -s "$EDGED_SOCK" status now
assert_eq "too many arguments" "edgectl: usage: edgectl status [--json]" \
    "$err"
ectl -s "$EDGED_SOCK" member reset p
assert_eq "member reset with one name" \
    "edgectl: usage: edgectl member reset POOL MEMBER, or member reset --all" \
    "$err"
assert_eq "nothing changed by the refused commands" "b1=4 b2=4" "$(split 8)"

# ---- a half-edited file: runtime commands still work ----
sed -i -e 's/algorithm round-robin/algorithm round-robn/' \
    -e "s/member b2 127.0.0.1:$B2/member b2 127.0.0.1:notaport/" \
    -e 's/default-pool p/default-pool p\n    frobnicate 3/' "$F"
l_algo=$(grep -n 'round-robn' "$F" | cut -d: -f1)
l_port=$(grep -n 'notaport' "$F" | cut -d: -f1)
l_frob=$(grep -n 'frobnicate' "$F" | cut -d: -f1)
ectl check "$F"
assert_eq "edgectl check of the broken file: exit 1" 1 "$rc"
nerr=$(grep -c ': error: ' "$T/err" || true)
assert_eq "edgectl check: the file's three errors" 3 "$nerr"

ectl -c "$F" status
assert_eq "status with a broken file: exit 0" 0 "$rc"
assert_match "status with a broken file" '^edged is running' "$out"
assert_eq "status with a broken file: none of its errors" "" "$err"
ectl -c "$F" show pool --json
assert_eq "show pool with a broken file: exit 0" 0 "$rc"
assert_eq "show pool with a broken file: none of its errors" "" "$err"
assert_eq "show pool with a broken file: the members in force" \
    '["b1", "b2"]' \
    "$(json_get '[m["name"] for m in j["pools"][0]["members"]]' <"$T/out")"
ectl -c "$F" member disable p b1
assert_eq "member disable with a broken file" \
    "pool p member b1: disable" "$out"
assert_eq "member disable with a broken file: none of its errors" "" "$err"
assert_eq "b1 disabled through the broken file" "b1=0 b2=8" "$(split 8)"
ectl -c "$F" member reset p b1
assert_eq "member reset with a broken file" \
    "pool p member b1: back to the file: enabled, weight 1" "$out"
assert_eq "b1 back" "b1=4 b2=4" "$(split 8)"

# reload of that file: every error, at FILE:LINE:COL; nothing changes
WPID=$(edged_worker_pid)
ectl -c "$F" reload
assert_eq "reload of a broken file: exit 1" 1 "$rc"
for l in "$l_algo" "$l_port" "$l_frob"; do
	assert_match "reload reports the error on line $l" \
	    "$F:$l:[0-9]+: error: " "$err"
done
assert_match "reload: round-robn, did you mean" \
    "$F:$l_algo:[0-9]+: error: .*round-robn.*did you mean 'round-robin'" \
    "$err"
assert_match "reload: the unknown directive" \
    "$F:$l_frob:[0-9]+: error: unknown directive 'frobnicate'" "$err"
assert_match "reload says it did not reload" 'not reloading' "$err"
assert_eq "reload of a broken file: the same worker" "$WPID" \
    "$(edged_worker_pid)"
assert_eq "the old configuration still serves both members" "b1=4 b2=4" \
    "$(split 8)"

# ---- when the socket cannot be found, exactly why ----
ectl -c "$T/nope.conf" status
assert_eq "missing file: exit 1" 1 "$rc"
assert_eq "missing file" \
    "edgectl: cannot read $T/nope.conf: No such file or directory" "$err"

# the setting's own value is bad: that error, at its place
sed "s|control-socket $EDGED_SOCK|control-socket run/edged.sock|" \
    "$T/good.conf" >"$T/relative.conf"
l=$(grep -n 'control-socket' "$T/relative.conf" | cut -d: -f1)
c=$(( $(grep 'control-socket' "$T/relative.conf" | awk '{ print index($0, "run/") }') ))
ectl -c "$T/relative.conf" status
assert_eq "relative control-socket: exit 1" 1 "$rc"
assert_eq "relative control-socket: its error at FILE:LINE:COL" \
    "$T/relative.conf:$l:$c: error: 'control-socket' expects an absolute path of at most 107 bytes, got 'run/edged.sock'" \
    "$(head -1 "$T/err")"
assert_eq "relative control-socket: what to do" \
    "edgectl: no control socket to reach: fix control-socket in $T/relative.conf, or use -s SOCKET" \
    "$(sed -n 2p "$T/err")"
assert_eq "relative control-socket: two lines" 2 "$(wc -l <"$T/err")"
sed "s|control-socket $EDGED_SOCK|control-socket $EDGED_SOCK extra|" \
    "$T/good.conf" >"$T/twice.conf"
ectl -c "$T/twice.conf" status
assert_match "control-socket with two words" \
    "^$T/twice.conf:$l:[0-9]+: error: directive 'control-socket' takes 1 argument, got 2" \
    "$(head -1 "$T/err")"

# a syntax error before the global block hides it
{ echo 'virtual-server early {'; cat "$T/good.conf"; } >"$T/early.conf"
ectl -c "$T/early.conf" status
assert_eq "syntax error before global: exit 1" 1 "$rc"
assert_eq "syntax error before global: the error" \
    "$T/early.conf:1:22: error: block opened here is never closed" \
    "$(head -1 "$T/err")"
assert_eq "syntax error before global: why the socket is unknown" \
    "edgectl: the control socket could not be found in $T/early.conf past this error; use -s SOCKET" \
    "$(sed -n 2p "$T/err")"
# one after it does not
{ cat "$T/good.conf"; echo '}'; } >"$F"
ectl -c "$F" status
assert_eq "syntax error after global: exit 0" 0 "$rc"
assert_eq "syntax error after global: not printed" "" "$err"
ectl -c "$F" reload
assert_eq "syntax error after global: reload refused" 1 "$rc"
assert_match "syntax error after global: reload says it" \
    "^$F:$(( $(wc -l <"$T/good.conf") + 1 )):1: error: '}' without a matching '\{'" \
    "$err"
# -s wins over -c: the file is not read at all
ectl -s "$EDGED_SOCK" -c "$T/early.conf" status
assert_eq "-s with a broken -c FILE" 0 "$rc"
assert_eq "-s with a broken -c FILE: no error" "" "$err"

# the setting in an included file
mkdir "$T/inc"
printf 'control-socket %s\n' "$EDGED_SOCK" >"$T/inc/socket.conf"
sed "s|control-socket $EDGED_SOCK|include \"inc/*.conf\"|" \
    "$T/good.conf" >"$T/included.conf"
ectl --config "$T/included.conf" status --json
assert_eq "control-socket from an include: exit 0" 0 "$rc"
assert_eq "control-socket from an include: the daemon" "$EDGED_PID" \
    "$(json_get 'j["master_pid"]' <"$T/out")"

# a file that parses and names no socket: the default one
printf 'pool q {\n    member m 127.0.0.1:%s\n}\n' "$B1" >"$T/nosock.conf"
ectl -c "$T/nosock.conf" status
if [ "$rc" = 0 ]; then
	assert_match "no control-socket: an edged on the default socket" \
	    '^edged is running' "$out"
else
	assert_match "no control-socket: the default socket" \
	    "cannot connect to /run/edged/edged.sock" "$err"
fi

# ---- the file repaired: reload works again ----
cp "$T/good.conf" "$F"
ectl --config "$F" reload
assert_eq "reload of the repaired file" 0 "$rc"
edged_wait_ready "$WPID"
assert_eq "after the repaired reload" "b1=4 b2=4" "$(split 8)"

pass
