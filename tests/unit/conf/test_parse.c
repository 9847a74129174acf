/*
 * tests/unit/conf/test_parse.c - statements and blocks, parse errors and
 * their positions, includes, and conf_apply's checks.
 */
#include <sys/stat.h>

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"

#define NWANT(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

/* The diag holds exactly the lines in want. */
static void
check_errors(const struct conf_diag *d, const char *const *want, size_t n)
{
	bool same = d->nerrors == n && d->nmsgs == n;

	for (size_t i = 0; same && i < n; i++)
		same = strcmp(d->msgs[i], want[i]) == 0;
	if (same)
		return;
	fprintf(stderr, "got:\n");
	conf_diag_print(d, stderr);
	fprintf(stderr, "want:\n");
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s\n", want[i]);
	fail_msg("the errors are not the ones expected");
}

static struct conf_tree *
parse(const char *text, struct conf_diag *d)
{
	struct conf_tree *t;

	conf_diag_init(d);
	t = conf_parse_string("t.conf", text, strlen(text), NULL, d);
	assert_non_null(t);
	return t;
}

static void
check_node(const struct conf_node *n, const char *args, unsigned line,
    unsigned col)
{
	char joined[256] = "";
	size_t off = 0;

	for (size_t i = 0; i < n->nargs; i++)
		off += (size_t)snprintf(joined + off, sizeof(joined) - off,
		    "%s%s", i != 0 ? "|" : "", n->args[i]);
	assert_string_equal(joined, args);
	assert_int_equal(n->pos.line, line);
	assert_int_equal(n->pos.col, col);
	assert_ptr_equal(n->pos.file, n->argpos[0].file);
	assert_int_equal(n->argpos[0].line, line);
	assert_int_equal(n->argpos[0].col, col);
}

static const char *const rules_verbatim[] = { "application-rule", NULL };

static struct conf_tree *
parse_verbatim(const char *text, struct conf_diag *d)
{
	struct conf_tree *t;

	conf_diag_init(d);
	t = conf_parse_string("t.conf", text, strlen(text), rules_verbatim, d);
	assert_non_null(t);
	return t;
}

/* A scratch directory under /tmp, removed by rm_tree. */
struct scratch {
	char dir[64];
};

