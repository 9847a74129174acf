/*
 * lb/lb_master.c - the load balancer's runtime in the master (module.h):
 * what each generation reads for its worker (the TLS files, the
 * access-log files), edgectl's member overrides and the monitors'
 * verdicts that every new worker starts from, and the commands show
 * stats, show pool, show certificates and member.
 *
 * Each worker counts in a block made here (lb_state.h), which the master
 * maps too: what a worker counted is kept when it goes, and a new one's
 * figures start from all of it, so that statistics are the appliance's.
 *
 * An override (`edgectl member drain web web2`) is kept here with the
 * pool and member it names, sent to the serving worker and to a reload's
 * starting one, and to every worker started later, before it serves: it
 * survives reloads, worker restarts and upgrades (carry_save).  The
 * file's value stays in the configuration, so that `member reset` can go
 * back to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "clock.h"
#include "kernel.h"
#include "lb.h"
#include "lb_master.h"
#include "lb_module.h"
#include "lb_runtime.h"
#include "lb_state.h"
#include "log.h"
#include "mem.h"
#include "text.h"
#include "member.h"
#include "stick_master.h"
#include "tls_cert.h"
#include "tsock.h"

/* What edgectl set on a member, or what its monitor last said. */
struct override {
	char pool[LB_NAME_MAX];
	char member[LB_NAME_MAX];
	int admin;			/* enum lb_admin_state; -1 = unset */
	unsigned weight;		/* 0 = unset */
	int health;			/* the monitor's verdict: 1 up, 0 down,
					 * -1 unknown (not from edgectl) */
	uint64_t up_ms;			/* clock_ms() when it last came up
					 * from down, 0: never (slow-start) */
};

/* A worker, as the load balancer sees it from the master: the block it
 * counts in (lb_state.h). */
struct lb_wd {
	struct lb_state_block blk;
	unsigned role;			/* EDGED_W_* */
	struct lb_wd *next;		/* in workers */
};

struct lb_master {
	const struct edged_host *host;
	const struct lb_gen *cur;	/* the generation in force */
	struct override *v;
	size_t n;
	struct lb_state state;		/* carried between workers */
	struct lb_wd *workers;		/* every live worker's */
	ev_timer refresh;		/* while several live: the bases of
					 * the serving and starting ones */
	struct lb_stick_shm *sticks;	/* every generation's stick tables,
					 * by name (stick_master.h) */
	ev_timer ramp;			/* while an l4-kernel member's
					 * slow-start ramps: once a second */
};

/* A generation's load balancer, as the master holds it for workers. */
struct lb_gen {
	const struct lb_conf *conf;
	struct lb_tls_files tls;	/* certificates, keys, CAs as read */
	struct lb_rule_files rule_files;	/* pattern files as read */
	int *log_fds;			/* [nvservers]: access-log files, -1 */
	struct lb_stick_shm **sticks;	/* [conf->nsticks] */
};

/* ---- members and their overrides ---- */

/* The member pool/member of conf, or NULL with why in err (with "did you
 * mean" among the pools, or that pool's members). */
static const struct lb_member_conf *
find_member(const struct lb_conf *conf, const char *pool, const char *member,
    char *err, size_t size)
{
	const char *cands[256];
	char hint[128];
	size_t n = 0;

	for (size_t i = 0; i < conf->npools; i++) {
		const struct lb_pool_conf *p = &conf->pools[i];

		if (n < 256)
			cands[n++] = p->name;
		if (strcmp(p->name, pool) != 0)
			continue;
		n = 0;
		for (size_t j = 0; j < p->nmembers; j++) {
			if (strcmp(p->members[j].name, member) == 0)
				return &p->members[j];
			if (n < 256)
				cands[n++] = p->members[j].name;
		}
		snprintf(err, size, "pool %s has no member '%s'%s\n", pool,
		    member, conf_hint(member, cands, n, hint, sizeof(hint)));
		return NULL;
	}
	snprintf(err, size, "no pool '%s'%s\n", pool,
	    conf_hint(pool, cands, n, hint, sizeof(hint)));
	return NULL;
}

static struct override *
override_find(const struct lb_master *lm, const char *pool,
    const char *member)
{
	for (size_t i = 0; i < lm->n; i++)
		if (strcmp(lm->v[i].pool, pool) == 0 &&
		    strcmp(lm->v[i].member, member) == 0)
			return &lm->v[i];
	return NULL;
}

