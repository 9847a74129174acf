/*
 * tests/unit/lb/test_state.c - lb/lb_state.c and lb/shm.c: the blocks
 * workers count in, and what the master carries between workers by
 * name.  Configurations come from the real parser; blocks are real
 * memfds, as in the daemon.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "lb.h"
#include "lb_state.h"

/* a configuration's load balancer part */
#define LB(c)	((struct lb_conf *)(c)->parts[EDGED_LB])
#define HEAD	"application-profile web { type http; }\n"
/* objects: v | p | p/a p/b */
static const char conf_a[] = HEAD
    "pool p { member a 127.0.0.1:1; member b 127.0.0.1:2; }\n"
    "virtual-server v { listen 127.0.0.1:80; profile web; "
    "default-pool p; }\n";
/* objects: v w | p | p/a p/c -- b gone, c and w new, a moved first */
static const char conf_b[] = HEAD
    "pool p { member c 127.0.0.1:3; member a 127.0.0.1:1; }\n"
    "virtual-server v { listen 127.0.0.1:80; profile web; "
    "default-pool p; }\n"
    "virtual-server w { listen 127.0.0.1:81; profile web; "
    "default-pool p; }\n";

static struct edged_conf *
load(const char *text)
{
	struct conf_diag d;
	struct edged_conf *c;

	conf_diag_init(&d);
	c = edged_conf_load("test", text, strlen(text), &d);
	if (c == NULL)
		conf_diag_print(&d, stderr);
	conf_diag_free(&d);
	assert_non_null(c);
	return c;
}

/* The object index of kind/pool/name in b's directory; fails if none. */
static size_t
obj(const struct lb_state_block *b, enum lb_obj_kind kind, const char *pool,
    const char *name)
{
	for (size_t i = 0; i < b->view.hdr->nobj; i++) {
		const struct lb_shm_obj *o = &b->view.dir[i];

		if (o->kind == kind && strcmp(o->pool, pool) == 0 &&
		    strcmp(o->name, name) == 0)
			return i;
	}
	fail_msg("no object %s/%s", pool, name);
	return 0;
}

static struct lb_member_state *
member(const struct lb_state_block *b, const char *name)
{
	size_t i = obj(b, LB_OBJ_MEMBER, "p", name);

	return &b->view.members[i - b->view.hdr->nvs - b->view.hdr->npools];
}

static uint64_t
base_requests(const struct lb_state_block *b, enum lb_obj_kind kind,
    const char *pool, const char *name)
{
	return lb_ctr_ld(&b->view.base[obj(b, kind, pool, name)].requests);
}

static void
add(struct lb_state_block *b, unsigned thread, size_t i, uint64_t requests,
    uint64_t cur)
{
	struct lb_ctr *c = lb_shm_ctr(&b->view, thread, i);

	atomic_store(&c->requests, lb_ctr_ld(&c->requests) + requests);
	atomic_store(&c->cur, lb_ctr_ld(&c->cur) + cur);
}

static void
layout_and_names(void **unused)
{
	struct edged_conf *a = load(conf_a);
	struct lb_state st = { 0 };
	struct lb_state_block b;
	struct lb_shm v;

	(void)unused;
	assert_int_equal(lb_state_block_new(&st, &b, LB(a), 3), 0);
	assert_int_equal(b.view.hdr->nobj, 4);
	assert_int_equal(b.view.hdr->nthreads, 3);
	assert_int_equal(obj(&b, LB_OBJ_VS, "", "v"), 0);
	assert_int_equal(obj(&b, LB_OBJ_POOL, "", "p"), 1);
	assert_int_equal(obj(&b, LB_OBJ_MEMBER, "p", "b"), 3);
	assert_int_equal(b.len, lb_shm_size(LB(a), 3));
	/* the worker's check: the same configuration fits, another not */
	assert_int_equal(lb_shm_attach(&v, b.mem, b.len, LB(a)), 0);
	struct edged_conf *bc = load(conf_b);
	assert_int_equal(lb_shm_attach(&v, b.mem, b.len, LB(bc)), -1);
	assert_int_equal(lb_shm_attach(&v, b.mem, b.len / 2, LB(a)), -1);
	lb_state_block_release(&b);
	lb_state_free(&st);
	edged_conf_free(&a);
	edged_conf_free(&bc);
}

/* A new worker's base: what the old, still-live worker counts, by name,
 * whatever the objects' positions; then what it counted once gone. */
