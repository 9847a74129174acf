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
 */
#ifndef EDGED_RT_IFACES_H
#define EDGED_RT_IFACES_H

#include <stddef.h>

#include "rt_conf.h"

/* Whether the kernel can take c's interfaces, touching nothing: each
 * that is not a VLAN exists; a VLAN's parent exists, and a link of its
 * name, when there is one, is that VLAN.  0, or -1 with err. */
int rt_ifaces_check(const struct rt_conf *c, char *err, size_t errsize);

/* Makes the kernel's interfaces what c says, and takes away the VLAN
 * links and addresses edged made that c no longer has.  0, or -1 with
 * err: what was done so far stays, for the caller to undo by applying
 * the configuration in force again. */
int rt_ifaces_apply(const struct rt_conf *c, char *err, size_t errsize);

#endif /* EDGED_RT_IFACES_H */
