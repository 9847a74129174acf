/*
 * lb/lb_conf.c - the load balancer's configuration directives.
 *
 * Vocabulary after NSX's load balancer: application-profile, pool,
 * member, virtual-server; timeouts in a defaults block as in HAProxy.
 * Each block is a table of rows with a small handler; cross-references
 * between blocks are resolved once everything is read (lb_conf_resolve).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "lb.h"
#include "persist.h"
#include "rule_conf.h"
#include "util.h"

static const char *const algo_names[] = {
	[LB_ALGO_ROUND_ROBIN] = "round-robin",
	[LB_ALGO_LEAST_CONN] = "least-conn",
	[LB_ALGO_IP_HASH] = "ip-hash",
	[LB_ALGO_URI] = "uri",
	[LB_ALGO_HEADER] = "header",
	[LB_ALGO_URL_PARAM] = "url-param",
	NULL,
};

const char *
lb_algo_name(enum lb_algo a)
{
	return algo_names[a];
}

static const char *const profile_types[] = {
	[LB_PROFILE_HTTP] = "http",
	[LB_PROFILE_HTTPS] = "https",
	[LB_PROFILE_PASSTHROUGH] = "ssl-passthrough",
	[LB_PROFILE_TCP] = "tcp",
	[LB_PROFILE_UDP] = "udp",
	[LB_PROFILE_KERNEL] = "l4-kernel",
	NULL,
};

const char *
lb_profile_type_name(enum lb_profile_type t)
{
	return profile_types[t];
}

/* ---- defaults ---- */

static int
set_timeout(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const kinds[] = { "connect", "client", "server",
	    "http-request", "keep-alive", "tarpit", "tunnel", "udp", NULL };
	struct lb_timeouts *t = obj;
	uint64_t *slots[] = { &t->connect, &t->client, &t->server,
	    &t->http_request, &t->keep_alive, &t->tarpit, &t->tunnel,
	    &t->udp };
	unsigned k;

	if (conf_get_keyword(d, n, 1, kinds, &k) < 0)
		return -1;
	/* 1ms .. 1 day */
	return conf_get_duration(d, n, 2, 1, 86400000, slots[k]);
}

static const struct conf_directive defaults_rows[] = {
	{ "timeout", 2, 2, CONF_NO_BLOCK, set_timeout,
	    "timeout connect|client|server|http-request|keep-alive|tarpit|"
	    "tunnel|udp DURATION" },
};

int
lb_defaults_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct lb_conf *c = obj;

	return conf_apply(d, n, "defaults", defaults_rows,
	    ARRAY_LEN(defaults_rows), &c->timeouts) ? -1 : 0;
}

/* ---- application-profile ---- */

static int
set_profile_type(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_profile_conf *p = obj;
	unsigned v;

	if (conf_get_keyword(d, n, 1, profile_types, &v) < 0)
		return -1;
	p->type = v;
	return 0;
}

static int
set_xff(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const modes[] = { "none", "insert", NULL };
	struct lb_profile_conf *p = obj;
	unsigned v;

	if (conf_get_keyword(d, n, 1, modes, &v) < 0)
		return -1;
	p->xff_insert = v == 1;
	return 0;
}

/* udp-responses N: a udp session ends once each datagram of its client
 * got N replies (DNS: 1). */
static int
set_udp_responses(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct lb_profile_conf *p = obj;

	p->udp_responses_pos = n->argpos[1];
	return conf_get_uint(d, n, 1, 1, 1000000, &p->udp_responses);
}

/* protocol tcp|udp: what an l4-kernel profile balances. */
static int
set_protocol(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const protos[] = { "tcp", "udp", NULL };
	struct lb_profile_conf *p = obj;
	unsigned v;

	p->protocol_pos = n->argpos[0];
	if (conf_get_keyword(d, n, 1, protos, &v) < 0)
		return -1;
	p->kernel_udp = v == 1;
	return 0;
}

