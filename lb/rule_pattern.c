/*
 * lb/rule_pattern.c - see rule_pattern.h.
 *
 * Strings live in one byte array (folded to lower case with -i, so that
 * a match folds only the sample).  str, beg and end find them through an
 * open-addressing hash table of FNV-1a hashes; end's patterns are kept
 * reversed and the sample is hashed from its last byte, so that beg and
 * end both hash the sample once, probing the table at each length some
 * pattern has.  int, len and ip keep intervals, sorted and merged at
 * seal time: a set answers only yes or no, so which pattern matched
 * need not survive the merge.  Addresses are 128-bit numbers, IPv4 ones
 * as ::ffff:a.b.c.d, which makes IPv4-mapped samples and patterns one
 * case.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rule_pattern.h"
#include "util.h"

#define FNV_BASIS	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL
#define QUOTE_MAX	64	/* bytes of a pattern quoted in a message */
#define MSG_MAX		256	/* a message before FILE:LINE:COL */
#define ADDR_TEXT_MAX	64	/* longer is no address, with its prefix */
#define INT_TEXT_MAX	24	/* "-9223372036854775808" and a NUL */

/* A string pattern, at bytes[off, off + len) of its set. */
struct lb_pat_str {
	uint64_t hash;
	uint32_t off;
	uint32_t len;
};

/* int and len: the values lo..hi, both included. */
struct lb_pat_range {
	int64_t lo;
	int64_t hi;
};

/* ip: the addresses lo..hi, both included (a prefix, then merged). */
struct lb_pat_net {
	unsigned __int128 lo;
	unsigned __int128 hi;
};

/*
 * A first-level index over the nets of one family (IPv4-mapped, or the
 * rest) of a large ip set: the addresses base .. base + (nb << shift) - 1
 * in nb buckets, first[k] the first net whose hi reaches bucket k (first
 * [nb] the end), so that a lookup binary-searches a bucket, not the set:
 * two cache misses, about, whatever the set's size.
 */
struct lb_pat_netidx {
	unsigned __int128 base;
	unsigned shift;
	uint32_t nb;
	uint32_t *first;		/* [nb + 1]; NULL: no index */
};

#define NETIDX_MIN	64		/* nets before a set is indexed */
#define NETIDX_MAX	(1u << 17)	/* buckets at most: 512 KiB */

/* The operators of int and len, in force until the next one. */
enum lb_pat_op { OP_EQ, OP_GE, OP_GT, OP_LE, OP_LT };

/* Sixteen bytes compared at once (GCC's vector extension: SSE2 on
 * x86-64, NEON on arm64). */
typedef unsigned char v16 __attribute__((vector_size(16)));
#define SUB_VEC_MAX	8

struct lb_patset {
	enum lb_pat_method method;
	bool icase;
	bool sealed;
	bool op_pending;	/* an operator with no value after it yet */
	enum lb_pat_op op;
	size_t count;

	char *bytes;		/* the string patterns, end to end */
	size_t nbytes, bytes_cap;
	struct lb_pat_str *strs;
	size_t nstrs, strs_cap;
	uint64_t *slots;	/* str, beg, end: strs index + 1 in the low
				 * half (0 empty), the hash's high half in
				 * the other: a probe that misses reads
				 * the table only, not the patterns */
	size_t nslots;		/* a power of two over 2 * nstrs */
	uint32_t *lens;		/* beg, end: the lengths, distinct, rising */
	size_t nlens;

	pcre2_code **res;
	size_t nres, res_cap;
	struct lb_pat_range *ranges;
	size_t nranges, ranges_cap;
	struct lb_pat_net *nets;
	size_t nnets, nets_cap;
	struct lb_pat_netidx netidx[2];	/* IPv4-mapped, the rest */
	/* sub with 2..SUB_VEC_MAX patterns, none shorter than 2 bytes: each
	 * one's first and second byte, sixteen copies, so that one pass
	 * finds where any of them may start (sub_vec) */
	unsigned nvec;
	v16 vfirst[SUB_VEC_MAX], vsecond[SUB_VEC_MAX];
	/* reg: how many of the regexes are "^" and a literal (also kept,
	 * after the "^", as beg strings); when all are, they are matched
	 * as beg is, without PCRE2 */
	size_t nlit;
	bool reg_beg;
};

const char *const lb_pat_method_names[LB_PAT_METHOD_COUNT + 1] = {
	[LB_PAT_STR] = "str", [LB_PAT_BEG] = "beg", [LB_PAT_END] = "end",
	[LB_PAT_SUB] = "sub", [LB_PAT_REG] = "reg", [LB_PAT_DOM] = "dom",
	[LB_PAT_DIR] = "dir", [LB_PAT_LEN] = "len", [LB_PAT_FOUND] = "found",
	[LB_PAT_INT] = "int", [LB_PAT_IP] = "ip", [LB_PAT_METHOD_COUNT] = NULL,
};

static const char *const op_names[] = {
	[OP_EQ] = "eq", [OP_GE] = "ge", [OP_GT] = "gt", [OP_LE] = "le",
	[OP_LT] = "lt",
};