/* pool/member's override, made when new; NULL out of memory. */
static struct override *
override_get(struct lb_master *lm, const char *pool, const char *member)
{
	struct override *o = override_find(lm, pool, member);

	if (o != NULL)
		return o;
	if (mem_resize(&lm->v, lm->n + 1, sizeof(*lm->v)) == -1)
		return NULL;
	o = &lm->v[lm->n++];
	snprintf(o->pool, sizeof(o->pool), "%s", pool);
	snprintf(o->member, sizeof(o->member), "%s", member);
	o->admin = -1;
	o->weight = 0;
	o->health = -1;
	return o;
}

/* Forgets what edgectl set on o (the monitor's health stays: it is not
 * edgectl's); false when it had set nothing. */
static bool
override_clear(struct override *o)
{
	bool had = o->admin >= 0 || o->weight > 0;

	o->admin = -1;
	o->weight = 0;
	return had;
}

/* One change of pool/member to the worker at ch's end. */
static int
send_member(const struct edged_channel *ch, const char *pool,
    const char *member, enum lb_member_op op, uint32_t value)
{
	char text[LB_MEMBER_MSG_MAX + 1];
	int n = lb_member_msg_format(text, sizeof(text), pool, member);

	if (n < 0)
		return -1;
	return ch->send(ch, (uint16_t)(LB_MSG_MEMBER + op), value, text,
	    (size_t)n, -1);
}

/* The overrides that apply to g's configuration, to a starting worker. */
static int
send_overrides(const struct lb_master *lm, const struct lb_gen *g,
    const struct edged_channel *ch)
{
	char err[256];

	for (size_t i = 0; i < lm->n; i++) {
		const struct override *o = &lm->v[i];

		/* a member the new configuration dropped: nothing to do */
		if (find_member(g->conf, o->pool, o->member, err,
		    sizeof(err)) == NULL)
			continue;
		if (o->admin >= 0 && send_member(ch, o->pool, o->member,
		    LB_MEMBER_ADMIN, (uint32_t)o->admin) < 0)
			return -1;
		if (o->weight > 0 && send_member(ch, o->pool, o->member,
		    LB_MEMBER_WEIGHT, o->weight) < 0)
			return -1;
		if (o->health >= 0 && send_member(ch, o->pool, o->member,
		    LB_MEMBER_HEALTH, (uint32_t)o->health) < 0)
			return -1;
	}
	return 0;
}

/* ---- l4-kernel virtual servers ---- */

/* Member k of pool p as the master knows it now; *ramping when its
 * slow-start is not over. */
static struct lb_kernel_now
kernel_now(const struct lb_master *lm, const struct lb_pool_conf *p,
    size_t k, uint64_t now, bool *ramping)
{
	const struct lb_member_conf *m = &p->members[k];
	const struct override *o = override_find(lm, p->name, m->name);
	struct lb_kernel_now st = { .admin = LB_ADMIN_ENABLED,
	    .weight = m->weight };
	uint64_t since;

	_Static_assert(LB_WEIGHT_SCALE == EDGED_KWEIGHT_SCALE, "one scale");
	if (o != NULL) {
		if (o->admin >= 0)
			st.admin = o->admin;
		if (o->weight > 0)
			st.weight = o->weight;
		st.down = o->health == 0;
	}
	/* the same millisecond it came up in is 0 ms of its slow-start */
	since = o != NULL && o->up_ms > 0 && now >= o->up_ms ?
	    now - o->up_ms : UINT64_MAX;
	st.weight = lb_slow_start_weight(st.weight, since, p->slow_start);
	if (!st.down && since < p->slow_start)
		*ramping = true;
	return st;
}

/*
 * What the master knows of conf's virtual servers, to the other modules:
 * the weights in force of every l4-kernel one's members, to the kernel
 * (host->kernel_weights: the firewall's map), and whether each one's
 * pool has a member that takes new connections (host->service_usable:
 * routing announces its address while it has).  After each change of a
 * monitor's verdict or of edgectl's, at each commit, and once a second
 * while a slow-start ramps.
 */
static void
publish_state(struct lb_master *lm, const struct lb_conf *conf)
{
	uint64_t now = clock_ms();
	bool ramping = false;

	for (size_t i = 0; i < conf->nvservers; i++) {
		const struct lb_vs_conf *vs = &conf->vservers[i];
		const struct lb_pool_conf *p = &conf->pools[vs->pool_idx];
		struct lb_kernel_now *st;
		struct edged_kweight *w;
		bool usable = false, ignored;
		size_t n;

		st = mem_array(p->nmembers, sizeof(*st));
		w = mem_array(p->nmembers, sizeof(*w));
		if (st == NULL || w == NULL) {
			log_err("virtual-server %s: out of memory; what the "
			    "kernel and routing have of it stays", vs->name);
			free(st);
			free(w);
			continue;
		}
		/* only the kernel's weights follow a ramp second by second */
		for (size_t k = 0; k < p->nmembers; k++)
			st[k] = kernel_now(lm, p, k, now,
			    vs->kernel ? &ramping : &ignored);
		n = lb_kernel_weights(p, st, w);
		for (size_t k = 0; k < n; k++)
			usable = usable || w[k].weight > 0;
		if (vs->kernel)
			lm->host->kernel_weights(lm->host, vs->name, w, n);
		lm->host->service_usable(lm->host, vs->name, usable);
		free(st);
		free(w);
	}
	if (ramping)
		ev_timer_again(lm->host->loop, &lm->ramp);
	else
		ev_timer_stop(lm->host->loop, &lm->ramp);
}

