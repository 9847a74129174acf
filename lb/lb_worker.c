/*
 * lb/lb_worker.c - the load balancer in the worker process (module.h):
 * the runtime built from the worker's own parse of the configuration,
 * fed by the master before START (the TLS files as the master read
 * them, the access-log files, edgectl's overrides), then one event-loop
 * thread per `workers`, each accepting on its own SO_REUSEPORT sockets.
 * The worker's main thread reports the monitors' verdicts to the master,
 * answers its questions (show stats, show pool) and the metrics.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "clock.h"
#include "lb.h"
#include "lb_module.h"
#include "lb_runtime.h"
#include "lb_worker.h"
#include "log.h"
#include "stick_master.h"
#include "tls_cert.h"
#include "tls_ctx.h"
#include "tsock.h"

_Static_assert(LB_TICKET_KEY == EDGED_TICKET_KEY &&
    LB_TICKET_KEYS == EDGED_TICKET_KEYS, "the core's ticket keys are ours");

struct lb_thread {
	pthread_t tid;
	struct lb_runtime *rt;
	unsigned id;
	const int *fds;
	atomic_bool done;
	bool started;
};

struct lb_worker {
	const struct lb_conf *conf;
	const struct edged_channel *master;
	struct lb_runtime *rt;		/* once the block came */
	unsigned nthreads;
	uint64_t max_connections;
	void *shm;			/* the block the master made for our
					 * counters and member state; it maps
					 * it too, and reads it after we are
					 * gone */
	size_t shm_len;
	struct lb_tls_blob *tls;	/* [conf->tls_nfiles]: the files the
					 * master read, until the contexts
					 * are built */
	struct lb_rule_files rule_files;	/* [conf->nrule_files]: the
					 * files the master read, until the
					 * rules are compiled */
	bool *rule_files_whole;
	struct lb_stick *sticks;	/* [conf->nsticks]: the master's
					 * tables, mapped */
	struct lb_stick **stick_ptrs;	/* [conf->nsticks], for the rules;
					 * NULL: not (yet) mapped */
	void **stick_mem;
	size_t *stick_len;
	int *log_fds;			/* [nvservers]: access-log files */
	unsigned char tickets[LB_TICKET_KEYS * LB_TICKET_KEY];
	size_t ntickets;
	int *fds;			/* [thread][listener], ours */
	struct lb_thread *threads;
	bool monitors;			/* started */
};

void *
lb_worker_new(const void *part, const struct edged_worker_env *env)
{
	struct lb_worker *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->conf = part;
	w->master = env->master;
	w->nthreads = env->threads;
	w->max_connections = env->max_connections;
	w->log_fds = malloc((w->conf->nvservers + 1) * sizeof(int));
	w->tls = calloc(w->conf->tls_nfiles + 1, sizeof(*w->tls));
	w->rule_files.v = calloc(w->conf->nrule_files + 1,
	    sizeof(*w->rule_files.v));
	if (w->rule_files.v != NULL)
		w->rule_files.n = w->conf->nrule_files;
	w->rule_files_whole = calloc(w->conf->nrule_files + 1,
	    sizeof(*w->rule_files_whole));
	w->sticks = calloc(w->conf->nsticks + 1, sizeof(*w->sticks));
	w->stick_ptrs = calloc(w->conf->nsticks + 1, sizeof(*w->stick_ptrs));
	w->stick_mem = calloc(w->conf->nsticks + 1, sizeof(*w->stick_mem));
	w->stick_len = calloc(w->conf->nsticks + 1, sizeof(*w->stick_len));
	if (w->log_fds == NULL || w->tls == NULL || w->rule_files.v == NULL ||
	    w->rule_files_whole == NULL || w->sticks == NULL ||
	    w->stick_ptrs == NULL || w->stick_mem == NULL ||
	    w->stick_len == NULL) {
		log_err("cannot build the load balancer's runtime");
		lb_worker_free(w);
		return NULL;
	}
	for (size_t i = 0; i < w->conf->nvservers; i++)
		w->log_fds[i] = -1;
	return w;
}

static void
wipe_tls_files(struct lb_worker *w)
{
	for (size_t i = 0; w->tls != NULL && i < w->conf->tls_nfiles; i++)
		lb_tls_blob_wipe(&w->tls[i]);
	free(w->tls);
	w->tls = NULL;
}