static void
carried_by_name(void **unused)
{
	struct edged_conf *a = load(conf_a), *bc = load(conf_b);
	struct lb_state st = { 0 };
	struct lb_state_block old, cur;
	struct lb_state_block *live[2] = { &old, &cur };

	(void)unused;
	assert_int_equal(lb_state_block_new(&st, &old, LB(a), 2), 0);
	add(&old, 0, obj(&old, LB_OBJ_VS, "", "v"), 5, 1);
	add(&old, 1, obj(&old, LB_OBJ_VS, "", "v"), 3, 1);
	add(&old, 1, obj(&old, LB_OBJ_MEMBER, "p", "a"), 4, 0);
	add(&old, 0, obj(&old, LB_OBJ_MEMBER, "p", "b"), 9, 0);
	atomic_store(&member(&old, "a")->active, 2);

	assert_int_equal(lb_state_block_new(&st, &cur, LB(bc), 1), 0);
	lb_state_refresh(&st, &cur, live, 2);
	assert_int_equal(base_requests(&cur, LB_OBJ_VS, "", "v"), 8);
	assert_int_equal(lb_ctr_ld(&cur.view.base[obj(&cur, LB_OBJ_VS, "",
	    "v")].cur), 2);
	assert_int_equal(base_requests(&cur, LB_OBJ_MEMBER, "p", "a"), 4);
	assert_int_equal(base_requests(&cur, LB_OBJ_MEMBER, "p", "c"), 0);
	assert_int_equal(base_requests(&cur, LB_OBJ_VS, "", "w"), 0);
	assert_int_equal(atomic_load(&member(&cur, "a")->others), 2);
	assert_int_equal(atomic_load(&member(&cur, "c")->others), 0);

	/* the old worker goes on counting, then is gone */
	add(&old, 0, obj(&old, LB_OBJ_VS, "", "v"), 2, 0);
	lb_state_fold(&st, &old);
	lb_state_block_release(&old);
	live[0] = NULL;
	lb_state_refresh(&st, &cur, live, 2);
	assert_int_equal(base_requests(&cur, LB_OBJ_VS, "", "v"), 10);
	/* its connections ended with it */
	assert_int_equal(lb_ctr_ld(&cur.view.base[obj(&cur, LB_OBJ_VS, "",
	    "v")].cur), 0);
	assert_int_equal(atomic_load(&member(&cur, "a")->others), 0);
	/* the current worker's own counts are not in its base */
	add(&cur, 0, obj(&cur, LB_OBJ_VS, "", "v"), 7, 0);
	lb_state_refresh(&st, &cur, live, 2);
	assert_int_equal(base_requests(&cur, LB_OBJ_VS, "", "v"), 10);

	/* b left the configuration: its counts wait for it by name */
	struct lb_state_block again;
	assert_int_equal(lb_state_block_new(&st, &again, LB(a), 1), 0);
	live[0] = &cur;
	live[1] = &again;
	lb_state_refresh(&st, &again, live, 2);
	assert_int_equal(base_requests(&again, LB_OBJ_MEMBER, "p", "b"), 9);
	assert_int_equal(base_requests(&again, LB_OBJ_VS, "", "v"), 17);

	lb_state_block_release(&again);
	lb_state_block_release(&cur);
	lb_state_free(&st);
	edged_conf_free(&a);
	edged_conf_free(&bc);
}

static void
history_follows_the_member(void **unused)
{
	struct edged_conf *a = load(conf_a), *bc = load(conf_b);
	struct lb_state st = { 0 };
	struct lb_state_block old, cur;

	(void)unused;
	assert_int_equal(lb_state_block_new(&st, &old, LB(a), 1), 0);
	atomic_store(&member(&old, "a")->check_result, 200);
	atomic_store(&member(&old, "a")->transitions, 3);
	atomic_store(&member(&old, "a")->up_since_ms, 12345);
	lb_state_pull_history(&st, &old);
	assert_int_equal(lb_state_block_new(&st, &cur, LB(bc), 2), 0);
	assert_int_equal(atomic_load(&member(&cur, "a")->check_result), 200);
	assert_int_equal(atomic_load(&member(&cur, "a")->transitions), 3);
	assert_int_equal(atomic_load(&member(&cur, "a")->up_since_ms), 12345);
	/* c is new: nothing known */
	assert_int_equal(atomic_load(&member(&cur, "c")->check_result), 0);
	lb_state_block_release(&old);
	lb_state_block_release(&cur);
	lb_state_free(&st);
	edged_conf_free(&a);
	edged_conf_free(&bc);
}

/* An upgrade: the registry as text to the new image, and the block
 * adopted from its descriptor. */
