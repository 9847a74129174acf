/*
 * fw/fw_dyn.c - dynamic address groups' members, their state file, and
 * their changes in the kernel's sets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fw_build.h"
#include "fw_dyn.h"
#include "file.h"
#include "mem.h"
#include "slots.h"
#include "text.h"
#include "fw_netlink.h"
#include "fw_nft.h"

void
fw_dyn_free(struct fw_dyn *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->groups[i].addrs);
	free(d->groups);
	d->groups = NULL;
	d->n = 0;
}

struct fw_dyn_group *
fw_dyn_get(struct fw_dyn *d, const char *name, bool create)
{
	struct fw_dyn_group *g;

	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->groups[i].name, name) == 0)
			return &d->groups[i];
	if (!create || strlen(name) >= FW_NAME_MAX)
		return NULL;
	if (mem_resize(&d->groups, d->n + 1, sizeof(*d->groups)) == -1)
		return NULL;
	g = &d->groups[d->n++];
	memset(g, 0, sizeof(*g));
	memcpy(g->name, name, strlen(name) + 1);
	return g;
}

/* IPv4 before IPv6, then by address, then the shorter prefix first */
static int
cmp_addr(const struct fw_prefix *a, const struct fw_prefix *b)
{
	int c;

	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	if ((c = memcmp(a->addr, b->addr, sizeof(a->addr))) != 0)
		return c;
	return (int)a->len - (int)b->len;
}

static int
cmp_qsort(const void *a, const void *b)
{
	return cmp_addr(a, b);
}

/* Where byte k of a member's sort key is, most significant first: the
 * family (AF_INET's number is below AF_INET6's, as cmp_addr wants), the
 * address, the length. */
#define KEY_BYTES	18
static size_t
key_off(size_t k)
{
	if (k == 0)
		return offsetof(struct fw_prefix, family);
	if (k <= 16)
		return offsetof(struct fw_prefix, addr) + k - 1;
	return offsetof(struct fw_prefix, len);
}

/* Which key bytes differ between members: a pass sorts only by those
 * (an IPv4 list's addresses differ in 3 or 4 bytes of 18). */
static void
varying(const struct fw_prefix *v, size_t n, bool *out)
{
	unsigned char acc[sizeof(*v)] = { 0 };
	const unsigned char *first = (const unsigned char *)v;

	for (size_t i = 1; i < n; i++) {
		const unsigned char *b = (const unsigned char *)&v[i];

		for (size_t j = 0; j < sizeof(*v); j++)
			acc[j] |= (unsigned char)(b[j] ^ first[j]);
	}
	for (size_t k = 0; k < KEY_BYTES; k++)
		out[k] = acc[key_off(k)] != 0;
}

/* v[0..n) in cmp_addr's order through tmp (n members): a stable
 * counting pass a varying key byte, the least significant first. */
