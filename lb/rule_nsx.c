/*
 * lb/rule_nsx.c - the rule lines HAProxy removed in 2.1, read as modern
 * ones (rule_nsx.h).
 *
 *   reqadd "Name: value" [COND]    http-request add-header Name value
 *   rspadd "Name: value" [COND]    http-response add-header Name value
 *   reqdel ^Name:... [COND]        http-request del-header Name
 *   reqidel, rspdel, rspidel       (the same; header names have no case)
 *   reqrep ^Name:\ RE S [COND]     http-request replace-header Name RE S'
 *   reqirep, rsprep, rspirep       (i: the regex gets "(?i)")
 *   block if|unless COND           http-request deny if|unless COND
 *   redirect ...                   http-request redirect ...
 *
 * The old lines read whole header lines ("Name: value") with a regex;
 * the modern ones read a header by name.  A regex that names one header
 * (^Name: followed by what matches its value) is read that way; any
 * other (one that rewrites the request line, or several headers) is
 * refused, saying what to write instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rule_nsx.h"
#include "text.h"
#include "util.h"

struct old {
	const char *word;
	const char *modern;		/* the words that replace it */
	enum { ADD, DEL, REP, PREFIX } kind;
	bool icase;
	bool kept;			/* still in HAProxy: the older form */
};

static const struct old olds[] = {
	{ "reqadd", "http-request add-header", ADD, false, false },
	{ "rspadd", "http-response add-header", ADD, false, false },
	{ "reqdel", "http-request del-header", DEL, false, false },
	{ "reqidel", "http-request del-header", DEL, true, false },
	{ "rspdel", "http-response del-header", DEL, false, false },
	{ "rspidel", "http-response del-header", DEL, true, false },
	{ "reqrep", "http-request replace-header", REP, false, false },
	{ "reqirep", "http-request replace-header", REP, true, false },
	{ "rsprep", "http-response replace-header", REP, false, false },
	{ "rspirep", "http-response replace-header", REP, true, false },
	{ "block", "http-request deny", PREFIX, false, false },
	{ "redirect", "http-request redirect", PREFIX, false, true },
};

static const struct old *
find_old(const char *word)
{
	for (size_t i = 0; i < ARRAY_LEN(olds); i++)
		if (strcmp(olds[i].word, word) == 0)
			return &olds[i];
	return NULL;
}

bool
lb_rule_nsx_keyword(const char *word)
{
	return find_old(word) != NULL;
}

const char *
lb_rule_nsx_why(const char *word)
{
	const struct old *o = find_old(word);

	return o != NULL && o->kept ? "is the older form of the line" :
	    "was removed from HAProxy in 2.1";
}

/* ---- the modern words, built one by one ---- */

struct builder {
	struct lb_rule_words *out;
	char *p;			/* where the next word's text goes */
	char *end;
};

static int
add(struct builder *b, const char *s, size_t len, unsigned col)
{
	struct lb_rule_word *w;

	if (b->out->n == LB_RULE_WORDS_MAX || len + 1 > (size_t)(b->end -
	    b->p))
		return -1;
	w = &b->out->w[b->out->n++];
	memcpy(b->p, s, len);
	b->p[len] = '\0';
	*w = (struct lb_rule_word){ .text = b->p, .len = len, .col = col };
	b->p += len + 1;
	return 0;
}

/* The words of s, split at blanks ("http-request add-header"). */
static int
add_words(struct builder *b, const char *s, unsigned col)
{
	while (*s != '\0') {
		size_t n = strcspn(s, " ");

		if (add(b, s, n, col) < 0)
			return -1;
		s += n + (s[n] == ' ');
	}
	return 0;
}

/* ---- reading the old words ---- */

static bool
is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~",
	    c) != NULL);
}

/* What matches the blanks after a header's colon, at the start of s:
 * its length (0 for none). */
static size_t
blank_matcher(const char *s)
{
	static const char *const m[] = { "[ ]*", "[ ]+", "\\s*", "\\s+",
	    " *", " +", " " };

	for (size_t i = 0; i < ARRAY_LEN(m); i++)
		if (strncmp(s, m[i], strlen(m[i])) == 0)
			return strlen(m[i]);
	return 0;
}

/* "^Name:" at the start of re: Name's length, and *rest what follows
 * the colon and the blanks; 0 when re does not name one header. */
