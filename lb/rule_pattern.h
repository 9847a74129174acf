/*
 * lb/rule_pattern.h - the patterns of one application-rule ACL
 * (`acl NAME FETCH [-i] [-m METHOD] [-f FILE] PATTERN...`) and the match
 * of a fetched sample against them, with HAProxy's match methods
 * (configuration manual 7.1 "ACL basics").
 *
 * A set has one method and one case flag.  It is built in the master
 * (lb_patset_add for the words of the acl line, lb_patset_load for the
 * text of a -f file), sealed once (lb_patset_seal), then only read: the
 * match functions take no lock, allocate nothing and may run on one set
 * from any number of threads at once.
 *
 * Cost per match does not grow with the number of patterns for str (a
 * hash table), beg and end (the same table, probed once per distinct
 * pattern length), int, len and ip (sorted, merged ranges and a binary
 * search).  sub, dom, dir and reg try their patterns one by one.
 */
#ifndef EDGED_LB_RULE_PATTERN_H
#define EDGED_LB_RULE_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;
struct lb_patset;

enum lb_pat_method {
	LB_PAT_STR,	/* the sample equals a pattern */
	LB_PAT_BEG,	/* the sample begins with a pattern */
	LB_PAT_END,	/* the sample ends with a pattern */
	LB_PAT_SUB,	/* a pattern occurs in the sample */
	LB_PAT_REG,	/* a regex (PCRE2, JIT) matches the sample */
	LB_PAT_DOM,	/* a pattern is a run of whole words of the sample,
			 * words split at '.', ':', '/' and '?' */
	LB_PAT_DIR,	/* the same with words split at '/' and '?' */
	LB_PAT_LEN,	/* the sample's length is in an integer range */
	LB_PAT_FOUND,	/* the sample exists; takes no pattern */
	LB_PAT_INT,	/* the integer sample is in a range */
	LB_PAT_IP,	/* the address is in a prefix */
	LB_PAT_METHOD_COUNT
};

/* The names of the methods as `-m` takes them, indexed by enum
 * lb_pat_method, NULL-terminated: the list a "did you mean" looks in. */
extern const char *const lb_pat_method_names[LB_PAT_METHOD_COUNT + 1];

/*
 * The method called name (NUL-terminated, exactly as above: "beg"), or
 * -1 if there is none; HAProxy's "bool" and "bin" are none here.
 */
int lb_pat_method_from_name(const char *name);

/* The name of method m ("str"), or "?" if m is out of range. */
const char *lb_pat_method_name(enum lb_pat_method m);

/*
 * A new, empty set matching with method m; icase (`-i`) makes the string
 * methods (str, beg, end, sub, dom, dir, reg) ignore ASCII case and is
 * ignored by the others.  NULL if out of memory.  The caller owns the
 * set and frees it with lb_patset_free.
 */
struct lb_patset *lb_patset_new(enum lb_pat_method m, bool icase);

/*
 * Adds one pattern, the len bytes at pat (not NUL-terminated; copied,
 * not kept), as one word of an acl line.  What a pattern is depends on
 * the method:
 *   str, beg, end, sub, dom, dir: any bytes ("" too).  dom and dir drop
 *     delimiters from both ends; a pattern of delimiters only matches
 *     nothing.  An empty pattern matches every sample with beg, end and
 *     sub, the empty sample only with str.
 *   reg: a PCRE2 regex (no UTF mode; caseless with icase).
 *   int, len: "N", "LO:HI", ":HI" or "LO:" (N a decimal int64, signed),
 *     or one of the operators eq, ge, gt, le, lt, which applies to the
 *     values that follow until the next operator, as in HAProxy
 *     (`gt 100`); a range "LO:HI" ignores it.  The operator and its value
 *     may also be one pattern ("gt 100").  "ne" is refused: HAProxy reads
 *     it as eq, silently.
 *   ip: an IPv4 or IPv6 address, with an optional prefix length
 *     ("10.0.0.0/8", "2001:db8::/32") or, for IPv4, a dotted mask
 *     ("10.0.0.0/255.0.0.0"); host bits past the prefix are ignored.
 *     Names are not resolved.
 *   found: none; any pattern is an error.
 * Returns 0, or -1 with a message in err (errsize bytes, always
 * NUL-terminated) that quotes the pattern and says what is wrong, e.g.
 * `"10.0.0.300" is not an IP address or prefix`; the caller adds where
 * the word is (FILE:LINE:COL).  The set is unchanged by a refused
 * pattern.  Only before lb_patset_seal.
 */