/* A piece of a TLS file (LB_MSG_TLS_DATA) or its end, for slot. */
static int
add_tls_file(struct lb_worker *w, bool end, uint32_t slot, const void *data,
    size_t len)
{
	struct lb_tls_blob *b;
	char *p;

	if (w->tls == NULL || slot >= w->conf->tls_nfiles) {
		log_err("bad TLS file message from master");
		return -1;
	}
	b = &w->tls[slot];
	if (end) {
		if (b->data == NULL)
			log_err("empty TLS file from master");
		return b->data != NULL ? 0 : -1;
	}
	if ((p = malloc(b->len + len + 1)) == NULL) {
		log_err("out of memory");
		return -1;
	}
	/* copied, not realloc'd: no key byte is left behind unwiped */
	if (b->data != NULL)
		memcpy(p, b->data, b->len);
	memcpy(p + b->len, data, len);
	p[b->len + len] = '\0';
	b->len += len;
	if (b->data != NULL)
		explicit_bzero(b->data, b->len - len);
	free(b->data);
	b->data = p;
	return 0;
}

static void
drop_rule_files(struct lb_worker *w)
{
	lb_rule_files_release(&w->rule_files);
	free(w->rule_files_whole);
	w->rule_files_whole = NULL;
}

/* A piece of a pattern file (LB_MSG_RULE_DATA) or its end, for slot. */
static int
add_rule_file(struct lb_worker *w, bool end, uint32_t slot,
    const void *data, size_t len)
{
	struct lb_rule_file *f;
	char *p;

	if (w->rule_files.v == NULL || slot >= w->conf->nrule_files ||
	    w->rule_files_whole[slot]) {
		log_err("bad pattern file message from master");
		return -1;
	}
	f = &w->rule_files.v[slot];
	if (end) {
		w->rule_files_whole[slot] = true;
		len = 0;
	}
	/* text keeps a NUL after it, as file_read's does */
	if ((p = realloc((void *)(uintptr_t)f->text, f->len + len + 1)) ==
	    NULL) {
		log_err("out of memory");
		return -1;
	}
	if (len > 0)
		memcpy(p + f->len, data, len);
	f->len += len;
	p[f->len] = '\0';
	f->text = p;
	f->path = w->conf->rule_files[slot];
	return 0;
}

/* LB_MSG_STICK_FD: stick-table slot's memfd, mapped. */
static int
take_stick(struct lb_worker *w, uint32_t slot, int fd)
{
	if (slot >= w->conf->nsticks || w->stick_ptrs[slot] != NULL) {
		(void)close(fd);
		log_err("bad stick-table message from master");
		return -1;
	}
	if (lb_stick_map(w->conf, slot, fd, &w->sticks[slot],
	    &w->stick_mem[slot], &w->stick_len[slot]) < 0) {
		log_err("stick-table %s: cannot map the master's table",
		    w->conf->sticks[slot].name);
		return -1;
	}
	w->stick_ptrs[slot] = &w->sticks[slot];
	return 0;
}

/* The application rules, compiled with the pattern files. */
static int
build_rules(struct lb_worker *w)
{
	int rc;

	for (size_t i = 0; i < w->conf->nrule_files; i++)
		if (!w->rule_files_whole[i]) {
			drop_rule_files(w);
			log_err("master sent too few pattern files");
			return -1;
		}
	for (size_t i = 0; i < w->conf->nsticks; i++)
		if (w->stick_ptrs[i] == NULL) {
			drop_rule_files(w);
			log_err("master sent too few stick-tables");
			return -1;
		}
	rc = lb_runtime_rules(w->rt, &w->rule_files, w->stick_ptrs);
	drop_rule_files(w);
	return rc;
}

/* LB_MSG_MEMBER + op: an edgectl change, or a carried-over health. */
static void
apply_member(struct lb_worker *w, enum lb_member_op op, uint32_t value,
    const char *data, size_t len)
{
	char pool[LB_NAME_MAX], member[LB_NAME_MAX];

	if (lb_member_msg_parse(data, len, pool, member) < 0) {
		log_err("bad member message from master");
		return;
	}
	if (lb_runtime_member_set(w->rt, pool, member, op, value) < 0)
		log_warn("pool %s member %s: no such member here", pool,
		    member);
}

