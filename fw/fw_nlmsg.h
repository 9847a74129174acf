/*
 * fw/fw_nlmsg.h - fw_netlink.c's message building, for the table
 * builder (fw_build.c), which puts whole tables in the same batches as
 * the set elements.  Nothing else includes this.
 *
 * A message is begun (its offset returned) and ended; attributes are
 * appended to the message begun last, nests begun and ended the same
 * way.  Out of memory, everything after is dropped and fw_nl_oom says
 * so; fw_nl_commit then refuses the batch.
 */
#ifndef EDGED_FW_NLMSG_H
#define EDGED_FW_NLMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fw_nl;

size_t fw_nl_msg_start(struct fw_nl *nl, uint16_t type, uint16_t flags,
    uint8_t family, uint16_t res_id);
void fw_nl_msg_end(struct fw_nl *nl, size_t off);
void fw_nl_attr(struct fw_nl *nl, uint16_t type, const void *data,
    size_t len);
void fw_nl_attr_str(struct fw_nl *nl, uint16_t type, const char *s);
size_t fw_nl_nest_start(struct fw_nl *nl, uint16_t type);
void fw_nl_nest_end(struct fw_nl *nl, size_t off);

/* The sequence number the next message begun gets. */
uint32_t fw_nl_next_seq(const struct fw_nl *nl);
/* Notes the change message numbered seq, for the kernel's answers: what
 * it is ("chain rules_1") and the text line it came from (0: a set's
 * elements, named by what).  0, or -1 out of memory. */
int fw_nl_note(struct fw_nl *nl, uint32_t seq, const char *what,
    unsigned line, bool add);
/* The table fw_nl_begin named. */
const char *fw_nl_table(const struct fw_nl *nl);
bool fw_nl_oom(const struct fw_nl *nl);

#endif /* EDGED_FW_NLMSG_H */