static size_t
regex_header(const char *re, const char **rest)
{
	size_t n = 0;

	if (re[0] != '^')
		return 0;
	while (is_tchar(re[1 + n]) && re[1 + n] != '^' && re[1 + n] != '$' &&
	    re[1 + n] != '.' && re[1 + n] != '*' && re[1 + n] != '+' &&
	    re[1 + n] != '|')
		n++;
	if (n == 0 || re[1 + n] != ':')
		return 0;
	*rest = re + n + 2;
	*rest += blank_matcher(*rest);
	return n;
}

/* A regex that matches whatever follows: the rest of a reqdel's. */
static bool
matches_any(const char *s)
{
	return s[0] == '\0' || strcmp(s, ".*") == 0 || strcmp(s, ".*$") == 0;
}

/* ---- each kind ---- */

/* reqadd "Name: value": the name and the value (its '%' doubled: the
 * modern value is a log-format). */
static int
from_add(struct builder *b, const struct lb_rule_word *s, char *err,
    size_t errsize)
{
	const char *colon = memchr(s->text, ':', s->len), *v;
	char value[1024];
	size_t n = 0, name = 0;

	while (colon != NULL && s->text + name < colon &&
	    is_tchar(s->text[name]))
		name++;
	if (colon == NULL || name == 0 || s->text + name != colon) {
		snprintf(err, errsize, "'%s' is not a header line "
		    "'Name: value'", s->text);
		return -1;
	}
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	for (; *v != '\0' && n + 2 < sizeof(value); v++) {
		value[n++] = *v;
		if (*v == '%')
			value[n++] = '%';
	}
	if (add(b, s->text, name, s->col) < 0 ||
	    add(b, value, n, s->col) < 0) {
		snprintf(err, errsize, "line too long");
		return -1;
	}
	return 0;
}

static int
refuse_regex(const struct lb_rule_word *re, const char *old, char *err,
    size_t errsize)
{
	snprintf(err, errsize, "%s: edged reads the regex '%s' only when it "
	    "names one header ('^Name:' and what its value must match); to "
	    "rewrite the request or status line, write http-request "
	    "replace-path, replace-uri or http-response set-status", old,
	    re->text);
	return -1;
}

static int
from_del(struct builder *b, const struct lb_rule_word *re, const char *old,
    char *err, size_t errsize)
{
	const char *rest;
	size_t n = regex_header(re->text, &rest);

	if (n == 0)
		return refuse_regex(re, old, err, errsize);
	if (!matches_any(rest)) {
		snprintf(err, errsize, "%s: edged reads '%s' only as '^Name:' "
		    "with any value (http-request del-header Name); to delete "
		    "by value, write http-request del-header %.*s if { "
		    "hdr(%.*s) -m reg REGEX }", old, re->text, (int)n,
		    re->text + 1, (int)n, re->text + 1);
		return -1;
	}
	return add(b, re->text + 1, n, re->col);
}

/* reqrep ^Name:\ RE Name:\ S: the name, RE on the value, S without the
 * name. */
static int
from_rep(struct builder *b, const struct lb_rule_word *w, const struct old *o,
    char *err, size_t errsize)
{
	const char *rest, *s = w[1].text;
	size_t n = regex_header(w[0].text, &rest);
	char re[1024];
	int len;

	if (n == 0)
		return refuse_regex(&w[0], o->word, err, errsize);
	if (strncasecmp(s, w[0].text + 1, n) != 0 || s[n] != ':') {
		snprintf(err, errsize, "%s: the replacement '%s' must start "
		    "with the header the regex names, '%.*s:'", o->word, s,
		    (int)n, w[0].text + 1);
		return -1;
	}
	for (s += n + 1; *s == ' ' || *s == '\t'; s++)
		;
	/* anchored at the value's start, as the old one was after the
	 * name */
	len = snprintf(re, sizeof(re), "%s^%s", o->icase ? "(?i)" : "",
	    rest);
	if (len < 0 || (size_t)len >= sizeof(re) ||
	    add(b, w[0].text + 1, n, w[0].col) < 0 ||
	    add(b, re, (size_t)len, w[0].col) < 0 ||
	    add(b, s, strlen(s), w[1].col) < 0) {
		snprintf(err, errsize, "line too long");
		return -1;
	}
	return 0;
}