/* One per thread, shared by every set: see lb_pat_thread_init. */
static _Thread_local pcre2_match_data *thread_md;

/* A broken contract of this API: the caller's bug, never input's. */
static void
must(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "edged: lb/rule_pattern: %s\n", what);
		abort();
	}
}

int
lb_pat_method_from_name(const char *name)
{
	for (int m = 0; m < LB_PAT_METHOD_COUNT; m++)
		if (strcmp(name, lb_pat_method_names[m]) == 0)
			return m;
	return -1;
}

const char *
lb_pat_method_name(enum lb_pat_method m)
{
	if ((unsigned)m >= LB_PAT_METHOD_COUNT)
		return "?";
	return lb_pat_method_names[m];
}

/* Grows the array *arrp of *cap elements of elsz bytes to hold need. */
static int
grow(void *arrp, size_t *cap, size_t need, size_t elsz)
{
	void **arr = arrp;
	size_t n = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2 / elsz)
			return -1;
		n *= 2;
	}
	p = realloc(*arr, n * elsz);
	if (p == NULL)
		return -1;
	*arr = p;
	*cap = n;
	return 0;
}

static unsigned char
fold(unsigned char c, bool icase)
{
	return icase && c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static uint64_t
hash_step(uint64_t h, unsigned char c)
{
	return (h ^ c) * FNV_PRIME;
}

/* The slot a hash starts probing at: FNV's low bits mixed with its
 * high ones, which carry most of the last bytes. */
static size_t
hash_slot(uint64_t h, size_t nslots)
{
	return (size_t)(h ^ (h >> 29)) & (nslots - 1);
}

/* pat quoted for a message: at most QUOTE_MAX of its bytes, '"', '\'
 * and any byte that does not print escaped, "..." if cut. */
static void
quote(char *dst, size_t size, const char *pat, size_t len)
{
	size_t j = 0;

	for (size_t i = 0; i < len && i < QUOTE_MAX && j + 5 < size; i++) {
		unsigned char c = (unsigned char)pat[i];

		if (c == '"' || c == '\\')
			j += (size_t)snprintf(dst + j, size - j, "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			j += (size_t)snprintf(dst + j, size - j, "\\x%02x", c);
		else
			dst[j++] = (char)c;
	}
	if (len > QUOTE_MAX && j + 4 <= size) {
		memcpy(dst + j, "...", 3);
		j += 3;
	}
	dst[j < size ? j : size - 1] = '\0';
}

static int
refuse(char *err, size_t errsize, const char *pat, size_t len,
    const char *what)
{
	char q[QUOTE_MAX * 4 + 8];

	quote(q, sizeof(q), pat, len);
	snprintf(err, errsize, "\"%s\" %s", q, what);
	return -1;
}

static int
oom(char *err, size_t errsize)
{
	snprintf(err, errsize, "out of memory");
	return -1;
}

struct lb_patset *
lb_patset_new(enum lb_pat_method m, bool icase)
{
	struct lb_patset *set;

	must((unsigned)m < LB_PAT_METHOD_COUNT, "lb_patset_new: no method");
	set = calloc(1, sizeof(*set));
	if (set == NULL)
		return NULL;
	set->method = m;
	set->icase = icase;
	set->op = OP_EQ;
	return set;
}

static bool
is_delim(unsigned char c, enum lb_pat_method m)
{
	return c == '/' || c == '?' || (m == LB_PAT_DOM &&
	    (c == '.' || c == ':'));
}

/* Stores a string pattern: folded with -i, reversed for end, without
 * its outer delimiters for dom and dir. */
static int
add_str(struct lb_patset *set, const char *pat, size_t len, char *err,
    size_t errsize)
{
	bool rev = set->method == LB_PAT_END;
	struct lb_pat_str *p;
	uint64_t h = FNV_BASIS;
	char *dst;

	if (set->method == LB_PAT_DOM || set->method == LB_PAT_DIR) {
		while (len > 0 && is_delim((unsigned char)*pat, set->method)) {
			pat++;
			len--;
		}
		while (len > 0 && is_delim((unsigned char)pat[len - 1],
		    set->method))
			len--;
		if (len == 0)	/* no word at all: it matches nothing */
			return 0;
	}
	if (len >= UINT32_MAX - set->nbytes)
		return refuse(err, errsize, pat, len, "is too long");
	if (grow(&set->bytes, &set->bytes_cap, set->nbytes + len + 1, 1) < 0 ||
	    grow(&set->strs, &set->strs_cap, set->nstrs + 1,
	    sizeof(*p)) < 0)
		return oom(err, errsize);
	dst = set->bytes + set->nbytes;
	for (size_t i = 0; i < len; i++) {
		dst[i] = (char)fold((unsigned char)pat[rev ? len - 1 - i : i],
		    set->icase);
		h = hash_step(h, (unsigned char)dst[i]);
	}
	p = &set->strs[set->nstrs++];
	p->hash = h;
	p->off = (uint32_t)set->nbytes;
	p->len = (uint32_t)len;
	set->nbytes += len;
	return 0;
}

/* Whether the regex pat is "^" and then only characters that stand
 * for themselves (printable ASCII, none special to PCRE2 outside a
 * class): a prefix, whose case folds as beg's -i does. */
static bool
reg_literal(const char *pat, size_t len)
{
	if (len == 0 || pat[0] != '^')
		return false;
	for (size_t i = 1; i < len; i++)
		if (pat[i] < 0x20 || pat[i] > 0x7e ||
		    strchr("\\^$.|?*+()[]{}", pat[i]) != NULL)
			return false;
	return true;
}

static int
add_reg(struct lb_patset *set, const char *pat, size_t len, char *err,
    size_t errsize)
{
	PCRE2_UCHAR why[128];
	char what[sizeof(why) + 64];
	PCRE2_SIZE off;
	pcre2_code *re;
	int code;

	if (grow(&set->res, &set->res_cap, set->nres + 1,
	    sizeof(*set->res)) < 0)
		return oom(err, errsize);
	re = pcre2_compile((PCRE2_SPTR)(len ? pat : ""), len,
	    set->icase ? PCRE2_CASELESS : 0, &code, &off, NULL);
	if (re == NULL) {
		if (pcre2_get_error_message(code, why, sizeof(why)) < 0)
			snprintf((char *)why, sizeof(why), "error %d", code);
		snprintf(what, sizeof(what),
		    "is not a valid regex: %s (at byte %zu)", (char *)why,
		    (size_t)off);
		return refuse(err, errsize, pat, len, what);
	}
	set->res[set->nres++] = re;
	if (!reg_literal(pat, len))
		return 0;
	set->nlit++;
	return add_str(set, pat + 1, len - 1, err, errsize);
}

static int
op_from(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (n == 2 && memcmp(s, op_names[i], 2) == 0)
			return (int)i;
	return -1;
}

/* "LO:HI", ":HI", "LO:" into r; false if not one. */
static bool
parse_span(const char *s, size_t n, struct lb_pat_range *r)
{
	const char *colon = memchr(s, ':', n);
	size_t left = (size_t)(colon - s), right = n - left - 1;

	if (left == 0 && right == 0)
		return false;
	r->lo = INT64_MIN;
	r->hi = INT64_MAX;
	return (left == 0 || decimal_i64(s, left, &r->lo)) &&
	    (right == 0 || decimal_i64(colon + 1, right, &r->hi));
}

/* A value under operator op into r; false if it matches nothing. */
static bool
apply_op(enum lb_pat_op op, int64_t v, struct lb_pat_range *r)
{
	r->lo = INT64_MIN;
	r->hi = INT64_MAX;
	switch (op) {
	case OP_EQ:
		r->lo = r->hi = v;
		return true;
	case OP_GT:
		if (v == INT64_MAX)
			return false;
		v++;
		/* FALLTHROUGH */
	case OP_GE:
		r->lo = v;
		return true;
	case OP_LT:
		if (v == INT64_MIN)
			return false;
		v--;
		/* FALLTHROUGH */
	case OP_LE:
		r->hi = v;
		return true;
	}
	return false;
}

/* One value of int or len: a range, or a number under the operator in
 * force (HAProxy lets a range ignore it). */
static int
add_value(struct lb_patset *set, enum lb_pat_op op, const char *pat,
    size_t len, char *err, size_t errsize)
{
	bool span = memchr(pat, ':', len) != NULL;
	struct lb_pat_range r;
	int64_t v = 0;

	if (span ? !parse_span(pat, len, &r) : !decimal_i64(pat, len, &v))
		return refuse(err, errsize, pat, len,
		    "is not an integer or a range LO:HI");
	if ((!span && !apply_op(op, v, &r)) || r.lo > r.hi)
		return refuse(err, errsize, pat, len, "matches no integer");
	if (grow(&set->ranges, &set->ranges_cap, set->nranges + 1,
	    sizeof(r)) < 0)
		return oom(err, errsize);
	set->ranges[set->nranges++] = r;
	return 0;
}

/* int and len: "OP" (in force for the words after it), "OP VALUE" (for
 * this value only) or a value.  A file's line is one pattern: an
 * operator alone there would silently reach into the lines below. */
static int
add_int(struct lb_patset *set, const char *pat, size_t len, bool in_file,
    char *err, size_t errsize)
{
	bool word = len == 2 || (len > 2 && (pat[2] == ' ' || pat[2] == '\t'));
	size_t i = 2;
	int op;

	if (word && memcmp(pat, "ne", 2) == 0)
		return refuse(err, errsize, pat, 2, "is not supported (HAProxy "
		    "reads it as eq): negate the ACL with '!' instead");
	op = word ? op_from(pat, 2) : -1;
	if (op >= 0 && len == 2) {
		if (in_file)
			return refuse(err, errsize, pat, len,
			    "needs a value on its line");
		set->op = (enum lb_pat_op)op;
		set->op_pending = true;
		return 0;
	}
	if (op >= 0) {
		while (i < len && (pat[i] == ' ' || pat[i] == '\t'))
			i++;
		if (add_value(set, (enum lb_pat_op)op, pat + i, len - i,
		    err, errsize) < 0)
			return -1;
		return 0;
	}
	if (add_value(set, set->op, pat, len, err, errsize) < 0)
		return -1;
	set->op_pending = false;
	return 0;
}

static unsigned __int128
net_mask(unsigned bits)
{
	return bits == 0 ? 0 : ~(unsigned __int128)0 << (128 - bits);
}

static unsigned __int128
net_from_bytes(const unsigned char *b, size_t n)
{
	unsigned __int128 a = n == 4 ? 0xffff : 0;

	for (size_t i = 0; i < n; i++)
		a = a << 8 | b[i];
	return a;
}

/* The prefix length after '/': digits up to max, or for IPv4 a dotted
 * mask of contiguous ones. */
static bool
parse_bits(const char *s, bool v4, unsigned *bits)
{
	unsigned max = v4 ? 32 : 128, n = 0;
	struct in_addr m;
	uint32_t mask;

	if (v4 && strchr(s, '.') != NULL) {
		if (inet_pton(AF_INET, s, &m) != 1)
			return false;
		mask = ntohl(m.s_addr);
		while (n < 32 && (mask & (1u << (31 - n))))
			n++;
		*bits = n;
		return n == 32 || (mask << n) == 0;
	}
	if (*s == '\0' || strlen(s) > 3)
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		n = n * 10 + (unsigned)(*s - '0');
	}
	*bits = n;
	return n <= max;
}

/* "ADDR" or "ADDR/BITS" (ADDR/MASK for IPv4) into *net. */
static bool
parse_net(const char *pat, size_t len, struct lb_pat_net *net)
{
	char buf[ADDR_TEXT_MAX];
	unsigned char a[16];
	char *slash;
	bool v4;
	unsigned bits;
	unsigned __int128 mask;

	if (len >= sizeof(buf) || memchr(pat, '\0', len) != NULL)
		return false;
	memcpy(buf, pat, len);
	buf[len] = '\0';
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = '\0';
	v4 = strchr(buf, ':') == NULL;
	if (inet_pton(v4 ? AF_INET : AF_INET6, buf, a) != 1)
		return false;
	bits = v4 ? 32 : 128;
	if (slash != NULL && !parse_bits(slash, v4, &bits))
		return false;
	mask = net_mask(v4 ? bits + 96 : bits);
	net->lo = net_from_bytes(a, v4 ? 4 : 16) & mask;
	net->hi = net->lo | ~mask;
	return true;
}

static int
add_ip(struct lb_patset *set, const char *pat, size_t len, char *err,
    size_t errsize)
{
	struct lb_pat_net net;

	if (!parse_net(pat, len, &net))
		return refuse(err, errsize, pat, len,
		    "is not an IP address or prefix");
	if (grow(&set->nets, &set->nets_cap, set->nnets + 1,
	    sizeof(net)) < 0)
		return oom(err, errsize);
	set->nets[set->nnets++] = net;
	return 0;
}

static int
add_one(struct lb_patset *set, const char *pat, size_t len, bool in_file,
    char *err, size_t errsize)
{
	int rc;

	must(!set->sealed, "pattern added to a sealed set");
	if (pat == NULL)
		pat = "";
	switch (set->method) {
	case LB_PAT_REG:
		rc = add_reg(set, pat, len, err, errsize);
		break;
	case LB_PAT_INT:
	case LB_PAT_LEN:
		rc = add_int(set, pat, len, in_file, err, errsize);
		break;
	case LB_PAT_IP:
		rc = add_ip(set, pat, len, err, errsize);
		break;
	case LB_PAT_FOUND:
		snprintf(err, errsize, "-m found takes no pattern");
		rc = -1;
		break;
	default:
		rc = add_str(set, pat, len, err, errsize);
		break;
	}
	if (rc == 0)
		set->count++;
	return rc;
}

int
lb_patset_add(struct lb_patset *set, const char *pat, size_t len,
    char *err, size_t errsize)
{
	return add_one(set, pat, len, false, err, errsize);
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int
load_line(struct lb_patset *set, const char *s, size_t n, const char *name,
    size_t line, char *err, size_t errsize)
{
	char msg[MSG_MAX];
	size_t b = 0;

	while (b < n && is_blank(s[b]))
		b++;
	while (n > b && is_blank(s[n - 1]))
		n--;
	if (b == n || s[b] == '#')
		return 0;
	if (add_one(set, s + b, n - b, true, msg, sizeof(msg)) == 0)
		return 0;
	snprintf(err, errsize, "%s:%zu:%zu: %s", name, line, b + 1, msg);
	return -1;
}

int
lb_patset_load(struct lb_patset *set, const char *text, size_t len,
    const char *name, char *err, size_t errsize)
{
	size_t pos = 0, line = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - text) : len;

		if (load_line(set, text + pos, end - pos, name, ++line, err,
		    errsize) < 0)
			return -1;
		pos = end + 1;
	}
	return 0;
}

