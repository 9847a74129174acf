/*
 * lb/rule_parse.c - the lines of an application-rule block, read as
 * HAProxy reads them (configuration manual 7.1 "ACL basics", 7.2 "Using
 * ACLs to form conditions"), into the plain data of rule.h.
 *
 *   acl NAME CRITERION [-i] [-m METHOD] [-f FILE]... [--] [VALUE]...
 *   http-request ACTION [ARGS] [COND]      deny, return, redirect,
 *                                          set-/add-/del-/replace-header,
 *                                          replace-value, set-path,
 *                                          replace-path, set-query,
 *                                          set-uri, replace-uri,
 *                                          set-method
 *   http-response ACTION [ARGS] [COND]     deny, set-/add-/del-/replace-
 *                                          header, replace-value,
 *                                          set-status
 *   use_backend POOL [COND]
 *
 *   COND: if|unless [!]ACL [[!]ACL]... [|| ...]   ({ CRITERION ... }
 *                                                 for an ACL of its own)
 *
 * A word edged does not know is an error at its FILE:LINE:COL that
 * names it (with "did you mean" where one is close), never ignored.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "rule.h"
#include "rule_lex.h"
#include "rule_nsx.h"
#include "util.h"

/* What a criterion's keyword means: what it reads, how it matches by
 * default, and whether it takes an argument in parentheses. */
struct criterion {
	const char *name;
	enum lb_sample fetch;
	enum lb_match match;
	bool arg;			/* NAME in parentheses: required */
};

#define C(n, f, m)	{ n, LB_SAMPLE_##f, LB_MATCH_##m, false }
#define CA(n, f, m)	{ n, LB_SAMPLE_##f, LB_MATCH_##m, true }

static const struct criterion criteria[] = {
	C("always_true", ALWAYS, BOOL), C("always_false", NEVER, BOOL),
	C("path", PATH, STR), C("path_beg", PATH, BEG),
	C("path_end", PATH, END), C("path_sub", PATH, SUB),
	C("path_reg", PATH, REG), C("path_dir", PATH, DIR),
	C("path_dom", PATH, DOM), C("path_len", PATH, LEN),
	C("url", URL, STR), C("url_beg", URL, BEG), C("url_end", URL, END),
	C("url_sub", URL, SUB), C("url_reg", URL, REG),
	C("url_dir", URL, DIR), C("url_dom", URL, DOM),
	C("url_len", URL, LEN),
	C("query", QUERY, STR), C("method", METHOD, STR),
	C("req.ver", VERSION, STR), C("req_ver", VERSION, STR),
	CA("hdr", HDR, STR), CA("req.hdr", HDR, STR),
	CA("hdr_beg", HDR, BEG), CA("hdr_end", HDR, END),
	CA("hdr_sub", HDR, SUB), CA("hdr_reg", HDR, REG),
	CA("hdr_dir", HDR, DIR), CA("hdr_dom", HDR, DOM),
	CA("hdr_len", HDR, LEN), CA("hdr_cnt", HDR_CNT, INT),
	CA("req.hdr_cnt", HDR_CNT, INT), CA("req.fhdr", FHDR, STR),
	CA("url_param", URL_PARAM, STR), CA("urlp", URL_PARAM, STR),
	CA("urlp_beg", URL_PARAM, BEG), CA("urlp_sub", URL_PARAM, SUB),
	CA("urlp_reg", URL_PARAM, REG),
	CA("cook", COOK, STR), CA("req.cook", COOK, STR),
	CA("cook_beg", COOK, BEG), CA("cook_sub", COOK, SUB),
	CA("cook_reg", COOK, REG), CA("cook_len", COOK, LEN),
	C("src", SRC, IP), C("dst", DST, IP),
	C("src_port", SRC_PORT, INT), C("dst_port", DST_PORT, INT),
	C("ssl_fc", SSL_FC, BOOL), C("ssl_fc_sni", SSL_FC_SNI, STR),
	C("req.ssl_sni", REQ_SSL_SNI, STR), C("req_ssl_sni", REQ_SSL_SNI, STR),
	C("status", STATUS, INT), CA("res.hdr", RES_HDR, STR),
	CA("var", VAR, STR),
	CA("sc_conn_cur", SC_CONN_CUR, INT),
	CA("sc_conn_rate", SC_CONN_RATE, INT),
	CA("sc_http_req_rate", SC_HTTP_REQ_RATE, INT),
	CA("sc_http_err_rate", SC_HTTP_ERR_RATE, INT),
	CA("sc_get_gpc0", SC_GPC0, INT), CA("sc_gpc0", SC_GPC0, INT),
	CA("shdr", RES_HDR, STR),
};

static const char *const match_names[] = {
	[LB_MATCH_STR] = "str", [LB_MATCH_BEG] = "beg",
	[LB_MATCH_END] = "end", [LB_MATCH_SUB] = "sub",
	[LB_MATCH_REG] = "reg", [LB_MATCH_DOM] = "dom",
	[LB_MATCH_DIR] = "dir", [LB_MATCH_LEN] = "len",
	[LB_MATCH_FOUND] = "found", [LB_MATCH_BOOL] = "bool",
	[LB_MATCH_INT] = "int", [LB_MATCH_IP] = "ip",
};

/* HAProxy's predefined ACLs (configuration manual 7.4) that edged has:
 * a criterion and its values. */
