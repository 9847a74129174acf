/*
 * lb/rule_conf.h - application rules in the configuration (issue 16):
 * the application-rule block, a virtual server's `rules`, their checks,
 * their printer, the pattern files the master reads for them, and the
 * compiled rules of a virtual server.
 *
 *	application-rule api-routing {
 *	    acl is_api path_beg /api/
 *	    use_backend api if is_api
 *	}
 *	virtual-server www {
 *	    ...
 *	    rules api-routing [NAME...]
 *	}
 *
 * The block's lines are HAProxy's, kept as written (the parser reads
 * the block verbatim, conf.h): edged -T prints them back unchanged.
 */
#ifndef EDGED_LB_RULE_CONF_H
#define EDGED_LB_RULE_CONF_H

#include "lb.h"
#include "rule.h"
#include "rule_run.h"

/* An application-rule block.  set comes first: its name is the block's,
 * the first field, as lb_conf_ref wants. */
struct lb_rule_block {
	struct lb_rule_set set;
	char **lines;			/* as written, without the blanks
					 * around them */
	struct conf_pos *line_pos;
	size_t nlines;
};

/* `application-rule NAME { LINES }` (top level; obj: struct lb_conf). */
int lb_rule_block_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
/* `rules NAME...` in a virtual server (obj: struct lb_vs_conf). */
int lb_vs_rules(struct conf_diag *d, const struct conf_node *n, void *obj);
/* After every statement: the names `rules` gives exist, the profile
 * speaks HTTP, use_backend's pools exist; the pattern files are listed
 * (c->rule_files).  Returns the number of errors. */
unsigned lb_rules_conf_resolve(struct lb_conf *c, struct conf_diag *d);
/*
 * The name rule k of block b counts under (shm.h), into out (size
 * bytes): its text hashed, and how many rules of the block before it
 * have the same text.  A rule keeps its counter across reloads for as
 * long as its text (and its rank among equal lines) stays.
 */
void lb_rule_key(const struct lb_rule_block *b, size_t k, char *out,
    size_t size);
/* Rule k's line in block b: 1 for the line after the '{'. */
unsigned lb_rule_line(const struct lb_rule_block *b, size_t k);
void lb_rule_block_print(const struct lb_rule_block *b, FILE *out);
void lb_vs_rules_print(const struct lb_vs_conf *vs, FILE *out);
void lb_rule_blocks_release(struct lb_conf *c);

/* The files the rules name (-f pattern files, return ... file bodies) as
 * the master read them: [c->nrule_files], in the
 * order of c->rule_files; one that could not be read has text NULL. */
struct lb_rule_files {
	struct lb_rule_file *v;
	size_t n;
};

/* Reads c's pattern files (errors at the acl that names each) into out,
 * to be released with lb_rule_files_release even after errors.  Returns
 * the number of errors. */
unsigned lb_rule_files_load(const struct lb_conf *c, struct conf_diag *d,
    struct lb_rule_files *out);
/* Frees the texts (each allocated by who filled f) and the array. */
void lb_rule_files_release(struct lb_rule_files *f);
/* Compiles every block once, alone, and drops the result: what the
 * compiler refuses (a regex, a pattern) is an error of the file, not of
 * a worker.  Returns the number of errors. */
unsigned lb_rules_conf_check(const struct lb_conf *c,
    const struct lb_rule_files *f, struct conf_diag *d);
/* The rules of virtual server vs compiled for the data path (NULL when
 * it has none, or after an error in d). */
struct lb_rules *lb_rules_of_vs(const struct lb_conf *c,
    const struct lb_vs_conf *vs, const struct lb_rule_files *f,
    struct conf_diag *d);

#endif /* EDGED_LB_RULE_CONF_H */
