/*
 * fw/fw_build_int.h - what fw_build.c (the table's lines) and
 * fw_build_rule.c (a rule's statements) share: a line split into
 * words, the user data nft keeps beside sets and rules, and the
 * anonymous sets a rule's braces make.
 */
#ifndef EDGED_FW_BUILD_INT_H
#define EDGED_FW_BUILD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fw_nl;

/* ---- words ---- */

#define BLD_WORDS_MAX	1024

/* A word of a line: a run of characters other than blanks and
 * `{ } , ; = "`, one of those marks alone, or a quoted string (s and n
 * its contents, q set). */
struct bld_word {
	const char *s;
	size_t n;
	bool q;
};

struct bld_line {
	struct bld_word w[BLD_WORDS_MAX];
	size_t n;
	unsigned no;			/* its number in the text, from 1 */
};

/* Splits the n bytes at s into l's words; -1 when there are too many,
 * or a quote is not closed. */
int bld_split(const char *s, size_t n, struct bld_line *l);
bool bld_is(const struct bld_word *w, const char *s);
/* w as a NUL-terminated string into buf; -1 when it does not fit. */
int bld_str(const struct bld_word *w, char *buf, size_t size);
/* w as an unsigned number (decimal, or 0x hexadecimal) up to max. */
int bld_num(const struct bld_word *w, uint64_t max, uint64_t *v);

/* ---- user data: nft's type-length-value notes ---- */

struct bld_ud {
	uint8_t b[256];
	size_t n;
	bool over;			/* did not fit */
};

void bld_ud_u32(struct bld_ud *u, uint8_t type, uint32_t v);
void bld_ud_bytes(struct bld_ud *u, uint8_t type, const void *p,
    size_t n);
size_t bld_ud_nest(struct bld_ud *u, uint8_t type);
void bld_ud_end(struct bld_ud *u, size_t at);

/*
 * What nft notes of an expression for `typeof` (it prints a set's key
 * back from it): a payload field, a meta key, a ct key in a direction,
 * a concatenation of those, or numgen.
 */
enum bld_tk { TK_NONE, TK_PAYLOAD, TK_META, TK_CT, TK_NUMGEN };

struct bld_typeof {
	enum bld_tk k;
	uint32_t a, b, c;		/* desc field | key | key dir | mod */
};

#define BLD_CONCAT_MAX	4

struct bld_key {
	struct bld_typeof part[BLD_CONCAT_MAX];
	size_t n;			/* more than 1: a concatenation */
	uint32_t type, len;		/* nft's data type, bytes */
	uint8_t order;			/* byte order: 1 host, 2 big */
};

void bld_ud_typeof(struct bld_ud *u, uint8_t type, const struct bld_key *k);

/* ---- what the builder knows of the table in the kernel ---- */

/* A chain and its rules' handles, in order. */
struct bld_chain {
	char name[80];
	uint64_t *h;
	size_t n, cap;
};

/*
 * The kernel numbers a table's chains, counters, sets (anonymous ones
 * too) and rules as it reads their messages, one counter per table from
 * 1: the handles of a table the builder made, and of what it added
 * since, are known without asking (rules are deleted, and put before
 * another, by handle).
 */
struct fw_build_state {
	bool known;			/* the table is as the batch left it */
	uint64_t last;			/* the last handle given */
	struct bld_chain *c;
	size_t n, cap;
	char (*made)[80];		/* the named sets the batch made */
	size_t nmade, madecap;
	bool oom;
};

struct bld_chain *bld_chain_find(struct fw_build_state *st,
    const char *name);
struct bld_chain *bld_chain_add(struct fw_build_state *st, const char *name);
void bld_chain_push(struct fw_build_state *st, struct bld_chain *c,
    uint64_t h);

/* ---- the builder ---- */

struct bld {
	struct fw_nl *nl;
	struct fw_build_state *st;	/* the table after the batch */
	const struct bld_line *line;	/* the line being built */
	uint32_t set_id;		/* the last set's NFTA_SET_ID */
	uint64_t before;		/* a rule goes before this handle;
					 * 0: at the chain's end */
	uint64_t rule;			/* the last rule's handle */
	char *err;
	size_t errsize;
};

/* A change message (nf_tables message type, netlink flags) begun and
 * noted, for the kernel's answer, as what of the current line; its
 * offset, for fw_nl_msg_end. */
size_t bld_change(struct bld *b, uint16_t type, uint16_t flags,
    const char *what);
/* A 32-bit attribute, in network order. */
void bld_put_u32(struct fw_nl *nl, uint16_t type, uint32_t v);

/* Refuses the current line: err says which and why; -1. */
int bld_fail(struct bld *b, const char *why, const struct bld_word *w);

/* Queues the rule of line b->line (a chain's statement line) in chain;
 * its anonymous sets first.  0, or -1 (bld_fail). */
int bld_rule(struct bld *b, const char *chain);

/* ---- elements ---- */

#define BLD_KEY_MAX	16

/* A set's elements as sent: keys of len bytes, each with its flags (0,
 * or NFT_SET_ELEM_INTERVAL_END). */
struct bld_elems {
	uint8_t *kv;
	uint32_t *flags;
	size_t n, cap, len;
	bool oom;
};

/* A range of keys, both ends in, in the key's byte order (big-endian
 * for addresses and ports). */
struct bld_range {
	uint8_t lo[BLD_KEY_MAX], hi[BLD_KEY_MAX];
};

void bld_elems_push(struct bld_elems *e, const uint8_t *key, uint32_t flags);
void bld_elems_free(struct bld_elems *e);
/* The ranges r[0..n) as an interval set's elements, as nft sends them:
 * an end at 0 first when the first range does not start there, then
 * each range's start and the end after it (none after the last key);
 * sorted and merged first (overlapping or touching ones) when merge. */
void bld_intervals(struct bld_elems *e, struct bld_range *r, size_t n,
    bool merge);
/* w as an address, a prefix or a range (LO-HI) of family (AF_INET,
 * AF_INET6): *r, and whether it is one address.  0, or -1. */
int bld_addr(const struct bld_word *w, int family, struct bld_range *r,
    bool *one);

/* Queues NEWSETELEM messages for set `name` (numbered id) with e's
 * elements. */
void bld_elems_send(struct bld *b, const char *name, uint32_t id,
    const struct bld_elems *e);

/* ---- for fw_build_diff.c ---- */

/* A reader of a table's members' lines, as the whole table's: from the
 * opening of a counter, set, map or chain to its closing.  exists: a
 * set read is in the kernel already (only its elements are sent); a
 * chain's rules go in b->st's chain of that name. */
struct bld_reader;
struct bld_reader *bld_reader_new(struct bld *b, bool exists);
int bld_reader_line(struct bld_reader *r, const char *s, size_t n,
    unsigned no);
void bld_reader_free(struct bld_reader **r);
/* NEWCHAIN for chain name, with the hook line ("\t\ttype filter hook
 * ...", NULL: a regular chain) of line no.  0, or -1 (bld_fail). */
int bld_new_chain(struct bld *b, const char *name, const char *hook,
    size_t hooklen, unsigned no);

#endif /* EDGED_FW_BUILD_INT_H */