static const struct {
	const char *name;
	const char *acl;
} predefined[] = {
	{ "TRUE", "always_true" }, { "FALSE", "always_false" },
	{ "HTTP", "always_true" },
	{ "HTTP_1.0", "req.ver 1.0" }, { "HTTP_1.1", "req.ver 1.1" },
	{ "HTTP_URL_ABS", "url_reg ^[^/:]*://" },
	{ "HTTP_URL_SLASH", "url_beg /" }, { "HTTP_URL_STAR", "url *" },
	{ "LOCALHOST", "src 127.0.0.1/8 ::1" },
	{ "METH_CONNECT", "method CONNECT" },
	{ "METH_DELETE", "method DELETE" },
	{ "METH_GET", "method GET HEAD" }, { "METH_HEAD", "method HEAD" },
	{ "METH_OPTIONS", "method OPTIONS" }, { "METH_POST", "method POST" },
	{ "METH_PUT", "method PUT" }, { "METH_TRACE", "method TRACE" },
};

/* ---- positions and errors ---- */

/* Where word w of a line at pos is. */
static struct conf_pos
at(const struct conf_pos *pos, const struct lb_rule_word *w)
{
	return (struct conf_pos){ pos->file, pos->line, pos->col + w->col -
	    1 };
}

/* The reading of one line: its words, where it is, where errors go. */
struct line {
	struct lb_rule_set *rs;
	const struct lb_rule_words *w;
	struct conf_pos pos;
	struct conf_diag *d;
};

static int
line_error(struct line *l, size_t i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
line_error(struct line *l, size_t i, const char *fmt, ...)
{
	struct conf_pos p = l->pos;
	char msg[512];
	va_list ap;

	if (i < l->w->n)
		p = at(&l->pos, &l->w->w[i]);
	else if (l->w->n > 0) {		/* just after the last word */
		p = at(&l->pos, &l->w->w[l->w->n - 1]);
		p.col += (unsigned)l->w->w[l->w->n - 1].len;
	}

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_error(l->d, &p, "%s", msg);
	return -1;
}

static const char *
word(const struct line *l, size_t i)
{
	return l->w->w[i].text;
}

static int
line_oom(struct line *l)
{
	return conf_oom(l->d, &l->pos);
}

/* ---- the criterion: KEYWORD or KEYWORD(ARG[,OCC]) ---- */

static const struct criterion *
find_criterion(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_LEN(criteria); i++)
		if (strlen(criteria[i].name) == len &&
		    memcmp(criteria[i].name, name, len) == 0)
			return &criteria[i];
	return NULL;
}

static int
unknown_criterion(struct line *l, size_t i, const char *name, size_t len)
{
	const char *names[ARRAY_LEN(criteria)];
	char w[LB_NAME_MAX], hint[96];

	for (size_t k = 0; k < ARRAY_LEN(criteria); k++)
		names[k] = criteria[k].name;
	snprintf(w, sizeof(w), "%.*s", (int)len, name);
	return line_error(l, i, "unknown criterion '%s'%s", w,
	    conf_hint(w, names, ARRAY_LEN(criteria), hint, sizeof(hint)));
}

/* "NAME" or "NAME,OCC" of hdr(NAME,OCC). */
static int
criterion_arg(struct line *l, size_t i, const char *s, size_t len,
    struct lb_acl *a)
{
	const char *comma = memchr(s, ',', len);
	size_t n = comma != NULL ? (size_t)(comma - s) : len;
	char *end;
	long occ = 0;

	if (n == 0 || n >= sizeof(a->arg))
		return line_error(l, i, "'%s' needs a name in its "
		    "parentheses, of at most %d bytes", word(l, i),
		    LB_NAME_MAX - 1);
	if (comma != NULL) {
		occ = strtol(comma + 1, &end, 10);
		if (end != s + len || end == comma + 1 || occ == 0 ||
		    occ < -100 || occ > 100 || a->fetch != LB_SAMPLE_HDR)
			return line_error(l, i, "'%s': an occurrence is a "
			    "number from 1 to 100, or -1 for the last, and "
			    "only hdr() takes one", word(l, i));
	}
	memcpy(a->arg, s, n);
	a->arg[n] = '\0';
	a->occ = (int)occ;
	return 0;
}

/* The criterion at the start of word s: up to a ',' (its converters)
 * outside its parentheses. */
static size_t
criterion_len(const char *s)
{
	size_t i = 0;
	int depth = 0;

	for (; s[i] != '\0' && (depth > 0 || s[i] != ','); i++)
		depth += s[i] == '(' ? 1 : s[i] == ')' && depth > 0 ? -1 : 0;
	return i;
}

/* sc0_http_req_rate (HAProxy's older spelling of sc_http_req_rate(0)):
 * the counter's number, or -1. */
static int
sc_number(const char *s, size_t len)
{
	if (len > 4 && s[0] == 's' && s[1] == 'c' && s[2] >= '0' &&
	    s[2] < '0' + LB_TRACKERS && s[3] == '_')
		return s[2] - '0';
	return -1;
}

/* The counter number of sc_*(N) in a->arg: 0 to 2. */
static int
sc_arg(struct line *l, size_t i, struct lb_acl *a)
{
	if (a->fetch < LB_SAMPLE_SC_CONN_CUR || (a->arg[0] >= '0' &&
	    a->arg[0] < '0' + LB_TRACKERS && a->arg[1] == '\0'))
		return 0;
	return line_error(l, i, "'%s': the counter is 0, 1 or 2", word(l, i));
}