/* on-member-down keep|cut: what becomes of the flows of an l4-kernel
 * member its monitor takes out. */
static int
set_member_down(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const modes[] = { "keep", "cut", NULL };
	struct lb_profile_conf *p = obj;
	unsigned v;

	p->member_down_pos = n->argpos[0];
	if (conf_get_keyword(d, n, 1, modes, &v) < 0)
		return -1;
	p->kernel_cut = v == 1;
	return 0;
}

static const struct conf_directive profile_rows[] = {
	{ "type", 1, 1, CONF_NO_BLOCK, set_profile_type,
	    "type http|https|ssl-passthrough|tcp|udp|l4-kernel" },
	{ "protocol", 1, 1, CONF_NO_BLOCK, set_protocol, "protocol tcp|udp" },
	{ "on-member-down", 1, 1, CONF_NO_BLOCK, set_member_down,
	    "on-member-down keep|cut" },
	{ "udp-responses", 1, 1, CONF_NO_BLOCK, set_udp_responses,
	    "udp-responses N" },
	{ "x-forwarded-for", 1, 1, CONF_NO_BLOCK, set_xff,
	    "x-forwarded-for insert|none" },
	{ "certificates", 1, CONF_ARGS_ANY, CONF_NO_BLOCK,
	    lb_profile_certificates, "certificates NAME..." },
	{ "tls", 0, 0, CONF_NEEDS_BLOCK, lb_profile_tls, "tls { }" },
	{ "sni", 3, 3, CONF_NO_BLOCK, lb_profile_sni, "sni NAME pool POOL" },
	{ "default-pool", 1, 1, CONF_NO_BLOCK, lb_profile_default_pool,
	    "default-pool NAME" },
	{ "persistence", 1, CONF_ARGS_ANY, CONF_NO_BLOCK,
	    lb_profile_persistence, "persistence cookie NAME "
	    "insert|prefix|rewrite [nocache] [httponly] [secure] "
	    "[max-idle D] [max-life D] | "
	    "source-ip [timeout D] [mask /N] | ssl-session-id [timeout D]" },
};

int
lb_conf_get_word(struct conf_diag *d, const struct conf_node *n,
    const char *what, char *out, size_t size, struct conf_pos *pos)
{
	size_t len = strlen(n->args[1]);

	if (len == 0 || len >= size) {
		conf_error(d, &n->argpos[1], "'%s' expects %s of 1 to %zu "
		    "bytes", n->args[0], what, size - 1);
		return -1;
	}
	memcpy(out, n->args[1], len + 1);
	*pos = n->argpos[1];
	return 0;
}

int
lb_conf_check_dup(struct conf_diag *d, const struct conf_node *n,
    const char *what, const char *name, const char *prev_name,
    const struct conf_pos *prev)
{
	if (strcmp(name, prev_name) != 0)
		return 0;
	conf_error(d, &n->argpos[1], "duplicate %s '%s' (first defined at "
	    "%s:%u:%u)", what, name, prev->file, prev->line, prev->col);
	return -1;
}

int
lb_profile_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct lb_conf *c = obj;
	struct lb_profile_conf *p;
	char name[LB_NAME_MAX];

	if (conf_get_name(d, n, 1, name, sizeof(name)) < 0)
		return -1;
	for (size_t i = 0; i < c->nprofiles; i++)
		if (lb_conf_check_dup(d, n, "application-profile", name,
		    c->profiles[i].name, &c->profiles[i].pos) < 0)
			return -1;
	if ((p = conf_push(&c->profiles, &c->nprofiles, sizeof(*p))) == NULL)
		return conf_oom(d, &n->pos);
	memcpy(p->name, name, sizeof(name));
	p->pos = n->argpos[1];
	p->type = LB_PROFILE_HTTP;
	p->tls.min_version = 0x0303;	/* TLS 1.2 */
	snprintf(p->tls.alpn, sizeof(p->tls.alpn), "http/1.1");
	char ctx[LB_NAME_MAX + 32];
	snprintf(ctx, sizeof(ctx), "application-profile %s", name);
	return conf_apply(d, n, ctx, profile_rows, ARRAY_LEN(profile_rows),
	    p) ? -1 : 0;
}

