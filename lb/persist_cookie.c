/*
 * lb/persist_cookie.c - the cookies of cookie persistence
 * (persist_cookie.h).
 */
#include <string.h>

#include "persist_cookie.h"
#include "rule_edit.h"

/* e, or the first of the blanks that end s..e. */
static const char *
trim_end(const char *s, const char *e)
{
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return e;
}

bool
lb_cookie_find(const char *head, size_t len, const char *name,
    const char **v, size_t *vlen)
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
				*vlen = (size_t)(trim_end(*v, e) - *v);
				return true;
			}
			p = e + 1;
		}
	}
	return false;
}

int
lb_cookie_mark(char *buf, size_t *len, size_t cap, const char *name,
    bool prefix, const char *mark)
{
	size_t from = 0, voff, vlen, loff, llen, nlen = strlen(name);
	size_t mlen = strlen(mark);
	int done = 0;

	while (lb_edit_find(buf, *len, "Set-Cookie", 10, &from, &voff, &vlen,
	    &loff, &llen)) {
		size_t vs = voff + nlen + 1, ve = vs, before = *len;

		if (vlen <= nlen || buf[voff + nlen] != '=' ||
		    memcmp(buf + voff, name, nlen) != 0)
			continue;
		while (ve < voff + vlen && buf[ve] != ';')
			ve++;
		if (lb_edit_splice(buf, len, cap, vs, prefix ? 0 : ve - vs,
		    mark, mlen) < 0)
			return -1;
		from = from + *len - before;	/* the line grew or shrank */
		done++;
	}
	return done;
}

static bool
hex32(const char **p, const char *end, uint32_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	while (*p < end && **p != '|') {
		int d = **p >= '0' && **p <= '9' ? **p - '0' :
		    **p >= 'a' && **p <= 'f' ? **p - 'a' + 10 : -1;

		if (d < 0 || (v = v * 16 + (unsigned)d) > UINT32_MAX)
			return false;
		(*p)++;
	}
	*out = (uint32_t)v;
	return *p > s;
}

bool
lb_cookie_dates(const char *s, size_t n, uint32_t *last, uint32_t *first)
{
	const char *p = s, *end = s + n;

	if (!hex32(&p, end, last) || p == end || *p++ != '|' ||
	    !hex32(&p, end, first) || p != end)
		return false;
	return *first <= *last;
}
