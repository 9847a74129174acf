/*
 * tests/unit/lb/test_rule_compile_alloc_fail.c - lb/rule_compile.c
 * meeting out of memory at each allocation of lb_rules_compile in turn
 * (unit/alloc_fail.h): no program, an error said, and nothing leaked or
 * freed twice (ASan and valgrind see to that).  The rules are parsed
 * before the count starts; PCRE2's own allocations are out of reach.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "alloc_fail.h"
#include "rule.h"
#include "rule_run.h"

/* Every kind of thing the compiler allocates for: pattern sets of each
 * sort, a -f file, a regex, converters with a map, variables, values
 * with %[...], use_backend, a return file, rules of every phase. */
static const char text[] = "application-rule r {\n"
    "acl api path_beg /api/ /v2/\n"
    "acl css path_end -i .css .js\n"
    "acl host hdr(host) -i a.example b.example\n"
    "acl bad hdr_sub(user-agent) -i sqlmap nikto\n"
    "acl v1 path_reg ^/v1/\n"
    "acl lan src 10.0.0.0/8 192.168.0.0/16\n"
    "acl listed src -f /l.txt\n"
    "acl big hdr_cnt(x) gt 3\n"
    "http-request deny if bad || listed\n"
    "http-request set-var(txn.h) hdr(host),lower,map(/m.map,none)\n"
    "http-request set-header X-Client %[src] if !lan\n"
    "http-request set-header X-H %[var(txn.h)]\n"
    "http-request replace-path ^/v1/(.*)$ /v2/\\1 if v1\n"
    "http-request return status 200 content-type text/plain file /r.txt "
    "if { path /r }\n"
    "http-response set-header X-Frame-Options DENY\n"
    "http-response del-header Server if big\n"
    "use_backend api if api || host\n"
    "use_backend static if css\n"
    "}\n";

static const char *const verbatim[] = { "application-rule", NULL };

static const struct lb_rule_file files[] = {
	{ "/l.txt", "203.0.113.0/24\n198.51.100.7\n", 28 },
	{ "/m.map", "a.example api\nb.example static\n", 31 },
	{ "/r.txt", "pong\n", 5 },
};

static int
pool_index(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "api") == 0 ? 1 : strcmp(name, "static") == 0 ?
	    2 : -1;
}

static void
test_compile(void **state)
{
	struct conf_diag d;
	struct conf_tree *t;
	struct lb_rule_set rs = { 0 };
	const struct lb_rule_set *sets[1] = { &rs };
	unsigned long n;

	(void)state;
	conf_diag_init(&d);
	t = conf_parse_string("t.conf", text, sizeof(text) - 1, verbatim, &d);
	assert_non_null(t);
	assert_int_equal(lb_rule_set_parse(&rs, &t->root.children[0], &d), 0);
	for (size_t i = 0; i < rs.nrules; i++)
		rs.rules[i].id = (unsigned)i;
	for (n = 1;; n++) {
		struct conf_diag dn;
		struct lb_rules *r;

		conf_diag_init(&dn);
		alloc_fail_arm(n, false);
		r = lb_rules_compile(sets, 1, pool_index, NULL, files,
		    sizeof(files) / sizeof(files[0]), &dn);
		if (!alloc_fail_disarm()) {
			if (r == NULL)
				conf_diag_print(&dn, stderr);
			assert_non_null(r);
			assert_int_equal(dn.nerrors, 0);
			lb_rules_free(&r);
			conf_diag_free(&dn);
			break;
		}
		if (r != NULL || dn.nerrors == 0)
			fail_msg("allocation %lu failed: program %p, %u errors",
			    n, (void *)r, dn.nerrors);
		conf_diag_free(&dn);
	}
	assert_true(n > 20);
	lb_rule_set_free(&rs);
	conf_tree_free(&t);
	conf_diag_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