static int
criterion_only(struct line *l, size_t i, struct lb_acl *a)
{
	const char *s = word(l, i);
	size_t whole = criterion_len(s);
	const char *open = memchr(s, '(', whole);
	size_t len = open != NULL ? (size_t)(open - s) : whole;
	int sc = open == NULL ? sc_number(s, len) : -1;
	char name[LB_NAME_MAX];
	const struct criterion *c;

	if (sc >= 0) {			/* scN_X: sc_X(N) */
		snprintf(name, sizeof(name), "sc_%.*s", (int)(len - 4), s + 4);
		if ((c = find_criterion(name, strlen(name))) == NULL ||
		    !c->arg || c->fetch < LB_SAMPLE_SC_CONN_CUR)
			return unknown_criterion(l, i, s, len);
		a->fetch = c->fetch;
		a->match = c->match;
		a->pos = at(&l->pos, &l->w->w[i]);
		snprintf(a->arg, sizeof(a->arg), "%d", sc);
		return 0;
	}
	if ((c = find_criterion(s, len)) == NULL)
		return unknown_criterion(l, i, s, len);
	a->fetch = c->fetch;
	a->match = c->match;
	a->pos = at(&l->pos, &l->w->w[i]);
	if (open == NULL && !c->arg)
		return 0;
	if (open == NULL)
		return line_error(l, i, "'%s' takes a name: %s(NAME)", s,
		    c->name);
	if (!c->arg)
		return line_error(l, i, "'%s' takes no argument", c->name);
	if (s[whole - 1] != ')')
		return line_error(l, i, "'%s': the parenthesis is never "
		    "closed", s);
	if (criterion_arg(l, i, open + 1, (size_t)(s + whole - open) - 2,
	    a) < 0)
		return -1;
	return sc_arg(l, i, a);
}

/* The criterion of word i, and the converters after it, kept as written
 * for the compiler (rule_compile.c). */
static int
parse_criterion(struct line *l, size_t i, struct lb_acl *a)
{
	const char *s = word(l, i);
	size_t whole = criterion_len(s);

	if (criterion_only(l, i, a) < 0)
		return -1;
	if (s[whole] == ',' && (a->conv = strdup(s + whole)) == NULL)
		return line_oom(l);
	return 0;
}

/* ---- flags and values ---- */

static int
push_string(char ***v, size_t *n, const char *s, size_t len)
{
	char *copy = strndup(s, len);

	if (copy == NULL || mem_resize(v, *n + 1, sizeof(**v)) < 0) {
		free(copy);
		return -1;
	}
	(*v)[(*n)++] = copy;
	return 0;
}

static int
parse_match(struct line *l, size_t i, struct lb_acl *a)
{
	char hint[96];

	for (size_t k = 0; k < ARRAY_LEN(match_names); k++)
		if (strcmp(word(l, i), match_names[k]) == 0) {
			a->match = (enum lb_match)k;
			return 0;
		}
	return line_error(l, i, "unknown match method '%s'%s", word(l, i),
	    conf_hint(word(l, i), match_names, ARRAY_LEN(match_names), hint,
	    sizeof(hint)));
}

/* The flags from word *i on, before end: -i, -m METHOD, -f FILE, "--".
 * Moves *i past them.  Returns 0, or -1. */
static int
parse_flags(struct line *l, size_t *i, size_t end, struct lb_acl *a)
{
	for (; *i < end && word(l, *i)[0] == '-' && !l->w->w[*i].quoted;
	    (*i)++) {
		const char *f = word(l, *i);

		if (strcmp(f, "--") == 0) {
			(*i)++;
			return 0;
		}
		if (strcmp(f, "-i") == 0) {
			a->icase = true;
			continue;
		}
		if (strcmp(f, "-m") != 0 && strcmp(f, "-f") != 0)
			return line_error(l, *i, "flag '%s' is not supported "
			    "(edged takes -i, -m METHOD, -f FILE and --)", f);
		if (*i + 1 == end)
			return line_error(l, *i, "'%s' takes a value", f);
		(*i)++;
		if (f[1] == 'm' && parse_match(l, *i, a) < 0)
			return -1;
		if (f[1] == 'f' && push_string(&a->files, &a->nfiles,
		    word(l, *i), l->w->w[*i].len) < 0)
			return line_oom(l);
	}
	return 0;
}

static bool
is_int_operator(const char *w)
{
	static const char *const ops[] = { "eq", "ne", "lt", "le", "gt",
	    "ge" };

	for (size_t k = 0; k < ARRAY_LEN(ops); k++)
		if (strcmp(w, ops[k]) == 0)
			return true;
	return false;
}

/* The values from word i to the end (or, in { }, to end): an integer
 * operator stays with the value after it ("gt 100"). */
static int
parse_values(struct line *l, size_t i, size_t end, struct lb_acl *a)
{
	for (; i < end; i++) {
		const struct lb_rule_word *v = &l->w->w[i];
		char joined[128];
		int n;

		if ((a->match != LB_MATCH_INT && a->match != LB_MATCH_LEN) ||
		    !is_int_operator(v->text) || v->quoted) {
			if (push_string(&a->patterns, &a->npatterns, v->text,
			    v->len) < 0)
				return line_oom(l);
			continue;
		}
		if (i + 1 == end)
			return line_error(l, i, "'%s' takes a number after it",
			    v->text);
		n = snprintf(joined, sizeof(joined), "%s %s", v->text,
		    word(l, i + 1));
		if (n < 0 || (size_t)n >= sizeof(joined))
			return line_error(l, i + 1, "'%s' is not a number",
			    word(l, i + 1));
		if (push_string(&a->patterns, &a->npatterns, joined,
		    (size_t)n) < 0)
			return line_oom(l);
		i++;
	}
	return 0;
}

/* ---- ACLs ---- */

/* A new ACL at the end of rs->acls; its index, or -1 out of memory. */
static long
new_acl(struct lb_rule_set *rs, const char *name, int group)
{
	struct lb_acl *a;

	if (mem_resize(&rs->acls, rs->nacls + 1, sizeof(*rs->acls)) < 0)
		return -1;
	a = &rs->acls[rs->nacls];
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->group = group >= 0 ? (unsigned)group : rs->ngroups++;
	return (long)rs->nacls++;
}

static void
acl_free(struct lb_acl *a)
{
	for (size_t i = 0; i < a->npatterns; i++)
		free(a->patterns[i]);
	free(a->patterns);
	for (size_t i = 0; i < a->nfiles; i++)
		free(a->files[i]);
	free(a->files);
	free(a->conv);
}

