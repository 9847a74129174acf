/*
 * tests/fuzz/fuzz_conf.c - the configuration language end to end.
 *
 * The input is the text of a configuration file: lexer, parser, every
 * module's directives and the checks that follow (edged_conf_load).
 * What loads is printed, and the printed text must load again and print
 * to the same bytes (`edged -T`'s promise; but for the comments that
 * stand for passwords, which are never printed): anything else aborts.
 * What the modules compile it to (`edged -n`: nftables, FRR) is written
 * too, to /dev/null.  The
 * same text is also parsed with a verbatim block keyword (conf.h), whose
 * lines must each be bytes of the input, found where their position says.
 *
 * `include` must not read the machine's files (an include of /dev/zero
 * would never end, one of /proc a different file each time, and one of
 * the build directory's edged a text whose lines are not the input's):
 * glob() is wrapped (-Wl,--wrap=glob, and glob64, which glob() is with
 * 64-bit file offsets) to match nothing, so every include is one that
 * names no file.
 */
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int __wrap_glob(const char *pattern, int flags,
    int (*errfunc)(const char *, int), glob_t *g);
int __wrap_glob64(const char *pattern, int flags,
    int (*errfunc)(const char *, int), glob64_t *g);

int
__wrap_glob(const char *pattern, int flags,
    int (*errfunc)(const char *, int), glob_t *g)
{
	(void)pattern;
	(void)flags;
	(void)errfunc;
	memset(g, 0, sizeof(*g));
	return GLOB_NOMATCH;
}

int
__wrap_glob64(const char *pattern, int flags,
    int (*errfunc)(const char *, int), glob64_t *g)
{
	(void)pattern;
	(void)flags;
	(void)errfunc;
	memset(g, 0, sizeof(*g));
	return GLOB_NOMATCH;
}

static void
fail(const char *what, const struct conf_diag *d, const char *text,
    size_t len)
{
	fprintf(stderr, "fuzz_conf: %s\n", what);
	if (d != NULL)
		conf_diag_print(d, stderr);
	if (text != NULL)
		fprintf(stderr, "--- printed ---\n%.*s--- end ---\n",
		    (int)len, text);
	abort();
}

/* Loads text; NULL if it has errors.  Frees nothing of the caller's. */
static struct edged_conf *
load(const char *name, const char *text, size_t len, struct conf_diag *d)
{
	conf_diag_init(d);
	return edged_conf_load(name, text, len, d);
}

/* The printed form of a valid configuration parses again to itself
 * (secrets in it as <hidden>: the worker's text). */
static void
round_trip(const struct edged_conf *c)
{
	struct conf_diag d;
	struct edged_conf *again;
	char *first, *second;
	size_t n1, n2;

	if ((first = edged_conf_to_text(c, &n1)) == NULL)
		fail("out of memory printing", NULL, NULL, 0);
	if ((again = load("printed.conf", first, n1, &d)) == NULL)
		fail("the printed configuration does not load", &d, first,
		    n1);
	if ((second = edged_conf_to_text(again, &n2)) == NULL)
		fail("out of memory printing", NULL, NULL, 0);
	if (n1 != n2 || memcmp(first, second, n1) != 0) {
		fprintf(stderr, "--- first ---\n%.*s", (int)n1, first);
		fail("printing the printed configuration changes it", NULL,
		    second, n2);
	}
	free(second);
	edged_conf_free(&again);
	conf_diag_free(&d);
	free(first);
}

/* Every line of every verbatim block is the input's, at its position. */
static void
check_verbatim(const struct conf_node *n, const char *text, size_t len)
{
	for (size_t i = 0; i < n->nchildren; i++) {
		const struct conf_node *k = &n->children[i];
		size_t off = 0;

		check_verbatim(k, text, len);
		if (n->nargs == 0 || strcmp(n->args[0], "v") != 0)
			continue;
		if (k->nargs != 1 || k->args[0][0] == '\0')
			fail("a verbatim line is not one word", NULL, NULL, 0);
		for (unsigned line = 1; line < k->pos.line && off < len;
		    off++)
			line += text[off] == '\n';
		off += k->pos.col - 1;
		if (off > len || len - off < strlen(k->args[0]) ||
		    memcmp(text + off, k->args[0], strlen(k->args[0])) != 0)
			fail("a verbatim line is not where it says", NULL,
			    NULL, 0);
	}
}

static void
parse_verbatim(const char *text, size_t len)
{
	static const char *const verbatim[] = { "v", NULL };
	struct conf_diag d;
	struct conf_tree *t;

	conf_diag_init(&d);
	if ((t = conf_parse_string("fuzz.conf", text, len, verbatim,
	    &d)) != NULL)
		check_verbatim(&t->root, text, len);
	conf_tree_free(&t);
	conf_diag_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_diag d;
	struct edged_conf *c;

	c = load("fuzz.conf", (const char *)data, size, &d);
	if (c != NULL) {
		FILE *null = fopen("/dev/null", "w");

		round_trip(c);
		if (null != NULL) {
			edged_conf_print_compiled(c, null);
			fclose(null);
		}
	}
	edged_conf_free(&c);
	conf_diag_free(&d);
	parse_verbatim((const char *)data, size);
	return 0;
}