static void
handed_over(void **unused)
{
	struct edged_conf *a = load(conf_a);
	struct lb_state st = { 0 }, st2 = { 0 };
	struct lb_state_block old, adopted, cur;
	struct lb_state_block *live[1] = { &adopted };
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f;

	(void)unused;
	assert_int_equal(lb_state_block_new(&st, &old, LB(a), 1), 0);
	add(&old, 0, obj(&old, LB_OBJ_MEMBER, "p", "b"), 6, 0);
	lb_state_fold(&st, &old);	/* a worker gone before the upgrade */
	atomic_store(&member(&old, "b")->transitions, 1);
	lb_state_pull_history(&st, &old);
	lb_state_block_release(&old);

	assert_non_null(f = open_memstream(&text, &len));
	lb_state_save(&st, f);
	fclose(f);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		assert_int_equal(lb_state_load_line(&st2, line), 0);
	free(text);
	assert_int_equal(st2.n, st.n);
	assert_int_equal(lb_state_load_line(&st2, "entry 3 p b 1 2"), -1);
	assert_int_equal(lb_state_load_line(&st2, "entry 9 - v 0 0 0 0 0 0 0 "
	    "0 0 0 0 0 0 0 0 0"), -1);
	/* the TLS counters travel; an older image's line has none */
	struct lb_state st3 = { 0 };
	assert_int_equal(lb_state_load_line(&st3, "entry 1 - v 5 4 0 0 0 4 0 "
	    "0 0 0 1 0 0 0 0 0 7 3 6"), 0);
	assert_int_equal(st3.v[0].carried.tls[LB_TLS_HANDSHAKES], 7);
	assert_int_equal(st3.v[0].carried.tls[LB_TLS_RESUMED], 3);
	assert_int_equal(st3.v[0].carried.tls[LB_TLS_V13], 6);
	assert_int_equal(lb_state_load_line(&st3, "entry 1 - v 5 4 0 0 0 4 0 "
	    "0 0 0 1 0 0 0 0 0"), 0);
	assert_int_equal(st3.v[0].carried.tls[LB_TLS_HANDSHAKES], 0);
	assert_int_equal(lb_state_load_line(&st3, "entry 1 - v 5 4 0 0 0 4 0 "
	    "0 0 0 1 0 0 0 0 0 7 3"), -1);
	lb_state_free(&st3);

	/* a live worker's block, adopted by descriptor */
	assert_int_equal(lb_state_block_new(&st, &old, LB(a), 1), 0);
	add(&old, 0, obj(&old, LB_OBJ_VS, "", "v"), 11, 0);
	assert_int_equal(lb_state_block_adopt(&st2, &adopted, dup(old.fd)), 0);
	assert_int_equal(lb_state_block_new(&st2, &cur, LB(a), 1), 0);
	lb_state_refresh(&st2, &cur, live, 1);
	assert_int_equal(base_requests(&cur, LB_OBJ_VS, "", "v"), 11);
	assert_int_equal(base_requests(&cur, LB_OBJ_MEMBER, "p", "b"), 6);
	assert_int_equal(atomic_load(&member(&cur, "b")->transitions), 1);
	/* not a block */
	struct lb_state_block junk;
	int fd = memfd_create("junk", MFD_CLOEXEC);
	assert_int_equal(write(fd, "not a block, not at all", 23), 23);
	assert_int_equal(lb_state_block_adopt(&st2, &junk, fd), -1);

	lb_state_block_release(&old);
	lb_state_block_release(&adopted);
	lb_state_block_release(&cur);
	lb_state_free(&st);
	lb_state_free(&st2);
	edged_conf_free(&a);
}

/* The master's figures: in every block it makes or publishes to, where
 * the worker's metrics read them, and in the text an upgrade hands on. */
static void
master_figures(void **unused)
{
	struct edged_conf *a = load(conf_a);
	struct lb_state st = { 0 }, st2 = { 0 };
	struct lb_state_block b;
	struct lb_shm_master *bm;
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f;

	(void)unused;
	st.master.started_ms = 1700000000123;
	st.master.loaded_ms = 1700000000456;
	st.master.reloads[LB_RELOAD_FAILURE] = 2;
	assert_int_equal(lb_state_block_new(&st, &b, LB(a), 1), 0);
	bm = &b.view.hdr->master;
	assert_int_equal(atomic_load(&bm->started_ms), 1700000000123);
	assert_int_equal(atomic_load(&bm->reloads[LB_RELOAD_FAILURE]), 2);
	assert_int_equal(atomic_load(&bm->reloads[LB_RELOAD_SUCCESS]), 0);
	/* a reload later: the live block follows */
	st.master.reloads[LB_RELOAD_SUCCESS] = 1;
	st.master.loaded_ms = 1700000009000;
	lb_state_publish(&st, &b);
	assert_int_equal(atomic_load(&bm->reloads[LB_RELOAD_SUCCESS]), 1);
	assert_int_equal(atomic_load(&bm->loaded_ms), 1700000009000);
	/* the figures sit before the directory: the layout is unchanged */
	assert_true((char *)b.view.dir >= (char *)(bm + 1));
	assert_int_equal(b.view.hdr->off_dir, 128);

	assert_non_null(f = open_memstream(&text, &len));
	lb_state_save(&st, f);
	fclose(f);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		assert_int_equal(lb_state_load_line(&st2, line), 0);
	free(text);
	/* the figures are the core's to carry ("reloads", "started"), not
	 * the registry's */
	assert_int_equal(st2.master.reloads[LB_RELOAD_SUCCESS], 0);
	assert_int_equal(st2.master.loaded_ms, 0);
	assert_int_equal(lb_state_load_line(&st2, "reloads 1 2 3"), -1);

	lb_state_block_release(&b);
	lb_state_free(&st);
	lb_state_free(&st2);
	edged_conf_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layout_and_names),
		cmocka_unit_test(carried_by_name),
		cmocka_unit_test(history_follows_the_member),
		cmocka_unit_test(handed_over),
		cmocka_unit_test(master_figures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