static void
radix_sort(struct fw_prefix *v, struct fw_prefix *tmp, size_t n)
{
	struct fw_prefix *from = v, *to = tmp, *t;
	bool vary[KEY_BYTES];
	size_t count[256];

	varying(v, n, vary);
	for (size_t k = KEY_BYTES; k-- > 0;) {
		size_t off = key_off(k), sum = 0;

		if (!vary[k])
			continue;
		memset(count, 0, sizeof(count));
		for (size_t i = 0; i < n; i++)
			count[((const unsigned char *)&from[i])[off]]++;
		for (size_t b = 0; b < 256; b++) {
			size_t c = count[b];

			count[b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			to[count[((const unsigned char *)&from[i])[off]]++] =
			    from[i];
		t = from;
		from = to;
		to = t;
	}
	if (from != v)
		memcpy(v, from, n * sizeof(*v));
}

size_t
fw_dyn_sort(struct fw_prefix *v, size_t n)
{
	struct fw_prefix *tmp;
	size_t k = 0;

	if (n == 0)
		return 0;
	/* a feed is often sorted already; else a radix sort (a few
	 * passes over 100,000 members, where qsort's calls and memcmps
	 * took 10 ms), qsort when there is no memory for it */
	for (size_t i = 1; i < n; i++)
		if (cmp_addr(&v[i - 1], &v[i]) > 0) {
			if ((tmp = malloc(n * sizeof(*tmp))) != NULL)
				radix_sort(v, tmp, n);
			else
				qsort(v, n, sizeof(*v), cmp_qsort);
			free(tmp);
			break;
		}
	for (size_t i = 1; i < n; i++)
		if (cmp_addr(&v[k], &v[i]) != 0)
			v[++k] = v[i];
	return k + 1;
}

/* The index of a in g, or where it would go (*found false). */
static size_t
find(const struct fw_dyn_group *g, const struct fw_prefix *a, bool *found)
{
	size_t lo = 0, hi = g->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_addr(&g->addrs[mid], a);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

bool
fw_dyn_has(const struct fw_dyn_group *g, const struct fw_prefix *a)
{
	bool found;

	(void)find(g, a, &found);
	return found;
}

int
fw_dyn_add(struct fw_dyn_group *g, const struct fw_prefix *a)
{
	bool found;
	size_t at = find(g, a, &found);
	struct fw_prefix *p;

	if (found)
		return 0;
	if (mem_resize(&g->addrs, g->n + 1, sizeof(*g->addrs)) == -1)
		return -1;
	p = g->addrs;
	memmove(&p[at + 1], &p[at], (g->n - at) * sizeof(*p));
	p[at] = *a;
	g->n++;
	return 0;
}

int
fw_dyn_copy(struct fw_dyn_group *dst, const struct fw_dyn_group *src)
{
	*dst = *src;
	dst->addrs = NULL;
	if (src->n == 0)
		return 0;
	if ((dst->addrs = malloc(src->n * sizeof(*src->addrs))) == NULL)
		return -1;
	memcpy(dst->addrs, src->addrs, src->n * sizeof(*src->addrs));
	return 0;
}

void
fw_dyn_del(struct fw_dyn_group *g, const struct fw_prefix *a)
{
	bool found;
	size_t at = find(g, a, &found);

	if (!found)
		return;
	memmove(&g->addrs[at], &g->addrs[at + 1],
	    (g->n - at - 1) * sizeof(*g->addrs));
	g->n--;
}

/* The lines of a state text, "NAME ADDR ADDR...", into d (named path in
 * errors): 0, or -1 with err. */
static int
parse_state(struct fw_dyn *d, FILE *f, const char *path, char *err,
    size_t errsize)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;

	while (rc == 0 && getline(&line, &cap, f) > 0) {
		char *save = NULL, *w = strtok_r(line, " \t\r\n", &save);
		struct fw_dyn_group *g;

		lineno++;
		if (w == NULL || w[0] == '#')
			continue;
		if ((g = fw_dyn_get(d, w, true)) == NULL) {
			snprintf(err, errsize, "%s:%u: bad group name",
			    path, lineno);
			rc = -1;
			break;
		}
		while ((w = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			struct fw_prefix a;

			if (fw_prefix_parse(w, &a) < 0) {
				snprintf(err, errsize, "%s:%u: bad address "
				    "'%s'", path, lineno, w);
				rc = -1;
				break;
			}
			if (fw_dyn_add(g, &a) < 0) {
				snprintf(err, errsize, "out of memory");
				rc = -1;
				break;
			}
		}
	}
	free(line);
	return rc;
}

int
fw_dyn_parse(struct fw_dyn *d, const char *text, size_t len,
    const char *name, char *err, size_t errsize)
{
	FILE *f;
	int rc;

	fw_dyn_free(d);
	if (len == 0)		/* fmemopen wants a buffer of a byte or more */
		return 0;
	if ((f = fmemopen((void *)(uintptr_t)text, len, "r")) == NULL) {
		snprintf(err, errsize, "%s: %s", name, strerror(errno));
		return -1;
	}
	if ((rc = parse_state(d, f, name, err, errsize)) < 0)
		fw_dyn_free(d);
	fclose(f);
	return rc;
}

char *
fw_dyn_text(const struct fw_dyn *d, size_t *len)
{
	struct text t;
	FILE *f = text_open(&t);
	char a[64];

	if (f == NULL)
		return NULL;
	fprintf(f, "# edged: members of dynamic address groups "
	    "(edgectl group)\n");
	for (size_t i = 0; i < d->n; i++) {
		const struct fw_dyn_group *g = &d->groups[i];

		if (g->n == 0)
			continue;
		fputs(g->name, f);
		for (size_t k = 0; k < g->n; k++) {
			fw_prefix_fmt(a, sizeof(a), &g->addrs[k]);
			fprintf(f, " %s", a);
		}
		fputc('\n', f);
	}
	return text_close(&t, len);
}

int
fw_dyn_load(struct fw_dyn *d, const char *path, char *err, size_t errsize)
{
	char *text = NULL, name[SLOTS_PATH_MAX + 16];
	size_t len = 0;
	uint64_t gen;
	int rc, r;

	fw_dyn_free(d);
	d->gen = 0;
	if ((r = slots_read(path, FW_DYN_STATE_MAX, &text, &len, &gen)) < 0) {
		snprintf(err, errsize, "%s.0 or .1: %s", path,
		    strerror(errno));
		return -1;
	}
	if (r == 1) {	/* no slot: the single file an earlier edged wrote */
		snprintf(name, sizeof(name), "%s", path);
		if (file_read(path, FW_DYN_STATE_MAX, &text, &len, NULL) < 0) {
			if (errno == ENOENT)
				return 0;
			snprintf(err, errsize, "%s: %s", path,
			    strerror(errno));
			return -1;
		}
	} else {
		snprintf(name, sizeof(name), "%s.%u", path,
		    (unsigned)(gen % 2));
	}
	if ((rc = fw_dyn_parse(d, text, len, name, err, errsize)) == 0)
		d->gen = r == 0 ? gen : 0;
	free(text);
	return rc;
}

int
fw_dyn_save(struct fw_dyn *d, const char *dir, const char *path, char *err,
    size_t errsize)
{
	char *text;
	size_t len;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errsize, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if ((text = fw_dyn_text(d, &len)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	/* on disk before edged answers (slots.h: one fdatasync) */
	if (slots_write(path, d->gen + 1, text, len) < 0) {
		snprintf(err, errsize, "%s.%u: %s", path,
		    (unsigned)((d->gen + 1) % 2), strerror(errno));
		free(text);
		return -1;
	}
	free(text);
	if (d->gen++ == 0)		/* the older single file goes */
		(void)unlink(path);
	return 0;
}

/* ---- fed groups: addresses in a hash set, the rest in ranges ---- */

static bool
is_host(const struct fw_prefix *p)
{
	return p->len == (p->family == AF_INET ? 32 : 128);
}

/* The members of family among a[0..n) that are one address (hosts) or
 * not, in order, as a group of its own in *out (its addrs malloc'd).  0,
 * or -1 out of memory. */
static int
pick(const struct fw_prefix *a, size_t n, int family, bool hosts,
    struct fw_dyn_group *out)
{
	*out = (struct fw_dyn_group){ .n = 0 };
	if (n == 0)
		return 0;
	if ((out->addrs = malloc(n * sizeof(*out->addrs))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (a[i].family == family && is_host(&a[i]) == hosts)
			out->addrs[out->n++] = a[i];
	return 0;
}

/* "add element inet edged SET { A, B/24, C-D }" for the ranges r[0..n)
 * (interval set) or the addresses a[0..n) (host set) */
static void
add_cmd(FILE *out, const char *set, int family, const struct fw_range *r,
    const struct fw_prefix *a, size_t n)
{
	char s[100];

	for (size_t i = 0; i < n; i++) {
		if (r != NULL)
			fw_range_fmt(s, sizeof(s), &r[i], family);
		else
			fw_prefix_fmt(s, sizeof(s), &a[i]);
		if (i == 0)
			fprintf(out, "add element inet %s %s { %s", FW_TABLE,
			    set, s);
		else
			fprintf(out, ", %s", s);
	}
	if (n > 0)
		fprintf(out, " }\n");
}

/* The nft command that puts g's members of family among a[0..n) into
 * its sets: merged into ranges for the interval set (a fed group's
 * addresses into its host set); -1 out of memory */
static int
element_cmd(FILE *out, const struct fw_group *g, int family,
    const struct fw_prefix *a, size_t n)
{
	struct fw_dyn_group hosts = { .n = 0 }, rest = { .n = 0 };
	struct fw_range *r = NULL;
	char set[96];
	ssize_t nr;
	int rc = -1;

	if (g->feed != NULL && (pick(a, n, family, true, &hosts) < 0 ||
	    pick(a, n, family, false, &rest) < 0))
		goto out;
	if ((nr = g->feed != NULL ? fw_ranges_merge(rest.addrs, rest.n,
	    family, &r) : fw_ranges_merge(a, n, family, &r)) < 0)
		goto out;
	fw_nft_dyn_set(set, sizeof(set), g, family);
	add_cmd(out, set, family, r, NULL, (size_t)nr);
	if (g->feed != NULL) {
		fw_nft_host_set(set, sizeof(set), g, family);
		add_cmd(out, set, family, NULL, hosts.addrs, hosts.n);
	}
	rc = 0;
out:
	free(r);
	free(hosts.addrs);
	free(rest.addrs);
	return rc;
}

/* one family's change from before's members to after's */
static int
queue_family(struct fw_nl *nl, const char *set, int family,
    const struct fw_dyn_group *before, const struct fw_dyn_group *after)
{
	struct fw_range *rb = NULL, *ra = NULL, *gone = NULL, *come = NULL;
	ssize_t nb = before != NULL ? fw_ranges_merge(before->addrs,
	    before->n, family, &rb) : 0;
	ssize_t na = fw_ranges_merge(after->addrs, after->n, family, &ra);
	size_t ngone = 0, ncome = 0;
	int rc = -1;

	if (nb < 0 || na < 0 || fw_ranges_diff(rb, (size_t)nb, ra,
	    (size_t)na, &gone, &ngone, &come, &ncome) < 0)
		goto out;
	/* what goes first: a range that grew is taken away, then put in
	 * whole, and no two ranges of the set ever overlap */
	if ((ngone > 0 && fw_nl_ranges(nl, set, false, family, gone,
	    ngone) < 0) || (ncome > 0 && fw_nl_ranges(nl, set, true, family,
	    come, ncome) < 0))
		goto out;
	rc = 0;
out:
	free(rb);
	free(ra);
	free(gone);
	free(come);
	return rc;
}

/* The addresses (hosts) of family among a[0..n) that b[0..m) has not,
 * into out; both sorted, walked as they are (the other members of a
 * skipped, not copied out first: a feed's 100,000 of them).  Their
 * number. */
static size_t
hosts_minus(const struct fw_prefix *a, size_t n, const struct fw_prefix *b,
    size_t m, int family, struct fw_prefix *out)
{
	size_t j = 0, k = 0;

	for (size_t i = 0; i < n; i++) {
		int c = -1;

		if (a[i].family != family || !is_host(&a[i]))
			continue;
		while (j < m && (c = cmp_addr(&a[i], &b[j])) > 0)
			j++;
		if (j == m || c < 0)
			out[k++] = a[i];
	}
	return k;
}

/*
 * A fed group's change in one family: its addresses in the hash set
 * (fw_nft.h's host set: the kernel changes a few of 100,000 of them
 * without touching the rest, where an interval set of that many is made
 * again at each commit), its prefixes and ranges in the interval set.
 */
static int
queue_fed_family(struct fw_nl *nl, const struct fw_group *g, int family,
    const struct fw_dyn_group *before, const struct fw_dyn_group *after)
{
	struct fw_dyn_group pb = { .n = 0 }, pa = pb;
	const struct fw_prefix *ba = before != NULL ? before->addrs : NULL;
	size_t bn = before != NULL ? before->n : 0, ngone, ncome;
	struct fw_prefix *gone = NULL, *come = NULL;
	char set[96];
	int rc = -1;

	if (pick(ba, bn, family, false, &pb) < 0 || pick(after->addrs,
	    after->n, family, false, &pa) < 0 ||
	    (gone = malloc((bn + 1) * sizeof(*gone))) == NULL ||
	    (come = malloc((after->n + 1) * sizeof(*come))) == NULL)
		goto out;
	ngone = hosts_minus(ba, bn, after->addrs, after->n, family, gone);
	ncome = hosts_minus(after->addrs, after->n, ba, bn, family, come);
	fw_nft_host_set(set, sizeof(set), g, family);
	if ((ngone > 0 && fw_nl_elems(nl, set, false, family, gone,
	    ngone) < 0) || (ncome > 0 && fw_nl_elems(nl, set, true, family,
	    come, ncome) < 0))
		goto out;
	fw_nft_dyn_set(set, sizeof(set), g, family);
	rc = queue_family(nl, set, family, before != NULL ? &pb : NULL, &pa);
out:
	free(pb.addrs);
	free(pa.addrs);
	free(gone);
	free(come);
	return rc;
}

int
fw_dyn_queue(struct fw_nl *nl, const struct fw_group *g,
    const struct fw_dyn_group *before, const struct fw_dyn_group *after)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	char set[96];

	for (size_t i = 0; i < 2; i++) {
		fw_nft_dyn_set(set, sizeof(set), g, fams[i]);
		if (before == NULL && fw_nl_flush(nl, set) < 0)
			return -1;
		if (g->feed != NULL) {
			fw_nft_host_set(set, sizeof(set), g, fams[i]);
			if ((before == NULL && fw_nl_flush(nl, set) < 0) ||
			    queue_fed_family(nl, g, fams[i], before,
			    after) < 0)
				return -1;
		} else if (queue_family(nl, set, fams[i], before, after) < 0) {
			return -1;
		}
	}
	return 0;
}

char *
fw_dyn_elements(const struct fw_dyn *d, const struct fw_conf *c, bool fed)
{
	struct text t;
	FILE *out;

	/* without a firewall or NAT there is no table, so no set to fill:
	 * the members wait in d for a configuration that has one */
	if (!fw_active(c))
		return strdup("");
	if ((out = text_open(&t)) == NULL)
		return NULL;
	for (size_t i = 0; i < c->ngroups; i++) {
		const struct fw_group *g = &c->groups[i];

		if (!g->dynamic || (g->feed != NULL) != fed)
			continue;
		for (size_t k = 0; k < d->n; k++)
			if (strcmp(d->groups[k].name, g->name) == 0) {
				if (element_cmd(out, g, AF_INET,
				    d->groups[k].addrs, d->groups[k].n) < 0 ||
				    element_cmd(out, g, AF_INET6,
				    d->groups[k].addrs, d->groups[k].n) < 0) {
					free(text_close(&t, NULL));
					return NULL;
				}
			}
	}
	return text_close(&t, NULL);
}

int
fw_dyn_queue_all(struct fw_nl *nl, const struct fw_dyn *d,
    const struct fw_conf *c, bool fed, const struct fw_build_state *made)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	char set[96];

	if (!fw_active(c))
		return 0;
	for (size_t i = 0; i < c->ngroups; i++) {
		const struct fw_group *g = &c->groups[i];

		if (!g->dynamic || (g->feed != NULL) != fed)
			continue;
		for (size_t k = 0; k < d->n; k++) {
			if (strcmp(d->groups[k].name, g->name) != 0)
				continue;
			for (size_t f = 0; f < 2; f++) {
				fw_nft_dyn_set(set, sizeof(set), g, fams[f]);
				if (!fw_build_made(made, set))
					continue;	/* has them */
				if ((fed ? queue_fed_family(nl, g, fams[f],
				    NULL, &d->groups[k]) : queue_family(nl, set,
				    fams[f], NULL, &d->groups[k])) < 0)
					return -1;
			}
		}
	}
	return 0;
}
