/*
 * tests/unit/base/test_json.c - base/json.c: every kind of value, the
 * escapes (surrogate pairs into UTF-8), values one after the other (as
 * vtysh writes them), what RFC 8259 refuses, the depth limit, and a real
 * FRR answer (unit/routing/frr/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

static struct json *
parse(const char *text)
{
	char err[128];

	return json_parse(text, strlen(text), NULL, err, sizeof(err));
}

static void
test_values(void **state)
{
	struct json *j = parse(" {\"a\": [1, -2.5e2, true, false, null],"
	    " \"b\": {\"c\": \"d\"}, \"e\": 0}\n");

	(void)state;
	assert_non_null(j);
	assert_int_equal(j->type, JSON_OBJECT);
	assert_int_equal(j->n, 3);
	assert_int_equal(json_get(j, "a")->n, 5);
	assert_true(json_get(j, "a")->v[1].num == -250.0);
	assert_int_equal(json_get(j, "a")->v[2].type, JSON_TRUE);
	assert_int_equal(json_get(j, "a")->v[4].type, JSON_NULL);
	assert_string_equal(json_str(json_get(j, "b"), "c"), "d");
	assert_true(json_num(j, "e", 7) == 0);
	assert_true(json_num(j, "missing", 7) == 7);
	assert_null(json_str(j, "a"));
	assert_null(json_get(json_get(j, "a"), "x"));
	json_free(&j);
	assert_null(j);
}

static void
test_escapes(void **state)
{
	struct json *j = parse("\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20ac"
	    "\\ud83d\\ude00\"");

	(void)state;
	assert_non_null(j);
	assert_string_equal(j->str, "a\"\\/\b\f\n\r\t\xc3\xa9\xe2\x82\xac"
	    "\xf0\x9f\x98\x80");
	json_free(&j);
}

static void
test_one_after_another(void **state)
{
	const char *text = "{\"x\":1}\n{\"y\":2}\n";
	size_t used, len = strlen(text);
	char err[128];
	struct json *a = json_parse(text, len, &used, err, sizeof(err)), *b;

	(void)state;
	assert_non_null(a);
	b = json_parse(text + used, len - used, &used, err, sizeof(err));
	assert_non_null(b);
	assert_true(json_num(b, "y", 0) == 2);
	assert_null(parse(text));	/* without used: an error */
	json_free(&a);
	json_free(&b);
}

static void
test_refused(void **state)
{
	static const char *const bad[] = { "", "{", "[1,]", "{\"a\"}",
	    "{\"a\":1,}", "01", "1.", "1e", "-", "+1", "\"a", "\"\\x\"",
	    "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"a\nb\"", "tru",
	    "[1 2]", "{1:2}", "nul", "\"\\", NULL };
	char err[128];

	(void)state;
	for (size_t i = 0; bad[i] != NULL; i++) {
		struct json *j = json_parse(bad[i], strlen(bad[i]), NULL, err,
		    sizeof(err));

		if (j != NULL)
			fail_msg("took '%s'", bad[i]);
		assert_non_null(strstr(err, "at byte"));
	}
}

static void
test_depth(void **state)
{
	char deep[2 * JSON_DEPTH_MAX + 8];
	struct json *j;
	size_t n;

	(void)state;
	for (n = 0; n < JSON_DEPTH_MAX; n++)
		deep[n] = '[';
	for (size_t k = 0; k < JSON_DEPTH_MAX; k++)
		deep[n++] = ']';
	deep[n] = '\0';
	assert_non_null(j = parse(deep));
	json_free(&j);
	memmove(deep + 1, deep, n + 1);
	deep[0] = '[';
	strcat(deep, "]");
	assert_null(parse(deep));
}

/* FRR 8.4's `show bgp neighbors json`, taken from a real bgpd */
static void
test_frr(void **state)
{
	FILE *f = fopen(FRR_DIR "/bgp-neighbors.json", "r");
	char buf[65536], err[128];
	size_t len;
	struct json *j;

	(void)state;
	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(len > 0 && len < sizeof(buf));
	j = json_parse(buf, len, NULL, err, sizeof(err));
	if (j == NULL)
		fail_msg("%s", err);
	assert_string_equal(json_str(json_get(j, "10.99.0.2"), "bgpState"),
	    "Established");
	json_free(&j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_one_after_another),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_frr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
