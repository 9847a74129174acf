/*
 * lb/rule_run.c - application rules run on each request and response
 * head (rule_run.h), from the program rule_compile.c made (rule_prog.h):
 * index the head; each rule in order: its condition (an OR of ANDs of
 * ACL groups), then its action: an edit of the head (indexed again
 * when a later rule reads it), or a verdict that ends the rules.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "mem.h"
#include "rule_edit.h"
#include "rule_fetch.h"
#include "rule_prog.h"
#include "rule_run.h"
#include "util.h"

/* ---- running: conditions ---- */

/* What a rule reads: the head's index and the connection. */
struct ctx {
	struct lb_head_index ix;
	const struct lb_rule_input *in;
	bool response;
	bool stale;			/* an edit since ix was made */
};

/* ---- running: stick tables ---- */

static void
untrack(struct lb_stick *const *sticks, struct lb_rule_track *tr)
{
	if (tr->on && tr->conn && sticks[tr->table] != NULL)
		lb_stick_release_conn(sticks[tr->table], tr->key, tr->keylen);
	tr->on = tr->conn = false;
}

/* track-scN: the entry of v in the rule's table counts this request
 * (and, the first time on the connection, the connection). */
static void
track(const struct ctx *c, const struct rrule *rr, const char *v, size_t n)
{
	const struct lb_rule *r = rr->src;
	struct lb_stick *t = c->in->sticks != NULL ? c->in->sticks[r->table] :
	    NULL;
	struct lb_rule_track *tr;
	unsigned char key[LB_STICK_KEY_MAX];
	unsigned what = LB_STICK_EV_REQ;
	size_t klen;

	if (t == NULL || c->in->tracks == NULL ||
	    lb_stick_key_text(&t->geom, v, n, key, &klen) < 0)
		return;
	tr = &c->in->tracks[r->status];
	if (tr->on && (tr->table != r->table || tr->keylen != klen ||
	    memcmp(tr->key, key, klen) != 0))
		untrack(c->in->sticks, tr);
	if (!tr->on)
		what |= LB_STICK_EV_CONN;
	if (lb_stick_track(t, key, klen, c->in->now_ms, what, &tr->vals) < 0)
		return;
	if (!tr->on) {
		tr->on = tr->conn = true;
		tr->table = r->table;
		memcpy(tr->key, key, klen);
		tr->keylen = klen;
	}
}

static void
inc_gpc0(const struct ctx *c, unsigned sc)
{
	struct lb_rule_track *tr = c->in->tracks != NULL ?
	    &c->in->tracks[sc] : NULL;
	uint32_t v;

	if (tr != NULL && tr->on && c->in->sticks[tr->table] != NULL &&
	    lb_stick_gpc0_inc(c->in->sticks[tr->table], tr->key, tr->keylen,
	    c->in->now_ms, &v) == 0)
		tr->vals.gpc0 = v;
}

/* sc_*(N): what the entry sc N tracks held at its last track. */
static bool
sc_value(const struct ctx *c, const struct lb_acl *a, int64_t *v)
{
	const struct lb_rule_track *tr = c->in->tracks != NULL ?
	    &c->in->tracks[a->arg[0] - '0'] : NULL;

	if (tr == NULL || !tr->on)
		return false;
	switch (a->fetch) {
	case LB_SAMPLE_SC_CONN_CUR:
		*v = tr->vals.conn_cur;
		break;
	case LB_SAMPLE_SC_CONN_RATE:
		*v = tr->vals.conn_rate;
		break;
	case LB_SAMPLE_SC_HTTP_REQ_RATE:
		*v = tr->vals.http_req_rate;
		break;
	case LB_SAMPLE_SC_HTTP_ERR_RATE:
		*v = tr->vals.http_err_rate;
		break;
	default:
		*v = tr->vals.gpc0;
		break;
	}
	return true;
}

void
lb_rule_tracks_status(const struct lb_rule_input *in, int status)
{
	if (in->tracks == NULL || in->sticks == NULL || status < 400 ||
	    status > 499)
		return;
	for (size_t i = 0; i < LB_TRACKERS; i++) {
		struct lb_rule_track *tr = &in->tracks[i];

		if (tr->on && in->sticks[tr->table] != NULL)
			(void)lb_stick_track(in->sticks[tr->table], tr->key,
			    tr->keylen, in->now_ms, LB_STICK_EV_ERR,
			    &tr->vals);
	}
}

