/*
 * lb/rule_fetch.c - samples for application rules (see rule_fetch.h).
 *
 * Indexing walks the head once, as lb/http.c does, and keeps offsets
 * rather than pointers so that the index stays small (about 1.6 KiB for
 * 100 fields) and every span is checked against one length.  Fetches
 * then only compare names and scan the one value they read.
 */
#include <string.h>
#include <strings.h>

#include "balance.h"
#include "rule_fetch.h"

#define NO_SPAN		((struct lb_fetch_span){ LB_FETCH_NONE, 0 })

static struct lb_fetch_span
span_of(const struct lb_head_index *ix, const char *p, size_t len)
{
	return (struct lb_fetch_span){ (uint32_t)(p - ix->head),
	    (uint32_t)len };
}

static bool
span_out(const struct lb_head_index *ix, struct lb_fetch_span s,
    const char **p, size_t *len)
{
	if (s.off == LB_FETCH_NONE)
		return false;
	*p = ix->head + s.off;
	*len = s.len;
	return true;
}

static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* [*p, *p + *len) without leading and trailing SP and HTAB. */
static inline void
trim(const char **p, size_t *len)
{
	/* most values: one space before, nothing after */
	if (*len > 1 && (*p)[0] == ' ' && !is_ows((*p)[1]) &&
	    !is_ows((*p)[*len - 1])) {
		(*p)++;
		(*len)--;
		return;
	}
	while (*len > 0 && is_ows(**p)) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 && is_ows((*p)[*len - 1]))
		(*len)--;
}

/*
 * The next CRLF-terminated line of [*p, end), without its CRLF; advances
 * *p past it.  False when none is left: a bare LF ends no line, as in
 * lb/http.c, so both read a head the same way.
 */
static bool
next_line(const char **p, const char *end, const char **line, size_t *len)
{
	const char *lf = memchr(*p, '\n', (size_t)(end - *p));

	if (lf == NULL || lf == *p || lf[-1] != '\r')
		return false;
	*line = *p;
	*len = (size_t)(lf - 1 - *p);
	*p = lf + 1;
	return true;
}

/* One field line into ix->field[]; -1 when it has no colon or is an
 * obs-fold continuation, -2 when the table is full. */
static int
index_field(struct lb_head_index *ix, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	struct lb_fetch_field *f;
	const char *v;
	size_t vlen;

	if (colon == NULL || colon == line || is_ows(line[0]))
		return -1;
	if (ix->nfields == LB_FETCH_MAX_FIELDS)
		return -2;
	f = &ix->field[ix->nfields++];
	f->name = span_of(ix, line, (size_t)(colon - line));
	v = colon + 1;
	vlen = len - (size_t)(v - line);
	trim(&v, &vlen);
	f->value = span_of(ix, v, vlen);
	return 0;
}

/* The field lines after the start line at p, through the empty line
 * (what follows it is not the head's, as for lb/http.c): 0, -1 when
 * there is no empty line, or as index_field. */
static int
index_fields(struct lb_head_index *ix, const char *p)
{
	const char *end = ix->head + ix->len, *line;
	size_t len;
	int r;

	while (next_line(&p, end, &line, &len)) {
		if (len == 0)
			return 0;
		if ((r = index_field(ix, line, len)) < 0)
			return r;
	}
	return -1;
}

static void
index_reset(struct lb_head_index *ix, const char *head, size_t len,
    bool response)
{
	ix->head = head;
	ix->len = len;
	ix->response = response;
	ix->method = ix->url = ix->path = ix->query = NO_SPAN;
	ix->version = ix->reason = NO_SPAN;
	ix->status = 0;
	ix->nfields = 0;
}

/* ALPHA / DIGIT / "+" / "-" / "." (RFC 3986 3.1), so that "://" in a
 * query is not taken for a scheme's. */
static bool
is_scheme_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

/*
 * Where the path of target t starts: 0 in origin-form, after the
 * authority in absolute-form ("scheme://authority/path"); tlen when
 * there is none ("*", authority-form, "http://host?q").
 */