static bool
same_walk(const struct lb_patset *set, const struct lb_pat_str *p,
    const unsigned char *s, size_t slen, bool rev)
{
	const unsigned char *b = (const unsigned char *)set->bytes + p->off;

	for (size_t j = 0; j < p->len; j++)
		if (b[j] != fold(rev ? s[slen - 1 - j] : s[j], set->icase))
			return false;
	return true;
}

/* Whether a pattern equals the first n bytes of the sample's walk
 * (from its end if rev), whose hash is h. */
static bool
hash_find(const struct lb_patset *set, uint64_t h, const unsigned char *s,
    size_t slen, size_t n, bool rev)
{
	size_t mask = set->nslots - 1;

	for (size_t i = hash_slot(h, set->nslots);; i = (i + 1) & mask) {
		uint64_t e = set->slots[i];
		const struct lb_pat_str *p;

		if (e == 0)
			return false;
		if (e >> 32 != h >> 32)
			continue;
		p = &set->strs[(uint32_t)e - 1];
		if (p->hash == h && p->len == n &&
		    same_walk(set, p, s, slen, rev))
			return true;
	}
}

/* Stores strs[k] in the table unless an equal pattern is there. */
static void
hash_insert(struct lb_patset *set, size_t k)
{
	const struct lb_pat_str *p = &set->strs[k];
	size_t mask = set->nslots - 1;

	for (size_t i = hash_slot(p->hash, set->nslots);; i = (i + 1) & mask) {
		const struct lb_pat_str *q;

		if (set->slots[i] == 0) {
			set->slots[i] = (p->hash >> 32) << 32 | (k + 1);
			return;
		}
		q = &set->strs[(uint32_t)set->slots[i] - 1];
		if (q->hash == p->hash && q->len == p->len &&
		    memcmp(set->bytes + q->off, set->bytes + p->off,
		    p->len) == 0)
			return;
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static int
seal_hash(struct lb_patset *set)
{
	size_t n = 8;

	free(set->slots);	/* from a seal that ran out of memory */
	free(set->lens);
	set->nlens = 0;
	while (n <= 2 * set->nstrs)
		n *= 2;
	set->slots = calloc(n, sizeof(*set->slots));
	set->lens = malloc((set->nstrs + 1) * sizeof(*set->lens));
	if (set->slots == NULL || set->lens == NULL)
		return -1;
	set->nslots = n;
	for (size_t k = 0; k < set->nstrs; k++) {
		hash_insert(set, k);
		set->lens[k] = set->strs[k].len;
	}
	qsort(set->lens, set->nstrs, sizeof(*set->lens), cmp_u32);
	for (size_t k = 0; k < set->nstrs; k++)
		if (set->nlens == 0 || set->lens[set->nlens - 1] !=
		    set->lens[k])
			set->lens[set->nlens++] = set->lens[k];
	return 0;
}

static int
cmp_range(const void *a, const void *b)
{
	const struct lb_pat_range *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

static int
cmp_net(const void *a, const void *b)
{
	const struct lb_pat_net *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

/* Sorts the ranges and merges those that overlap or touch. */
static void
seal_ranges(struct lb_patset *set)
{
	struct lb_pat_range *r = set->ranges;
	size_t n = 0;

	if (set->nranges == 0)
		return;
	qsort(r, set->nranges, sizeof(*r), cmp_range);
	for (size_t i = 1; i < set->nranges; i++) {
		if (r[n].hi == INT64_MAX || r[i].lo <= r[n].hi + 1) {
			if (r[i].hi > r[n].hi)
				r[n].hi = r[i].hi;
		} else {
			r[++n] = r[i];
		}
	}
	set->nranges = n + 1;
}

static void
seal_nets(struct lb_patset *set)
{
	const unsigned __int128 all = ~(unsigned __int128)0;
	struct lb_pat_net *r = set->nets;
	size_t n = 0;

	if (set->nnets == 0)
		return;
	qsort(r, set->nnets, sizeof(*r), cmp_net);
	for (size_t i = 1; i < set->nnets; i++) {
		if (r[n].hi == all || r[i].lo <= r[n].hi + 1) {
			if (r[i].hi > r[n].hi)
				r[n].hi = r[i].hi;
		} else {
			r[++n] = r[i];
		}
	}
	set->nnets = n + 1;
}

#define V4_BASE	((unsigned __int128)0xffff << 32)	/* ::ffff:0:0 */
#define V4_LAST	(V4_BASE | 0xffffffffu)

static bool
net_is_v4(const struct lb_pat_net *n)
{
	return n->lo >= V4_BASE && n->hi <= V4_LAST;
}

/* Indexes the sealed nets of one family (v4: the IPv4-mapped ones). */
static int
index_nets(struct lb_patset *set, struct lb_pat_netidx *x, bool v4)
{
	unsigned __int128 lo = 0, hi = 0;
	size_t count = 0, i = 0;

	free(x->first);		/* from a seal that ran out of memory */
	x->first = NULL;
	for (size_t k = 0; k < set->nnets; k++)
		if (net_is_v4(&set->nets[k]) == v4) {
			if (count++ == 0)
				lo = set->nets[k].lo;
			hi = set->nets[k].hi;
		}
	if (count < NETIDX_MIN)
		return 0;
	for (x->nb = 2; x->nb < count && x->nb < NETIDX_MAX; x->nb *= 2)
		;
	for (x->shift = 0; ((hi - lo) >> x->shift) >= x->nb; x->shift++)
		;
	x->base = lo;
	if ((x->first = calloc((size_t)x->nb + 1, sizeof(*x->first))) == NULL)
		return -1;
	for (uint32_t k = 0; k <= x->nb; k++) {
		unsigned __int128 off = (unsigned __int128)k << x->shift;

		/* past the address space: the end */
		if (off >> x->shift != k || lo + off < lo) {
			x->first[k] = (uint32_t)set->nnets;
			continue;
		}
		while (i < set->nnets && set->nets[i].hi < lo + off)
			i++;
		x->first[k] = (uint32_t)i;
	}
	return 0;
}

/* sub: the vector pass, when the patterns suit it. */
static void
seal_sub(struct lb_patset *set)
{
	if (set->nstrs < 2 || set->nstrs > SUB_VEC_MAX)
		return;
	for (size_t k = 0; k < set->nstrs; k++)
		if (set->strs[k].len < 2)
			return;
	for (size_t k = 0; k < set->nstrs; k++) {
		const char *b = set->bytes + set->strs[k].off;

		for (size_t i = 0; i < sizeof(v16); i++) {
			set->vfirst[k][i] = (unsigned char)b[0];
			set->vsecond[k][i] = (unsigned char)b[1];
		}
	}
	set->nvec = (unsigned)set->nstrs;
}

int
lb_patset_seal(struct lb_patset *set, char *err, size_t errsize)
{
	must(!set->sealed, "set sealed twice");
	if (set->op_pending) {
		snprintf(err, errsize, "operator \"%s\" has no value after it",
		    op_names[set->op]);
		return -1;
	}
	switch (set->method) {
	case LB_PAT_STR:
	case LB_PAT_BEG:
	case LB_PAT_END:
		if (seal_hash(set) < 0)
			return oom(err, errsize);
		break;
	case LB_PAT_REG:
		/* A regex the JIT cannot take (or no JIT on this CPU) is
		 * still matched, by the interpreter: not an error. */
		for (size_t i = 0; i < set->nres; i++)
			(void)pcre2_jit_compile(set->res[i],
			    PCRE2_JIT_COMPLETE);
		if (set->nres > 0 && set->nlit == set->nres) {
			if (seal_hash(set) < 0)
				return oom(err, errsize);
			set->reg_beg = true;
		}
		break;
	case LB_PAT_SUB:
		seal_sub(set);
		break;
	case LB_PAT_INT:
	case LB_PAT_LEN:
		seal_ranges(set);
		break;
	case LB_PAT_IP:
		seal_nets(set);
		if (index_nets(set, &set->netidx[0], true) < 0 ||
		    index_nets(set, &set->netidx[1], false) < 0)
			return oom(err, errsize);
		break;
	default:
		break;
	}
	set->sealed = true;
	return 0;
}

/* Up to this many beg or end patterns are compared one by one: fewer
 * steps than hashing the sample at each of their lengths. */
#define AFFIX_SCAN_MAX	8

/* beg and end: a few patterns compared one by one; more, the sample
 * hashed once, from its start (or end), and the table probed at each
 * length some pattern has. */

static bool
match_affix(const struct lb_patset *set, const unsigned char *s, size_t len,
    bool rev)
{
	uint64_t h = FNV_BASIS;
	size_t k = 0;

	if (set->nstrs <= AFFIX_SCAN_MAX) {
		for (k = 0; k < set->nstrs; k++)
			if (set->strs[k].len <= len &&
			    same_walk(set, &set->strs[k], s, len, rev))
				return true;
		return false;
	}
	if (set->nlens > 0 && set->lens[0] == 0) {
		if (hash_find(set, h, s, len, 0, rev))
			return true;
		k++;
	}
	for (size_t i = 0; i < len && k < set->nlens; i++) {
		h = hash_step(h, fold(s[rev ? len - 1 - i : i], set->icase));
		if (i + 1 == set->lens[k]) {
			if (hash_find(set, h, s, len, i + 1, rev))
				return true;
			k++;
		}
	}
	return false;
}

static bool
match_exact(const struct lb_patset *set, const unsigned char *s, size_t len)
{
	uint64_t h = FNV_BASIS;

	if (set->nstrs == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		h = hash_step(h, fold(s[i], set->icase));
	return hash_find(set, h, s, len, len, false);
}

/* Whether the pattern p equals s[0, p->len). */
static bool
same_at(const struct lb_patset *set, const struct lb_pat_str *p,
    const unsigned char *s)
{
	return same_walk(set, p, s, p->len, false);
}

/* The first place of p[0..plen) in s[0..len), 0 < plen <= len: memchr
 * for its first byte, then a compare, which beats memmem's setup for
 * the short patterns sub matches are; longer ones (where an input could
 * make the compares many) go to memmem. */
#define SUB_SHORT_MAX	16

static bool
has_sub(const unsigned char *s, size_t len, const unsigned char *p,
    size_t plen)
{
	const unsigned char *end = s + len - plen + 1;

	if (plen > SUB_SHORT_MAX)
		return memmem(s, len, p, plen) != NULL;
	while ((s = memchr(s, p[0], (size_t)(end - s))) != NULL) {
		if (memcmp(s + 1, p + 1, plen - 1) == 0)
			return true;
		if (++s == end)
			break;
	}
	return false;
}

/* Without case, a sample as long as a header value is folded once, so
 * that each pattern (folded when added) is one substring search. */
#define SUB_FOLD_MAX	1024

/* dst[0..n) = src[0..n) in lower case (ASCII), eight bytes at a time:
 * a byte is upper case when adding 0x3f to its low seven bits carries
 * into bit 7 (>= 'A') and adding 0x25 does not (<= 'Z'), bit 7 clear. */
static void
fold_lower(unsigned char *dst, const unsigned char *src, size_t n)
{
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
	const uint64_t high = 0x8080808080808080ULL;
	const uint64_t ge_a = 0x3f3f3f3f3f3f3f3fULL;	/* 0x80 - 'A' */
	const uint64_t gt_z = 0x2525252525252525ULL;	/* 0x7f - 'Z' */
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x, h, up;

		memcpy(&x, src + i, 8);
		h = x & low7;
		up = ((h + ge_a) ^ (h + gt_z)) & ~x & high;
		x |= up >> 2;
		memcpy(dst + i, &x, 8);
	}
	for (; i < n; i++)
		dst[i] = fold(src[i], true);
}

/* Where the vector pass found one of set's patterns may start, at s + at
 * (its first two bytes): whether one does. */
static bool
sub_at(const struct lb_patset *set, const unsigned char *s, size_t len,
    size_t at)
{
	for (size_t k = 0; k < set->nstrs; k++) {
		const struct lb_pat_str *p = &set->strs[k];

		if (p->len <= len - at && memcmp(s + at,
		    (const unsigned char *)set->bytes + p->off, p->len) == 0)
			return true;
	}
	return false;
}

/* Whether any of set's patterns (folded, when set->icase) is in s[0..len)
 * (folded too), sixteen places at a time: a place where the first two
 * bytes of some pattern are is compared whole.  s has sizeof(v16) bytes
 * readable past len. */
static bool
sub_vec(const struct lb_patset *set, const unsigned char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += sizeof(v16)) {
		v16 a, b, m = { 0 };
		uint64_t w[2];

		memcpy(&a, s + i, sizeof(a));
		memcpy(&b, s + i + 1, sizeof(b));
		for (unsigned k = 0; k < set->nvec; k++)
			m |= (v16)((a == set->vfirst[k]) &
			    (b == set->vsecond[k]));
		memcpy(w, &m, sizeof(w));
		if ((w[0] | w[1]) == 0)
			continue;
		for (size_t j = 0; j < sizeof(v16) && i + j + 1 < len; j++)
			if (m[j] != 0 && sub_at(set, s, len, i + j))
				return true;
	}
	return false;
}

static bool
match_sub(const struct lb_patset *set, const unsigned char *s, size_t len)
{
	unsigned char buf[SUB_FOLD_MAX + sizeof(v16)];

	if ((set->icase || set->nvec > 0) && len <= SUB_FOLD_MAX) {
		if (set->icase)
			fold_lower(buf, s, len);
		else
			memcpy(buf, s, len);
		s = buf;
		if (set->nvec > 0) {
			memset(buf + len, 0, sizeof(v16));
			return sub_vec(set, s, len);
		}
		for (size_t k = 0; k < set->nstrs; k++) {
			const struct lb_pat_str *p = &set->strs[k];

			if (p->len == 0 || (p->len <= len && has_sub(s, len,
			    (const unsigned char *)set->bytes + p->off,
			    p->len)))
				return true;
		}
		return false;
	}
	for (size_t k = 0; k < set->nstrs; k++) {
		const struct lb_pat_str *p = &set->strs[k];
		const unsigned char *b = (const unsigned char *)set->bytes +
		    p->off;

		if (p->len == 0)
			return true;
		if (p->len > len)
			continue;
		if (!set->icase) {
			if (has_sub(s, len, b, p->len))
				return true;
			continue;
		}
		for (size_t i = 0; i + p->len <= len; i++)
			if (fold(s[i], true) == b[0] && same_at(set, p, s + i))
				return true;
	}
	return false;
}

/* HAProxy's word match: p starts where a word starts (the sample's
 * start or after a delimiter) and ends at a delimiter or the end. */
static bool
match_word(const struct lb_patset *set, const struct lb_pat_str *p,
    const unsigned char *s, size_t len)
{
	enum lb_pat_method m = set->method;
	bool may = true;

	for (size_t i = 0; i + p->len <= len; i++) {
		if (is_delim(s[i], m)) {
			may = true;
			continue;
		}
		if (!may)
			continue;
		may = false;
		if ((i + p->len == len || is_delim(s[i + p->len], m)) &&
		    same_at(set, p, s + i))
			return true;
	}
	return false;
}

static bool
match_reg(const struct lb_patset *set, const char *s, size_t len)
{
	if (thread_md == NULL && lb_pat_thread_init() < 0)
		return false;
	for (size_t i = 0; i < set->nres; i++)
		/* 0 is a match with too small an ovector: we keep none */
		if (pcre2_match(set->res[i], (PCRE2_SPTR)(len ? s : ""), len,
		    0, 0, thread_md, NULL) >= 0)
			return true;
	return false;
}

static bool
match_range(const struct lb_patset *set, int64_t v)
{
	size_t lo = 0, hi = set->nranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (set->ranges[mid].hi < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < set->nranges && set->ranges[lo].lo <= v;
}

static bool
match_net(const struct lb_patset *set, unsigned __int128 a)
{
	size_t lo = 0, hi = set->nnets;

	for (int c = 0; c < 2; c++) {
		const struct lb_pat_netidx *x = &set->netidx[c];
		unsigned __int128 k;

		if (x->first != NULL && a >= x->base &&
		    (k = (a - x->base) >> x->shift) < x->nb) {
			lo = x->first[k];
			hi = x->first[k + 1];
			break;
		}
	}

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (set->nets[mid].hi < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < set->nnets && set->nets[lo].lo <= a;
}

/* The sample as an address for ip ("10.0.0.1", "::1"; no prefix). */
static bool
match_ip_text(const struct lb_patset *set, const char *s, size_t len)
{
	struct lb_pat_net net;

	if (memchr(s, '/', len) != NULL || !parse_net(s, len, &net))
		return false;
	return match_net(set, net.lo);
}

static bool
match_words(const struct lb_patset *set, const unsigned char *s, size_t len)
{
	for (size_t k = 0; k < set->nstrs; k++)
		if (match_word(set, &set->strs[k], s, len))
			return true;
	return false;
}

bool
lb_patset_match_str(const struct lb_patset *set, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	int64_t v;

	must(set->sealed, "match on a set not sealed");
	switch (set->method) {
	case LB_PAT_STR:
		return match_exact(set, u, len);
	case LB_PAT_BEG:
		return match_affix(set, u, len, false);
	case LB_PAT_END:
		return match_affix(set, u, len, true);
	case LB_PAT_SUB:
		return match_sub(set, u, len);
	case LB_PAT_REG:
		return set->reg_beg ? match_affix(set, u, len, false) :
		    match_reg(set, s, len);
	case LB_PAT_DOM:
	case LB_PAT_DIR:
		return match_words(set, u, len);
	case LB_PAT_LEN:
		return match_range(set, len > INT64_MAX ? INT64_MAX :
		    (int64_t)len);
	case LB_PAT_FOUND:
		return true;
	case LB_PAT_INT:
		return decimal_i64(s, len, &v) && match_range(set, v);
	case LB_PAT_IP:
		return match_ip_text(set, s, len);
	default:
		return false;
	}
}

bool
lb_patset_match_int(const struct lb_patset *set, int64_t v)
{
	char buf[INT_TEXT_MAX];
	int n;

	must(set->sealed, "match on a set not sealed");
	switch (set->method) {
	case LB_PAT_INT:
		return match_range(set, v);
	case LB_PAT_FOUND:
		return true;
	case LB_PAT_IP:
		return false;
	default:
		n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
		return lb_patset_match_str(set, buf, (size_t)n);
	}
}

bool
lb_patset_match_ip(const struct lb_patset *set, const struct sockaddr *sa)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	char buf[INET6_ADDRSTRLEN];
	const void *a;

	must(set->sealed, "match on a set not sealed");
	if (sa->sa_family == AF_INET) {
		memcpy(&sin, sa, sizeof(sin));
		a = &sin.sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		memcpy(&sin6, sa, sizeof(sin6));
		a = &sin6.sin6_addr;
	} else {
		return false;
	}
	if (set->method == LB_PAT_IP)
		return match_net(set, net_from_bytes(a,
		    sa->sa_family == AF_INET ? 4 : 16));
	if (set->method == LB_PAT_FOUND)
		return true;
	if (set->method == LB_PAT_INT ||
	    inet_ntop(sa->sa_family, a, buf, sizeof(buf)) == NULL)
		return false;
	return lb_patset_match_str(set, buf, strlen(buf));
}

enum lb_pat_method
lb_patset_method(const struct lb_patset *set)
{
	return set->method;
}

size_t
lb_patset_count(const struct lb_patset *set)
{
	return set->count;
}

void
lb_patset_free(struct lb_patset **setp)
{
	struct lb_patset *set;

	if (setp == NULL || *setp == NULL)
		return;
	set = *setp;
	for (size_t i = 0; i < set->nres; i++)
		pcre2_code_free(set->res[i]);
	free(set->res);
	free(set->bytes);
	free(set->strs);
	free(set->slots);
	free(set->lens);
	free(set->ranges);
	free(set->nets);
	free(set->netidx[0].first);
	free(set->netidx[1].first);
	free(set);
	*setp = NULL;
}

int
lb_pat_thread_init(void)
{
	/* One pair of offsets whatever the regex: a match only needs to
	 * know that it matched, and pcre2_match then returns 0. */
	if (thread_md == NULL)
		thread_md = pcre2_match_data_create(1, NULL);
	return thread_md != NULL ? 0 : -1;
}

void
lb_pat_thread_done(void)
{
	pcre2_match_data_free(thread_md);
	thread_md = NULL;
}
