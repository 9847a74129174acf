/*
 * lb/rule_conv.c - see rule_conv.h.
 *
 *   compile: the text into calls (a name and its arguments, unquoted as
 *            HAProxy's make_arg_list unquotes them), each call checked
 *            and turned into a struct conv: field's delimiters as a byte
 *            set, regsub's regex JIT-compiled and SUBST cut into literal
 *            and group pieces, ipmask's masks as bytes, map's file into
 *            an open-addressing hash table
 *   run:     the sample through each conv in turn; what a converter
 *            writes goes to the front of the caller's buffer, and a
 *            sample already there is changed in place, or moved to the
 *            buffer's end first when the converter reads it while it
 *            writes
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "rule_conv.h"
#include "rule_run.h"
#include "util.h"

#define ARGS_MAX	3	/* the most any converter takes */
#define QUOTE_MAX	48	/* bytes of a word quoted in a message */
#define QUOTED_MAX	(QUOTE_MAX * 4 + 4)
#define NAME_MAX_HINT	64	/* longer names get no "did you mean" */
#define GROUPS		10	/* \0 to \9 */
#define ADDR_TEXT_MAX	64	/* longer is no address */
#define FNV_BASIS	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

enum kind {
	CONV_LOWER,
	CONV_UPPER,
	CONV_BASE64,
	CONV_FIELD,
	CONV_REGSUB,
	CONV_IPMASK,
	CONV_MAP,
};

struct field {
	int64_t index;			/* from 1, or from -1 at the end */
	int64_t count;			/* 0: every field to the end */
	unsigned char delim[32];	/* a bit per byte value */
};

/* A piece of regsub's SUBST: bytes of lit, or a group of the match. */
struct piece {
	int group;			/* -1: lit[off, off + len) */
	size_t off;
	size_t len;
};

struct regsub {
	pcre2_code *re;
	bool global;
	char *lit;			/* SUBST's literal bytes, unescaped */
	struct piece *pieces;
	size_t npieces;
};

struct ipmask {
	unsigned char mask4[4];
	unsigned char mask6[16];
	bool has_mask6;
};

/* A line of a map file: key and value, offsets into its text. */
struct entry {
	uint64_t hash;
	size_t key, klen;
	size_t val, vlen;
};

struct map {
	char *text;			/* the file's text, copied */
	struct entry *ents;
	size_t nents;
	size_t *slots;			/* ents index + 1; 0: empty */
	size_t nslots;			/* a power of two over 2 * lines */
	char *def;			/* DEFAULT, or NULL for none */
	size_t deflen;
};

struct conv {
	enum kind kind;
	union {
		struct field f;
		struct regsub r;
		struct ipmask ip;
		struct map m;
	} u;
};

struct lb_conv_chain {
	struct conv *c;
	size_t n;
};

/* ---- the table of converters ---- */

struct call;

/* What a converter's compiler has besides its call. */
struct cc {
	const struct lb_rule_file *files;
	size_t nfiles;
	char *err;
	size_t errsize;
};

static int compile_none(struct conv *, const struct call *, struct cc *);
static int compile_field(struct conv *, const struct call *, struct cc *);
static int compile_regsub(struct conv *, const struct call *, struct cc *);
static int compile_ipmask(struct conv *, const struct call *, struct cc *);
static int compile_map(struct conv *, const struct call *, struct cc *);

/* Each converter: its name, how many arguments, and what compiles
 * them (defined below, with what runs them). */
static const struct conv_def {
	const char *name;
	enum kind kind;
	unsigned min, max;		/* arguments */
	const char *usage;
	int (*compile)(struct conv *, const struct call *, struct cc *);
} defs[] = {
	{ "lower", CONV_LOWER, 0, 0, "lower", compile_none },
	{ "upper", CONV_UPPER, 0, 0, "upper", compile_none },
	{ "base64", CONV_BASE64, 0, 0, "base64", compile_none },
	{ "field", CONV_FIELD, 2, 3, "field(INDEX,DELIMITERS[,COUNT])",
	    compile_field },
	{ "regsub", CONV_REGSUB, 2, 3, "regsub(REGEX,SUBST[,FLAGS])",
	    compile_regsub },
	{ "ipmask", CONV_IPMASK, 1, 2, "ipmask(MASK4[,MASK6])",
	    compile_ipmask },
	{ "map", CONV_MAP, 1, 2, "map(FILE[,DEFAULT])", compile_map },
	{ "map_str", CONV_MAP, 1, 2, "map_str(FILE[,DEFAULT])", compile_map },
};

static const char *const def_names[] = { "lower", "upper", "base64",
	"field", "regsub", "ipmask", "map", "map_str" };

/* ---- the text: calls and their arguments ---- */

/* One converter as written: its name (in the text) and its arguments,
 * unquoted and NUL-terminated into buf (as many bytes as the text). */
