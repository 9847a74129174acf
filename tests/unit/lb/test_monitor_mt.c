/*
 * tests/unit/lb/test_monitor_mt.c - the monitor thread with real
 * threads: it probes two members (one listening socket of the test, one
 * closed port) and publishes its verdicts while "event threads" read
 * them as a pick does, readers print stats and pools, and the main
 * thread collects health changes as the worker's does.  Built under
 * ThreadSanitizer by tests/run.sh's tsan pass.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "lb_int.h"
#include "lb_runtime.h"

#define READERS		3
#define WAIT_MS		20000	/* a state is waited for this long at most */

struct fixture {
	struct edged_conf *conf;
	struct lb_runtime *rt;
	int listener;			/* member "up"'s port */
	atomic_int stop;
	/* what lb_runtime_health_changes reported, main thread only */
	int up_state, down_state;	/* -1 none yet, 0 down, 1 up */
};

/* A socket listening on a free port of 127.0.0.1; its port in *port. */
static int
listen_any(unsigned *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 64), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* A port nothing listens on (bound, never listening, then closed). */
static unsigned
closed_port(void)
{
	unsigned port;
	int fd = listen_any(&port);

	close(fd);
	return port;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct conf_diag d;
	unsigned up, down;
	char text[1024];
	int n;

	assert_non_null(f);
	f->listener = listen_any(&up);
	down = closed_port();
	n = snprintf(text, sizeof(text),
	    "monitor m { type tcp; interval 100ms; timeout 100ms; rise 1; "
	    "fall 1; }\n"
	    "application-profile web { type http; }\n"
	    "pool p { monitor m; member up 127.0.0.1:%u; "
	    "member down 127.0.0.1:%u; }\n"
	    "virtual-server v { listen 127.0.0.1:8080; profile web; "
	    "default-pool p; }\n", up, down);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	conf_diag_init(&d);
	f->conf = edged_conf_load("test", text, (size_t)n, &d);
	conf_diag_print(&d, stderr);
	conf_diag_free(&d);
	assert_non_null(f->conf);
	f->rt = lb_runtime_new(f->conf->parts[EDGED_LB], 2, 0, NULL, 0);
	assert_non_null(f->rt);
	f->up_state = f->down_state = -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	lb_monitors_stop(f->rt);
	lb_runtime_free(&f->rt);
	edged_conf_free(&f->conf);
	if (f->listener >= 0)
		close(f->listener);
	free(f);
	return 0;
}

/* An event thread: what a pick reads of every member, over and over. */
static void *
picker_main(void *arg)
{
	struct fixture *f = arg;
	struct lb_rt_pool *p = &f->rt->pools[0];
	unsigned long usable = 0;

	while (!atomic_load(&f->stop))
		for (size_t i = 0; i < p->nmembers; i++)
			if (lb_member_usable(&p->members[i]) &&
			    lb_member_load(&p->members[i]) == 0)
				usable++;
	return (void *)usable;
}

/* The control socket's thread of work: stats and pools (with the last
 * check) while the monitor writes them. */
static void *
reader_main(void *arg)
{
	struct fixture *f = arg;
	size_t len;
	char *s;

	while (!atomic_load(&f->stop)) {
		assert_non_null(s = lb_show_pool(f->rt, "p", true, &len));
		free(s);
		assert_non_null(s = lb_stats(f->rt, false, &len));
		free(s);
	}
	return NULL;
}

static void
report(const char *pool, const char *member, bool up, void *arg)
{
	struct fixture *f = arg;

	assert_string_equal(pool, "p");
	if (strcmp(member, "up") == 0)
		f->up_state = up;
	else
		f->down_state = up;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Collects health changes until member "up" is want_up and "down" is
 * down; false when that does not come within WAIT_MS. */
static bool
wait_states(struct fixture *f, int want_up)
{
	for (int t = 0; t < WAIT_MS; t += 10) {
		lb_runtime_health_changes(f->rt, report, f);
		if (f->down_state == 0 && atomic_load(&f->rt->pools[0]
		    .members[1].up) == 0 && f->up_state != !want_up &&
		    atomic_load(&f->rt->pools[0].members[0].up) == want_up)
			return true;
		sleep_ms(10);
	}
	return false;
}

static void
test_verdicts_while_threads_read(void **state)
{
	struct fixture *f = *state;
	pthread_t pickers[READERS], reader;

	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&pickers[i], NULL, picker_main,
		    f), 0);
	assert_int_equal(pthread_create(&reader, NULL, reader_main, f), 0);
	assert_int_equal(lb_monitors_start(f->rt), 0);

	/* the closed port goes down, the listener stays up */
	assert_true(wait_states(f, 1));
	/* then the listener goes away: both down */
	close(f->listener);
	f->listener = -1;
	assert_true(wait_states(f, 0));
	assert_int_equal(f->up_state, 0);
	/* and edgectl drains a member meanwhile */
	assert_int_equal(lb_runtime_member_set(f->rt, "p", "up",
	    LB_MEMBER_ADMIN, LB_ADMIN_DRAIN), 0);

	atomic_store(&f->stop, 1);
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_join(pickers[i], NULL), 0);
	assert_int_equal(pthread_join(reader, NULL), 0);
	lb_monitors_stop(f->rt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_verdicts_while_threads_read, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
