/*
 * conf/conf.h - the edged configuration language.
 *
 * The language is a tree of statements: each statement is a list of words,
 * optionally followed by a block in braces holding more statements.  This
 * module knows nothing of what the words mean.  It turns text into a tree
 * (conf_parse_file, conf_parse_string), walks a block through a table of
 * directives that a module registers (conf_apply), converts words into
 * values with errors that say where (conf_get_*), and prints values back in
 * their normal form (conf_fmt_*, conf_print_word).
 *
 * Every error is appended to a struct conf_diag as one line
 * "FILE:LINE:COL: error: MESSAGE"; parsing goes on after an error so that
 * one run reports them all.
 */
#ifndef EDGED_CONF_H
#define EDGED_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

struct conf_pos {
	const char *file;		/* owned by the tree; never NULL */
	unsigned line;			/* 1-based */
	unsigned col;			/* 1-based, in bytes */
};

/* One statement: args[0] is the directive name. */
struct conf_node {
	struct conf_pos pos;		/* position of args[0] */
	size_t nargs;
	char **args;			/* unescaped words, NUL-terminated */
	struct conf_pos *argpos;	/* position of each word */
	bool has_block;			/* the statement was followed by { } */
	struct conf_node *children;	/* block statements, in file order */
	size_t nchildren;
};

/* A parsed file with its includes expanded in place. */
struct conf_tree {
	struct conf_node root;		/* nargs == 0; children = top level */
	char **files;			/* every file name a pos points to */
	size_t nfiles;
};

struct conf_diag {
	char **msgs;			/* formatted lines, without newline */
	bool *warning;			/* [nmsgs]: a warning, not an error */
	size_t nmsgs;
	size_t cap;
	unsigned nerrors;
	bool oom;			/* one of the errors: conf_oom's */
};

void conf_diag_init(struct conf_diag *d);
void conf_diag_free(struct conf_diag *d);
/* Appends "FILE:LINE:COL: error: " + the formatted message. pos may be
 * NULL for errors that have no place (the message then stands alone). */
