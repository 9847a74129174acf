/*
 * tests/unit/routing/test_rt_ifaces.c - routing/rt_ifaces.c's plans, the
 * interface diff: against a real kernel's dumps (rtnl/capture.sh: a0 at
 * MTU 1400 with the operator's 192.0.2.1/24 and 2001:db8:98::1/64 and
 * edged's 10.98.0.1/24, b0, lo) and against links made up for the VLAN
 * cases: only what edged marked is taken away, only what differs is
 * set, nothing of an interface the file does not name is touched.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt_ifaces.h"

static struct rt_nl_link *links;
static size_t nlinks;
static struct rt_nl_addr *addrs;
static size_t naddrs;

static void
load(const char *name, bool is_links)
{
	char path[512], err[128];
	unsigned char *buf = malloc(65536);
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", RTNL_DIR, name);
	assert_non_null(buf);
	assert_non_null(f = fopen(path, "r"));
	len = fread(buf, 1, 65536, f);
	fclose(f);
	if (is_links)
		assert_int_equal(rt_nl_parse_links(buf, len, &links, &nlinks,
		    err, sizeof(err)), 1);
	else
		assert_int_equal(rt_nl_parse_addrs(buf, len, &addrs, &naddrs,
		    err, sizeof(err)), 1);
	free(buf);
}

static int
setup(void **state)
{
	(void)state;
	load("links.bin", true);
	load("addrs.bin", false);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(links);
	free(addrs);
	return 0;
}

static struct rt_prefix
pfx(const char *ip, unsigned plen)
{
	struct rt_prefix p = { .plen = plen };

	p.family = strchr(ip, ':') != NULL ? AF_INET6 : AF_INET;
	inet_pton(p.family, ip, p.addr);
	return p;
}

/* interface NAME with the addresses given ("ip/len" ...) */
static void
iface(struct rt_conf *c, const char *name, unsigned mtu, bool down,
    const char *const *a)
{
	struct rt_iface *f;
	size_t n = 0;

	while (a != NULL && a[n] != NULL)
		n++;
	assert_non_null(c->ifs = realloc(c->ifs, (c->nifs + 1) *
	    sizeof(*c->ifs)));
	f = &c->ifs[c->nifs++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->mtu = mtu;
	f->down = down;
	assert_non_null(f->addrs = calloc(n + 1, sizeof(*f->addrs)));
	for (f->naddrs = 0; f->naddrs < n; f->naddrs++) {
		char ip[64];
		const char *slash = strchr(a[f->naddrs], '/');

		snprintf(ip, sizeof(ip), "%.*s", (int)(slash - a[f->naddrs]),
		    a[f->naddrs]);
		f->addrs[f->naddrs] = pfx(ip, (unsigned)atoi(slash + 1));
	}
}

static bool
has_step(const struct rt_if_step *v, size_t n, enum rt_if_op op,
    const char *name, const char *ip, unsigned plen)
{
	struct rt_prefix p = { 0 };

	if (ip != NULL)
		p = pfx(ip, plen);

	for (size_t i = 0; i < n; i++)
		if (v[i].op == op && strcmp(v[i].name, name) == 0 &&
		    (ip == NULL || (v[i].p.family == p.family &&
		    v[i].p.plen == p.plen && memcmp(v[i].p.addr, p.addr,
		    16) == 0)))
			return true;
	return false;
}

static void
test_addresses(void **state)
{
	static const char *const want[] = { "192.0.2.1/24", "10.99.0.1/24",
	    NULL };
	struct rt_conf c;
	struct rt_if_step *v = NULL;
	size_t n = 0;
	char err[128];

	(void)state;
	rt_conf_init(&c);
	iface(&c, "a0", 1500, false, want);
	assert_int_equal(rt_ifaces_check_links(&c, links, nlinks, err,
	    sizeof(err)), 0);
	assert_int_equal(rt_ifaces_plan_links(&c, links, nlinks, &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 0);	/* a0's "edged: " alias is no VLAN */
	assert_int_equal(rt_ifaces_plan_addrs(&c, links, nlinks, addrs,
	    naddrs, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_true(has_step(v, n, RT_IF_SET, "a0", NULL, 0));
	assert_int_equal(v[0].mtu, 1500);
	assert_int_equal(v[0].was_mtu, 1400);
	/* edged's 10.98.0.1 goes, the operator's 2001:db8:98::1 stays */
	assert_true(has_step(v, n, RT_IF_ADDR_DEL, "a0", "10.98.0.1", 24));
	assert_true(has_step(v, n, RT_IF_ADDR_ADD, "a0", "10.99.0.1", 24));
	assert_false(has_step(v, n, RT_IF_ADDR_ADD, "a0", "192.0.2.1", 24));
	free(v);
	rt_conf_release(&c);
}

static void
test_nothing_named(void **state)
{
	struct rt_conf c;
	struct rt_if_step *v = NULL;
	size_t n = 0;
	char err[128];

	(void)state;
	rt_conf_init(&c);
	/* no interface block: only edged's own address is taken away */
	assert_int_equal(rt_ifaces_plan_addrs(&c, links, nlinks, addrs,
	    naddrs, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_true(has_step(v, n, RT_IF_ADDR_DEL, "a0", "10.98.0.1", 24));
	free(v);
	/* as the file says already (MTU, state, addresses): nothing */
	n = 0;
	v = NULL;
	iface(&c, "a0", 1400, false, (const char *const[]){ "10.98.0.1/24",
	    NULL });
	assert_int_equal(rt_ifaces_plan_addrs(&c, links, nlinks, addrs,
	    naddrs, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	free(v);
	rt_conf_release(&c);
}

static void
test_state_and_missing(void **state)
{
	struct rt_conf c;
	struct rt_if_step *v = NULL;
	size_t n = 0;
	char err[128];

	(void)state;
	rt_conf_init(&c);
	iface(&c, "b0", 0, true, NULL);
	assert_int_equal(rt_ifaces_plan_addrs(&c, links, nlinks, addrs,
	    naddrs, &v, &n, err, sizeof(err)), 0);
	assert_true(has_step(v, n, RT_IF_SET, "b0", NULL, 0));
	free(v);
	rt_conf_release(&c);
	rt_conf_init(&c);
	iface(&c, "nothere", 0, false, NULL);
	assert_int_equal(rt_ifaces_check_links(&c, links, nlinks, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "interface nothere: the edge has no such "
	    "interface");
	rt_conf_release(&c);
}

static void
test_vlans(void **state)
{
	struct rt_nl_link made[] = {
		{ .index = 2, .name = "up0", .kind = "veth" },
		{ .index = 5, .name = "up0.7", .kind = "vlan", .vlan = 7,
		    .parent = 2, .alias = "edged: vlan 7 of up0" },
		{ .index = 6, .name = "up0.8", .kind = "vlan", .vlan = 8,
		    .parent = 2, .alias = "the operator's" },
		{ .index = 7, .name = "up0.9", .kind = "vlan", .vlan = 9,
		    .parent = 2, .alias = "edged: vlan 9 of up0" },
	};
	struct rt_conf c;
	struct rt_if_step *v = NULL;
	size_t n = 0;
	char err[128];

	(void)state;
	rt_conf_init(&c);
	iface(&c, "up0.9", 0, false, NULL);
	c.ifs[0].vlan = 9;
	strcpy(c.ifs[0].parent, "up0");
	iface(&c, "up0.10", 0, false, NULL);
	c.ifs[1].vlan = 10;
	strcpy(c.ifs[1].parent, "up0");
	assert_int_equal(rt_ifaces_check_links(&c, made, 4, err,
	    sizeof(err)), 0);
	assert_int_equal(rt_ifaces_plan_links(&c, made, 4, &v, &n, err,
	    sizeof(err)), 0);
	/* edged's up0.7 goes, the operator's up0.8 and the kept up0.9
	 * stay, up0.10 is made on up0 */
	assert_int_equal(n, 2);
	assert_true(has_step(v, n, RT_IF_VLAN_DEL, "up0.7", NULL, 0));
	assert_true(has_step(v, n, RT_IF_VLAN_ADD, "up0.10", NULL, 0));
	assert_int_equal(v[1].parent_index, 2);
	assert_int_equal(v[1].vlan, 10);
	free(v);
	/* a link of that name that is not that VLAN */
	c.ifs[0].vlan = 99;
	assert_int_equal(rt_ifaces_check_links(&c, made, 4, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "interface up0.9 exists, and is not VLAN 99 "
	    "of up0");
	rt_conf_release(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_nothing_named),
		cmocka_unit_test(test_state_and_missing),
		cmocka_unit_test(test_vlans),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