void
lb_rule_tracks_end(struct lb_stick *const *sticks,
    struct lb_rule_track *tracks)
{
	for (size_t i = 0; sticks != NULL && tracks != NULL &&
	    i < LB_TRACKERS; i++)
		untrack(sticks, &tracks[i]);
}

/* ---- running: the transaction's variables ---- */

static bool
var_value(const struct ctx *c, size_t slot, const char **s, size_t *n)
{
	const struct lb_rule_var *v = c->in->vars != NULL ?
	    &c->in->vars[slot] : NULL;

	if (v == NULL || !v->set)
		return false;
	*s = v->val;
	*n = v->len;
	return true;
}

/* A value longer than a variable holds leaves it unset (and said so in
 * edged.conf(5)). */
static void
set_var(const struct ctx *c, size_t slot, bool set, const char *v, size_t n)
{
	struct lb_rule_var *var = c->in->vars != NULL ?
	    &c->in->vars[slot] : NULL;

	if (var == NULL)
		return;
	var->set = set && n <= sizeof(var->val);
	if (var->set) {
		memcpy(var->val, v, n);
		var->len = (uint16_t)n;
	}
}

static bool
str_match(const struct racl *a, const char *p, size_t n)
{
	char conv[VALUE_MAX];

	if (a->conv != NULL && !lb_conv_run(a->conv, p, n, conv,
	    sizeof(conv), &p, &n))
		return false;
	return a->set == NULL || lb_patset_match_str(a->set, p, n);
}

static bool
int_match(const struct racl *a, int64_t v)
{
	return a->set == NULL || lb_patset_match_int(a->set, v);
}

/* Any occurrence of a header (or cookie) matches. */
static bool
iter_match(const struct racl *a, struct lb_fetch_iter *it)
{
	const char *p;
	size_t n;

	while (lb_fetch_next(it, &p, &n))
		if (str_match(a, p, n))
			return true;
	return false;
}

static bool
hdr_match(const struct racl *a, const struct ctx *c)
{
	const struct lb_acl *x = a->src;
	struct lb_fetch_iter it;
	const char *p;
	size_t n;

	if (x->fetch == LB_SAMPLE_FHDR)
		lb_fetch_iter_init(&it, &c->ix, LB_FETCH_WHOLE, x->arg,
		    strlen(x->arg));
	else if (x->occ != 0)
		return lb_fetch_hdr(&c->ix, x->arg, strlen(x->arg), x->occ, &p,
		    &n) && str_match(a, p, n);
	else
		lb_fetch_iter_hdr(&it, &c->ix, x->arg, strlen(x->arg));
	return iter_match(a, &it);
}

/* A string sample, found by f on the head. */
static bool
head_match(const struct racl *a, const struct ctx *c,
    bool (*f)(const struct lb_head_index *, const char **, size_t *))
{
	const char *p;
	size_t n;

	return f(&c->ix, &p, &n) && str_match(a, p, n);
}

