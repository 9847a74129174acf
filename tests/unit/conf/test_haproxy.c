/*
 * tests/unit/conf/test_haproxy.c - HAProxy's words and what edged calls
 * them: the hint depends on where the word stands (a section, a
 * directive, a value of which directive), on the words beside it, and on
 * the block the error is in; and it wins over "did you mean".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"

struct fx {
	struct conf_tree *t;
	struct conf_diag d;
	const struct conf_node *n;
	char buf[256];
};

static const struct conf_node *
stmt(struct fx *f, const char *text)
{
	conf_diag_init(&f->d);
	f->t = conf_parse_string("t.conf", text, strlen(text), NULL,
	    &f->d);
	assert_non_null(f->t);
	assert_int_equal(f->d.nerrors, 0);
	assert_int_equal(f->t->root.nchildren, 1);
	return f->n = &f->t->root.children[0];
}

static void
fx_free(struct fx *f)
{
	conf_tree_free(&f->t);
	conf_diag_free(&f->d);
}

/* The directive hint for text in context is want (NULL: none). */
static void
directive_hint_is(const char *text, const char *context, const char *want)
{
	struct fx f;
	const char *got;

	got = conf_haproxy_directive(stmt(&f, text), context, f.buf,
	    sizeof(f.buf));
	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got, want);
	fx_free(&f);
}

/* The hint for word i of text, a value, is want (NULL: none). */
static void
value_hint_is(const char *text, size_t i, const char *want)
{
	struct fx f;
	const char *got;

	got = conf_haproxy_value(stmt(&f, text), i, f.buf, sizeof(f.buf));
	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got, want);
	fx_free(&f);
}

/* The block is named only when the error is not already in it. */
static void
test_home_named_outside_it(void **state)
{
	(void)state;
	directive_hint_is("server s1 10.0.0.1:80", "pool web",
	    "; edged calls it 'member' (HAProxy's 'server')");
	directive_hint_is("server s1 10.0.0.1:80", "virtual-server front",
	    "; edged calls it 'member' in a 'pool' block (HAProxy's "
	    "'server')");
	directive_hint_is("option forwardfor", "pool web",
	    "; edged calls it 'x-forwarded-for insert' in an "
	    "'application-profile' block (HAProxy's 'option forwardfor')");
	directive_hint_is("maxconn 10", "pool web",
	    "; edged calls it 'max-connections' in a 'global' or "
	    "'virtual-server' block (HAProxy's 'maxconn')");
	directive_hint_is("maxconn 10", "virtual-server front",
	    "; edged calls it 'max-connections' (HAProxy's 'maxconn')");
	/* a block inside a block: its last word */
	directive_hint_is("ssl-min-ver TLSv1.2", "application-profile w tls",
	    "; edged calls it 'min-version' (HAProxy's 'ssl-min-ver')");
}

/* A row's other word picks the row; it is shown when it follows. */
static void
test_with_word(void **state)
{
	(void)state;
	directive_hint_is("mode http", "application-profile w",
	    "; edged calls it 'type http' (HAProxy's 'mode http')");
	directive_hint_is("mode health", "application-profile w",
	    "; edged calls it 'type' (HAProxy's 'mode')");
	directive_hint_is("bind *:443 ssl crt /x.pem", "virtual-server v",
	    "; edged calls it 'listen' (HAProxy's 'bind'); for 'ssl crt', "
	    "edged takes a 'certificate' block, named by 'certificates' in "
	    "an application-profile of 'type https'");
	directive_hint_is("option httplog", "pool p", NULL);
}

/* Sections only at top level; other words nowhere. */
static void
test_sections(void **state)
{
	(void)state;
	directive_hint_is("frontend www", "top level",
	    "; edged calls it 'virtual-server' (HAProxy's 'frontend')");
	directive_hint_is("frontend www", "pool p", NULL);
	directive_hint_is("backend b", "top level",
	    "; edged calls it 'pool' (HAProxy's 'backend')");
	/* a directive met at top level still gets its hint */
	directive_hint_is("maxconn 10", "top level",
	    "; edged calls it 'max-connections' in a 'global' or "
	    "'virtual-server' block (HAProxy's 'maxconn')");
	directive_hint_is("slowstart 10s", "pool p", NULL);
	directive_hint_is("Server s1 10.0.0.1:80", "pool p", NULL);
}