/* The body of an ACL, words [i, end): criterion, flags, values. */
static int
acl_body(struct line *l, size_t i, size_t end, long k)
{
	struct lb_acl *a = &l->rs->acls[k];

	if (i == end)
		return line_error(l, i, "an ACL needs a criterion (path_beg, "
		    "hdr(host), src ...)");
	if (parse_criterion(l, i++, a) < 0 || parse_flags(l, &i, end, a) < 0 ||
	    parse_values(l, i, end, a) < 0)
		return -1;
	if (a->npatterns == 0 && a->nfiles == 0 &&
	    a->match != LB_MATCH_FOUND && a->match != LB_MATCH_BOOL)
		return line_error(l, end, "the ACL has no value to match: "
		    "add values, or -f FILE");
	return 0;
}

static int
group_of(const struct lb_rule_set *rs, const char *name)
{
	for (size_t i = 0; i < rs->nacls; i++)
		if (strcmp(rs->acls[i].name, name) == 0)
			return (int)rs->acls[i].group;
	return -1;
}

static bool
acl_name_ok(const char *s)
{
	if (*s == '\0' || strlen(s) >= LB_NAME_MAX)
		return false;
	for (; *s != '\0'; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && strchr("_.:-", *s) == NULL)
			return false;
	return true;
}

static bool
is_predefined(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(predefined); i++)
		if (strcmp(predefined[i].name, name) == 0)
			return true;
	return false;
}

/* acl NAME CRITERION [FLAGS] [VALUES]: several lines of one name are one
 * ACL, true when any of them is. */
static int
acl_line(struct line *l)
{
	const char *name;
	long k;

	if (l->w->n < 2)
		return line_error(l, 0, "'acl' needs a name and a criterion");
	name = word(l, 1);
	if (!acl_name_ok(name))
		return line_error(l, 1, "'%s' is not an ACL name (letters, "
		    "digits, '_', '.', ':' and '-', at most %d bytes)", name,
		    LB_NAME_MAX - 1);
	if (is_predefined(name))
		return line_error(l, 1, "'%s' is a predefined ACL: choose "
		    "another name", name);
	if ((k = new_acl(l->rs, name, group_of(l->rs, name))) < 0)
		return line_oom(l);
	return acl_body(l, 2, l->w->n, k);
}

/* A predefined ACL, made the first time a condition names it. */
static int
predefined_group(struct line *l, size_t i, const char *name)
{
	struct lb_rule_words w;
	struct line def = { .rs = l->rs, .w = &w, .d = l->d };
	char err[160];
	unsigned col;
	long k;
	int rc;

	for (size_t p = 0; p < ARRAY_LEN(predefined); p++) {
		if (strcmp(predefined[p].name, name) != 0)
			continue;
		def.pos = at(&l->pos, &l->w->w[i]);
		if (lb_rule_split(predefined[p].acl, strlen(predefined[p].acl),
		    &w, err, sizeof(err), &col) < 0 ||
		    (k = new_acl(l->rs, name, -1)) < 0) {
			lb_rule_words_free(&w);
			return line_oom(l);
		}
		rc = acl_body(&def, 0, w.n, k);
		lb_rule_words_free(&w);
		return rc < 0 ? -1 : (int)l->rs->acls[k].group;
	}
	return -2;
}

static int
unknown_acl(struct line *l, size_t i, const char *name)
{
	const struct lb_rule_set *rs = l->rs;
	const char *names[64];
	size_t n = 0;
	char hint[96];

	for (size_t k = 0; k < rs->nacls && n < ARRAY_LEN(names); k++)
		if (rs->acls[k].name[0] != '\0')
			names[n++] = rs->acls[k].name;
	for (size_t k = 0; k < ARRAY_LEN(predefined) &&
	    n < ARRAY_LEN(names); k++)
		names[n++] = predefined[k].name;
	return line_error(l, i, "no ACL '%s' before this line%s", name,
	    conf_hint(name, names, n, hint, sizeof(hint)));
}

static bool
is_syntax(const struct line *l, size_t i, const char *s)
{
	return !l->w->w[i].quoted && strcmp(word(l, i), s) == 0;
}

/* "{ CRITERION ... }" from word *i: an ACL of its own.  Returns its
 * group, or -1; moves *i past the '}'. */
static int
anonymous_group(struct line *l, size_t *i)
{
	size_t end = *i + 1;
	long k;

	while (end < l->w->n && !is_syntax(l, end, "}")) {
		if (is_syntax(l, end, "{") || is_syntax(l, end, "!{"))
			return line_error(l, end, "'{' inside '{ }': an "
			    "anonymous ACL holds one criterion");
		end++;
	}
	if (end == l->w->n)
		return line_error(l, *i, "this '{' is never closed by a '}' "
		    "word");
	if ((k = new_acl(l->rs, "", -1)) < 0)
		return line_oom(l);
	if (acl_body(l, *i + 1, end, k) < 0)
		return -1;
	*i = end + 1;
	return (int)l->rs->acls[k].group;
}

/* The ACL a term names (name: word *i without its '!'). */
static int
term_group(struct line *l, size_t *i, const char *name)
{
	int g;

	if (strcmp(name, "{") == 0 && !l->w->w[*i].quoted)
		return anonymous_group(l, i);
	if (name[0] != '\0' && (g = group_of(l->rs, name)) >= 0) {
		(*i)++;
		return g;
	}
	if ((g = predefined_group(l, *i, name)) >= 0 || g == -1) {
		(*i)++;
		return g;
	}
	return unknown_acl(l, *i, name);
}

/* ---- conditions ---- */

