/*
 * lb/rule_compile.c - application rules compiled once per generation
 * (rule_run.h), into the program rule_run.c runs (rule_prog.h):
 *
 *   ACLs -> sealed pattern sets, grouped, with their converters;
 *   values -> literal and %[FETCH,CONVERTERS] pieces; regexes -> JIT
 *   code; use_backend -> a pool; set-var, var() -> slots; and what
 *   the rules may not do (framing headers, a phase's unseen samples)
 *   refused at its line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "mem.h"
#include "rule_edit.h"
#include "rule_prog.h"
#include "rule_run.h"
#include "util.h"

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
		if (r->a[0] == '\0' || !lb_http_token_chars(r->a,
		    strlen(r->a))) {
			conf_error(d, &r->pos, "'%s' is not a header name "
			    "(letters, digits and !#$%%&'*+-.^_`|~)", r->a);
			return -1;
		}
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

/* What a rule's b is, for the actions that take a value: a log-format
 * value ("text %[fetch,conv] ..."), an expression (set-var's and
 * track-sc's: str(TEXT), int(N), or a fetch and its converters), or
 * neither.  Compiling and listing the files a rule needs both ask. */
enum value_kind { VALUE_NONE, VALUE_FORMAT, VALUE_EXPR };

static enum value_kind
value_kind(const struct lb_rule *r)
{
	switch (r->act) {
	case LB_ACT_SET_HEADER:
	case LB_ACT_ADD_HEADER:
	case LB_ACT_SET_PATH:
	case LB_ACT_SET_QUERY:
	case LB_ACT_SET_URI:
	case LB_ACT_SET_METHOD:
		return VALUE_FORMAT;
	case LB_ACT_REDIRECT:
		return strcmp(r->a, "location") == 0 ? VALUE_FORMAT :
		    VALUE_NONE;
	case LB_ACT_SET_VAR:
		return (r->flags & LB_SETVAR_FMT) ? VALUE_FORMAT : VALUE_EXPR;
	case LB_ACT_TRACK:
		return VALUE_EXPR;
	default:
		return VALUE_NONE;
	}
}

/* An expression (value_kind): str(TEXT), int(N), or a fetch with its
 * converters; what names the action in a message. */
static int
compile_expr(const char *e, const char *what,
    const struct lb_rule_file *files, size_t nfiles, struct format *f,
    const struct conf_pos *pos, struct conf_diag *d)
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
		conf_error(d, pos, "%s: %s (an expression is str(TEXT), "
		    "int(N), or a fetch and its converters)", what, err);
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

/* r->order: the rules of each phase, in their order, one phase after
 * the other, so that a head's run visits only its phase's. */
static int
order_by_phase(struct lb_rules *r)
{
	size_t k = 0;

	if ((r->order = mem_array(r->nrules, sizeof(*r->order))) == NULL)
		return -1;
	for (int ph = LB_PHASE_REQUEST; ph <= LB_PHASE_BACKEND; ph++) {
		r->phase_first[ph] = k;
		for (size_t i = 0; i < r->nrules; i++)
			if ((int)r->rules[i].src->phase == ph)
				r->order[k++] = (uint32_t)i;
	}
	r->phase_first[LB_PHASE_BACKEND + 1] = k;
	return 0;
}

/* What one rule needs at run time. */
static int
compile_rule(const struct lb_rule *r, struct rrule *out,
    int (*pool_index)(const char *, void *), void *arg,
    const struct lb_rule_file *files, size_t nfiles, struct conf_diag *d)
{
	out->src = r;
	out->pool = -1;
	out->alen = r->a != NULL ? strlen(r->a) : 0;
	if (check_rule(r, d) < 0)
		return -1;
	switch (value_kind(r)) {
	case VALUE_FORMAT:
		if (compile_format(r->b, &out->value, files, nfiles, &r->pos,
		    d) < 0)
			return -1;
		out->value.literal_ok = out->value.n == 1 &&
		    !out->value.p[0].fetch && out->value.p[0].len <
		    VALUE_MAX && lb_edit_value_ok(out->value.p[0].text,
		    out->value.p[0].len);
		return 0;
	case VALUE_EXPR:
		return compile_expr(r->b, r->act == LB_ACT_TRACK ?
		    "track-sc" : "set-var", files, nfiles, &out->value,
		    &r->pos, d);
	default:
		break;
	}
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

	switch (value_kind(r)) {
	case VALUE_FORMAT:
		return format_files(r->b, fn, arg);
	case VALUE_EXPR:
		len = strlen(r->b);
		fe = fetch_len(r->b, len);
		return fe < len ? lb_conv_files(r->b + fe, len - fe, fn, arg) :
		    0;
	default:
		return r->act == LB_ACT_RETURN && r->c != NULL ?
		    fn(r->c, arg) : 0;
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
	/* a bad pattern is an error of its own, and the rest is still
	 * checked; without the ACLs' arrays, nothing more can be */
	if (compile_acls(r, sets, n, gbase, files, nfiles, d) < 0 &&
	    (r->acls == NULL || r->gfirst == NULL))
		goto oom;
	for (size_t s = 0; s < n; s++)
		for (size_t i = 0; i < sets[s]->nrules; i++, k++) {
			r->rules[k].gbase = gbase[s];
			(void)compile_rule(&sets[s]->rules[i], &r->rules[k],
			    pool_index, arg, files, nfiles, d);
			r->rules[k].reads_head = reads_head(&r->rules[k]);
		}
	(void)bind_all_vars(r, d);
	free(gbase);
	gbase = NULL;
	(void)check_phases(r, d);
	if (d->nerrors == errors && order_by_phase(r) < 0)
		goto oom;
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
	free(r->order);
	free(r->vars);
	free(r);
	*rules = NULL;
}

