/*
 * tests/unit/conf/test_alloc_fail.c - the configuration language end to
 * end (edged_conf_load: lexer, parser, includes, every module's
 * directives, the checks; the printer edged_conf_to_text) with one
 * allocation failing, each in turn (alloc_fail.h).
 *
 * Each run either ends as the run without a failure ends (the same tree,
 * the same printed configuration, the same errors) or fails cleanly: no
 * configuration, and the diagnostic "out of memory".  The leaks are the
 * ASan and valgrind passes' to find.
 *
 * Every point of every file is tested, the modules' directive setters'
 * (conf_push, the firewall's word lists) included: a few hundred points
 * a file, about ten seconds under valgrind in all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc_fail.h"
#include "config.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Valid files, in tests/conf unless they start with '/': rich ones
 * (every module: lb, monitors, certificates, TLS, firewall, NAT), and
 * the include files. */
static const char *const valid_files[] = {
	TOP_DIR "/conf/examples/edged.conf",
	TOP_DIR "/conf/examples/demo.conf",
	"02-full-example.conf",
	"03-algorithms.conf",
	"04-ipv6.conf",
	"05-weights-backup.conf",
	"06-durations.conf",
	"08-quoted-strings.conf",
	"10-quoted-controls.conf",
	"12-crlf.conf",
	"14-include.conf",
	"21-monitors.conf",
	"22-stats.conf",
	"23-access-log.conf",
	"59-lifecycle.conf",
	"61-certificates.conf",
	"64-tls-profiles.conf",
	"69-firewall.conf",
};

/* Files with errors: syntax, lexical, includes, meaning, hints. */
static const char *const error_files[] = {
	"30-unknown-directive.conf",
	"32-unknown-pool.conf",
	"36-bad-addresses.conf",
	"40-unclosed-brace.conf",
	"45-newline-in-string.conf",
	"46-bad-escape.conf",
	"48-include-missing.conf",
	"49-include-errors.conf",
	"50-include-cycle.conf",
	"52-many-syntax-errors.conf",
	"53-arity.conf",
	"54-bad-names.conf",
	"56-monitor-errors.conf",
	"58-access-log-errors.conf",
	"60-lifecycle-errors.conf",
	"62-certificate-errors.conf",
	"65-tls-errors.conf",
	"70-firewall-errors.conf",
	"73-haproxy-sections.conf",
	"74-haproxy-values.conf",
	"75-knock-on.conf",
};

/* ---- helpers (none of them runs armed) ---- */

static char *
path_of(const char *file)
{
	static char buf[4096];

	if (file[0] == '/')
		snprintf(buf, sizeof(buf), "%s", file);
	else
		snprintf(buf, sizeof(buf), "%s/tests/conf/%s", TOP_DIR, file);
	return buf;
}

/* "error: out of memory", alone (the parser's, the loader's) or at the
 * place of the statement that met it (a directive's setter's). */
static bool
has_oom(const struct conf_diag *d)
{
	static const char oom[] = "error: out of memory";
	const size_t olen = sizeof(oom) - 1;

	for (size_t i = 0; i < d->nmsgs; i++) {
		const char *m = d->msgs[i];
		size_t len = strlen(m);

		if (len >= olen && strcmp(m + len - olen, oom) == 0 &&
		    (len == olen || strncmp(m + len - olen - 2, ": ", 2) == 0))
			return true;
	}
	return false;
}

static void
show(const char *what, const char *file, unsigned long n,
    const struct conf_diag *d)
{
	fprintf(stderr, "%s: %s, allocation %lu failing; diagnostics:\n",
	    file, what, n);
	conf_diag_print(d, stderr);
}

/*
 * The messages of got, without an out-of-memory failure, against those
 * of the run without one: the same count of errors, and each message
 * the one expected, but that a message may be missing (no memory to
 * keep it), shortened (no memory to find its hint) or say "(out of
 * memory)" where it would list the choices.
 */
static bool
same_errors(const struct conf_diag *got, const struct conf_diag *want)
{
	size_t j = 0;

	if (got->nerrors != want->nerrors || got->nmsgs + 1 < want->nmsgs)
		return false;
	for (size_t i = 0; i < got->nmsgs; i++, j++) {
		const char *oom = strstr(got->msgs[i], "(out of memory)");
		size_t len = oom != NULL ? (size_t)(oom - got->msgs[i]) :
		    strlen(got->msgs[i]);

		while (j < want->nmsgs &&
		    strncmp(got->msgs[i], want->msgs[j], len) != 0)
			j++;
		if (j == want->nmsgs)
			return false;
	}
	return true;
}

/* The tree as text: each statement's position, words and block. */
static void
dump_node(FILE *f, const struct conf_node *n, int depth)
{
	fprintf(f, "%*s%s:%u:%u", depth * 2, "", n->pos.file, n->pos.line,
	    n->pos.col);
	for (size_t i = 0; i < n->nargs; i++) {
		fputc(' ', f);
		conf_print_word(f, n->args[i]);
		fprintf(f, "@%u:%u", n->argpos[i].line, n->argpos[i].col);
	}
	fprintf(f, "%s\n", n->has_block ? " {" : "");
	for (size_t i = 0; i < n->nchildren; i++)
		dump_node(f, &n->children[i], depth + 1);
}

