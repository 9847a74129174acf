/*
 * fw/fw_apply.h - puts the compiled table (fw_nft.h) into the kernel
 * through libnftables: one batch that replaces edged's own table and
 * nothing else, checked first, applied as one transaction.  The master's
 * only; never the worker's.
 */
#ifndef EDGED_FW_APPLY_H
#define EDGED_FW_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "fw_conf.h"

struct fw_kernel;

/* A libnftables context, kept for the master's life (it caches). */
struct fw_kernel *fw_kernel_open(void);
void fw_kernel_close(struct fw_kernel **k);

/*
 * Replaces table inet edged with text (fw_nft_text's; "" removes the
 * table), plus extra (commands run in the same batch after it: the
 * dynamic groups' members; may be NULL).  The batch is checked (a dry
 * run) and then applied as one transaction: when the kernel refuses it,
 * what was in force stays, and err gets nft's message.  Returns 0 or -1.
 * It runs in a libnftables context of its own (see fw_apply.c).
 */
int fw_kernel_replace(const char *text, const char *extra, char *err,
    size_t errsize);
/* Runs cmds (nft commands) as one transaction; 0 or -1 with err. */
int fw_kernel_run(struct fw_kernel *k, const char *cmds, char *err,
    size_t errsize);
/* Runs cmds and returns nft's output (valid until the next call), or
 * NULL with err. */
const char *fw_kernel_query(struct fw_kernel *k, const char *cmds,
    char *err, size_t errsize);

/* Whether c needs the kernel to forward packets: NAT, or a rule that
 * can match forwarded traffic. */
bool fw_wants_forwarding(const struct fw_conf *c);
/* Turns IPv4 and IPv6 forwarding on; 0, or -1 with err. */
int fw_enable_forwarding(char *err, size_t errsize);

#endif /* EDGED_FW_APPLY_H */