static int
push_term(struct line *l, struct lb_cond *c, int group, bool neg,
    bool or_before)
{
	if (mem_resize(&c->terms, c->nterms + 1, sizeof(*c->terms)) < 0)
		return line_oom(l);
	c->terms[c->nterms++] = (struct lb_cond_term){ .group =
	    (unsigned)group, .negate = neg, .or_before = or_before };
	return 0;
}

/* One term from word *i: "||", "!", [!]NAME, [!]{ ... }.  *neg and *orb
 * carry an operator to the next ACL. */
static int
cond_term(struct line *l, size_t *i, struct lb_cond *c, bool *neg,
    bool *orb)
{
	const char *t = word(l, *i);
	bool quoted = l->w->w[*i].quoted;
	int g;

	if (!quoted && (strcmp(t, "||") == 0 || strcmp(t, "or") == 0)) {
		if (c->nterms == 0 || *orb || *neg)
			return line_error(l, *i, "'%s' needs an ACL on each "
			    "side", t);
		*orb = true;
		(*i)++;
		return 0;
	}
	if (!quoted && t[0] == '!') {
		if (*neg)
			return line_error(l, *i, "'!' after '!'");
		*neg = true;
		if (t[1] == '\0') {
			(*i)++;
			return 0;
		}
		t++;
	}
	if ((g = term_group(l, i, t)) < 0 ||
	    push_term(l, c, g, *neg, *orb) < 0)
		return -1;
	*neg = *orb = false;
	return 0;
}

int
lb_rule_cond_parse(struct lb_rule_set *rs, const struct lb_rule_words *w,
    size_t i, const struct conf_pos *pos, struct lb_cond *c,
    struct conf_diag *d)
{
	struct line l = { .rs = rs, .w = w, .pos = *pos, .d = d };
	bool neg = false, orb = false;

	memset(c, 0, sizeof(*c));
	if (i >= w->n || (!is_syntax(&l, i, "if") &&
	    !is_syntax(&l, i, "unless")))
		return line_error(&l, i, "expected 'if' or 'unless'");
	c->unless = word(&l, i++)[0] == 'u';
	if (i == w->n)
		return line_error(&l, i - 1, "'%s' needs a condition: ACL "
		    "names, '!', '||', '{ ... }'", word(&l, i - 1));
	while (i < w->n)
		if (cond_term(&l, &i, c, &neg, &orb) < 0) {
			lb_rule_cond_free(c);
			return -1;
		}
	if (neg || orb) {
		lb_rule_cond_free(c);
		return line_error(&l, w->n - 1, "the condition ends with "
		    "'%s'", word(&l, w->n - 1));
	}
	return 0;
}

void
lb_rule_cond_free(struct lb_cond *c)
{
	free(c->terms);
	c->terms = NULL;
	c->nterms = 0;
}

/* ---- actions ---- */

static int
keep(struct line *l, char **dst, size_t i)
{
	if ((*dst = strndup(word(l, i), l->w->w[i].len)) == NULL)
		return line_oom(l);
	return 0;
}

/* Words [i, end) are exactly n arguments of the action at i - 1. */
static int
nargs(struct line *l, size_t i, size_t end, size_t n, const char *usage)
{
	if (end - i == n)
		return 0;
	return line_error(l, end - i < n ? i - 1 : i + n, "%s: %s",
	    end - i < n ? "missing argument" : "one argument too many",
	    usage);
}

static int
status_word(struct line *l, size_t i, int lo, int hi, int *out)
{
	char *end;
	long v = i < l->w->n ? strtol(word(l, i), &end, 10) : -1;

	if (i >= l->w->n || *word(l, i) == '\0' || *end != '\0' || v < lo ||
	    v > hi)
		return line_error(l, i, "expected a status from %d to %d", lo,
		    hi);
	*out = (int)v;
	return 0;
}

/* Option words that take a value, in any order: the value's index into
 * got[k] for each name in names[k].  Returns 0, or -1. */
static int
options(struct line *l, size_t i, size_t end, const char *const *names,
    size_t n, size_t *got)
{
	char hint[96];

	for (; i < end; i += 2) {
		size_t k = 0;

		while (k < n && strcmp(word(l, i), names[k]) != 0)
			k++;
		if (k == n)
			return line_error(l, i, "unknown option '%s'%s",
			    word(l, i), conf_hint(word(l, i), names, n, hint,
			    sizeof(hint)));
		if (i + 1 == end)
			return line_error(l, i, "'%s' takes a value",
			    word(l, i));
		got[k] = i + 1;
	}
	return 0;
}

static int
p_deny(struct line *l, size_t i, size_t end, struct lb_rule *r)
{
	static const char *const names[] = { "deny_status" };
	size_t got[1] = { 0 };

	/* HAProxy's: a refused response is the member's failure (502),
	 * a request held by a tarpit is answered 500 */
	r->status = r->phase == LB_PHASE_RESPONSE ? 502 :
	    r->act == LB_ACT_TARPIT ? 500 : 403;
	if (options(l, i, end, names, 1, got) < 0)
		return -1;
	return got[0] != 0 ? status_word(l, got[0], 200, 599, &r->status) :
	    0;
}

static int
p_return(struct line *l, size_t i, size_t end, struct lb_rule *r)
{
	static const char *const names[] = { "status", "content-type",
	    "string", "file" };
	size_t got[4] = { 0 };

	r->status = 200;
	if (options(l, i, end, names, 4, got) < 0 ||
	    (got[0] && status_word(l, got[0], 200, 599, &r->status) < 0))
		return -1;
	if (got[2] && got[3])
		return line_error(l, got[3] - 1, "'string' and 'file' both "
		    "give the body: keep one");
	if ((got[1] && keep(l, &r->a, got[1]) < 0) ||
	    (got[2] && keep(l, &r->b, got[2]) < 0) ||
	    (got[3] && keep(l, &r->c, got[3]) < 0))
		return -1;
	return 0;
}