static char *
dump_tree(const struct conf_tree *t)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	dump_node(f, &t->root, 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static char *
read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	assert_true((n = ftell(f)) >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* ---- the tree (conf/: lexer, parser, includes) ---- */

/* Run n of the parse of file: the tree of the run without a failure, or
 * none and "out of memory".  Returns whether a failure was injected. */
static bool
tree_run(const char *file, unsigned long n, bool sticky, const char *want,
    const struct conf_diag *want_d)
{
	struct conf_diag d;
	struct conf_tree *t;
	char *got;
	bool fired;

	conf_diag_init(&d);
	alloc_fail_arm(n, sticky);
	t = conf_parse_file(path_of(file), NULL, &d);
	fired = alloc_fail_disarm();
	/* sticky: no memory is left to keep the message, only its count */
	if (t == NULL && !has_oom(&d) && !(sticky && d.nerrors > 0)) {
		show("no tree, and no \"out of memory\"", file, n, &d);
		fail();
	}
	if (t != NULL) {
		got = dump_tree(t);
		if (strcmp(got, want) != 0 || !same_errors(&d, want_d)) {
			show("a tree, not the expected one", file, n, &d);
			fprintf(stderr, "%s", got);
			fail();
		}
		free(got);
	}
	conf_tree_free(&t);
	conf_diag_free(&d);
	return fired;
}

static void
tree_file(const char *file)
{
	struct conf_diag d;
	struct conf_tree *t;
	char *want;
	unsigned long n, count;

	conf_diag_init(&d);
	alloc_fail_arm(0, false);
	t = conf_parse_file(path_of(file), NULL, &d);
	alloc_fail_disarm();
	count = alloc_fail_count();
	assert_non_null(t);
	want = dump_tree(t);
	/* the runs are the same up to the failure: each n <= count fails */
	for (n = 1; n <= count + 1; n++)
		if (!tree_run(file, n, false, want, &d))
			break;
	assert_int_equal(n, count + 1);
	/* from n on, every allocation fails */
	for (unsigned long k = 1; k < 40; k++)
		tree_run(file, k, true, want, &d);
	free(want);
	conf_tree_free(&t);
	conf_diag_free(&d);
}

static void
test_tree(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(valid_files); i++)
		tree_file(valid_files[i]);
	for (size_t i = 0; i < NELEM(error_files); i++)
		tree_file(error_files[i]);
}

/* ---- the whole configuration (every module) ---- */

/* Run n of loading file (text, when not NULL): the configuration of the
 * run without a failure (printed the same), or none and either "out of
 * memory" or the errors of that run. */
static bool
load_run(const char *file, const char *text, size_t len, unsigned long n,
    bool sticky, const char *want, const struct conf_diag *want_d)
{
	struct conf_diag d;
	struct edged_conf *c;
	char *got;
	size_t glen;
	bool fired;

	conf_diag_init(&d);
	alloc_fail_arm(n, sticky);
	c = edged_conf_load(path_of(file), text, len, &d);
	fired = alloc_fail_disarm();
	if (c == NULL && !has_oom(&d) && !same_errors(&d, want_d) &&
	    !(sticky && d.nerrors > 0)) {
		show("no configuration, and no \"out of memory\"", file, n,
		    &d);
		fail();
	}
	if (c != NULL) {
		if (want == NULL || d.nerrors != 0) {
			show("a configuration, not expected", file, n, &d);
			fail();
		}
		got = edged_conf_to_text(c, &glen);
		assert_non_null(got);
		assert_string_equal(got, want);
		free(got);
	}
	edged_conf_free(&c);
	conf_diag_free(&d);
	return fired;
}

static void
load_file(const char *file, bool in_memory)
{
	struct conf_diag d;
	struct edged_conf *c;
	char *text = NULL, *want = NULL;
	size_t len = 0, wlen;
	unsigned long n, count;

	if (in_memory)
		text = read_text(path_of(file), &len);
	conf_diag_init(&d);
	alloc_fail_arm(0, false);
	c = edged_conf_load(path_of(file), text, len, &d);
	alloc_fail_disarm();
	count = alloc_fail_count();
	print_message("%s: %lu allocation points\n", file, count);
	if (c != NULL)
		assert_non_null(want = edged_conf_to_text(c, &wlen));
	edged_conf_free(&c);
	for (n = 1; n <= count + 1; n++)
		if (!load_run(file, text, len, n, false, want, &d))
			break;
	assert_int_equal(n, count + 1);
	for (unsigned long k = 1; k < 40; k++)
		load_run(file, text, len, k, true, want, &d);
	free(want);
	free(text);
	conf_diag_free(&d);
}

static void
test_load(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(valid_files); i++)
		load_file(valid_files[i], false);
	/* as the fuzz target and a reload from memory load it */
	load_file(valid_files[0], true);
}

static void
test_load_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(error_files); i++)
		load_file(error_files[i], false);
}

/* ---- the printer ---- */

static void
test_print(void **state)
{
	struct conf_diag d;
	struct edged_conf *c;
	char *want, *got;
	size_t wlen, glen;
	unsigned long n;
	bool fired = true;

	(void)state;
	conf_diag_init(&d);
	c = edged_conf_load(path_of(valid_files[0]), NULL, 0, &d);
	assert_non_null(c);
	assert_non_null(want = edged_conf_to_text(c, &wlen));
	for (n = 1; fired; n++) {
		alloc_fail_arm(n, false);
		got = edged_conf_to_text(c, &glen);
		fired = alloc_fail_disarm();
		if (got != NULL) {
			assert_int_equal(glen, wlen);
			assert_string_equal(got, want);
		} else
			assert_true(fired);
		free(got);
	}
	print_message("printer: %lu allocation points\n", n - 2);
	free(want);
	edged_conf_free(&c);
	conf_diag_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
