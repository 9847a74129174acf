/*
 * fw/fw_interval.c - an address group's members as the kernel's
 * interval set wants them: sorted, disjoint ranges.
 *
 * nft can merge overlapping members itself (`auto-merge`), but then it
 * reads the elements already in the kernel under the set's name to
 * merge with them, which on a reload of a 100,000-member group costs
 * as much as loading it.  Merged here, the set needs no auto-merge: a
 * sort and one pass.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fw_nft.h"

static size_t
width(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* The first and last address of prefix p, in r. */
static void
prefix_range(const struct fw_prefix *p, struct fw_range *r)
{
	size_t w = width(p->family);

	memset(r, 0, sizeof(*r));
	memcpy(r->lo, p->addr, w);
	memcpy(r->hi, p->addr, w);
	for (size_t bit = p->len; bit < w * 8; bit++)
		r->hi[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
}

/* Whether b starts at or before the address after a's end: they touch
 * or overlap and make one range.  a->lo <= b->lo. */
static bool
joins(const struct fw_range *a, const struct fw_range *b, size_t w)
{
	uint8_t next[16];
	size_t i = w;

	if (memcmp(b->lo, a->hi, w) <= 0)
		return true;
	/* a->hi + 1, unless a reaches the top of the space */
	memcpy(next, a->hi, w);
	while (i > 0 && ++next[i - 1] == 0)
		i--;
	return i > 0 && memcmp(b->lo, next, w) == 0;
}

static int
cmp_lo(const void *x, const void *y)
{
	/* both of one family; the unused bytes of IPv4 ranges are 0 */
	return memcmp(((const struct fw_range *)x)->lo,
	    ((const struct fw_range *)y)->lo, 16);
}

ssize_t
fw_ranges_merge(const struct fw_prefix *p, size_t n, int family,
    struct fw_range **out)
{
	size_t w = width(family), count = 0, k = 0;
	struct fw_range *r;

	*out = NULL;
	for (size_t i = 0; i < n; i++)
		count += p[i].family == family;
	if (count == 0)
		return 0;
	if ((r = calloc(count, sizeof(*r))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (p[i].family == family)
			prefix_range(&p[i], &r[k++]);
	/* members kept sorted (a dynamic group's) need no sort */
	for (size_t i = 1; i < count; i++)
		if (cmp_lo(&r[i - 1], &r[i]) > 0) {
			qsort(r, count, sizeof(*r), cmp_lo);
			break;
		}
	k = 0;
	for (size_t i = 1; i < count; i++) {
		if (!joins(&r[k], &r[i], w)) {
			r[++k] = r[i];
			continue;
		}
		if (memcmp(r[i].hi, r[k].hi, w) > 0)
			memcpy(r[k].hi, r[i].hi, w);
	}
	*out = r;
	return (ssize_t)(k + 1);
}

int
fw_ranges_diff(const struct fw_range *a, size_t na,
    const struct fw_range *b, size_t nb, struct fw_range **gone,
    size_t *ngone, struct fw_range **come, size_t *ncome)
{
	size_t i = 0, k = 0;

	*ngone = *ncome = 0;
	*gone = calloc(na + 1, sizeof(**gone));
	*come = calloc(nb + 1, sizeof(**come));
	if (*gone == NULL || *come == NULL) {
		free(*gone);
		free(*come);
		*gone = *come = NULL;
		return -1;
	}
	while (i < na || k < nb) {
		int c = i == na ? 1 : k == nb ? -1 : cmp_lo(&a[i], &b[k]);

		if (c == 0 && memcmp(a[i].hi, b[k].hi, 16) == 0) {
			i++;
			k++;
		} else if (c <= 0 && i < na) {
			(*gone)[(*ngone)++] = a[i++];
			if (c == 0)	/* the same start, another end */
				(*come)[(*ncome)++] = b[k++];
		} else
			(*come)[(*ncome)++] = b[k++];
	}
	return 0;
}

/* The prefix length r is exactly, or -1 when it is no prefix. */
static int
range_prefix_len(const struct fw_range *r, size_t w)
{
	size_t bit = 0;

	/* the common leading bits */
	while (bit < w * 8 && ((r->lo[bit / 8] ^ r->hi[bit / 8]) &
	    (0x80u >> (bit % 8))) == 0)
		bit++;
	/* then lo all zeros and hi all ones */
	for (size_t b = bit; b < w * 8; b++) {
		unsigned m = 0x80u >> (b % 8);

		if ((r->lo[b / 8] & m) != 0 || (r->hi[b / 8] & m) == 0)
			return -1;
	}
	return (int)bit;
}

void
fw_range_fmt(char *buf, size_t size, const struct fw_range *r, int family)
{
	size_t w = width(family);
	struct fw_prefix lo = { .family = (uint8_t)family }, hi = lo;
	int len = range_prefix_len(r, w);
	char a[64], b[64];

	memcpy(lo.addr, r->lo, w);
	memcpy(hi.addr, r->hi, w);
	lo.len = hi.len = (uint8_t)(w * 8);
	if (len >= 0) {
		lo.len = (uint8_t)len;
		fw_prefix_fmt(buf, size, &lo);
		return;
	}
	fw_prefix_fmt(a, sizeof(a), &lo);
	fw_prefix_fmt(b, sizeof(b), &hi);
	snprintf(buf, size, "%s-%s", a, b);
}

/* whether bit b (0: the highest) of a is set */
static bool
bit_set(const uint8_t *a, size_t b)
{
	return (a[b / 8] & (0x80u >> (b % 8))) != 0;
}

size_t
fw_range_prefixes(const struct fw_prefix *lo, const struct fw_prefix *hi,
    struct fw_prefix *out)
{
	size_t w = width(lo->family), bits = w * 8, n = 0;
	struct fw_prefix p = *lo;

	for (;;) {
		size_t len = bits, b;
		struct fw_range r;

		/* the shortest prefix at p that starts there (its host
		 * bits zero) and ends at or before hi */
		while (len > 0 && !bit_set(p.addr, len - 1)) {
			p.len = (uint8_t)(len - 1);
			prefix_range(&p, &r);
			if (memcmp(r.hi, hi->addr, w) > 0)
				break;
			len--;
		}
		p.len = (uint8_t)len;
		prefix_range(&p, &r);
		out[n++] = p;
		if (memcmp(r.hi, hi->addr, w) >= 0)
			return n;
		/* the address after the prefix's last */
		memcpy(p.addr, r.hi, w);
		for (b = w; b > 0 && ++p.addr[b - 1] == 0; b--)
			;
		if (b == 0)
			return n;	/* the top of the space */
	}
}
