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
 * Service insertion: a flow a rule steers through the chain of id c
 * (fw_conf.h: from its name) carries connection mark FW_STEER_CT(c);
 * each of its packets that enters from elsewhere than the chain's
 * appliances gets packet mark FW_STEER_MARK(c, 0), and one that comes
 * back from hop k's appliance FW_STEER_MARK(c, k + 1) (none after the
 * last hop).  Rule `fwmark FW_STEER_MARK(c, k) lookup FW_STEER_TABLE(c,
 * k)` (priority FW_STEER_PRIO, before the main table's) sends it to the
 * table whose default route is hop k's appliance (or, while it is down,
 * the next one up, or a blackhole, or nothing: the main table's routes).
 * The table's number is the mark's.
 */
#define FW_STEER_CT(c)		(0x65730000u | ((unsigned)(c) + 1))
#define FW_STEER_CT_MASK	0xffff0000u	/* what every chain's has:
						 * FW_STEER_CT(-1) */
#define FW_STEER_MARK(c, k)	(0x65740000u | ((unsigned)(c) << 4) | \
				    (unsigned)(k))
#define FW_STEER_TABLE(c, k)	FW_STEER_MARK(c, k)
#define FW_STEER_PRIO		25800u

/*
 * Adds (on) or removes (!on) family's rule (fwmark FW_TPROXY_MARK
 * lookup FW_TPROXY_TABLE) and route (local default dev lo in that
 * table).  Adding what is there and removing what is not are no
 * errors.  0, or -1 with the kernel's reason in err.
 */
int fw_route_transparent(int family, bool on, char *err, size_t errsize);

/*
 * Service insertion's rule, `fwmark mark lookup table` of priority
 * table, added (on) or removed; and table's default route set: through
 * the gateway gw (4 or 16 bytes) on interface ifname, a blackhole, or
 * none (removed: what the table does not route, the next rules and the
 * main table do).  0, or -1 with the kernel's reason in err.
 */
enum fw_route_kind { FW_RT_NONE, FW_RT_VIA, FW_RT_BLACKHOLE };

int fw_route_steer_rule(int family, uint32_t mark, uint32_t table, bool on,
    char *err, size_t errsize);
int fw_route_steer_default(int family, uint32_t table, enum fw_route_kind kind,
    const uint8_t *gw, const char *ifname, char *err, size_t errsize);

/* The kernel's answer to request seq among the messages of one datagram
 * (buf, len bytes, 4-byte aligned; never read past len): 0 when it
 * acknowledged, its errno when it refused, EPROTO for an answer cut
 * short, -1 when the datagram holds no answer to seq.  The fuzzer's too
 * (tests/fuzz/fuzz_nft_reply.c). */
int fw_route_parse_ack(const void *buf, size_t len, uint32_t seq);

#endif /* EDGED_FW_ROUTE_H */