static int
redirect_option(struct line *l, size_t *i, size_t end, struct lb_rule *r)
{
	const char *o = word(l, *i);

	if (strcmp(o, "drop-query") == 0 || strcmp(o, "append-slash") == 0) {
		r->flags |= o[0] == 'd' ? LB_REDIRECT_DROP_QUERY :
		    LB_REDIRECT_APPEND_SLASH;
		return 0;
	}
	if (strcmp(o, "code") != 0 && strcmp(o, "set-cookie") != 0 &&
	    strcmp(o, "clear-cookie") != 0)
		return line_error(l, *i, "unknown redirect option '%s' "
		    "(code, drop-query, append-slash, set-cookie, "
		    "clear-cookie)", o);
	if (++(*i) == end)
		return line_error(l, *i - 1, "'%s' takes a value", o);
	if (o[0] == 'c' && o[1] == 'o') {
		if (status_word(l, *i, 301, 308, &r->status) < 0 ||
		    r->status == 304 || r->status == 305 || r->status == 306)
			return line_error(l, *i, "a redirect's code is 301, "
			    "302, 303, 307 or 308");
		return 0;
	}
	if (r->c != NULL)
		return line_error(l, *i - 1, "one cookie per redirect");
	if (o[1] == 'l')
		r->flags |= LB_REDIRECT_CLEAR_COOKIE;
	return keep(l, &r->c, *i);
}

static int
p_redirect(struct line *l, size_t i, size_t end, struct lb_rule *r)
{
	r->status = 302;
	if (i + 2 > end)
		return line_error(l, i - 1, "missing argument: redirect "
		    "location|prefix|scheme VALUE [code N] [OPTION]...");
	if (strcmp(word(l, i), "location") != 0 &&
	    strcmp(word(l, i), "prefix") != 0 &&
	    strcmp(word(l, i), "scheme") != 0)
		return line_error(l, i, "a redirect is 'location', 'prefix' "
		    "or 'scheme', not '%s'", word(l, i));
	if (keep(l, &r->a, i) < 0 || keep(l, &r->b, i + 1) < 0)
		return -1;
	for (i += 2; i < end; i++)
		if (redirect_option(l, &i, end, r) < 0)
			return -1;
	return 0;
}

static int
p_name_value(struct line *l, size_t i, size_t end, struct lb_rule *r)
{
	if (nargs(l, i, end, 2, "NAME VALUE") < 0)
		return -1;
	return keep(l, &r->a, i) < 0 ? -1 : keep(l, &r->b, i + 1);
}

static int
p_name(struct line *l, size_t i, size_t end, struct lb_rule *r)
{
	return nargs(l, i, end, 1, "NAME") < 0 ? -1 : keep(l, &r->a, i);
}

static int
p_name_regex(struct line *l, size_t i, size_t end, struct lb_rule *r)
{
	if (nargs(l, i, end, 3, "NAME REGEX REPLACEMENT") < 0)
		return -1;
	return keep(l, &r->a, i) < 0 || keep(l, &r->b, i + 1) < 0 ? -1 :
	    keep(l, &r->c, i + 2);
}

static int
p_value(struct line *l, size_t i, size_t end, struct lb_rule *r)
{
	return nargs(l, i, end, 1, "VALUE") < 0 ? -1 : keep(l, &r->b, i);
}

static int
p_regex(struct line *l, size_t i, size_t end, struct lb_rule *r)
{
	if (nargs(l, i, end, 2, "REGEX REPLACEMENT") < 0)
		return -1;
	return keep(l, &r->b, i) < 0 ? -1 : keep(l, &r->c, i + 1);
}

static int
p_set_status(struct line *l, size_t i, size_t end, struct lb_rule *r)
{
	if (i == end)
		return line_error(l, i - 1, "missing argument: set-status "
		    "STATUS [reason TEXT]");
	if (status_word(l, i, 100, 599, &r->status) < 0)
		return -1;
	if (i + 1 == end)
		return 0;
	if (i + 3 != end || strcmp(word(l, i + 1), "reason") != 0)
		return line_error(l, i + 1, "after the status: reason TEXT");
	return keep(l, &r->b, i + 2);
}

struct action {
	const char *word;
	unsigned phases;		/* 1 << LB_PHASE_... */
	enum lb_action act;
	int (*parse)(struct line *, size_t, size_t, struct lb_rule *);
};

#define REQ	(1u << LB_PHASE_REQUEST)
#define RSP	(1u << LB_PHASE_RESPONSE)

static const struct action actions[] = {
	{ "deny", REQ | RSP, LB_ACT_DENY, p_deny },
	{ "tarpit", REQ, LB_ACT_TARPIT, p_deny },
	{ "return", REQ, LB_ACT_RETURN, p_return },
	{ "redirect", REQ, LB_ACT_REDIRECT, p_redirect },
	{ "set-header", REQ | RSP, LB_ACT_SET_HEADER, p_name_value },
	{ "add-header", REQ | RSP, LB_ACT_ADD_HEADER, p_name_value },
	{ "del-header", REQ | RSP, LB_ACT_DEL_HEADER, p_name },
	{ "replace-header", REQ | RSP, LB_ACT_REPLACE_HEADER, p_name_regex },
	{ "replace-value", REQ | RSP, LB_ACT_REPLACE_VALUE, p_name_regex },
	{ "set-path", REQ, LB_ACT_SET_PATH, p_value },
	{ "replace-path", REQ, LB_ACT_REPLACE_PATH, p_regex },
	{ "set-query", REQ, LB_ACT_SET_QUERY, p_value },
	{ "set-uri", REQ, LB_ACT_SET_URI, p_value },
	{ "replace-uri", REQ, LB_ACT_REPLACE_URI, p_regex },
	{ "set-method", REQ, LB_ACT_SET_METHOD, p_value },
	{ "set-status", RSP, LB_ACT_SET_STATUS, p_set_status },
};

