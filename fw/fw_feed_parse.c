/*
 * fw/fw_feed_parse.c - a feed's text, format list (fw_feed.h): a line
 * holds an address, a prefix or a range (LO-HI), then anything (text
 * after a blank is ignored); `#` starts a comment; blank lines are
 * nothing.  A line that holds something else is refused, counted and
 * (the first few) said, never fatal.  Ranges are taken as the prefixes
 * that cover them exactly, which the interval set merges back.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_feed.h"
#include "fw_nft.h"
#include "mem.h"

void
fw_feed_list_free(struct fw_feed_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
push(struct fw_feed_list *l, const struct fw_prefix *p)
{
	if (l->n == l->cap && mem_grow(&l->v, &l->cap, l->n + 1,
	    sizeof(*l->v)) < 0)
		return -1;
	l->v[l->n++] = *p;
	return 0;
}

/* LO-HI: its prefixes pushed; 0, 1 not a range, -1 out of memory */
static int
take_range(struct fw_feed_list *l, const char *w, const char **why)
{
	const char *dash = strchr(w, '-');
	struct fw_prefix lo, hi, p[FW_RANGE_PREFIXES_MAX];
	char a[INET6_ADDRSTRLEN + 1];
	size_t n;

	if (dash == NULL || (size_t)(dash - w) >= sizeof(a))
		return 1;
	memcpy(a, w, (size_t)(dash - w));
	a[dash - w] = '\0';
	if (fw_prefix_parse(a, &lo) != 0 || fw_prefix_parse(dash + 1,
	    &hi) != 0 || strchr(w, '/') != NULL)
		return 1;
	if (lo.family != hi.family) {
		*why = "a range of two families";
		return 1;
	}
	if (memcmp(lo.addr, hi.addr, sizeof(lo.addr)) > 0) {
		*why = "a range that ends before it starts";
		return 1;
	}
	n = fw_range_prefixes(&lo, &hi, p);
	for (size_t i = 0; i < n; i++)
		if (push(l, &p[i]) < 0)
			return -1;
	return 0;
}

/* w as a dotted quad written the usual way (no leading zero, no
 * prefix) into *p: most of a feed's lines, read without inet_pton's
 * copies and calls.  false for anything else, which fw_prefix_parse
 * then reads (and takes, or refuses) as before. */
static bool
plain_v4(const char *w, struct fw_prefix *p)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;

		for (; *w >= '0' && *w <= '9' && digits < 4; w++, digits++)
			v = v * 10 + (unsigned)(*w - '0');
		if (digits == 0 || digits > 3 || v > 255 ||
		    (digits > 1 && w[-(int)digits] == '0') ||
		    *w != (i < 3 ? '.' : '\0'))
			return false;
		p->addr[i] = (uint8_t)v;
		w++;
	}
	p->family = AF_INET;
	p->len = 32;
	return true;
}

/* one line's word: 0 taken, 1 refused (*why), -1 out of memory */
static int
take(struct fw_feed_list *l, const char *w, const char **why)
{
	struct fw_prefix p;
	int r;

	if (plain_v4(w, &p))
		return push(l, &p);
	r = fw_prefix_parse(w, &p);

	if (r == 0)
		return push(l, &p);
	*why = r == -2 ? "bits set after the prefix length" :
	    "not an address, a prefix or a range";
	return take_range(l, w, why);
}

void
fw_feed_list_refuse(struct fw_feed_list *l, const char *unit,
    unsigned long no, const char *w, const char *why)
{
	if (l->nshown < FW_FEED_SHOWN)
		snprintf(l->shown[l->nshown++], sizeof(l->shown[0]), "%s "
		    "%lu: '%.60s': %s", unit, no, w, why);
	l->refused++;
}

int
fw_feed_list_word(struct fw_feed_list *l, const char *w, uint64_t max,
    const char *unit, unsigned long no)
{
	const char *why = NULL;
	int r;

	if (l->entries == max) {
		l->truncated = true;
		return 0;
	}
	if ((r = take(l, w, &why)) < 0)
		return -1;
	if (r > 0)
		fw_feed_list_refuse(l, unit, no, w, why);
	else
		l->entries++;
	return 0;
}

/* the first word of line (len bytes) into w (size bytes): its length, 0
 * for none (blank, a comment), or size for a word too long */
static size_t
first_word(const char *line, size_t len, char *w, size_t size)
{
	size_t i = 0, k = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t' ||
	    line[i] == '\r'))
		i++;
	while (i < len && line[i] != ' ' && line[i] != '\t' &&
	    line[i] != '\r' && line[i] != '#') {
		if (k + 1 >= size)
			return size;
		w[k++] = line[i] == '\0' ? '?' : line[i];
		i++;
	}
	w[k] = '\0';
	return k;
}

int
fw_feed_parse_list(const char *text, size_t len, uint64_t max,
    struct fw_feed_list *l)
{
	unsigned long lineno = 0;
	size_t off = 0, lines = 1;

	memset(l, 0, sizeof(*l));
	/* room for a member a line at once, not doubled and copied 17
	 * times on the way to 100,000 */
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (mem_grow(&l->v, &l->cap, lines < max ? lines : max,
	    sizeof(*l->v)) < 0)
		return -1;
	while (off < len) {
		const char *line = text + off, *nl = memchr(line, '\n',
		    len - off);
		size_t llen = nl != NULL ? (size_t)(nl - line) : len - off;
		char w[FW_FEED_WORD_MAX];
		size_t k = first_word(line, llen, w, sizeof(w));

		off += llen + 1;
		lineno++;
		if (k == 0)
			continue;
		if (k == sizeof(w))
			fw_feed_list_refuse(l, "line", lineno, "...",
			    "a word too long");
		else if (fw_feed_list_word(l, w, max, "line", lineno) < 0) {
			fw_feed_list_free(l);
			return -1;
		}
	}
	l->lines = lineno;
	return 0;
}
