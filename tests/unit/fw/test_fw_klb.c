/*
 * tests/unit/fw/test_fw_klb.c - fw/fw_klb.c and fw_klb_rt.c: how the
 * slots of an l4-kernel virtual server's map are shared out by weight,
 * how few of them move when a weight changes, and the elements that go
 * into the kernel with a new table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "fw_klb.h"

#define K	EDGED_KWEIGHT_SCALE

/* How many of the k slots member m has. */
static unsigned
count(const int *slot, unsigned k, int m)
{
	unsigned n = 0;

	for (unsigned i = 0; i < k; i++)
		n += slot[i] == m;
	return n;
}

static void
fresh(int *slot, unsigned k)
{
	for (unsigned i = 0; i < k; i++)
		slot[i] = -1;
}

static struct edged_kservice
service(const unsigned *w, size_t n)
{
	static struct edged_kmember m[8];
	static struct sockaddr_storage a;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(80);
	inet_pton(AF_INET, "192.0.2.10", &s4->sin_addr);
	for (size_t i = 0; i < n; i++) {
		struct sockaddr_in *m4 = (struct sockaddr_in *)&m[i].addr;

		snprintf(m[i].name, sizeof(m[i].name), "m%zu", i);
		m4->sin_family = AF_INET;
		m4->sin_port = htons((uint16_t)(8080 + i));
		m4->sin_addr.s_addr = htonl(0x0a000100u + 11 + (unsigned)i);
		m[i].weight = w[i];
	}
	return (struct edged_kservice){ .name = "web", .addrs = &a,
	    .naddrs = 1, .proto = IPPROTO_TCP, .members = m, .nmembers = n };
}

/* At least 64 slots, a multiple of the file's weights below that. */
static void
test_nslots(void **state)
{
	struct edged_kservice ks;

	(void)state;
	ks = service((const unsigned[]){ 3, 1 }, 2);
	assert_int_equal(fw_klb_nslots(&ks), 64);
	ks = service((const unsigned[]){ 3, 2 }, 2);
	assert_int_equal(fw_klb_nslots(&ks), 65);
	ks = service((const unsigned[]){ 1, 1, 1 }, 3);
	assert_int_equal(fw_klb_nslots(&ks), 66);
	ks = service((const unsigned[]){ 200, 100 }, 2);
	assert_int_equal(fw_klb_nslots(&ks), 300);
	/* only backups (weight 0 in the file): one each */
	ks = service((const unsigned[]){ 0, 0 }, 2);
	assert_int_equal(fw_klb_nslots(&ks), 64);
}

/* The file's shares exactly, and interleaved: numgen's next turns do
 * not all go to one member. */
static void
test_assign_shares(void **state)
{
	int slot[64];

	(void)state;
	fresh(slot, 64);
	fw_klb_assign((const unsigned[]){ 3 * K, 1 * K }, 2, slot, 64);
	assert_int_equal(count(slot, 64, 0), 48);
	assert_int_equal(count(slot, 64, 1), 16);
	assert_int_equal(count(slot, 64, -1), 0);
	/* every run of four slots holds one of member 1's */
	for (unsigned i = 0; i < 64; i += 4)
		assert_int_equal(count(slot + i, 4, 1), 1);
}

/* A member out: its slots alone move, to the others; back: as few
 * move as its share needs. */
static void
test_assign_moves_few(void **state)
{
	int slot[66], before[66];
	unsigned moved = 0;

	(void)state;
	fresh(slot, 66);
	fw_klb_assign((const unsigned[]){ K, K, K }, 3, slot, 66);
	memcpy(before, slot, sizeof(slot));
	fw_klb_assign((const unsigned[]){ K, 0, K }, 3, slot, 66);
	assert_int_equal(count(slot, 66, 0), 33);
	assert_int_equal(count(slot, 66, 1), 0);
	assert_int_equal(count(slot, 66, 2), 33);
	for (unsigned i = 0; i < 66; i++) {
		if (before[i] != 1)
			assert_int_equal(slot[i], before[i]);
		moved += slot[i] != before[i];
	}
	assert_int_equal(moved, 22);
	fw_klb_assign((const unsigned[]){ K, K, K }, 3, slot, 66);
	for (int m = 0; m < 3; m++)
		assert_int_equal(count(slot, 66, m), 22);
}

/* No weight anywhere: no slot filled (the flow reaches the edge and is
 * refused); a slow start's fraction of a weight still gets a share. */
static void
test_assign_none_and_ramp(void **state)
{
	int slot[64];

	(void)state;
	fresh(slot, 64);
	fw_klb_assign((const unsigned[]){ K, K }, 2, slot, 64);
	fw_klb_assign((const unsigned[]){ 0, 0 }, 2, slot, 64);
	assert_int_equal(count(slot, 64, -1), 64);
	fw_klb_assign((const unsigned[]){ K, K / 8 }, 2, slot, 64);
	assert_int_equal(count(slot, 64, 1), 7);
	assert_int_equal(count(slot, 64, 0), 57);
}

/* The elements a new table starts with: the slots from the weights
 * recorded (a member down keeps none, and with on-member-down cut its
 * address is in the cut set). */
static void
test_elements(void **state)
{
	struct fw_klb *k = fw_klb_new();
	struct edged_kservice ks = service((const unsigned[]){ 1, 1 }, 2);
	const struct edged_kweight w[] = { { "m0", K, false },
	    { "m1", 0, true } };
	char *text;

	(void)state;
	assert_non_null(k);
	ks.cut = true;
	assert_int_equal(fw_klb_weights(k, "web", w, 2), 0);
	assert_int_equal(fw_klb_prepare(k, &ks, 1), 0);
	text = fw_klb_elements(k);
	assert_non_null(text);
	assert_non_null(strstr(text, "add element inet edged k_web { 0 : "
	    "10.0.1.11 . 8080, 1 : 10.0.1.11 . 8080,"));
	assert_null(strstr(text, "10.0.1.12 . 8081,"));
	assert_non_null(strstr(text, "add element inet edged kc_web { "
	    "10.0.1.12 . 8081 }\n"));
	free(text);
	fw_klb_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nslots),
		cmocka_unit_test(test_assign_shares),
		cmocka_unit_test(test_assign_moves_few),
		cmocka_unit_test(test_assign_none_and_ramp),
		cmocka_unit_test(test_elements),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