static void
ramp_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct lb_master *lm = t->data;

	(void)loop;
	(void)revents;
	if (lm->cur != NULL)
		publish_state(lm, lm->cur->conf);
}

/* A change for each_worker: to every worker whose generation has the
 * member; file_values: the values of that worker's file instead. */
struct change {
	const char *pool, *member;
	enum lb_member_op op;
	uint32_t value;
	bool file_values;
};

static void
change_one(void *arg, void *gd, const struct edged_channel *ch)
{
	const struct change *c = arg;
	const struct lb_gen *g = gd;
	const struct lb_member_conf *mc;
	char err[256];
	int rc;

	if ((mc = find_member(g->conf, c->pool, c->member, err,
	    sizeof(err))) == NULL)
		return;
	if (c->file_values)
		rc = send_member(ch, c->pool, c->member, LB_MEMBER_ADMIN,
		    LB_ADMIN_ENABLED) < 0 || send_member(ch, c->pool,
		    c->member, LB_MEMBER_WEIGHT, mc->weight) < 0 ? -1 : 0;
	else
		rc = send_member(ch, c->pool, c->member, c->op, c->value);
	if (rc < 0)
		log_warn("pool %s member %s: cannot reach a worker: %s",
		    c->pool, c->member, strerror(errno));
}

/* The serving worker, and a reload's new one if it is starting. */
static void
change_workers(struct lb_master *lm, struct change *c)
{
	lm->host->each_worker(lm->host, &lb_module, EDGED_W_SERVING |
	    EDGED_W_STARTING, change_one, c);
}

/* member enable|disable|drain POOL MEMBER (admin, op the word), member
 * weight POOL MEMBER N (admin -1) */
static void
member_set(struct lb_master *lm, struct edged_ctl *c, const char *op,
    int admin, char **args, size_t n)
{
	struct override *o;
	char err[256], *end;
	unsigned long weight = 0;

	if (admin < 0) {
		weight = strtoul(args[2], &end, 10);
		if (*end != '\0' || weight < 1 || weight > 256) {
			lm->host->reply(c, false, "weight must be a number "
			    "from 1 to 256\n");
			return;
		}
	}
	if (find_member(lm->cur->conf, args[0], args[1], err,
	    sizeof(err)) == NULL) {
		lm->host->reply(c, false, err);
		return;
	}
	if ((o = override_get(lm, args[0], args[1])) == NULL) {
		lm->host->reply(c, false, "out of memory\n");
		return;
	}
	if (admin >= 0)
		o->admin = admin;
	else
		o->weight = (unsigned)weight;
	change_workers(lm, &(struct change){ o->pool, o->member,
	    admin >= 0 ? LB_MEMBER_ADMIN : LB_MEMBER_WEIGHT,
	    admin >= 0 ? (uint32_t)admin : o->weight, false });
	publish_state(lm, lm->cur->conf);
	log_info("edgectl: pool %s member %s: %s %s", o->pool, o->member,
	    op, n == 3 ? args[2] : "");
	edged_replyf(lm->host, c, true, "pool %s member %s: %s%s%s\n",
	    o->pool, o->member, op, n == 3 ? " " : "", n == 3 ? args[2] : "");
}

/* member reset POOL MEMBER: back to the file's admin state and weight */
static void
member_reset(struct lb_master *lm, struct edged_ctl *c, const char *pool,
    const char *member)
{
	const struct lb_member_conf *mc;
	struct override *o;
	char err[256];

	if ((mc = find_member(lm->cur->conf, pool, member, err,
	    sizeof(err))) == NULL) {
		lm->host->reply(c, false, err);
		return;
	}
	if ((o = override_find(lm, pool, member)) != NULL)
		(void)override_clear(o);
	change_workers(lm, &(struct change){ pool, member, 0, 0, true });
	publish_state(lm, lm->cur->conf);
	log_info("edgectl: pool %s member %s: reset to the file: enabled, "
	    "weight %u", pool, member, mc->weight);
	edged_replyf(lm->host, c, true, "pool %s member %s: back to the "
	    "file: enabled, weight %u\n", pool, member, mc->weight);
}

