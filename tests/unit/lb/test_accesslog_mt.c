/*
 * tests/unit/lb/test_accesslog_mt.c - the access logger with real
 * threads: event threads append and flush lines while the logger thread
 * writes them to a file, as a worker does under load.  Every line must
 * arrive whole, in its thread's order, or be counted as dropped.  Built
 * under ThreadSanitizer by tests/run.sh's tsan pass.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "accesslog.h"

#define WRITERS		4
#define LINES		20000
#define FLUSH_EVERY	37		/* lines between two flushes */

static const char *const names[] = { "/tmp/test-a.log", "/tmp/test-b.log" };

struct writer {
	struct lb_logger *logger;
	unsigned id;
	size_t vs;
};

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct lb_log_buf b = { NULL };
	char line[128];

	for (unsigned i = 0; i < LINES; i++) {
		int n = snprintf(line, sizeof(line), "thread %u line %u %s\n",
		    w->id, i, "GET /some/path/that/fills/the/chunk HTTP/1.1");

		lb_log_append(w->logger, &b, w->vs, line, (size_t)n);
		if (i % FLUSH_EVERY == 0)
			lb_log_flush(w->logger, &b);
	}
	lb_log_flush(w->logger, &b);
	return NULL;
}

/* Reads fd's file from the start: every line whole, each thread's
 * numbers increasing; returns how many lines. */
static unsigned
check_file(int fd)
{
	FILE *f;
	char line[256];
	long next[WRITERS];
	unsigned n = 0, id, i;

	memset(next, 0, sizeof(next));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	f = fdopen(fd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		assert_int_equal(sscanf(line, "thread %u line %u GET ", &id,
		    &i), 2);
		assert_in_range(id, 0, WRITERS - 1);
		assert_true((long)i >= next[id]);
		next[id] = (long)i + 1;
		assert_non_null(strstr(line, " HTTP/1.1\n"));
		n++;
	}
	fclose(f);
	return n;
}

