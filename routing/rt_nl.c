/*
 * routing/rt_nl.c - rtnetlink requests and dumps (rt_nl.h): a message
 * built into a buffer with its attributes, sent, and the kernel's answer
 * read back, an acknowledgement or the pieces of a dump.
 */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "mem.h"
#include "rt_nl.h"

#define NL_BUF		65536

static void attrs(void *base, size_t len, struct rtattr **tb,
    unsigned max);

int
rt_nl_open(struct rt_nl *nl, char *err, size_t errsize)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 5 };
	int one = 1;

	nl->seq = 1;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0 || bind(nl->fd, (struct sockaddr *)&sa,
	    sizeof(sa)) < 0 || setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO,
	    &tv, sizeof(tv)) < 0) {
		snprintf(err, errsize, "cannot open rtnetlink: %s",
		    strerror(errno));
		if (nl->fd >= 0)
			close(nl->fd);
		nl->fd = -1;
		return -1;
	}
	/* the kernel's own words for a refusal ("Unknown device type") */
	(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one,
	    sizeof(one));
	return 0;
}

void
rt_nl_close(struct rt_nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

/* ---- building ---- */

struct msg {
	unsigned char *buf;
	size_t size;
	struct nlmsghdr *h;
	bool overflow;
};

/* len bytes more, zeroed and padded to 4 as iproute2 pads them */
static void *
put(struct msg *m, size_t len)
{
	size_t at = m->h->nlmsg_len;
	void *p;

	if (m->overflow || at + NLMSG_ALIGN(len) > m->size) {
		m->overflow = true;
		return NULL;
	}
	p = m->buf + at;
	memset(p, 0, NLMSG_ALIGN(len));
	m->h->nlmsg_len = (uint32_t)(at + NLMSG_ALIGN(len));
	return p;
}

static struct rtattr *
attr(struct msg *m, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = put(m, RTA_LENGTH(len));

	if (a == NULL)
		return NULL;
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len > 0)
		memcpy(RTA_DATA(a), data, len);
	return a;
}

/* a nest's length, once its attributes are in */
static void
nest_end(struct msg *m, struct rtattr *nest)
{
	if (nest != NULL && !m->overflow)
		nest->rta_len = (unsigned short)((unsigned char *)m->buf +
		    m->h->nlmsg_len - (unsigned char *)nest);
}

static void
begin(struct msg *m, void *buf, size_t size, uint16_t type, uint16_t flags,
    uint32_t seq)
{
	m->buf = buf;
	m->size = size;
	m->overflow = size < NLMSG_HDRLEN;
	m->h = buf;
	if (m->overflow)
		return;
	memset(buf, 0, NLMSG_HDRLEN);
	m->h->nlmsg_len = NLMSG_HDRLEN;
	m->h->nlmsg_type = type;
	m->h->nlmsg_flags = NLM_F_REQUEST | flags;
	m->h->nlmsg_seq = seq;
}

size_t
rt_nl_vlan_msg(void *buf, size_t size, uint32_t seq, const char *name,
    int parent, unsigned vid, const char *alias)
{
	struct msg m;
	struct ifinfomsg *ifi;
	struct rtattr *info, *data;
	uint32_t link = (uint32_t)parent;
	uint16_t id = (uint16_t)vid;

	begin(&m, buf, size, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL |
	    NLM_F_ACK, seq);
	if (m.overflow || (ifi = put(&m, sizeof(*ifi))) == NULL)
		return 0;
	/* iproute2's order, so that its bytes are the unit test's */
	ifi->ifi_family = AF_UNSPEC;
	attr(&m, IFLA_IFALIAS, alias, strlen(alias));
	attr(&m, IFLA_LINK, &link, sizeof(link));
	attr(&m, IFLA_IFNAME, name, strlen(name) + 1);
	info = attr(&m, IFLA_LINKINFO, NULL, 0);
	attr(&m, IFLA_INFO_KIND, "vlan", 4);
	data = attr(&m, IFLA_INFO_DATA, NULL, 0);
	attr(&m, IFLA_VLAN_ID, &id, sizeof(id));
	nest_end(&m, data);
	nest_end(&m, info);
	return m.overflow ? 0 : m.h->nlmsg_len;
}

/* ---- talking ---- */

