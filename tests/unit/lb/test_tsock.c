/*
 * tests/unit/lb/test_tsock.c - lb/tsock.c: the worker's stock of the
 * transparent sockets the master makes: taken until empty (then the
 * edge's own error), asked for again once half gone, one request out at
 * a time, sized to what the connections took.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_module.h"
#include "tsock.h"

/* The requests a stock sent its master. */
static unsigned nasks;
static uint32_t last_ask;

static int
fake_send(const struct edged_channel *ch, uint16_t type, uint32_t arg,
    const void *data, size_t len, int fd)
{
	(void)ch;
	(void)data;
	(void)len;
	(void)fd;
	assert_int_equal(type, LB_MSG_TSOCK_WANT);
	nasks++;
	last_ask = arg;
	return 0;
}

static const struct edged_channel master = { fake_send, 1024, NULL };

static void
fill(struct lb_tsock *t, unsigned kind, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		lb_tsock_put(t, kind, dup(0));
}

static void
kinds(void **state)
{
	(void)state;
	assert_int_equal(lb_tsock_kind(AF_INET, SOCK_STREAM), 0);
	assert_int_equal(lb_tsock_kind(AF_INET6, SOCK_STREAM), 1);
	assert_int_equal(lb_tsock_kind(AF_INET, SOCK_DGRAM), 2);
	assert_int_equal(lb_tsock_kind(AF_INET6, SOCK_DGRAM), 3);
	assert_int_equal(lb_tsock_kind(AF_UNIX, SOCK_STREAM), -1);
	assert_int_equal(lb_tsock_kind_family(3), AF_INET6);
	assert_int_equal(lb_tsock_kind_type(3), SOCK_DGRAM);
}

/* Half gone: one request for the rest of the target, and no second
 * while it is out; empty: LB_ETSOCK, and a target twice as large. */
static void
take_and_ask(void **state)
{
	struct lb_tsock *t = lb_tsock_new(1u << 0);
	int fd;

	(void)state;
	nasks = 0;
	lb_tsock_channel(t, &master);
	fill(t, 0, LB_TSOCK_MIN);
	for (unsigned i = 0; i < LB_TSOCK_MIN / 2 - 1; i++) {
		assert_true((fd = lb_tsock_take(t, AF_INET, SOCK_STREAM)) >= 0);
		close(fd);
	}
	assert_int_equal(nasks, 0);
	assert_true((fd = lb_tsock_take(t, AF_INET, SOCK_STREAM)) >= 0);
	close(fd);
	assert_int_equal(nasks, 1);
	assert_int_equal(last_ask, 0u << 24 | LB_TSOCK_MIN / 2);
	while ((fd = lb_tsock_take(t, AF_INET, SOCK_STREAM)) >= 0)
		close(fd);
	assert_int_equal(errno, LB_ETSOCK);
	assert_int_equal(nasks, 1);
	/* the request answered: emptied, the stock has doubled (once,
	 * whatever the takes that found it empty) */
	(void)lb_tsock_take(t, AF_INET, SOCK_STREAM);
	fill(t, 0, LB_TSOCK_MIN / 2);
	assert_true((fd = lb_tsock_take(t, AF_INET, SOCK_STREAM)) >= 0);
	close(fd);
	assert_int_equal(nasks, 2);
	assert_int_equal(last_ask, 0u << 24 | (2 * LB_TSOCK_MIN -
	    (LB_TSOCK_MIN / 2 - 1)));
	/* no stock of another kind */
	assert_int_equal(lb_tsock_take(t, AF_INET6, SOCK_STREAM), -1);
	assert_int_equal(errno, LB_ETSOCK);
	lb_tsock_free(t);
}

/* What a window took sizes the next request: 0.8 s of it. */
static void
follows_the_rate(void **state)
{
	struct lb_tsock *t = lb_tsock_new(1u << 2);
	int fd;

	(void)state;
	nasks = 0;
	lb_tsock_channel(t, &master);
	fill(t, 2, 2000);
	lb_tsock_tick(t, 100.0);
	for (unsigned i = 0; i < 1000; i++) {
		assert_true((fd = lb_tsock_take(t, AF_INET, SOCK_DGRAM)) >= 0);
		close(fd);
	}
	assert_int_equal(nasks, 0);
	/* 1000 in 0.25 s: 3200 for 0.8 s, asked for as 3200 - 1000 */
	lb_tsock_tick(t, 100.25);
	assert_int_equal(nasks, 1);
	assert_int_equal(last_ask, 2u << 24 | 2200);
	lb_tsock_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kinds),
		cmocka_unit_test(take_and_ask),
		cmocka_unit_test(follows_the_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
