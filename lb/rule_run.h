/*
 * lb/rule_run.h - application rules compiled for the data path, and run
 * on a head (issue 16).
 *
 * A virtual server's rule sets (rule.h, as written) are compiled once per
 * configuration generation: each ACL's patterns into a sealed pattern
 * set (rule_pattern.h), each value with %[...] into pieces, each regex
 * JIT-compiled, each use_backend to its pool's index.  The threads then
 * only read the result, concurrently, with no lock and no string
 * interpretation: a request's rules read the head through an index
 * (rule_fetch.h) and change it in place (rule_edit.h).
 */
#ifndef EDGED_LB_RULE_RUN_H
#define EDGED_LB_RULE_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf.h"
#include "rule.h"
#include "shm.h"
#include "stick.h"

struct lb_rules;

/* The text of a pattern file (-f) the master read, by its path; NULL
 * for one it could not read (that error is reported already: the
 * patterns it would have added are passed over). */
struct lb_rule_file {
	const char *path;
	const char *text;
	size_t len;
};

/*
 * Compiles the rule sets sets[0..n), in the order they apply, for a
 * virtual server.  pool_index(name, arg) says which pool use_backend
 * names (-1: none).  Errors (a pattern or regex that does not compile, a
 * pool that does not exist, a %[...] edged cannot fetch) go to d, at the
 * place in the file they concern.  Returns NULL after an error or out
 * of memory.  The sets must outlive the result.
 */
struct lb_rules *lb_rules_compile(const struct lb_rule_set *const *sets,
    size_t n, int (*pool_index)(const char *name, void *arg), void *arg,
    const struct lb_rule_file *files, size_t nfiles, struct conf_diag *d);
void lb_rules_free(struct lb_rules **rules);

/* What a request's rules decided. */
enum lb_rule_verdict {
	LB_RULES_PASS,			/* on to a member (pool, if >= 0) */
	LB_RULES_DENY,			/* answer status, edged's page */
	LB_RULES_TARPIT,		/* the same, after timeout tarpit */
	LB_RULES_RETURN,		/* answer status with body */
	LB_RULES_REDIRECT,		/* answer status with location */
	LB_RULES_TOO_BIG,		/* an edit did not fit: 431/502 */
};

/* A transaction's variable (set-var), by the slot compiling gave it. */
#define LB_RULE_VARS		16	/* a virtual server's at most */
#define LB_RULE_VAR_MAX		256	/* a longer value leaves it unset */

struct lb_rule_var {
	bool set;
	uint16_t len;
	char val[LB_RULE_VAR_MAX];
};

/* How many variables r's rules set or read: a transaction needs that
 * many struct lb_rule_var (0 for NULL). */
size_t lb_rules_nvars(const struct lb_rules *r);

/* What a connection's track-scN rule tracks (sc0..sc2): an entry of a
 * stick table, from the first request that tracked it until the
 * connection ends (lb_rule_tracks_end gives its conn_cur back). */
struct lb_rule_track {
	bool on;
	bool conn;			/* counted in the entry's conn_cur */
	size_t table;			/* by the configuration's index */
	unsigned char key[LB_STICK_KEY_MAX];
	size_t keylen;
	struct lb_stick_vals vals;	/* as of the last track */
};

/* Whether r's rules track (the connection then needs LB_TRACKERS struct
 * lb_rule_track, zeroed). */
bool lb_rules_track(const struct lb_rules *r);

/* What a rule reads besides the head. */
struct lb_rule_input {
	const struct sockaddr *src;
	const struct sockaddr *dst;
	bool ssl;			/* the client spoke TLS to edged */
	const char *sni;		/* its SNI, or NULL */
	struct lb_ctr *hits;		/* NULL, or the thread's counters of
					 * every rule, by rule.h's id: a rule
					 * that runs (its condition holds)
					 * counts one in requests */
	struct lb_rule_var *vars;	/* [lb_rules_nvars()], the
					 * transaction's, all unset at its
					 * start; NULL: set-var does nothing,
					 * var() finds nothing */
	struct lb_stick *const *sticks;	/* the stick tables, by the
					 * configuration's index (an entry
					 * NULL: not there); NULL none */
	struct lb_rule_track *tracks;	/* [LB_TRACKERS], the connection's;
					 * NULL: track-sc does nothing */
	uint64_t now_ms;		/* CLOCK_MONOTONIC, for the tables */
};

/* A final status went to the client: a 4xx counts in http_err_rate of
 * the entries in->tracks tracks. */
void lb_rule_tracks_status(const struct lb_rule_input *in, int status);
/* The connection ends: the entries it counted in conn_cur get it back
 * (sticks as in lb_rule_input). */
void lb_rule_tracks_end(struct lb_stick *const *sticks,
    struct lb_rule_track *tracks);

#define LB_RULE_LOCATION_MAX	2048
#define LB_RULE_BODY_MAX	15000	/* return ... file: what fits in a
					 * reply with its head */

struct lb_rule_outcome {
	enum lb_rule_verdict verdict;
	int status;
	int pool;			/* use_backend's pool, -1 none */
	const char *content_type;	/* RETURN: NULL for none */
	const char *body;		/* RETURN: the rule's (not copied) */
	size_t body_len;
	char location[LB_RULE_LOCATION_MAX];	/* REDIRECT */
	const char *cookie;		/* REDIRECT: set-/clear-cookie */
	bool clear_cookie;
};

/*
 * Runs the request rules (http-request, then use_backend) on the head
 * buf[0..*len) with cap bytes of room: they may change it in place.
 * Sets out.  A rule whose value would break the head (CR, LF, NUL from
 * what a %[...] fetched) is skipped.
 */
void lb_rules_request(const struct lb_rules *r, const struct lb_rule_input *in,
    char *buf, size_t *len, size_t cap, struct lb_rule_outcome *out);
/* The use_backend rules of a connection that has no HTTP head (an
 * ssl-passthrough virtual server's, whose ACLs read only addresses,
 * ports and the ClientHello's SNI): out->pool. */
void lb_rules_connection(const struct lb_rules *r,
    const struct lb_rule_input *in, struct lb_rule_outcome *out);
/* The response rules (http-response) on a response head: PASS, DENY or
 * TOO_BIG. */
void lb_rules_response(const struct lb_rules *r,
    const struct lb_rule_input *in, char *buf, size_t *len, size_t cap,
    struct lb_rule_outcome *out);

/* Whether a rule reads dst or dst_port: the input must then have dst
 * (which costs the caller a getsockname). */
bool lb_rules_need_dst(const struct lb_rules *r);

/* Calls fn(path, arg) for each file rule r names that the master reads
 * for it: return ... file, and the map files of its converters.
 * Returns 0, or the first non-zero fn (or lb_conv_files) returned. */
int lb_rule_files_of(const struct lb_rule *r,
    int (*fn)(const char *path, void *arg), void *arg);

/* A thread that ran rules frees what it kept for regexes. */
void lb_rules_thread_done(void);

#endif /* EDGED_LB_RULE_RUN_H */
