/*
 * lb/persist.c - persistence in the data path (persist.h): which member
 * a request names (its cookie, its source's entry), whether that one may
 * take it, and what the response tells the client.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "persist_cookie.h"
#include "rule_edit.h"
#include "session.h"
#include "stick.h"
#include "tls_hello.h"

static const struct lb_persist_conf *
persist_of(const struct lb_session *s)
{
	return &s->vs->profile->persist;
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

/* The member part of a cookie's value: all of it, in prefix mode what
 * comes before its '~' (none: 0), with dates what comes before its '|'. */
static size_t
member_part(const struct lb_persist_conf *pc, const char *v, size_t vlen)
{
	const char *sep = memchr(v, pc->mode == LB_COOKIE_PREFIX ? '~' : '|',
	    vlen);

	if (pc->mode == LB_COOKIE_PREFIX)
		return sep != NULL ? (size_t)(sep - v) : 0;
	return sep != NULL ? (size_t)(sep - v) : vlen;
}

static bool
dated(const struct lb_persist_conf *pc)
{
	return pc->max_idle > 0 || pc->max_life > 0;
}

static uint32_t
now_s(void)
{
	return (uint32_t)time(NULL);
}

/* "MEMBER|LAST|FIRST" (hexadecimal Unix seconds): whether the cookie
 * is still good by max-idle and max-life; its dates into s (now for a
 * cookie without). */
static bool
cookie_fresh(struct lb_session *s, const struct lb_persist_conf *pc,
    const char *v, size_t vlen, size_t mlen)
{
	uint32_t now = now_s(), last, first;

	s->persist_first = s->persist_last = now;
	if (mlen == vlen)
		return true;
	if (!lb_cookie_dates(v + mlen + 1, vlen - mlen - 1, &last, &first) ||
	    last > now)
		return false;
	if ((pc->max_idle > 0 && now - last > pc->max_idle / 1000) ||
	    (pc->max_life > 0 && now - first > pc->max_life / 1000))
		return false;
	s->persist_first = first;
	s->persist_last = last;
	return true;
}

void
lb_persist_request(struct lb_session *s, const char *head, size_t len)
{
	const struct lb_persist_conf *pc = persist_of(s);
	const char *v;
	size_t vlen, n;

	s->persist = NULL;
	if (pc->kind == LB_PERSIST_COOKIE &&
	    lb_cookie_find(head, len, pc->cookie, &v, &vlen) &&
	    (n = member_part(pc, v, vlen)) > 0 &&
	    (!dated(pc) || cookie_fresh(s, pc, v, vlen, n)))
		s->persist = member_named(s->pool, v, n);
}

int
lb_persist_request_edit(struct lb_session *s, char *buf, size_t *len,
    size_t cap)
{
	const struct lb_persist_conf *pc = persist_of(s);
	const char *v;
	size_t vlen, n;

	/* prefix: the member sees its own cookie, without "MEMBER~" */
	if (pc->kind != LB_PERSIST_COOKIE || pc->mode != LB_COOKIE_PREFIX ||
	    !lb_cookie_find(buf, *len, pc->cookie, &v, &vlen) ||
	    (n = member_part(pc, v, vlen)) == 0)
		return 0;
	return lb_edit_splice(buf, len, cap, (size_t)(v - buf), n + 1, "", 0);
}

/* The member the entry of key names in the profile's table, if it is
 * one of s's pool. */
static struct lb_member *
entry_member(struct lb_session *s, const void *key, size_t keylen)
{
	struct lb_stick *t = s->t->rt->sticks[persist_of(s)->table];
	const struct lb_rt_pool *p = s->pool;
	struct lb_stick_vals v;

	if (lb_stick_get(t, key, keylen, clock_coarse_ms(), &v) != 1 ||
	    v.gpc0 == 0 || v.gpc0 - 1 < p->member_base ||
	    v.gpc0 - 1 >= p->member_base + p->nmembers)
		return NULL;
	return &p->members[v.gpc0 - 1 - p->member_base];
}

static struct lb_member *
source_member(struct lb_session *s)
{
	unsigned char key[16];

	source_key(s, key);
	return entry_member(s, key, 16);
}

