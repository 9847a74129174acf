/*
 * lb/rule_run.c - application rules compiled once per generation, and
 * run on each request and response head (rule_run.h).
 *
 *   compile: ACLs -> sealed pattern sets, grouped; values -> literal and
 *            %[FETCH] pieces; regexes -> JIT code; use_backend -> pool
 *   run:     index the head; each rule in order: its condition (an OR of
 *            ANDs of ACL groups), then its action: an edit of the head
 *            (index again), or a verdict that ends the rules
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "mem.h"
#include "rule_edit.h"
#include "rule_fetch.h"
#include "rule_conv.h"
#include "rule_pattern.h"
#include "rule_run.h"
#include "util.h"

#define VALUE_MAX	1024		/* a value built from %[...] */

/* A piece of a value: literal bytes, or what a fetch finds. */
struct piece {
	const char *text;		/* literal: into the rule's words */
	size_t len;
	bool fetch;
	enum lb_sample what;
	char arg[LB_NAME_MAX];
	size_t var;			/* var(): its slot */
	struct lb_conv_chain *conv;	/* ",lower..." after the fetch */
};

struct format {
	struct piece *p;
	size_t n;
};

/* One acl line compiled. */
struct racl {
	const struct lb_acl *src;
	struct lb_patset *set;		/* NULL: found, bool, always, never */
	size_t var;			/* var(): its slot */
	struct lb_conv_chain *conv;	/* the criterion's converters */
};

/* One rule compiled. */
struct rrule {
	const struct lb_rule *src;
	unsigned gbase;			/* its set's first group */
	struct format value;		/* b, for actions that take a value */
	pcre2_code *re;			/* b, for replace-* */
	int pool;			/* use_backend */
	char *body;			/* return ... file: its text, ours */
	size_t body_len;
	size_t var;			/* set-var, unset-var: the slot */
	bool reads_head;		/* its action reads the head through
					 * the index (not only its edit) */
};

struct lb_rules {
	struct racl *acls;		/* sorted by group */
	size_t nacls;
	size_t *gfirst;			/* [ngroups + 1]: group g's acls are
					 * acls[gfirst[g] .. gfirst[g + 1]) */
	unsigned ngroups;
	struct rrule *rules;
	size_t nrules;
	bool need_dst;			/* some rule reads dst or dst_port */
	bool tracks;			/* some rule tracks or reads sc_* */
	char (*vars)[LB_NAME_MAX];	/* the variables' names, by slot */
	size_t nvars;
};

/* ---- compiling ---- */

static const struct {
	const char *name;
	enum lb_sample what;
	bool arg;
} format_fetches[] = {
	{ "src", LB_SAMPLE_SRC, false }, { "dst", LB_SAMPLE_DST, false },
	{ "src_port", LB_SAMPLE_SRC_PORT, false },
	{ "dst_port", LB_SAMPLE_DST_PORT, false },
	{ "path", LB_SAMPLE_PATH, false }, { "query", LB_SAMPLE_QUERY, false },
	{ "url", LB_SAMPLE_URL, false }, { "method", LB_SAMPLE_METHOD, false },
	{ "req.ver", LB_SAMPLE_VERSION, false },
	{ "hdr", LB_SAMPLE_HDR, true }, { "req.hdr", LB_SAMPLE_HDR, true },
	{ "res.hdr", LB_SAMPLE_RES_HDR, true },
	{ "url_param", LB_SAMPLE_URL_PARAM, true },
	{ "urlp", LB_SAMPLE_URL_PARAM, true },
	{ "cook", LB_SAMPLE_COOK, true }, { "req.cook", LB_SAMPLE_COOK, true },
	{ "ssl_fc_sni", LB_SAMPLE_SSL_FC_SNI, false },
	{ "req.ssl_sni", LB_SAMPLE_REQ_SSL_SNI, false },
	{ "status", LB_SAMPLE_STATUS, false },
	{ "var", LB_SAMPLE_VAR, true },
};

static int
push_piece(struct format *f, const struct piece *p)
{
	if (mem_resize(&f->p, f->n + 1, sizeof(*f->p)) < 0)
		return -1;
	f->p[f->n++] = *p;
	return 0;
}

