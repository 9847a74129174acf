/*
 * tests/unit/lb/test_rule_parse.c - application-rule lines read into
 * rule.h's data (lb/rule_parse.c): acl lines, conditions, and every
 * error with its FILE:LINE:COL.  The lines come through the configuration
 * parser's verbatim blocks, as they will from a file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rule.h"
#include "rule_lex.h"

static const char *const verbatim[] = { "application-rule", NULL };

struct fx {
	struct conf_diag d;
	struct conf_tree *t;
	struct lb_rule_set rs;
};

/* Parses "application-rule r {\n" + lines + "}\n". */
static unsigned
load(struct fx *f, const char *lines)
{
	char text[4096];
	int n = snprintf(text, sizeof(text), "application-rule r {\n%s}\n",
	    lines);

	memset(f, 0, sizeof(*f));
	conf_diag_init(&f->d);
	f->t = conf_parse_string("t.conf", text, (size_t)n, verbatim, &f->d);
	assert_non_null(f->t);
	assert_int_equal(f->d.nerrors, 0);
	return lb_rule_set_parse(&f->rs, &f->t->root.children[0], &f->d);
}

static void
unload(struct fx *f)
{
	lb_rule_set_free(&f->rs);
	conf_tree_free(&f->t);
	conf_diag_free(&f->d);
}

static void
check_error(const char *lines, const char *want)
{
	struct fx f;

	assert_int_equal(load(&f, lines), 1);
	if (strcmp(f.d.msgs[0], want) != 0)
		fail_msg("got  %s\nwant %s", f.d.msgs[0], want);
	unload(&f);
}

static void
check_patterns(const struct lb_acl *a, const char *want)
{
	char joined[512] = "";
	size_t off = 0;

	for (size_t i = 0; i < a->npatterns; i++)
		off += (size_t)snprintf(joined + off, sizeof(joined) - off,
		    "%s%s", i ? "|" : "", a->patterns[i]);
	assert_string_equal(joined, want);
}

static void
test_acls(void **state)
{
	struct fx f;
	const struct lb_acl *a;

	(void)state;
	assert_int_equal(load(&f,
	    "  acl is_api path_beg /api/\n"
	    "  acl is_static path_end .css .js .png\n"
	    "  acl admin_host hdr(host) -i admin.example.com\n"
	    "  acl internal src 10.0.0.0/8 192.168.0.0/16\n"
	    "  acl blocked src -f /etc/edged/blocklist.txt\n"
	    "  acl old_path path_reg ^/v1/(.*)$\n"
	    "  acl is_foo hdr_dom(host) -i foo\n"
	    "  acl busy hdr_cnt(x-forwarded-for) gt 3 eq 1 7:9\n"
	    "  acl is_api url_beg -m sub -- -api\n"
	    "  acl last hdr(x-a,-1) -m found\n"), 0);
	assert_int_equal(f.rs.nacls, 10);
	a = &f.rs.acls[0];
	assert_string_equal(a->name, "is_api");
	assert_int_equal(a->fetch, LB_SAMPLE_PATH);
	assert_int_equal(a->match, LB_MATCH_BEG);
	assert_int_equal(a->pos.line, 2);
	assert_int_equal(a->pos.col, 14);
	check_patterns(a, "/api/");
	check_patterns(&f.rs.acls[1], ".css|.js|.png");
	a = &f.rs.acls[2];
	assert_int_equal(a->fetch, LB_SAMPLE_HDR);
	assert_string_equal(a->arg, "host");
	assert_true(a->icase);
	assert_int_equal(f.rs.acls[3].match, LB_MATCH_IP);
	a = &f.rs.acls[4];
	assert_int_equal(a->npatterns, 0);
	assert_int_equal(a->nfiles, 1);
	assert_string_equal(a->files[0], "/etc/edged/blocklist.txt");
	check_patterns(&f.rs.acls[5], "^/v1/(.*)$");
	assert_int_equal(f.rs.acls[6].match, LB_MATCH_DOM);
	a = &f.rs.acls[7];
	assert_int_equal(a->fetch, LB_SAMPLE_HDR_CNT);
	check_patterns(a, "gt 3|eq 1|7:9");
	/* a second line of a name is the same ACL; "--" ends the flags */
	a = &f.rs.acls[8];
	assert_int_equal(a->group, f.rs.acls[0].group);
	assert_int_equal(a->match, LB_MATCH_SUB);
	check_patterns(a, "-api");
	assert_int_equal(f.rs.acls[9].occ, -1);
	assert_int_equal(f.rs.ngroups, 9);
	unload(&f);
}