static int
temp_file(void)
{
	char path[] = "/tmp/edged-test-accesslog.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

static void
run_writers(struct lb_logger *l, size_t nvs)
{
	pthread_t th[WRITERS];
	struct writer w[WRITERS];

	for (unsigned i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ .logger = l, .id = i, .vs = i % nvs };
		assert_int_equal(pthread_create(&th[i], NULL, writer_main,
		    &w[i]), 0);
	}
	for (unsigned i = 0; i < WRITERS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
}

/* One file, every thread writing to it. */
static void
test_threads_one_file(void **state)
{
	int fd = temp_file(), mine = dup(fd);
	const char *syslog[1] = { NULL };
	struct lb_logger *l;
	uint64_t dropped;
	unsigned lines;

	(void)state;
	l = lb_logger_new(1, &fd, syslog, names);
	assert_non_null(l);
	run_writers(l, 1);
	/* freeing joins the logger, which delivers all it was handed */
	dropped = lb_log_dropped(l);
	lb_logger_free(&l);
	assert_null(l);
	lines = check_file(mine);
	assert_int_equal(lines + dropped, WRITERS * LINES);
	assert_true(lines > 0);
}

/* Two virtual servers, two files; the lines of each go to its own. */
static void
test_threads_two_files(void **state)
{
	int fds[2] = { temp_file(), temp_file() };
	int mine[2] = { dup(fds[0]), dup(fds[1]) };
	const char *syslog[2] = { NULL, NULL };
	struct lb_logger *l;
	uint64_t dropped;
	unsigned lines;

	(void)state;
	l = lb_logger_new(2, fds, syslog, names);
	assert_non_null(l);
	run_writers(l, 2);
	dropped = lb_log_dropped(l);
	lb_logger_free(&l);
	lines = check_file(mine[0]) + check_file(mine[1]);
	assert_int_equal(lines + dropped, WRITERS * LINES);
}

/* Stopped while threads still hand lines over: the logger takes what
 * was queued before it was asked to stop, and nothing is lost unseen. */
static void
test_free_after_flushes(void **state)
{
	int fd = temp_file(), mine = dup(fd);
	const char *syslog[1] = { NULL };
	struct lb_logger *l = lb_logger_new(1, &fd, syslog, names);
	struct lb_log_buf b = { NULL };
	char line[64];

	(void)state;
	assert_non_null(l);
	for (int i = 0; i < 100; i++) {
		int n = snprintf(line, sizeof(line),
		    "thread 0 line %d GET / HTTP/1.1\n", i);

		lb_log_append(l, &b, 0, line, (size_t)n);
		lb_log_flush(l, &b);
	}
	lb_logger_free(&l);
	assert_int_equal(check_file(mine), 100);
}

/* Hands n numbered lines from first on, one flush. */
static void
hand_lines(struct lb_logger *l, unsigned first, unsigned n)
{
	struct lb_log_buf b = { NULL };
	char line[128];

	for (unsigned i = first; i < first + n; i++) {
		int k = snprintf(line, sizeof(line), "thread 0 line %u GET "
		    "/some/path/that/fills/the/chunk HTTP/1.1\n", i);

		lb_log_append(l, &b, 0, line, (size_t)k);
	}
	lb_log_flush(l, &b);
}

static void
wait_dropped(struct lb_logger *l, uint64_t n)
{
	for (int i = 0; i < 5000 && lb_log_dropped(l) < n; i++)
		usleep(1000);
	assert_int_equal(lb_log_dropped(l), n);
}

/* A disk that is full (/dev/full: every write fails with ENOSPC): every
 * line counted as dropped, nothing blocks, the logger stops cleanly. */
static void
test_disk_full(void **state)
{
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	const char *syslog[1] = { NULL };
	struct lb_logger *l;

	(void)state;
	assert_true(fd >= 0);
	l = lb_logger_new(1, &fd, syslog, names);
	assert_non_null(l);
	hand_lines(l, 0, 100);
	wait_dropped(l, 100);
	hand_lines(l, 100, 50);
	wait_dropped(l, 150);
	lb_logger_free(&l);
}

/* A write cut short (the file size limit stands for a disk filling up):
 * the lines not wholly written are counted, and once writing works again
 * the cut line is ended first, so the file holds whole lines only. */
static void
test_cut_write(void **state)
{
	int fd = temp_file(), mine = dup(fd);
	const char *syslog[1] = { NULL };
	struct rlimit old, small = { 1000, RLIM_INFINITY };
	struct lb_logger *l;
	unsigned lines, fit = 0;

	(void)state;
	/* beyond the limit, write fails with EFBIG instead of a signal */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small.rlim_max = old.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	l = lb_logger_new(1, &fd, syslog, names);
	assert_non_null(l);
	/* 20 lines of about 60 bytes: the first ones fit whole in 1000
	 * bytes, the next is cut */
	for (size_t len = 0; fit < 20; fit++) {
		len += (size_t)snprintf(NULL, 0, "thread 0 line %u GET "
		    "/some/path/that/fills/the/chunk HTTP/1.1\n", fit);
		if (len > small.rlim_cur)
			break;
	}
	hand_lines(l, 0, 20);
	wait_dropped(l, 20 - fit);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	hand_lines(l, 20, 10);
	lb_logger_free(&l);
	signal(SIGXFSZ, SIG_DFL);
	/* check_file: every line whole and well formed; the cut one ended
	 * by the newline written before the next lines stays a line too,
	 * so it is read here as one (short) line: count it apart */
	assert_int_equal(lseek(mine, 0, SEEK_SET), 0);
	{
		FILE *f = fdopen(mine, "r");
		char line[256];
		unsigned whole = 0, cut = 0;

		assert_non_null(f);
		while (fgets(line, sizeof(line), f) != NULL) {
			unsigned id, i;

			assert_non_null(strchr(line, '\n'));
			if (strstr(line, " HTTP/1.1\n") != NULL) {
				assert_int_equal(sscanf(line, "thread %u line "
				    "%u GET ", &id, &i), 2);
				whole++;
			} else {
				cut++;
			}
		}
		fclose(f);
		lines = whole;
		assert_int_equal(cut, 1);
	}
	assert_int_equal(lines, fit + 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_one_file),
		cmocka_unit_test(test_threads_two_files),
		cmocka_unit_test(test_free_after_flushes),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_cut_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
