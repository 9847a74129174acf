/*
 * fw/fw_netlink.c - set elements and counters of table inet edged, in
 * nfnetlink messages built here (see fw_netlink.h for why).
 *
 * A message is a netlink header, nfnetlink's generic header (the family,
 * NFPROTO_INET) and attributes, nested where nf_tables.h says so.  Set
 * element changes go in a batch (NFNL_MSG_BATCH_BEGIN ... END), which
 * nf_tables applies as one transaction; every message in it asks for an
 * acknowledgement, and the kernel has queued them all by the time
 * sendmsg returns, since it processes the batch in the sender's context.
 * The counters are a dump of the table's counter objects.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* after the libc's: linux/netfilter.h would define in_addr again */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "fw_netlink.h"
#include "fw_nlmsg.h"
#include "fw_nft.h"

#define RBUF_SIZE	65536		/* above what a dump part can be */
#define ELEMS_PER_MSG	1024		/* a nested attribute's length is
					 * 16 bits: 1024 x 28 bytes fits */
#define ANSWER_WAIT_MS	1000

struct fw_nl {
	int fd;
	uint32_t seq;
	char table[FW_NAME_MAX];
	uint8_t *buf;			/* the batch or request being built */
	size_t len, cap;
	uint32_t batch_seq;		/* the batch's BATCH_BEGIN */
	struct fw_nl_sent *sent;	/* the batch's change messages */
	size_t nsent, sent_cap;
	int sndbuf;			/* what SO_SNDBUF was raised to */
	int rcvbuf;			/* what SO_RCVBUF was raised to */
	bool oom;
	/* netlink headers are read in place: aligned as they are */
	_Alignas(struct nlmsghdr) uint8_t rbuf[RBUF_SIZE];
};

struct fw_nl *
fw_nl_open(char *err, size_t errsize)
{
	struct fw_nl *nl = calloc(1, sizeof(*nl));
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 2 };
	int one = 1;

	if (nl == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_NETFILTER);
	if (nl->fd < 0 || bind(nl->fd, (struct sockaddr *)&sa,
	    sizeof(sa)) < 0) {
		snprintf(err, errsize, "netfilter netlink socket: %s",
		    strerror(errno));
		if (nl->fd >= 0)
			close(nl->fd);
		free(nl);
		return NULL;
	}
	/* acknowledgements without a copy of the request; a dump that
	 * stalls must not stall the master for ever */
	(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one,
	    sizeof(one));
	(void)setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	nl->seq = (uint32_t)time(NULL);
	return nl;
}

void
fw_nl_close(struct fw_nl **nl)
{
	if (*nl == NULL)
		return;
	close((*nl)->fd);
	free((*nl)->buf);
	free((*nl)->sent);
	free(*nl);
	*nl = NULL;
}

/* ---- building messages ---- */

/* Room for n more bytes, zeroed; NULL (and oom set) out of memory. */
static void *
grow(struct fw_nl *nl, size_t n)
{
	void *p;

	if (nl->oom)
		return NULL;
	if (nl->len + n > nl->cap) {
		size_t cap = nl->cap ? nl->cap : 4096;
		uint8_t *b;

		while (cap < nl->len + n)
			cap *= 2;
		if ((b = realloc(nl->buf, cap)) == NULL) {
			nl->oom = true;
			return NULL;
		}
		nl->buf = b;
		nl->cap = cap;
	}
	p = nl->buf + nl->len;
	memset(p, 0, n);
	nl->len += n;
	return p;
}

/* Starts a message; its offset in the buffer. */
size_t
fw_nl_msg_start(struct fw_nl *nl, uint16_t type, uint16_t flags,
    uint8_t family, uint16_t res_id)
{
	size_t off = nl->len;
	struct nlmsghdr *h = grow(nl, NLMSG_HDRLEN +
	    NLMSG_ALIGN(sizeof(struct nfgenmsg)));
	struct nfgenmsg *g;

	if (h == NULL)
		return off;
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = nl->seq++;
	g = (struct nfgenmsg *)((uint8_t *)h + NLMSG_HDRLEN);
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	return off;
}