static const struct action *
find_action(struct line *l, size_t i, enum lb_phase ph)
{
	const char *names[ARRAY_LEN(actions)];
	size_t n = 0;
	char hint[96];

	for (size_t k = 0; k < ARRAY_LEN(actions); k++) {
		if (!(actions[k].phases & (1u << ph)))
			continue;
		if (i < l->w->n && strcmp(word(l, i), actions[k].word) == 0)
			return &actions[k];
		names[n++] = actions[k].word;
	}
	if (i == l->w->n)
		line_error(l, i - 1, "'%s' needs an action (%s ...)",
		    word(l, i - 1), names[0]);
	else
		line_error(l, i, "unknown %s action '%s'%s", word(l, i - 1),
		    word(l, i), conf_hint(word(l, i), names, n, hint,
		    sizeof(hint)));
	return NULL;
}

/* The first "if" or "unless" from word i on, else the end. */
static size_t
cond_start(const struct line *l, size_t i)
{
	while (i < l->w->n && !is_syntax(l, i, "if") &&
	    !is_syntax(l, i, "unless"))
		i++;
	return i;
}

static struct lb_rule *
new_rule(struct line *l, enum lb_phase ph, enum lb_action act)
{
	struct lb_rule_set *rs = l->rs;
	struct lb_rule *r;

	if (mem_resize(&rs->rules, rs->nrules + 1, sizeof(*rs->rules)) < 0) {
		line_oom(l);
		return NULL;
	}
	r = &rs->rules[rs->nrules++];
	*r = (struct lb_rule){ .pos = l->pos, .phase = ph, .act = act };
	return r;
}

static void
rule_free(struct lb_rule *r)
{
	free(r->a);
	free(r->b);
	free(r->c);
	free(r->modern);
	lb_rule_cond_free(&r->cond);
}

/* The rule's arguments [i, end), then its condition: the rule is kept
 * only when both read (a rule that failed is dropped whole). */
static int
rule_tail(struct line *l, size_t i, size_t end, struct lb_rule *r,
    int (*parse)(struct line *, size_t, size_t, struct lb_rule *))
{
	if (parse(l, i, end, r) < 0 || (end < l->w->n &&
	    lb_rule_cond_parse(l->rs, l->w, end, &l->pos, &r->cond,
	    l->d) < 0)) {
		rule_free(r);
		l->rs->nrules--;
		return -1;
	}
	return 0;
}

/* "txn.NAME" (or req., res.: one transaction's too) in the parentheses
 * of word i, which starts with what and "(", into r->a. */
static int
var_name(struct line *l, size_t i, size_t skip, struct lb_rule *r)
{
	const char *w = word(l, i) + skip;
	size_t n = strlen(w);

	if (n < 2 || w[n - 1] != ')' || (strncmp(w, "txn.", 4) != 0 &&
	    strncmp(w, "req.", 4) != 0 && strncmp(w, "res.", 4) != 0) ||
	    n - 1 <= 4 || n - 1 >= LB_NAME_MAX)
		return line_error(l, i, "'%s': edged keeps a transaction's "
		    "variables, named txn.NAME (or req.NAME, res.NAME) of "
		    "at most %d bytes", word(l, i), LB_NAME_MAX - 1);
	if ((r->a = strndup(w, n - 1)) == NULL)
		return line_oom(l);
	/* one transaction's, whatever the scope: one name */
	memcpy(r->a, "txn", 3);
	return 0;
}

static int
p_var_value(struct line *l, size_t i, size_t end, struct lb_rule *r)
{
	return nargs(l, i, end, 1, "EXPRESSION") < 0 ? -1 : keep(l, &r->b, i);
}

static int
p_no_value(struct line *l, size_t i, size_t end, struct lb_rule *r)
{
	(void)r;
	return nargs(l, i, end, 0, "") < 0 ? -1 : 0;
}

/* set-var(NAME) EXPR, set-var-fmt(NAME) FORMAT, unset-var(NAME) */
static int
var_line(struct line *l, enum lb_phase ph)
{
	const char *w = word(l, 1);
	bool unset = strncmp(w, "unset-var(", 10) == 0;
	bool fmt = strncmp(w, "set-var-fmt(", 12) == 0;
	size_t end = cond_start(l, 2);
	struct lb_rule *r = new_rule(l, ph, unset ? LB_ACT_UNSET_VAR :
	    LB_ACT_SET_VAR);

	if (r == NULL)
		return -1;
	r->flags = fmt ? LB_SETVAR_FMT : 0;
	if (var_name(l, 1, unset ? 10 : fmt ? 12 : 8, r) < 0) {
		rule_free(r);
		l->rs->nrules--;
		return -1;
	}
	return rule_tail(l, 2, end, r, unset ? p_no_value : p_var_value);
}

/* track-sc0|1|2 KEY table NAME */
static int
p_track(struct line *l, size_t i, size_t end, struct lb_rule *r)
{
	if (end - i != 3 || strcmp(word(l, i + 1), "table") != 0)
		return line_error(l, i - 1, "'%s' takes KEY table NAME (edged "
		    "names the stick-table)", word(l, i - 1));
	return keep(l, &r->b, i) < 0 ? -1 : keep(l, &r->a, i + 2);
}

