/*
 * routing/rt_zapi.c - ZAPI messages, FRR 8.4 (rt_zapi.h).  Every field
 * is big-endian (zebra's stream_putw/putl) except a ROUTE_NOTIFY_OWNER's
 * note and an ERROR's code, which zebra copies in its own byte order.
 */
#include <netinet/in.h>
#include <string.h>

#include "rt_zapi.h"

/* ZAPI_MESSAGE_* and the next-hop type edged uses */
#define MSG_NEXTHOP		0x01
#define MSG_DISTANCE		0x02
#define MSG_METRIC		0x04
#define NEXTHOP_BLACKHOLE	6
#define BLACKHOLE_NULL		1
#define SAFI_UNICAST		1

static uint8_t *
put8(uint8_t *p, uint8_t v)
{
	*p = v;
	return p + 1;
}

static uint8_t *
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* The header of a message of cmd whose body ends at end (out is where
 * it starts): the total length. */
static size_t
finish(uint8_t *out, uint16_t cmd, const uint8_t *end)
{
	size_t len = (size_t)(end - out);
	uint8_t *p = out;

	p = put16(p, (uint16_t)len);
	p = put8(p, RT_ZAPI_MARKER);
	p = put8(p, RT_ZAPI_VERSION);
	p = put32(p, 0);		/* VRF_DEFAULT */
	(void)put16(p, cmd);
	return len;
}

size_t
rt_zapi_hello(uint8_t type, uint8_t *out)
{
	uint8_t *p = out + RT_ZAPI_HEADER;

	p = put8(p, type);
	p = put16(p, 0);		/* instance: `redistribute` matches 0 */
	p = put32(p, 0);		/* session id */
	p = put8(p, 1);			/* receive_notify */
	p = put8(p, 0);			/* not synchronous */
	return finish(out, RT_ZAPI_HELLO, p);
}

/* r's address bytes and their number (4 or 16), or NULL. */
static const uint8_t *
route_addr(const struct rt_zapi_route *r, size_t *alen)
{
	if (r->prefix.ss_family == AF_INET) {
		*alen = 4;
		return (const uint8_t *)&((const struct sockaddr_in *)
		    &r->prefix)->sin_addr;
	}
	if (r->prefix.ss_family == AF_INET6) {
		*alen = 16;
		return ((const struct sockaddr_in6 *)&r->prefix)->
		    sin6_addr.s6_addr;
	}
	return NULL;
}

size_t
rt_zapi_route(bool add, uint8_t type, const struct rt_zapi_route *r,
    uint8_t *out)
{
	uint8_t *p = out + RT_ZAPI_HEADER;
	const uint8_t *a;
	size_t alen, plen_bytes;

	if ((a = route_addr(r, &alen)) == NULL || r->plen > alen * 8)
		return 0;
	plen_bytes = (r->plen + 7u) / 8;
	p = put8(p, type);
	p = put16(p, 0);		/* instance */
	p = put32(p, 0);		/* flags */
	p = put32(p, add ? MSG_NEXTHOP | MSG_DISTANCE | MSG_METRIC : 0);
	p = put8(p, SAFI_UNICAST);
	p = put8(p, r->prefix.ss_family == AF_INET ? 2 : 10);
	p = put8(p, r->plen);
	memcpy(p, a, plen_bytes);
	p += plen_bytes;
	if (!add)
		return finish(out, RT_ZAPI_ROUTE_DELETE, p);
	p = put16(p, 1);		/* one next hop: */
	p = put32(p, 0);		/* its VRF */
	p = put8(p, NEXTHOP_BLACKHOLE);
	p = put8(p, 0);			/* flags */
	p = put8(p, BLACKHOLE_NULL);
	p = put8(p, r->distance);
	p = put32(p, r->metric);
	return finish(out, RT_ZAPI_ROUTE_ADD, p);
}

long
rt_zapi_frame(const uint8_t *buf, size_t len, struct rt_zapi_msg *m,
    const char **why)
{
	uint16_t total;

	if (len < 2)
		return 0;
	total = get16(buf);
	if (total < RT_ZAPI_HEADER || total > RT_ZAPI_MAX) {
		*why = "a message length out of bounds";
		return -1;
	}
	if (len < RT_ZAPI_HEADER)
		return 0;
	if (buf[2] != RT_ZAPI_MARKER) {
		*why = "not a ZAPI message (marker)";
		return -1;
	}
	if (buf[3] != RT_ZAPI_VERSION) {
		*why = "a ZAPI version other than 6";
		return -1;
	}
	if (len < total)
		return 0;
	*m = (struct rt_zapi_msg){ .vrf = get32(buf + 4),
	    .cmd = get16(buf + 8), .body = buf + RT_ZAPI_HEADER,
	    .len = total - RT_ZAPI_HEADER };
	return total;
}

int
rt_zapi_capabilities(const struct rt_zapi_msg *m, const char **why)
{
	if (m->cmd != RT_ZAPI_CAPABILITIES || m->len != 10) {
		*why = "zebra did not answer HELLO as FRR 8.4 does (is it "
		    "another FRR release?)";
		return -1;
	}
	return 0;
}

int
rt_zapi_notify(const struct rt_zapi_msg *m, enum rt_zapi_note *note,
    struct rt_zapi_route *r, const char **why)
{
	const uint8_t *b = m->body;
	uint32_t n;
	size_t alen;

	/* note, family, plen, the whole address, table, afi, safi */
	if (m->cmd != RT_ZAPI_ROUTE_NOTIFY_OWNER || m->len < 6) {
		*why = "not a route notification";
		return -1;
	}
	memcpy(&n, b, 4);		/* zebra's byte order */
	*r = (struct rt_zapi_route){ .plen = b[5] };
	if (b[4] == 2) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&r->prefix;

		alen = 4;
		sin->sin_family = AF_INET;
		if (m->len == 6 + alen + 6)
			memcpy(&sin->sin_addr, b + 6, alen);
	} else if (b[4] == 10) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&r->prefix;

		alen = 16;
		sin6->sin6_family = AF_INET6;
		if (m->len == 6 + alen + 6)
			memcpy(&sin6->sin6_addr, b + 6, alen);
	} else {
		*why = "a route notification of an unknown family";
		return -1;
	}
	if (m->len != 6 + alen + 6 || r->plen > alen * 8 ||
	    n > RT_ZAPI_REMOVE_FAIL) {
		*why = "a route notification out of shape";
		return -1;
	}
	*note = (enum rt_zapi_note)n;
	return 0;
}

const char *
rt_zapi_note_name(enum rt_zapi_note note)
{
	static const char *const names[] = {
		[RT_ZAPI_FAIL_INSTALL] = "not installed",
		[RT_ZAPI_BETTER_ADMIN_WON] = "not selected (another won)",
		[RT_ZAPI_INSTALLED] = "installed",
		[RT_ZAPI_REMOVED] = "removed",
		[RT_ZAPI_REMOVE_FAIL] = "not removed",
	};

	return (unsigned)note < sizeof(names) / sizeof(names[0]) ?
	    names[note] : "unknown";
}

int
rt_zapi_error(const struct rt_zapi_msg *m, uint32_t *code, const char **why)
{
	if (m->cmd != RT_ZAPI_ERROR || m->len != 4) {
		*why = "not an error message";
		return -1;
	}
	memcpy(code, m->body, 4);	/* zebra's byte order */
	return 0;
}
