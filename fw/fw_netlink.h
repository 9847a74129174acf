/*
 * fw/fw_netlink.h - the two things the master does to table inet edged
 * often, spoken to the kernel directly in nfnetlink: changing a set's
 * elements (edgectl group) and reading the named counters (edgectl show
 * firewall, the metrics).
 *
 * libnftables would do both, but first reads the table into its cache,
 * every set element included: next to a 100,000-member group that is
 * hundreds of milliseconds for a one-address change.  These messages
 * name the set or the table and nothing else.  The master's only.
 */
#ifndef EDGED_FW_NETLINK_H
#define EDGED_FW_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw_conf.h"

struct fw_nl;

/* A NETLINK_NETFILTER socket (close-on-exec), or NULL with err. */
struct fw_nl *fw_nl_open(char *err, size_t errsize);
void fw_nl_close(struct fw_nl **nl);

/*
 * A transaction on set elements of table inet `table`: begin, then any
 * number of changes, then commit, which sends them as one batch (the
 * kernel applies all or none) and waits for the kernel's answer.
 *
 * fw_nl_elems queues adding (add) or deleting (!add) the addresses of
 * family (AF_INET, AF_INET6) among a[0..n) to or from set `set`; the
 * kernel refuses to delete an element that is not there, and adding one
 * that is changes nothing.  fw_nl_flush queues emptying the set.  Both
 * return 0, or -1 out of memory (the transaction is then dropped).
 * fw_nl_commit returns 0, or -1 with the kernel's reason in err.
 */
void fw_nl_begin(struct fw_nl *nl, const char *table);
int fw_nl_elems(struct fw_nl *nl, const char *set, bool add, int family,
    const struct fw_prefix *a, size_t n);
int fw_nl_flush(struct fw_nl *nl, const char *set);
int fw_nl_commit(struct fw_nl *nl, char *err, size_t errsize);

/*
 * Calls fn for each named counter of table inet `table` (for none when
 * there is no such table).  Returns 0, or -1 with err.
 */
typedef void fw_nl_counter_fn(const char *name, uint64_t packets,
    uint64_t bytes, void *arg);
int fw_nl_counters(struct fw_nl *nl, const char *table, fw_nl_counter_fn *fn,
    void *arg, char *err, size_t errsize);

#endif /* EDGED_FW_NETLINK_H */
