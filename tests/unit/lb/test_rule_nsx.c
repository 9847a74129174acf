/*
 * tests/unit/lb/test_rule_nsx.c - the rule lines HAProxy removed in 2.1
 * (lb/rule_nsx.c): each read as the modern line, which reads back into
 * the same words, and the lines edged cannot read that way refused with
 * what to write instead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rule_lex.h"
#include "rule_nsx.h"

/* The modern line for old, or the error "COL: MESSAGE", into out. */
static void
translate(const char *old, char *out, size_t size)
{
	struct lb_rule_words w, m, again;
	char err[512], *text;
	unsigned col;

	assert_int_equal(lb_rule_split(old, strlen(old), &w, err, sizeof(err),
	    &col), 0);
	assert_true(lb_rule_nsx_keyword(w.w[0].text));
	if (lb_rule_nsx_translate(&w, &m, &text, err, sizeof(err),
	    &col) < 0) {
		snprintf(out, size, "%u: %s", col, err);
		lb_rule_words_free(&w);
		return;
	}
	/* what is printed splits back into the same words */
	assert_int_equal(lb_rule_split(text, strlen(text), &again, err,
	    sizeof(err), &col), 0);
	assert_int_equal(again.n, m.n);
	for (size_t i = 0; i < m.n; i++) {
		assert_int_equal(again.w[i].len, m.w[i].len);
		assert_memory_equal(again.w[i].text, m.w[i].text, m.w[i].len);
	}
	snprintf(out, size, "%s", text);
	free(text);
	lb_rule_words_free(&again);
	lb_rule_words_free(&m);
	lb_rule_words_free(&w);
}

static void
check(const char *old, const char *want)
{
	char got[1024];

	translate(old, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("%s\ngot  %s\nwant %s", old, got, want);
}

static void
test_modern_lines(void **state)
{
	(void)state;
	check("reqadd X-Proto:\\ https", "http-request add-header X-Proto "
	    "https");
	check("reqadd \"X-A: 50% off\" if { path /a }", "http-request "
	    "add-header X-A '50%% off' if { path /a }");
	check("rspadd Cache-Control:\\ no-store if { status 200 }",
	    "http-response add-header Cache-Control no-store if { status "
	    "200 }");
	check("reqdel ^X-Debug:.*", "http-request del-header X-Debug");
	check("reqidel ^cookie2:", "http-request del-header cookie2");
	check("rspdel ^Server: unless TRUE", "http-response del-header "
	    "Server unless TRUE");
	check("rspidel ^X-Powered-By:\\ .*", "http-response del-header "
	    "X-Powered-By");
	check("reqrep ^Host:\\ (.*)\\.old\\.com Host:\\ \\1.new.com",
	    "http-request replace-header Host '^(.*)\\.old\\.com' "
	    "'\\1.new.com'");
	check("reqirep ^x-env:[\\ ]*test X-Env:\\ staging", "http-request "
	    "replace-header x-env (?i)^test staging");
	check("rsprep ^Location:\\s*http://(.*) Location:\\ https://\\1",
	    "http-response replace-header Location ^http://(.*) "
	    "'https://\\1'");
	check("rspirep ^Set-Cookie:\\ (.*) Set-Cookie:\\ \\1;\\ Secure",
	    "http-response replace-header Set-Cookie (?i)^(.*) '\\1; "
	    "Secure'");
	check("block if { src 10.0.0.1 } || \"{\"", "http-request deny if "
	    "{ src 10.0.0.1 } || '{'");
	check("redirect scheme https code 301 if !{ ssl_fc }", "http-request "
	    "redirect scheme https code 301 if !{ ssl_fc }");
	/* a value with a quote and a control byte: weak quotes, escaped */
	check("reqadd \"X-Q: it's\\t$\"", "http-request add-header X-Q "
	    "\"it's\\x09\\$\"");
	assert_string_equal(lb_rule_nsx_why("reqrep"), "was removed from "
	    "HAProxy in 2.1");
	assert_string_equal(lb_rule_nsx_why("redirect"), "is the older form "
	    "of the line");
	assert_false(lb_rule_nsx_keyword("http-request"));
}

static void
test_refused(void **state)
{
	(void)state;
	check("reqrep ^([^\\ :]*)\\ /old/(.*) \\1\\ /new/\\2", "8: reqrep: "
	    "edged reads the regex '^([^ :]*) /old/(.*)' only when it names "
	    "one header ('^Name:' and what its value must match); to rewrite "
	    "the request or status line, write http-request replace-path, "
	    "replace-uri or http-response set-status");
	check("reqrep ^Host:\\ (.*) X-Host:\\ \\1", "8: reqrep: the "
	    "replacement 'X-Host: \\1' must start with the header the regex "
	    "names, 'Host:'");
	check("reqdel ^X-Debug:\\ yes", "8: reqdel: edged reads '^X-Debug: "
	    "yes' only as '^Name:' with any value (http-request del-header "
	    "Name); to delete by value, write http-request del-header "
	    "X-Debug if { hdr(X-Debug) -m reg REGEX }");
	check("reqadd no-colon", "8: 'no-colon' is not a header line 'Name: "
	    "value'");
	check("reqadd :\\ x", "8: ': x' is not a header line 'Name: value'");
	check("reqadd", "1: 'reqadd' takes \"Name: value\" [if|unless COND]");
	check("block", "1: 'block' takes if|unless COND");
	check("reqrep ^Host:", "1: 'reqrep' takes ^Name:\\ REGEX Name:\\ "
	    "VALUE [if|unless COND]");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modern_lines),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
