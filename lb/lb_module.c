/*
 * lb/lb_module.c - the load balancer as the core sees it (module.h): its
 * directives and configuration part, the files it reads, the endpoints
 * it receives traffic on, its runtime in the master (lb_master.c) and
 * its edgectl commands.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "lb.h"
#include "lb_master.h"
#include "lb_module.h"
#include "lb_worker.h"
#include "mem.h"
#include "rule_conf.h"
#include "stick_conf.h"
#include "tls_cert.h"
#include "tls_ctx.h"
#include "util.h"

static void *
conf_new(void)
{
	struct lb_conf *c = calloc(1, sizeof(*c));

	if (c != NULL)
		lb_conf_init(c);
	return c;
}

static void
conf_resolve(void *part, struct conf_diag *d)
{
	(void)lb_conf_resolve(part, d);
}

static void
conf_print(const void *part, FILE *out, unsigned flags)
{
	(void)flags;		/* no secrets */
	lb_conf_print(part, out);
}

static void
conf_free(void *part)
{
	if (part == NULL)
		return;
	lb_conf_release(part);
	free(part);
}

/* The pattern files, and every block compiled once. */
static unsigned
check_rule_files(const struct lb_conf *c, struct conf_diag *d,
    struct lb_rule_files *keep)
{
	struct lb_rule_files mine;
	struct lb_rule_files *f = keep != NULL ? keep : &mine;
	/* compiled even when a file could not be read: every error at
	 * once */
	unsigned errors = lb_rule_files_load(c, d, f);

	errors += lb_rules_conf_check(c, f, d);
	if (keep == NULL)
		lb_rule_files_release(&mine);
	return errors;
}

unsigned
lb_conf_check_files(const struct lb_conf *c, struct conf_diag *d,
    struct lb_tls_files *keep, struct lb_rule_files *rkeep)
{
	struct lb_tls_files mine;
	struct lb_tls_files *f = keep != NULL ? keep : &mine;
	unsigned errors = lb_tls_files_load(c, d, f);
	struct lb_tls *tls;

	/* the contexts are built once here, and dropped, so that what
	 * OpenSSL refuses is an error of the file, not of a worker */
	if (errors == 0) {
		unsigned before = d->nerrors;

		tls = lb_tls_new(c, f->blobs, f->nblobs, d);
		if (tls == NULL)
			errors += d->nerrors - before ? d->nerrors - before : 1;
		lb_tls_free(&tls);
	}
	if (keep == NULL)
		lb_tls_files_release(&mine);
	return errors + check_rule_files(c, d, rkeep);
}

int
lb_member_msg_format(char *buf, size_t size, const char *pool,
    const char *member)
{
	int n = snprintf(buf, size, "%s %s", pool, member);

	if (n < 0 || (size_t)n >= size) {
		errno = EMSGSIZE;
		return -1;
	}
	return n;
}

_Static_assert(LB_NAME_MAX == 64, "lb_member_msg_parse reads %63s");

int
lb_member_msg_parse(const void *data, size_t len, char *pool, char *member)
{
	char text[LB_MEMBER_MSG_MAX + 1];

	if (len > LB_MEMBER_MSG_MAX)
		return -1;
	/* a copy: the channel (module.h) promises no NUL after the
	 * payload, and sscanf needs one */
	if (len > 0)
		memcpy(text, data, len);
	text[len] = '\0';
	return sscanf(text, "%63s %63s", pool, member) == 2 ? 0 : -1;
}

static unsigned
check_files(const void *part, struct conf_diag *d)
{
	return lb_conf_check_files(part, d, NULL, NULL);
}

/* Each proxied virtual server's listen addresses, then the stats
 * listener; the l4-kernel virtual servers for the kernel to balance. */
static int
endpoints(const void *part, struct edged_endpoints *eps)
{
	const struct lb_conf *c = part;
	char what[96];

	for (size_t i = 0; i < c->nvservers; i++) {
		const struct lb_vs_conf *v = &c->vservers[i];

		for (size_t k = 0; k < v->nlistens; k++)
			if (edged_vip_add(eps, v->name,
			    &v->listens[k].addr) < 0)
				return -1;
		if (v->kernel)
			continue;
		snprintf(what, sizeof(what), "virtual-server %s", v->name);
		for (size_t k = 0; k < v->nlistens; k++)
			if (edged_endpoints_add(eps, &v->listens[k].addr,
			    v->listens[k].udp ? IPPROTO_UDP : IPPROTO_TCP,
			    what) < 0)
				return -1;
	}
	if (c->stats.enabled && edged_endpoints_add(eps, &c->stats.addr,
	    IPPROTO_TCP, "stats") < 0)
		return -1;
	return lb_kernel_services(c, eps);
}

/* the certificate blocks, for the modules that name them (the vpn) */
static int
certificates(const void *part, struct edged_certs *out)
{
	const struct lb_conf *c = part;

	for (size_t i = 0; i < c->ncerts; i++) {
		const struct lb_cert_conf *lc = &c->certs[i];
		struct edged_cert *e;

		if (mem_grow(&out->v, &out->cap, out->n + 1,
		    sizeof(*out->v)) == -1)
			return -1;
		e = &out->v[out->n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->name, sizeof(e->name), "%s", lc->name);
		e->pos = lc->pos;
		snprintf(e->cert, sizeof(e->cert), "%s", lc->cert);
		snprintf(e->key, sizeof(e->key), "%s", lc->key);
		snprintf(e->chain, sizeof(e->chain), "%s", lc->chain);
	}
	return 0;
}