int lb_patset_add(struct lb_patset *set, const char *pat, size_t len,
    char *err, size_t errsize);

/*
 * Adds the patterns of a pattern file (-f), the len bytes of its text
 * (read by the caller; not kept), as lb_patset_add would each line:
 * lines end at LF, leading and trailing whitespace (spaces, tabs, CR)
 * is dropped, and blank lines and lines whose first non-blank byte is
 * '#' are skipped.  name is the file's name, for messages only.
 * Returns 0, or -1 at the first refused line with a message in err such
 * as `blocklist.txt:12:1: "10.0.0.300" is not an IP address or
 * prefix`, the column (1-based, in bytes) being where the pattern
 * starts; the patterns of the lines before it stay in the set (the
 * caller drops the set with the configuration that failed).  Only
 * before lb_patset_seal.
 */
int lb_patset_load(struct lb_patset *set, const char *text, size_t len,
    const char *name, char *err, size_t errsize);

/*
 * Ends the building of set: builds its lookup structures and JIT-compiles
 * its regexes (a regex the JIT refuses is matched by the interpreter).
 * Returns 0, or -1 with a message in err: out of memory, or an int/len
 * operator left without a value (`operator "gt" has no value after
 * it`).  Then, and only then, may the set be matched.
 */
int lb_patset_seal(struct lb_patset *set, char *err, size_t errsize);

/*
 * Whether the sample, the len bytes at s, matches set (sealed).  The
 * string methods match it as described above; found matches; int and ip
 * read the sample as a decimal integer or an address and match that, as
 * HAProxy casts a string sample (a sample that is not one does not
 * match).  A sample that the fetch did not find is never passed here:
 * an absent sample matches no method, found included.  reg uses this
 * thread's match data: see lb_pat_thread_init.
 */
bool lb_patset_match_str(const struct lb_patset *set, const char *s,
    size_t len);

/*
 * Whether the integer sample v matches set (sealed): int matches its
 * ranges, found matches, the string methods match v's decimal text
 * ("-12"), ip does not match.
 */
bool lb_patset_match_int(const struct lb_patset *set, int64_t v);

/*
 * Whether the address sa (AF_INET or AF_INET6; the port is ignored)
 * matches set (sealed): ip matches its prefixes, an IPv4 sample and the
 * IPv4-mapped IPv6 sample of the same address (::ffff:a.b.c.d) being
 * one address to IPv4 and IPv6 patterns alike; found matches; the
 * string methods match the address's text ("10.0.0.1", "2001:db8::1");
 * int and any other family do not match.
 */
bool lb_patset_match_ip(const struct lb_patset *set,
    const struct sockaddr *sa);

/* The method of set. */
enum lb_pat_method lb_patset_method(const struct lb_patset *set);

/* The patterns added to set (operators and duplicates included). */
size_t lb_patset_count(const struct lb_patset *set);

/* Frees *setp and every pattern in it, and sets *setp to NULL; NULL or
 * *setp NULL do nothing.  No thread may be matching it any more. */
void lb_patset_free(struct lb_patset **setp);

/*
 * Regexes are matched with one PCRE2 match data per thread (thread-local,
 * shared by every set), so that a match allocates nothing.  Each thread
 * that matches reg sets calls lb_pat_thread_init once before its first
 * match (returns 0, or -1 if out of memory) and lb_pat_thread_done
 * before it exits.  A thread that did not is given its match data on
 * its first reg match; if that allocation fails, the match is false.
 */
int lb_pat_thread_init(void);
void lb_pat_thread_done(void);

#endif