/* "FETCH" or "FETCH(ARG)" of %[...] (len bytes at s) into p. */
static int
format_fetch(const char *s, size_t len, struct piece *p)
{
	const char *open = memchr(s, '(', len);
	size_t n = open != NULL ? (size_t)(open - s) : len;

	for (size_t i = 0; i < ARRAY_LEN(format_fetches); i++) {
		if (strlen(format_fetches[i].name) != n ||
		    memcmp(format_fetches[i].name, s, n) != 0)
			continue;
		if (format_fetches[i].arg != (open != NULL) ||
		    (open != NULL && (s[len - 1] != ')' ||
		    len - n - 2 == 0 || len - n - 2 >= sizeof(p->arg) ||
		    memchr(open, ',', len - n) != NULL)))
			return -1;
		p->fetch = true;
		p->what = format_fetches[i].what;
		if (open != NULL)
			snprintf(p->arg, sizeof(p->arg), "%.*s",
			    (int)(len - n - 2), open + 1);
		return 0;
	}
	return -1;
}

/* The fetch at the start of the len bytes at s: up to the first ',' or
 * ']' outside its parentheses. */
static size_t
fetch_len(const char *s, size_t len)
{
	size_t i = 0;
	int depth = 0;

	for (; i < len && (depth > 0 || (s[i] != ',' && s[i] != ']')); i++)
		depth += s[i] == '(' ? 1 : s[i] == ')' && depth > 0 ? -1 : 0;
	return i;
}

/* A fetch and its converters, "FETCH[,CONV...]" (len bytes at s: the
 * whole of set-var's expression, or what %[ ] holds), into p.  Returns
 * the bytes it took (the converters end before a ']'), or -1 with the
 * error in err. */
static long
fetch_piece(const char *s, size_t len, struct piece *p,
    const struct lb_rule_file *files, size_t nfiles, char *err,
    size_t errsize)
{
	size_t fe = fetch_len(s, len), span;

	*p = (struct piece){ .text = s };
	if (format_fetch(s, fe, p) < 0) {
		snprintf(err, errsize, "'%.*s' is not a fetch edged has here: "
		    "src, dst, src_port, dst_port, path, query, url, method, "
		    "req.ver, hdr(NAME), res.hdr(NAME), url_param(NAME), "
		    "cook(NAME), ssl_fc_sni, req.ssl_sni, status, var(NAME)",
		    (int)fe, s);
		return -1;
	}
	span = fe < len && s[fe] == ',' ? lb_conv_span(s + fe, len - fe) : 0;
	if (span > 0 && lb_conv_compile(s + fe, span, files, nfiles,
	    &p->conv, err, errsize) < 0)
		return -1;
	return (long)(fe + span);
}

/* A value with %[FETCH[,CONVERTERS]] pieces and %% for a percent
 * sign. */
static int
compile_format(const char *v, struct format *f,
    const struct lb_rule_file *files, size_t nfiles,
    const struct conf_pos *pos, struct conf_diag *d)
{
	const char *s = v;
	char err[320];

	while (*s != '\0') {
		struct piece p = { .text = s };
		const char *pct = strchr(s, '%');
		long took;

		p.len = pct != NULL ? (size_t)(pct - s) : strlen(s);
		if (p.len > 0 && push_piece(f, &p) < 0)
			return conf_oom(d, pos);
		if (pct == NULL)
			break;
		if (pct[1] == '%') {
			p = (struct piece){ .text = pct, .len = 1 };
			if (push_piece(f, &p) < 0)
				return conf_oom(d, pos);
			s = pct + 2;
			continue;
		}
		if (pct[1] != '[') {
			snprintf(err, sizeof(err), "a '%%' starts %%[FETCH] or "
			    "%%%% (a percent sign)");
			goto refused;
		}
		if ((took = fetch_piece(pct + 2, strlen(pct + 2), &p, files,
		    nfiles, err, sizeof(err))) < 0)
			goto refused;
		if (pct[2 + took] != ']') {
			lb_conv_free(&p.conv);
			snprintf(err, sizeof(err), "%%[ is never closed");
			goto refused;
		}
		if (push_piece(f, &p) < 0) {
			lb_conv_free(&p.conv);
			return conf_oom(d, pos);
		}
		s = pct + 2 + took + 1;
	}
	return 0;
refused:
	conf_error(d, pos, "in '%s': %s", v, err);
	return -1;
}

static const struct lb_rule_file *
find_file(const struct lb_rule_file *files, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(files[i].path, path) == 0)
			return &files[i];
	return NULL;
}

