#!/bin/bash
# 60-frr-setup: packaging/frr-setup.sh on a copy of Debian's own FRR
# configuration directory (the daemons file and vtysh.conf the frr
# package installed, or its pristine copies), never the machine's:
#   - bgpd and ospfd turned on, bfdd with --bfd, nothing else changed;
#   - an integrated vtysh.conf kept, a split one made integrated, a
#     missing one written;
#   - run again: nothing changed, and it says so;
#   - no daemons file: refused with a reason.
. "$(dirname "$0")/lib.sh"
it_begin 60-frr-setup
SETUP=$IT_DIR/../../packaging/frr-setup.sh

src=/etc/frr/daemons
[ -f "$src" ] || src=/usr/share/frr/daemons
[ -f "$src" ] || fail "no FRR daemons file to copy (install-deps.sh installs frr)"
D=$T/frr
mkdir -p "$D"
cp "$src" "$D/daemons"
cp "$D/daemons" "$T/daemons.orig"
printf 'service integrated-vtysh-config\n' >"$D/vtysh.conf"

out=$(sh "$SETUP" "$D")
assert_match "bgpd turned on" "bgpd=yes" "$out"
assert_eq "bgpd=yes in the file" 1 "$(grep -c '^bgpd=yes$' "$D/daemons")"
assert_eq "ospfd=yes in the file" 1 "$(grep -c '^ospfd=yes$' "$D/daemons")"
assert_eq "bfdd left off without --bfd" 0 "$(grep -c '^bfdd=yes$' "$D/daemons")"
assert_eq "only those two lines changed" 2 \
    "$(diff "$T/daemons.orig" "$D/daemons" | grep -c '^>')"
assert_match "it says FRR is to be restarted, and does not do it" \
    "restart FRR for it to take effect" "$out"

out=$(sh "$SETUP" "$D")
assert_eq "run again: nothing changed" \
    "frr-setup: FRR was ready already; nothing changed" "$out"

out=$(sh "$SETUP" --bfd "$D")
assert_eq "--bfd: bfdd on" 1 "$(grep -c '^bfdd=yes$' "$D/daemons")"

printf 'no service integrated-vtysh-config\n' >"$D/vtysh.conf"
sh "$SETUP" "$D" >/dev/null
assert_eq "a split configuration made integrated" \
    "service integrated-vtysh-config" "$(cat "$D/vtysh.conf")"
rm "$D/vtysh.conf"
sh "$SETUP" "$D" >/dev/null
assert_eq "a missing vtysh.conf written" \
    "service integrated-vtysh-config" "$(cat "$D/vtysh.conf")"

out=$(sh "$SETUP" "$T/nowhere" 2>&1) && fail "no daemons file was taken"
assert_match "no daemons file: refused" "no $T/nowhere/daemons: install FRR" \
    "$out"

pass
