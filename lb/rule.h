/*
 * lb/rule.h - application rules as written (issue 16): plain data that
 * rule_parse.c builds from the lines of an application-rule block, kept
 * apart from what will run them.  The lines are HAProxy's (configuration
 * manual, 7 "Using ACLs and fetching samples"), split by rule_lex.c.
 */
#ifndef EDGED_LB_RULE_H
#define EDGED_LB_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "lb.h"

/* What a criterion reads of the request (or response). */
enum lb_sample {
	LB_SAMPLE_ALWAYS,		/* TRUE, HTTP */
	LB_SAMPLE_NEVER,			/* FALSE */
	LB_SAMPLE_PATH,
	LB_SAMPLE_URL,
	LB_SAMPLE_QUERY,
	LB_SAMPLE_METHOD,
	LB_SAMPLE_VERSION,		/* req.ver: "1.0", "1.1" */
	LB_SAMPLE_HDR,			/* hdr(NAME[,OCC]): comma-split */
	LB_SAMPLE_FHDR,			/* req.fhdr(NAME): whole values */
	LB_SAMPLE_HDR_CNT,
	LB_SAMPLE_URL_PARAM,
	LB_SAMPLE_COOK,
	LB_SAMPLE_SRC,
	LB_SAMPLE_DST,
	LB_SAMPLE_SRC_PORT,
	LB_SAMPLE_DST_PORT,
	LB_SAMPLE_SSL_FC,
	LB_SAMPLE_SSL_FC_SNI,
	LB_SAMPLE_REQ_SSL_SNI,		/* passthrough: the ClientHello's */
	LB_SAMPLE_STATUS,		/* responses */
	LB_SAMPLE_RES_HDR,		/* responses */
	LB_SAMPLE_VAR,			/* var(txn.NAME) */
	/* what the entry a track-scN rule tracks holds (arg: N) */
	LB_SAMPLE_SC_CONN_CUR,
	LB_SAMPLE_SC_CONN_RATE,
	LB_SAMPLE_SC_HTTP_REQ_RATE,
	LB_SAMPLE_SC_HTTP_ERR_RATE,
	LB_SAMPLE_SC_GPC0,
};

/* HAProxy's match methods (-m). */
enum lb_match {
	LB_MATCH_STR,
	LB_MATCH_BEG,
	LB_MATCH_END,
	LB_MATCH_SUB,
	LB_MATCH_REG,
	LB_MATCH_DOM,
	LB_MATCH_DIR,
	LB_MATCH_LEN,
	LB_MATCH_FOUND,
	LB_MATCH_BOOL,
	LB_MATCH_INT,
	LB_MATCH_IP,
};

/*
 * One acl line, or an anonymous one ({ ... } in a condition).  Lines
 * with the same name are one ACL (HAProxy ORs them): they share group.
 */
struct lb_acl {
	char name[LB_NAME_MAX];		/* "" for an anonymous one */
	unsigned group;
	struct conf_pos pos;		/* its criterion */
	enum lb_sample fetch;
	char arg[LB_NAME_MAX];		/* hdr(NAME), cook(NAME) ... */
	int occ;			/* hdr(NAME,OCC): 0 = any, -1 last */
	enum lb_match match;
	bool icase;			/* -i */
	char **patterns;		/* as written; an int pattern keeps
					 * its operator: "gt 100" */
	size_t npatterns;
	char **files;			/* -f FILE, read by the master */
	size_t nfiles;
	char *conv;			/* ",lower,..." after the criterion
					 * (rule_conv.h), or NULL */
};

/* A term of a condition: an ACL (its group), maybe negated; or_before:
 * an "||" comes before it.  HAProxy has no parentheses: a condition is
 * an OR of ANDs. */
struct lb_cond_term {
	unsigned group;
	bool negate;
	bool or_before;
};

struct lb_cond {
	bool unless;			/* "unless", else "if" */
	struct lb_cond_term *terms;	/* none: no condition, always */
	size_t nterms;
};

/* When a rule runs: on the request head, on the response head, or to
 * choose the pool (use_backend, after every http-request rule). */
enum lb_phase {
	LB_PHASE_REQUEST,
	LB_PHASE_RESPONSE,
	LB_PHASE_BACKEND,
};