/* Whether a criterion's sample is text that converters may take: the
 * others are matched as numbers or addresses. */
static bool
text_sample(enum lb_sample what)
{
	switch (what) {
	case LB_SAMPLE_ALWAYS:
	case LB_SAMPLE_NEVER:
	case LB_SAMPLE_SRC:
	case LB_SAMPLE_DST:
	case LB_SAMPLE_SRC_PORT:
	case LB_SAMPLE_DST_PORT:
	case LB_SAMPLE_SSL_FC:
	case LB_SAMPLE_STATUS:
	case LB_SAMPLE_HDR_CNT:
		return false;
	default:
		return true;
	}
}

/* The converters written after an ACL's criterion. */
static int
compile_acl_conv(const struct lb_acl *a, struct racl *out,
    const struct lb_rule_file *files, size_t nfiles, struct conf_diag *d)
{
	char err[320];

	if (!text_sample(a->fetch) || a->match == LB_MATCH_INT ||
	    a->match == LB_MATCH_IP || a->match == LB_MATCH_BOOL) {
		conf_error(d, &a->pos, "converters after this criterion: "
		    "edged converts text samples matched as text (not yet "
		    "addresses, ports or numbers)");
		return -1;
	}
	if (lb_conv_span(a->conv, strlen(a->conv)) != strlen(a->conv)) {
		conf_error(d, &a->pos, "'%s': more after the converters",
		    a->conv);
		return -1;
	}
	if (lb_conv_compile(a->conv, strlen(a->conv), files, nfiles,
	    &out->conv, err, sizeof(err)) < 0) {
		conf_error(d, &a->pos, "%s", err);
		return -1;
	}
	return 0;
}

/* An ACL's patterns and files into a sealed set (none for the methods
 * that need none). */
static int
compile_acl(const struct lb_acl *a, struct racl *out,
    const struct lb_rule_file *files, size_t nfiles, struct conf_diag *d)
{
	static const enum lb_pat_method methods[] = {
		[LB_MATCH_STR] = LB_PAT_STR, [LB_MATCH_BEG] = LB_PAT_BEG,
		[LB_MATCH_END] = LB_PAT_END, [LB_MATCH_SUB] = LB_PAT_SUB,
		[LB_MATCH_REG] = LB_PAT_REG, [LB_MATCH_DOM] = LB_PAT_DOM,
		[LB_MATCH_DIR] = LB_PAT_DIR, [LB_MATCH_LEN] = LB_PAT_LEN,
		[LB_MATCH_INT] = LB_PAT_INT, [LB_MATCH_IP] = LB_PAT_IP,
	};
	char err[320];

	out->src = a;
	if (a->conv != NULL && compile_acl_conv(a, out, files, nfiles,
	    d) < 0)
		return -1;
	if (a->match == LB_MATCH_FOUND || a->match == LB_MATCH_BOOL) {
		if (a->npatterns == 0 && a->nfiles == 0)
			return 0;
		conf_error(d, &a->pos, "-m %s takes no value",
		    a->match == LB_MATCH_FOUND ? "found" : "bool");
		return -1;
	}
	if ((out->set = lb_patset_new(methods[a->match], a->icase)) == NULL)
		return conf_oom(d, &a->pos);
	for (size_t i = 0; i < a->npatterns; i++)
		if (lb_patset_add(out->set, a->patterns[i],
		    strlen(a->patterns[i]), err, sizeof(err)) < 0)
			goto refused;
	for (size_t i = 0; i < a->nfiles; i++) {
		const struct lb_rule_file *f = find_file(files, nfiles,
		    a->files[i]);

		if (f == NULL) {
			snprintf(err, sizeof(err), "pattern file %s was not "
			    "read", a->files[i]);
			goto refused;
		}
		if (f->text == NULL)
			continue;	/* it could not be: said already */
		if (lb_patset_load(out->set, f->text, f->len, f->path, err,
		    sizeof(err)) < 0)
			goto refused;
	}
	if (lb_patset_seal(out->set, err, sizeof(err)) == 0)
		return 0;
refused:
	conf_error(d, &a->pos, "%s", err);
	lb_patset_free(&out->set);
	return -1;
}