static size_t
path_start(const char *t, size_t tlen)
{
	size_t i = 0;

	if (tlen > 0 && t[0] == '/')
		return 0;
	while (i < tlen && is_scheme_char(t[i]))
		i++;
	if (i == 0 || tlen - i < 3 || memcmp(t + i, "://", 3) != 0)
		return tlen;
	for (i += 3; i < tlen; i++) {
		if (t[i] == '/')
			return i;
		if (t[i] == '?' || t[i] == '#')
			break;
	}
	return tlen;
}

/* path and query of the target ix->url. */
static void
index_target(struct lb_head_index *ix)
{
	const char *t = ix->head + ix->url.off, *key, *q, *hash;
	size_t tlen = ix->url.len, ps = path_start(t, tlen), klen, qlen;

	if (ps < tlen && lb_key_uri(t + ps, tlen - ps, 0, 0, &key, &klen))
		ix->path = span_of(ix, key, klen);
	hash = memchr(t, '#', tlen);
	q = memchr(t, '?', hash != NULL ? (size_t)(hash - t) : tlen);
	if (q == NULL)
		return;
	q++;
	qlen = (size_t)((hash != NULL ? hash : t + tlen) - q);
	ix->query = span_of(ix, q, qlen);
}

/* "method SP target SP version", one SP each (lb/http.c checked it). */
static bool
index_request_line(struct lb_head_index *ix, const char *line, size_t len)
{
	const char *end = line + len, *sp1, *sp2;

	sp1 = memchr(line, ' ', len);
	if (sp1 == NULL || sp1 == line)
		return false;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (sp2 == NULL || sp2 == sp1 + 1)
		return false;
	ix->method = span_of(ix, line, (size_t)(sp1 - line));
	ix->url = span_of(ix, sp1 + 1, (size_t)(sp2 - sp1 - 1));
	ix->version = span_of(ix, sp2 + 1, (size_t)(end - sp2 - 1));
	index_target(ix);
	return true;
}

int
lb_head_index(struct lb_head_index *ix, const char *head, size_t len)
{
	const char *p = head, *line;
	size_t llen;
	int r;

	index_reset(ix, head, len, false);
	if (len >= LB_FETCH_NONE)
		return -431;
	if (!next_line(&p, head + len, &line, &llen) ||
	    !index_request_line(ix, line, llen))
		return -400;
	r = index_fields(ix, p);
	return r == 0 ? 0 : r == -2 ? -431 : -400;
}

/* "HTTP/1.x SP 3DIGIT [SP reason]" (lb/http.c checked it). */
static bool
index_status_line(struct lb_head_index *ix, const char *line, size_t len)
{
	unsigned st = 0;

	if (len < 12 || memcmp(line, "HTTP/", 5) != 0 || line[8] != ' ')
		return false;
	for (size_t i = 9; i < 12; i++) {
		if (line[i] < '0' || line[i] > '9')
			return false;
		st = st * 10 + (unsigned)(line[i] - '0');
	}
	if (len > 12 && line[12] != ' ')
		return false;
	ix->version = span_of(ix, line, 8);
	ix->status = st;
	ix->reason = len > 12 ? span_of(ix, line + 13, len - 13) :
	    span_of(ix, line + 12, 0);
	return true;
}

int
lb_head_index_response(struct lb_head_index *ix, const char *head,
    size_t len)
{
	const char *p = head, *line;
	size_t llen;

	index_reset(ix, head, len, true);
	if (len >= LB_FETCH_NONE ||
	    !next_line(&p, head + len, &line, &llen) ||
	    !index_status_line(ix, line, llen))
		return -502;
	return index_fields(ix, p) == 0 ? 0 : -502;
}

/* ---- the request line ---- */

bool
lb_fetch_method(const struct lb_head_index *ix, const char **p, size_t *len)
{
	return span_out(ix, ix->method, p, len);
}

bool
lb_fetch_url(const struct lb_head_index *ix, const char **p, size_t *len)
{
	return span_out(ix, ix->url, p, len);
}

bool
lb_fetch_path(const struct lb_head_index *ix, const char **p, size_t *len)
{
	return span_out(ix, ix->path, p, len);
}

bool
lb_fetch_query(const struct lb_head_index *ix, const char **p, size_t *len)
{
	return span_out(ix, ix->query, p, len);
}