static bool
other_match(const struct racl *a, const struct ctx *c)
{
	const struct lb_acl *x = a->src;
	const char *p;
	size_t n;
	unsigned st;
	int64_t v;
	int port;

	switch (x->fetch) {
	case LB_SAMPLE_SC_CONN_CUR:
	case LB_SAMPLE_SC_CONN_RATE:
	case LB_SAMPLE_SC_HTTP_REQ_RATE:
	case LB_SAMPLE_SC_HTTP_ERR_RATE:
	case LB_SAMPLE_SC_GPC0:
		return sc_value(c, x, &v) && int_match(a, v);
	case LB_SAMPLE_VAR:
		return var_value(c, a->var, &p, &n) && str_match(a, p, n);
	case LB_SAMPLE_URL_PARAM:
		return lb_fetch_url_param(&c->ix, x->arg, strlen(x->arg),
		    false, &p, &n) && str_match(a, p, n);
	case LB_SAMPLE_COOK: {
		struct lb_fetch_iter it;

		lb_fetch_iter_cook(&it, &c->ix, x->arg, strlen(x->arg));
		return iter_match(a, &it);
	}
	case LB_SAMPLE_HDR_CNT:
		return int_match(a, lb_fetch_hdr_cnt(&c->ix, x->arg,
		    strlen(x->arg)));
	case LB_SAMPLE_SRC_PORT:
	case LB_SAMPLE_DST_PORT:
		port = addr_port(x->fetch == LB_SAMPLE_SRC_PORT ? c->in->src :
		    c->in->dst);
		return port >= 0 && int_match(a, port);
	case LB_SAMPLE_SSL_FC_SNI:
	case LB_SAMPLE_REQ_SSL_SNI:
		return c->in->sni != NULL && str_match(a, c->in->sni,
		    strlen(c->in->sni));
	case LB_SAMPLE_STATUS:
		return lb_fetch_status(&c->ix, &st) && int_match(a, st);
	default:
		return false;
	}
}

static bool
acl_match(const struct racl *a, const struct ctx *c)
{
	const struct sockaddr *sa;

	switch (a->src->fetch) {
	case LB_SAMPLE_ALWAYS:
		return true;
	case LB_SAMPLE_NEVER:
		return false;
	case LB_SAMPLE_SSL_FC:
		return c->in->ssl;
	case LB_SAMPLE_PATH:
		return head_match(a, c, lb_fetch_path);
	case LB_SAMPLE_URL:
		return head_match(a, c, lb_fetch_url);
	case LB_SAMPLE_QUERY:
		return head_match(a, c, lb_fetch_query);
	case LB_SAMPLE_METHOD:
		return head_match(a, c, lb_fetch_method);
	case LB_SAMPLE_VERSION:
		return head_match(a, c, lb_fetch_req_ver);
	case LB_SAMPLE_HDR:
	case LB_SAMPLE_FHDR:
	case LB_SAMPLE_RES_HDR:
		return hdr_match(a, c);
	case LB_SAMPLE_SRC:
	case LB_SAMPLE_DST:
		sa = a->src->fetch == LB_SAMPLE_SRC ? c->in->src : c->in->dst;
		return sa != NULL && (a->set == NULL ||
		    lb_patset_match_ip(a->set, sa));
	default:
		return other_match(a, c);
	}
}

/* An ACL group: true when any of its lines is. */
static bool
group_true(const struct lb_rules *r, unsigned g, const struct ctx *c)
{
	for (size_t i = r->gfirst[g]; i < r->gfirst[g + 1]; i++)
		if (acl_match(&r->acls[i], c))
			return true;
	return false;
}

/* An OR of ANDs, HAProxy's conditions; none is true. */
static bool
cond_true(const struct lb_rules *r, const struct rrule *rr,
    const struct ctx *c)
{
	const struct lb_cond *cd = &rr->src->cond;
	bool all = true, any = false;

	if (cd->nterms == 0)
		return true;
	for (size_t i = 0; i < cd->nterms && !any; i++) {
		const struct lb_cond_term *t = &cd->terms[i];

		if (t->or_before) {
			any = all;
			all = true;
		}
		if (all && !any)
			all = group_true(r, rr->gbase + t->group, c) !=
			    t->negate;
	}
	any = any || all;
	return cd->unless ? !any : any;
}

/* ---- running: values ---- */


