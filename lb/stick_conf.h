/*
 * lb/stick_conf.h - stick tables in the configuration (issue 16): the
 * stick-table directive, its printer, and the geometry a table is made
 * with (stick.h).
 *
 *	stick-table per-ip type ip size 100k expire 30s \
 *	    store http_req_rate(10s),conn_cur,gpc0
 */
#ifndef EDGED_LB_STICK_CONF_H
#define EDGED_LB_STICK_CONF_H

#include "lb.h"
#include "stick.h"

/* `stick-table NAME ...` (top level; obj: struct lb_conf). */
int lb_stick_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
void lb_stick_print(const struct lb_stick_conf *s, FILE *out);
/* The geometry of table s (the shard count left to stick.c). */
void lb_stick_geom_of(const struct lb_stick_conf *s,
    struct lb_stick_geom *g);
/* The table called name among c's, or NULL. */
const struct lb_stick_conf *lb_stick_find(const struct lb_conf *c,
    const char *name, size_t *idx);

#endif /* EDGED_LB_STICK_CONF_H */
