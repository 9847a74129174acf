/*
 * tests/bench/stick_bench.c - what one lb_stick_track of lb/stick.c
 * costs (an IPv4 client address, +1 request, the values read back) with
 * 1,000 and 1,000,000 keys, from 1 and 2 threads at once; and when every
 * track evicts (1,000,000 keys in a 65,536-entry table), and when two
 * threads count on one key.  The table is in a memfd, as the master
 * makes it.  Built with the tests, not run by them (timings): run it by
 * hand,
 *     build/tests/stick_bench [TRACKS]
 * TRACKS per thread and row [2000000].  It prints one line per row: ns
 * per track as one thread sees it, and tracks per second over all.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "stick.h"

#define STEP		40503u	/* a prime: steps through every key */
#define CLOCK_EVERY	1024	/* tracks per clock reading */

struct row {
	const char *name;
	uint32_t keys;
	uint32_t size;
	unsigned threads;
};

static const struct row rows[] = {
	{ "1k keys", 1000, 2000, 1 },
	{ "1k keys", 1000, 2000, 2 },
	{ "1M keys", 1000000, 2000000, 1 },
	{ "1M keys", 1000000, 2000000, 2 },
	{ "1M keys, 64k table", 1000000, 65536, 1 },
	{ "1M keys, 64k table", 1000000, 65536, 2 },
	{ "1 key", 1, 64, 1 },
	{ "1 key", 1, 64, 2 },
};

struct thread {
	struct lb_stick *t;
	uint32_t nkeys;
	unsigned id;
	unsigned long tracks;
	pthread_barrier_t *start;
	double ns;
};

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t
now_ms(void)
{
	return (uint64_t)(now_ns() / 1e6);
}

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

/* Key k: 10.0.0.0 + k, an IPv4 address. */
static void
key_of(unsigned char key[4], uint32_t k)
{
	uint32_t a = 0x0a000000u + k;

	key[0] = (unsigned char)(a >> 24);
	key[1] = (unsigned char)(a >> 16);
	key[2] = (unsigned char)(a >> 8);
	key[3] = (unsigned char)a;
}

static void *
thread_main(void *arg)
{
	struct thread *th = arg;
	uint32_t k = th->id * (th->nkeys / 2 + 1) % th->nkeys;
	uint64_t ms = now_ms();
	struct lb_stick_vals v;
	unsigned char key[4];
	double t0;

	pthread_barrier_wait(th->start);
	t0 = now_ns();
	for (unsigned long i = 0; i < th->tracks; i++) {
		if (i % CLOCK_EVERY == 0)
			ms = now_ms();
		key_of(key, k);
		if (lb_stick_track(th->t, key, 4, ms, LB_STICK_EV_REQ, &v) < 0)
			die("lb_stick_track");
		k = (uint32_t)((k + STEP) % th->nkeys);
	}
	th->ns = now_ns() - t0;
	return NULL;
}

static void *
table(const struct lb_stick_geom *g, struct lb_stick *t, size_t *len)
{
	int fd = memfd_create("stick_bench", MFD_CLOEXEC);
	void *mem;

	*len = lb_stick_size(g);
	if (fd < 0 || *len == 0 || ftruncate(fd, (off_t)*len) < 0)
		die("memfd");
	mem = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	if (close(fd) < 0 || lb_stick_init(mem, *len, g) < 0 ||
	    lb_stick_attach(t, mem, *len, NULL) < 0)
		die("lb_stick_init");
	return mem;
}

/* Runs r: every key tracked once first (not timed), then the threads. */
static void
run(const struct row *r, unsigned long tracks)
{
	struct lb_stick_geom g = { .type = LB_STICK_IP, .size = r->size,
	    .store = LB_STICK_HTTP_REQ_RATE | LB_STICK_CONN_CUR,
	    .period = { [LB_STICK_R_HTTP_REQ] = 10000 }, .expire_ms = 600000 };
	struct thread th[2];
	pthread_t tid[2];
	pthread_barrier_t start;
	struct lb_stick t;
	unsigned char key[4];
	size_t len;
	void *mem = table(&g, &t, &len);
	double ns = 0;

	for (uint32_t k = 0; k < r->keys; k++) {
		key_of(key, k);
		if (lb_stick_track(&t, key, 4, now_ms(), 0, NULL) < 0)
			die("lb_stick_track");
	}
	if (pthread_barrier_init(&start, NULL, r->threads) != 0)
		die("pthread_barrier_init");
	for (unsigned i = 0; i < r->threads; i++) {
		th[i] = (struct thread){ .t = &t, .nkeys = r->keys,
		    .id = i, .tracks = tracks,
		    .start = &start };
		if (pthread_create(&tid[i], NULL, thread_main, &th[i]) != 0)
			die("pthread_create");
	}
	for (unsigned i = 0; i < r->threads; i++) {
		if (pthread_join(tid[i], NULL) != 0)
			die("pthread_join");
		ns = ns > th[i].ns ? ns : th[i].ns;
	}
	printf("%-20s %8u %7u %4u %10.1f %10.2f %6u\n", r->name, r->keys,
	    r->size, r->threads, ns / (double)tracks,
	    (double)tracks * r->threads / ns * 1e3, t.geom.nshards);
	pthread_barrier_destroy(&start);
	if (munmap(mem, len) < 0)
		die("munmap");
}

int
main(int argc, char **argv)
{
	unsigned long tracks = argc > 1 ? strtoul(argv[1], NULL, 10) :
	    2000000;

	if (tracks == 0)
		die("usage: stick_bench [TRACKS]");
	printf("%-20s %8s %7s %4s %10s %10s %6s\n", "row", "keys", "size",
	    "thr", "ns/track", "Mtrack/s", "shards");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run(&rows[i], tracks);
	return 0;
}