/* member reset --all: every member edgectl changed, back to the file */
static void
member_reset_all(struct lb_master *lm, struct edged_ctl *c)
{
	char err[256];
	size_t changed = 0;

	for (size_t i = 0; i < lm->n; i++) {
		struct override *o = &lm->v[i];

		if (!override_clear(o))
			continue;
		change_workers(lm, &(struct change){ o->pool, o->member, 0, 0,
		    true });
		/* one the configuration in force dropped did not change */
		if (find_member(lm->cur->conf, o->pool, o->member, err,
		    sizeof(err)) != NULL)
			changed++;
	}
	publish_state(lm, lm->cur->conf);
	log_info("edgectl: member reset --all: %zu member%s back to the file",
	    changed, changed == 1 ? "" : "s");
	edged_replyf(lm->host, c, true, "%zu member%s back to the file's "
	    "admin state and weight\n", changed, changed == 1 ? "" : "s");
}

void
lb_cmd_enable(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	(void)json;
	member_set(ms, c, "enable", LB_ADMIN_ENABLED, args, n);
}

void
lb_cmd_disable(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	(void)json;
	member_set(ms, c, "disable", LB_ADMIN_DISABLED, args, n);
}

void
lb_cmd_drain(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	(void)json;
	member_set(ms, c, "drain", LB_ADMIN_DRAIN, args, n);
}

void
lb_cmd_weight(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	(void)json;
	member_set(ms, c, "weight", -1, args, n);
}

/* member reset POOL MEMBER, or member reset --all */
void
lb_cmd_reset(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	(void)json;
	if (n == 1)
		member_reset_all(ms, c);
	else
		member_reset(ms, c, args[0], args[1]);
}

/* ---- what the worker shows ---- */

void
lb_cmd_stats(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	struct lb_master *lm = ms;

	(void)args;
	(void)n;
	lm->host->ask(lm->host, c, &lb_module, LB_ASK_STATS, json, "");
}

/* show pool [POOL] [json]: a pool the configuration in force has not is
 * refused here, with "did you mean" */
void
lb_cmd_pool(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	struct lb_master *lm = ms;
	const struct lb_conf *conf = lm->cur->conf;
	const char *pool = n > 0 ? args[0] : "";
	char err[256];

	for (size_t i = 0; pool[0] != '\0'; i++) {
		if (i == conf->npools) {
			/* the did-you-mean of find_member */
			find_member(conf, pool, "", err, sizeof(err));
			lm->host->reply(c, false, err);
			return;
		}
		if (strcmp(conf->pools[i].name, pool) == 0)
			break;
	}
	lm->host->ask(lm->host, c, &lb_module, LB_ASK_POOL, json, pool);
}

/* ---- show table, clear table ---- */

static void
table_cmd(struct lb_master *lm, struct edged_ctl *c, char **args, size_t n,
    bool json, bool clear)
{
	struct text t;
	FILE *f = text_open(&t);
	const struct lb_gen *g = lm->cur;
	bool ok;

	if (f == NULL) {
		lm->host->reply(c, false, "out of memory");
		return;
	}
	ok = clear ? lb_sticks_clear(g->sticks, g->conf, args[0], n > 1 ?
	    args[1] : NULL, f) : lb_sticks_show(g->sticks, g->conf, args[0],
	    n > 1 ? args[1] : NULL, json, f);
	edged_reply_text(lm->host, c, ok, &t);
}

void
lb_cmd_table_show(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	table_cmd(ms, c, args, n, json, false);
}

void
lb_cmd_table_clear(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	table_cmd(ms, c, args, n, json, true);
}

/* ---- show rules ---- */

static bool
has_vs(const struct lb_conf *conf, const char *name)
{
	for (size_t i = 0; i < conf->nvservers; i++)
		if (strcmp(conf->vservers[i].name, name) == 0)
			return true;
	return false;
}

void
lb_cmd_rules(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	struct lb_master *lm = ms;
	const struct lb_conf *conf = lm->cur->conf;
	const char *vs = n > 0 ? args[0] : "";
	char hint[128];
	const char **names;

	if (vs[0] == '\0' || has_vs(conf, vs)) {
		lm->host->ask(lm->host, c, &lb_module, LB_ASK_RULES, json, vs);
		return;
	}
	names = mem_array(conf->nvservers, sizeof(*names));
	for (size_t i = 0; names != NULL && i < conf->nvservers; i++)
		names[i] = conf->vservers[i].name;
	edged_replyf(lm->host, c, false, "no virtual-server '%s'%s", vs,
	    names == NULL ? "" : conf_hint(vs, names, conf->nvservers, hint,
	    sizeof(hint)));
	free(names);
}

/* ---- show certificates ---- */

