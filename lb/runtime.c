/*
 * lb/runtime.c - the runtime built from one configuration: pools and
 * members shared by every thread, and each thread's own loop, listeners,
 * balancers, idle connections and counters.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "rule_conf.h"
#include "rule_pattern.h"
#include "session.h"
#include "tsock.h"
#include "udp.h"

static const struct lb_balancer_ops *
algo_ops(enum lb_algo a)
{
	switch (a) {
	case LB_ALGO_ROUND_ROBIN:
		return &lb_balance_rr;
	case LB_ALGO_LEAST_CONN:
		return &lb_balance_leastconn;
	default:
		return &lb_balance_hash;
	}
}

static void
init_member(struct lb_member *m, const struct lb_member_conf *mc,
    unsigned index)
{
	m->name = mc->name;
	atomic_init(&m->weight, mc->weight);
	m->backup = mc->backup;
	m->hash_id = lb_hash_bytes(mc->name, strlen(mc->name));
	memcpy(&m->addr, &mc->addr, sizeof(m->addr));
	m->addrlen = mc->addrlen;
	m->index = index;
	atomic_init(&m->up, 1);
	atomic_init(&m->admin, LB_ADMIN_ENABLED);
}

static int
build_pool(struct lb_runtime *rt, struct lb_rt_pool *p,
    const struct lb_pool_conf *pc, size_t index, size_t base)
{
	p->conf = pc;
	p->index = index;
	p->nmembers = pc->nmembers;
	p->member_base = base;
	p->members = mem_array(pc->nmembers, sizeof(*p->members));
	p->primary = mem_array(pc->nmembers, sizeof(*p->primary));
	p->backup = mem_array(pc->nmembers, sizeof(*p->backup));
	p->qfirst = mem_array(rt->nthreads, sizeof(*p->qfirst));
	if (p->members == NULL || p->primary == NULL || p->backup == NULL ||
	    p->qfirst == NULL)
		return -1;
	for (unsigned i = 0; i < rt->nthreads; i++)
		atomic_init(&p->qfirst[i], LB_NO_TICKET);
	for (size_t i = 0; i < pc->nmembers; i++) {
		struct lb_member *m = &p->members[i];

		init_member(m, &pc->members[i], (unsigned)(base + i));
		m->maxconn = pc->members[i].max_connections;
		m->send_proxy = pc->members[i].send_proxy;
		m->check_send_proxy = pc->members[i].check_send_proxy;
		m->st = &rt->shm.members[base + i];
		m->slow_start_ms = pc->slow_start;
		m->monitored = pc->monitor[0] != '\0';
		m->reported_up = 1;
		if (m->backup)
			p->backup[p->nbackup++] = m;
		else
			p->primary[p->nprimary++] = m;
	}
	return 0;
}

static int
bal_init(struct lb_balancer *b, const struct lb_balancer_ops *ops,
    struct lb_member **members, size_t n)
{
	b->ops = ops;
	b->members = members;
	b->nmembers = n;
	return ops->init(b);
}

static void wake_cb(struct ev_loop *loop, ev_async *w, int revents);

static int
thread_init(struct lb_runtime *rt, struct lb_thread *t, unsigned id)
{
	t->rt = rt;
	t->id = id;
	t->bal = mem_array(rt->npools, sizeof(*t->bal));
	t->idle = mem_array(rt->nmembers, sizeof(*t->idle));
	t->ctr_vs = lb_shm_ctr(&rt->shm, id, 0);
	t->ctr_pool = lb_shm_ctr(&rt->shm, id, rt->nvs);
	t->ctr_member = lb_shm_ctr(&rt->shm, id, rt->nvs + rt->npools);
	t->ctr_rule = lb_shm_ctr(&rt->shm, id, rt->nvs + rt->npools +
	    rt->nmembers);
	t->scratch = malloc(LB_BUF_SIZE);
	t->queues = mem_array(rt->npools, sizeof(*t->queues));
	if (t->queues != NULL)
		memset(t->queues, 0, rt->npools * sizeof(*t->queues));
	/* Made here, before any thread runs, so that a drain or stop
	 * request from another thread always finds the loop. */
	t->loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV);
	if (!t->bal || !t->idle || !t->scratch || !t->queues || !t->loop)
		return -1;
	ev_init(&t->qtick, lb_session_queue_tick);
	t->qtick.repeat = LB_QUEUE_TICK;
	t->qtick.data = t;
	ev_async_init(&t->wake, wake_cb);
	t->wake.data = t;
	ev_async_start(t->loop, &t->wake);
	ev_async_init(&t->qwake, lb_session_queue_wake);
	t->qwake.data = t;
	ev_async_start(t->loop, &t->qwake);
	for (size_t i = 0; i < rt->npools; i++) {
		struct lb_rt_pool *p = &rt->pools[i];
		struct lb_pool_bal *pb = &t->bal[i];
		const struct lb_balancer_ops *ops = algo_ops(p->conf->algo);

		pb->hash = ops == &lb_balance_hash;

		if (bal_init(&pb->primary, ops, p->primary, p->nprimary) < 0 ||
		    bal_init(&pb->backup, ops, p->backup, p->nbackup) < 0 ||
		    bal_init(&pb->fb_primary, &lb_balance_rr, p->primary,
		    p->nprimary) < 0 ||
		    bal_init(&pb->fb_backup, &lb_balance_rr, p->backup,
		    p->nbackup) < 0)
			return -1;
	}
	return 0;
}

