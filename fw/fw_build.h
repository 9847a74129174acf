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
 *
 * A reload sends only what changed, from the text in force to the new
 * one: the chains' rules by handle (the kernel's numbers, which the
 * builder knows without asking: fw_build_int.h).
 */
#ifndef EDGED_FW_BUILD_H
#define EDGED_FW_BUILD_H

#include <stdbool.h>
#include <stddef.h>

struct fw_nl;

/* What the builder knows of the table its last batch left in the
 * kernel: the handles of its chains' rules (fw_build_int.h). */
struct fw_build_state;

struct fw_build_state *fw_build_state_new(void);
void fw_build_state_free(struct fw_build_state **st);
/* st no longer describes the kernel's table (a batch was refused, or
 * the table was changed by another): the next change is a whole table. */
void fw_build_forget(struct fw_build_state *st);
/* Whether the batch that made st made named set `set` (new sets are
 * empty: their members, if any, are to be queued after). */
bool fw_build_made(const struct fw_build_state *st, const char *set);

/*
 * Queues in nl's transaction (begun with fw_nl_begin on FW_TABLE) the
 * replacement of table inet FW_TABLE by text: the table made if it is
 * missing, deleted with all it holds, made again with text's counters,
 * sets (with their elements), maps and chains.  "" removes the table.
 * Other tables are never named.  *st becomes what the kernel will hold
 * once the transaction is in.  Returns 0, or -1 with err: a line
 * outside what the builder knows (nothing of it is sent: fw_nl_begin
 * again before another use), or out of memory.
 */
int fw_build_table(struct fw_nl *nl, const char *text,
    struct fw_build_state *st, char *err, size_t errsize);

/*
 * Queues in nl's transaction the changes that turn the table the kernel
 * holds, made from text old and described by *st, into text's: the
 * counters, sets, maps and chains that came made, the rules that
 * changed in a chain deleted and added in their place (the others left
 * alone: their counters and the flows they let through are not
 * disturbed), a static set's elements replaced when they changed, what
 * went deleted; *st then describes the table after.  Returns 0, 1 when
 * the change cannot be made so (a set's or a base chain's declaration
 * changed, *st not known: fw_build_table), or -1 with err as
 * fw_build_table.  *changes counts the messages queued.
 */
int fw_build_update(struct fw_nl *nl, const char *old, const char *text,
    struct fw_build_state *st, size_t *changes, char *err, size_t errsize);

#endif /* EDGED_FW_BUILD_H */
