/*
 * fw/fw_route.h - the policy routing that delivers the members' replies
 * to a transparent pool's connections (which leave from the clients'
 * own addresses) to edged's sockets, not on to the clients: packets the
 * table marks (`socket transparent 1`, FW_TPROXY_MARK) are looked up in
 * table FW_TPROXY_TABLE, which holds one route, `local default dev lo`.
 *
 * The master sets them through rtnetlink, per family, when a generation
 * with transparent pools is committed, and removes them when one
 * without is; rules and routes of anyone else are never named.
 */
#ifndef EDGED_FW_ROUTE_H
#define EDGED_FW_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FW_TPROXY_MARK	0x6564		/* "ed" */
#define FW_TPROXY_TABLE	25700		/* and the rule's priority */
#define FW_RTPROT	237		/* the rule's and the route's
					 * protocol: edged's, so that a
					 * removal names nobody else's */

/*
 * Adds (on) or removes (!on) family's rule (fwmark FW_TPROXY_MARK
 * lookup FW_TPROXY_TABLE) and route (local default dev lo in that
 * table).  Adding what is there and removing what is not are no
 * errors.  0, or -1 with the kernel's reason in err.
 */
int fw_route_transparent(int family, bool on, char *err, size_t errsize);

/* The kernel's answer to request seq among the messages of one datagram
 * (buf, len bytes, 4-byte aligned; never read past len): 0 when it
 * acknowledged, its errno when it refused, EPROTO for an answer cut
 * short, -1 when the datagram holds no answer to seq.  The fuzzer's too
 * (tests/fuzz/fuzz_nft_reply.c). */
int fw_route_parse_ack(const void *buf, size_t len, uint32_t seq);

#endif /* EDGED_FW_ROUTE_H */