static int
build(struct lb_runtime *rt, const struct lb_conf *c)
{
	size_t base = 0;

	rt->npools = c->npools;
	rt->nvs = c->nvservers;
	rt->pools = mem_array(c->npools, sizeof(*rt->pools));
	rt->vs = mem_array(c->nvservers, sizeof(*rt->vs));
	if (rt->pools == NULL || rt->vs == NULL)
		return -1;
	for (size_t i = 0; i < c->npools; i++) {
		if (build_pool(rt, &rt->pools[i], &c->pools[i], i, base) < 0)
			return -1;
		base += c->pools[i].nmembers;
	}
	rt->nmembers = base;
	for (size_t i = 0; i < c->nvservers; i++) {
		struct lb_rt_vs *vs = &rt->vs[i];

		vs->conf = &c->vservers[i];
		vs->index = i;
		vs->profile = &c->profiles[vs->conf->profile_idx];
		vs->proto = lb_proto_of(vs->profile);
		vs->pool = &rt->pools[vs->conf->pool_idx];
	}
	rt->threads = mem_array(rt->nthreads, sizeof(*rt->threads));
	if (rt->threads == NULL)
		return -1;
	for (unsigned i = 0; i < rt->nthreads; i++)
		if (thread_init(rt, &rt->threads[i], i) < 0)
			return -1;
	return 0;
}

/* The counters and member state: in the master's block, or, without a
 * master, in memory of our own. */
static int
attach_shm(struct lb_runtime *rt, void *shm, size_t len)
{
	if (shm == NULL) {
		len = lb_shm_size(rt->conf, rt->nthreads);
		if ((rt->shm_own = calloc(1, len)) == NULL)
			return -1;
		lb_shm_init(&rt->shm, rt->shm_own, rt->conf, rt->nthreads);
		return 0;
	}
	if (lb_shm_attach(&rt->shm, shm, len, rt->conf) < 0 ||
	    rt->shm.hdr->nthreads != rt->nthreads) {
		log_err("the state block does not match the configuration");
		return -1;
	}
	return 0;
}