struct call {
	const char *name;		/* NULL before the first */
	size_t nlen;
	const struct conv_def *def;
	bool parens;
	size_t nargs;			/* counted past ARGS_MAX, not kept */
	const char *arg[ARGS_MAX];
	size_t alen[ARGS_MAX];
	char *buf;
	size_t used;
};

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errsize, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
	return -1;
}

/* s quoted for a message: at most QUOTE_MAX bytes, those that do not
 * print as \xHH, "..." if cut. */
static const char *
quote(char *dst, size_t size, const char *s, size_t n)
{
	size_t j = 0;

	for (size_t i = 0; i < n && i < QUOTE_MAX && j + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e)
			j += (size_t)snprintf(dst + j, size - j, "\\x%02x", c);
		else
			dst[j++] = (char)c;
	}
	if (n > QUOTE_MAX && j + 4 <= size) {
		memcpy(dst + j, "...", 3);
		j += 3;
	}
	dst[j < size ? j : size - 1] = '\0';
	return dst;
}

/* HAProxy's is_idchar: the bytes of a converter's name. */
static bool
is_idchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
	    c == '+' || c == ':';
}

/* What a backslash makes of the byte after it in an argument, or -1:
 * the backslash stays, and that byte is read as any other. */
static int
escaped(char c)
{
	switch (c) {
	case '\\':
	case ' ':
	case '"':
	case '\'':
		return c;
	case 'r':
		return '\r';
	case 'n':
		return '\n';
	case 't':
		return '\t';
	default:
		return -1;
	}
}

/* One argument from t[*pos] to the ',' or ')' outside quotes that ends
 * it (or len), unquoted into out (if not NULL, *olen bytes).  Returns
 * whether a quote was left open. */
static bool
scan_arg(const char *t, size_t len, size_t *pos, char *out, size_t *olen)
{
	bool sq = false, dq = false;
	size_t i = *pos, n = 0;

	for (; i < len; i++) {
		char c = t[i];
		int e;

		if (c == '"' && !sq) {
			dq = !dq;
			continue;
		}
		if (c == '\'' && !dq) {
			sq = !sq;
			continue;
		}
		if (c == '\\' && !sq && i + 1 < len &&
		    (e = escaped(t[i + 1])) >= 0) {
			c = (char)e;
			i++;
		} else if (!sq && !dq && (c == ',' || c == ')')) {
			break;
		}
		if (out != NULL)
			out[n] = c;
		n++;
	}
	*pos = i;
	*olen = n;
	return sq || dq;
}

/* Keeps the argument just unquoted at c->buf + c->used. */
static void
keep_arg(struct call *c, size_t n)
{
	if (c->nargs < ARGS_MAX) {
		c->arg[c->nargs] = c->buf + c->used;
		c->alen[c->nargs] = n;
	}
	c->buf[c->used + n] = '\0';
	c->used += n + 1;
	c->nargs++;
}

enum scan { SCAN_OK, SCAN_QUOTE, SCAN_PAREN };

/* The arguments in parentheses at t[*pos] == '(' into c (NULL: only
 * scanned).  "()" holds none; "(,)" two empty ones. */
static enum scan
scan_args(const char *t, size_t len, size_t *pos, struct call *c)
{
	size_t p = *pos + 1, n;
	bool open;

	if (p < len && t[p] == ')') {
		*pos = p + 1;
		return SCAN_OK;
	}
	for (;;) {
		open = scan_arg(t, len, &p, c != NULL ? c->buf + c->used :
		    NULL, &n);
		if (c != NULL)
			keep_arg(c, n);
		if (p == len)
			return open ? SCAN_QUOTE : SCAN_PAREN;
		if (t[p++] == ')')
			break;
	}
	*pos = p;
	return SCAN_OK;
}

size_t
lb_conv_span(const char *text, size_t len)
{
	size_t pos = 0;

	while (pos < len && text[pos] == ',') {
		while (pos < len && text[pos] == ',')
			pos++;
		while (pos < len && is_idchar(text[pos]))
			pos++;
		if (pos < len && text[pos] == '(' &&
		    scan_args(text, len, &pos, NULL) != SCAN_OK)
			return len;
	}
	return pos;
}

static int
unknown(const struct call *c, char *err, size_t errsize)
{
	char name[NAME_MAX_HINT], hint[NAME_MAX_HINT + 32], q[QUOTED_MAX];

	snprintf(name, sizeof(name), "%.*s", (int)c->nlen, c->name);
	if (c->nlen < sizeof(name) && conf_hint(name, def_names,
	    ARRAY_LEN(def_names), hint, sizeof(hint))[0] != '\0')
		return fail(err, errsize, "unknown converter '%s'%s", name,
		    hint);
	return fail(err, errsize, "unknown converter '%s'; edged "
	    "has lower, upper, base64, field, regsub, ipmask and map",
	    quote(q, sizeof(q), c->name, c->nlen));
}

