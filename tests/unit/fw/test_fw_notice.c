/*
 * tests/unit/fw/test_fw_notice.c - which of the kernel's nftables change
 * notices make the master look at its table again
 * (fw_nl_notice_matters), on notices recorded from a live kernel in a
 * network namespace (tests/fuzz/corpus/nft_reply/notice-N-K.bin: the
 * Nth nft command's Kth datagram; K = 1 is its generation's end):
 *
 *   0 add table   1 add chain   2 add set   3 add rule
 *   4 add element   5 delete element   6 delete table
 *
 * each recorded as committed by nft (a process named "nft").  A
 * generation another process committed that touched the table is a
 * change (a deletion of the table, its removal); one committed by edged
 * (by pid, or by name) is not, nor one that touched another table.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <linux/netlink.h>

#include "corpus.h"
#include "fw_netlink.h"
#include "fw_route.h"


static const struct fw_nl_self stranger_is_nft = { .pid = 1,
    .name = "edged" };

/* Datagram K of command cmd, read with g. */
static enum fw_nl_verdict
notice(int cmd, int k, const char *table, const struct fw_nl_self *self,
    struct fw_nl_gen *g)
{
	_Alignas(struct nlmsghdr) uint8_t buf[65536];
	char name[64];
	size_t n;

	snprintf(name, sizeof(name), "notice-%d-%d.bin", cmd, k);
	n = corpus_load(name, buf, sizeof(buf));
	return fw_nl_parse_notices(buf, n, table, self, g);
}

static void
test_recorded(void **state)
{
	(void)state;
	for (int cmd = 0; cmd <= 6; cmd++) {
		struct fw_nl_gen g = { 0 };

		/* the generation ends in the second datagram */
		assert_int_equal(notice(cmd, 0, "edged", &stranger_is_nft,
		    &g), FW_NL_NONE);
		assert_true(g.touched);
		assert_int_equal(notice(cmd, 1, "edged", &stranger_is_nft,
		    &g), cmd == 6 ? FW_NL_REMOVED : FW_NL_CHANGED);
		assert_false(g.touched);
	}
}

/* edged's own changes, and another table's, are no change. */
static void
test_self_and_others(void **state)
{
	const struct fw_nl_self nft = { .pid = 1, .name = "nft" };

	(void)state;
	for (int cmd = 0; cmd <= 6; cmd++) {
		struct fw_nl_gen g = { 0 };

		(void)notice(cmd, 0, "edged", &nft, &g);
		assert_int_equal(notice(cmd, 1, "edged", &nft, &g),
		    FW_NL_NONE);
		(void)notice(cmd, 0, "other", &stranger_is_nft, &g);
		assert_false(g.touched);
		assert_int_equal(notice(cmd, 1, "other", &stranger_is_nft,
		    &g), FW_NL_NONE);
	}
}

/* Cut short or empty: nothing is read past len, nothing touched. */
static void
test_cut(void **state)
{
	_Alignas(struct nlmsghdr) uint8_t buf[65536];
	size_t n = corpus_load("notice-3-0.bin", buf, sizeof(buf));
	struct fw_nl_gen g = { 0 };

	(void)state;
	assert_int_equal(fw_nl_parse_notices(buf, 0, "edged",
	    &stranger_is_nft, &g), FW_NL_NONE);
	assert_int_equal(fw_nl_parse_notices(buf, sizeof(struct nlmsghdr) - 1,
	    "edged", &stranger_is_nft, &g), FW_NL_NONE);
	for (size_t cut = 0; cut < n; cut++) {
		g = (struct fw_nl_gen){ 0 };
		(void)fw_nl_parse_notices(buf, cut, "edged",
		    &stranger_is_nft, &g);
	}
	g = (struct fw_nl_gen){ 0 };
	(void)fw_nl_parse_notices(buf, n, "edged", &stranger_is_nft, &g);
	assert_true(g.touched);
}

/* The rtnetlink answers to a transparent pool's rule, recorded: added
 * (0), then added again (EEXIST, the request echoed); another sequence
 * number's answer is none; cut short, no answer or EPROTO. */
static void
test_route_acks(void **state)
{
	_Alignas(struct nlmsghdr) uint8_t buf[4096];
	size_t n = corpus_load("route-ack-ok.bin", buf, sizeof(buf));

	(void)state;
	assert_int_equal(fw_route_parse_ack(buf, n, 1), 0);
	assert_int_equal(fw_route_parse_ack(buf, n, 2), -1);
	for (size_t cut = 0; cut < n; cut++) {
		int r = fw_route_parse_ack(buf, cut, 1);

		assert_true(r == -1 || r == EPROTO);
	}
	n = corpus_load("route-ack-exists.bin", buf, sizeof(buf));
	assert_int_equal(fw_route_parse_ack(buf, n, 2), EEXIST);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded),
		cmocka_unit_test(test_self_and_others),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_route_acks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