struct lb_runtime *
lb_runtime_new(const struct lb_conf *conf, unsigned nthreads,
    uint64_t max_connections, void *shm, size_t shm_len)
{
	struct lb_runtime *rt = calloc(1, sizeof(*rt));

	if (rt == NULL)
		return NULL;
	rt->conf = conf;
	rt->nthreads = nthreads;
	rt->max_connections = max_connections;
	if (attach_shm(rt, shm, shm_len) < 0 || build(rt, conf) < 0 ||
	    (conf->transparent_kinds != 0 && (rt->tsock =
	    lb_tsock_new(conf->transparent_kinds)) == NULL))
		lb_runtime_free(&rt);
	return rt;
}

int
lb_runtime_tls(struct lb_runtime *rt, const struct lb_tls_blob *blobs,
    size_t nblobs)
{
	struct conf_diag d;

	conf_diag_init(&d);
	rt->tls = lb_tls_new(rt->conf, blobs, nblobs, &d);
	for (size_t i = 0; i < d.nmsgs; i++)
		log_err("%s", d.msgs[i]);
	conf_diag_free(&d);
	if (rt->tls == NULL)
		return -1;
	for (size_t i = 0; i < rt->nvs; i++)
		rt->vs[i].tls = lb_tls_server_ctx(rt->tls,
		    rt->vs[i].conf->profile_idx);
	return 0;
}

int
lb_runtime_rules(struct lb_runtime *rt, const struct lb_rule_files *f,
    struct lb_stick *const *sticks)
{
	struct conf_diag d;
	bool any = false;
	unsigned errors;

	rt->sticks = sticks;
	conf_diag_init(&d);
	for (size_t i = 0; i < rt->nvs && d.nerrors == 0; i++) {
		rt->vs[i].rules = lb_rules_of_vs(rt->conf, rt->vs[i].conf, f,
		    &d);
		any = any || rt->vs[i].rules != NULL;
	}
	for (size_t i = 0; i < d.nmsgs; i++)
		log_err("%s", d.msgs[i]);
	errors = d.nerrors;
	conf_diag_free(&d);
	if (errors > 0)
		return -1;
	for (unsigned i = 0; any && i < rt->nthreads; i++)
		if ((rt->threads[i].rules_head = malloc(LB_BUF_SIZE)) == NULL) {
			log_err("out of memory");
			return -1;
		}
	return 0;
}

void
lb_runtime_ticket_keys(struct lb_runtime *rt, const unsigned char *keys,
    size_t n)
{
	if (rt->tls != NULL)
		lb_tls_set_ticket_keys(rt->tls, keys, n);
}

int
lb_runtime_access_logs(struct lb_runtime *rt, const int *fds)
{
	const char **syslog = mem_array(rt->nvs, sizeof(*syslog));
	bool any = false;

	rt->log_names = mem_array(rt->nvs, sizeof(*rt->log_names));
	if (syslog == NULL || rt->log_names == NULL) {
		free(syslog);
		return -1;
	}
	for (size_t i = 0; i < rt->nvs; i++) {
		const char *t = rt->vs[i].conf->access_log;

		rt->log_names[i] = t;
		/* "syslog" is /dev/log; "syslog:/PATH" names the socket */
		if (strncmp(t, "syslog", 6) == 0)
			syslog[i] = t[6] == ':' ? t + 7 : "/dev/log";
		any = any || syslog[i] != NULL || fds[i] >= 0;
	}
	if (any)
		rt->logger = lb_logger_new(rt->nvs, fds, syslog,
		    rt->log_names);
	free(syslog);
	if (!any)
		return 0;
	for (unsigned t = 0; rt->logger != NULL && t < rt->nthreads; t++)
		if ((rt->threads[t].logbufs = calloc(rt->nvs,
		    sizeof(struct lb_log_buf))) == NULL)
			return -1;
	return rt->logger ? 0 : -1;
}

static void
log_flush_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lb_thread *t = w->data;

	(void)loop;
	(void)revents;
	for (size_t i = 0; i < t->rt->nvs; i++)
		lb_log_flush(t->rt->logger, &t->logbufs[i]);
}

/* ---- running a thread ---- */

