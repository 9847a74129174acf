/*
 * lb/rule_prog.h - an application rule program as rule_compile.c makes
 * it and rule_run.c runs it: private to those two (the others see
 * struct lb_rules through rule_run.h only).
 */
#ifndef EDGED_LB_RULE_PROG_H
#define EDGED_LB_RULE_PROG_H

#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>

#include "rule.h"
#include "rule_conv.h"
#include "rule_pattern.h"

#define VALUE_MAX	1024		/* a value built from %[...] */

/* A piece of a value: literal bytes, or what a fetch finds. */
struct piece {
	const char *text;		/* literal: into the rule's words */
	size_t len;
	bool fetch;
	enum lb_sample what;
	char arg[LB_NAME_MAX];
	size_t var;			/* var(): its slot */
	struct lb_conv_chain *conv;	/* ",lower..." after the fetch */
};

struct format {
	struct piece *p;
	size_t n;
	bool literal_ok;		/* one literal piece, shorter than
					 * VALUE_MAX, a header value
					 * lb_edit_value_ok passes: used as
					 * it is, not built nor checked again */
};

/* One acl line compiled. */
struct racl {
	const struct lb_acl *src;
	struct lb_patset *set;		/* NULL: found, bool, always, never */
	size_t var;			/* var(): its slot */
	struct lb_conv_chain *conv;	/* the criterion's converters */
};

/* One rule compiled. */
struct rrule {
	const struct lb_rule *src;
	unsigned gbase;			/* its set's first group */
	struct format value;		/* b, for actions that take a value */
	pcre2_code *re;			/* b, for replace-* */
	int pool;			/* use_backend */
	char *body;			/* return ... file: its text, ours */
	size_t body_len;
	size_t var;			/* set-var, unset-var: the slot */
	size_t alen;			/* strlen(src->a), a header's name */
	bool reads_head;		/* its action reads the head through
					 * the index (not only its edit) */
};

struct lb_rules {
	struct racl *acls;		/* sorted by group */
	size_t nacls;
	size_t *gfirst;			/* [ngroups + 1]: group g's acls are
					 * acls[gfirst[g] .. gfirst[g + 1]) */
	unsigned ngroups;
	struct rrule *rules;
	size_t nrules;
	uint32_t *order;		/* [nrules]: the rules by phase, each
					 * phase's in their order */
	size_t phase_first[LB_PHASE_BACKEND + 2];	/* phase ph's are
					 * order[phase_first[ph] ..
					 * phase_first[ph + 1]) */
	bool need_dst;			/* some rule reads dst or dst_port */
	bool tracks;			/* some rule tracks or reads sc_* */
	char (*vars)[LB_NAME_MAX];	/* the variables' names, by slot */
	size_t nvars;
};

#endif /* EDGED_LB_RULE_PROG_H */
