/*
 * lb/kernel.h - the l4-kernel profile, seen from the load balancer
 * (kernel.c): its configuration checks, the virtual servers it hands the
 * core for the kernel to balance, and their members' weights in force.
 */
#ifndef EDGED_LB_KERNEL_H
#define EDGED_LB_KERNEL_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "lb.h"
#include "module.h"

/* What an l4-kernel virtual server vs (profile and pool resolved) may
 * not say; the number of errors added to d. */
unsigned lb_kernel_check(const struct lb_conf *c, const struct lb_vs_conf *vs,
    struct conf_diag *d);
/* A proxied virtual server's pool with transparent on: members of
 * another family than a listen's are refused; the number of errors
 * added to d. */
unsigned lb_transparent_check(const struct lb_conf *c,
    const struct lb_vs_conf *vs, struct conf_diag *d);

/* Adds each l4-kernel virtual server of c to eps (module.h), with the
 * file's weights, and sets eps->transparent.  0, or -1 out of memory. */
int lb_kernel_services(const struct lb_conf *c, struct edged_endpoints *eps);
/* The kinds (tsock.h: family and type) of sockets the worker needs to
 * reach the members of c's transparent pools from proxied virtual
 * servers, as a mask: lb_conf_resolve keeps it in c->transparent_kinds,
 * which the others read. */
unsigned lb_transparent_kinds(const struct lb_conf *c);

/* A member as the master knows it now. */
struct lb_kernel_now {
	int admin;			/* enum lb_admin_state */
	unsigned weight;		/* edgectl's or the file's, after
					 * slow-start */
	bool down;			/* its monitor's verdict */
};

/*
 * The weights in force of pool p's members, now[k] being member k's
 * state, into out[0..p->nmembers) (names point into p): a member
 * disabled, drained or down gets 0, and a backup 0 while another member
 * has some.  Returns p->nmembers.
 */
size_t lb_kernel_weights(const struct lb_pool_conf *p,
    const struct lb_kernel_now *now, struct edged_kweight *out);

#endif /* EDGED_LB_KERNEL_H */