/* track-scN and sc-inc-gpc0(N): the rules of stick tables */
static int
sc_line(struct line *l, enum lb_phase ph)
{
	const char *w = word(l, 1);
	bool track = strncmp(w, "track-sc", 8) == 0;
	size_t end = cond_start(l, 2);
	struct lb_rule *r;

	if (w[track ? 8 : 12] < '0' || w[track ? 8 : 12] >= '0' +
	    LB_TRACKERS || strcmp(w + (track ? 9 : 13), track ? "" : ")") != 0)
		return line_error(l, 1, "'%s': the counter is 0, 1 or 2 (%s)",
		    w, track ? "track-sc0" : "sc-inc-gpc0(0)");
	if ((r = new_rule(l, ph, track ? LB_ACT_TRACK :
	    LB_ACT_SC_INC_GPC0)) == NULL)
		return -1;
	r->status = w[track ? 8 : 12] - '0';
	return rule_tail(l, 2, end, r, track ? p_track : p_no_value);
}

static bool
is_sc_action(const char *w)
{
	return strncmp(w, "track-sc", 8) == 0 ||
	    strncmp(w, "sc-inc-gpc0(", 12) == 0;
}

static bool
is_var_action(const char *w)
{
	return strncmp(w, "set-var(", 8) == 0 ||
	    strncmp(w, "set-var-fmt(", 12) == 0 ||
	    strncmp(w, "unset-var(", 10) == 0;
}

/* http-request|http-response ACTION [ARGS] [if|unless COND] */
static int
action_line(struct line *l, enum lb_phase ph)
{
	const struct action *a;
	size_t end = cond_start(l, 2);
	struct lb_rule *r;

	if (l->w->n > 1 && is_var_action(word(l, 1)))
		return var_line(l, ph);
	if (l->w->n > 1 && ph == LB_PHASE_REQUEST && is_sc_action(word(l, 1)))
		return sc_line(l, ph);
	a = find_action(l, 1, ph);
	if (a == NULL || (r = new_rule(l, ph, a->act)) == NULL)
		return -1;
	return rule_tail(l, 2, end, r, a->parse);
}

/* use_backend POOL [if|unless COND] */
static int
backend_line(struct line *l)
{
	size_t end = cond_start(l, 1);
	struct lb_rule *r = new_rule(l, LB_PHASE_BACKEND,
	    LB_ACT_USE_BACKEND);

	if (r == NULL)
		return -1;
	return rule_tail(l, 1, end, r, p_name);
}

/* A line HAProxy removed in 2.1 (rule_nsx.h): read as the modern one,
 * with a warning that gives it to paste instead. */
static int
nsx_line(struct line *l)
{
	struct lb_rule_words modern;
	struct line m = *l;
	size_t before = l->rs->nrules;
	char err[320], *text;
	unsigned col;
	int rc;

	if (lb_rule_nsx_translate(l->w, &modern, &text, err, sizeof(err),
	    &col) < 0) {
		struct conf_pos p = l->pos;

		p.col += col > 0 ? col - 1 : 0;
		conf_error(l->d, &p, "%s", err);
		return -1;
	}
	conf_warning(l->d, &l->pos, "'%s' %s; edged reads this line as: %s",
	    word(l, 0), lb_rule_nsx_why(word(l, 0)), text);
	m.w = &modern;
	rc = action_line(&m, strcmp(modern.w[0].text, "http-request") == 0 ?
	    LB_PHASE_REQUEST : LB_PHASE_RESPONSE);
	if (rc == 0 && l->rs->nrules > before)
		l->rs->rules[l->rs->nrules - 1].modern = text;
	else
		free(text);
	lb_rule_words_free(&modern);
	return rc;
}

/* ---- a block ---- */

static const char *const keywords[] = { "acl", "http-request",
    "http-response", "use_backend" };

static int
rule_line(struct lb_rule_set *rs, const struct conf_node *n,
    struct conf_diag *d)
{
	struct lb_rule_words w;
	struct line l = { .rs = rs, .w = &w, .pos = n->argpos[0], .d = d };
	char err[160], hint[96];
	unsigned col;
	int rc;

	if (lb_rule_split(n->args[0], strlen(n->args[0]), &w, err,
	    sizeof(err), &col) < 0) {
		struct conf_pos p = l.pos;

		p.col += col > 0 ? col - 1 : 0;
		conf_error(d, &p, "%s", err);
		return -1;
	}
	if (w.n == 0)
		rc = 0;
	else if (strcmp(word(&l, 0), "acl") == 0)
		rc = acl_line(&l);
	else if (strcmp(word(&l, 0), "http-request") == 0)
		rc = action_line(&l, LB_PHASE_REQUEST);
	else if (strcmp(word(&l, 0), "http-response") == 0)
		rc = action_line(&l, LB_PHASE_RESPONSE);
	else if (strcmp(word(&l, 0), "use_backend") == 0)
		rc = backend_line(&l);
	else if (lb_rule_nsx_keyword(word(&l, 0)))
		rc = nsx_line(&l);
	else
		rc = line_error(&l, 0, "'%s' is not a rule edged knows%s",
		    word(&l, 0), conf_hint(word(&l, 0), keywords,
		    ARRAY_LEN(keywords), hint, sizeof(hint)));
	lb_rule_words_free(&w);
	return rc;
}

unsigned
lb_rule_set_parse(struct lb_rule_set *rs, const struct conf_node *blk,
    struct conf_diag *d)
{
	unsigned before = d->nerrors;

	for (size_t i = 0; i < blk->nchildren && !d->oom; i++)
		(void)rule_line(rs, &blk->children[i], d);
	return d->nerrors - before;
}

void
lb_rule_set_free(struct lb_rule_set *rs)
{
	for (size_t i = 0; i < rs->nacls; i++)
		acl_free(&rs->acls[i]);
	free(rs->acls);
	rs->acls = NULL;
	rs->nacls = 0;
	rs->ngroups = 0;
	for (size_t i = 0; i < rs->nrules; i++)
		rule_free(&rs->rules[i]);
	free(rs->rules);
	rs->rules = NULL;
	rs->nrules = 0;
}