/* ---- pool ---- */

/* uri [length N] [depth N] */
static int
set_uri_options(struct conf_diag *d, const struct conf_node *n,
    struct lb_pool_conf *p)
{
	static const char *const opts[] = { "length", "depth", NULL };

	for (size_t i = 2; i < n->nargs; i += 2) {
		unsigned o;
		uint64_t v;

		if (conf_get_option(d, n, i, opts, &o) < 0)
			return -1;
		if (i + 1 >= n->nargs) {
			conf_error(d, &n->argpos[i], "'algorithm uri %s' "
			    "expects a number after it", opts[o]);
			return -1;
		}
		if (conf_get_option_uint(d, n, i + 1, 1, 4096, &v) < 0)
			return -1;
		if (o == 0)
			p->uri_length = (unsigned)v;
		else
			p->uri_depth = (unsigned)v;
	}
	return 0;
}

static int
set_key_name(struct conf_diag *d, const struct conf_node *n,
    struct lb_pool_conf *p)
{
	const char *what = p->algo == LB_ALGO_HEADER ? "header" : "url-param";

	if (n->nargs != 3) {
		conf_error(d, &n->pos, "'algorithm %s' expects exactly one "
		    "NAME; usage: algorithm %s NAME", what, what);
		return -1;
	}
	return conf_get_name(d, n, 2, p->key_name, sizeof(p->key_name));
}

static int
set_algorithm(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_pool_conf *p = obj;
	unsigned v;

	if (conf_get_keyword(d, n, 1, algo_names, &v) < 0)
		return -1;
	p->algo = v;
	p->algo_pos = n->argpos[1];
	p->uri_length = p->uri_depth = 0;
	p->key_name[0] = '\0';
	if (p->algo == LB_ALGO_URI)
		return set_uri_options(d, n, p);
	if (p->algo == LB_ALGO_HEADER || p->algo == LB_ALGO_URL_PARAM)
		return set_key_name(d, n, p);
	if (n->nargs > 2) {
		conf_error(d, &n->argpos[2], "'algorithm %s' takes no "
		    "options, got '%s'", algo_names[v], n->args[2]);
		return -1;
	}
	return 0;
}

static void
member_weight(struct lb_member_conf *m, uint64_t v)
{
	m->weight = (unsigned)v;
}

static void
member_backup(struct lb_member_conf *m, uint64_t v)
{
	(void)v;
	m->backup = true;
}

static void
member_monitor_port(struct lb_member_conf *m, uint64_t v)
{
	m->monitor_port = (unsigned)v;
}

static void
member_max_conn(struct lb_member_conf *m, uint64_t v)
{
	m->max_connections = (unsigned)v;
}

static void
member_check_send_proxy(struct lb_member_conf *m, uint64_t v)
{
	(void)v;
	m->check_send_proxy = true;
}

/* The options after a member's address: a flag, or a word and a number
 * from 1 to max. */
static const struct member_option {
	const char *name;
	uint64_t max;			/* 0: a flag without a number */
	void (*set)(struct lb_member_conf *, uint64_t);
} member_options[] = {
	{ "weight", 256, member_weight },
	{ "backup", 0, member_backup },
	{ "monitor-port", 65535, member_monitor_port },
	{ "max-connections", 1000000, member_max_conn },
	{ "send-proxy", 0, NULL },	/* and v1 or v2 (set_member_options) */
	{ "check-send-proxy", 0, member_check_send_proxy },
};