/* Space-separated words as a JSON array of strings. */
static void
json_words(FILE *f, const char *words)
{
	char w[256];
	int n = 0, used;

	fputc('[', f);
	while (sscanf(words, "%255s%n", w, &used) == 1) {
		fprintf(f, "%s", n++ ? "," : "");
		text_json_string(f, w);
		words += used;
	}
	fputc(']', f);
}

static void
cert_json(FILE *f, const struct lb_cert_info *ci,
    const struct lb_cert_conf *cc, int64_t now, bool first)
{
	long long days = (long long)((ci->not_after - now) / 86400);
	char from[32], until[32];

	lb_cert_fmt_time(from, sizeof(from), ci->not_before, true);
	lb_cert_fmt_time(until, sizeof(until), ci->not_after, true);
	fprintf(f, "%s{\"name\":\"%s\",\"cert\":", first ? "" : ",",
	    ci->name);
	text_json_string(f, cc->cert);
	fprintf(f, ",\"names\":");
	json_words(f, ci->names);
	fprintf(f, ",\"subject\":");
	text_json_string(f, ci->subject);
	fprintf(f, ",\"issuer\":");
	text_json_string(f, ci->issuer);
	fprintf(f, ",\"not_before\":\"%s\",\"not_after\":\"%s\","
	    "\"expired\":%s,\"days_left\":%lld,\"key\":\"%s-%d\","
	    "\"chain\":%u,\"sha256\":\"%s\"}", from, until,
	    ci->not_after < now ? "true" : "false", days, ci->key_type,
	    ci->key_bits, ci->chain, ci->sha256);
}

/* The certificates of the configuration in force, as the master read
 * them: names, validity, key, chain, fingerprint; never the key. */
static void
certificates(const struct lb_gen *g, bool json, FILE *f)
{
	int64_t now = (int64_t)time(NULL);

	if (!json)
		fprintf(f, "%-16s %-21s %6s %-8s %5s %s\n", "CERTIFICATE",
		    "NOT-AFTER", "DAYS", "KEY", "CHAIN", "NAMES");
	else
		fprintf(f, "{\"certificates\":[");
	for (size_t i = 0; g->tls.certs != NULL && i < g->conf->ncerts; i++) {
		const struct lb_cert_info *ci = &g->tls.certs[i];
		long long days = (long long)((ci->not_after - now) / 86400);
		char until[32], key[32];

		if (json) {
			cert_json(f, ci, &g->conf->certs[i], now, i == 0);
			continue;
		}
		lb_cert_fmt_time(until, sizeof(until), ci->not_after, true);
		snprintf(key, sizeof(key), "%s-%d", ci->key_type, ci->key_bits);
		fprintf(f, "%-16s %-21s %6lld %-8s %5u %s\n", ci->name, until,
		    ci->not_after < now ? -1LL : days, key, ci->chain,
		    ci->names);
	}
	if (json)
		fprintf(f, "]}\n");
}

void
lb_cmd_certificates(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	struct lb_master *lm = ms;
	struct text t;
	FILE *f = text_open(&t);

	(void)args;
	(void)n;
	if (f == NULL) {
		lm->host->reply(c, false, "out of memory\n");
		return;
	}
	certificates(lm->cur, json, f);
	edged_reply_text(lm->host, c, true, &t);
}

/* ---- the workers' blocks ---- */

static struct lb_wd *
serving(const struct lb_master *lm)
{
	for (struct lb_wd *wd = lm->workers; wd != NULL; wd = wd->next)
		if (wd->role == EDGED_W_SERVING)
			return wd;
	return NULL;
}

/* wd's base counters and members' `others`: what every other live
 * worker counts, and what the gone ones counted. */
static void
refresh_one(struct lb_master *lm, struct lb_wd *wd)
{
	struct lb_state_block *live[64];
	size_t n = 0;

	for (struct lb_wd *o = lm->workers; o != NULL && n < 64; o = o->next)
		live[n++] = &o->blk;
	lb_state_refresh(&lm->state, &wd->blk, live, n);
}

/* The serving and starting workers' bases up to date; again four times
 * a second while an older one drains or a new one starts (their counts
 * move). */
static void
refresh(struct lb_master *lm)
{
	bool others = false;

	for (struct lb_wd *wd = lm->workers; wd != NULL; wd = wd->next) {
		if (wd->role != EDGED_W_DRAINING)
			refresh_one(lm, wd);
		others |= wd->role != EDGED_W_SERVING;
	}
	if (others)
		ev_timer_again(lm->host->loop, &lm->refresh);
	else
		ev_timer_stop(lm->host->loop, &lm->refresh);
}

static void
refresh_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	refresh(t->data);
}

