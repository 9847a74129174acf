/*
 * routing/rt_conf.h - the `routing { }` block: the routing module's part
 * of a configuration (plain data, module.h).  Private to routing/.
 *
 *     routing {
 *         zebra-socket /var/run/frr/zserv.api
 *         announce virtual-servers on
 *     }
 *
 * announce virtual-servers on: each virtual server's address is a route
 * in FRR's zebra (route health injection) while a virtual server on it
 * can serve, so that bgpd and ospfd can tell the neighbours
 * (`redistribute openfabric`, rt_zapi.h); withdrawn when none can.
 */
#ifndef EDGED_RT_CONF_H
#define EDGED_RT_CONF_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/un.h>

#include "conf.h"

/* FRR's zserv socket, as Debian builds it */
#define RT_ZEBRA_SOCKET		"/var/run/frr/zserv.api"

struct rt_conf {
	bool present;			/* a routing block was given */
	struct conf_pos pos;
	char zebra_socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool announce_vs;		/* announce virtual-servers on */
};

void rt_conf_init(struct rt_conf *c);
/* `routing { }`: a directive setter (conf.h) on a struct rt_conf. */
int rt_routing_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
/* c in normal form (nothing when c has no routing block). */
void rt_conf_print(const struct rt_conf *c, FILE *out);

#endif /* EDGED_RT_CONF_H */
