/*
 * conf/suggest.c - "did you mean" for misspelt words.
 *
 * The distance is the optimal string alignment variant of Damerau-
 * Levenshtein: insertions, deletions, substitutions and swaps of two
 * neighbouring bytes each cost one, which covers most typing slips.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"

/* Words longer than this are not directive names or keywords; they get no
 * suggestion, which keeps the work table on the stack. */
#define SUGGEST_MAX	64
#define SUGGEST_DIST	2

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool
same(char a, char b)
{
	return lower((unsigned char)a) == lower((unsigned char)b);
}

static unsigned
min2(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

/*
 * One cell of the table: the distance between a[0..i) and b[0..j), from
 * the row above (prev), the one above that (prev2) and the cell to the
 * left (cur[j - 1]).
 */
static unsigned
osa_cell(const char *a, size_t i, const char *b, size_t j,
    const unsigned *prev2, const unsigned *prev, const unsigned *cur)
{
	unsigned v;

	v = min2(prev[j] + 1, cur[j - 1] + 1);
	v = min2(v, prev[j - 1] + (same(a[i - 1], b[j - 1]) ? 0 : 1));
	if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) &&
	    same(a[i - 2], b[j - 1]))
		v = min2(v, prev2[j - 2] + 1);
	return v;
}

/* The distance between a and b, each at most SUGGEST_MAX bytes. */
static unsigned
osa_distance(const char *a, size_t la, const char *b, size_t lb)
{
	unsigned rows[3][SUGGEST_MAX + 1];
	unsigned *prev2 = rows[0], *prev = rows[1], *cur = rows[2], *t;

	for (size_t j = 0; j <= lb; j++)
		prev[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++)
			cur[j] = osa_cell(a, i, b, j, prev2, prev, cur);
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

const char *
conf_did_you_mean(const char *word, const char *const *cands, size_t ncands)
{
	size_t lw = strlen(word), lc;
	unsigned dist, best = SUGGEST_DIST + 1;
	const char *pick = NULL;

	if (lw > SUGGEST_MAX)
		return NULL;
	for (size_t i = 0; i < ncands; i++) {
		if (cands[i] == NULL || (lc = strlen(cands[i])) > SUGGEST_MAX)
			continue;
		/* The distance is at least the difference in length. */
		if ((lc > lw ? lc - lw : lw - lc) > SUGGEST_DIST)
			continue;
		dist = osa_distance(word, lw, cands[i], lc);
		if (dist < best) {
			best = dist;
			pick = cands[i];
		}
	}
	/* A short word is too easily "close" to anything. */
	if (pick == NULL || best >= lw / 2 + 1)
		return NULL;
	return pick;
}

const char *
conf_hint(const char *word, const char *const *cands, size_t ncands,
    char *buf, size_t size)
{
	const char *hint = conf_did_you_mean(word, cands, ncands);

	if (hint != NULL)
		snprintf(buf, size, "; did you mean '%s'?", hint);
	else if (size > 0)
		buf[0] = '\0';
	return buf;
}
