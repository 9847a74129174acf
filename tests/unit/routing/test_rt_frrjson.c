/*
 * tests/unit/routing/test_rt_frrjson.c - routing/rt_frrjson.c against
 * what a real FRR 8.4 answered (frr/capture.sh): the BGP neighbours (v4,
 * v6, one that never answers), the OSPF neighbour, the routing table of
 * both families with edged's own route marked; answers of the wrong
 * shape refused; and rt_vty.c's framing of a vty answer.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "rt_frrjson.h"
#include "rt_vty.h"

static char *
slurp(const char *name, size_t *len)
{
	char path[512], *buf;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", FRR_DIR, name);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(buf = malloc(1 << 20));
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static const struct rt_bgp_peer *
peer(const struct rt_bgp_peer *v, size_t n, const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].addr, addr) == 0)
			return &v[i];
	fail_msg("no neighbour %s", addr);
	return NULL;
}

static void
test_bgp(void **state)
{
	size_t len, n;
	char *text = slurp("bgp-neighbors.json", &len), err[128];
	struct rt_bgp_peer *v;
	const struct rt_bgp_peer *p;

	(void)state;
	assert_int_equal(rt_frrjson_bgp(text, len, &v, &n, err, sizeof(err)),
	    0);
	assert_int_equal(n, 3);
	p = peer(v, n, "10.99.0.2");
	assert_true(p->up);
	assert_string_equal(p->state, "Established");
	assert_int_equal(p->remote_as, 65000);
	assert_int_equal(p->received, 1);
	assert_int_equal(p->sent, 4);
	assert_true(p->up_ms > 0);
	p = peer(v, n, "fd99::2");
	assert_true(p->up);
	assert_int_equal(p->received, 1);
	p = peer(v, n, "10.99.0.9");
	assert_false(p->up);
	assert_string_equal(p->state, "Idle");
	assert_int_equal(p->remote_as, 65009);
	assert_int_equal(p->up_ms, 0);
	free(v);
	free(text);
}

static void
test_ospf(void **state)
{
	size_t len, n;
	char *text = slurp("ospf-neighbors.json", &len), err[128];
	struct rt_ospf_peer *v;

	(void)state;
	assert_int_equal(rt_frrjson_ospf(text, len, &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].id, "10.99.0.2");
	assert_string_equal(v[0].ifname, "a0");
	assert_string_equal(v[0].addr, "10.99.0.2");
	assert_string_equal(v[0].state, "Full/DR");
	assert_true(v[0].up);
	free(v);
	free(text);
}

/* both tables, as rt_neigh.c puts them together */
static char *
tables(size_t *len)
{
	size_t l4, l6;
	char *v4 = slurp("ip-route.json", &l4), *v6 = slurp("ipv6-route.json",
	    &l6);

	assert_non_null(v4 = realloc(v4, l4 + l6 + 1));
	memcpy(v4 + l4, v6, l6 + 1);
	free(v6);
	*len = l4 + l6;
	return v4;
}

static char *
routes(bool json, const struct edged_vip *vips, size_t nvips)
{
	size_t len, outlen;
	char *text = tables(&len), *out, err[128];
	FILE *f = open_memstream(&out, &outlen);

	assert_int_equal(rt_frrjson_routes(text, len, vips, nvips, json, f,
	    err, sizeof(err)), 0);
	fclose(f);
	free(text);
	return out;
}

static void
test_routes(void **state)
{
	struct edged_vip vip = { .service = "web" };
	struct sockaddr_in *sin = (struct sockaddr_in *)&vip.addr;
	char *out, err[128];
	struct json *j;

	(void)state;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.10", &sin->sin_addr);
	out = routes(false, &vip, 1);
	/* (capture.py's route has distance 20) */
	assert_non_null(strstr(out, ">* 192.0.2.10/32            edged      "
	    "20/0         blackhole  [virtual-server web]\n"));
	assert_non_null(strstr(out, "10.99.50.0/24            static     "
	    "1/0          blackhole\n"));
	assert_non_null(strstr(out, "10.99.60.0/24            static     "
	    "1/0          10.99.0.2 (a0)\n"));
	assert_non_null(strstr(out, "2001:db8:99::/48"));
	assert_non_null(strstr(out, " ospf "));
	free(out);
	out = routes(true, &vip, 1);
	j = json_parse(out, strlen(out), NULL, err, sizeof(err));
	if (j == NULL)
		fail_msg("%s: %s", err, out);
	assert_int_equal(json_get(j, "routes")->n, 8);	/* 5 + 3 */
	json_free(&j);
	assert_non_null(strstr(out, "\"virtual_servers\":[\"web\"]"));
	free(out);
}

static void
test_refused(void **state)
{
	static const char *const bad[] = { "", "[]", "{", "\"x\"",
	    "{} {} {}", "% [BGP] Unknown command", NULL };
	struct rt_bgp_peer *b;
	struct rt_ospf_peer *o;
	size_t n;
	char err[128];
	FILE *f = fopen("/dev/null", "w");

	(void)state;
	for (size_t i = 0; bad[i] != NULL; i++) {
		size_t len = strlen(bad[i]);

		if (i != 4) {
			assert_int_equal(rt_frrjson_bgp(bad[i], len, &b, &n,
			    err, sizeof(err)), -1);
			assert_int_equal(rt_frrjson_ospf(bad[i], len, &o, &n,
			    err, sizeof(err)), -1);
		}
		if (i != 0)
			assert_int_equal(rt_frrjson_routes(bad[i], len, NULL,
			    0, false, f, err, sizeof(err)), -1);
	}
	/* shapes it does not know are empty, not errors */
	assert_int_equal(rt_frrjson_bgp("{\"x\":1}", 7, &b, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_null(b);
	assert_int_equal(rt_frrjson_ospf("{\"neighbors\":{\"a\":[1]}}", 23,
	    &o, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_null(o);
	fclose(f);
}

static void
test_vty_frame(void **state)
{
	int status = -1;

	(void)state;
	assert_int_equal(rt_vty_frame("abc", 3, &status), -1);
	assert_int_equal(rt_vty_frame("abc\0\0\0", 6, &status), -1);
	assert_int_equal(rt_vty_frame("abc\0\0\0\2", 7, &status), 3);
	assert_int_equal(status, 2);
	assert_int_equal(rt_vty_frame("\0\0\0\0rest", 8, &status), 0);
	assert_int_equal(status, 0);
	assert_int_equal(rt_vty_frame("ab\0x\0\0", 6, &status), -2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bgp),
		cmocka_unit_test(test_ospf),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_vty_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