static void
test_acl_errors(void **state)
{
	(void)state;
	check_error("acl a path_begin /x\n", "t.conf:2:7: error: unknown "
	    "criterion 'path_begin'; did you mean 'path_beg'?");
	check_error("  acl a path -u /x\n", "t.conf:2:14: error: flag '-u' "
	    "is not supported (edged takes -i, -m METHOD, -f FILE and --)");
	check_error("acl a path -m begin /x\n", "t.conf:2:15: error: unknown "
	    "match method 'begin'; did you mean 'beg'?");
	check_error("acl a hdr /x\n", "t.conf:2:7: error: 'hdr' takes a "
	    "name: hdr(NAME)");
	check_error("acl a path(x) /x\n", "t.conf:2:7: error: 'path' takes "
	    "no argument");
	check_error("acl a hdr(host /x\n", "t.conf:2:7: error: 'hdr(host': "
	    "the parenthesis is never closed");
	check_error("acl a cook(s,2) x\n", "t.conf:2:7: error: 'cook(s,2)': "
	    "an occurrence is a number from 1 to 100, or -1 for the last, "
	    "and only hdr() takes one");
	check_error("acl a path\n", "t.conf:2:11: error: the ACL has no "
	    "value to match: add values, or -f FILE");
	check_error("acl TRUE path /\n", "t.conf:2:5: error: 'TRUE' is a "
	    "predefined ACL: choose another name");
	check_error("acl a/b path /\n", "t.conf:2:5: error: 'a/b' is not an "
	    "ACL name (letters, digits, '_', '.', ':' and '-', at most 63 "
	    "bytes)");
	check_error("acl a status gt\n", "t.conf:2:14: error: 'gt' takes a "
	    "number after it");
	check_error("  acl a path \"/x\n", "t.conf:2:14: error: this double "
	    "quote is never closed");
	check_error("use-backend api\n", "t.conf:2:1: error: 'use-backend' "
	    "is not a rule edged knows; did you mean 'use_backend'?");
	check_error("acl\n", "t.conf:2:1: error: 'acl' needs a name and a "
	    "criterion");
}

/* A condition of the line "use_backend b COND..." after the acl lines. */
static int
cond(struct fx *f, const char *line, struct lb_cond *c)
{
	struct lb_rule_words w;
	struct conf_pos pos = { "t.conf", 9, 3 };
	char err[160];
	unsigned col;
	int rc;

	assert_int_equal(lb_rule_split(line, strlen(line), &w, err,
	    sizeof(err), &col), 0);
	rc = lb_rule_cond_parse(&f->rs, &w, 2, &pos, c, &f->d);
	lb_rule_words_free(&w);
	return rc;
}

static void
test_conditions(void **state)
{
	static const char acls[] = "acl a path /a\nacl b path /b\n"
	    "acl c path /c\n";
	struct fx f;
	struct lb_cond c;

	(void)state;
	assert_int_equal(load(&f, acls), 0);
	assert_int_equal(cond(&f, "use_backend x if a b || !c", &c), 0);
	assert_false(c.unless);
	assert_int_equal(c.nterms, 3);
	assert_true(c.terms[0].group == 0 && !c.terms[0].negate &&
	    !c.terms[0].or_before);
	assert_true(c.terms[1].group == 1 && !c.terms[1].or_before);
	assert_true(c.terms[2].group == 2 && c.terms[2].negate &&
	    c.terms[2].or_before);
	lb_rule_cond_free(&c);
	/* anonymous ACLs, negated or not, and "or", "!" apart */
	assert_int_equal(cond(&f, "redirect x unless !{ ssl_fc } or ! "
	    "{ path_beg -i /x /y }", &c), 0);
	assert_true(c.unless);
	assert_int_equal(c.nterms, 2);
	assert_true(c.terms[0].negate && c.terms[1].negate &&
	    c.terms[1].or_before);
	assert_int_equal(f.rs.nacls, 5);
	assert_string_equal(f.rs.acls[3].name, "");
	assert_int_equal(f.rs.acls[3].fetch, LB_SAMPLE_SSL_FC);
	assert_true(f.rs.acls[4].icase);
	assert_int_equal(f.rs.acls[4].npatterns, 2);
	lb_rule_cond_free(&c);
	/* a predefined ACL is made once, when first named */
	assert_int_equal(cond(&f, "x y if METH_GET || METH_GET LOCALHOST",
	    &c), 0);
	assert_int_equal(f.rs.nacls, 7);
	assert_string_equal(f.rs.acls[5].name, "METH_GET");
	assert_int_equal(f.rs.acls[5].fetch, LB_SAMPLE_METHOD);
	assert_int_equal(f.rs.acls[5].npatterns, 2);
	assert_int_equal(c.terms[0].group, c.terms[1].group);
	assert_int_equal(f.rs.acls[6].match, LB_MATCH_IP);
	lb_rule_cond_free(&c);
	unload(&f);
}