/* What a %[...] piece fetches, as text into buf; false: nothing. */
static bool
piece_text(const struct piece *p, const struct ctx *c, char *buf,
    size_t size, const char **s, size_t *n)
{
	const struct sockaddr *sa;
	unsigned st;
	int port;

	switch (p->what) {
	case LB_SAMPLE_SRC:
	case LB_SAMPLE_DST:
		if ((sa = p->what == LB_SAMPLE_SRC ? c->in->src :
		    c->in->dst) == NULL)
			return false;
		addr_fmt(buf, size, sa);
		break;
	case LB_SAMPLE_SRC_PORT:
	case LB_SAMPLE_DST_PORT:
		if ((port = addr_port(p->what == LB_SAMPLE_SRC_PORT ?
		    c->in->src : c->in->dst)) < 0)
			return false;
		snprintf(buf, size, "%d", port);
		break;
	case LB_SAMPLE_STATUS:
		if (!lb_fetch_status(&c->ix, &st))
			return false;
		snprintf(buf, size, "%u", st);
		break;
	case LB_SAMPLE_SSL_FC_SNI:
	case LB_SAMPLE_REQ_SSL_SNI:
		if (c->in->sni == NULL)
			return false;
		*s = c->in->sni;
		*n = strlen(c->in->sni);
		return true;
	case LB_SAMPLE_PATH:
		return lb_fetch_path(&c->ix, s, n);
	case LB_SAMPLE_QUERY:
		return lb_fetch_query(&c->ix, s, n);
	case LB_SAMPLE_URL:
		return lb_fetch_url(&c->ix, s, n);
	case LB_SAMPLE_METHOD:
		return lb_fetch_method(&c->ix, s, n);
	case LB_SAMPLE_VERSION:
		return lb_fetch_req_ver(&c->ix, s, n);
	case LB_SAMPLE_URL_PARAM:
		return lb_fetch_url_param(&c->ix, p->arg, strlen(p->arg),
		    false, s, n);
	case LB_SAMPLE_COOK:
		return lb_fetch_cook(&c->ix, p->arg, strlen(p->arg), -1, s,
		    n);
	case LB_SAMPLE_VAR:
		return var_value(c, p->var, s, n);
	default:			/* hdr, res.hdr: the last, as HAProxy */
		return lb_fetch_hdr(&c->ix, p->arg, strlen(p->arg), -1, s, n);
	}
	*s = buf;
	*n = strlen(buf);
	return true;
}

/* A value built from its pieces into out (VALUE_MAX); a fetch that
 * finds nothing adds nothing.  Returns its length, or -1 too long. */
static long
expand(const struct format *f, const struct ctx *c, char *out)
{
	size_t len = 0;

	for (size_t i = 0; i < f->n; i++) {
		char tmp[INET6_ADDRSTRLEN + 8], conv[VALUE_MAX];
		const struct piece *p = &f->p[i];
		const char *s = p->text;
		size_t n = p->len;

		if (p->fetch && (!piece_text(p, c, tmp, sizeof(tmp), &s, &n) ||
		    (p->conv != NULL && !lb_conv_run(p->conv, s, n, conv,
		    sizeof(conv), &s, &n))))
			continue;
		if (len + n >= VALUE_MAX)
			return -1;
		memcpy(out + len, s, n);
		len += n;
	}
	out[len] = '\0';
	return (long)len;
}

static _Thread_local pcre2_match_data *match_data;

/* Whether re matches subject; then template with \0-\9 replaced by the
 * groups into out (VALUE_MAX).  Returns the length, -1 no match or too
 * long. */
static long
substitute(const pcre2_code *re, const char *subj, size_t slen,
    const char *tpl, char *out)
{
	PCRE2_SIZE *ov;
	size_t len = 0;
	int rc;

	if (match_data == NULL &&
	    (match_data = pcre2_match_data_create(10, NULL)) == NULL)
		return -1;
	if ((rc = pcre2_match(re, (PCRE2_SPTR)subj, slen, 0, 0, match_data,
	    NULL)) <= 0)
		return -1;
	ov = pcre2_get_ovector_pointer(match_data);
	for (const char *t = tpl; *t != '\0'; t++) {
		const char *s = t;
		size_t n = 1;

		if (t[0] == '\\' && t[1] >= '0' && t[1] <= '9') {
			int g = *++t - '0';

			n = 0;
			if (g < rc && ov[2 * g] != PCRE2_UNSET) {
				s = subj + ov[2 * g];
				n = ov[2 * g + 1] - ov[2 * g];
			}
		}
		if (len + n >= VALUE_MAX)
			return -1;
		memcpy(out + len, s, n);
		len += n;
	}
	out[len] = '\0';
	return (long)len;
}

void
lb_rules_thread_done(void)
{
	pcre2_match_data_free(match_data);
	match_data = NULL;
	lb_conv_thread_done();
}

