/*
 * conf/apply.c - hands the statements of a block to a table of directives.
 *
 * The checks every directive shares (is it known, how many words, block
 * or not) are made here, so that a row's setter only reads its values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "mem.h"

static const struct conf_directive *
find_row(const struct conf_directive *table, size_t ntable, const char *name)
{
	for (size_t i = 0; i < ntable; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

static void
report_unknown(struct conf_diag *d, const struct conf_node *n,
    const char *context, const struct conf_directive *table, size_t ntable)
{
	const char **names;
	char hint[256] = "";

	/* An exact HAProxy word is no typo: its translation wins. */
	if (conf_haproxy_directive(n, context, hint, sizeof(hint)) == NULL &&
	    (names = calloc(ntable + 1, sizeof(*names))) != NULL) {
		for (size_t i = 0; i < ntable; i++)
			names[i] = table[i].name;
		conf_hint(n->args[0], names, ntable, hint, sizeof(hint));
		free(names);
	}
	conf_error(d, &n->pos, "unknown directive '%s' in %s%s", n->args[0],
	    context, hint);
}

/* "2 arguments", "1 to 3 arguments", "at least 1 argument", ... */
static void
describe_arity(char *buf, size_t size, const struct conf_directive *row)
{
	unsigned lo = row->min_args, hi = row->max_args;
	const char *plural = (hi == CONF_ARGS_ANY ? lo : hi) == 1 ? "" : "s";

	if (hi == 0)
		snprintf(buf, size, "no arguments");
	else if (hi == CONF_ARGS_ANY)
		snprintf(buf, size, "at least %u argument%s", lo, plural);
	else if (lo == hi)
		snprintf(buf, size, "%u argument%s", lo, plural);
	else
		snprintf(buf, size, "%u to %u arguments", lo, hi);
}

/* Returns 0 when the number of words fits the row, else reports. */
static int
check_arity(struct conf_diag *d, const struct conf_node *n,
    const struct conf_directive *row)
{
	size_t got = n->nargs - 1;
	const struct conf_pos *pos = &n->pos;
	char want[64];

	if (got >= row->min_args &&
	    (row->max_args == CONF_ARGS_ANY || got <= row->max_args))
		return 0;
	/* Too many: point at the first word that is too much. */
	if (got > row->min_args)
		pos = &n->argpos[row->max_args + 1];
	describe_arity(want, sizeof(want), row);
	conf_error(d, pos, "directive '%s' takes %s, got %zu%s%s", row->name,
	    want, got, row->usage != NULL ? "; usage: " : "",
	    row->usage != NULL ? row->usage : "");
	return -1;
}

static int
check_block(struct conf_diag *d, const struct conf_node *n,
    const struct conf_directive *row)
{
	if (row->block == CONF_NEEDS_BLOCK && !n->has_block) {
		conf_error(d, &n->pos, "directive '%s' needs a block { ... }",
		    row->name);
		return -1;
	}
	if (row->block == CONF_NO_BLOCK && n->has_block) {
		conf_error(d, &n->pos, "directive '%s' takes no block",
		    row->name);
		return -1;
	}
	return 0;
}

static void
apply_one(struct conf_diag *d, const struct conf_node *n,
    const char *context, const struct conf_directive *table, size_t ntable,
    void *obj)
{
	const struct conf_directive *row;
	unsigned before = d->nerrors;
	int bad;

	if ((row = find_row(table, ntable, n->args[0])) == NULL) {
		report_unknown(d, n, context, table, ntable);
		return;
	}
	bad = check_arity(d, n, row);
	bad |= check_block(d, n, row);
	if (bad != 0 || row->set(d, n, obj) == 0)
		return;
	/* The setter's contract: -1 comes with an error.  Keep the count
	 * honest if a setter forgets, so the caller never applies a bad
	 * configuration. */
	if (d->nerrors == before)
		conf_error(d, &n->pos, "directive '%s' failed (its setter "
		    "reported no reason)", row->name);
}

unsigned
conf_apply(struct conf_diag *d, const struct conf_node *block,
    const char *context, const struct conf_directive *table, size_t ntable,
    void *obj)
{
	unsigned before = d->nerrors;

	for (size_t i = 0; i < block->nchildren; i++)
		apply_one(d, &block->children[i], context, table, ntable, obj);
	return d->nerrors - before;
}

/* Whether a statement of block starts with name. */
static bool
block_has(const struct conf_node *block, const char *name)
{
	for (size_t i = 0; i < block->nchildren; i++)
		if (strcmp(block->children[i].args[0], name) == 0)
			return true;
	return false;
}

unsigned
conf_require(struct conf_diag *d, const struct conf_node *n,
    const char *what, const char *const *names)
{
	const struct conf_pos *pos = n->nargs > 1 ? &n->argpos[1] : &n->pos;
	unsigned errors = 0;

	for (size_t i = 0; names[i] != NULL; i++) {
		if (block_has(n, names[i]))
			continue;
		conf_error(d, pos, "%s has no '%s'", what, names[i]);
		errors++;
	}
	return errors;
}

void *
conf_push(void *arr, size_t *n, size_t sz)
{
	char *p;

	/* full when *n is a power of two (or 0): see conf.h */
	if ((*n & (*n - 1)) == 0 && mem_resize(arr, *n ? *n * 2 : 1, sz) == -1)
		return NULL;
	memcpy(&p, arr, sizeof(p));
	memset(p + *n * sz, 0, sz);
	return p + (*n)++ * sz;
}