static const struct conf_directive directives[] = {
	{ "stats", 0, 0, CONF_NEEDS_BLOCK, lb_stats_directive,
	    "stats { listen ADDR }" },
	{ "defaults", 0, 0, CONF_NEEDS_BLOCK, lb_defaults_directive,
	    "defaults { }" },
	{ "certificate", 1, 1, CONF_NEEDS_BLOCK, lb_cert_directive,
	    "certificate NAME { }" },
	{ "monitor", 1, 1, CONF_NEEDS_BLOCK, lb_monitor_directive,
	    "monitor NAME { }" },
	{ "application-profile", 1, 1, CONF_NEEDS_BLOCK, lb_profile_directive,
	    "application-profile NAME { }" },
	{ "pool", 1, 1, CONF_NEEDS_BLOCK, lb_pool_directive, "pool NAME { }" },
	{ "virtual-server", 1, 1, CONF_NEEDS_BLOCK, lb_vs_directive,
	    "virtual-server NAME { }" },
	{ "application-rule", 1, 1, CONF_NEEDS_BLOCK,
	    lb_rule_block_directive, "application-rule NAME { HAPROXY LINES }" },
	{ "stick-table", 3, CONF_ARGS_ANY, CONF_NO_BLOCK, lb_stick_directive,
	    "stick-table NAME type ip|ipv6|string [len N] size N [expire D] "
	    "[store ITEM,...]" },
};

/* Its lines are HAProxy's, read as written. */
static const char *const verbatim_blocks[] = { "application-rule", NULL };

static const struct edged_command commands[] = {
	{ "show", "stats", "", true,
	    "counters per virtual server, pool, member", lb_cmd_stats },
	{ "show", "pool", "[POOL]", true,
	    "members: state, weight, requests, errors", lb_cmd_pool },
	{ "show", "rules", "[VIRTUAL-SERVER]", true,
	    "application rules and their hits", lb_cmd_rules },
	{ "show", "table", "NAME [KEY]", true,
	    "a stick-table's entries, or KEY's", lb_cmd_table_show },
	{ "clear", "table", "NAME [KEY]", false,
	    "forget a stick-table's entries, or KEY's", lb_cmd_table_clear },
	{ "show", "certificates", "", true,
	    "names, expiry, key and chain of each", lb_cmd_certificates },
	{ "member", "enable", "POOL MEMBER", false,
	    "give a member traffic again", lb_cmd_enable },
	{ "member", "disable", "POOL MEMBER", false,
	    "take a member out at once", lb_cmd_disable },
	{ "member", "drain", "POOL MEMBER", false,
	    "no new sessions; those open finish", lb_cmd_drain },
	{ "member", "weight", "POOL MEMBER N", false,
	    "change a member's weight (1-256)", lb_cmd_weight },
	{ "member", "reset", "POOL MEMBER | --all", false,
	    "back to the file's admin state and weight", lb_cmd_reset },
};

/* One socket per listen address of every virtual server, in order. */
static int
listens(const void *part, struct edged_listens *out)
{
	const struct lb_conf *c = part;

	for (size_t i = 0; i < lb_conf_nlisteners(c); i++) {
		const struct lb_listen_conf *l = lb_conf_listener(c, i, NULL);

		if (edged_listens_add(out, &l->addr, l->addrlen,
		    l->udp ? SOCK_DGRAM : SOCK_STREAM, &l->pos) < 0)
			return -1;
	}
	return 0;
}

/* The stats block's listen address. */
static bool
metrics_listen(const void *part, struct edged_listen *out)
{
	const struct lb_conf *c = part;

	if (!c->stats.enabled)
		return false;
	memcpy(&out->addr, &c->stats.addr, sizeof(out->addr));
	out->addrlen = c->stats.addrlen;
	out->pos = &c->stats.pos;
	return true;
}

const struct edged_module lb_module = {
	.name = "lb",
	.directives = directives,
	.ndirectives = ARRAY_LEN(directives),
	.verbatim_blocks = verbatim_blocks,
	.conf_new = conf_new,
	.conf_resolve = conf_resolve,
	.conf_print = conf_print,
	.conf_free = conf_free,
	.certificates = certificates,
	.check_files = check_files,
	.endpoints = endpoints,
	.master_new = lb_master_new,
	.master_free = lb_master_free,
	.gen_new = lb_master_gen_new,
	.gen_free = lb_master_gen_free,
	.commit = lb_master_commit,
	.commands = commands,
	.ncommands = ARRAY_LEN(commands),
	.worker_born = lb_master_worker_born,
	.worker_role = lb_master_worker_role,
	.worker_gone = lb_master_worker_gone,
	.worker_carry = lb_master_worker_carry,
	.worker_adopt = lb_master_worker_adopt,
	.figures_changed = lb_master_figures_changed,
	.feed_worker = lb_master_feed_worker,
	.from_worker = lb_master_from_worker,
	.status = lb_master_status,
	.carry_save = lb_master_carry_save,
	.carry_line = lb_master_carry_line,
	.worker_new = lb_worker_new,
	.worker_msg = lb_worker_msg,
	.worker_start = lb_worker_start,
	.worker_tickets = lb_worker_tickets,
	.worker_ask = lb_worker_ask,
	.worker_tick = lb_worker_tick,
	.worker_drain = lb_worker_drain,
	.worker_stop = lb_worker_stop,
	.worker_done = lb_worker_done,
	.worker_free = lb_worker_free,
	.metrics = lb_worker_metrics,
	.stats_json = lb_worker_stats_json,
	.listens = listens,
	.metrics_listen = metrics_listen,
};