static void
scratch_make(struct scratch *s)
{
	snprintf(s->dir, sizeof(s->dir), "/tmp/edged-conf-test-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
}

static void
write_file(const struct scratch *s, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", s->dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
make_subdir(const struct scratch *s, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", s->dir, name);
	assert_int_equal(mkdir(path, 0700), 0);
}

static void
scratch_remove(struct scratch *s)
{
	char cmd[128];

	/* The name is ours, made by mkdtemp: no quoting issues. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	assert_int_equal(system(cmd), 0);
}

/* ---- statements and blocks ---- */

static void
test_tree_shape(void **state)
{
	static const char text[] =
	    "workers 4\n"
	    "pool web {\n"
	    "\talgorithm round-robin; member a 10.0.0.1:80\n"
	    "\tmember b \"10.0.0.2:80\" weight 2\n"
	    "\thealth { interval 5s }\n"
	    "}\n"
	    "virtual-server v { } listen *:80\n"
	    "\n"
	    ";;  ; # nothing\n"
	    "last\n";
	const struct conf_node *pool, *health;
	struct conf_tree *t;
	struct conf_diag d;

	(void)state;
	t = parse(text, &d);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(t->root.nargs, 0);
	assert_int_equal(t->root.nchildren, 5);
	check_node(&t->root.children[0], "workers|4", 1, 1);
	check_node(&t->root.children[1], "pool|web", 2, 1);
	check_node(&t->root.children[2], "virtual-server|v", 7, 1);
	check_node(&t->root.children[3], "listen|*:80", 7, 22);
	check_node(&t->root.children[4], "last", 10, 1);
	assert_false(t->root.children[0].has_block);
	assert_true(t->root.children[2].has_block);
	assert_int_equal(t->root.children[2].nchildren, 0);

	pool = &t->root.children[1];
	assert_true(pool->has_block);
	assert_int_equal(pool->nchildren, 4);
	check_node(&pool->children[0], "algorithm|round-robin", 3, 2);
	check_node(&pool->children[1], "member|a|10.0.0.1:80", 3, 25);
	check_node(&pool->children[2], "member|b|10.0.0.2:80|weight|2", 4, 2);
	assert_int_equal(pool->children[2].argpos[2].line, 4);
	assert_int_equal(pool->children[2].argpos[2].col, 11);
	assert_int_equal(pool->children[2].argpos[3].col, 25);

	health = &pool->children[3];
	check_node(health, "health", 5, 2);
	assert_true(health->has_block);
	assert_int_equal(health->nchildren, 1);
	check_node(&health->children[0], "interval|5s", 5, 11);

	assert_int_equal(t->nfiles, 1);
	assert_string_equal(t->files[0], "t.conf");
	assert_ptr_equal(health->children[0].pos.file, t->files[0]);

	conf_tree_free(&t);
	assert_null(t);
	conf_tree_free(&t);
	conf_diag_free(&d);
}

static void
test_errors_continue(void **state)
{
	static const char text[] =
	    "{ x }\n"
	    "pool a {\n"
	    "  member m\n"
	    "}\n"
	    "}\n"
	    "pool b\n"
	    "{\n"
	    "}\n"
	    "listen \"bad\\q\"\n"
	    "pool c {\n"
	    "  pool d {\n"
	    "  member x\n";
	static const char *const errs[] = {
		"t.conf:1:1: error: '{' without a directive before it (a "
		    "block opens on the line of its directive)",
		"t.conf:5:1: error: '}' without a matching '{'",
		"t.conf:7:1: error: '{' without a directive before it (a "
		    "block opens on the line of its directive)",
		"t.conf:9:12: error: unknown escape '\\q' in quoted string",
		"t.conf:11:10: error: block opened here is never closed",
		"t.conf:10:8: error: block opened here is never closed",
	};
	struct conf_tree *t;
	struct conf_diag d;

	(void)state;
	t = parse(text, &d);
	check_errors(&d, errs, NWANT(errs));
	/* What could be read is still there. */
	assert_int_equal(t->root.nchildren, 4);
	check_node(&t->root.children[0], "pool|a", 2, 1);
	check_node(&t->root.children[0].children[0], "member|m", 3, 3);
	check_node(&t->root.children[1], "pool|b", 6, 1);
	check_node(&t->root.children[2], "listen|bad", 9, 1);
	check_node(&t->root.children[3], "pool|c", 10, 1);
	check_node(&t->root.children[3].children[0].children[0],
	    "member|x", 12, 3);
	conf_tree_free(&t);
	conf_diag_free(&d);
}

static void
test_empty_and_diag(void **state)
{
	struct conf_tree *t;
	struct conf_diag d;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	t = parse("", &d);
	assert_int_equal(t->root.nchildren, 0);
	assert_int_equal(d.nerrors, 0);
	conf_tree_free(&t);
	conf_diag_free(&d);

	t = parse("\"a\nb", &d);
	/* No position: the message stands alone.  Control bytes in a
	 * message are escaped so that one error stays one line. */
	conf_error(&d, NULL, "cannot do %s", "it");
	conf_error(&d, &t->root.children[0].pos, "bad '%s'",
	    t->root.children[0].args[0]);
	assert_int_equal(d.nerrors, 3);
	assert_non_null(f = open_memstream(&buf, &len));
	conf_diag_print(&d, f);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf,
	    "t.conf:1:3: error: newline inside quoted string started at 1:1\n"
	    "error: cannot do it\n"
	    "t.conf:1:1: error: bad 'a'\n");
	free(buf);
	conf_error(&d, &(struct conf_pos){ "x.conf", 3, 4 }, "tab\there");
	assert_string_equal(d.msgs[3], "x.conf:3:4: error: tab\\x09here");
	conf_diag_free(&d);
	assert_int_equal(d.nerrors, 0);
	assert_null(d.msgs);
	conf_tree_free(&t);
}

static void
test_parse_file_missing(void **state)
{
	static const char *const errs[] = {
		"error: cannot read '/nonexistent/edged.conf': No such file "
		    "or directory",
	};
	struct conf_tree *t;
	struct conf_diag d;

	(void)state;
	conf_diag_init(&d);
	t = conf_parse_file("/nonexistent/edged.conf", NULL, &d);
	assert_non_null(t);
	check_errors(&d, errs, NWANT(errs));
	assert_int_equal(t->root.nchildren, 0);
	conf_tree_free(&t);
	conf_diag_free(&d);
}

/* ---- includes ---- */

static void
check_file(const struct conf_node *n, const struct scratch *s,
    const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", s->dir, name);
	assert_string_equal(n->pos.file, path);
}

static void
test_include_glob(void **state)
{
	const struct conf_node *pool;
	struct conf_tree *t;
	struct conf_diag d;
	struct scratch s;
	char path[PATH_MAX];

	(void)state;
	scratch_make(&s);
	make_subdir(&s, "conf.d");
	write_file(&s, "main.conf", "workers 2\n"
	    "include \"conf.d/*.conf\"\n"
	    "pool web {\n"
	    "\tinclude members.inc; weight 1\n"
	    "}\n"
	    "include \"conf.d/*.none\"\n"
	    "last\n");
	write_file(&s, "conf.d/b.conf", "b1\nb2\n");
	write_file(&s, "conf.d/a.conf", "a1 { x }\n");
	write_file(&s, "conf.d/c.txt", "ignored\n");
	write_file(&s, "members.inc", "member m1 10.0.0.1:80\n"
	    "member m2 10.0.0.2:80\n");
	snprintf(path, sizeof(path), "%s/main.conf", s.dir);
	conf_diag_init(&d);
	assert_non_null(t = conf_parse_file(path, NULL, &d));
	check_errors(&d, NULL, 0);

	assert_int_equal(t->root.nchildren, 6);
	check_node(&t->root.children[0], "workers|2", 1, 1);
	check_node(&t->root.children[1], "a1", 1, 1);
	check_file(&t->root.children[1], &s, "conf.d/a.conf");
	check_node(&t->root.children[1].children[0], "x", 1, 6);
	check_node(&t->root.children[2], "b1", 1, 1);
	check_node(&t->root.children[3], "b2", 2, 1);
	check_file(&t->root.children[3], &s, "conf.d/b.conf");
	check_node(&t->root.children[4], "pool|web", 3, 1);
	check_node(&t->root.children[5], "last", 7, 1);
	check_file(&t->root.children[5], &s, "main.conf");

	pool = &t->root.children[4];
	assert_int_equal(pool->nchildren, 3);
	check_node(&pool->children[0], "member|m1|10.0.0.1:80", 1, 1);
	check_node(&pool->children[1], "member|m2|10.0.0.2:80", 2, 1);
	check_file(&pool->children[1], &s, "members.inc");
	check_node(&pool->children[2], "weight|1", 4, 23);
	assert_int_equal(t->nfiles, 4);

	conf_tree_free(&t);
	conf_diag_free(&d);
	scratch_remove(&s);
}

static void
test_include_errors(void **state)
{
	struct conf_tree *t;
	struct conf_diag d;
	struct scratch s;
	char path[PATH_MAX], e[5][512];
	const char *errs[6];

	(void)state;
	scratch_make(&s);
	write_file(&s, "main.conf",
	    "include \"missing.conf\"\n"
	    "include\n"
	    "include a b\n"
	    "include \"self.conf\" { }\n"
	    "include \"self.conf\"\n"
	    "include \"broken.conf\"\n"
	    "include \"stray.conf\"\n"
	    "after\n");
	write_file(&s, "self.conf", "include \"self.conf\"\nok\n");
	write_file(&s, "broken.conf", "x {\n");
	write_file(&s, "stray.conf", "}\ny\n");
	snprintf(e[0], sizeof(e[0]), "%s/main.conf:1:9: error: include: no "
	    "such file '%s/missing.conf'", s.dir, s.dir);
	errs[0] = e[0];
	snprintf(e[1], sizeof(e[1]), "%s/main.conf:2:1: error: directive "
	    "'include' takes 1 argument, got 0; usage: include \"PATTERN\"",
	    s.dir);
	errs[1] = e[1];
	snprintf(e[2], sizeof(e[2]), "%s/main.conf:3:1: error: directive "
	    "'include' takes 1 argument, got 2; usage: include \"PATTERN\"",
	    s.dir);
	errs[2] = e[2];
	snprintf(e[3], sizeof(e[3]), "%s/main.conf:4:1: error: directive "
	    "'include' takes no block", s.dir);
	errs[3] = e[3];
	snprintf(e[4], sizeof(e[4]), "%s/self.conf:1:9: error: include: "
	    "'%s/self.conf' is already being read (include cycle)", s.dir,
	    s.dir);
	errs[4] = e[4];
	errs[5] = NULL;
	snprintf(path, sizeof(path), "%s/main.conf", s.dir);
	conf_diag_init(&d);
	assert_non_null(t = conf_parse_file(path, NULL, &d));
	assert_int_equal(d.nerrors, 7);
	check_errors(&(struct conf_diag){ .msgs = d.msgs, .nmsgs = 5,
	    .cap = 5, .nerrors = 5 }, errs, 5);
	snprintf(e[0], sizeof(e[0]), "%s/broken.conf:1:3: error: block "
	    "opened here is never closed", s.dir);
	assert_string_equal(d.msgs[5], e[0]);
	snprintf(e[0], sizeof(e[0]), "%s/stray.conf:1:1: error: '}' without "
	    "a matching '{'", s.dir);
	assert_string_equal(d.msgs[6], e[0]);

	assert_int_equal(t->root.nchildren, 4);
	check_node(&t->root.children[0], "ok", 2, 1);
	check_node(&t->root.children[1], "x", 1, 1);
	check_node(&t->root.children[2], "y", 2, 1);
	check_node(&t->root.children[3], "after", 8, 1);
	conf_tree_free(&t);
	conf_diag_free(&d);
	scratch_remove(&s);
}

/* f0.conf includes f1.conf ... f(last-1).conf includes f(last).conf. */
static void
write_chain(const struct scratch *s, int last)
{
	char name[32], text[64];

	for (int k = 0; k <= last; k++) {
		snprintf(name, sizeof(name), "f%d.conf", k);
		if (k < last)
			snprintf(text, sizeof(text), "include \"f%d.conf\"\n"
			    "level%d\n", k + 1, k);
		else
			snprintf(text, sizeof(text), "level%d\n", k);
		write_file(s, name, text);
	}
}

static void
test_include_depth(void **state)
{
	struct conf_tree *t;
	struct conf_diag d;
	struct scratch s;
	char path[PATH_MAX], err[512];

	(void)state;
	scratch_make(&s);
	write_chain(&s, 17);

	/* f1 .. f17: sixteen includes deep, the most allowed */
	snprintf(path, sizeof(path), "%s/f1.conf", s.dir);
	conf_diag_init(&d);
	assert_non_null(t = conf_parse_file(path, NULL, &d));
	check_errors(&d, NULL, 0);
	assert_int_equal(t->root.nchildren, 17);
	check_node(&t->root.children[0], "level17", 1, 1);
	check_node(&t->root.children[16], "level1", 2, 1);
	conf_tree_free(&t);
	conf_diag_free(&d);

	/* f0 .. f17: one too many */
	snprintf(path, sizeof(path), "%s/f0.conf", s.dir);
	snprintf(err, sizeof(err), "%s/f16.conf:1:9: error: include: nested "
	    "more than 16 deep", s.dir);
	conf_diag_init(&d);
	assert_non_null(t = conf_parse_file(path, NULL, &d));
	check_errors(&d, (const char *const[]){ err }, 1);
	assert_int_equal(t->root.nchildren, 17);
	check_node(&t->root.children[0], "level16", 2, 1);
	conf_tree_free(&t);
	conf_diag_free(&d);
	scratch_remove(&s);
}

static void
test_include_from_string(void **state)
{
	static const char *const errs[] = {
		"inline:2:9: error: include: no such file 'nope.conf'",
	};
	struct conf_tree *t;
	struct conf_diag d;
	struct scratch s;
	char text[256], cwd[PATH_MAX];

	(void)state;
	scratch_make(&s);
	write_file(&s, "rel.conf", "from-rel\n");
	write_file(&s, "abs.conf", "from-abs\n");
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(s.dir), 0);
	snprintf(text, sizeof(text), "include \"%s/abs.conf\"\n"
	    "include nope.conf\ninclude rel.conf\n", s.dir);
	conf_diag_init(&d);
	t = conf_parse_string("inline", text, strlen(text), NULL, &d);
	assert_int_equal(chdir(cwd), 0);
	assert_non_null(t);
	check_errors(&d, errs, NWANT(errs));
	assert_int_equal(t->root.nchildren, 2);
	check_node(&t->root.children[0], "from-abs", 1, 1);
	check_node(&t->root.children[1], "from-rel", 1, 1);
	assert_string_equal(t->root.children[1].pos.file, "rel.conf");
	conf_tree_free(&t);
	conf_diag_free(&d);
	scratch_remove(&s);
}

/* ---- conf_apply ---- */

struct sample {
	uint64_t workers;
	uint64_t weight;
	unsigned pools;
	unsigned calls;
};

static int
set_count(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	(void)d;
	(void)n;
	((struct sample *)obj)->calls++;
	return 0;
}

static int
set_workers(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct sample *o = obj;

	return conf_get_uint(d, n, 1, 1, 256, &o->workers);
}

static int
set_weight(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct sample *o = obj;

	return conf_get_uint(d, n, 1, 1, 256, &o->weight);
}

static int
set_silent_failure(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	(void)d;
	(void)n;
	(void)obj;
	return -1;
}

static const struct conf_directive pool_rows[] = {
	{ "algorithm", 1, 1, CONF_NO_BLOCK, set_count, "algorithm NAME" },
	{ "weight", 1, 1, CONF_NO_BLOCK, set_weight, "weight N" },
	{ "range", 1, 3, CONF_NO_BLOCK, set_count, "range A [B [C]]" },
	{ "flag", 0, 0, CONF_NO_BLOCK, set_count, "flag" },
	{ "members", 0, CONF_ARGS_ANY, CONF_NO_BLOCK, set_count, NULL },
};

static int
set_pool(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	char ctx[80];

	((struct sample *)obj)->pools++;
	snprintf(ctx, sizeof(ctx), "pool %s", n->args[1]);
	return conf_apply(d, n, ctx, pool_rows, NWANT(pool_rows), obj) ?
	    -1 : 0;
}

static const struct conf_directive top_rows[] = {
	{ "workers", 1, 1, CONF_NO_BLOCK, set_workers, "workers N" },
	{ "pool", 1, 1, CONF_NEEDS_BLOCK, set_pool, "pool NAME { ... }" },
	{ "timeout", 2, 2, CONF_NO_BLOCK, set_count,
	    "timeout connect|client|server|http-request|keep-alive DURATION" },
	{ "listen", 1, CONF_ARGS_ANY, CONF_NO_BLOCK, set_count, NULL },
	{ "broken", 0, 0, CONF_NO_BLOCK, set_silent_failure, NULL },
};

static void
test_apply(void **state)
{
	static const char text[] =
	    "workers 4\n"
	    "workrs 4\n"
	    "frobnicate\n"
	    "timeout connect\n"
	    "timeout connect 5s extra more\n"
	    "pool web\n"
	    "workers 2 { }\n"
	    "pool web {\n"
	    "\talgoritm rr\n"
	    "\tweight\n"
	    "\tweight 5\n"
	    "\trange\n"
	    "\tflag x\n"
	    "\tmembers\n"
	    "}\n"
	    "listen\n"
	    "broken\n"
	    "workers 300\n";
	static const char *const errs[] = {
		"t.conf:2:1: error: unknown directive 'workrs' in top level; "
		    "did you mean 'workers'?",
		"t.conf:3:1: error: unknown directive 'frobnicate' in top "
		    "level",
		"t.conf:4:1: error: directive 'timeout' takes 2 arguments, "
		    "got 1; usage: timeout connect|client|server|http-request|"
		    "keep-alive DURATION",
		"t.conf:5:20: error: directive 'timeout' takes 2 arguments, "
		    "got 4; usage: timeout connect|client|server|http-request|"
		    "keep-alive DURATION",
		"t.conf:6:1: error: directive 'pool' needs a block { ... }",
		"t.conf:7:1: error: directive 'workers' takes no block",
		"t.conf:9:2: error: unknown directive 'algoritm' in pool web; "
		    "did you mean 'algorithm'?",
		"t.conf:10:2: error: directive 'weight' takes 1 argument, got "
		    "0; usage: weight N",
		"t.conf:12:2: error: directive 'range' takes 1 to 3 "
		    "arguments, got 0; usage: range A [B [C]]",
		"t.conf:13:7: error: directive 'flag' takes no arguments, got "
		    "1; usage: flag",
		"t.conf:16:1: error: directive 'listen' takes at least 1 "
		    "argument, got 0",
		"t.conf:17:1: error: directive 'broken' failed (its setter "
		    "reported no reason)",
		"t.conf:18:9: error: 'workers' expects a number from 1 to 256, "
		    "got '300'",
	};
	struct sample obj = { 0 };
	struct conf_tree *t;
	struct conf_diag d;

	(void)state;
	t = parse(text, &d);
	check_errors(&d, NULL, 0);
	assert_int_equal(conf_apply(&d, &t->root, "top level", top_rows,
	    NWANT(top_rows), &obj), NWANT(errs));
	check_errors(&d, errs, NWANT(errs));
	assert_int_equal(obj.workers, 4);
	assert_int_equal(obj.weight, 5);
	assert_int_equal(obj.pools, 1);
	assert_int_equal(obj.calls, 1);
	conf_tree_free(&t);
	conf_diag_free(&d);
}

/* ---- verbatim blocks ---- */

/* HAProxy's lines as they are written: braces, backslashes in quotes,
 * '#' and ';' are the other language's, not the configuration's. */
static void
test_verbatim_lines(void **state)
{
	static const char text[] =
	    "application-rule api {   # a comment after the brace\n"
	    "    acl is_api path_beg /api/\n"
	    "\n"
	    "\thttp-request redirect scheme https if !{ ssl_fc }\n"
	    "    acl v1 path_reg \"^/v1/(\\d+)$\"   \r\n"
	    "    http-request set-header X-A a;b # the rule's own comment\n"
	    "    }  # end\n"
	    "virtual-server www { rules api }\n"
	    "application-rule empty { }\n"
	    "block { application-rule inner {\n"
	    "  use_backend b if { path /x }\n"
	    "}\n"
	    "}\n";
	struct conf_diag d;
	struct conf_tree *t = parse_verbatim(text, &d);
	const struct conf_node *r = &t->root.children[0], *in;

	(void)state;
	check_errors(&d, NULL, 0);
	assert_int_equal(t->root.nchildren, 4);
	check_node(r, "application-rule|api", 1, 1);
	assert_true(r->has_block);
	assert_int_equal(r->nchildren, 4);
	check_node(&r->children[0], "acl is_api path_beg /api/", 2, 5);
	check_node(&r->children[1],
	    "http-request redirect scheme https if !{ ssl_fc }", 4, 2);
	check_node(&r->children[2], "acl v1 path_reg \"^/v1/(\\d+)$\"", 5,
	    5);
	check_node(&r->children[3],
	    "http-request set-header X-A a;b # the rule's own comment", 6, 5);
	/* the lines after the block are the configuration's again */
	check_node(&t->root.children[1], "virtual-server|www", 8, 1);
	check_node(&t->root.children[1].children[0], "rules|api", 8, 22);
	check_node(&t->root.children[2], "application-rule|empty", 9, 1);
	assert_true(t->root.children[2].has_block);
	assert_int_equal(t->root.children[2].nchildren, 0);
	in = &t->root.children[3].children[0];
	check_node(in, "application-rule|inner", 10, 9);
	assert_int_equal(in->nchildren, 1);
	check_node(&in->children[0], "use_backend b if { path /x }", 11, 3);
	assert_int_equal(t->root.children[3].nchildren, 1);
	conf_tree_free(&t);
	conf_diag_free(&d);
}

/* Words after the '{', a block never closed, a NUL byte: said where. */
static void
test_verbatim_errors(void **state)
{
	static const char words_after[] =
	    "application-rule a { acl x path /\n"
	    "  acl y path /y\n"
	    "}\n"
	    "global { }\n";
	static const char unclosed[] =
	    "application-rule a {\n"
	    "  acl y path /y\n"
	    "  } }\n";
	static const char nul[] = "application-rule a {\n  acl \0 x\n}\n";
	struct conf_diag d;
	struct conf_tree *t;

	(void)state;
	t = parse_verbatim(words_after, &d);
	check_errors(&d, (const char *const[]){ "t.conf:1:22: error: the "
	    "lines of this block start on the line after its '{'" }, 1);
	assert_int_equal(t->root.children[0].nchildren, 1);
	check_node(&t->root.children[1], "global", 4, 1);
	conf_tree_free(&t);
	conf_diag_free(&d);

	t = parse_verbatim(unclosed, &d);
	check_errors(&d, (const char *const[]){ "t.conf:1:20: error: block "
	    "opened here is never closed" }, 1);
	assert_int_equal(t->root.children[0].nchildren, 2);
	conf_tree_free(&t);
	conf_diag_free(&d);

	conf_diag_init(&d);
	t = conf_parse_string("t.conf", nul, sizeof(nul) - 1, rules_verbatim,
	    &d);
	check_errors(&d, (const char *const[]){ "t.conf:2:3: error: NUL byte "
	    "in the line" }, 1);
	conf_tree_free(&t);
	conf_diag_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_shape),
		cmocka_unit_test(test_errors_continue),
		cmocka_unit_test(test_empty_and_diag),
		cmocka_unit_test(test_parse_file_missing),
		cmocka_unit_test(test_include_glob),
		cmocka_unit_test(test_include_errors),
		cmocka_unit_test(test_include_depth),
		cmocka_unit_test(test_include_from_string),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_verbatim_lines),
		cmocka_unit_test(test_verbatim_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