/* member NAME ADDR [weight N] [backup] [monitor-port N] */
static int
set_member_options(struct conf_diag *d, const struct conf_node *n,
    struct lb_member_conf *m)
{
	static const char *const names[] = { "weight", "backup",
	    "monitor-port", "max-connections", "send-proxy",
	    "check-send-proxy", NULL };
	const struct member_option *opt;
	unsigned o;
	uint64_t v = 0;

	for (size_t i = 3; i < n->nargs; i++) {
		if (conf_get_option(d, n, i, names, &o) < 0)
			return -1;
		opt = &member_options[o];
		if (opt->set == NULL) {		/* send-proxy v1|v2 */
			if (i + 1 >= n->nargs ||
			    (strcmp(n->args[i + 1], "v1") != 0 &&
			    strcmp(n->args[i + 1], "v2") != 0)) {
				conf_error(d, &n->argpos[i + (i + 1 <
				    n->nargs)], "'send-proxy' in member %s "
				    "expects v1 or v2 after it%s%s%s", m->name,
				    i + 1 < n->nargs ? ", got '" : "",
				    i + 1 < n->nargs ? n->args[i + 1] : "",
				    i + 1 < n->nargs ? "'" : "");
				return -1;
			}
			m->send_proxy = n->args[++i][1] == '1' ? 1 : 2;
			continue;
		}
		if (opt->max > 0 && i + 1 >= n->nargs) {
			conf_error(d, &n->argpos[i], "'%s' in member %s "
			    "expects a number from 1 to %llu after it",
			    opt->name, m->name, (unsigned long long)opt->max);
			return -1;
		}
		if (opt->max > 0 &&
		    conf_get_option_uint(d, n, ++i, 1, opt->max, &v) < 0)
			return -1;
		opt->set(m, v);
	}
	if (m->check_send_proxy && m->send_proxy == 0) {
		size_t at = n->nargs - 1;

		while (strcmp(n->args[at], "check-send-proxy") != 0)
			at--;
		conf_error(d, &n->argpos[at], "member %s has "
		    "'check-send-proxy' without 'send-proxy v1|v2', which "
		    "says the header's version", m->name);
		return -1;
	}
	return 0;
}

static int
set_member(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_pool_conf *p = obj;
	struct lb_member_conf m = { .weight = 1, .pos = n->argpos[1] };
	struct lb_member_conf *slot;

	if (conf_get_name(d, n, 1, m.name, sizeof(m.name)) < 0 ||
	    conf_get_sockaddr(d, n, 2, &m.addr, &m.addrlen) < 0 ||
	    set_member_options(d, n, &m) < 0)
		return -1;
	if (addr_wildcard(&m.addr)) {
		conf_error(d, &n->argpos[2], "member %s: '%s' is a wildcard "
		    "address; a member needs the address of a server",
		    m.name, n->args[2]);
		return -1;
	}
	for (size_t i = 0; i < p->nmembers; i++)
		if (lb_conf_check_dup(d, n, "member", m.name,
		    p->members[i].name, &p->members[i].pos) < 0)
			return -1;
	if ((slot = conf_push(&p->members, &p->nmembers, sizeof(m))) == NULL)
		return conf_oom(d, &n->pos);
	*slot = m;
	return 0;
}

static int
set_pool_monitor(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_pool_conf *p = obj;

	p->monitor_pos = n->argpos[1];
	return conf_get_name(d, n, 1, p->monitor, sizeof(p->monitor));
}

static int
set_slow_start(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_pool_conf *p = obj;

	return conf_get_duration(d, n, 1, 0, 3600000, &p->slow_start);
}

static int
set_max_queue(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_pool_conf *p = obj;

	return conf_get_uint(d, n, 1, 0, 1000000, &p->max_queue);
}

/* timeout queue D: how long a request waits for a member */
static int
set_pool_timeout(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const kinds[] = { "queue", NULL };
	struct lb_pool_conf *p = obj;
	unsigned k;

	if (conf_get_keyword(d, n, 1, kinds, &k) < 0)
		return -1;
	return conf_get_duration(d, n, 2, 1, 86400000, &p->queue_timeout);
}