static void
check_cond_error(const char *line, const char *want)
{
	struct fx f;
	struct lb_cond c;

	assert_int_equal(load(&f, "acl is_api path /a\n"), 0);
	assert_int_equal(cond(&f, line, &c), -1);
	assert_int_equal(f.d.nerrors, 1);
	if (strcmp(f.d.msgs[0], want) != 0)
		fail_msg("got  %s\nwant %s", f.d.msgs[0], want);
	assert_null(c.terms);
	unload(&f);
}

static void
test_condition_errors(void **state)
{
	(void)state;
	check_cond_error("x y when is_api", "t.conf:9:7: error: expected "
	    "'if' or 'unless'");
	check_cond_error("x y if", "t.conf:9:7: error: 'if' needs a "
	    "condition: ACL names, '!', '||', '{ ... }'");
	check_cond_error("x y if is_apj", "t.conf:9:10: error: no ACL "
	    "'is_apj' before this line; did you mean 'is_api'?");
	check_cond_error("x y if || is_api", "t.conf:9:10: error: '||' needs "
	    "an ACL on each side");
	check_cond_error("x y if is_api ||", "t.conf:9:17: error: the "
	    "condition ends with '||'");
	check_cond_error("x y if !!is_api", "t.conf:9:10: error: no ACL "
	    "'!is_api' before this line; did you mean 'is_api'?");
	check_cond_error("x y if { path /x", "t.conf:9:10: error: this '{' "
	    "is never closed by a '}' word");
	check_cond_error("x y if { path { x } }", "t.conf:9:17: error: '{' "
	    "inside '{ }': an anonymous ACL holds one criterion");
	check_cond_error("x y if { }", "t.conf:9:12: error: an ACL needs a "
	    "criterion (path_beg, hdr(host), src ...)");
	check_cond_error("x y if { path -m }", "t.conf:9:17: error: '-m' "
	    "takes a value");
}