/* ---- running: actions ---- */

/* The head being changed. */
struct head {
	char *buf;
	size_t *len;
	size_t cap;
};

/* A new target: path (NULL: the head's), then '?' and query (NULL: the
 * head's; "": none). */
static int
set_target(struct head *h, struct ctx *c, const char *path, size_t plen,
    const char *query, size_t qlen)
{
	char t[2 * VALUE_MAX + 2];
	size_t n;

	if (path == NULL && !lb_fetch_path(&c->ix, &path, &plen))
		path = "/", plen = 1;
	if (query == NULL && !lb_fetch_query(&c->ix, &query, &qlen))
		query = "", qlen = 0;
	if (plen + qlen + 2 > sizeof(t)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(t, path, plen);
	n = plen;
	if (qlen > 0) {
		t[n++] = '?';
		memcpy(t + n, query, qlen);
		n += qlen;
	}
	return lb_edit_request_line(h->buf, h->len, h->cap, NULL, 0, t, n);
}

/* replace-header, replace-value: each value (or comma-separated
 * element) the regex matches is replaced whole. */
static int
replace_fields(struct head *h, const struct rrule *rr)
{
	const struct lb_rule *r = rr->src;
	size_t from = 0, v, vl, l, ll;
	char out[VALUE_MAX];
	long n;

	while (lb_edit_find(h->buf, *h->len, r->a, strlen(r->a), &from, &v,
	    &vl, &l, &ll)) {
		if ((n = substitute(rr->re, h->buf + v, vl, r->c, out)) < 0)
			continue;
		if (!lb_edit_value_ok(out, (size_t)n)) {
			errno = EINVAL;
			return -1;
		}
		if (lb_edit_splice(h->buf, h->len, h->cap, v, vl, out,
		    (size_t)n) < 0)
			return -1;
		/* on after this line (its blanks, if any, stay) */
		from = (size_t)((const char *)memchr(h->buf + v, '\n',
		    *h->len - v) - h->buf) + 1;
	}
	return 0;
}

/* An edit of the head; -1 when it did not fit or would break it. */
static int
edit(struct head *h, struct ctx *c, const struct rrule *rr)
{
	const struct lb_rule *r = rr->src;
	char v[VALUE_MAX], out[VALUE_MAX];
	const char *s;
	size_t sl;
	long n = 0;

	if ((r->act == LB_ACT_SET_HEADER || r->act == LB_ACT_ADD_HEADER) &&
	    rr->value.literal_ok)
		return lb_edit_ix_put(&c->ix, h->buf, h->len, h->cap, r->a,
		    rr->alen, rr->value.p[0].text, rr->value.p[0].len,
		    r->act == LB_ACT_SET_HEADER);
	if (rr->value.n > 0 && (n = expand(&rr->value, c, v)) < 0) {
		errno = EINVAL;		/* a value this long: not sent */
		return -1;
	}
	switch (r->act) {
	case LB_ACT_SET_VAR:
	case LB_ACT_UNSET_VAR:
		set_var(c, rr->var, r->act == LB_ACT_SET_VAR, v, (size_t)n);
		return 0;
	case LB_ACT_TRACK:
		track(c, rr, v, (size_t)n);
		return 0;
	case LB_ACT_SC_INC_GPC0:
		inc_gpc0(c, (unsigned)r->status);
		return 0;
	case LB_ACT_SET_HEADER:
	case LB_ACT_ADD_HEADER:
		return (r->act == LB_ACT_SET_HEADER ? lb_edit_ix_set :
		    lb_edit_ix_add)(&c->ix, h->buf, h->len, h->cap, r->a,
		    rr->alen, v, (size_t)n);
	case LB_ACT_DEL_HEADER:
		return lb_edit_ix_del(&c->ix, h->buf, h->len, r->a, rr->alen);
	case LB_ACT_REPLACE_HEADER:
	case LB_ACT_REPLACE_VALUE:
		return replace_fields(h, rr);
	case LB_ACT_SET_PATH:
		return set_target(h, c, v, (size_t)n, NULL, 0);
	case LB_ACT_SET_QUERY:
		return set_target(h, c, NULL, 0, v, (size_t)n);
	case LB_ACT_SET_URI:
		return lb_edit_request_line(h->buf, h->len, h->cap, NULL, 0,
		    v, (size_t)n);
	case LB_ACT_SET_METHOD:
		return lb_edit_request_line(h->buf, h->len, h->cap, v,
		    (size_t)n, NULL, 0);
	case LB_ACT_REPLACE_PATH:
		if (!lb_fetch_path(&c->ix, &s, &sl) ||
		    (n = substitute(rr->re, s, sl, r->c, out)) < 0)
			return 0;
		return set_target(h, c, out, (size_t)n, NULL, 0);
	case LB_ACT_REPLACE_URI:
		if (!lb_fetch_url(&c->ix, &s, &sl) ||
		    (n = substitute(rr->re, s, sl, r->c, out)) < 0)
			return 0;
		return lb_edit_request_line(h->buf, h->len, h->cap, NULL, 0,
		    out, (size_t)n);
	case LB_ACT_SET_STATUS:
		return lb_edit_status(h->buf, h->len, h->cap, r->status, r->b,
		    r->b != NULL ? strlen(r->b) : 0);
	default:
		return 0;
	}
}

/* A redirect's Location. */
static void
redirect(const struct rrule *rr, struct ctx *c, struct lb_rule_outcome *o)
{
	const struct lb_rule *r = rr->src;
	const char *path = "/", *query = "", *host = "";
	size_t plen = 1, qlen = 0, hlen = 0;
	char v[VALUE_MAX];
	bool slash;

	o->verdict = LB_RULES_REDIRECT;
	o->status = r->status;
	o->cookie = r->c;
	o->clear_cookie = (r->flags & LB_REDIRECT_CLEAR_COOKIE) != 0;
	if (strcmp(r->a, "location") == 0) {
		long n = expand(&rr->value, c, v);

		snprintf(o->location, sizeof(o->location), "%s", n >= 0 ? v :
		    "/");
		return;
	}
	(void)lb_fetch_path(&c->ix, &path, &plen);
	if (!(r->flags & LB_REDIRECT_DROP_QUERY))
		(void)lb_fetch_query(&c->ix, &query, &qlen);
	slash = (r->flags & LB_REDIRECT_APPEND_SLASH) && plen > 0 &&
	    path[plen - 1] != '/';
	if (r->a[0] == 's')		/* scheme: the Host the client named */
		(void)lb_fetch_hdr(&c->ix, "host", 4, -1, &host, &hlen);
	snprintf(o->location, sizeof(o->location), "%s%s%.*s%.*s%s%s%.*s",
	    r->a[0] == 's' || strcmp(r->b, "/") != 0 ? r->b : "",
	    r->a[0] == 's' ? "://" : "", (int)hlen, host, (int)plen, path,
	    slash ? "/" : "", qlen > 0 ? "?" : "", (int)qlen, query);
}

/* The rule's verdict, if it ends the rules; false for an edit. */
static bool
verdict(const struct rrule *rr, struct ctx *c, struct lb_rule_outcome *o)
{
	const struct lb_rule *r = rr->src;

	switch (r->act) {
	case LB_ACT_DENY:
	case LB_ACT_TARPIT:
		o->verdict = r->act == LB_ACT_DENY ? LB_RULES_DENY :
		    LB_RULES_TARPIT;
		o->status = r->status;
		return true;
	case LB_ACT_RETURN:
		o->verdict = LB_RULES_RETURN;
		o->status = r->status;
		o->content_type = r->a;
		o->body = rr->body != NULL ? rr->body : r->b != NULL ? r->b :
		    "";
		o->body_len = rr->body != NULL ? rr->body_len :
		    strlen(o->body);
		return true;
	case LB_ACT_REDIRECT:
		redirect(rr, c, o);
		return true;
	default:
		return false;
	}
}


static bool
index_head(struct ctx *c, const char *buf, size_t len)
{
	return (c->response ? lb_head_index_response(&c->ix, buf, len) :
	    lb_head_index(&c->ix, buf, len)) == 0;
}

/* The index again, if an edit made it stale: only before a rule that
 * reads it (a condition, a %[...], a path), so that edits one after
 * the other (set-header, del-header ...) index the head once. */
static bool
fresh(struct ctx *c, const struct head *h)
{
	if (!c->stale)
		return true;
	c->stale = false;
	return index_head(c, h->buf, *h->len);
}

/* Whether an action finds the lines it changes through the index (and
 * keeps it in step). */
static bool
edits_by_index(enum lb_action act)
{
	return act == LB_ACT_SET_HEADER || act == LB_ACT_ADD_HEADER ||
	    act == LB_ACT_DEL_HEADER;
}

/* Whether the index is as good after the action as before it: kept in
 * step, or the head left alone. */
static bool
keeps_index(enum lb_action act)
{
	return edits_by_index(act) || act == LB_ACT_SET_VAR ||
	    act == LB_ACT_UNSET_VAR || act == LB_ACT_TRACK ||
	    act == LB_ACT_SC_INC_GPC0;
}

/* The rules of phase ph in order, until one ends them. */
static void
run(const struct lb_rules *r, enum lb_phase ph, struct ctx *c,
    struct head *h, struct lb_rule_outcome *o)
{
	for (size_t k = r->phase_first[ph]; k < r->phase_first[ph + 1]; k++) {
		const struct rrule *rr = &r->rules[r->order[k]];

		if ((rr->src->cond.nterms > 0 || rr->reads_head ||
		    edits_by_index(rr->src->act)) && !fresh(c, h)) {
			o->verdict = LB_RULES_TOO_BIG;
			return;
		}
		if (!cond_true(r, rr, c))
			continue;
		if (c->in->hits != NULL)
			CTR_ADD(c->in->hits[rr->src->id].requests, 1);
		if (ph == LB_PHASE_BACKEND) {
			o->pool = rr->pool;
			return;
		}
		if (verdict(rr, c, o))
			return;
		if (edit(h, c, rr) < 0 && errno == E2BIG) {
			o->verdict = LB_RULES_TOO_BIG;
			return;
		}
		/* the next rules that read the head read it as it is now */
		if (!keeps_index(rr->src->act))
			c->stale = true;
	}
}

/* What a head's rules start with: the index is made by index_head. */
static void
ctx_init(struct ctx *c, const struct lb_rule_input *in, bool response)
{
	c->in = in;
	c->response = response;
	c->stale = false;
}

void
lb_rules_request(const struct lb_rules *r, const struct lb_rule_input *in,
    char *buf, size_t *len, size_t cap, struct lb_rule_outcome *out)
{
	struct ctx c;			/* not zeroed: the index is 1.6 KiB */
	struct head h = { buf, len, cap };

	ctx_init(&c, in, false);
	out->verdict = LB_RULES_PASS;
	out->pool = -1;
	if (!index_head(&c, buf, *len)) {
		out->verdict = LB_RULES_TOO_BIG;
		return;
	}
	run(r, LB_PHASE_REQUEST, &c, &h, out);
	if (out->verdict == LB_RULES_PASS)
		run(r, LB_PHASE_BACKEND, &c, &h, out);
}

void
lb_rules_connection(const struct lb_rules *r,
    const struct lb_rule_input *in, struct lb_rule_outcome *out)
{
	/* no head: the rules were checked to read none (rule_conf.c) */
	struct ctx c = { .in = in };
	size_t len = 0;
	struct head h = { NULL, &len, 0 };

	out->verdict = LB_RULES_PASS;
	out->pool = -1;
	run(r, LB_PHASE_BACKEND, &c, &h, out);
}

void
lb_rules_response(const struct lb_rules *r, const struct lb_rule_input *in,
    char *buf, size_t *len, size_t cap, struct lb_rule_outcome *out)
{
	struct ctx c;
	struct head h = { buf, len, cap };

	ctx_init(&c, in, true);
	out->verdict = LB_RULES_PASS;
	out->pool = -1;
	if (!index_head(&c, buf, *len)) {
		out->verdict = LB_RULES_TOO_BIG;
		return;
	}
	run(r, LB_PHASE_RESPONSE, &c, &h, out);
}
