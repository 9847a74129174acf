/*
 * routing/rt_ifaces.h - the interface blocks put in force by the master
 * through rtnetlink (rt_nl.h).  Private to routing/.
 *
 * What edged touches: the interfaces the file names (their MTU and
 * state, the addresses it gives them), the VLAN links it makes, and
 * nothing else.  What edged put there is marked, so that it can take it
 * away again once the file no longer has it, even after a restart: its
 * addresses carry IFA_PROTO 237, its VLAN links an alias that starts
 * "edged: ".  An address the file names that the interface has already
 * (the operator's, or the kernel's) is left as it is, and is not edged's
 * to take away.  An interface no longer named keeps its MTU and state.
 *
 * The differences are planned from what the kernel has (pure functions,
 * unit-tested), then carried out: the links first (VLANs deleted and
 * made), then, from the kernel's links read again, MTU, state and
 * addresses.
 */
#ifndef EDGED_RT_IFACES_H
#define EDGED_RT_IFACES_H

#include <stddef.h>

#include "rt_conf.h"
#include "rt_nl.h"

enum rt_if_op {
	RT_IF_VLAN_DEL,			/* index, name */
	RT_IF_VLAN_ADD,			/* name, parent (its index), vlan */
	RT_IF_SET,			/* index, name, mtu (0: as it is), up */
	RT_IF_ADDR_DEL,			/* index, name, p */
	RT_IF_ADDR_ADD,			/* index, name, p */
};

struct rt_if_step {
	enum rt_if_op op;
	int index;
	char name[IF_NAMESIZE];
	char parent[IF_NAMESIZE];
	int parent_index;
	unsigned vlan;
	unsigned mtu;
	bool up, was_up;
	unsigned was_mtu;
	struct rt_prefix p;
};

/* Whether the kernel can take c's interfaces, touching nothing: each
 * that is not a VLAN exists; a VLAN's parent exists, and a link of its
 * name, when there is one, is that VLAN.  0, or -1 with err. */
int rt_ifaces_check(const struct rt_conf *c, char *err, size_t errsize);
/* The same against links given. */
int rt_ifaces_check_links(const struct rt_conf *c,
    const struct rt_nl_link *links, size_t nlinks, char *err,
    size_t errsize);

/* The steps that make links what c says: edged's VLANs c no longer has
 * deleted, c's VLANs that are missing made.  Appended to *v (n steps);
 * 0, or -1 with err. */
int rt_ifaces_plan_links(const struct rt_conf *c,
    const struct rt_nl_link *links, size_t nlinks, struct rt_if_step **v,
    size_t *n, char *err, size_t errsize);
/* Then, with every link of c there: MTU and state set where they
 * differ, edged's addresses c no longer has removed, c's missing ones
 * added. */
int rt_ifaces_plan_addrs(const struct rt_conf *c,
    const struct rt_nl_link *links, size_t nlinks,
    const struct rt_nl_addr *addrs, size_t naddrs, struct rt_if_step **v,
    size_t *n, char *err, size_t errsize);

/* Makes the kernel's interfaces what c says (plans carried out, each
 * step logged).  0, or -1 with err: what was done so far stays, for the
 * caller to undo by applying the configuration in force again. */
int rt_ifaces_apply(const struct rt_conf *c, char *err, size_t errsize);

#endif /* EDGED_RT_IFACES_H */