void conf_error(struct conf_diag *d, const struct conf_pos *pos,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Adds "FILE:LINE:COL: warning: MESSAGE": worth saying, not an error
 * (nerrors does not change). */
void conf_warning(struct conf_diag *d, const struct conf_pos *pos,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Adds the error "out of memory" at pos (NULL: none), sets d->oom, and
 * returns -1, for a setter to return: the load then fails as a whole. */
int conf_oom(struct conf_diag *d, const struct conf_pos *pos);
/* Writes every message, one per line. */
void conf_diag_print(const struct conf_diag *d, FILE *out);

/*
 * Parses the file at path.  `include "PATTERN"` statements, at any level,
 * are replaced by the statements of the files the glob PATTERN matches
 * (sorted; relative to the directory of the including file).  A pattern
 * without wildcards that matches nothing is an error; includes nest at most
 * 16 deep.  Returns a tree even when there are errors: the caller checks
 * d->nerrors.  Out of memory, returns NULL after adding the error "out of
 * memory" to d.  Caller frees with conf_tree_free.
 *
 * verbatim (NULL, or NULL-terminated) names the directives whose block
 * holds lines of another language (a module's, e.g. HAProxy's): such a
 * block is not tokenized.  Each of its lines that is not blank becomes a
 * child with one word, the line without the blanks around it, positioned
 * at its first byte; the block ends at a line that is only '}' (a comment
 * may follow it).  Its first line is the one after the '{'.
 */
struct conf_tree *conf_parse_file(const char *path,
    const char *const *verbatim, struct conf_diag *d);
/* The same for text held in memory; name is used in positions; includes
 * are resolved relative to the current directory. */
struct conf_tree *conf_parse_string(const char *name, const char *text,
    size_t len, const char *const *verbatim, struct conf_diag *d);
void conf_tree_free(struct conf_tree **tree);

/* ---- directive tables ---- */

#define CONF_ARGS_ANY	((unsigned)-1)

enum conf_block_rule {
	CONF_NO_BLOCK,			/* a block after it is an error */
	CONF_NEEDS_BLOCK,		/* it must be followed by { } */
	CONF_MAY_BLOCK,			/* a block after it, or none */
};

struct conf_directive {
	const char *name;
	unsigned min_args;		/* words after the name */
	unsigned max_args;		/* or CONF_ARGS_ANY */
	enum conf_block_rule block;
	/* Returns 0, or -1 after adding at least one error to d. */
	int (*set)(struct conf_diag *d, const struct conf_node *n, void *obj);
	const char *usage;		/* e.g. "weight N" shown when arity is wrong */
};

/*
 * Hands every statement of block (its children) to the row of table whose
 * name matches args[0], checking the argument count and the block rule
 * first.  Unknown names get "unknown directive 'X' in CONTEXT; did you
 * mean 'Y'?" when a row is close enough.  context names where we are, e.g.
 * "pool web" or "top level".  Returns the number of errors added.
 */
unsigned conf_apply(struct conf_diag *d, const struct conf_node *block,
    const char *context, const struct conf_directive *table, size_t ntable,
    void *obj);

/*
 * Appends a zeroed element of size sz to the array *arr of *n elements,
 * and returns it.  Out of memory, returns NULL and leaves *arr and *n as
 * they were (still the caller's to free); the caller reports it
 * (conf_oom).  For the arrays the modules' setters build: they only
 * grow, one element at a time, from NULL and 0, so their capacity is the
 * power of two above their count and they are reallocated only when the
 * count reaches one.
 */
void *conf_push(void *arr, size_t *n, size_t sz);

/*
 * Reports, at the name of block n (its word 1, else its directive), each
 * of names (NULL-terminated) that no statement of the block starts with:
 * "WHAT has no 'NAME'".  A statement that is there but wrong has its own
 * error where it stands, so it is not reported again as missing.  Returns
 * the number of errors added.
 */
unsigned conf_require(struct conf_diag *d, const struct conf_node *n,
    const char *what, const char *const *names);

/* ---- values: each returns 0, or -1 after adding an error naming the
 * directive (n->args[0]), the word and what was expected ---- */

int conf_get_uint(struct conf_diag *d, const struct conf_node *n, size_t i,
    uint64_t min, uint64_t max, uint64_t *out);
/* "250ms", "5s", "2m", "1h", "1d"; stored as milliseconds. */
int conf_get_duration(struct conf_diag *d, const struct conf_node *n,
    size_t i, uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms);
/* "512", "16k", "1m", "2g" (powers of 1024); stored as bytes. */
int conf_get_size(struct conf_diag *d, const struct conf_node *n, size_t i,
    uint64_t min, uint64_t max, uint64_t *out);
/* An object name: 1..63 characters of [A-Za-z0-9_.-], starting with a
 * letter or digit.  Copied into out (size >= 64). */
int conf_get_name(struct conf_diag *d, const struct conf_node *n, size_t i,
    char *out, size_t size);
/* One of choices (NULL-terminated); stores its index; suggests the closest
 * choice for a misspelt word. */
int conf_get_keyword(struct conf_diag *d, const struct conf_node *n,
    size_t i, const char *const *choices, unsigned *out);
/* An option word i of a statement such as `member NAME ADDR weight 2`:
 * one of names (NULL-terminated), whose index it stores; else "unknown
 * option 'X' for 'member'" with the options, and a hint. */
int conf_get_option(struct conf_diag *d, const struct conf_node *n,
    size_t i, const char *const *names, unsigned *out);
/* The number after an option: word i, named in errors by the option
 * word before it ("'weight' expects a number from 1 to 256"). */
int conf_get_option_uint(struct conf_diag *d, const struct conf_node *n,
    size_t i, uint64_t min, uint64_t max, uint64_t *out);
/* "192.0.2.1:80", "[2001:db8::1]:80", "*:80" (any IPv4), "[::]:80".
 * The port is required and 1..65535; a port alone ("8080", ":8080")
 * is told to need an address. */
int conf_get_sockaddr(struct conf_diag *d, const struct conf_node *n,
    size_t i, struct sockaddr_storage *out, socklen_t *outlen);

/* The candidate closest to word (Damerau-Levenshtein, case-insensitive)
 * when close enough to be a likely typo (distance <= 2, and < strlen/2+1),
 * else NULL. */
const char *conf_did_you_mean(const char *word, const char *const *cands,
    size_t ncands);

/* The end of an error message about word: "; did you mean 'Y'?" with
 * conf_did_you_mean's candidate, or "" when there is none.  Written into
 * buf (64 bytes are always enough for names); returns buf. */
const char *conf_hint(const char *word, const char *const *cands,
    size_t ncands, char *buf, size_t size);

/*
 * HAProxy's words for what edged calls otherwise (conf/haproxy.c): the
 * end of an error message about an unknown word, such as "; edged calls
 * it 'member' (HAProxy's 'server')", written into buf (256 bytes are
 * enough), or NULL when the word is not one of them.  Callers say this
 * instead of "did you mean": the word is exact, not a typo.
 *
 * conf_haproxy_directive: the unknown directive n->args[0], met in
 * context ("pool web"; "top level" also looks up HAProxy's sections).
 * conf_haproxy_value: word i of n, an unknown keyword value of the
 * directive n->args[0] (an algorithm, a TLS version, a member option).
 */
const char *conf_haproxy_directive(const struct conf_node *n,
    const char *context, char *buf, size_t size);
const char *conf_haproxy_value(const struct conf_node *n, size_t i,
    char *buf, size_t size);

/* ---- normal forms, used by the printer (-T) ---- */

/* Largest whole unit: 90000 -> "90s", 120000 -> "2m", 250 -> "250ms". */
void conf_fmt_duration(char *buf, size_t size, uint64_t ms);
/* Largest whole unit: 16384 -> "16k", 1000 -> "1000". */
void conf_fmt_size(char *buf, size_t size, uint64_t bytes);
/* "192.0.2.1:80", "[2001:db8::1]:80". */
void conf_fmt_sockaddr(char *buf, size_t size,
    const struct sockaddr_storage *ss);
/* Writes word bare when it lexes back as itself, else quoted with
 * escapes. */
void conf_print_word(FILE *out, const char *word);

/*
 * Secrets (pre-shared keys, BGP passwords) in normal form: CONF_HIDDEN
 * in their place, unless the operator asks for them (`edged -T
 * --show-secrets`).  The text the worker reads has them hidden too, so
 * a secret read back as CONF_HIDDEN is no secret: the master refuses it
 * (conf_secret_hidden), the worker, which uses none, takes it.
 */
#define CONF_HIDDEN	"<hidden>"
/* Writes secret (quoted as needed) when show, else CONF_HIDDEN. */
void conf_print_secret(FILE *out, const char *secret, bool show);
/* Whether secret is what a printer put in place of one. */
bool conf_secret_hidden(const char *secret);

#endif /* EDGED_CONF_H */