static pcre2_code *
compile_regex(const char *re, const struct conf_pos *pos,
    struct conf_diag *d)
{
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE off;
	int code;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
	    0, &code, &off, NULL);

	if (c == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		conf_error(d, pos, "\"%s\" is not a valid regex: %s (at byte "
		    "%zu)", re, (const char *)msg, (size_t)off);
		return NULL;
	}
	(void)pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
	return c;
}

/* Headers that frame the message or say what becomes of the connection:
 * edged writes them itself, and a rule that changed them would have the
 * client and the member read different messages. */
static bool
framing_header(const char *name)
{
	static const char *const names[] = { "content-length",
	    "transfer-encoding", "connection", "upgrade", "keep-alive",
	    "proxy-connection", "te", "trailer" };

	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		if (strcasecmp(name, names[i]) == 0)
			return true;
	return false;
}

/* What a rule may not do to a message edged forwards. */
static int
check_rule(const struct lb_rule *r, struct conf_diag *d)
{
	switch (r->act) {
	case LB_ACT_SET_HEADER:
	case LB_ACT_ADD_HEADER:
	case LB_ACT_DEL_HEADER:
	case LB_ACT_REPLACE_HEADER:
	case LB_ACT_REPLACE_VALUE:
		if (!framing_header(r->a))
			return 0;
		conf_error(d, &r->pos, "a rule may not change '%s': edged "
		    "writes the headers that frame a message and its "
		    "connection itself", r->a);
		return -1;
	case LB_ACT_SET_STATUS:
		if (r->status >= 200 && r->status != 204 && r->status != 304)
			return 0;
		conf_error(d, &r->pos, "set-status %d: a response with this "
		    "status has no body, which would leave the member's "
		    "body unframed", r->status);
		return -1;
	default:
		return 0;
	}
}

/* return ... file F: the text the master read, kept (the files go once
 * the rules are compiled). */
static int
return_file(const struct lb_rule *r, struct rrule *out,
    const struct lb_rule_file *files, size_t nfiles, struct conf_diag *d)
{
	const struct lb_rule_file *f = find_file(files, nfiles, r->c);

	if (f == NULL) {
		conf_error(d, &r->pos, "file %s was not read", r->c);
		return -1;
	}
	if (f->text == NULL)
		return -1;		/* it could not be: said already */
	if (f->len > LB_RULE_BODY_MAX) {
		conf_error(d, &r->pos, "return ... file %s: %zu bytes; edged "
		    "answers with at most %d", r->c, f->len,
		    LB_RULE_BODY_MAX);
		return -1;
	}
	if ((out->body = malloc(f->len + 1)) == NULL)
		return conf_oom(d, &r->pos);
	memcpy(out->body, f->text, f->len);
	out->body_len = f->len;
	return 0;
}

/* The slot of variable name ("txn.NAME"), made on first sight. */
static int
var_slot(struct lb_rules *r, const char *name, size_t *slot,
    const struct conf_pos *pos, struct conf_diag *d)
{
	if (strncmp(name, "req.", 4) == 0 || strncmp(name, "res.", 4) == 0 ||
	    strncmp(name, "txn.", 4) == 0)
		name += 4;
	for (*slot = 0; *slot < r->nvars; (*slot)++)
		if (strcmp(r->vars[*slot], name) == 0)
			return 0;
	if (r->nvars == LB_RULE_VARS) {
		conf_error(d, pos, "more than %d variables in one virtual "
		    "server's rules", LB_RULE_VARS);
		return -1;
	}
	if (mem_resize(&r->vars, r->nvars + 1, sizeof(*r->vars)) < 0)
		return conf_oom(d, pos);
	snprintf(r->vars[r->nvars], sizeof(*r->vars), "%s", name);
	r->nvars++;
	return 0;
}

/* set-var's expression: str(TEXT), int(N), or a fetch with its
 * converters. */
static int
compile_expr(const char *e, const struct lb_rule_file *files,
    size_t nfiles, struct format *f, const struct conf_pos *pos,
    struct conf_diag *d)
{
	size_t n = strlen(e);
	struct piece p = { .text = e + 4, .len = n > 5 ? n - 5 : 0 };
	char err[320];
	long took;