/* The kernel's error message in an NLMSG_ERROR, or strerror. */
static void
nl_error(struct nlmsghdr *h, int error, char *err, size_t errsize)
{
	struct nlmsgerr *e = NLMSG_DATA(h);
	size_t off = NLMSG_LENGTH(sizeof(*e));
	struct rtattr *tb[NLMSGERR_ATTR_MAX + 1];
	const char *msg = NULL;

	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len > NLMSG_HDRLEN ?
		    NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN) : 0;
	if ((h->nlmsg_flags & NLM_F_ACK_TLVS) && off < h->nlmsg_len) {
		attrs((char *)h + off, h->nlmsg_len - off, tb,
		    NLMSGERR_ATTR_MAX + 1);
		if (tb[NLMSGERR_ATTR_MSG] != NULL &&
		    RTA_PAYLOAD(tb[NLMSGERR_ATTR_MSG]) > 0 &&
		    memchr(RTA_DATA(tb[NLMSGERR_ATTR_MSG]), '\0',
		    RTA_PAYLOAD(tb[NLMSGERR_ATTR_MSG])) != NULL)
			msg = RTA_DATA(tb[NLMSGERR_ATTR_MSG]);
	}
	snprintf(err, errsize, "%s%s%s", strerror(error), msg ? ": " : "",
	    msg ? msg : "");
}

/* Sends the request in buf and reads its acknowledgement. */
static int
request(struct rt_nl *nl, void *buf, size_t len, char *err, size_t errsize)
{
	unsigned char in[8192];
	struct nlmsghdr *h = buf;
	ssize_t n;

	if (len == 0) {
		snprintf(err, errsize, "a request too long for its buffer");
		return -1;
	}
	if (send(nl->fd, buf, len, 0) != (ssize_t)len ||
	    (n = recv(nl->fd, in, sizeof(in), 0)) < 0) {
		snprintf(err, errsize, "rtnetlink: %s", strerror(errno));
		return -1;
	}
	for (struct nlmsghdr *r = (void *)in; NLMSG_OK(r, (size_t)n);
	    r = NLMSG_NEXT(r, n)) {
		const struct nlmsgerr *e = NLMSG_DATA(r);

		if (r->nlmsg_seq != h->nlmsg_seq || r->nlmsg_type !=
		    NLMSG_ERROR || r->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
			continue;
		if (e->error == 0)
			return 0;
		nl_error(r, e->error < 0 && e->error > INT32_MIN ? -e->error :
		    EPROTO, err, errsize);
		return -1;
	}
	snprintf(err, errsize, "rtnetlink: no acknowledgement");
	return -1;
}

int
rt_nl_vlan_add(struct rt_nl *nl, const char *name, int parent,
    unsigned vid, const char *alias, char *err, size_t errsize)
{
	unsigned char buf[512];

	return request(nl, buf, rt_nl_vlan_msg(buf, sizeof(buf), ++nl->seq,
	    name, parent, vid, alias), err, errsize);
}

int
rt_nl_link_del(struct rt_nl *nl, int index, char *err, size_t errsize)
{
	unsigned char buf[128];
	struct msg m;
	struct ifinfomsg *ifi;

	begin(&m, buf, sizeof(buf), RTM_DELLINK, NLM_F_ACK, ++nl->seq);
	if ((ifi = put(&m, sizeof(*ifi))) == NULL)
		return -1;
	ifi->ifi_index = index;
	return request(nl, buf, m.h->nlmsg_len, err, errsize);
}

int
rt_nl_set(struct rt_nl *nl, int index, unsigned mtu, bool up, char *err,
    size_t errsize)
{
	unsigned char buf[128];
	struct msg m;
	struct ifinfomsg *ifi;
	uint32_t v = mtu;

	begin(&m, buf, sizeof(buf), RTM_NEWLINK, NLM_F_ACK, ++nl->seq);
	if ((ifi = put(&m, sizeof(*ifi))) == NULL)
		return -1;
	ifi->ifi_index = index;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	if (mtu != 0)
		attr(&m, IFLA_MTU, &v, sizeof(v));
	return request(nl, buf, m.h->nlmsg_len, err, errsize);
}

int
rt_nl_addr(struct rt_nl *nl, bool add, int index, const struct rt_prefix *p,
    char *err, size_t errsize)
{
	unsigned char buf[256];
	struct msg m;
	struct ifaddrmsg *ifa;
	size_t alen = p->family == AF_INET ? 4 : 16;
	uint8_t proto = RT_IFA_PROTO;

	begin(&m, buf, sizeof(buf), add ? RTM_NEWADDR : RTM_DELADDR,
	    NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0), ++nl->seq);
	if ((ifa = put(&m, sizeof(*ifa))) == NULL)
		return -1;
	ifa->ifa_family = (unsigned char)p->family;
	ifa->ifa_prefixlen = (unsigned char)p->plen;
	ifa->ifa_index = (unsigned)index;
	attr(&m, IFA_LOCAL, p->addr, alen);
	attr(&m, IFA_ADDRESS, p->addr, alen);
	if (add)
		attr(&m, IFA_PROTO, &proto, sizeof(proto));
	return request(nl, buf, m.h->nlmsg_len, err, errsize);
}

