#!/bin/sh
# tests/fuzz/capture/nft-capture.sh - makes the seed corpus of
# fuzz_nft_reply again from a live kernel: builds nft-capture.c, and runs
# it in a network namespace of its own, where a table inet edged holds
# named counters (many of them, so that their dump takes several
# datagrams) and two sets.  Run as root:
#     sh tests/fuzz/capture/nft-capture.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$here/../corpus/nft_reply
ns=edged-fuzzcap-$$
tmp=$(mktemp -d "${TMPDIR:-/tmp}/edged-nftcap.XXXXXX")
trap 'ip netns del "$ns" 2>/dev/null || true; rm -rf "$tmp"' EXIT

${CC:-cc} -std=gnu11 -Wall -Wextra -o "$tmp/nft-capture" "$here/nft-capture.c"
{
	echo 'table inet edged {'
	echo '	set blocklist { type ipv4_addr; }'
	echo '	set blocklist6 { type ipv6_addr; }'
	echo '	counter rule-ssh { packets 12 bytes 720 }'
	echo '	counter policy-drop { packets 18446744073709551615 bytes 1 }'
	i=0
	while [ $i -lt 400 ]; do
		echo "	counter vs-web-member-$i { packets $i bytes $((i * 1500)) }"
		i=$((i + 1))
	done
	echo '}'
} >"$tmp/table.nft"
ip netns add "$ns"
ip netns exec "$ns" nft -f "$tmp/table.nft"
mkdir -p "$out"
rm -f "$out"/dump-*.bin "$out"/batch-*.bin
ip netns exec "$ns" "$tmp/nft-capture" "$out"