	if (n > 5 && e[n - 1] == ')' && (strncmp(e, "str(", 4) == 0 ||
	    strncmp(e, "int(", 4) == 0))
		return push_piece(f, &p) < 0 ? conf_oom(d, pos) : 0;
	if ((took = fetch_piece(e, n, &p, files, nfiles, err,
	    sizeof(err))) >= 0 && (size_t)took != n) {
		lb_conv_free(&p.conv);
		snprintf(err, sizeof(err), "'%s' has more after its "
		    "converters", e);
		took = -1;
	}
	if (took < 0) {
		conf_error(d, pos, "set-var: %s (an expression is str(TEXT), "
		    "int(N), or a fetch and its converters)", err);
		return -1;
	}
	if (push_piece(f, &p) < 0) {
		lb_conv_free(&p.conv);
		return conf_oom(d, pos);
	}
	return 0;
}

/* The slots of the variables a value reads. */
static int
bind_vars(struct lb_rules *r, struct format *f, const struct conf_pos *pos,
    struct conf_diag *d)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->p[i].fetch && f->p[i].what == LB_SAMPLE_VAR &&
		    var_slot(r, f->p[i].arg, &f->p[i].var, pos, d) < 0)
			return -1;
	return 0;
}

/* Whether a rule's action reads the head through the index: a value
 * with a fetch, the path or URI it changes, a redirect's. */
static bool
reads_head(const struct rrule *rr)
{
	for (size_t i = 0; i < rr->value.n; i++)
		if (rr->value.p[i].fetch)
			return true;
	switch (rr->src->act) {
	case LB_ACT_SET_PATH:
	case LB_ACT_SET_QUERY:
	case LB_ACT_REPLACE_PATH:
	case LB_ACT_REPLACE_URI:
	case LB_ACT_REDIRECT:
		return true;
	default:
		return false;
	}
}

/* What one rule needs at run time. */
static int
compile_rule(const struct lb_rule *r, struct rrule *out,
    int (*pool_index)(const char *, void *), void *arg,
    const struct lb_rule_file *files, size_t nfiles, struct conf_diag *d)
{
	out->src = r;
	out->pool = -1;
	if (check_rule(r, d) < 0)
		return -1;
	switch (r->act) {
	case LB_ACT_USE_BACKEND:
		if ((out->pool = pool_index(r->a, arg)) >= 0)
			return 0;
		conf_error(d, &r->pos, "use_backend: no pool '%s'", r->a);
		return -1;
	case LB_ACT_REPLACE_HEADER:
	case LB_ACT_REPLACE_VALUE:
	case LB_ACT_REPLACE_PATH:
	case LB_ACT_REPLACE_URI:
		if (strstr(r->c, "%[") != NULL) {
			conf_error(d, &r->pos, "in the replacement '%s': edged "
			    "takes \\0 to \\9 (no %%[...] yet)", r->c);
			return -1;
		}
		return (out->re = compile_regex(r->b, &r->pos, d)) != NULL ?
		    0 : -1;
	case LB_ACT_SET_HEADER:
	case LB_ACT_ADD_HEADER:
	case LB_ACT_SET_PATH:
	case LB_ACT_SET_QUERY:
	case LB_ACT_SET_URI:
	case LB_ACT_SET_METHOD:
		return compile_format(r->b, &out->value, files, nfiles,
		    &r->pos, d);
	case LB_ACT_REDIRECT:
		return strcmp(r->a, "location") == 0 ?
		    compile_format(r->b, &out->value, files, nfiles, &r->pos,
		    d) : 0;
	case LB_ACT_TRACK:
		return compile_expr(r->b, files, nfiles, &out->value, &r->pos,
		    d);
	case LB_ACT_SET_VAR:
		return (r->flags & LB_SETVAR_FMT) ? compile_format(r->b,
		    &out->value, files, nfiles, &r->pos, d) :
		    compile_expr(r->b, files, nfiles, &out->value, &r->pos, d);
	case LB_ACT_RETURN:
		return r->c != NULL ? return_file(r, out, files, nfiles, d) :
		    0;
	default:
		return 0;
	}
}