void
fw_nl_msg_end(struct fw_nl *nl, size_t off)
{
	if (!nl->oom)
		((struct nlmsghdr *)(nl->buf + off))->nlmsg_len =
		    (uint32_t)(nl->len - off);
}

void
fw_nl_attr(struct fw_nl *nl, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = grow(nl, NLA_HDRLEN + NLA_ALIGN(len));

	if (a == NULL)
		return;
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
}

void
fw_nl_attr_str(struct fw_nl *nl, uint16_t type, const char *s)
{
	fw_nl_attr(nl, type, s, strlen(s) + 1);
}

size_t
fw_nl_nest_start(struct fw_nl *nl, uint16_t type)
{
	size_t off = nl->len;
	struct nlattr *a = grow(nl, NLA_HDRLEN);

	if (a != NULL)
		a->nla_type = type | NLA_F_NESTED;
	return off;
}

void
fw_nl_nest_end(struct fw_nl *nl, size_t off)
{
	if (!nl->oom)
		((struct nlattr *)(nl->buf + off))->nla_len =
		    (uint16_t)(nl->len - off);
}

/* ---- the set element transaction ---- */

void
fw_nl_begin(struct fw_nl *nl, const char *table)
{
	size_t off;

	nl->len = 0;
	nl->nsent = 0;
	nl->oom = false;
	snprintf(nl->table, sizeof(nl->table), "%s", table);
	nl->batch_seq = nl->seq;
	off = fw_nl_msg_start(nl, NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST,
	    AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	fw_nl_msg_end(nl, off);
}

int
fw_nl_note(struct fw_nl *nl, uint32_t seq, const char *what, unsigned line,
    bool add)
{
	struct fw_nl_sent *s;

	if (nl->nsent == nl->sent_cap) {
		size_t cap = nl->sent_cap ? nl->sent_cap * 2 : 8;

		if ((s = realloc(nl->sent, cap * sizeof(*s))) == NULL) {
			nl->oom = true;
			return -1;
		}
		nl->sent = s;
		nl->sent_cap = cap;
	}
	s = &nl->sent[nl->nsent++];
	s->seq = seq;
	s->add = add;
	s->line = line;
	s->table = true;
	snprintf(s->set, sizeof(s->set), "%s", what);
	return 0;
}

/* a set elements' message, named by its set */
static void
note_elems(struct fw_nl *nl, uint32_t seq, const char *set, bool add)
{
	if (fw_nl_note(nl, seq, set, 0, add) == 0)
		nl->sent[nl->nsent - 1].table = false;
}

uint32_t
fw_nl_next_seq(const struct fw_nl *nl)
{
	return nl->seq;
}

const char *
fw_nl_table(const struct fw_nl *nl)
{
	return nl->table;
}

bool
fw_nl_oom(const struct fw_nl *nl)
{
	return nl->oom;
}

/* A NEWSETELEM (add) or DELSETELEM message begun, naming the table and
 * set; its offset, for msg_end */
static size_t
elems_start(struct fw_nl *nl, const char *set, bool add)
{
	uint16_t type = (NFNL_SUBSYS_NFTABLES << 8) |
	    (add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM);
	uint16_t flags = NLM_F_REQUEST | NLM_F_ACK |
	    (add ? NLM_F_CREATE : 0);
	size_t off = fw_nl_msg_start(nl, type, flags, NFPROTO_INET, 0);

	fw_nl_attr_str(nl, NFTA_SET_ELEM_LIST_TABLE, nl->table);
	fw_nl_attr_str(nl, NFTA_SET_ELEM_LIST_SET, set);
	return off;
}

/* One NEWSETELEM / DELSETELEM message with the elements of family among
 * a[from..to); none (from == to) deletes them all. */
static void
elems_msg(struct fw_nl *nl, const char *set, bool add, int family,
    const struct fw_prefix *a, size_t from, size_t to)
{
	size_t w = family == AF_INET ? 4 : 16;
	uint32_t seq = nl->seq;
	size_t off = elems_start(nl, set, add), list;

	if (to > from) {
		list = fw_nl_nest_start(nl, NFTA_SET_ELEM_LIST_ELEMENTS);
		for (size_t i = from; i < to; i++) {
			size_t el, key;

			if (a[i].family != family)
				continue;
			el = fw_nl_nest_start(nl, NFTA_LIST_ELEM);
			key = fw_nl_nest_start(nl, NFTA_SET_ELEM_KEY);
			fw_nl_attr(nl, NFTA_DATA_VALUE, a[i].addr, w);
			fw_nl_nest_end(nl, key);
			fw_nl_nest_end(nl, el);
		}
		fw_nl_nest_end(nl, list);
	}
	fw_nl_msg_end(nl, off);
	note_elems(nl, seq, set, add);
}

int
fw_nl_elems(struct fw_nl *nl, const char *set, bool add, int family,
    const struct fw_prefix *a, size_t n)
{
	size_t count = 0, from = 0;

	/* ELEMS_PER_MSG elements of the family per message */
	for (size_t i = 0; i < n; i++) {
		if (a[i].family != family)
			continue;
		if (++count == ELEMS_PER_MSG) {
			elems_msg(nl, set, add, family, a, from, i + 1);
			from = i + 1;
			count = 0;
		}
	}
	if (count > 0)
		elems_msg(nl, set, add, family, a, from, n);
	return nl->oom ? -1 : 0;
}

/* One NEWSETELEM / DELSETELEM message with e[0..n). */
static void
raw_msg(struct fw_nl *nl, const char *set, bool add,
    const struct fw_nl_elem *e, size_t n)
{
	uint32_t seq = nl->seq;
	size_t off = elems_start(nl, set, add), list;

	list = fw_nl_nest_start(nl, NFTA_SET_ELEM_LIST_ELEMENTS);
	for (size_t i = 0; i < n; i++) {
		size_t el = fw_nl_nest_start(nl, NFTA_LIST_ELEM), k;

		k = fw_nl_nest_start(nl, NFTA_SET_ELEM_KEY);
		fw_nl_attr(nl, NFTA_DATA_VALUE, e[i].key, e[i].keylen);
		fw_nl_nest_end(nl, k);
		if (add && e[i].datalen > 0) {
			k = fw_nl_nest_start(nl, NFTA_SET_ELEM_DATA);
			fw_nl_attr(nl, NFTA_DATA_VALUE, e[i].data,
			    e[i].datalen);
			fw_nl_nest_end(nl, k);
		}
		fw_nl_nest_end(nl, el);
	}
	fw_nl_nest_end(nl, list);
	fw_nl_msg_end(nl, off);
	note_elems(nl, seq, set, add);
}

int
fw_nl_elems_raw(struct fw_nl *nl, const char *set, bool add,
    const struct fw_nl_elem *e, size_t n)
{
	/* 512 of up to 72 bytes each stay within a nested attribute's
	 * 16-bit length */
	for (size_t i = 0; i < n; i += 512)
		raw_msg(nl, set, add, e + i, n - i < 512 ? n - i : 512);
	return nl->oom ? -1 : 0;
}

/* One element of an interval set: key, and the flag of a range's end */
static void
range_elem(struct fw_nl *nl, const uint8_t *key, size_t w, bool end)
{
	size_t el = fw_nl_nest_start(nl, NFTA_LIST_ELEM);
	size_t k = fw_nl_nest_start(nl, NFTA_SET_ELEM_KEY);

	fw_nl_attr(nl, NFTA_DATA_VALUE, key, w);
	fw_nl_nest_end(nl, k);
	if (end) {
		uint32_t f = htonl(NFT_SET_ELEM_INTERVAL_END);

		fw_nl_attr(nl, NFTA_SET_ELEM_FLAGS, &f, sizeof(f));
	}
	fw_nl_nest_end(nl, el);
}

/* One NEWSETELEM / DELSETELEM message with the ranges r[0..n): each its
 * start (lo), then its end (the address after hi, flagged), as nft sends
 * them; a range that reaches the top of the space has no end. */
static void
ranges_msg(struct fw_nl *nl, const char *set, bool add, int family,
    const struct fw_range *r, size_t n)
{
	size_t w = family == AF_INET ? 4 : 16;
	uint32_t seq = nl->seq;
	size_t off = elems_start(nl, set, add), list;

	list = fw_nl_nest_start(nl, NFTA_SET_ELEM_LIST_ELEMENTS);
	for (size_t i = 0; i < n; i++) {
		uint8_t next[16];
		size_t b = w;

		range_elem(nl, r[i].lo, w, false);
		memcpy(next, r[i].hi, w);
		while (b > 0 && ++next[b - 1] == 0)
			b--;
		if (b > 0)		/* else hi is the last address */
			range_elem(nl, next, w, true);
	}
	fw_nl_nest_end(nl, list);
	fw_nl_msg_end(nl, off);
	note_elems(nl, seq, set, add);
}

int
fw_nl_ranges(struct fw_nl *nl, const char *set, bool add, int family,
    const struct fw_range *r, size_t n)
{
	/* 256 ranges of two elements of up to 44 bytes each stay within a
	 * nested attribute's 16-bit length */
	for (size_t i = 0; i < n; i += 256)
		ranges_msg(nl, set, add, family, r + i, n - i < 256 ? n - i :
		    256);
	return nl->oom ? -1 : 0;
}

int
fw_nl_flush(struct fw_nl *nl, const char *set)
{
	/* a DELSETELEM without elements empties the set */
	elems_msg(nl, set, false, AF_UNSPEC, NULL, 0, 0);
	return nl->oom ? -1 : 0;
}

/* A batch bigger than the socket's send buffer is refused whole
 * (EMSGSIZE): raise it, as root may beyond the system's maximum. */
static void
raise_buf(int fd, int force, int plain, int want)
{
	if (setsockopt(fd, SOL_SOCKET, force, &want, sizeof(want)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, plain, &want, sizeof(want));
}

static void
fit_sndbuf(struct fw_nl *nl)
{
	int want = (int)nl->len + 4096;

	if (nl->len < 128 * 1024 || want <= nl->sndbuf)
		return;
	raise_buf(nl->fd, SO_SNDBUFFORCE, SO_SNDBUF, want);
	nl->sndbuf = want;
}

/* The kernel answers each message of a batch at once, one buffer each
 * (about 1 KiB counted against the socket, whatever the answer's own
 * size): room for all of them, or the last ones are lost (ENOBUFS). */
static void
fit_rcvbuf(struct fw_nl *nl)
{
	int want = (int)(nl->nsent * 2048 + 65536);

	if (nl->nsent < 64 || want <= nl->rcvbuf)
		return;
	raise_buf(nl->fd, SO_RCVBUFFORCE, SO_RCVBUF, want);
	nl->rcvbuf = want;
}

static int
send_all(struct fw_nl *nl, char *err, size_t errsize)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	ssize_t n;

	fit_sndbuf(nl);
	fit_rcvbuf(nl);
	do
		n = sendto(nl->fd, nl->buf, nl->len, 0, (struct sockaddr *)&to,
		    sizeof(to));
	while (n < 0 && errno == EINTR);
	if (n < 0 || (size_t)n != nl->len) {
		snprintf(err, errsize, "netlink send: %s", n < 0 ?
		    strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

/* ---- reading the kernel's answers ---- */

/* The kernel's error number e (negative) in words; any other value too,
 * where strerror(-e) would overflow. */
static const char *
nl_strerror(int e, char *buf, size_t size)
{
	if (e < 0 && e > -4096)
		return strerror(-e);
	snprintf(buf, size, "error %d from the kernel", e);
	return buf;
}

/* h if the len bytes from h on hold a whole message, else NULL. */
static const struct nlmsghdr *
whole_msg(const struct nlmsghdr *h, size_t len)
{
	if (len < NLMSG_HDRLEN || h->nlmsg_len < NLMSG_HDRLEN ||
	    h->nlmsg_len > len)
		return NULL;
	return h;
}

/*
 * The whole message after h, *len the bytes from h on, then from it;
 * NULL after the last.  NLMSG_NEXT would cast const away, and with an
 * unsigned len wrap past a last message whose length is not a multiple
 * of 4.
 */
static const struct nlmsghdr *
next_msg(const struct nlmsghdr *h, size_t *len)
{
	size_t step = NLMSG_ALIGN(h->nlmsg_len);

	if (step >= *len)
		return NULL;
	*len -= step;
	return whole_msg((const struct nlmsghdr *)((const uint8_t *)h + step),
	    *len);
}

/* The change message of b numbered seq: they were noted in the order
 * they were numbered (a table's batch has tens of thousands). */
static const struct fw_nl_sent *
sent_of(const struct fw_nl_batch *b, uint32_t seq)
{
	size_t lo = 0, hi = b->nsent;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t d = b->sent[mid].seq - b->first_seq;

		if (d == seq - b->first_seq)
			return &b->sent[mid];
		if (d < seq - b->first_seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- the change notices ---- */

int
fw_nl_watch_open(char *err, size_t errsize)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
	    .nl_groups = 1u << (NFNLGRP_NFTABLES - 1) };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    NETLINK_NETFILTER);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errsize, "nftables notices: %s",
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The string of a's payload, when it is one that fits out. */
static bool
attr_str_eq(const struct nlattr *a, const char *want)
{
	size_t n = a->nla_len - NLA_HDRLEN, w = strlen(want);

	/* NUL-terminated in the kernel's messages; a name without one
	 * is compared by its bytes all the same */
	if (n > w && ((const char *)a + NLA_HDRLEN)[w] == '\0')
		n = w;
	return n == w && memcmp((const char *)a + NLA_HDRLEN, want, w) == 0;
}

/* Attributes from a on, len bytes of them, by type, up to max. */
static void
parse_attrs(const struct nlattr *a, size_t len, const struct nlattr **tb,
    unsigned max)
{
	memset(tb, 0, (max + 1) * sizeof(*tb));
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	    a->nla_len <= len) {
		unsigned type = a->nla_type & NLA_TYPE_MASK;
		size_t step = NLA_ALIGN(a->nla_len);

		if (type <= max)
			tb[type] = a;
		if (step >= len)
			break;
		len -= step;
		a = (const struct nlattr *)((const uint8_t *)a + step);
	}
}

/* The attributes of message h (after its nfgenmsg) by type, up to max;
 * false, with none, when h is too short to hold an nfgenmsg. */
static bool
msg_attrs(const struct nlmsghdr *h, const struct nlattr **tb, unsigned max)
{
	size_t hl = NLMSG_ALIGN(sizeof(struct nfgenmsg));

	if (h->nlmsg_len < NLMSG_LENGTH(hl)) {
		memset(tb, 0, (max + 1) * sizeof(*tb));
		return false;
	}
	/* NLMSG_DATA would cast the const away */
	parse_attrs((const struct nlattr *)((const uint8_t *)h +
	    NLMSG_HDRLEN + hl), h->nlmsg_len - NLMSG_LENGTH(hl), tb, max);
	return true;
}

static uint8_t
msg_family(const struct nlmsghdr *h)
{
	const struct nfgenmsg *g = (const struct nfgenmsg *)
	    ((const uint8_t *)h + NLMSG_HDRLEN);

	return h->nlmsg_len >= NLMSG_LENGTH(sizeof(*g)) ? g->nfgen_family :
	    NFPROTO_UNSPEC;
}

/* Whether the generation a NEWGEN ends was committed by edged itself:
 * its process id, or (edged in a pid namespace, where the kernel gives
 * the id outside it) its name. */
static bool
gen_is_self(const struct nlmsghdr *h, const struct fw_nl_self *self)
{
	const struct nlattr *tb[NFTA_GEN_MAX + 1], *pid, *name;
	uint32_t v;

	(void)msg_attrs(h, tb, NFTA_GEN_MAX);
	pid = tb[NFTA_GEN_PROC_PID];
	name = tb[NFTA_GEN_PROC_NAME];
	if (pid != NULL && pid->nla_len >= NLA_HDRLEN + sizeof(v)) {
		memcpy(&v, (const uint8_t *)pid + NLA_HDRLEN, sizeof(v));
		if (ntohl(v) == self->pid)
			return true;
	}
	return name != NULL && attr_str_eq(name, self->name);
}

enum fw_nl_verdict
fw_nl_parse_notices(const void *buf, size_t len, const char *table,
    const struct fw_nl_self *self, struct fw_nl_gen *g)
{
	enum fw_nl_verdict v = FW_NL_NONE;

	for (const struct nlmsghdr *h = whole_msg(buf, len); h != NULL;
	    h = next_msg(h, &len)) {
		const struct nlattr *tb[2];
		unsigned type = NFNL_MSG_TYPE(h->nlmsg_type);

		if (NFNL_SUBSYS_ID(h->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
			continue;
		if (type == NFT_MSG_NEWGEN) {
			if (g->touched && !gen_is_self(h, self)) {
				enum fw_nl_verdict w = g->deleted ?
				    FW_NL_REMOVED : FW_NL_CHANGED;

				if (w > v)
					v = w;
			}
			*g = (struct fw_nl_gen){ 0 };
			continue;
		}
		/* every change message names its table first: the
		 * table's, chain's, rule's, set's, element list's and
		 * object's TABLE attribute is 1, as is the table's NAME */
		if (msg_family(h) != NFPROTO_INET || !msg_attrs(h, tb, 1) ||
		    tb[1] == NULL || !attr_str_eq(tb[1], table))
			continue;
		g->touched = true;
		if (type == NFT_MSG_DELTABLE)
			g->deleted = true;
		else if (type == NFT_MSG_NEWTABLE)
			g->deleted = false;
	}
	return v;
}

enum fw_nl_verdict
fw_nl_watch_drain(int fd, const char *table, const struct fw_nl_self *self,
    struct fw_nl_gen *g)
{
	_Alignas(struct nlmsghdr) uint8_t buf[8192];
	enum fw_nl_verdict v = FW_NL_NONE;

	/* a burst (a big table replaced) is read over several calls, so
	 * the master's loop is never held for long */
	for (int i = 0; i < 256; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		enum fw_nl_verdict w = FW_NL_NONE;

		if (n > 0)
			w = fw_nl_parse_notices(buf, (size_t)n, table, self, g);
		else if (n < 0 && errno == ENOBUFS)
			w = FW_NL_LOST;
		else if (n == 0 || errno != EINTR)
			break;
		if (w > v)
			v = w;
	}
	return v;
}

void
fw_nl_parse_acks(const void *buf, size_t len, const struct fw_nl_batch *b,
    size_t *acked, bool *failed, char *err, size_t errsize)
{
	for (const struct nlmsghdr *h = whole_msg(buf, len); h != NULL;
	    h = next_msg(h, &len)) {
		const struct nlmsgerr *e = (const struct nlmsgerr *)
		    ((const uint8_t *)h + NLMSG_HDRLEN);
		const struct fw_nl_sent *s = sent_of(b, h->nlmsg_seq);
		char ebuf[48];

		if (h->nlmsg_type != NLMSG_ERROR ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
			continue;
		if (s != NULL && (b->ack_seq == 0 || s->seq == b->ack_seq))
			(*acked)++;
		/* the batch's own messages are answered only when
		 * refused (no privilege, say) */
		else if (h->nlmsg_seq - b->first_seq > b->last_seq -
		    b->first_seq)
			continue;	/* not this batch's */
		if (e->error == 0)
			continue;
		if (!*failed && s != NULL && s->line > 0)
			snprintf(err, errsize, "line %u (%s): %s", s->line,
			    s->set, nl_strerror(e->error, ebuf, sizeof(ebuf)));
		else if (!*failed && s != NULL && s->table)
			snprintf(err, errsize, "%s: %s", s->set,
			    nl_strerror(e->error, ebuf, sizeof(ebuf)));
		else if (!*failed && s != NULL)
			snprintf(err, errsize, "set %s: %s%s", s->set,
			    nl_strerror(e->error, ebuf, sizeof(ebuf)),
			    !s->add && e->error == -ENOENT ? " (no such set, "
			    "or an address to remove is not in it)" : "");
		else if (!*failed)
			snprintf(err, errsize, "%s", nl_strerror(e->error,
			    ebuf, sizeof(ebuf)));
		*failed = true;
	}
}

/* Leaves the acknowledgement asked for by the batch's last change
 * message only, and returns its sequence number: the kernel answers a
 * refused message whether asked or not, and the answers come in the
 * order of the messages, so the last one's says the batch was read
 * whole and all refusals are in. */
static uint32_t
ack_last(struct fw_nl *nl)
{
	uint32_t last = nl->sent[nl->nsent - 1].seq;
	size_t off = 0;

	while (off + NLMSG_HDRLEN <= nl->len) {
		struct nlmsghdr *h = (struct nlmsghdr *)(nl->buf + off);

		if (h->nlmsg_len < NLMSG_HDRLEN)
			break;
		if (h->nlmsg_seq != last)
			h->nlmsg_flags &= (uint16_t)~NLM_F_ACK;
		off += NLMSG_ALIGN(h->nlmsg_len);
	}
	return last;
}

int
fw_nl_commit(struct fw_nl *nl, char *err, size_t errsize)
{
	size_t off, acked = 0;
	bool failed = false;
	struct fw_nl_batch b;

	off = fw_nl_msg_start(nl, NFNL_MSG_BATCH_END, NLM_F_REQUEST, AF_UNSPEC,
	    NFNL_SUBSYS_NFTABLES);
	fw_nl_msg_end(nl, off);
	b = (struct fw_nl_batch){ .sent = nl->sent, .nsent = nl->nsent,
	    .first_seq = nl->batch_seq, .last_seq = nl->seq - 1 };
	if (nl->oom) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	if (nl->nsent > 1)
		b.ack_seq = ack_last(nl);
	if (send_all(nl, err, errsize) < 0)
		return -1;
	while (acked < (b.ack_seq != 0 ? 1 : nl->nsent)) {
		ssize_t n = recv(nl->fd, nl->rbuf, sizeof(nl->rbuf),
		    MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = { .fd = nl->fd, .events = POLLIN };

			/* after a refusal the kernel may answer only it */
			if (failed)
				break;
			if (poll(&p, 1, ANSWER_WAIT_MS) > 0)
				continue;
			snprintf(err, errsize, "no answer from the kernel");
			return -1;
		}
		if (n < 0) {
			snprintf(err, errsize, "netlink receive: %s",
			    strerror(errno));
			return -1;
		}
		fw_nl_parse_acks(nl->rbuf, (size_t)n, &b, &acked, &failed,
		    err, errsize);
	}
	return failed ? -1 : 0;
}

/* ---- the counters ---- */

static const void *
attr_data(const struct nlattr *a)
{
	return (const uint8_t *)a + NLA_HDRLEN;
}

static uint64_t
attr_u64(const struct nlattr *a)
{
	uint64_t v;

	if (a == NULL || a->nla_len < NLA_HDRLEN + sizeof(v))
		return 0;
	memcpy(&v, attr_data(a), sizeof(v));
	return be64toh(v);
}

/* One counter object of the dump. */
static void
counter_msg(const struct nlmsghdr *h, fw_nl_counter_fn *fn, void *arg)
{
	const struct nlattr *tb[NFTA_OBJ_MAX + 1], *cb[NFTA_COUNTER_MAX + 1];
	char name[FW_NAME_MAX + 8];
	size_t nlen;

	if (!msg_attrs(h, tb, NFTA_OBJ_MAX) || tb[NFTA_OBJ_NAME] == NULL ||
	    tb[NFTA_OBJ_DATA] == NULL)
		return;
	nlen = tb[NFTA_OBJ_NAME]->nla_len - NLA_HDRLEN;
	snprintf(name, sizeof(name), "%.*s", (int)(nlen < sizeof(name) ?
	    nlen : sizeof(name) - 1), (const char *)attr_data(
	    tb[NFTA_OBJ_NAME]));
	parse_attrs(attr_data(tb[NFTA_OBJ_DATA]), tb[NFTA_OBJ_DATA]->nla_len -
	    NLA_HDRLEN, cb, NFTA_COUNTER_MAX);
	fn(name, attr_u64(cb[NFTA_COUNTER_PACKETS]),
	    attr_u64(cb[NFTA_COUNTER_BYTES]), arg);
}

int
fw_nl_parse_counters(const void *buf, size_t len, uint32_t seq,
    fw_nl_counter_fn *fn, void *arg, char *err, size_t errsize)
{
	for (const struct nlmsghdr *h = whole_msg(buf, len); h != NULL;
	    h = next_msg(h, &len)) {
		if (h->nlmsg_seq != seq)
			continue;	/* a late answer to another */
		if (h->nlmsg_type == NLMSG_DONE ||
		    h->nlmsg_type == NLMSG_ERROR) {
			/* both begin with the error number, 0 for a dump
			 * that ended well */
			int e = 0;
			char ebuf[48];

			if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(e)))
				memcpy(&e, (const uint8_t *)h + NLMSG_HDRLEN,
				    sizeof(e));
			if (e == 0)
				return 1;
			snprintf(err, errsize, "%s", nl_strerror(e, ebuf,
			    sizeof(ebuf)));
			return -1;
		}
		counter_msg(h, fn, arg);
	}
	return 0;
}

/* Reads the dump's datagrams to its end: 0, or -1 with err. */
static int
read_dump(struct fw_nl *nl, uint32_t seq, fw_nl_counter_fn *fn, void *arg,
    char *err, size_t errsize)
{
	int rc = 0;

	while (rc == 0) {
		ssize_t n = recv(nl->fd, nl->rbuf, sizeof(nl->rbuf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errsize, "netlink receive: %s",
			    errno == EAGAIN ? "no answer from the kernel" :
			    strerror(errno));
			return -1;
		}
		rc = fw_nl_parse_counters(nl->rbuf, (size_t)n, seq, fn, arg,
		    err, errsize);
	}
	return rc < 0 ? -1 : 0;
}

int
fw_nl_counters(struct fw_nl *nl, const char *table, fw_nl_counter_fn *fn,
    void *arg, char *err, size_t errsize)
{
	uint32_t type = htonl(NFT_OBJECT_COUNTER), seq = nl->seq;
	size_t off;

	nl->len = 0;
	nl->oom = false;
	off = fw_nl_msg_start(nl, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETOBJ,
	    NLM_F_REQUEST | NLM_F_DUMP, NFPROTO_INET, 0);
	fw_nl_attr_str(nl, NFTA_OBJ_TABLE, table);
	fw_nl_attr(nl, NFTA_OBJ_TYPE, &type, sizeof(type));
	fw_nl_msg_end(nl, off);
	if (nl->oom) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	if (send_all(nl, err, errsize) < 0)
		return -1;
	return read_dump(nl, seq, fn, arg, err, errsize);
}
