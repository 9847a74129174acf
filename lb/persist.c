/*
 * lb/persist.c - persistence in the data path (persist.h): which member
 * a request names (its cookie, its source's entry), whether that one may
 * take it, and what the response tells the client.
 */
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "rule_edit.h"
#include "session.h"
#include "stick.h"

static const struct lb_persist_conf *
persist_of(const struct lb_session *s)
{
	return &s->vs->profile->persist;
}

/* The value of cookie name in the Cookie header lines of head[0..len),
 * or false. */
static bool
find_cookie(const char *head, size_t len, const char *name, const char **v,
    size_t *vlen)
{
	size_t from = 0, voff, fl, loff, llen, nlen = strlen(name);

	while (lb_edit_find(head, len, "Cookie", 6, &from, &voff, &fl, &loff,
	    &llen)) {
		const char *p = head + voff, *end = p + fl;

		while (p < end) {
			const char *semi = memchr(p, ';', (size_t)(end - p));
			const char *e = semi != NULL ? semi : end;

			while (p < e && (*p == ' ' || *p == '\t'))
				p++;
			if ((size_t)(e - p) > nlen && p[nlen] == '=' &&
			    memcmp(p, name, nlen) == 0) {
				*v = p + nlen + 1;
				*vlen = (size_t)(e - *v);
				return true;
			}
			p = e + 1;
		}
	}
	return false;
}

/* The member of s's pool called name[0..len), or NULL. */
static struct lb_member *
member_named(const struct lb_rt_pool *p, const char *name, size_t len)
{
	for (size_t i = 0; i < p->nmembers; i++)
		if (strlen(p->members[i].name) == len &&
		    memcmp(p->members[i].name, name, len) == 0)
			return &p->members[i];
	return NULL;
}

/* The key of s's source in its profile's table: the address, its IPv4
 * masked. */
static void
source_key(const struct lb_session *s, unsigned char key[16])
{
	const struct lb_persist_conf *pc = persist_of(s);

	(void)lb_stick_key_ip(&s->peer.sa, key);
	if (s->peer.sa.sa_family == AF_INET && pc->mask < 32) {
		uint32_t a = (uint32_t)key[12] << 24 | (uint32_t)key[13] << 16 |
		    (uint32_t)key[14] << 8 | key[15];

		a &= ~(uint32_t)0 << (32 - pc->mask);
		key[12] = (unsigned char)(a >> 24);
		key[13] = (unsigned char)(a >> 16);
		key[14] = (unsigned char)(a >> 8);
		key[15] = (unsigned char)a;
	}
}

void
lb_persist_request(struct lb_session *s, const char *head, size_t len)
{
	const struct lb_persist_conf *pc = persist_of(s);
	const char *v;
	size_t vlen;

	s->persist = NULL;
	if (pc->kind == LB_PERSIST_COOKIE &&
	    find_cookie(head, len, pc->cookie, &v, &vlen))
		s->persist = member_named(s->pool, v, vlen);
}

/* The member the source's entry names, if it is one of s's pool. */
static struct lb_member *
source_member(struct lb_session *s)
{
	struct lb_stick *t = s->t->rt->sticks[persist_of(s)->table];
	const struct lb_rt_pool *p = s->pool;
	unsigned char key[16];
	struct lb_stick_vals v;

	source_key(s, key);
	if (lb_stick_get(t, key, 16, clock_coarse_ms(), &v) != 1 ||
	    v.gpc0 == 0 || v.gpc0 - 1 < p->member_base ||
	    v.gpc0 - 1 >= p->member_base + p->nmembers)
		return NULL;
	return &p->members[v.gpc0 - 1 - p->member_base];
}

struct lb_member *
lb_persist_member(struct lb_session *s)
{
	struct lb_member *m;

	switch (persist_of(s)->kind) {
	case LB_PERSIST_COOKIE:
		m = s->persist;
		break;
	case LB_PERSIST_SOURCE_IP:
		m = s->persist = source_member(s);
		break;
	default:
		return NULL;
	}
	/* drained: it keeps the clients it has; down or disabled: not */
	if (m == NULL || !atomic_load(&m->up) ||
	    atomic_load(&m->admin) == LB_ADMIN_DISABLED)
		return NULL;
	return m;
}

void
lb_persist_chosen(struct lb_session *s, const struct lb_member *m)
{
	unsigned char key[16];

	if (persist_of(s)->kind != LB_PERSIST_SOURCE_IP)
		return;
	/* set every time: the entry's timeout starts again */
	source_key(s, key);
	(void)lb_stick_gpc0_set(s->t->rt->sticks[persist_of(s)->table], key,
	    16, clock_coarse_ms(), m->index + 1);
}

int
lb_persist_response(struct lb_session *s, char *buf, size_t *len,
    size_t cap)
{
	const struct lb_persist_conf *pc = persist_of(s);
	char v[LB_NAME_MAX * 2 + 64];
	int n;

	if (pc->kind != LB_PERSIST_COOKIE || s->member == NULL ||
	    s->member == s->persist)
		return 0;
	n = snprintf(v, sizeof(v), "%s=%s; path=/%s%s", pc->cookie,
	    s->member->name, pc->httponly ? "; HttpOnly" : "",
	    pc->secure ? "; Secure" : "");
	if (n < 0 || (size_t)n >= sizeof(v) ||
	    lb_edit_add(buf, len, cap, "Set-Cookie", 10, v, (size_t)n) < 0)
		return -1;
	/* a shared cache must not hand the cookie to other clients */
	return pc->nocache ? lb_edit_set(buf, len, cap, "Cache-Control", 13,
	    "private", 7) : 0;
}