/* ---- dumps ---- */

/* the attributes within [base, base + len) by type into tb (max types);
 * one whose length runs past the end ends the walk */
static void
attrs(void *base, size_t len, struct rtattr **tb, unsigned max)
{
	size_t off = 0;

	memset(tb, 0, max * sizeof(*tb));
	while (off <= len && len - off >= sizeof(struct rtattr)) {
		struct rtattr *a = (void *)((char *)base + off);

		if (a->rta_len < sizeof(*a) || a->rta_len > len - off)
			break;
		if (a->rta_type < max)
			tb[a->rta_type] = a;
		off += RTA_ALIGN(a->rta_len);
	}
}

static void
attr_str(char *dst, size_t size, struct rtattr *a)
{
	size_t n = a != NULL ? RTA_PAYLOAD(a) : 0;

	if (n >= size)
		n = size - 1;
	if (n > 0)
		memcpy(dst, RTA_DATA(a), n);
	dst[n] = '\0';
	dst[strnlen(dst, n)] = '\0';
}

static uint32_t
attr_u32(struct rtattr *a)
{
	uint32_t v = 0;

	if (a != NULL && RTA_PAYLOAD(a) >= sizeof(v))
		memcpy(&v, RTA_DATA(a), sizeof(v));
	return v;
}

/* IFLA_LINKINFO: its kind, and a vlan's ID */
static void
link_info(struct rt_nl_link *l, struct rtattr *info)
{
	struct rtattr *tb[IFLA_INFO_MAX + 1], *vt[IFLA_VLAN_MAX + 1];
	uint16_t id;

	if (info == NULL)
		return;
	attrs(RTA_DATA(info), RTA_PAYLOAD(info), tb, IFLA_INFO_MAX + 1);
	attr_str(l->kind, sizeof(l->kind), tb[IFLA_INFO_KIND]);
	if (strcmp(l->kind, "vlan") != 0 || tb[IFLA_INFO_DATA] == NULL)
		return;
	attrs(RTA_DATA(tb[IFLA_INFO_DATA]), RTA_PAYLOAD(tb[IFLA_INFO_DATA]),
	    vt, IFLA_VLAN_MAX + 1);
	if (vt[IFLA_VLAN_ID] != NULL && RTA_PAYLOAD(vt[IFLA_VLAN_ID]) >=
	    sizeof(id)) {
		memcpy(&id, RTA_DATA(vt[IFLA_VLAN_ID]), sizeof(id));
		l->vlan = id;
	}
}

static int
one_link(struct nlmsghdr *h, struct rt_nl_link *l)
{
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct rtattr *tb[IFLA_MAX + 1];

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return -1;
	memset(l, 0, sizeof(*l));
	l->index = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	attrs(IFLA_RTA(ifi), h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)), tb,
	    IFLA_MAX + 1);
	attr_str(l->name, sizeof(l->name), tb[IFLA_IFNAME]);
	attr_str(l->alias, sizeof(l->alias), tb[IFLA_IFALIAS]);
	l->mtu = attr_u32(tb[IFLA_MTU]);
	l->parent = (int)attr_u32(tb[IFLA_LINK]);
	link_info(l, tb[IFLA_LINKINFO]);
	return 0;
}

static int
one_addr(struct nlmsghdr *h, struct rt_nl_addr *a)
{
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	struct rtattr *tb[IFA_MAX + 1], *at;
	size_t alen;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return -1;
	memset(a, 0, sizeof(*a));
	attrs(IFA_RTA(ifa), h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa)), tb,
	    IFA_MAX + 1);
	alen = ifa->ifa_family == AF_INET ? 4 : 16;
	at = tb[IFA_LOCAL] != NULL ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if ((ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) ||
	    at == NULL || RTA_PAYLOAD(at) < alen ||
	    ifa->ifa_prefixlen > alen * 8)
		return 1;		/* not one edged handles */
	a->index = (int)ifa->ifa_index;
	a->p.family = ifa->ifa_family;
	a->p.plen = ifa->ifa_prefixlen;
	memcpy(a->p.addr, RTA_DATA(at), alen);
	if (tb[IFA_PROTO] != NULL && RTA_PAYLOAD(tb[IFA_PROTO]) >= 1)
		a->proto = *(const uint8_t *)RTA_DATA(tb[IFA_PROTO]);
	return 0;
}