/* What a rule does; the fields of struct lb_rule each one uses. */
enum lb_action {
	LB_ACT_DENY,			/* status (403, or deny_status) */
	LB_ACT_TARPIT,			/* status (500, or deny_status), after
					 * timeout tarpit */
	LB_ACT_RETURN,			/* status, a: content-type, b: string,
					 * c: file (read by the master) */
	LB_ACT_REDIRECT,		/* a: location|prefix|scheme, b: its
					 * value, status (302 or code), flags,
					 * c: set-cookie / clear-cookie */
	LB_ACT_SET_HEADER,		/* a: name, b: value (log-format) */
	LB_ACT_ADD_HEADER,		/* a: name, b: value (log-format) */
	LB_ACT_DEL_HEADER,		/* a: name */
	LB_ACT_REPLACE_HEADER,		/* a: name, b: regex, c: replacement */
	LB_ACT_REPLACE_VALUE,		/* a: name, b: regex, c: replacement */
	LB_ACT_SET_PATH,		/* b: value (log-format) */
	LB_ACT_REPLACE_PATH,		/* b: regex, c: replacement */
	LB_ACT_SET_QUERY,		/* b: value (log-format) */
	LB_ACT_SET_URI,			/* b: value (log-format) */
	LB_ACT_REPLACE_URI,		/* b: regex, c: replacement */
	LB_ACT_SET_METHOD,		/* b: value (log-format) */
	LB_ACT_SET_STATUS,		/* status, b: reason or NULL */
	LB_ACT_USE_BACKEND,		/* a: the pool */
	LB_ACT_SET_VAR,			/* a: txn.NAME, b: the expression (a
					 * fetch, str(), int()) or, with
					 * LB_SETVAR_FMT, a log-format */
	LB_ACT_UNSET_VAR,		/* a: txn.NAME */
	LB_ACT_TRACK,			/* status: N of track-scN, a: the
					 * table, b: the key (a fetch) */
	LB_ACT_SC_INC_GPC0,		/* status: N of sc-inc-gpc0(N) */
};

#define LB_TRACKERS	3		/* sc0, sc1, sc2 */

#define LB_REDIRECT_DROP_QUERY	0x1
#define LB_REDIRECT_APPEND_SLASH	0x2
#define LB_REDIRECT_CLEAR_COOKIE	0x4	/* c is clear-cookie's */
#define LB_SETVAR_FMT		0x8	/* set-var-fmt: b is a log-format */

struct lb_rule {
	struct conf_pos pos;
	/* resolved (rule_conf.c): its hit counter, numbered over every
	 * block's rules in file order, and its line as written */
	unsigned id;
	const char *text;
	char *modern;			/* an old line (rule_nsx.h): the
					 * modern one read in its place */
	size_t table;			/* resolved: track-sc's stick-table */
	enum lb_phase phase;
	enum lb_action act;
	int status;
	char *a, *b, *c;		/* as enum lb_action says; NULL unset */
	unsigned flags;
	struct lb_cond cond;		/* no terms: always */
};

/* One application-rule block. */
struct lb_rule_set {
	char name[LB_NAME_MAX];
	struct conf_pos pos;
	struct lb_acl *acls;		/* in the order they are written */
	size_t nacls;
	unsigned ngroups;
	struct lb_rule *rules;		/* in the order they are written */
	size_t nrules;
};

struct lb_rule_words;

/*
 * Parses the lines of the block blk (verbatim: one word each, conf.h)
 * into rs.  Every line that is not understood is an error at
 * FILE:LINE:COL naming the word, and parsing goes on with the next.
 * Returns the number of errors added to d.
 */
unsigned lb_rule_set_parse(struct lb_rule_set *rs,
    const struct conf_node *blk, struct conf_diag *d);
/*
 * The condition that starts at word i of w ("if" or "unless"), on a
 * line at pos: its terms into c; anonymous ACLs join rs.  Returns 0, or
 * -1 after adding an error to d.
 */
int lb_rule_cond_parse(struct lb_rule_set *rs,
    const struct lb_rule_words *w, size_t i, const struct conf_pos *pos,
    struct lb_cond *c, struct conf_diag *d);
void lb_rule_cond_free(struct lb_cond *c);
void lb_rule_set_free(struct lb_rule_set *rs);

#endif /* EDGED_LB_RULE_H */