bool
lb_fetch_req_ver(const struct lb_head_index *ix, const char **p,
    size_t *len)
{
	if (ix->response || !span_out(ix, ix->version, p, len) ||
	    *len < 5 || memcmp(*p, "HTTP/", 5) != 0)
		return false;
	*p += 5;			/* "HTTP/" */
	*len -= 5;
	return true;
}

bool
lb_fetch_status(const struct lb_head_index *ix, unsigned *status)
{
	if (!ix->response)
		return false;
	*status = ix->status;
	return true;
}

static bool
name_eq(const char *a, size_t alen, const char *b, size_t blen, bool icase)
{
	if (alen != blen)
		return false;
	return icase ? strncasecmp(a, b, alen) == 0 : memcmp(a, b, alen) == 0;
}

/* Whether c ends a query parameter (HAProxy's is_param_delimiter). */
static bool
param_delim(char c)
{
	return c == '&' || c == ';';
}

/*
 * The sharing with lb_key_url_param stops at the query: that one splits
 * on '&' alone and takes an empty value as absent (a hash key), where a
 * rule must see "a=" and HAProxy's ';'.
 */
bool
lb_fetch_url_param(const struct lb_head_index *ix, const char *name,
    size_t namelen, bool icase, const char **p, size_t *len)
{
	const char *q, *end, *eq, *pend;
	size_t qlen;

	if (!span_out(ix, ix->query, &q, &qlen))
		return false;
	for (end = q + qlen; q < end; q = pend + 1) {
		pend = q;
		while (pend < end && !param_delim(*pend))
			pend++;
		eq = memchr(q, '=', (size_t)(pend - q));
		if (eq == NULL)
			continue;
		if (namelen == 0 ||
		    name_eq(q, (size_t)(eq - q), name, namelen, icase)) {
			*p = eq + 1;
			*len = (size_t)(pend - eq - 1);
			return true;
		}
	}
	return false;
}

/* ---- fields ---- */

void
lb_fetch_iter_init(struct lb_fetch_iter *it, const struct lb_head_index *ix,
    enum lb_fetch_split split, const char *name, size_t namelen)
{
	it->ix = ix;
	it->name = name;
	it->namelen = namelen;
	it->split = split;
	it->field = 0;
	it->pos = 0;
	it->in_field = false;
}

void
lb_fetch_iter_hdr(struct lb_fetch_iter *it, const struct lb_head_index *ix,
    const char *name, size_t namelen)
{
	lb_fetch_iter_init(it, ix, LB_FETCH_COMMAS, name, namelen);
}

void
lb_fetch_iter_cook(struct lb_fetch_iter *it, const struct lb_head_index *ix,
    const char *name, size_t namelen)
{
	lb_fetch_iter_init(it, ix, LB_FETCH_COOKIES, name, namelen);
}

/* Moves it to the next field it reads; false when there is none. */
static bool
iter_field(struct lb_fetch_iter *it)
{
	const struct lb_head_index *ix = it->ix;
	const char *want = it->split == LB_FETCH_COOKIES ? "cookie" :
	    it->name;
	size_t wlen = it->split == LB_FETCH_COOKIES ? 6 : it->namelen;

	for (; it->field < ix->nfields; it->field++) {
		const struct lb_fetch_field *f = &ix->field[it->field];

		if (wlen == 0 && it->split != LB_FETCH_COOKIES)
			break;
		if (name_eq(ix->head + f->name.off, f->name.len, want, wlen,
		    true))
			break;
	}
	if (it->field >= ix->nfields)
		return false;
	it->pos = ix->field[it->field].value.off;
	it->in_field = true;
	return true;
}

/*
 * The next element of the current field, up to a comma (or, in a Cookie
 * field, a semicolon) or the value's end, trimmed; moves past it, and
 * off the field after its last element.
 */