/* The messages in buf: each of type want through fn into the array;
 * 1 at NLMSG_DONE. */
static int
parse_dump(void *buf, size_t len, uint16_t want, void **v, size_t *n,
    size_t size, int (*fn)(struct nlmsghdr *, void *), char *err,
    size_t errsize)
{
	size_t off = 0;

	while (off < len) {
		struct nlmsghdr *h = (void *)((char *)buf + off);
		int rc;

		if (len - off < NLMSG_HDRLEN || h->nlmsg_len < NLMSG_HDRLEN ||
		    h->nlmsg_len > len - off)
			break;
		off += NLMSG_ALIGN(h->nlmsg_len);
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				break;
			nl_error(h, e->error < 0 && e->error > INT32_MIN ?
			    -e->error : EPROTO, err, errsize);
			return -1;
		}
		if (h->nlmsg_type != want)
			continue;
		if (mem_resize(v, *n + 1, size) == -1) {
			snprintf(err, errsize, "out of memory");
			return -1;
		}
		if ((rc = fn(h, (char *)*v + *n * size)) < 0)
			break;
		*n += rc == 0;
	}
	if (off >= len)
		return 0;
	snprintf(err, errsize, "rtnetlink: a reply that is not one");
	return -1;
}

static int
link_fn(struct nlmsghdr *h, void *out)
{
	return one_link(h, out);
}

static int
addr_fn(struct nlmsghdr *h, void *out)
{
	return one_addr(h, out);
}

int
rt_nl_parse_links(void *buf, size_t len, struct rt_nl_link **v,
    size_t *n, char *err, size_t errsize)
{
	return parse_dump(buf, len, RTM_NEWLINK, (void **)v, n, sizeof(**v),
	    link_fn, err, errsize);
}

int
rt_nl_parse_addrs(void *buf, size_t len, struct rt_nl_addr **v,
    size_t *n, char *err, size_t errsize)
{
	return parse_dump(buf, len, RTM_NEWADDR, (void **)v, n, sizeof(**v),
	    addr_fn, err, errsize);
}

/* Asks for a dump of type, and reads it whole through parse. */
static int
dump(struct rt_nl *nl, uint16_t type, size_t hdrlen,
    int (*parse)(void *, size_t, void *, size_t *, char *, size_t),
    void *v, size_t *n, char *err, size_t errsize)
{
	unsigned char buf[64], *in = malloc(NL_BUF);
	struct msg m;
	ssize_t got;
	int rc = 0;

	*n = 0;
	begin(&m, buf, sizeof(buf), type, NLM_F_DUMP, ++nl->seq);
	if (in == NULL || put(&m, hdrlen) == NULL ||
	    send(nl->fd, buf, m.h->nlmsg_len, 0) < 0) {
		snprintf(err, errsize, "rtnetlink: %s", in == NULL ?
		    "out of memory" : strerror(errno));
		free(in);
		return -1;
	}
	while (rc == 0) {
		if ((got = recv(nl->fd, in, NL_BUF, MSG_TRUNC)) <= 0 ||
		    got > NL_BUF) {
			snprintf(err, errsize, "rtnetlink: %s", got < 0 ?
			    strerror(errno) : got == 0 ? "closed" :
			    "a reply larger than its buffer");
			rc = -1;
			break;
		}
		rc = parse(in, (size_t)got, v, n, err, errsize);
	}
	free(in);
	return rc < 0 ? -1 : 0;
}

static int
links_cb(void *b, size_t l, void *v, size_t *n, char *e, size_t es)
{
	return rt_nl_parse_links(b, l, v, n, e, es);
}

static int
addrs_cb(void *b, size_t l, void *v, size_t *n, char *e, size_t es)
{
	return rt_nl_parse_addrs(b, l, v, n, e, es);
}

int
rt_nl_links(struct rt_nl *nl, struct rt_nl_link **v, size_t *n, char *err,
    size_t errsize)
{
	*v = NULL;
	return dump(nl, RTM_GETLINK, sizeof(struct ifinfomsg), links_cb, v, n,
	    err, errsize);
}

int
rt_nl_addrs(struct rt_nl *nl, struct rt_nl_addr **v, size_t *n, char *err,
    size_t errsize)
{
	*v = NULL;
	return dump(nl, RTM_GETADDR, sizeof(struct ifaddrmsg), addrs_cb, v, n,
	    err, errsize);
}
