/*
 * tests/unit/lb/test_rule_lex.c - application-rule lines split into words
 * as HAProxy splits them (lb/rule_lex.c): blanks, comments, both quotes,
 * escapes, and the errors with their columns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rule_lex.h"

/* Splits line and checks the words against want ("|"-joined) and the
 * column of each against cols (NULL: not checked). */
static void
check(const char *line, const char *want, const unsigned *cols)
{
	struct lb_rule_words w;
	char err[160], joined[512] = "";
	unsigned col = 0;
	size_t off = 0;

	if (lb_rule_split(line, strlen(line), &w, err, sizeof(err),
	    &col) != 0)
		fail_msg("%s: %u: %s", line, col, err);
	for (size_t i = 0; i < w.n; i++) {
		off += (size_t)snprintf(joined + off, sizeof(joined) - off,
		    "%s%.*s", i != 0 ? "|" : "", (int)w.w[i].len,
		    w.w[i].text);
		if (cols != NULL)
			assert_int_equal(w.w[i].col, cols[i]);
	}
	assert_string_equal(joined, want);
	lb_rule_words_free(&w);
}

static void
check_error(const char *line, unsigned want_col, const char *want)
{
	struct lb_rule_words w;
	char err[160];
	unsigned col = 0;

	assert_int_equal(lb_rule_split(line, strlen(line), &w, err,
	    sizeof(err), &col), -1);
	assert_int_equal(col, want_col);
	assert_string_equal(err, want);
	assert_null(w.buf);
}

static void
test_blanks_and_comments(void **state)
{
	(void)state;
	check("acl is_api   path_beg\t/api/", "acl|is_api|path_beg|/api/",
	    (const unsigned[]){ 1, 5, 14, 23 });
	check("  use_backend api if is_api # the API", "use_backend|api|if|"
	    "is_api", (const unsigned[]){ 3, 15, 19, 22 });
	check("", "", NULL);
	check("   # only a comment", "", NULL);
	/* '#' ends a word too, as in HAProxy */
	check("acl a path /x#frag", "acl|a|path|/x", NULL);
	check("http-request deny if !{ ssl_fc }",
	    "http-request|deny|if|!{|ssl_fc|}", NULL);
}

static void
test_quotes(void **state)
{
	(void)state;
	check("http-response set-header Strict-Transport-Security "
	    "\"max-age=31536000; includeSubDomains\"",
	    "http-response|set-header|Strict-Transport-Security|"
	    "max-age=31536000; includeSubDomains", NULL);
	check("acl a hdr(x) \"# not a comment\" 'it''s'",
	    "acl|a|hdr(x)|# not a comment|its", NULL);
	check("x \"don't\" 'say \"no\"'", "x|don't|say \"no\"", NULL);
	/* strong quotes keep backslashes: the regex form HAProxy advises */
	check("acl v1 path_reg '^/v1/(\\d+)\\.json$'",
	    "acl|v1|path_reg|^/v1/(\\d+)\\.json$", NULL);
	/* parts next to each other are one word (the manual's examples) */
	check("log-format \"%{+Q}o %t\"' %s'\\ %{-Q}r",
	    "log-format|%{+Q}o %t %s %{-Q}r", NULL);
	check("log-format '%{+Q}o %t %s %{-Q}r'",
	    "log-format|%{+Q}o %t %s %{-Q}r", NULL);
	check("x \"\" ''", "x||", NULL);
}

static void
test_quoted_flag(void **state)
{
	struct lb_rule_words w;
	char err[80];
	unsigned col;

	(void)state;
	assert_int_equal(lb_rule_split("if { \"{\" }", 10, &w, err,
	    sizeof(err), &col), 0);
	assert_int_equal(w.n, 4);
	assert_false(w.w[1].quoted);
	assert_true(w.w[2].quoted);
	assert_string_equal(w.w[2].text, "{");
	lb_rule_words_free(&w);
}

static void
test_escapes(void **state)
{
	(void)state;
	check("reqrep ^([^\\ :]*)\\ /static/(.*) \\1\\ /\\2",
	    "reqrep|^([^ :]*) /static/(.*)|\\1 /\\2", NULL);
	check("reqrep \"^([^\\ :]*)\\ /static/(.*)\" \"\\1\\ /\\2\"",
	    "reqrep|^([^ :]*) /static/(.*)|\\1 /\\2", NULL);
	check("a \\# \\\\ \\' \\\" b", "a|#|\\|'|\"|b", NULL);
	check("a \\x41\\x62c", "a|Abc", NULL);
	check("a \\t", "a|\t", NULL);
	check("a end\\", "a|end\\", NULL);
	/* a dollar: literal outside weak quotes, escaped inside them */
	check("a $HOME \"\\$HOME\" \"end$\" '$HOME'",
	    "a|$HOME|$HOME|end$|$HOME", NULL);
}

static void
test_errors(void **state)
{
	char line[400];
	size_t off = 0;

	(void)state;
	check_error("acl a path \"/x", 12, "this double quote is never "
	    "closed");
	check_error("acl a path 'x\"y", 12, "this single quote is never "
	    "closed");
	check_error("a \\xZ1", 3, "\"\\x\" takes two hexadecimal digits");
	check_error("a \\x4", 3, "\"\\x\" takes two hexadecimal digits");
	check_error("a \"${HOME}\"", 4, "environment variables are not "
	    "expanded: write the value (\"\\$\" for a dollar sign)");
	check_error("a \"x$HOME\"", 5, "environment variables are not "
	    "expanded: write the value (\"\\$\" for a dollar sign)");
	for (int i = 0; i < LB_RULE_WORDS_MAX; i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off,
		    "w ");
	check(line, "w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|"
	    "w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|w|"
	    "w|w|w|w|w|w|w|w", NULL);
	snprintf(line + off, sizeof(line) - off, "x");
	check_error(line, (unsigned)off + 1, "more than 64 words on a line");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blanks_and_comments),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_quoted_flag),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