static const struct conv_def *
find_def(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_LEN(defs); i++)
		if (strlen(defs[i].name) == len &&
		    memcmp(defs[i].name, name, len) == 0)
			return &defs[i];
	return NULL;
}

/* What stands where a ',' should: an error naming what came before. */
static int
no_comma(const char *t, size_t len, const struct call *c, char *err,
    size_t errsize)
{
	char q[QUOTED_MAX];

	quote(q, sizeof(q), t, len);
	if (c->name == NULL)
		return fail(err, errsize, "expected ',' before the first "
		    "converter, found '%s'", q);
	return fail(err, errsize, "converter '%.*s' must be followed by "
	    "',' or the end, not '%s'", (int)c->nlen, c->name, q);
}

/*
 * The converter after t[*pos] (a ',' or the end) into c, its arguments
 * into c->buf.  HAProxy passes over commas in a row, and one at the
 * end.  Returns 1, 0 at the end, or -1 with a message.
 */
static int
next_call(const char *t, size_t len, size_t *pos, struct call *c,
    char *err, size_t errsize)
{
	size_t p = *pos;
	char q[QUOTED_MAX];
	enum scan s;

	if (p < len && t[p] != ',')
		return no_comma(t + p, len - p, c, err, errsize);
	while (p < len && t[p] == ',')
		p++;
	if (p == len)
		return 0;
	c->name = t + p;
	for (c->nlen = 0; p < len && is_idchar(t[p]); p++)
		c->nlen++;
	if (c->nlen == 0)
		return fail(err, errsize, "expected a converter name after "
		    "',', found '%s'", quote(q, sizeof(q), t + p, len - p));
	if ((c->def = find_def(c->name, c->nlen)) == NULL)
		return unknown(c, err, errsize);
	c->nargs = c->used = 0;
	c->parens = p < len && t[p] == '(';
	if (c->parens && (s = scan_args(t, len, &p, c)) != SCAN_OK)
		return fail(err, errsize, "converter '%.*s': %s",
		    (int)c->nlen, c->name, s == SCAN_QUOTE ? "unterminated "
		    "quote in its arguments" : "expected ')' after its "
		    "arguments");
	*pos = p;
	return 1;
}

/* ---- compiling each converter ---- */

static int
compile_none(struct conv *cv, const struct call *c, struct cc *cc)
{
	(void)cv;
	(void)c;
	(void)cc;
	return 0;
}

static int
compile_field(struct conv *cv, const struct call *c, struct cc *cc)
{
	struct field *f = &cv->u.f;

	if (!decimal_i64(c->arg[0], c->alen[0], &f->index))
		return fail(cc->err, cc->errsize, "converter 'field': INDEX "
		    "'%s' is not an integer", c->arg[0]);
	if (f->index == 0)
		return fail(cc->err, cc->errsize, "converter 'field': INDEX "
		    "may not be 0 (fields count from 1, or from -1 at the "
		    "end)");
	if (c->alen[1] == 0)
		return fail(cc->err, cc->errsize, "converter 'field': "
		    "DELIMITERS is empty");
	for (size_t i = 0; i < c->alen[1]; i++) {
		unsigned char b = (unsigned char)c->arg[1][i];

		f->delim[b / 8] |= (unsigned char)(1u << (b % 8));
	}
	f->count = 1;
	if (c->nargs < 3)
		return 0;
	if (!decimal_i64(c->arg[2], c->alen[2], &f->count))
		return fail(cc->err, cc->errsize, "converter 'field': COUNT "
		    "'%s' is not an integer", c->arg[2]);
	if (f->count < 0)
		return fail(cc->err, cc->errsize, "converter 'field': COUNT "
		    "%lld is negative (0 takes every field to the end)",
		    (long long)f->count);
	return 0;
}

static int
regsub_flags(const struct call *c, struct regsub *r, uint32_t *opts,
    struct cc *cc)
{
	char q[QUOTED_MAX];

	for (size_t i = 0; c->nargs == 3 && i < c->alen[2]; i++) {
		if (c->arg[2][i] == 'i')
			*opts |= PCRE2_CASELESS;
		else if (c->arg[2][i] == 'g')
			r->global = true;
		else
			return fail(cc->err, cc->errsize, "converter 'regsub': "
			    "unknown flag '%s' in FLAGS (it takes i and g)",
			    quote(q, sizeof(q), c->arg[2] + i, 1));
	}
	return 0;
}

static int
regsub_regex(const struct call *c, struct regsub *r, uint32_t opts,
    struct cc *cc)
{
	PCRE2_UCHAR why[128];
	char q[QUOTED_MAX];
	PCRE2_SIZE off;
	int code;

