/*
 * lb/persist.h - persistence (issue 16): a client goes back to the
 * member it had.  The configuration (persist_conf.c):
 *
 *	application-profile web {
 *	    persistence cookie SRV insert [nocache] [httponly] [secure]
 *	    persistence source-ip [timeout D] [mask /N]
 *	}
 *
 * cookie: edged sets SRV=MEMBER on the response that went to a member
 * the request did not name, and a request naming a member goes to it.
 * source-ip: a stick table of the profile's own ("persist.PROFILE",
 * stick_master.h) maps the client's address (its IPv4 prefix /N) to its
 * member, for timeout after the last request.  Either way a member that
 * is down or disabled is replaced (and the client told, or the entry
 * updated); a drained one keeps its persistent clients.
 */
#ifndef EDGED_LB_PERSIST_H
#define EDGED_LB_PERSIST_H

#include "lb.h"

/* `persistence ...` in a profile (obj: struct lb_profile_conf). */
int lb_profile_persistence(struct conf_diag *d, const struct conf_node *n,
    void *obj);
/* After every statement: cookies need an HTTP profile; each source-ip
 * profile gets its table ("persist.NAME", implicit) in c->sticks.
 * Returns the number of errors. */
unsigned lb_persist_resolve(struct lb_conf *c, struct conf_diag *d);
void lb_persist_print(const struct lb_persist_conf *p, FILE *out);

#endif /* EDGED_LB_PERSIST_H */