/* source-address ADDRESS: an address of this host, no port (the kernel
 * picks one at each connect). */
static int
set_source(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_pool_conf *p = obj;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&p->source;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&p->source;

	memset(&p->source, 0, sizeof(p->source));
	p->source_pos = n->argpos[1];
	if (inet_pton(AF_INET, n->args[1], &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		p->sourcelen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, n->args[1], &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		p->sourcelen = sizeof(*s6);
	} else {
		conf_error(d, &n->argpos[1], "'source-address' expects an "
		    "IPv4 or IPv6 address without a port, got '%s'",
		    n->args[1]);
		return -1;
	}
	if (addr_wildcard(&p->source)) {
		conf_error(d, &n->argpos[1], "'source-address' names an "
		    "address, not a wildcard: without it, the kernel chooses");
		p->source.ss_family = AF_UNSPEC;
		return -1;
	}
	return 0;
}

/* transparent on|off: members see the client's address (inline). */
static int
set_transparent(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const onoff[] = { "off", "on", NULL };
	struct lb_pool_conf *p = obj;
	unsigned v;

	p->transparent_pos = n->argpos[0];
	if (conf_get_keyword(d, n, 1, onoff, &v) < 0)
		return -1;
	p->transparent = v == 1;
	return 0;
}

static const struct conf_directive pool_rows[] = {
	{ "monitor", 1, 1, CONF_NO_BLOCK, set_pool_monitor, "monitor NAME" },
	{ "slow-start", 1, 1, CONF_NO_BLOCK, set_slow_start,
	    "slow-start DURATION" },
	{ "algorithm", 1, 6, CONF_NO_BLOCK, set_algorithm,
	    "algorithm round-robin|least-conn|ip-hash|uri [length N] "
	    "[depth N]|header NAME|url-param NAME" },
	{ "member", 2, 11, CONF_NO_BLOCK, set_member,
	    "member NAME ADDRESS:PORT [weight N] [backup] [monitor-port N] "
	    "[max-connections N] [send-proxy v1|v2 [check-send-proxy]]" },
	{ "tls", 0, 0, CONF_NEEDS_BLOCK, lb_pool_tls, "tls { }" },
	{ "max-queue", 1, 1, CONF_NO_BLOCK, set_max_queue, "max-queue N" },
	{ "timeout", 2, 2, CONF_NO_BLOCK, set_pool_timeout,
	    "timeout queue DURATION" },
	{ "source-address", 1, 1, CONF_NO_BLOCK, set_source,
	    "source-address ADDRESS" },
	{ "transparent", 1, 1, CONF_NO_BLOCK, set_transparent,
	    "transparent on|off" },
};

/* What a pool cannot do without.  Checked against the statements
 * written, not the members that parsed: a bad member has its own error,
 * and is not missing too. */
static const char *const pool_required[] = { "member", NULL };

int
lb_pool_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct lb_conf *c = obj;
	struct lb_pool_conf *p;
	char name[LB_NAME_MAX], ctx[LB_NAME_MAX + 8];
	unsigned errors;

	if (conf_get_name(d, n, 1, name, sizeof(name)) < 0)
		return -1;
	for (size_t i = 0; i < c->npools; i++)
		if (lb_conf_check_dup(d, n, "pool", name, c->pools[i].name,
		    &c->pools[i].pos) < 0)
			return -1;
	if ((p = conf_push(&c->pools, &c->npools, sizeof(*p))) == NULL)
		return conf_oom(d, &n->pos);
	memcpy(p->name, name, sizeof(name));
	p->pos = n->argpos[1];
	p->max_queue = 1024;
	snprintf(ctx, sizeof(ctx), "pool %s", name);
	errors = conf_apply(d, n, ctx, pool_rows, ARRAY_LEN(pool_rows), p);
	errors += conf_require(d, n, ctx, pool_required);
	return errors ? -1 : 0;
}

