/*
 * tests/unit/lb/test_counters_mt.c - the per-thread counters with real
 * threads: each "event thread" bumps its own counters as the data path
 * does (CTR_ADD, one writer per counter) while readers sum them (stats,
 * metrics, show pool) and another thread changes members as edgectl
 * does.  The final sums must be exact.  Built under ThreadSanitizer by
 * tests/run.sh's tsan pass.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "lb_int.h"
#include "lb_runtime.h"
#include "text.h"

#define THREADS		4
#define ROUNDS		20000

static const char conf_text[] =
    "application-profile web { type http; }\n"
    "pool p { member a 127.0.0.1:8081; member b 127.0.0.1:8082; }\n"
    "pool q { member c 127.0.0.1:8083; }\n"
    "virtual-server v { listen 127.0.0.1:8080; profile web; "
    "default-pool p; }\n"
    "virtual-server w { listen 127.0.0.1:8090; profile web; "
    "default-pool q; }\n";

struct fixture {
	struct edged_conf *conf;
	struct lb_runtime *rt;
	atomic_int writers_done;
};

struct worker {
	struct fixture *f;
	unsigned id;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct conf_diag d;

	assert_non_null(f);
	conf_diag_init(&d);
	f->conf = edged_conf_load("test", conf_text, sizeof(conf_text) - 1,
	    &d);
	conf_diag_print(&d, stderr);
	conf_diag_free(&d);
	assert_non_null(f->conf);
	f->rt = lb_runtime_new(f->conf->parts[EDGED_LB], THREADS, 0, NULL, 0);
	assert_non_null(f->rt);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	lb_runtime_free(&f->rt);
	edged_conf_free(&f->conf);
	free(f);
	return 0;
}

/* What one request does to the counters, on thread t: its virtual
 * server's, its pool's and its member's (session.c, connect.c,
 * txn.c). */
static void
count_request(struct lb_runtime *rt, unsigned t, size_t vs, size_t pool,
    size_t member)
{
	struct lb_ctr *v = lb_shm_ctr(&rt->shm, t, vs);
	struct lb_ctr *p = lb_shm_ctr(&rt->shm, t, rt->nvs + pool);
	struct lb_ctr *m = lb_shm_ctr(&rt->shm, t, rt->nvs + rt->npools +
	    member);

	CTR_ADD(v->cur, 1);
	CTR_ADD(v->total, 1);
	CTR_ADD(v->requests, 1);
	CTR_ADD(m->cur, 1);
	CTR_ADD(m->total, 1);
	CTR_ADD(m->requests, 1);
	CTR_ADD(p->requests, 1);
	CTR_ADD(v->bytes_in, 100);
	CTR_ADD(v->bytes_out, 1000);
	CTR_ADD(v->resp[2], 1);
	CTR_ADD(m->resp[2], 1);
	CTR_ADD(m->cur, -1);
	CTR_ADD(v->cur, -1);
}

static void *
writer_main(void *arg)
{
	struct worker *w = arg;
	struct lb_runtime *rt = w->f->rt;

	for (unsigned i = 0; i < ROUNDS; i++) {
		/* v -> p (a or b), w -> q (c) */
		count_request(rt, w->id, 0, 0, i % 2);
		count_request(rt, w->id, 1, 1, 2);
	}
	atomic_fetch_add(&w->f->writers_done, 1);
	return NULL;
}

/* edgectl show stats / pool, and the metrics page, while it runs. */
static void *
reader_main(void *arg)
{
	struct fixture *f = arg;
	struct text t;
	size_t len;
	FILE *mf;
	char *s;

	while (atomic_load(&f->writers_done) < THREADS) {
		assert_non_null(s = lb_stats(f->rt, true, &len));
		free(s);
		assert_non_null(mf = text_open(&t));
		lb_metrics(f->rt, mf);
		assert_non_null(s = text_close(&t, &len));
		free(s);
		assert_non_null(s = lb_show_pool(f->rt, "", false, &len));
		free(s);
	}
	return NULL;
}

/* edgectl member ... weight / drain / enable, while it runs. */
static void *
control_main(void *arg)
{
	struct fixture *f = arg;
	unsigned i = 0;

	while (atomic_load(&f->writers_done) < THREADS) {
		assert_int_equal(lb_runtime_member_set(f->rt, "p", "a",
		    LB_MEMBER_WEIGHT, 1 + i % 256), 0);
		assert_int_equal(lb_runtime_member_set(f->rt, "p", "b",
		    LB_MEMBER_ADMIN, i % 2 ? LB_ADMIN_DRAIN :
		    LB_ADMIN_ENABLED), 0);
		i++;
	}
	return NULL;
}

static void
test_sums_while_threads_count(void **state)
{
	struct fixture *f = *state;
	pthread_t th[THREADS], reader, control;
	struct worker w[THREADS];
	struct lb_sum s;

	assert_int_equal(pthread_create(&reader, NULL, reader_main, f), 0);
	assert_int_equal(pthread_create(&control, NULL, control_main, f), 0);
	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .f = f, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, writer_main,
		    &w[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(pthread_join(reader, NULL), 0);
	assert_int_equal(pthread_join(control, NULL), 0);

	s = lb_shm_sum(&f->rt->shm, 0);		/* v */
	assert_int_equal(s.cur, 0);
	assert_int_equal(s.total, THREADS * ROUNDS);
	assert_int_equal(s.requests, THREADS * ROUNDS);
	assert_int_equal(s.bytes_in, 100ULL * THREADS * ROUNDS);
	assert_int_equal(s.bytes_out, 1000ULL * THREADS * ROUNDS);
	assert_int_equal(s.resp[2], THREADS * ROUNDS);
	s = lb_shm_sum(&f->rt->shm, 2);		/* pool p */
	assert_int_equal(s.requests, THREADS * ROUNDS);
	s = lb_shm_sum(&f->rt->shm, 4);		/* member a */
	assert_int_equal(s.requests, THREADS * ROUNDS / 2);
	s = lb_shm_sum(&f->rt->shm, 6);		/* member c */
	assert_int_equal(s.requests, THREADS * ROUNDS);
	assert_int_equal(s.resp[2], THREADS * ROUNDS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sums_while_threads_count,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