/* A value row may belong to one directive only. */
static void
test_values(void **state)
{
	(void)state;
	value_hint_is("algorithm roundrobin", 1,
	    "; edged calls it 'round-robin' (HAProxy's 'roundrobin')");
	value_hint_is("type source", 1, NULL);
	value_hint_is("min-version TLSv1.3", 1,
	    "; edged calls it '1.3' (HAProxy's 'TLSv1.3')");
	value_hint_is("member a 10.0.0.1:80 rise 2", 3,
	    "; in edged, 'rise' goes in a 'monitor' block");
	value_hint_is("member a 10.0.0.1:80", 5, NULL);
}

/* The translation wins over the spelling's "did you mean". */
static void
test_wins_over_did_you_mean(void **state)
{
	static const char *const algos[] = { "round-robin", "least-conn",
	    NULL };
	static const char *const opts[] = { "weight", "backup", NULL };
	struct fx f;
	unsigned v;

	(void)state;
	assert_int_equal(conf_get_keyword(&f.d, stmt(&f,
	    "algorithm leastconn"), 1, algos, &v), -1);
	assert_string_equal(f.d.msgs[0], "t.conf:1:11: error: 'algorithm' "
	    "expects one of round-robin, least-conn; got 'leastconn'; edged "
	    "calls it 'least-conn' (HAProxy's 'leastconn')");
	fx_free(&f);
	assert_int_equal(conf_get_option(&f.d, stmt(&f,
	    "member a 10.0.0.1:80 weigth 2"), 3, opts, &v), -1);
	assert_string_equal(f.d.msgs[0], "t.conf:1:22: error: unknown "
	    "option 'weigth' for 'member' (options: weight, backup); did you "
	    "mean 'weight'?");
	fx_free(&f);
}

/* A number after an option is named by the option. */
static void
test_option_uint(void **state)
{
	struct fx f;
	uint64_t v = 0;

	(void)state;
	assert_int_equal(conf_get_option_uint(&f.d, stmt(&f,
	    "member a 10.0.0.1:80 weight 2"), 4, 1, 256, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(f.d.nerrors, 0);
	fx_free(&f);
	assert_int_equal(conf_get_option_uint(&f.d, stmt(&f,
	    "member a 10.0.0.1:80 weight 0"), 4, 1, 256, &v), -1);
	assert_string_equal(f.d.msgs[0], "t.conf:1:29: error: 'weight' "
	    "expects a number from 1 to 256, got '0'");
	fx_free(&f);
}

/* Missing means not written: a wrong statement is not missing. */
static void
test_require(void **state)
{
	static const char *const need[] = { "listen", "profile", NULL };
	struct fx f;

	(void)state;
	stmt(&f, "virtual-server v {\n    listen 19080\n}");
	assert_int_equal(conf_require(&f.d, f.n, "virtual-server v", need),
	    1);
	assert_string_equal(f.d.msgs[0], "t.conf:1:16: error: "
	    "virtual-server v has no 'profile'");
	fx_free(&f);
}

/* A port alone is told to need an address. */
static void
test_port_alone(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct fx f;

	(void)state;
	assert_int_equal(conf_get_sockaddr(&f.d, stmt(&f, "listen :8080"), 1,
	    &ss, &len), -1);
	assert_string_equal(f.d.msgs[0], "t.conf:1:8: error: bad address "
	    "':8080' for 'listen': an address is missing before the port; "
	    "did you mean '127.0.0.1:8080'?");
	fx_free(&f);
	/* not a port: the general message */
	assert_int_equal(conf_get_sockaddr(&f.d, stmt(&f, "listen 70000"), 1,
	    &ss, &len), -1);
	assert_string_equal(f.d.msgs[0], "t.conf:1:8: error: bad address "
	    "'70000' for 'listen': missing port; expected IPV4:PORT or "
	    "[IPV6]:PORT");
	fx_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_home_named_outside_it),
		cmocka_unit_test(test_with_word),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_wins_over_did_you_mean),
		cmocka_unit_test(test_option_uint),
		cmocka_unit_test(test_require),
		cmocka_unit_test(test_port_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