/* ---- virtual-server ---- */

static int
set_listen(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_vs_conf *vs = obj;
	static const char *const opts[] = { "accept-proxy", NULL };
	struct lb_listen_conf l = { .pos = n->argpos[1] }, *slot;
	unsigned o;

	if (conf_get_sockaddr(d, n, 1, &l.addr, &l.addrlen) < 0 ||
	    (n->nargs > 2 && conf_get_option(d, n, 2, opts, &o) < 0))
		return -1;
	l.accept_proxy = n->nargs > 2;
	if ((slot = conf_push(&vs->listens, &vs->nlistens, sizeof(l))) == NULL)
		return conf_oom(d, &n->pos);
	*slot = l;
	return 0;
}

static int
set_vs_profile(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_vs_conf *vs = obj;

	vs->profile_pos = n->argpos[1];
	return conf_get_name(d, n, 1, vs->profile, sizeof(vs->profile));
}

static int
set_vs_pool(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_vs_conf *vs = obj;

	vs->pool_pos = n->argpos[1];
	return conf_get_name(d, n, 1, vs->default_pool,
	    sizeof(vs->default_pool));
}

/* max-connections N [queue|refuse] */
static int
set_vs_maxconn(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const modes[] = { "queue", "refuse", NULL };
	struct lb_vs_conf *vs = obj;
	unsigned m = 0;

	if (conf_get_uint(d, n, 1, 1, 10000000, &vs->max_connections) < 0 ||
	    (n->nargs > 2 && conf_get_keyword(d, n, 2, modes, &m) < 0))
		return -1;
	vs->refuse = m == 1;
	return 0;
}

/* rate-limit N/s: new connections a second (HAProxy's "rate-limit
 * sessions"); beyond, they wait in the kernel's queue */
static int
set_vs_rate(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_vs_conf *vs = obj;
	const char *w = n->args[1];
	char *end;
	unsigned long long v = strtoull(w, &end, 10);

	if (end == w || strcmp(end, "/s") != 0 || v < 1 || v > 1000000) {
		conf_error(d, &n->argpos[1], "'rate-limit' expects new "
		    "connections a second, 1/s to 1000000/s, got '%s'", w);
		return -1;
	}
	vs->rate_limit = v;
	return 0;
}

/* access-log syslog[:SOCKET]|PATH [text|json] */
static int
set_access_log(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const formats[] = { "text", "json", NULL };
	struct lb_vs_conf *vs = obj;
	const char *t = n->args[1];
	unsigned f = 0;

	if ((strcmp(t, "syslog") != 0 && strncmp(t, "syslog:/", 8) != 0 &&
	    t[0] != '/') || strlen(t) >= sizeof(vs->access_log) - 1) {
		conf_error(d, &n->argpos[1], "'access-log' expects syslog, "
		    "syslog:/SOCKET or an absolute file path, got '%s'", t);
		return -1;
	}
	if (n->nargs > 2 && conf_get_keyword(d, n, 2, formats, &f) < 0)
		return -1;
	snprintf(vs->access_log, sizeof(vs->access_log), "%s", t);
	vs->access_log_json = f == 1;
	vs->access_log_pos = n->argpos[1];
	return 0;
}

static const struct conf_directive vs_rows[] = {
	{ "access-log", 1, 2, CONF_NO_BLOCK, set_access_log,
	    "access-log syslog[:/SOCKET]|PATH [text|json]" },
	{ "listen", 1, 2, CONF_NO_BLOCK, set_listen,
	    "listen ADDRESS:PORT [accept-proxy]" },
	{ "profile", 1, 1, CONF_NO_BLOCK, set_vs_profile, "profile NAME" },
	{ "default-pool", 1, 1, CONF_NO_BLOCK, set_vs_pool,
	    "default-pool NAME" },
	{ "max-connections", 1, 2, CONF_NO_BLOCK, set_vs_maxconn,
	    "max-connections N [queue|refuse]" },
	{ "rate-limit", 1, 1, CONF_NO_BLOCK, set_vs_rate, "rate-limit N/s" },
	{ "rules", 1, CONF_ARGS_ANY, CONF_NO_BLOCK, lb_vs_rules,
	    "rules NAME..." },
};

