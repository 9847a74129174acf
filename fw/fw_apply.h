/*
 * fw/fw_apply.h - puts the compiled table (fw_nft.h) into the kernel
 * through libnftables: one batch that replaces edged's own table and
 * nothing else, checked whole and applied as one transaction.  The master's
 * only; never the worker's.
 */
#ifndef EDGED_FW_APPLY_H
#define EDGED_FW_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "fw_conf.h"

/*
 * Replaces table inet edged with text (fw_nft_text's; "" removes the
 * table), plus extra (commands run in the same batch after it: the
 * dynamic groups' members; may be NULL), as one transaction, checked
 * whole before anything changes: when nft or the kernel refuses it, what
 * was in force stays, and err gets nft's message.  Returns 0 or -1.
 */
int fw_kernel_replace(const char *text, const char *extra, char *err,
    size_t errsize);
/* Removes table inet edged, if it is there, in one transaction that
 * names that table and no other (edgectl firewall flush).  0, or -1
 * with nft's message in err. */
int fw_kernel_remove(char *err, size_t errsize);
/* Whether table inet edged is in the kernel: 1 or 0, -1 when the kernel
 * cannot be asked (no privilege, no nf_tables). */
int fw_kernel_has_table(void);

/* Whether c needs the kernel to forward packets: NAT, or a rule that
 * can match forwarded traffic. */
bool fw_wants_forwarding(const struct fw_conf *c);
/* Turns IPv4 and IPv6 forwarding on; 0, or -1 with err. */
int fw_enable_forwarding(char *err, size_t errsize);
/* value ("1\n") written to the kernel setting at path (/proc/sys/...);
 * 0, or -1 with err. */
int fw_sysctl_write(const char *path, const char *value, char *err,
    size_t errsize);

#endif /* EDGED_FW_APPLY_H */
