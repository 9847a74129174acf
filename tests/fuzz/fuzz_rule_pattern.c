/*
 * tests/fuzz/fuzz_rule_pattern.c - the pattern-file loader of
 * application-rule ACLs (lb/rule_pattern.c) on any text, with every
 * match method, with and without -i, and the promises of its contract
 * (lb/rule_pattern.h): a refused file's message is "fuzz.txt:LINE:COL:
 * ..." with LINE and COL within the input; a loaded set seals and
 * matches; with the string methods each pattern line matches itself as
 * a sample (for dom and dir, unless it is only delimiters); found
 * refuses any pattern line.  The whole input is also added as one
 * inline word.  A broken promise aborts.  Regexes are compiled and
 * JIT-compiled but not matched (the cost of a regex on a sample is the
 * regex's, not the loader's), unless every line is "^" and a literal,
 * which edged matches as a prefix: then each matches itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "rule_pattern.h"

#define ERR_MAX		512
#define NAME		"fuzz.txt"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, enum lb_pat_method m, const char *err)
{
	fprintf(stderr, "fuzz_rule_pattern: -m %s: %s (%s)\n",
	    lb_pat_method_name(m), what, err);
	abort();
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The lines and the longest, as the loader counts them. */
static void
count_lines(const char *t, size_t n, size_t *lines, size_t *longest)
{
	size_t start = 0;

	*lines = 0;
	*longest = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && t[i] != '\n')
			continue;
		if (i > start || i < n)
			++*lines;
		if (i - start > *longest)
			*longest = i - start;
		start = i + 1;
	}
}

/* "fuzz.txt:LINE:COL: " with LINE and COL in range. */
static void
check_where(const char *t, size_t n, enum lb_pat_method m, const char *err)
{
	size_t lines, longest;
	unsigned long line, col;
	int at = 0;

	if (memchr(err, '\0', ERR_MAX) == NULL)
		fail("message not terminated", m, "");
	count_lines(t, n, &lines, &longest);
	if (sscanf(err, NAME ":%lu:%lu: %n", &line, &col, &at) != 2 ||
	    at == 0)
		fail("message without FILE:LINE:COL", m, err);
	if (line == 0 || line > lines || col == 0 || col > longest)
		fail("LINE or COL outside the input", m, err);
}

static bool
is_delim(unsigned char c, enum lb_pat_method m)
{
	return c == '/' || c == '?' || (m == LB_PAT_DOM &&
	    (c == '.' || c == ':'));
}

/* Every pattern line of a string method matches itself. */
static void
check_self(const struct lb_patset *set, enum lb_pat_method m,
    const char *t, size_t n)
{
	size_t pos = 0;

	while (pos < n) {
		const char *nl = memchr(t + pos, '\n', n - pos);
		size_t end = nl != NULL ? (size_t)(nl - t) : n, b = pos;
		bool word = m != LB_PAT_DOM && m != LB_PAT_DIR;

		while (b < end && blank(t[b]))
			b++;
		while (end > b && blank(t[end - 1]))
			end--;
		for (size_t i = b; i < end && !word; i++)
			word = !is_delim((unsigned char)t[i], m);
		if (b < end && t[b] != '#' && word &&
		    !lb_patset_match_str(set, t + b, end - b))
			fail("a pattern line does not match itself", m, "");
		pos = (nl != NULL ? (size_t)(nl - t) : n) + 1;
	}
}

/* Whether the regex line p[0..n) is "^" and a literal (as rule_pattern.c
 * tells them): matched as beg is, never by PCRE2. */
static bool
reg_literal(const char *p, size_t n)
{
	if (n == 0 || p[0] != '^')
		return false;
	for (size_t i = 1; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e ||
		    strchr("\\^$.|?*+()[]{}", p[i]) != NULL)
			return false;
	return true;
}

/* A regex file of such lines only: each line without its "^" matches,
 * alone and with more after it. */
static void
check_reg_self(const struct lb_patset *set, const char *t, size_t n)
{
	char s[4096];

	for (int pass = 0; pass < 2; pass++) {
		size_t pos = 0;

		while (pos < n) {
			const char *nl = memchr(t + pos, '\n', n - pos);
			size_t end = nl != NULL ? (size_t)(nl - t) : n, b = pos;

			while (b < end && blank(t[b]))
				b++;
			while (end > b && blank(t[end - 1]))
				end--;
			pos = end < n ? (size_t)(nl - t) + 1 : n;
			if (b == end || t[b] == '#')
				continue;
			if (!reg_literal(t + b, end - b))
				return;		/* some regex: not matched */
			if (pass == 0 || end - b > sizeof(s) - 2)
				continue;
			memcpy(s, t + b + 1, end - b - 1);
			s[end - b - 1] = '~';
			if (!lb_patset_match_str(set, s, end - b - 1) ||
			    !lb_patset_match_str(set, s, end - b))
				fail("a ^literal line does not match itself",
				    LB_PAT_REG, "");
		}
	}
}

static void
matches(const struct lb_patset *set, const char *t, size_t n)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

	sin.sin_addr.s_addr = htonl(0x0a000001);
	sin6.sin6_addr.s6_addr[0] = 0x20;
	(void)lb_patset_match_str(set, t, n);
	(void)lb_patset_match_int(set, (int64_t)n - 1000);
	(void)lb_patset_match_ip(set, (struct sockaddr *)&sin);
	(void)lb_patset_match_ip(set, (struct sockaddr *)&sin6);
}

static void
one(enum lb_pat_method m, bool icase, const char *t, size_t n)
{
	struct lb_patset *set = lb_patset_new(m, icase);
	char err[ERR_MAX];

	if (set == NULL)
		abort();
	memset(err, 'x', sizeof(err));
	if (lb_patset_load(set, t, n, NAME, err, sizeof(err)) < 0) {
		check_where(t, n, m, err);
	} else if (lb_patset_seal(set, err, sizeof(err)) < 0) {
		fail("a loaded file does not seal", m, err);
	} else {
		if (m != LB_PAT_REG)
			matches(set, t, n);
		if (m <= LB_PAT_DIR && m != LB_PAT_REG)
			check_self(set, m, t, n);
		if (m == LB_PAT_REG)
			check_reg_self(set, t, n);
	}
	lb_patset_free(&set);
	/* the whole input as one word of an acl line */
	set = lb_patset_new(m, icase);
	if (set == NULL)
		abort();
	if (lb_patset_add(set, t, n, err, sizeof(err)) == 0 &&
	    lb_patset_seal(set, err, sizeof(err)) == 0) {
		if (m != LB_PAT_REG)
			matches(set, t, n);
	} else if (memchr(err, '\0', sizeof(err)) == NULL) {
		fail("message not terminated", m, "");
	}
	lb_patset_free(&set);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *t = (const char *)data;

	for (int m = 0; m < LB_PAT_METHOD_COUNT; m++) {
		one(m, false, t, size);
		if (m <= LB_PAT_DIR)
			one(m, true, t, size);
	}
	return 0;
}