/* The ACLs of every set, grouped: set k's group g is gbase[k] + g. */
static int
compile_acls(struct lb_rules *r, const struct lb_rule_set *const *sets,
    size_t n, const unsigned *gbase, const struct lb_rule_file *files,
    size_t nfiles, struct conf_diag *d)
{
	size_t k = 0, at = 0;

	for (size_t s = 0; s < n; s++)
		r->nacls += sets[s]->nacls;
	if ((r->acls = mem_array(r->nacls, sizeof(*r->acls))) == NULL ||
	    (r->gfirst = mem_array(r->ngroups + 1, sizeof(*r->gfirst))) ==
	    NULL)
		return conf_oom(d, NULL);
	/* group by group, in the order of the sets: a counting pass */
	for (unsigned g = 0; g < r->ngroups; g++) {
		r->gfirst[g] = at;
		for (size_t s = 0; s < n; s++)
			for (size_t i = 0; i < sets[s]->nacls; i++)
				if (gbase[s] + sets[s]->acls[i].group == g &&
				    compile_acl(&sets[s]->acls[i],
				    &r->acls[at++], files, nfiles, d) < 0)
					k++;
	}
	r->gfirst[r->ngroups] = at;
	return k == 0 ? 0 : -1;
}

/* Whether a criterion can be read in phase ph: a response rule sees the
 * response head (hdr() is then the response's, as in HAProxy), a
 * request rule the request's. */
static bool
readable_in(enum lb_sample what, enum lb_phase ph)
{
	switch (what) {
	case LB_SAMPLE_PATH:
	case LB_SAMPLE_URL:
	case LB_SAMPLE_QUERY:
	case LB_SAMPLE_METHOD:
	case LB_SAMPLE_VERSION:
	case LB_SAMPLE_URL_PARAM:
	case LB_SAMPLE_COOK:
	case LB_SAMPLE_FHDR:
		return ph != LB_PHASE_RESPONSE;
	case LB_SAMPLE_STATUS:
	case LB_SAMPLE_RES_HDR:
		return ph == LB_PHASE_RESPONSE;
	default:
		return true;
	}
}

/* HAProxy warns that such an ACL "will never match"; edged refuses it,
 * saying how to carry what it reads. */
static unsigned
check_phases(const struct lb_rules *r, struct conf_diag *d)
{
	unsigned errors = 0;

	for (size_t i = 0; i < r->nrules; i++) {
		const struct rrule *rr = &r->rules[i];
		const struct lb_cond *c = &rr->src->cond;

		for (size_t t = 0; t < c->nterms; t++) {
			unsigned g = rr->gbase + c->terms[t].group;

			for (size_t k = r->gfirst[g]; k < r->gfirst[g + 1];
			    k++) {
				const struct lb_acl *a = r->acls[k].src;

				if (readable_in(a->fetch, rr->src->phase))
					continue;
				conf_error(d, &rr->src->pos, "%s%s%s reads the "
				    "%s, which this rule does not see",
				    a->name[0] ? "acl '" : "an anonymous acl",
				    a->name, a->name[0] ? "'" : "",
				    rr->src->phase == LB_PHASE_RESPONSE ?
				    "request" : "response");
				errors++;
				break;
			}
		}
	}
	return errors;
}

/* Every variable a rule sets or reads gets its slot: set-var's and
 * unset-var's, var() in values and in ACLs. */
static int
bind_all_vars(struct lb_rules *r, struct conf_diag *d)
{
	for (size_t i = 0; i < r->nrules; i++) {
		struct rrule *rr = &r->rules[i];
		const struct lb_rule *src = rr->src;

		if ((src->act == LB_ACT_SET_VAR ||
		    src->act == LB_ACT_UNSET_VAR) && var_slot(r, src->a,
		    &rr->var, &src->pos, d) < 0)
			return -1;
		if (bind_vars(r, &rr->value, &src->pos, d) < 0)
			return -1;
	}
	for (size_t i = 0; i < r->nacls; i++)
		if (r->acls[i].src != NULL &&
		    r->acls[i].src->fetch == LB_SAMPLE_VAR &&
		    var_slot(r, r->acls[i].src->arg, &r->acls[i].var,
		    &r->acls[i].src->pos, d) < 0)
			return -1;
	return 0;
}

/* The map files of the converters in a log-format value. */
static int
format_files(const char *v, int (*fn)(const char *, void *), void *arg)
{
	const char *pct = v;
	int rc = 0;

	while (rc == 0 && (pct = strstr(pct, "%[")) != NULL) {
		size_t len = strlen(pct + 2), fe = fetch_len(pct + 2, len);

		if (fe < len && pct[2 + fe] == ',')
			rc = lb_conv_files(pct + 2 + fe, lb_conv_span(pct + 2 +
			    fe, len - fe), fn, arg);
		pct += 2 + fe;
	}
	return rc;
}