/* LB_MSG_SHM: the block, and the runtime built on it. */
static int
take_block(struct lb_worker *w, size_t len, int fd)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	(void)close(fd);
	if (p == MAP_FAILED) {
		log_err("cannot map the state block");
		return -1;
	}
	w->shm = p;
	w->shm_len = len;
	if ((w->rt = lb_runtime_new(w->conf, w->nthreads, w->max_connections,
	    w->shm, w->shm_len)) == NULL) {
		log_err("cannot build the load balancer's runtime");
		return -1;
	}
	lb_tsock_channel(lb_runtime_tsock(w->rt), w->master);
	return 0;
}

int
lb_worker_msg(void *ws, bool started, uint16_t type, uint32_t arg,
    const void *data, size_t len, int fd)
{
	struct lb_worker *w = ws;

	if (!started && type == LB_MSG_SHM && fd >= 0 && w->rt == NULL)
		return take_block(w, arg, fd);
	if (w->rt != NULL && type == LB_MSG_TSOCK && fd >= 0) {
		lb_tsock_put(lb_runtime_tsock(w->rt), arg, fd);
		return 0;
	}
	if (w->rt != NULL && type > LB_MSG_MEMBER && type < LB_MSG_HEALTH) {
		apply_member(w, (enum lb_member_op)(type - LB_MSG_MEMBER), arg,
		    data, len);
		return 0;
	}
	if (!started && (type == LB_MSG_TLS_DATA || type == LB_MSG_TLS_END))
		return add_tls_file(w, type == LB_MSG_TLS_END, arg, data, len);
	if (!started && (type == LB_MSG_RULE_DATA || type == LB_MSG_RULE_END))
		return add_rule_file(w, type == LB_MSG_RULE_END, arg, data,
		    len);
	if (!started && type == LB_MSG_STICK_FD && fd >= 0)
		return take_stick(w, arg, fd);
	if (!started && type == LB_MSG_LOG_FD && fd >= 0 &&
	    arg < w->conf->nvservers && w->log_fds[arg] < 0) {
		w->log_fds[arg] = fd;
		return 0;
	}
	if (fd >= 0)
		(void)close(fd);
	log_err("unexpected load balancer message %u from master", type);
	return started ? 0 : -1;
}

void
lb_worker_tickets(void *ws, const unsigned char *keys, size_t n)
{
	struct lb_worker *w = ws;

	if (n == 0 || n > LB_TICKET_KEYS) {
		log_err("bad ticket keys from master");
		return;
	}
	memcpy(w->tickets, keys, n * LB_TICKET_KEY);
	w->ntickets = n;
	if (w->tls == NULL && w->rt != NULL)	/* serving: the contexts are
						 * built */
		lb_runtime_ticket_keys(w->rt, w->tickets, n);
}

/* The TLS contexts, from the files as the master read them; the key
 * bytes are wiped at once. */
static int
build_tls(struct lb_worker *w)
{
	int rc;

	for (size_t i = 0; i < w->conf->tls_nfiles; i++)
		if (w->tls[i].data == NULL) {
			wipe_tls_files(w);
			log_err("master sent too few TLS files");
			return -1;
		}
	rc = lb_runtime_tls(w->rt, w->tls, w->conf->tls_nfiles);
	wipe_tls_files(w);
	if (rc < 0) {
		log_err("cannot build the TLS contexts");
		return -1;
	}
	lb_runtime_ticket_keys(w->rt, w->tickets, w->ntickets);
	return 0;
}

static void *
thread_main(void *arg)
{
	struct lb_thread *t = arg;

	if (lb_thread_run(t->rt, t->id, t->fds) < 0)
		log_err("thread %u: could not start", t->id);
	atomic_store(&t->done, true);
	return NULL;
}