int
lb_master_worker_born(void *ms, void *gd, unsigned threads, void **wdp)
{
	struct lb_master *lm = ms;
	const struct lb_gen *g = gd;
	struct lb_wd *wd = calloc(1, sizeof(*wd)), *cur = serving(lm);

	if (wd == NULL)
		return -1;
	/* counters and check history start where the newest worker's are */
	if (cur != NULL)
		lb_state_pull_history(&lm->state, &cur->blk);
	if (lb_state_block_new(&lm->state, &wd->blk, g->conf, threads) < 0) {
		log_err("cannot make a state block: %s", strerror(errno));
		free(wd);
		return -1;
	}
	wd->role = EDGED_W_STARTING;
	wd->next = lm->workers;
	lm->workers = wd;
	refresh(lm);
	*wdp = wd;
	return 0;
}

void
lb_master_worker_role(void *ms, void *wdv, unsigned role)
{
	struct lb_wd *wd = wdv;

	wd->role = role;
	refresh(ms);
}

/* It is gone, even killed: what it counted stays, and the serving
 * one's check history. */
void
lb_master_worker_gone(void *ms, void *wdv)
{
	struct lb_master *lm = ms;
	struct lb_wd *wd = wdv, **pp;

	if (wd->role == EDGED_W_SERVING)
		lb_state_pull_history(&lm->state, &wd->blk);
	lb_state_fold(&lm->state, &wd->blk);
	for (pp = &lm->workers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == wd) {
			*pp = wd->next;
			break;
		}
	lb_state_block_release(&wd->blk);
	free(wd);
	refresh(lm);
}

int
lb_master_worker_carry(void *ms, void *wdv)
{
	(void)ms;
	return ((struct lb_wd *)wdv)->blk.fd;
}

int
lb_master_worker_adopt(void *ms, int fd, unsigned role, void **wdp)
{
	struct lb_master *lm = ms;
	struct lb_wd *wd = calloc(1, sizeof(*wd));

	if (wd == NULL)
		return -1;
	if (fd < 0 || lb_state_block_adopt(&lm->state, &wd->blk, fd) < 0) {
		log_err("a worker's state block is unreadable; its counters "
		    "are lost");
		wd->blk = (struct lb_state_block){ .fd = -1 };
		if (fd >= 0)
			(void)close(fd);
	}
	wd->role = role;
	wd->next = lm->workers;
	lm->workers = wd;
	refresh(lm);
	*wdp = wd;
	return 0;
}

void
lb_master_figures_changed(void *ms)
{
	struct lb_master *lm = ms;
	const struct edged_figures *f = lm->host->figures;

	lm->state.master.reloads[LB_RELOAD_SUCCESS] = f->reloads_ok;
	lm->state.master.reloads[LB_RELOAD_FAILURE] = f->reloads_failed;
	lm->state.master.started_ms = f->started_ms;
	lm->state.master.loaded_ms = f->loaded_ms;
	for (struct lb_wd *wd = lm->workers; wd != NULL; wd = wd->next)
		lb_state_publish(&lm->state, &wd->blk);
}

/* ---- the load balancer's life in the master ---- */

void *
lb_master_new(const struct edged_host *h, const struct edged_gen_info *first)
{
	struct lb_master *lm = calloc(1, sizeof(*lm));

	(void)first;
	if (lm == NULL)
		return NULL;
	lm->host = h;
	ev_init(&lm->refresh, refresh_cb);
	lm->refresh.repeat = 0.25;
	lm->refresh.data = lm;
	ev_init(&lm->ramp, ramp_cb);
	lm->ramp.repeat = 1.0;
	lm->ramp.data = lm;
	lb_master_figures_changed(lm);
	return lm;
}

void
lb_master_free(void *ms)
{
	struct lb_master *lm = ms;

	if (lm == NULL)
		return;
	ev_timer_stop(lm->host->loop, &lm->refresh);
	ev_timer_stop(lm->host->loop, &lm->ramp);
	while (lm->workers != NULL) {
		struct lb_wd *wd = lm->workers;

		lm->workers = wd->next;
		lb_state_block_release(&wd->blk);
		free(wd);
	}
	lb_state_free(&lm->state);
	/* every generation went and gave its tables back: what is left
	 * came with an upgrade and was not taken */
	lb_sticks_prune(&lm->sticks);
	free(lm->v);
	free(lm);
}