	r->re = pcre2_compile((PCRE2_SPTR)c->arg[0], c->alen[0], opts, &code,
	    &off, NULL);
	if (r->re == NULL) {
		if (pcre2_get_error_message(code, why, sizeof(why)) < 0)
			snprintf((char *)why, sizeof(why), "error %d", code);
		return fail(cc->err, cc->errsize, "converter 'regsub': REGEX "
		    "'%s' is not a valid regex: %s (at byte %zu)",
		    quote(q, sizeof(q), c->arg[0], c->alen[0]),
		    (const char *)why, (size_t)off);
	}
	/* a regex the JIT refuses is run by the interpreter */
	(void)pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
	return 0;
}

/* Adds a piece to r: a literal byte (group -1) or a group. */
static int
add_piece(struct regsub *r, int group, size_t *nlit, char byte,
    struct cc *cc)
{
	struct piece *p = r->npieces > 0 ? &r->pieces[r->npieces - 1] : NULL;

	if (group < 0) {
		r->lit[*nlit] = byte;
		if (p != NULL && p->group < 0 && p->off + p->len == *nlit) {
			p->len++;
			++*nlit;
			return 0;
		}
	}
	p = realloc(r->pieces, (r->npieces + 1) * sizeof(*p));
	if (p == NULL)
		return fail(cc->err, cc->errsize, "out of memory");
	r->pieces = p;
	p[r->npieces++] = (struct piece){ group, *nlit, group < 0 ? 1 : 0 };
	if (group < 0)
		++*nlit;
	return 0;
}

/* One escape of SUBST at s[*i] == '\': a group, \xHH, or the byte. */
static int
subst_escape(struct regsub *r, const char *s, size_t n, size_t *i,
    size_t *nlit, uint32_t groups, struct cc *cc)
{
	int hi, lo, g;

	if (*i + 1 == n)
		return fail(cc->err, cc->errsize, "converter 'regsub': SUBST "
		    "ends in a lone '\\'");
	if (s[*i + 1] >= '0' && s[*i + 1] <= '9') {
		if ((uint32_t)(g = s[*i + 1] - '0') > groups)
			return fail(cc->err, cc->errsize, "converter 'regsub': "
			    "SUBST names \\%d but the regex has %u group%s", g,
			    (unsigned)groups, groups == 1 ? "" : "s");
		*i += 2;
		return add_piece(r, g, nlit, 0, cc);
	}
	if (s[*i + 1] != 'x') {
		*i += 2;
		return add_piece(r, -1, nlit, s[*i - 1], cc);
	}
	if (*i + 3 >= n || (hi = hex_value(s[*i + 2])) < 0 ||
	    (lo = hex_value(s[*i + 3])) < 0)
		return fail(cc->err, cc->errsize, "converter 'regsub': '\\x' "
		    "in SUBST needs two hex digits");
	*i += 4;
	return add_piece(r, -1, nlit, (char)(hi << 4 | lo), cc);
}

/* SUBST into literal and group pieces (HAProxy's exp_replace). */
static int
regsub_subst(const struct call *c, struct regsub *r, struct cc *cc)
{
	const char *s = c->arg[1];
	size_t n = c->alen[1], i = 0, nlit = 0;
	uint32_t groups = 0;

	(void)pcre2_pattern_info(r->re, PCRE2_INFO_CAPTURECOUNT, &groups);
	if ((r->lit = malloc(n + 1)) == NULL)
		return fail(cc->err, cc->errsize, "out of memory");
	while (i < n)
		if ((s[i] == '\\' ? subst_escape(r, s, n, &i, &nlit, groups,
		    cc) : add_piece(r, -1, &nlit, s[i++], cc)) < 0)
			return -1;
	return 0;
}

static int
compile_regsub(struct conv *cv, const struct call *c, struct cc *cc)
{
	uint32_t opts = 0;

	if (regsub_flags(c, &cv->u.r, &opts, cc) < 0 ||
	    regsub_regex(c, &cv->u.r, opts, cc) < 0)
		return -1;
	return regsub_subst(c, &cv->u.r, cc);
}

/* A prefix length 0..max (digits only) into the mask m of max bits. */
static bool
prefix_mask(const char *s, size_t n, unsigned max, unsigned char *m)
{
	unsigned bits = 0;

	if (n == 0 || n > 3)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		bits = bits * 10 + (unsigned)(s[i] - '0');
	}
	if (bits > max)
		return false;
	memset(m, 0, max / 8);
	memset(m, 0xff, bits / 8);
	if (bits % 8 != 0)
		m[bits / 8] = (unsigned char)(0xff00 >> (bits % 8));
	return true;
}

