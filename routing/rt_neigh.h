/*
 * routing/rt_neigh.h - what FRR's daemons say, from the master: the BGP
 * and OSPF neighbours' state, asked every RT_NEIGH_POLL seconds on the
 * daemons' vty sockets (rt_vty.h), each change logged with FRR's reason
 * and published to the workers' metrics; and the answers to `edgectl
 * show routes|bgp|ospf`, asked when edgectl asks.  Private to routing/.
 */
#ifndef EDGED_RT_NEIGH_H
#define EDGED_RT_NEIGH_H

#include <stdbool.h>
#include <stdio.h>

#include "module.h"
#include "rt_conf.h"
#include "rt_frrjson.h"
#include "rt_vty.h"

#define RT_NEIGH_POLL	1.0

struct rt_neigh {
	const struct edged_host *host;
	const struct rt_conf *conf;	/* in force; NULL: none */
	char dir[sizeof(((struct rt_conf *)0)->vty_socket)];
	struct rt_vty bgpd, ospfd, zebra;
	ev_timer poll;
	bool asking_bgp, asking_ospf;	/* a poll's question waits */
	bool bgp_told, ospf_told;	/* said that it could not ask */
	struct rt_bgp_peer *bgp;
	size_t nbgp;
	struct rt_ospf_peer *ospf;
	size_t nospf;
	void (*changed)(void *arg);	/* the workers are to know */
	void *arg;
};

void rt_neigh_init(struct rt_neigh *n, const struct edged_host *h,
    void (*changed)(void *arg), void *arg);
/* The configuration in force is c: polling what it has (bgp, ospf),
 * on the vty sockets it names. */
void rt_neigh_commit(struct rt_neigh *n, const struct rt_conf *c);
/* edged stops: the questions waiting are failed, the sockets closed. */
void rt_neigh_stop(struct rt_neigh *n);
void rt_neigh_free(struct rt_neigh *n);

/* The state lines for the workers (rt_worker.h's "bgp", "ospf"). */
void rt_neigh_state(const struct rt_neigh *n, FILE *out);
/* Its part of `edgectl status` ("bgp 2/2 established, ospf 1/1 full"),
 * after ", " when sep; whether anything is written now. */
bool rt_neigh_status(const struct rt_neigh *n, bool json, bool sep,
    FILE *out);

/* `edgectl show bgp|ospf|routes`: asked now, answered on c later. */
void rt_neigh_show_bgp(struct rt_neigh *n, struct edged_ctl *c, bool json);
void rt_neigh_show_ospf(struct rt_neigh *n, struct edged_ctl *c,
    bool json);
void rt_neigh_show_routes(struct rt_neigh *n, struct edged_ctl *c,
    bool json, const struct edged_vip *vips, size_t nvips);

#endif /* EDGED_RT_NEIGH_H */