static void
begin_drain(struct lb_thread *t)
{
	struct lb_session *s, *next;

	if (t->draining)
		return;
	t->draining = true;
	ev_timer_stop(t->loop, &t->resume);
	for (size_t i = 0; i < t->nlisteners; i++)
		lb_listener_drain(&t->listeners[i]);
	for (s = t->sessions; s != NULL; s = next) {
		next = s->next;
		lb_session_drain(s);
	}
	lb_udp_drain(t);
}

static void
wake_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct lb_thread *t = w->data;
	int stop = atomic_load(&t->rt->stop);

	(void)revents;
	if (stop >= 2) {
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	begin_drain(t);
}

/* While draining, the loop ends once the last session has: checked
 * before each time the loop would block, after every callback of the
 * iteration has run (an ev_check would run only after the next wake-up,
 * which, with nothing left to wait for, might never come). */
static void
prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct lb_thread *t = w->data;

	(void)revents;
	if (t->nqueued > 0)
		lb_session_dequeue(t);
	lb_session_flush(t);
	if (t->draining && t->nsessions == 0 && t->nflows == 0)
		ev_break(loop, EVBREAK_ALL);
}

static void
thread_cleanup(struct lb_thread *t)
{
	t->draining = true;
	while (t->sessions != NULL)
		lb_session_end(t->sessions, "stopping");
	lb_udp_thread_done(t);
	lb_conn_close_idle(t);
	for (size_t i = 0; i < t->nlisteners; i++)
		lb_listener_stop(&t->listeners[i]);
	ev_timer_stop(t->loop, &t->resume);
	ev_async_stop(t->loop, &t->wake);
	ev_async_stop(t->loop, &t->qwake);
}

int
lb_thread_run(struct lb_runtime *rt, unsigned id, const int *fds)
{
	struct lb_thread *t = &rt->threads[id];
	ev_prepare prepare;

	t->nlisteners = lb_conf_nlisteners(rt->conf);
	t->listeners = mem_array(t->nlisteners, sizeof(*t->listeners));
	if (t->listeners == NULL)
		return -1;
	for (size_t i = 0, v; i < t->nlisteners; i++) {
		const struct lb_listen_conf *lc = lb_conf_listener(rt->conf, i,
		    &v);

		t->listeners[i] = (struct lb_listener){ .thread = t,
		    .vs = &rt->vs[v], .fd = fds[i],
		    .accept_proxy = lc->accept_proxy, .udp = lc->udp };
		if (t->listeners[i].udp && t->udp == NULL &&
		    lb_udp_thread_init(t) < 0)
			return -1;
	}
	ev_prepare_init(&prepare, prepare_cb);
	prepare.data = t;
	ev_prepare_start(t->loop, &prepare);
	if (rt->logger != NULL) {
		/* lines reach the logger within 100 ms however few */
		ev_timer_init(&t->log_flush, log_flush_cb, 0.1, 0.1);
		t->log_flush.data = t;
		ev_timer_start(t->loop, &t->log_flush);
	}
	lb_listeners_init(t);
	if (atomic_load(&rt->stop) == 0)
		ev_run(t->loop, 0);
	ev_prepare_stop(t->loop, &prepare);
	thread_cleanup(t);
	lb_rules_thread_done();
	lb_pat_thread_done();
	if (rt->logger != NULL) {
		ev_timer_stop(t->loop, &t->log_flush);
		log_flush_cb(t->loop, &t->log_flush, 0);
	}
	return 0;
}

static void
wake_all(struct lb_runtime *rt, int level)
{
	atomic_store(&rt->stop, level);
	for (unsigned i = 0; i < rt->nthreads; i++)
		if (rt->threads[i].loop != NULL)
			ev_async_send(rt->threads[i].loop,
			    &rt->threads[i].wake);
}

void
lb_runtime_drain(struct lb_runtime *rt)
{
	wake_all(rt, 1);
}