void
lb_persist_hello(struct lb_session *s, const uint8_t *id, size_t idlen)
{
	s->persist = NULL;
	if (persist_of(s)->kind != LB_PERSIST_SSL_SESSION_ID)
		return;
	s->persist_learn = true;
	if (idlen > 0)
		s->persist = entry_member(s, id, idlen);
}

void
lb_persist_server_hello(struct lb_session *s, const uint8_t *data,
    size_t len)
{
	uint8_t id[32];
	size_t idlen;

	/* the first bytes the member sent: a ServerHello there (TLS 1.2
	 * gives its session an id; TLS 1.3 echoes the client's random one,
	 * which no client presents again) */
	s->persist_learn = false;
	if (s->member != NULL && lb_tls_server_hello_session(data, len, len,
	    id, &idlen) == LB_HELLO_OK && idlen > 0)
		(void)lb_stick_gpc0_set(s->t->rt->sticks[persist_of(s)->table],
		    id, idlen, clock_coarse_ms(), s->member->index + 1);
}

struct lb_member *
lb_persist_member(struct lb_session *s)
{
	struct lb_member *m;

	switch (persist_of(s)->kind) {
	case LB_PERSIST_COOKIE:
	case LB_PERSIST_SSL_SESSION_ID:
		m = s->persist;
		break;
	case LB_PERSIST_SOURCE_IP:
		m = s->persist = source_member(s);
		break;
	default:
		return NULL;
	}
	return lb_persist_usable(m) ? m : NULL;
}

bool
lb_persist_usable(const struct lb_member *m)
{
	/* drained: it keeps the clients it has; down or disabled: not */
	return m != NULL && atomic_load(&m->up) &&
	    atomic_load(&m->admin) != LB_ADMIN_DISABLED;
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

/* prefix and rewrite: each Set-Cookie of the cookie the member sent gets
 * the member's name before its value, or in its place. */
static int
mark_cookies(struct lb_session *s, char *buf, size_t *len, size_t cap)
{
	const struct lb_persist_conf *pc = persist_of(s);
	char mark[LB_NAME_MAX + 1];

	snprintf(mark, sizeof(mark), "%s%s", s->member->name,
	    pc->mode == LB_COOKIE_PREFIX ? "~" : "");
	return lb_cookie_mark(buf, len, cap, pc->cookie,
	    pc->mode == LB_COOKIE_PREFIX, mark);
}

/* max-idle: a client that stays gets its cookie's last date moved on,
 * once a quarter of max-idle went by (not at every answer). */
static bool
refresh_due(const struct lb_session *s, const struct lb_persist_conf *pc)
{
	uint32_t step = (uint32_t)(pc->max_idle / 4000);

	return pc->max_idle > 0 && now_s() - s->persist_last >=
	    (step > 0 ? step : 1);
}

int
lb_persist_response(struct lb_session *s, char *buf, size_t *len,
    size_t cap)
{
	const struct lb_persist_conf *pc = persist_of(s);
	char v[LB_NAME_MAX * 2 + 64];
	int n;

	if (pc->kind != LB_PERSIST_COOKIE || s->member == NULL)
		return 0;
	if (pc->mode != LB_COOKIE_INSERT) {
		if ((n = mark_cookies(s, buf, len, cap)) <= 0)
			return n;
		return pc->nocache ? lb_edit_set(buf, len, cap,
		    "Cache-Control", 13, "private", 7) : 0;
	}
	if (s->member == s->persist && !refresh_due(s, pc))
		return 0;
	if (s->member != s->persist)
		s->persist_first = now_s();
	n = dated(pc) ? snprintf(v, sizeof(v), "%s=%s|%x|%x; path=/%s%s",
	    pc->cookie, s->member->name, (unsigned)now_s(),
	    (unsigned)s->persist_first, pc->httponly ? "; HttpOnly" : "",
	    pc->secure ? "; Secure" : "") : snprintf(v, sizeof(v),
	    "%s=%s; path=/%s%s", pc->cookie, s->member->name, pc->httponly ?
	    "; HttpOnly" : "", pc->secure ? "; Secure" : "");
	if (n < 0 || (size_t)n >= sizeof(v) ||
	    lb_edit_add(buf, len, cap, "Set-Cookie", 10, v, (size_t)n) < 0)
		return -1;
	/* a shared cache must not hand the cookie to other clients */
	return pc->nocache ? lb_edit_set(buf, len, cap, "Cache-Control", 13,
	    "private", 7) : 0;
}