/* As for pools: "has no 'listen'" only when no listen is written. */
static const char *const vs_required[] = { "listen", "profile",
    "default-pool", NULL };

int
lb_vs_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct lb_conf *c = obj;
	struct lb_vs_conf *vs;
	char name[LB_NAME_MAX], ctx[LB_NAME_MAX + 16];
	unsigned errors;

	if (conf_get_name(d, n, 1, name, sizeof(name)) < 0)
		return -1;
	for (size_t i = 0; i < c->nvservers; i++)
		if (lb_conf_check_dup(d, n, "virtual-server", name,
		    c->vservers[i].name, &c->vservers[i].pos) < 0)
			return -1;
	if ((vs = conf_push(&c->vservers, &c->nvservers, sizeof(*vs))) == NULL)
		return conf_oom(d, &n->pos);
	memcpy(vs->name, name, sizeof(name));
	vs->pos = n->argpos[1];
	snprintf(ctx, sizeof(ctx), "virtual-server %s", name);
	errors = conf_apply(d, n, ctx, vs_rows, ARRAY_LEN(vs_rows), vs);
	errors += conf_require(d, n, ctx, vs_required);
	return errors ? -1 : 0;
}

/* ---- stats ---- */

static int
set_stats_listen(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_stats_conf *st = obj;

	st->pos = n->argpos[1];
	if (conf_get_sockaddr(d, n, 1, &st->addr, &st->addrlen) < 0)
		return -1;
	st->enabled = true;
	return 0;
}

static const struct conf_directive stats_rows[] = {
	{ "listen", 1, 1, CONF_NO_BLOCK, set_stats_listen,
	    "listen ADDRESS:PORT" },
};

int
lb_stats_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct lb_conf *c = obj;

	return conf_apply(d, n, "stats", stats_rows, ARRAY_LEN(stats_rows),
	    &c->stats) ? -1 : 0;
}

void
lb_conf_init(struct lb_conf *c)
{
	c->timeouts.connect = 5000;
	c->timeouts.client = 30000;
	c->timeouts.server = 30000;
	c->timeouts.http_request = 10000;
	c->timeouts.keep_alive = 60000;
}

void
lb_conf_release(struct lb_conf *c)
{
	lb_rule_blocks_release(c);
	for (size_t i = 0; i < c->npools; i++)
		free(c->pools[i].members);
	for (size_t i = 0; i < c->nvservers; i++)
		free(c->vservers[i].listens);
	for (size_t i = 0; i < c->nprofiles; i++) {
		free(c->profiles[i].certs);
		free(c->profiles[i].routes);
	}
	free(c->sticks);
	free(c->certs);
	free(c->monitors);
	free(c->profiles);
	free(c->pools);
	free(c->vservers);
	memset(c, 0, sizeof(*c));
}

size_t
lb_conf_nlisteners(const struct lb_conf *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nvservers; i++)
		if (!c->vservers[i].kernel)
			n += c->vservers[i].nlistens;
	return n;
}

const struct lb_listen_conf *
lb_conf_listener(const struct lb_conf *c, size_t i, size_t *vs)
{
	for (size_t v = 0; v < c->nvservers; v++) {
		if (c->vservers[v].kernel)
			continue;
		if (i < c->vservers[v].nlistens) {
			if (vs != NULL)
				*vs = v;
			return &c->vservers[v].listens[i];
		}
		i -= c->vservers[v].nlistens;
	}
	return NULL;
}
