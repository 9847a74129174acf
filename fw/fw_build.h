/*
 * fw/fw_build.h - the compiled table (fw_nft.h's text) built as
 * nfnetlink messages by edged itself, without libnftables.
 *
 * fw_nft.c writes the table in nft's language, which operators read
 * (edged -n, edgectl show firewall --nft); libnftables would parse it,
 * evaluate it, and encode it.  For a large table that parsing is most of
 * the time an apply takes, so the master builds the messages here: the
 * text is read line by line in the small, fixed part of nft's language
 * that fw_nft.c, fw_klb.c and fw_route.h write, each statement encoded
 * as nft encodes it (the same expressions, the same set descriptions and
 * user data), so that the kernel holds what `nft -f` of the same text
 * would give, listed back the same (tests/integration/67-nft-build.sh).
 *
 * Anything else in the text is refused with its line, never guessed at:
 * the caller then applies the text through libnftables.
 */
#ifndef EDGED_FW_BUILD_H
#define EDGED_FW_BUILD_H

#include <stddef.h>

struct fw_nl;

/*
 * Queues in nl's transaction (begun with fw_nl_begin on FW_TABLE) the
 * replacement of table inet FW_TABLE by text: the table made if it is
 * missing, deleted with all it holds, made again with text's counters,
 * sets (with their elements), maps and chains.  "" removes the table.
 * Other tables are never named.  Returns 0, or -1 with err: a line
 * outside what the builder knows (nothing of it is sent: fw_nl_begin
 * again before another use), or out of memory.
 */
int fw_build_table(struct fw_nl *nl, const char *text, char *err,
    size_t errsize);

#endif /* EDGED_FW_BUILD_H */