static int
start_threads(struct lb_worker *w, size_t nlisteners)
{
	sigset_t all, old;

	if ((w->threads = calloc(w->nthreads, sizeof(*w->threads))) == NULL) {
		log_err("out of memory");
		return -1;
	}
	/* signals are the main thread's business */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (unsigned i = 0; i < w->nthreads; i++) {
		struct lb_thread *t = &w->threads[i];

		t->rt = w->rt;
		t->id = i;
		t->fds = w->fds + i * nlisteners;
		if (pthread_create(&t->tid, NULL, thread_main, t) != 0) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			log_err("cannot create threads");
			return -1;
		}
		t->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

int
lb_worker_start(void *ws, const int *fds, size_t n)
{
	struct lb_worker *w = ws;
	size_t nfds = w->nthreads * n;

	if (w->rt == NULL) {
		log_err("the master sent no state block");
		return -1;
	}
	if (n != lb_conf_nlisteners(w->conf)) {
		log_err("master sent %zu listeners for %zu", n,
		    lb_conf_nlisteners(w->conf));
		return -1;
	}
	if ((w->fds = malloc((nfds ? nfds : 1) * sizeof(int))) == NULL) {
		log_err("out of memory");
		return -1;
	}
	memcpy(w->fds, fds, nfds * sizeof(int));
	if (build_tls(w) < 0 || build_rules(w) < 0 ||
	    lb_runtime_access_logs(w->rt, w->log_fds) < 0 ||
	    start_threads(w, n) < 0)
		return -1;
	if (lb_monitors_start(w->rt) < 0)
		log_err("cannot start the monitors: members stay as they are");
	else
		w->monitors = true;
	return 0;
}

char *
lb_worker_ask(void *ws, uint16_t type, bool json, const char *arg,
    size_t *len)
{
	struct lb_worker *w = ws;

	if (type == LB_ASK_POOL)
		return lb_show_pool(w->rt, arg, json, len);
	if (type == LB_ASK_STATS)
		return lb_stats(w->rt, json, len);
	if (type == LB_ASK_RULES)
		return lb_show_rules(w->rt, arg, json, len);
	return NULL;
}

static void
report_health(const char *pool, const char *member, bool up, void *arg)
{
	struct lb_worker *w = arg;
	char text[LB_MEMBER_MSG_MAX + 1];
	int n = lb_member_msg_format(text, sizeof(text), pool, member);

	if (n < 0 || w->master->send(w->master, LB_MSG_HEALTH, up, text,
	    (size_t)n, -1) < 0)
		log_warn("cannot tell the master about %s/%s", pool, member);
}

/* Health changes, for the master to hand to the next worker; the
 * transparent sockets' stock. */
void
lb_worker_tick(void *ws)
{
	struct lb_worker *w = ws;

	lb_runtime_health_changes(w->rt, report_health, w);
	lb_tsock_tick(lb_runtime_tsock(w->rt), clock_ms() / 1000.0);
}

void
lb_worker_drain(void *ws)
{
	lb_runtime_drain(((struct lb_worker *)ws)->rt);
}

void
lb_worker_stop(void *ws)
{
	lb_runtime_stop(((struct lb_worker *)ws)->rt);
}

bool
lb_worker_done(void *ws)
{
	struct lb_worker *w = ws;

	for (unsigned i = 0; w->threads != NULL && i < w->nthreads; i++)
		if (!atomic_load(&w->threads[i].done))
			return false;
	return true;
}

void
lb_worker_free(void *ws)
{
	struct lb_worker *w = ws;

	if (w == NULL)
		return;
	for (unsigned i = 0; w->threads != NULL && i < w->nthreads; i++)
		if (w->threads[i].started)
			pthread_join(w->threads[i].tid, NULL);
	if (w->monitors)
		lb_monitors_stop(w->rt);
	lb_runtime_free(&w->rt);
	if (w->shm != NULL)
		(void)munmap(w->shm, w->shm_len);
	wipe_tls_files(w);
	drop_rule_files(w);
	for (size_t i = 0; w->stick_mem != NULL && i < w->conf->nsticks; i++)
		if (w->stick_mem[i] != NULL)
			(void)munmap(w->stick_mem[i], w->stick_len[i]);
	free(w->sticks);
	free(w->stick_ptrs);
	free(w->stick_mem);
	free(w->stick_len);
	free(w->threads);
	free(w->fds);
	free(w->log_fds);
	explicit_bzero(w->tickets, sizeof(w->tickets));
	free(w);
}

int
lb_worker_metrics(void *ws, FILE *out)
{
	lb_metrics(((struct lb_worker *)ws)->rt, out);
	return 0;
}

char *
lb_worker_stats_json(void *ws, size_t *len)
{
	return lb_stats(((struct lb_worker *)ws)->rt, true, len);
}
