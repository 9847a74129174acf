/*
 * fw/fw_route.c - the transparent pools' rule and route, through
 * rtnetlink (see fw_route.h).
 */
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "fw_route.h"

/* A request: header, family message, attributes. */
struct req {
	struct nlmsghdr h;
	char body[256];
};

static void
attr_put(struct req *r, uint16_t type, const void *v, size_t len)
{
	/* from r, not r->h (the same address): the compiler then knows
	 * the room there is */
	struct rtattr *a = (struct rtattr *)((char *)r +
	    NLMSG_ALIGN(r->h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), v, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static void
attr_u32(struct req *r, uint16_t type, uint32_t v)
{
	attr_put(r, type, &v, sizeof(v));
}

static void
rule_req(struct req *r, int family, bool on)
{
	struct fib_rule_hdr *f = NLMSG_DATA(&r->h);

	r->h.nlmsg_type = on ? RTM_NEWRULE : RTM_DELRULE;
	r->h.nlmsg_len = NLMSG_LENGTH(sizeof(*f));
	f->family = (uint8_t)family;
	f->action = FR_ACT_TO_TBL;
	attr_u32(r, FRA_FWMARK, FW_TPROXY_MARK);
	attr_u32(r, FRA_FWMASK, 0xffffffff);
	attr_u32(r, FRA_PRIORITY, FW_TPROXY_TABLE);
	attr_u32(r, FRA_TABLE, FW_TPROXY_TABLE);
	attr_put(r, FRA_PROTOCOL, &(uint8_t){ FW_RTPROT }, 1);
}

static void
route_req(struct req *r, int family, bool on)
{
	struct rtmsg *m = NLMSG_DATA(&r->h);

	r->h.nlmsg_type = on ? RTM_NEWROUTE : RTM_DELROUTE;
	r->h.nlmsg_len = NLMSG_LENGTH(sizeof(*m));
	m->rtm_family = (uint8_t)family;
	m->rtm_table = RT_TABLE_UNSPEC;
	m->rtm_protocol = FW_RTPROT;
	m->rtm_scope = RT_SCOPE_HOST;
	m->rtm_type = RTN_LOCAL;
	attr_u32(r, RTA_TABLE, FW_TPROXY_TABLE);
	attr_u32(r, RTA_OIF, if_nametoindex("lo"));
}

int
fw_route_parse_ack(const void *buf, size_t len, uint32_t seq)
{
	const unsigned char *p = buf;
	size_t off = 0;

	/* each message whole within len; the next one at its aligned end
	 * (NLMSG_NEXT would let len wrap past a last one cut short) */
	while (len - off >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr h;
		struct nlmsgerr e;

		memcpy(&h, p + off, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
			break;
		if (h.nlmsg_seq == seq && h.nlmsg_type == NLMSG_ERROR) {
			if (h.nlmsg_len < NLMSG_LENGTH(sizeof(e)))
				return EPROTO;
			memcpy(&e, p + off + NLMSG_HDRLEN, sizeof(e));
			/* a negative errno; anything else is not one */
			return e.error <= 0 && e.error > -4096 ? -e.error :
			    EPROTO;
		}
		if (NLMSG_ALIGN(h.nlmsg_len) >= len - off)
			break;
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
	return -1;
}

/* Sends r and reads its acknowledgement: 0, or the kernel's errno. */
static int
talk(int fd, struct req *r, uint32_t seq)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	_Alignas(struct nlmsghdr) char buf[4096];
	ssize_t n;
	int e;

	r->h.nlmsg_seq = seq;
	if (sendto(fd, r, r->h.nlmsg_len, 0, (struct sockaddr *)&to,
	    sizeof(to)) < 0)
		return errno;
	for (;;) {
		if ((n = recv(fd, buf, sizeof(buf), 0)) < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if ((e = fw_route_parse_ack(buf, (size_t)n, seq)) >= 0)
			return e;
	}
}

/* What adding or removing leaves as it should be anyway. */
static bool
harmless(int e, bool on)
{
	return e == 0 || (on && e == EEXIST) ||
	    (!on && (e == ENOENT || e == ESRCH));
}

int
fw_route_transparent(int family, bool on, char *err, size_t errsize)
{
	struct timeval tv = { .tv_sec = 2 };
	struct req r;
	int fd, e;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		snprintf(err, errsize, "rtnetlink: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&r, 0, sizeof(r));
	r.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
	    (on ? NLM_F_CREATE | NLM_F_EXCL : 0);
	rule_req(&r, family, on);
	e = talk(fd, &r, 1);
	if (harmless(e, on)) {
		uint16_t flags = r.h.nlmsg_flags;

		memset(&r, 0, sizeof(r));
		r.h.nlmsg_flags = flags;
		route_req(&r, family, on);
		e = talk(fd, &r, 2);
	}
	(void)close(fd);
	if (harmless(e, on))
		return 0;
	snprintf(err, errsize, "%s the %s rule or route of table %d: %s",
	    on ? "adding" : "removing", family == AF_INET ? "IPv4" : "IPv6",
	    FW_TPROXY_TABLE, strerror(e));
	return -1;
}

/* r sent on a socket of its own: 0, or the kernel's errno */
static int
request(struct req *r)
{
	struct timeval tv = { .tv_sec = 2 };
	int fd, e;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	e = talk(fd, r, 1);
	(void)close(fd);
	return e;
}

int
fw_route_steer_rule(int family, uint32_t mark, uint32_t table, bool on,
    char *err, size_t errsize)
{
	struct req r;
	struct fib_rule_hdr *f = NLMSG_DATA(&r.h);
	int e;

	memset(&r, 0, sizeof(r));
	r.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
	    (on ? NLM_F_CREATE | NLM_F_EXCL : 0);
	r.h.nlmsg_type = on ? RTM_NEWRULE : RTM_DELRULE;
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(*f));
	f->family = (uint8_t)family;
	f->action = FR_ACT_TO_TBL;
	attr_u32(&r, FRA_FWMARK, mark);
	attr_u32(&r, FRA_FWMASK, 0xffffffff);
	attr_u32(&r, FRA_PRIORITY, FW_STEER_PRIO);
	attr_u32(&r, FRA_TABLE, table);
	attr_put(&r, FRA_PROTOCOL, &(uint8_t){ FW_RTPROT }, 1);
	if (harmless(e = request(&r), on))
		return 0;
	snprintf(err, errsize, "%s the %s rule fwmark %#x lookup %u: %s",
	    on ? "adding" : "removing", family == AF_INET ? "IPv4" : "IPv6",
	    mark, table, strerror(e));
	return -1;
}

/* r: table's default route set (kind), or removed */
static void
default_req(struct req *r, int family, uint32_t table, enum fw_route_kind kind,
    const uint8_t *gw, unsigned ifindex)
{
	struct rtmsg *m = NLMSG_DATA(&r->h);

	r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
	    (kind != FW_RT_NONE ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	r->h.nlmsg_type = kind != FW_RT_NONE ? RTM_NEWROUTE : RTM_DELROUTE;
	r->h.nlmsg_len = NLMSG_LENGTH(sizeof(*m));
	m->rtm_family = (uint8_t)family;
	m->rtm_table = RT_TABLE_UNSPEC;
	m->rtm_protocol = FW_RTPROT;
	m->rtm_scope = RT_SCOPE_UNIVERSE;
	/* a removal names no type: the route there may be a blackhole */
	m->rtm_type = kind == FW_RT_BLACKHOLE ? RTN_BLACKHOLE : kind ==
	    FW_RT_VIA ? RTN_UNICAST : RTN_UNSPEC;
	attr_u32(r, RTA_TABLE, table);
	if (kind == FW_RT_VIA) {
		attr_put(r, RTA_GATEWAY, gw, family == AF_INET ? 4 : 16);
		attr_u32(r, RTA_OIF, ifindex);
	}
}

int
fw_route_steer_default(int family, uint32_t table, enum fw_route_kind kind,
    const uint8_t *gw, const char *ifname, char *err, size_t errsize)
{
	struct req r;
	unsigned ifindex = 0;
	int e;

	if (kind == FW_RT_VIA && (ifindex = if_nametoindex(ifname)) == 0) {
		snprintf(err, errsize, "table %u: no interface %s", table,
		    ifname);
		return -1;
	}
	memset(&r, 0, sizeof(r));
	default_req(&r, family, table, kind, gw, ifindex);
	if (harmless(e = request(&r), kind != FW_RT_NONE))
		return 0;
	snprintf(err, errsize, "%s the %s default route of table %u: %s",
	    kind != FW_RT_NONE ? "setting" : "removing", family == AF_INET ?
	    "IPv4" : "IPv6", table, strerror(e));
	return -1;
}