/* Opens the access-log files (root opens them; the worker writes). */
static int
open_logs(struct lb_gen *g, struct conf_diag *d)
{
	const struct lb_conf *lb = g->conf;

	g->log_fds = malloc((lb->nvservers ? lb->nvservers : 1) * sizeof(int));
	if (g->log_fds == NULL)
		return conf_oom(d, NULL);
	for (size_t i = 0; i < lb->nvservers; i++)
		g->log_fds[i] = -1;
	for (size_t i = 0; i < lb->nvservers; i++) {
		const struct lb_vs_conf *vs = &lb->vservers[i];

		if (vs->access_log[0] != '/')
			continue;
		g->log_fds[i] = open(vs->access_log, O_WRONLY | O_APPEND |
		    O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
		if (g->log_fds[i] < 0) {
			conf_error(d, &vs->access_log_pos, "cannot open access "
			    "log %s: %s", vs->access_log, strerror(errno));
			return -1;
		}
	}
	return 0;
}

void *
lb_master_gen_new(void *ms, const void *part,
    const struct edged_gen_info *info, const struct edged_endpoints *eps,
    struct conf_diag *d)
{
	struct lb_master *lm = ms;
	struct lb_gen *g = calloc(1, sizeof(*g));

	(void)info;
	(void)eps;
	if (g == NULL) {
		conf_oom(d, NULL);
		return NULL;
	}
	g->conf = part;
	if (lb_conf_check_files(g->conf, d, &g->tls, &g->rule_files) > 0 ||
	    open_logs(g, d) < 0 ||
	    lb_sticks_take(&lm->sticks, g->conf, &g->sticks, d) < 0) {
		lb_master_gen_free(ms, g);
		return NULL;
	}
	/* the tables an upgrade brought that this file no longer has */
	lb_sticks_prune(&lm->sticks);
	return g;
}

void
lb_master_gen_free(void *ms, void *gd)
{
	struct lb_master *lm = ms;
	struct lb_gen *g = gd;

	if (g == NULL)
		return;
	if (g->sticks != NULL)
		lb_sticks_drop(&lm->sticks, &g->sticks, g->conf->nsticks);
	for (size_t i = 0; g->log_fds != NULL && i < g->conf->nvservers; i++)
		if (g->log_fds[i] >= 0)
			(void)close(g->log_fds[i]);
	free(g->log_fds);
	lb_tls_files_release(&g->tls);
	lb_rule_files_release(&g->rule_files);
	free(g);
}

int
lb_master_commit(void *ms, void *gd, char *err, size_t errsize)
{
	struct lb_master *lm = ms;

	(void)err;
	(void)errsize;
	lm->cur = gd;
	publish_state(lm, lm->cur->conf);
	return 0;
}

/* A file as read, in pieces of at most ch->max (type), then its end
 * (end): slot says which. */
static int
send_file(const struct edged_channel *ch, uint16_t type, uint16_t end,
    size_t slot, const char *data, size_t len)
{
	for (size_t off = 0; off < len; off += ch->max) {
		size_t n = len - off < ch->max ? len - off : ch->max;

		if (ch->send(ch, type, (uint32_t)slot, data + off, n, -1) < 0)
			return -1;
	}
	return ch->send(ch, end, (uint32_t)slot, NULL, 0, -1);
}

/* The block it counts in, the certificates, keys and CA files and the
 * pattern files as read (the worker reads no file), the access-log
 * files, the overrides in force. */
int
lb_master_feed_worker(void *ms, void *gd, void *wdv,
    const struct edged_channel *ch)
{
	const struct lb_gen *g = gd;
	const struct lb_wd *wd = wdv;

	/* first: the runtime is built on it */
	if (ch->send(ch, LB_MSG_SHM, (uint32_t)wd->blk.len, NULL, 0,
	    wd->blk.fd) < 0)
		return -1;
	for (size_t i = 0; i < g->tls.nblobs; i++)
		if (send_file(ch, LB_MSG_TLS_DATA, LB_MSG_TLS_END, i,
		    g->tls.blobs[i].data, g->tls.blobs[i].len) < 0)
			return -1;
	for (size_t i = 0; i < g->rule_files.n; i++)
		if (send_file(ch, LB_MSG_RULE_DATA, LB_MSG_RULE_END, i,
		    g->rule_files.v[i].text, g->rule_files.v[i].len) < 0)
			return -1;
	for (size_t i = 0; i < g->conf->nsticks; i++)
		if (ch->send(ch, LB_MSG_STICK_FD, (uint32_t)i, NULL, 0,
		    lb_stick_shm_fd(g->sticks[i])) < 0)
			return -1;
	for (size_t i = 0; i < g->conf->nvservers; i++)
		if (g->log_fds[i] >= 0 && ch->send(ch, LB_MSG_LOG_FD,
		    (uint32_t)i, NULL, 0, g->log_fds[i]) < 0)
			return -1;
	/* transparent pools: the first stock (a shortage is logged, and
	 * their connections fail until the master can make more) */
	for (unsigned k = 0; k < LB_TSOCK_KINDS; k++)
		if (g->conf->transparent_kinds & (1u << k))
			(void)lb_tsock_make(k, LB_TSOCK_MIN, ch,
			    LB_MSG_TSOCK);
	return send_overrides(ms, g, ch);
}

/* LB_MSG_TSOCK_WANT: transparent sockets for the worker that asks, of
 * a kind its generation's transparent pools use (tsock.h). */
static void
tsock_want(const struct lb_gen *g, uint32_t arg,
    const struct edged_channel *back)
{
	unsigned kind = arg >> 24, n = arg & 0xffffff;

	if (kind >= LB_TSOCK_KINDS ||
	    (g->conf->transparent_kinds & (1u << kind)) == 0 ||
	    n > LB_TSOCK_MAX) {
		log_warn("load balancer: a worker asked for %u transparent "
		    "sockets of kind %u, which its pools do not use", n,
		    kind);
		return;
	}
	(void)lb_tsock_make(kind, n, back, LB_MSG_TSOCK);
}

/* LB_MSG_HEALTH: a monitor's verdict, kept for the next worker (reload
 * or restart); a draining worker's view is older than the others'.
 * LB_MSG_TSOCK_WANT: sockets, from any worker. */
void
lb_master_from_worker(void *ms, void *gd, bool live, uint16_t type,
    uint32_t arg, const void *data, size_t len,
    const struct edged_channel *back)
{
	struct lb_master *lm = ms;
	char pool[LB_NAME_MAX], member[LB_NAME_MAX];
	struct override *o;

	if (type == LB_MSG_TSOCK_WANT) {
		tsock_want(gd, arg, back);
		return;
	}
	if (type != LB_MSG_HEALTH) {
		log_warn("load balancer: a worker sent unknown message %u",
		    type);
		return;
	}
	if (!live || lb_member_msg_parse(data, len, pool, member) < 0)
		return;
	if ((o = override_get(lm, pool, member)) == NULL)
		return;
	if (o->health == 0 && arg != 0)
		o->up_ms = clock_ms();
	o->health = arg != 0;
	if (lm->cur != NULL)
		publish_state(lm, lm->cur->conf);
}

void
lb_master_status(void *ms, bool json, FILE *out)
{
	const struct lb_conf *lb = ((struct lb_master *)ms)->cur->conf;

	if (!json) {
		fprintf(out, "%zu virtual server%s, %zu pool%s",
		    lb->nvservers, lb->nvservers == 1 ? "" : "s", lb->npools,
		    lb->npools == 1 ? "" : "s");
		return;
	}
	fprintf(out, "\"virtual_servers\":[");
	for (size_t i = 0; i < lb->nvservers; i++)
		fprintf(out, "%s\"%s\"", i ? "," : "", lb->vservers[i].name);
	fprintf(out, "],");
}

/* The registry ("entry ..." lines, lb_state.h) with the serving
 * worker's check history, and the overrides, "override POOL MEMBER
 * ADMIN WEIGHT HEALTH". */
void
lb_master_carry_save(void *ms, FILE *out, const struct edged_carry *carry)
{
	struct lb_master *lm = ms;
	struct lb_wd *cur = serving(lm);

	if (cur != NULL)
		lb_state_pull_history(&lm->state, &cur->blk);
	lb_state_save(&lm->state, out);
	for (size_t i = 0; i < lm->n; i++) {
		const struct override *o = &lm->v[i];

		fprintf(out, "override %s %s %d %u %d\n", o->pool, o->member,
		    o->admin, o->weight, o->health);
	}
	lb_sticks_save(lm->sticks, out, carry);
}

int
lb_master_carry_line(void *ms, const char *line)
{
	char pool[LB_NAME_MAX], member[LB_NAME_MAX];
	struct override *o;
	int admin, health;
	unsigned weight;

	if (strncmp(line, "entry ", 6) == 0)
		return lb_state_load_line(&((struct lb_master *)ms)->state,
		    line) == 0 ? 1 : -1;
	if (strncmp(line, "stick ", 6) == 0)
		return lb_sticks_load_line(&((struct lb_master *)ms)->sticks,
		    line) == 0 ? 1 : -1;
	if (strncmp(line, "override ", 9) != 0)
		return 0;
	if (sscanf(line, "override %63s %63s %d %u %d", pool, member, &admin,
	    &weight, &health) != 5)
		return -1;
	if ((o = override_get(ms, pool, member)) == NULL)
		return -1;
	o->admin = admin;
	o->weight = weight;
	o->health = health;
	/* the first commit published what the file says; the kernel and
	 * routing get what the previous image knew */
	if (((struct lb_master *)ms)->cur != NULL)
		publish_state(ms, ((struct lb_master *)ms)->cur->conf);
	return 1;
}