int
lb_rule_files_of(const struct lb_rule *r,
    int (*fn)(const char *path, void *arg), void *arg)
{
	size_t len, fe;

	switch (r->act) {
	case LB_ACT_SET_HEADER:
	case LB_ACT_ADD_HEADER:
	case LB_ACT_SET_PATH:
	case LB_ACT_SET_QUERY:
	case LB_ACT_SET_URI:
	case LB_ACT_SET_METHOD:
		return format_files(r->b, fn, arg);
	case LB_ACT_REDIRECT:
		return strcmp(r->a, "location") == 0 ? format_files(r->b, fn,
		    arg) : 0;
	case LB_ACT_SET_VAR:
		if (r->flags & LB_SETVAR_FMT)
			return format_files(r->b, fn, arg);
		len = strlen(r->b);
		fe = fetch_len(r->b, len);
		return fe < len ? lb_conv_files(r->b + fe, len - fe, fn, arg) :
		    0;
	case LB_ACT_RETURN:
		return r->c != NULL ? fn(r->c, arg) : 0;
	default:
		return 0;
	}
}

size_t
lb_rules_nvars(const struct lb_rules *r)
{
	return r != NULL ? r->nvars : 0;
}

static bool
reads_dst(enum lb_sample what)
{
	return what == LB_SAMPLE_DST || what == LB_SAMPLE_DST_PORT;
}

static bool
needs_dst(const struct lb_rules *r)
{
	for (size_t i = 0; i < r->nacls; i++)
		if (reads_dst(r->acls[i].src->fetch))
			return true;
	for (size_t i = 0; i < r->nrules; i++)
		for (size_t k = 0; k < r->rules[i].value.n; k++)
			if (r->rules[i].value.p[k].fetch &&
			    reads_dst(r->rules[i].value.p[k].what))
				return true;
	return false;
}

static bool
has_tracks(const struct lb_rules *r)
{
	for (size_t i = 0; i < r->nrules; i++)
		if (r->rules[i].src->act == LB_ACT_TRACK)
			return true;
	return false;
}

bool
lb_rules_track(const struct lb_rules *r)
{
	return r != NULL && r->tracks;
}

bool
lb_rules_need_dst(const struct lb_rules *r)
{
	return r->need_dst;
}

struct lb_rules *
lb_rules_compile(const struct lb_rule_set *const *sets, size_t n,
    int (*pool_index)(const char *name, void *arg), void *arg,
    const struct lb_rule_file *files, size_t nfiles, struct conf_diag *d)
{
	struct lb_rules *r = calloc(1, sizeof(*r));
	unsigned *gbase = mem_array(n, sizeof(*gbase));
	unsigned errors = d->nerrors;
	size_t k = 0;

	if (r == NULL || gbase == NULL)
		goto oom;
	for (size_t s = 0; s < n; s++) {
		gbase[s] = r->ngroups;
		r->ngroups += sets[s]->ngroups;
		r->nrules += sets[s]->nrules;
	}
	if ((r->rules = mem_array(r->nrules, sizeof(*r->rules))) == NULL)
		goto oom;
	(void)compile_acls(r, sets, n, gbase, files, nfiles, d);
	for (size_t s = 0; s < n; s++)
		for (size_t i = 0; i < sets[s]->nrules; i++, k++) {
			r->rules[k].gbase = gbase[s];
			(void)compile_rule(&sets[s]->rules[i], &r->rules[k],
			    pool_index, arg, files, nfiles, d);
			r->rules[k].reads_head = reads_head(&r->rules[k]);
		}
	(void)bind_all_vars(r, d);
	free(gbase);
	(void)check_phases(r, d);
	if (d->nerrors == errors) {
		r->need_dst = needs_dst(r);
		r->tracks = has_tracks(r);
		return r;
	}
	lb_rules_free(&r);
	return NULL;
oom:
	free(gbase);
	lb_rules_free(&r);
	conf_oom(d, NULL);
	return NULL;
}