/* The old line's own words into b; how many it took, or -1. */
static int
convert(struct builder *b, const struct lb_rule_words *w,
    const struct old *o, char *err, size_t errsize, unsigned *col)
{
	size_t need = o->kind == REP ? 3 : o->kind == PREFIX ? 1 : 2;

	*col = w->w[0].col;
	if (w->n < need || (o->kind == PREFIX && w->n < 2)) {
		snprintf(err, errsize, "'%s' takes %s", o->word,
		    o->kind == ADD ? "\"Name: value\" [if|unless COND]" :
		    o->kind == DEL ? "^Name: [if|unless COND]" :
		    o->kind == REP ? "^Name:\\ REGEX Name:\\ VALUE "
		    "[if|unless COND]" : strcmp(o->word, "block") == 0 ?
		    "if|unless COND" : "location|prefix|scheme VALUE ...");
		return -1;
	}
	if (add_words(b, o->modern, w->w[0].col) < 0)
		goto too_long;
	*col = w->w[1].col;
	if ((o->kind == ADD && from_add(b, &w->w[1], err, errsize) < 0) ||
	    (o->kind == DEL && from_del(b, &w->w[1], o->word, err,
	    errsize) < 0) ||
	    (o->kind == REP && from_rep(b, &w->w[1], o, err, errsize) < 0))
		return -1;
	return (int)need;
too_long:
	snprintf(err, errsize, "line too long");
	return -1;
}

/* ---- the line to print ---- */

static bool
plain(const struct lb_rule_word *w)
{
	if (w->quoted || w->len == 0)
		return false;
	for (size_t i = 0; i < w->len; i++)
		if ((unsigned char)w->text[i] <= ' ' || w->text[i] == 0x7f ||
		    strchr("#'\"\\", w->text[i]) != NULL)
			return false;
	return true;
}

static bool
has_control(const struct lb_rule_word *w)
{
	for (size_t i = 0; i < w->len; i++)
		if ((unsigned char)w->text[i] < ' ' || w->text[i] == 0x7f)
			return true;
	return false;
}

/* w as HAProxy reads it back into the same word: as it is, in strong
 * quotes, or in weak ones with escapes. */
static void
put_word(FILE *f, const struct lb_rule_word *w)
{
	if (plain(w)) {
		fwrite(w->text, 1, w->len, f);
		return;
	}
	if (memchr(w->text, '\'', w->len) == NULL && !has_control(w)) {
		fprintf(f, "'%.*s'", (int)w->len, w->text);
		return;
	}
	fputc('"', f);
	for (size_t i = 0; i < w->len; i++) {
		unsigned char c = (unsigned char)w->text[i];

		if (c == '"' || c == '\\' || c == '$')
			fprintf(f, "\\%c", c);
		else if (c < ' ' || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static char *
line_text(const struct lb_rule_words *w)
{
	struct text t;
	FILE *f = text_open(&t);

	if (f == NULL)
		return NULL;
	for (size_t i = 0; i < w->n; i++) {
		if (i > 0)
			fputc(' ', f);
		put_word(f, &w->w[i]);
	}
	return text_close(&t, NULL);
}

int
lb_rule_nsx_translate(const struct lb_rule_words *w,
    struct lb_rule_words *out, char **text, char *err, size_t errsize,
    unsigned *col)
{
	const struct old *o = find_old(w->w[0].text);
	size_t size = 2048;
	struct builder b = { out, NULL, NULL };
	int took;

	for (size_t i = 0; i < w->n; i++)
		size += w->w[i].len + 1;
	out->n = 0;
	if ((out->buf = b.p = malloc(size)) == NULL) {
		*col = 0;
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	b.end = b.p + size;
	if ((took = convert(&b, w, o, err, errsize, col)) < 0)
		goto fail;
	/* the condition, or what follows, as it was */
	for (size_t i = (size_t)took; i < w->n; i++) {
		if (add(&b, w->w[i].text, w->w[i].len, w->w[i].col) < 0) {
			*col = w->w[i].col;
			snprintf(err, errsize, "line too long");
			goto fail;
		}
		out->w[out->n - 1].quoted = w->w[i].quoted;
	}
	if ((*text = line_text(out)) != NULL)
		return 0;
	*col = 0;
	snprintf(err, errsize, "out of memory");
fail:
	lb_rule_words_free(out);
	return -1;
}