static int
compile_ipmask(struct conv *cv, const struct call *c, struct cc *cc)
{
	struct ipmask *ip = &cv->u.ip;
	char q[QUOTED_MAX];

	if (strchr(c->arg[0], '.') != NULL ? inet_pton(AF_INET, c->arg[0],
	    ip->mask4) != 1 : !prefix_mask(c->arg[0], c->alen[0], 32,
	    ip->mask4))
		return fail(cc->err, cc->errsize, "converter 'ipmask': MASK4 "
		    "'%s' is not a prefix length (0 to 32) or a dotted mask",
		    quote(q, sizeof(q), c->arg[0], c->alen[0]));
	if (c->nargs < 2)
		return 0;
	if (strchr(c->arg[1], ':') != NULL ? inet_pton(AF_INET6, c->arg[1],
	    ip->mask6) != 1 : !prefix_mask(c->arg[1], c->alen[1], 128,
	    ip->mask6))
		return fail(cc->err, cc->errsize, "converter 'ipmask': MASK6 "
		    "'%s' is not a prefix length (0 to 128) or an IPv6 mask",
		    quote(q, sizeof(q), c->arg[1], c->alen[1]));
	ip->has_mask6 = true;
	return 0;
}

/* ---- map files ---- */

static uint64_t
hash_bytes(const char *s, size_t n)
{
	uint64_t h = FNV_BASIS;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * FNV_PRIME;
	return h;
}

/* The slot a hash starts probing at: FNV's low bits mixed with its
 * high ones, which carry most of the last bytes. */
static size_t
hash_slot(uint64_t h, size_t nslots)
{
	return (size_t)(h ^ (h >> 29)) & (nslots - 1);
}

/* The slot holding key s, or the empty slot where it would go. */
static size_t
map_probe(const struct map *m, uint64_t h, const char *s, size_t n)
{
	size_t mask = m->nslots - 1, i;

	for (i = hash_slot(h, m->nslots); m->slots[i] != 0;
	    i = (i + 1) & mask) {
		const struct entry *e = &m->ents[m->slots[i] - 1];

		if (e->hash == h && e->klen == n &&
		    memcmp(m->text + e->key, s, n) == 0)
			break;
	}
	return i;
}

static bool
map_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Where a key or a value ends: HAProxy reads lines with fgets, and
 * stops them at CR or NUL as at LF. */
static bool
map_eol(char c)
{
	return c == '\r' || c == '\0';
}

/* The line t[b, e) into an entry; false for a blank or '#' line.  The
 * key is the first word; the value what follows the blanks after it,
 * without trailing blanks. */
static bool
map_line(const char *t, size_t b, size_t e, struct entry *en)
{
	while (b < e && map_blank(t[b]))
		b++;
	if (b == e || map_eol(t[b]) || t[b] == '#')
		return false;
	en->key = b;
	while (b < e && !map_blank(t[b]) && !map_eol(t[b]))
		b++;
	en->klen = b - en->key;
	while (b < e && map_blank(t[b]))
		b++;
	en->val = b;
	while (b < e && !map_eol(t[b]))
		b++;
	while (b > en->val && map_blank(t[b - 1]))
		b--;
	en->vlen = b - en->val;
	en->hash = hash_bytes(t + en->key, en->klen);
	return true;
}

/* The entries of the map's text, each key kept at its first line. */
static void
map_fill(struct map *m, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(m->text + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - m->text) : len, i;
		struct entry *en = &m->ents[m->nents];

		if (map_line(m->text, pos, end, en) &&
		    m->slots[i = map_probe(m, en->hash, m->text + en->key,
		    en->klen)] == 0)
			m->slots[i] = ++m->nents;
		pos = end + 1;
	}
}

static int
map_load(struct map *m, const char *text, size_t len)
{
	size_t lines = 1;

	for (const char *p = text; (p = memchr(p, '\n', len - (size_t)(p -
	    text))) != NULL; p++)
		lines++;
	m->nslots = 8;
	while (m->nslots <= 2 * lines)
		m->nslots *= 2;
	m->text = malloc(len + 1);
	m->ents = calloc(lines, sizeof(*m->ents));
	m->slots = calloc(m->nslots, sizeof(*m->slots));
	if (m->text == NULL || m->ents == NULL || m->slots == NULL)
		return -1;
	memcpy(m->text, text, len);
	map_fill(m, len);
	return 0;
}

static const struct lb_rule_file *
find_file(const struct cc *cc, const char *path)
{
	for (size_t i = 0; i < cc->nfiles; i++)
		if (strcmp(cc->files[i].path, path) == 0)
			return &cc->files[i];
	return NULL;
}

static int
compile_map(struct conv *cv, const struct call *c, struct cc *cc)
{
	struct map *m = &cv->u.m;
	const struct lb_rule_file *f;
	char q[QUOTED_MAX];

	if (c->alen[0] == 0)
		return fail(cc->err, cc->errsize, "converter 'map': FILE is "
		    "empty");
	if ((f = find_file(cc, c->arg[0])) == NULL)
		return fail(cc->err, cc->errsize, "converter 'map': file "
		    "'%s' was not read", quote(q, sizeof(q), c->arg[0],
		    c->alen[0]));
	if (c->nargs == 2) {
		if ((m->def = malloc(c->alen[1] + 1)) == NULL)
			return fail(cc->err, cc->errsize, "out of memory");
		memcpy(m->def, c->arg[1], c->alen[1] + 1);
		m->deflen = c->alen[1];
	}
	/* a file that could not be read is an error said already: its
	 * map stays empty */
	if (f->text != NULL && map_load(m, f->text, f->len) < 0)
		return fail(cc->err, cc->errsize, "out of memory");
	return 0;
}