void
lb_runtime_stop(struct lb_runtime *rt)
{
	wake_all(rt, 2);
}

static void
bal_fini(struct lb_balancer *b)
{
	if (b->ops != NULL)
		b->ops->fini(b);
}

static void
thread_free(struct lb_runtime *rt, struct lb_thread *t)
{
	for (size_t i = 0; t->bal != NULL && i < rt->npools; i++) {
		struct lb_pool_bal *pb = &t->bal[i];

		bal_fini(&pb->primary);
		bal_fini(&pb->backup);
		bal_fini(&pb->fb_primary);
		bal_fini(&pb->fb_backup);
	}
	lb_buf_pool_release(&t->bufs);
	lb_pipe_pool_free(&t->pipes);
	if (t->loop != NULL)
		ev_loop_destroy(t->loop);
	free(t->listeners);
	free(t->bal);
	free(t->idle);
	free(t->scratch);
	free(t->queues);
	free(t->rules_head);
	free(t->logbufs);
}

void
lb_runtime_free(struct lb_runtime **rtp)
{
	struct lb_runtime *rt = *rtp;

	if (rt == NULL)
		return;
	/* the threads handed their last lines over: write them out */
	lb_logger_free(&rt->logger);
	free(rt->log_names);
	for (unsigned i = 0; rt->threads != NULL && i < rt->nthreads; i++)
		thread_free(rt, &rt->threads[i]);
	for (size_t i = 0; rt->pools != NULL && i < rt->npools; i++) {
		free(rt->pools[i].members);
		free(rt->pools[i].primary);
		free(rt->pools[i].backup);
		free(rt->pools[i].qfirst);
	}
	free(rt->threads);
	free(rt->pools);
	for (size_t i = 0; rt->vs != NULL && i < rt->nvs; i++)
		lb_rules_free(&rt->vs[i].rules);
	free(rt->vs);
	free(rt->shm_own);
	lb_tls_free(&rt->tls);
	lb_tsock_free(rt->tsock);
	free(rt);
	*rtp = NULL;
}

struct lb_tsock *
lb_runtime_tsock(struct lb_runtime *rt)
{
	return rt->tsock;
}

/* ---- run-time member changes ---- */

int
lb_runtime_member_set(struct lb_runtime *rt, const char *pool,
    const char *member, enum lb_member_op op, unsigned value)
{
	for (size_t i = 0; i < rt->npools; i++) {
		struct lb_rt_pool *p = &rt->pools[i];

		if (strcmp(p->conf->name, pool) != 0)
			continue;
		for (size_t j = 0; j < p->nmembers; j++) {
			struct lb_member *m = &p->members[j];

			if (strcmp(m->name, member) != 0)
				continue;
			if (op == LB_MEMBER_HEALTH) {
				/* without a monitor nothing would bring it
				 * back: a carried health applies only here */
				if (m->monitored) {
					atomic_store(&m->up, value != 0);
					m->health_carried = true;
					m->reported_up = value != 0;
				}
			} else if (op == LB_MEMBER_ADMIN &&
			    value <= LB_ADMIN_DRAIN)
				atomic_store(&m->admin, (int)value);
			else if (op == LB_MEMBER_WEIGHT && value >= 1 &&
			    value <= 256)
				atomic_store(&m->weight, value);
			else
				return -1;
			return 0;
		}
	}
	return -1;
}

void
lb_runtime_health_changes(struct lb_runtime *rt,
    void (*report)(const char *pool, const char *member, bool up, void *arg),
    void *arg)
{
	for (size_t i = 0; i < rt->npools; i++) {
		struct lb_rt_pool *p = &rt->pools[i];

		for (size_t j = 0; j < p->nmembers; j++) {
			struct lb_member *m = &p->members[j];
			int up = atomic_load(&m->up);

			if (!m->monitored || up == m->reported_up)
				continue;
			m->reported_up = up;
			report(p->conf->name, m->name, up != 0, arg);
		}
	}
}