void
lb_rules_free(struct lb_rules **rules)
{
	struct lb_rules *r = *rules;

	if (r == NULL)
		return;
	for (size_t i = 0; r->acls != NULL && i < r->nacls; i++) {
		lb_patset_free(&r->acls[i].set);
		lb_conv_free(&r->acls[i].conv);
	}
	for (size_t i = 0; r->rules != NULL && i < r->nrules; i++) {
		for (size_t k = 0; k < r->rules[i].value.n; k++)
			lb_conv_free(&r->rules[i].value.p[k].conv);
		free(r->rules[i].value.p);
		free(r->rules[i].body);
		pcre2_code_free(r->rules[i].re);
	}
	free(r->acls);
	free(r->gfirst);
	free(r->rules);
	free(r->vars);
	free(r);
	*rules = NULL;
}

/* ---- running: conditions ---- */

/* What a rule reads: the head's index and the connection. */
struct ctx {
	struct lb_head_index ix;
	const struct lb_rule_input *in;
	bool response;
	bool stale;			/* an edit since ix was made */
};

/* ---- running: stick tables ---- */

/* The key of value v (n bytes) in table t: an address's 16 bytes, or a
 * string's.  False when v is no address an ip table can take. */
static bool
stick_key(const struct lb_stick *t, const char *v, size_t n,
    unsigned char *key, size_t *klen)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} a = { 0 };
	char text[INET6_ADDRSTRLEN];

	if (t->geom.type == LB_STICK_STRING) {
		*klen = n < t->geom.key_len ? n : t->geom.key_len;
		memcpy(key, v, *klen);
		return true;
	}
	if (n >= sizeof(text))
		return false;
	memcpy(text, v, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, &a.sin.sin_addr) == 1)
		a.sa.sa_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &a.sin6.sin6_addr) == 1)
		a.sa.sa_family = AF_INET6;
	else
		return false;
	*klen = 16;
	return lb_stick_key_ip(&a.sa, key) == 0;
}

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
	    !stick_key(t, v, n, key, &klen))
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

static int
port_of(const struct sockaddr *sa)
{
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->
		    sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_port);
	return -1;
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
		return port_of(x->fetch == LB_SAMPLE_SRC_PORT ? c->in->src :
		    c->in->dst) >= 0 && int_match(a, port_of(x->fetch ==
		    LB_SAMPLE_SRC_PORT ? c->in->src : c->in->dst));
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
		sa = p->what == LB_SAMPLE_SRC_PORT ? c->in->src : c->in->dst;
		if (port_of(sa) < 0)
			return false;
		snprintf(buf, size, "%d", port_of(sa));
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
	int n;

	if (path == NULL && !lb_fetch_path(&c->ix, &path, &plen))
		path = "/", plen = 1;
	if (query == NULL && !lb_fetch_query(&c->ix, &query, &qlen))
		query = "", qlen = 0;
	if (plen + qlen + 2 > sizeof(t)) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(t, sizeof(t), "%.*s%s%.*s", (int)plen, path,
	    qlen > 0 ? "?" : "", (int)qlen, query);
	return lb_edit_request_line(h->buf, h->len, h->cap, NULL, 0, t,
	    (size_t)n);
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
		return (r->act == LB_ACT_SET_HEADER ? lb_edit_set :
		    lb_edit_add)(h->buf, h->len, h->cap, r->a, strlen(r->a),
		    v, (size_t)n);
	case LB_ACT_DEL_HEADER:
		return lb_edit_del(h->buf, h->len, r->a, strlen(r->a));
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

/* The rules of phase ph in order, until one ends them. */
static void
run(const struct lb_rules *r, enum lb_phase ph, struct ctx *c,
    struct head *h, struct lb_rule_outcome *o)
{
	for (size_t i = 0; i < r->nrules; i++) {
		const struct rrule *rr = &r->rules[i];

		if (rr->src->phase != ph)
			continue;
		if ((rr->src->cond.nterms > 0 || rr->reads_head) &&
		    !fresh(c, h)) {
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
		c->stale = true;
	}
}

void
lb_rules_request(const struct lb_rules *r, const struct lb_rule_input *in,
    char *buf, size_t *len, size_t cap, struct lb_rule_outcome *out)
{
	struct ctx c = { .in = in };
	struct head h = { buf, len, cap };

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
	struct ctx c = { .in = in, .response = true };
	struct head h = { buf, len, cap };

	out->verdict = LB_RULES_PASS;
	out->pool = -1;
	if (!index_head(&c, buf, *len)) {
		out->verdict = LB_RULES_TOO_BIG;
		return;
	}
	run(r, LB_PHASE_RESPONSE, &c, &h, out);
}
