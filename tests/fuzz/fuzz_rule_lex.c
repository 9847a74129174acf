/*
 * tests/fuzz/fuzz_rule_lex.c - application-rule lines split into words
 * (lb/rule_lex.c), line by line as the rule parser will feed them.
 *
 * The promises checked (a broken one aborts): a split succeeds or says
 * why at a column inside the line; words start at increasing columns
 * inside the line, each no longer than the line from its column, each
 * NUL-terminated; what succeeds once succeeds again the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule_lex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_words(const struct lb_rule_words *w, size_t len)
{
	unsigned last = 0;

	for (size_t i = 0; i < w->n; i++) {
		const struct lb_rule_word *x = &w->w[i];

		if (x->col <= last || x->col > len ||
		    x->len > len - (x->col - 1) || x->text[x->len] != '\0')
			abort();
		last = x->col;
	}
}

static void
split_line(const char *line, size_t len)
{
	struct lb_rule_words a, b;
	char err[160];
	unsigned col = 0;

	if (lb_rule_split(line, len, &a, err, sizeof(err), &col) != 0) {
		if (col == 0 || col > len || err[0] == '\0')
			abort();
		return;
	}
	check_words(&a, len);
	if (lb_rule_split(line, len, &b, err, sizeof(err), &col) != 0 ||
	    a.n != b.n)
		abort();
	for (size_t i = 0; i < a.n; i++)
		if (a.w[i].len != b.w[i].len || a.w[i].col != b.w[i].col ||
		    memcmp(a.w[i].text, b.w[i].text, a.w[i].len) != 0)
			abort();
	lb_rule_words_free(&a);
	lb_rule_words_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		split_line(p, len);
		p += len + (nl != NULL);
	}
	return 0;
}