/* The call c, checked, compiled onto the end of ch. */
static int
compile_one(struct lb_conv_chain *ch, const struct call *c, struct cc *cc)
{
	const struct conv_def *d = c->def;
	struct conv *cv;

	if (d->max == 0 && c->nargs > 0)
		return fail(cc->err, cc->errsize, "converter '%s' takes no "
		    "arguments", d->name);
	if (c->nargs < d->min || c->nargs > d->max)
		return fail(cc->err, cc->errsize, "converter '%s' takes %u or "
		    "%u arguments, not %zu: %s", d->name, d->min, d->max,
		    c->nargs, d->usage);
	cv = realloc(ch->c, (ch->n + 1) * sizeof(*cv));
	if (cv == NULL)
		return fail(cc->err, cc->errsize, "out of memory");
	ch->c = cv;
	cv = memset(&ch->c[ch->n++], 0, sizeof(*cv));	/* freed with ch */
	cv->kind = d->kind;
	return d->compile(cv, c, cc);
}

int
lb_conv_compile(const char *text, size_t len,
    const struct lb_rule_file *files, size_t nfiles,
    struct lb_conv_chain **out, char *err, size_t errsize)
{
	struct cc cc = { files, nfiles, err, errsize };
	struct lb_conv_chain *ch;
	struct call call = { .name = NULL };
	size_t pos = 0;
	int rc;

	*out = NULL;
	if (len > 0 && memchr(text, '\0', len) != NULL)
		return fail(err, errsize, "a NUL byte in the converters");
	ch = calloc(1, sizeof(*ch));
	call.buf = malloc(len + 1);
	if (ch == NULL || call.buf == NULL) {
		free(ch);
		free(call.buf);
		return fail(err, errsize, "out of memory");
	}
	while ((rc = next_call(text, len, &pos, &call, err, errsize)) > 0)
		if (compile_one(ch, &call, &cc) < 0) {
			rc = -1;
			break;
		}
	free(call.buf);
	if (rc < 0) {
		lb_conv_free(&ch);
		return -1;
	}
	*out = ch;
	return 0;
}

size_t
lb_conv_count(const struct lb_conv_chain *c)
{
	return c->n;
}

static void
conv_free(struct conv *cv)
{
	switch (cv->kind) {
	case CONV_REGSUB:
		pcre2_code_free(cv->u.r.re);
		free(cv->u.r.lit);
		free(cv->u.r.pieces);
		break;
	case CONV_MAP:
		free(cv->u.m.text);
		free(cv->u.m.ents);
		free(cv->u.m.slots);
		free(cv->u.m.def);
		break;
	default:
		break;
	}
}

void
lb_conv_free(struct lb_conv_chain **c)
{
	if (c == NULL || *c == NULL)
		return;
	for (size_t i = 0; i < (*c)->n; i++)
		conv_free(&(*c)->c[i]);
	free((*c)->c);
	free(*c);
	*c = NULL;
}

int
lb_conv_files(const char *text, size_t len,
    int (*fn)(const char *path, void *arg), void *arg)
{
	struct call call = { .name = NULL };
	size_t pos = 0;
	char err[8];
	int rc = 0;

	if ((call.buf = malloc(len + 1)) == NULL)
		return -1;
	while (rc == 0 && next_call(text, len, &pos, &call, err,
	    sizeof(err)) > 0) {
		if (call.def->kind == CONV_MAP && call.nargs > 0 &&
		    call.alen[0] > 0 && memchr(call.arg[0], '\0',
		    call.alen[0]) == NULL)
			rc = fn(call.arg[0], arg);
	}
	free(call.buf);
	return rc;
}

/* ---- running ---- */

/* The sample between converters: in buf (ours to change) or not. */
struct smp {
	const char *p;
	size_t n;
	bool mine;
	char *buf;
	size_t size;
};

/* Makes the sample ours: copied to the front of buf unless there. */
static bool
own(struct smp *s)
{
	if (s->mine)
		return true;
	if (s->n > s->size)
		return false;
	memcpy(s->buf, s->p, s->n);
	s->p = s->buf;
	s->mine = true;
	return true;
}

/* Moves a sample of ours to the end of buf, so that a converter may
 * write from the front while it reads it; returns the room before. */
static size_t
to_back(struct smp *s)
{
	char *back = s->buf + s->size - s->n;

	if (!s->mine)
		return s->size;
	memmove(back, s->p, s->n);
	s->p = back;
	return s->size - s->n;
}

