/*
 * routing/rt_zapi.h - the messages edged exchanges with FRR's zebra over
 * its API socket (ZAPI, FRR 8.4: header version 6, the 8.4 command
 * numbers): the HELLO that names the route type edged originates, the
 * routes it adds and deletes (a virtual server's address, announced
 * while its pool can serve it), and what zebra sends back.  Encoding
 * and reading only: no socket here.  Private to routing/.
 *
 * Later FRR releases keep version 6 and renumber the commands (10.0:
 * HELLO is 19, the number of 8.4's CAPABILITIES): a zebra that does not
 * answer HELLO with 8.4's CAPABILITIES is refused (rt_zapi_capabilities),
 * never talked to in the wrong numbers.
 */
#ifndef EDGED_RT_ZAPI_H
#define EDGED_RT_ZAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RT_ZAPI_HEADER		10
#define RT_ZAPI_MARKER		0xfe
#define RT_ZAPI_VERSION		6
/* zebra's ZEBRA_MAX_PACKET_SIZ: no message is longer */
#define RT_ZAPI_MAX		16384

/* FRR 8.4's command numbers (lib/zclient.h's enum, in order). */
enum rt_zapi_cmd {
	RT_ZAPI_ROUTE_ADD = 8,
	RT_ZAPI_ROUTE_DELETE = 9,
	RT_ZAPI_ROUTE_NOTIFY_OWNER = 10,
	RT_ZAPI_HELLO = 18,
	RT_ZAPI_CAPABILITIES = 19,
	RT_ZAPI_VRF_ADD = 33,
	RT_ZAPI_ERROR = 118,
};

/*
 * The route type edged's routes carry: OPENFABRIC, fabricd's, which an
 * edge does not run.  It must be one that no other daemon on the box
 * says HELLO with (zebra deletes every route of a client's type when the
 * client goes: edged's announcements, and nobody else's), and one that
 * bgpd and ospfd can redistribute: Debian's FRR lists there only the
 * types of the daemons it was built with, so not sharp (no sharpd).
 * `redistribute openfabric` takes them; the kernel shows them as proto
 * openfabric (197).
 */
#define RT_ZAPI_TYPE_EDGED	26

/* A route: a prefix, its length, and for an add its distance and
 * metric (the next hop is always blackhole: the address is the edge's
 * own, AnyIP, and the route is there to be redistributed). */
struct rt_zapi_route {
	struct sockaddr_storage prefix;	/* AF_INET or AF_INET6; the port
					 * is not read */
	uint8_t plen;
	uint8_t distance;
	uint32_t metric;
};

/* The largest message rt_zapi_hello and rt_zapi_route write. */
#define RT_ZAPI_OUT_MAX		64

/* HELLO for route type into out (RT_ZAPI_OUT_MAX bytes), asking zebra to
 * say what becomes of each route (ROUTE_NOTIFY_OWNER): its length. */
size_t rt_zapi_hello(uint8_t type, uint8_t *out);

/* ROUTE_ADD (add) or ROUTE_DELETE of r, of route type, into out
 * (RT_ZAPI_OUT_MAX bytes): its length, or 0 when r is not a route
 * (family, or plen longer than the address). */
size_t rt_zapi_route(bool add, uint8_t type, const struct rt_zapi_route *r,
    uint8_t *out);

/* One message read off the stream: its command, and its body. */
struct rt_zapi_msg {
	uint16_t cmd;
	uint32_t vrf;
	const uint8_t *body;		/* inside the buffer given */
	size_t len;			/* the body's */
};

/*
 * The first message in buf (len bytes read so far): its size, with *m
 * filled; 0 when it is not all there yet; -1 with *why when the stream
 * is not ZAPI (a length below the header or above RT_ZAPI_MAX, another
 * marker or version): the connection is to be dropped.
 */
long rt_zapi_frame(const uint8_t *buf, size_t len, struct rt_zapi_msg *m,
    const char **why);

/* Whether m is 8.4's CAPABILITIES, zebra's answer to HELLO (a body of
 * 10 bytes: VRF backend, MPLS, multipath, MLAG role): 0, or -1 with
 * *why. */
int rt_zapi_capabilities(const struct rt_zapi_msg *m, const char **why);

/* What zebra did with a route of the client's (ROUTE_NOTIFY_OWNER). */
enum rt_zapi_note {
	RT_ZAPI_FAIL_INSTALL = 0,
	RT_ZAPI_BETTER_ADMIN_WON = 1,
	RT_ZAPI_INSTALLED = 2,
	RT_ZAPI_REMOVED = 3,
	RT_ZAPI_REMOVE_FAIL = 4,
};

/* A ROUTE_NOTIFY_OWNER's note and route (prefix and plen; distance and
 * metric 0): 0, or -1 with *why. */
int rt_zapi_notify(const struct rt_zapi_msg *m, enum rt_zapi_note *note,
    struct rt_zapi_route *r, const char **why);
/* What note says, in words ("installed"). */
const char *rt_zapi_note_name(enum rt_zapi_note note);

/* An ERROR's code (zebra_error_types: 0 unknown, 1 no such VRF, 2 a
 * message type it does not know): 0, or -1 with *why. */
int rt_zapi_error(const struct rt_zapi_msg *m, uint32_t *code,
    const char **why);

#endif
