/*
 * lb/rule_lex.c - splitting an application-rule line into words, as
 * HAProxy does (rule_lex.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule_lex.h"
#include "util.h"

struct splitter {
	const char *in;
	size_t len;
	size_t i;			/* next byte of in */
	char *out;			/* the words, unescaped */
	size_t o;
	char *err;
	size_t errsize;
	unsigned *col;
};

static int
fail(struct splitter *sp, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct splitter *sp, size_t at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sp->err, sp->errsize, fmt, ap);
	va_end(ap);
	*sp->col = (unsigned)at + 1;
	return -1;
}

/* "\xHH" at sp->i: the byte it stands for.  Returns 0, or -1. */
static int
hex_escape(struct splitter *sp)
{
	int hi = sp->i + 3 < sp->len ? hex_value(sp->in[sp->i + 2]) : -1;
	int lo = hi >= 0 ? hex_value(sp->in[sp->i + 3]) : -1;

	if (hi < 0 || lo < 0)
		return fail(sp, sp->i, "\"\\x\" takes two hexadecimal "
		    "digits");
	sp->out[sp->o++] = (char)(hi << 4 | lo);
	sp->i += 4;
	return 0;
}

/* A backslash at sp->i, outside strong quotes (dq: in weak ones).
 * Returns 0, or -1. */
static int
escape(struct splitter *sp, bool dq)
{
	char c = sp->i + 1 < sp->len ? sp->in[sp->i + 1] : '\0';
	const char *plain = c != '\0' ? strchr(" #\\'\"", c) : NULL;

	if (sp->i + 1 >= sp->len) {	/* a last backslash is itself */
		sp->out[sp->o++] = '\\';
		sp->i++;
		return 0;
	}
	if (c == 'x')
		return hex_escape(sp);
	if (plain != NULL || (c == '$' && dq))
		sp->out[sp->o++] = c;
	else if (c == 'r' || c == 'n' || c == 't')
		sp->out[sp->o++] = c == 'r' ? '\r' : c == 'n' ? '\n' : '\t';
	else {				/* not an escape: both bytes stay */
		sp->out[sp->o++] = '\\';
		sp->out[sp->o++] = c;
	}
	sp->i += 2;
	return 0;
}

static bool
var_start(char c)
{
	return c == '{' || c == '_' || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

/* One word from sp->i into w.  Returns 0, or -1. */
static int
word(struct splitter *sp, struct lb_rule_word *w)
{
	bool sq = false, dq = false;
	size_t quote = 0;

	*w = (struct lb_rule_word){ .text = sp->out + sp->o,
	    .col = (unsigned)sp->i + 1 };
	while (sp->i < sp->len) {
		char c = sp->in[sp->i];

		if (!sq && !dq && (c == ' ' || c == '\t' || c == '#'))
			break;
		if ((c == '\'' && !dq) || (c == '"' && !sq)) {
			if (!sq && !dq)
				quote = sp->i;
			*(c == '\'' ? &sq : &dq) ^= true;
			w->quoted = true;
			sp->i++;
		} else if (sq) {
			sp->out[sp->o++] = sp->in[sp->i++];
		} else if (c == '\\') {
			if (escape(sp, dq) < 0)
				return -1;
		} else if (c == '$' && dq && sp->i + 1 < sp->len &&
		    var_start(sp->in[sp->i + 1])) {
			return fail(sp, sp->i, "environment variables are not "
			    "expanded: write the value (\"\\$\" for a dollar "
			    "sign)");
		} else {
			sp->out[sp->o++] = sp->in[sp->i++];
		}
	}
	if (sq || dq)
		return fail(sp, quote, "this %s quote is never closed",
		    sq ? "single" : "double");
	w->len = (size_t)(sp->out + sp->o - w->text);
	sp->out[sp->o++] = '\0';
	return 0;
}

static int
split(struct splitter *sp, struct lb_rule_words *out)
{
	for (;;) {
		while (sp->i < sp->len && (sp->in[sp->i] == ' ' ||
		    sp->in[sp->i] == '\t'))
			sp->i++;
		if (sp->i == sp->len || sp->in[sp->i] == '#')
			return 0;
		if (out->n == LB_RULE_WORDS_MAX)
			return fail(sp, sp->i, "more than %d words on a line",
			    LB_RULE_WORDS_MAX);
		if (word(sp, &out->w[out->n]) < 0)
			return -1;
		out->n++;
	}
}

int
lb_rule_split(const char *line, size_t len, struct lb_rule_words *out,
    char *err, size_t errsize, unsigned *col)
{
	struct splitter sp = { .in = line, .len = len, .err = err,
	    .errsize = errsize, .col = col };

	out->n = 0;
	/* unescaped words are never longer than their text, plus NULs */
	if ((out->buf = sp.out = malloc(len + LB_RULE_WORDS_MAX)) == NULL) {
		*col = 0;
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	if (split(&sp, out) == 0)
		return 0;
	lb_rule_words_free(out);
	return -1;
}

void
lb_rule_words_free(struct lb_rule_words *out)
{
	free(out->buf);
	out->buf = NULL;
	out->n = 0;
}