static bool
run_case(struct smp *s, bool upper)
{
	char *w;

	if (!own(s))
		return false;
	w = s->buf + (s->p - s->buf);
	for (size_t i = 0; i < s->n; i++) {
		if (upper && w[i] >= 'a' && w[i] <= 'z')
			w[i] = (char)(w[i] - 'a' + 'A');
		else if (!upper && w[i] >= 'A' && w[i] <= 'Z')
			w[i] = (char)(w[i] - 'A' + 'a');
	}
	return true;
}

/*
 * In place when the sample is ours: at the end of buf, each group of 3
 * bytes is read before its 4 are written, and the output, no longer
 * than buf, never reaches input not yet read: group g ends at 4g + 4,
 * and the unread input starts at size - n + 3g + 3, which is no lower
 * since size - n >= 4G - 3G = G >= g + 1 for G groups.
 */
static bool
run_base64(struct smp *s)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *in;
	size_t out, n = s->n;

	if (n > (SIZE_MAX - 2) / 4 * 3 || (n + 2) / 3 * 4 > s->size)
		return false;
	(void)to_back(s);
	in = (const unsigned char *)s->p;
	out = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned a = in[i], b = i + 1 < n ? in[i + 1] : 0,
		    c = i + 2 < n ? in[i + 2] : 0;

		s->buf[out++] = b64[a >> 2];
		s->buf[out++] = b64[(a & 3) << 4 | b >> 4];
		s->buf[out++] = i + 1 < n ? b64[(b & 15) << 2 | c >> 6] : '=';
		s->buf[out++] = i + 2 < n ? b64[c & 63] : '=';
	}
	s->p = s->buf;
	s->n = out;
	s->mine = true;
	return true;
}

static bool
is_delim(const struct field *f, char c)
{
	unsigned char b = (unsigned char)c;

	return (f->delim[b / 8] >> (b % 8)) & 1;
}

/* From the start: INDEX - 1 delimiters before the field, COUNT - 1
 * delimiters inside what is taken. */
static bool
field_forward(const struct field *f, const char *p, size_t n, size_t *b,
    size_t *e)
{
	uint64_t want = (uint64_t)f->index - 1, k = 0;
	size_t i = 0;

	for (; i < n && k < want; i++)
		if (is_delim(f, p[i]))
			k++;
	if (k < want)
		return false;
	*b = i;
	for (k = 0; f->count > 0 && i < n; i++)
		if (is_delim(f, p[i]) && ++k == (uint64_t)f->count)
			break;
	*e = f->count > 0 ? i : n;
	return true;
}

/* The same from the end, for a negative INDEX. */
static bool
field_backward(const struct field *f, const char *p, size_t n, size_t *b,
    size_t *e)
{
	uint64_t want = (uint64_t)(-(f->index + 1)), k = 0;
	size_t j = n;

	for (; j > 0 && k < want; j--)
		if (is_delim(f, p[j - 1]))
			k++;
	if (k < want)
		return false;
	*e = j;
	for (k = 0; f->count > 0 && j > 0; j--)
		if (is_delim(f, p[j - 1]) && ++k == (uint64_t)f->count)
			break;
	*b = f->count > 0 ? j : 0;
	return true;
}

static bool
run_field(const struct field *f, struct smp *s)
{
	size_t b, e;

	if (!(f->index > 0 ? field_forward : field_backward)(f, s->p, s->n,
	    &b, &e))
		return false;
	s->p += b;
	s->n = e - b;
	return true;
}

static _Thread_local pcre2_match_data *match_data;

/* Where regsub writes: buf[0, cap); ok false once something did not
 * fit. */