static void
test_actions(void **state)
{
	struct fx f;
	const struct lb_rule *r;

	(void)state;
	assert_int_equal(load(&f,
	    "acl bad path_beg /admin\n"
	    "http-request deny if bad\n"
	    "http-request deny deny_status 429 unless TRUE\n"
	    "http-request return status 200 content-type text/plain "
	    "string \"pong\" if { path /ping }\n"
	    "http-request redirect scheme https code 301 if !{ ssl_fc }\n"
	    "http-request redirect location / clear-cookie USERID= "
	    "drop-query\n"
	    "http-request set-header X-Edge edged\n"
	    "http-request add-header X-Client %[src]\n"
	    "http-request del-header X-Debug\n"
	    "http-request replace-path ^/v1/(.*)$ /v2/\\1 if bad\n"
	    "use_backend api if bad || METH_POST\n"
	    "http-response set-header Strict-Transport-Security "
	    "\"max-age=31536000\"\n"
	    "http-response del-header Server\n"
	    "http-response set-status 503 reason \"Go away\"\n"
	    "http-response deny\n"), 0);
	assert_int_equal(f.rs.nrules, 14);
	r = &f.rs.rules[0];
	assert_int_equal(r->act, LB_ACT_DENY);
	assert_int_equal(r->status, 403);
	assert_int_equal(r->cond.nterms, 1);
	assert_int_equal(r->pos.line, 3);
	assert_int_equal(f.rs.rules[1].status, 429);
	assert_true(f.rs.rules[1].cond.unless);
	r = &f.rs.rules[2];
	assert_int_equal(r->act, LB_ACT_RETURN);
	assert_string_equal(r->a, "text/plain");
	assert_string_equal(r->b, "pong");
	assert_null(r->c);
	r = &f.rs.rules[3];
	assert_int_equal(r->act, LB_ACT_REDIRECT);
	assert_string_equal(r->a, "scheme");
	assert_string_equal(r->b, "https");
	assert_int_equal(r->status, 301);
	assert_true(r->cond.terms[0].negate);
	r = &f.rs.rules[4];
	assert_int_equal(r->status, 302);
	assert_string_equal(r->c, "USERID=");
	assert_int_equal(r->flags, LB_REDIRECT_CLEAR_COOKIE |
	    LB_REDIRECT_DROP_QUERY);
	assert_int_equal(r->cond.nterms, 0);
	assert_string_equal(f.rs.rules[5].a, "X-Edge");
	assert_string_equal(f.rs.rules[6].b, "%[src]");
	assert_int_equal(f.rs.rules[7].act, LB_ACT_DEL_HEADER);
	r = &f.rs.rules[8];
	assert_string_equal(r->b, "^/v1/(.*)$");
	assert_string_equal(r->c, "/v2/\\1");
	r = &f.rs.rules[9];
	assert_int_equal(r->phase, LB_PHASE_BACKEND);
	assert_string_equal(r->a, "api");
	assert_int_equal(r->cond.nterms, 2);
	assert_int_equal(f.rs.rules[10].phase, LB_PHASE_RESPONSE);
	assert_string_equal(f.rs.rules[10].b, "max-age=31536000");
	assert_int_equal(f.rs.rules[12].status, 503);
	assert_string_equal(f.rs.rules[12].b, "Go away");
	assert_int_equal(f.rs.rules[13].status, 502);
	unload(&f);
}

static void
test_action_errors(void **state)
{
	(void)state;
	check_error("http-request denny\n", "t.conf:2:14: error: unknown "
	    "http-request action 'denny'; did you mean 'deny'?");
	check_error("http-request\n", "t.conf:2:1: error: 'http-request' "
	    "needs an action (deny ...)");
	check_error("http-response redirect location /\n", "t.conf:2:15: "
	    "error: unknown http-response action 'redirect'");
	check_error("http-request deny deny_status 99\n", "t.conf:2:31: "
	    "error: expected a status from 200 to 599");
	check_error("http-request deny status 403\n", "t.conf:2:19: error: "
	    "unknown option 'status'");
	check_error("http-request return statuss 403\n", "t.conf:2:21: "
	    "error: unknown option 'statuss'; did you mean 'status'?");
	check_error("http-request return string a file b\n", "t.conf:2:30: "
	    "error: 'string' and 'file' both give the body: keep one");
	check_error("http-request redirect to /x\n", "t.conf:2:23: error: a "
	    "redirect is 'location', 'prefix' or 'scheme', not 'to'");
	check_error("http-request redirect location /x code 304\n",
	    "t.conf:2:40: error: a redirect's code is 301, 302, 303, 307 or "
	    "308");
	check_error("http-request redirect location /x keep\n", "t.conf:2:35: "
	    "error: unknown redirect option 'keep' (code, drop-query, "
	    "append-slash, set-cookie, clear-cookie)");
	check_error("http-request set-header X-A\n", "t.conf:2:14: error: "
	    "missing argument: NAME VALUE");
	check_error("http-request del-header X-A X-B if TRUE\n",
	    "t.conf:2:29: error: one argument too many: NAME");
	check_error("use_backend\n", "t.conf:2:1: error: missing argument: "
	    "NAME");
	check_error("use_backend api if nope\n", "t.conf:2:20: error: no ACL "
	    "'nope' before this line");
	check_error("http-response set-status 200 because x\n",
	    "t.conf:2:30: error: after the status: reason TEXT");
	check_error("reqaddd X-A:\\ b\n", "t.conf:2:1: error: 'reqaddd' is not "
	    "a rule edged knows");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acls),
		cmocka_unit_test(test_acl_errors),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_condition_errors),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_action_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
