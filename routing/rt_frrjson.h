/*
 * routing/rt_frrjson.h - what FRR 8.4's daemons answer with `json`,
 * read: the BGP and OSPF neighbours (for their state, logs and metrics)
 * and the routing table (for `edgectl show routes`).  Private to
 * routing/.  Fields FRR leaves out read as unknown, never as an error;
 * what is not JSON of the expected shape is refused with why.
 */
#ifndef EDGED_RT_FRRJSON_H
#define EDGED_RT_FRRJSON_H

#include <netinet/in.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "module.h"

struct rt_bgp_peer {
	char addr[INET6_ADDRSTRLEN];
	char state[24];			/* FRR's: Established, Active... */
	bool up;			/* Established */
	uint32_t remote_as;
	uint64_t up_ms;			/* since Established */
	uint64_t received, sent;	/* prefixes, every family */
	uint64_t drops;			/* connections dropped so far */
	char reason[96];		/* FRR's last reset's, or "" */
};

struct rt_ospf_peer {
	char id[INET_ADDRSTRLEN];	/* router ID */
	char ifname[IF_NAMESIZE];
	char addr[INET_ADDRSTRLEN];
	char state[24];			/* FRR's: Full/DR, 2-Way/DROther... */
	bool up;			/* Full */
	uint64_t up_ms;
};

/* `show bgp neighbors json`: the peers into *v (malloc'd, the caller's
 * to free; NULL when none), their number in *n.  0, or -1 with err. */
int rt_frrjson_bgp(const char *text, size_t len, struct rt_bgp_peer **v,
    size_t *n, char *err, size_t errsize);
/* `show ip ospf neighbor json`, the same way. */
int rt_frrjson_ospf(const char *text, size_t len, struct rt_ospf_peer **v,
    size_t *n, char *err, size_t errsize);
/* `show ip route json` then `show ipv6 route json` (text: both, one after
 * the other): the table for `edgectl show routes`, as text or JSON, to
 * out; a route of edged's (type openfabric) says which of vips it is
 * for.  0, or -1 with err (nothing written). */
int rt_frrjson_routes(const char *text, size_t len,
    const struct edged_vip *vips, size_t nvips, bool json, FILE *out,
    char *err, size_t errsize);

#endif /* EDGED_RT_FRRJSON_H */