struct out {
	char *p;
	size_t n, cap;
	bool ok;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (!o->ok || n > o->cap - o->n) {
		o->ok = false;
		return;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

/* SUBST for the match whose offsets are ov (rc of them set). */
static void
put_subst(struct out *o, const struct regsub *r, const char *subj,
    const PCRE2_SIZE *ov, int rc)
{
	for (size_t i = 0; i < r->npieces; i++) {
		const struct piece *pc = &r->pieces[i];
		int g = pc->group;

		if (g < 0)
			put(o, r->lit + pc->off, pc->len);
		else if (g < rc && ov[2 * g] != PCRE2_UNSET)
			put(o, subj + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
	}
}

/* Where regsub is in its subject. */
struct rs {
	const char *subj;
	size_t n;
	size_t at;			/* where the next match is looked for */
	size_t copied;			/* subj[0, copied) is in the output */
	bool empty;			/* the last match was empty, at at */
};

/*
 * The next match (as Perl's s///g: after an empty match, a non-empty
 * one at the same place, else the search goes on a byte further): the
 * bytes before it, then SUBST.  Returns 1, 0 when there is none, -1 if
 * the regex failed to run (its match limit).
 */
static int
regsub_step(const struct regsub *r, struct rs *st, struct out *o)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(match_data);
	uint32_t opts = st->empty ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED :
	    0;
	int rc = pcre2_match(r->re, (PCRE2_SPTR)st->subj, st->n, st->at, opts,
	    match_data, NULL);

	if (rc == PCRE2_ERROR_NOMATCH && opts != 0) {
		if (st->at == st->n)
			return 0;
		rc = pcre2_match(r->re, (PCRE2_SPTR)st->subj, st->n,
		    st->at + 1, 0, match_data, NULL);
	}
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	/* \K in a lookaround can put a match's start after its end */
	if (rc < 0 || ov[0] > ov[1] || ov[0] < st->copied)
		return -1;
	put(o, st->subj + st->copied, ov[0] - st->copied);
	put_subst(o, r, st->subj, ov, rc == 0 ? GROUPS : rc);
	st->copied = st->at = ov[1];
	st->empty = ov[0] == ov[1];
	return 1;
}

static bool
run_regsub(const struct regsub *r, struct smp *s)
{
	struct out o = { s->buf, 0, 0, true };
	struct rs st = { .n = s->n };
	int rc;

	if (match_data == NULL &&
	    (match_data = pcre2_match_data_create(GROUPS, NULL)) == NULL)
		return false;
	o.cap = to_back(s);
	st.subj = s->n > 0 ? s->p : "";
	if ((rc = regsub_step(r, &st, &o)) == 0)
		return true;	/* no match: the sample as it is */
	while (rc > 0 && r->global)
		rc = regsub_step(r, &st, &o);
	if (rc < 0)
		return false;
	put(&o, st.subj + st.copied, st.n - st.copied);
	if (!o.ok)
		return false;
	s->p = s->buf;
	s->n = o.n;
	s->mine = true;
	return true;
}

static bool
v4_mapped(const unsigned char *a)
{
	static const unsigned char prefix[12] = { [10] = 0xff, [11] = 0xff };

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

/* The sample as an address (an IPv4-mapped IPv6 one as IPv4, as HAProxy
 * casts it), masked, as text. */
static bool
run_ipmask(const struct ipmask *ip, struct smp *s)
{
	char t[ADDR_TEXT_MAX];
	unsigned char a[16];
	int af = AF_INET;
	size_t n;

	if (s->n >= sizeof(t) || memchr(s->p, '\0', s->n) != NULL)
		return false;
	memcpy(t, s->p, s->n);
	t[s->n] = '\0';
	if (inet_pton(AF_INET, t, a) != 1) {
		if (inet_pton(AF_INET6, t, a) != 1)
			return false;
		if (v4_mapped(a))
			memmove(a, a + 12, 4);
		else if (ip->has_mask6)
			af = AF_INET6;
		else
			return false;	/* HAProxy's: no MASK6, no IPv6 */
	}
	for (size_t i = 0; i < (af == AF_INET ? 4u : 16u); i++)
		a[i] &= af == AF_INET ? ip->mask4[i] : ip->mask6[i];
	if (inet_ntop(af, a, t, sizeof(t)) == NULL ||
	    (n = strlen(t)) > s->size)
		return false;
	memcpy(s->buf, t, n);
	s->p = s->buf;
	s->n = n;
	s->mine = true;
	return true;
}

static bool
run_map(const struct map *m, struct smp *s)
{
	const struct entry *e;
	size_t i;

	if (m->nents > 0 && m->slots[i = map_probe(m, hash_bytes(s->p, s->n),
	    s->p, s->n)] != 0) {
		e = &m->ents[m->slots[i] - 1];
		s->p = m->text + e->val;
		s->n = e->vlen;
	} else if (m->def != NULL) {
		s->p = m->def;
		s->n = m->deflen;
	} else {
		return false;
	}
	s->mine = false;
	return true;
}

static bool
run_one(const struct conv *cv, struct smp *s)
{
	switch (cv->kind) {
	case CONV_LOWER:
	case CONV_UPPER:
		return run_case(s, cv->kind == CONV_UPPER);
	case CONV_BASE64:
		return run_base64(s);
	case CONV_FIELD:
		return run_field(&cv->u.f, s);
	case CONV_REGSUB:
		return run_regsub(&cv->u.r, s);
	case CONV_IPMASK:
		return run_ipmask(&cv->u.ip, s);
	case CONV_MAP:
		return run_map(&cv->u.m, s);
	}
	return false;
}

bool
lb_conv_run(const struct lb_conv_chain *c, const char *in, size_t inlen,
    char *buf, size_t bufsize, const char **out, size_t *outlen)
{
	struct smp s = { inlen > 0 ? in : "", inlen, false, buf, bufsize };

	for (size_t i = 0; i < c->n; i++)
		if (!run_one(&c->c[i], &s))
			return false;
	*out = s.p;
	*outlen = s.n;
	return true;
}

void
lb_conv_thread_done(void)
{
	pcre2_match_data_free(match_data);
	match_data = NULL;
}