static void
iter_element(struct lb_fetch_iter *it, bool semicolon, const char **p,
    size_t *len)
{
	const struct lb_fetch_field *f = &it->ix->field[it->field];
	const char *v = it->ix->head + it->pos;
	const char *vend = it->ix->head + f->value.off + f->value.len;
	const char *e = memchr(v, ',', (size_t)(vend - v)), *sc;

	if (e == NULL)
		e = vend;
	if (semicolon && (sc = memchr(v, ';', (size_t)(e - v))) != NULL)
		e = sc;
	*p = v;
	*len = (size_t)(e - v);
	trim(p, len);
	if (e < vend) {
		it->pos = (uint32_t)(e + 1 - it->ix->head);
	} else {
		it->in_field = false;
		it->field++;
	}
}

/* Whether the cookie [c, c + clen) is "NAME=value" (any name when
 * it->namelen is 0); sets the value's span. */
static bool
cookie_match(const struct lb_fetch_iter *it, const char *c, size_t clen,
    const char **p, size_t *len)
{
	const char *eq = memchr(c, '=', clen), *n = c;
	size_t nlen;

	if (eq == NULL)
		return false;
	nlen = (size_t)(eq - c);
	trim(&n, &nlen);
	if (it->namelen > 0 &&
	    !name_eq(n, nlen, it->name, it->namelen, false))
		return false;
	*p = eq + 1;
	*len = (size_t)(c + clen - *p);
	trim(p, len);
	return true;
}

bool
lb_fetch_next(struct lb_fetch_iter *it, const char **p, size_t *len)
{
	const struct lb_fetch_field *f;

	for (;;) {
		if (!it->in_field && !iter_field(it))
			return false;
		f = &it->ix->field[it->field];
		switch (it->split) {
		case LB_FETCH_WHOLE:
			*p = it->ix->head + f->value.off;
			*len = f->value.len;
			it->in_field = false;
			it->field++;
			return true;
		case LB_FETCH_COMMAS:
			iter_element(it, false, p, len);
			return true;
		case LB_FETCH_COOKIES:
			iter_element(it, true, p, len);
			if (cookie_match(it, *p, *len, p, len))
				return true;
			break;
		}
	}
}

static unsigned
iter_count(const struct lb_fetch_iter *start)
{
	struct lb_fetch_iter it = *start;
	const char *p;
	size_t len;
	unsigned n = 0;

	while (lb_fetch_next(&it, &p, &len))
		n++;
	return n;
}

bool
lb_fetch_occ(const struct lb_fetch_iter *start, int occ, const char **p,
    size_t *len)
{
	struct lb_fetch_iter it = *start;
	long want = occ;

	if (occ < 0)
		want = (long)iter_count(start) + occ + 1;
	if (want < 1)
		return false;
	while (lb_fetch_next(&it, p, len))
		if (--want == 0)
			return true;
	return false;
}

static bool
fetch_occ(const struct lb_head_index *ix, enum lb_fetch_split split,
    const char *name, size_t namelen, int occ, const char **p, size_t *len)
{
	struct lb_fetch_iter it;

	lb_fetch_iter_init(&it, ix, split, name, namelen);
	return lb_fetch_occ(&it, occ, p, len);
}

bool
lb_fetch_hdr(const struct lb_head_index *ix, const char *name,
    size_t namelen, int occ, const char **p, size_t *len)
{
	return fetch_occ(ix, LB_FETCH_COMMAS, name, namelen, occ, p, len);
}

bool
lb_fetch_fhdr(const struct lb_head_index *ix, const char *name,
    size_t namelen, int occ, const char **p, size_t *len)
{
	return fetch_occ(ix, LB_FETCH_WHOLE, name, namelen, occ, p, len);
}

bool
lb_fetch_cook(const struct lb_head_index *ix, const char *name,
    size_t namelen, int occ, const char **p, size_t *len)
{
	return fetch_occ(ix, LB_FETCH_COOKIES, name, namelen, occ, p, len);
}

unsigned
lb_fetch_hdr_cnt(const struct lb_head_index *ix, const char *name,
    size_t namelen)
{
	struct lb_fetch_iter it;

	lb_fetch_iter_hdr(&it, ix, name, namelen);
	return iter_count(&it);
}

unsigned
lb_fetch_fhdr_cnt(const struct lb_head_index *ix, const char *name,
    size_t namelen)
{
	struct lb_fetch_iter it;

	lb_fetch_iter_init(&it, ix, LB_FETCH_WHOLE, name, namelen);
	return iter_count(&it);
}
