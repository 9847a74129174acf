/*
 * lb/stats.c - counters summed over threads, as text or JSON, for
 * `edgectl show stats`.  Each counter has one writer (its thread); the
 * reader sums relaxed loads, so a figure may be a few requests old but
 * is never torn.
 */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "rule_conf.h"
#include "session.h"
#include "text.h"

enum which { VS, POOL, MEMBER };

/* Object obj's counters of every worker, live or gone: this one's
 * threads plus the base the master keeps up to date (shm.h). */
static struct lb_sum
obj_sum(struct lb_runtime *rt, size_t obj)
{
	struct lb_sum s = lb_shm_sum(&rt->shm, obj);

	lb_sum_add(&s, &rt->shm.base[obj]);
	return s;
}

/* The data path counts an error on the member that failed; a pool's
 * errors are those of the members it has. */
static uint64_t
pool_errors(struct lb_runtime *rt, const struct lb_rt_pool *p)
{
	uint64_t n = 0;

	for (size_t j = 0; j < p->nmembers; j++)
		n += obj_sum(rt, rt->nvs + rt->npools +
		    p->members[j].index).errors;
	return n;
}

static struct lb_sum
sum_of(struct lb_runtime *rt, enum which w, size_t i)
{
	size_t obj = w == VS ? i : w == POOL ? rt->nvs + i :
	    rt->nvs + rt->npools + i;
	struct lb_sum s = obj_sum(rt, obj);

	if (w == POOL)
		s.errors += pool_errors(rt, &rt->pools[i]);
	return s;
}

/* The master's figures (shm.h), Unix seconds for the times. */
static double
master_ms(_Atomic uint64_t *v)
{
	return (double)atomic_load_explicit(v, memory_order_relaxed) / 1e3;
}

static uint64_t
master_reloads(struct lb_runtime *rt, enum lb_reload_result r)
{
	return atomic_load_explicit(&rt->shm.hdr->master.reloads[r],
	    memory_order_relaxed);
}

static void
json_sum(FILE *f, const struct lb_sum *s)
{
	fprintf(f, "\"current\":%llu,\"total\":%llu,\"requests\":%llu,"
	    "\"bytes_in\":%llu,\"bytes_out\":%llu,\"responses\":{\"1xx\":%llu,"
	    "\"2xx\":%llu,\"3xx\":%llu,\"4xx\":%llu,\"5xx\":%llu,"
	    "\"other\":%llu},\"errors\":%llu",
	    (unsigned long long)s->cur, (unsigned long long)s->total,
	    (unsigned long long)s->requests, (unsigned long long)s->bytes_in,
	    (unsigned long long)s->bytes_out, (unsigned long long)s->resp[1],
	    (unsigned long long)s->resp[2], (unsigned long long)s->resp[3],
	    (unsigned long long)s->resp[4], (unsigned long long)s->resp[5],
	    (unsigned long long)s->resp[0], (unsigned long long)s->errors);
}

static void
text_sum(FILE *f, const char *type, const char *name, const char *addr,
    const char *state, const struct lb_sum *s)
{
	fprintf(f, "%-15s %-20s %-24s %-5s %6llu %9llu %10llu %12llu %12llu "
	    "%8llu %8llu %8llu %8llu %8llu %7llu\n", type, name, addr, state,
	    (unsigned long long)s->cur, (unsigned long long)s->total,
	    (unsigned long long)s->requests, (unsigned long long)s->bytes_in,
	    (unsigned long long)s->bytes_out, (unsigned long long)s->resp[1],
	    (unsigned long long)s->resp[2], (unsigned long long)s->resp[3],
	    (unsigned long long)s->resp[4], (unsigned long long)s->resp[5],
	    (unsigned long long)s->errors);
}

static const char *
member_state(const struct lb_member *m)
{
	static const char *const admin[] = { "up", "disabled", "drain" };
	int a = atomic_load_explicit(&m->admin, memory_order_relaxed);

	if (a != LB_ADMIN_ENABLED)
		return admin[a];
	return atomic_load_explicit(&m->up, memory_order_relaxed) ? "up" :
	    "down";
}

/* Virtual servers that terminate TLS: their handshakes, in a table of
 * their own under the main one. */
static void
tls_text(struct lb_runtime *rt, FILE *f)
{
	bool header = false;

	for (size_t i = 0; i < rt->nvs; i++) {
		struct lb_sum s;

		if (rt->vs[i].profile->type != LB_PROFILE_HTTPS)
			continue;
		if (!header)
			fprintf(f, "\n%-15s %-20s %12s %12s %12s %12s %12s\n",
			    "TLS", "NAME", "HANDSHAKES", "RESUMED", "TLSV1.3",
			    "TLSV1.2-", "FAILED");
		header = true;
		s = sum_of(rt, VS, i);
		fprintf(f, "%-15s %-20s %12llu %12llu %12llu %12llu %12llu\n",
		    "virtual-server", rt->vs[i].conf->name,
		    (unsigned long long)s.tls[LB_TLS_HANDSHAKES],
		    (unsigned long long)s.tls[LB_TLS_RESUMED],
		    (unsigned long long)s.tls[LB_TLS_V13],
		    (unsigned long long)(s.tls[LB_TLS_HANDSHAKES] -
		    s.tls[LB_TLS_V13]), (unsigned long long)s.errors);
	}
}

static void
stats_text(struct lb_runtime *rt, FILE *f)
{
	char addr[128], name[2 * LB_NAME_MAX + 2];
	bool kernel = false;

	fprintf(f, "%-15s %-20s %-24s %-5s %6s %9s %10s %12s %12s %8s %8s "
	    "%8s %8s %8s %7s\n", "TYPE", "NAME", "ADDRESS", "STATE", "CUR",
	    "TOTAL", "REQUESTS", "BYTES_IN", "BYTES_OUT", "1XX", "2XX", "3XX",
	    "4XX", "5XX", "ERRORS");
	for (size_t i = 0; i < rt->nvs; i++) {
		struct lb_sum s = sum_of(rt, VS, i);

		conf_fmt_sockaddr(addr, sizeof(addr),
		    &rt->vs[i].conf->listens[0].addr);
		text_sum(f, "virtual-server", rt->vs[i].conf->name, addr,
		    rt->vs[i].conf->kernel ? "kernel" : "open", &s);
		kernel = kernel || rt->vs[i].conf->kernel;
	}
	for (size_t i = 0; i < rt->npools; i++) {
		struct lb_rt_pool *p = &rt->pools[i];
		struct lb_sum s = sum_of(rt, POOL, i);

		text_sum(f, "pool", p->conf->name, "-", "-", &s);
		for (size_t j = 0; j < p->nmembers; j++) {
			struct lb_member *m = &p->members[j];

			s = sum_of(rt, MEMBER, m->index);
			conf_fmt_sockaddr(addr, sizeof(addr), &m->addr);
			snprintf(name, sizeof(name), "%s/%s", p->conf->name,
			    m->name);
			text_sum(f, "member", name, addr, member_state(m), &s);
		}
	}
	tls_text(rt, f);
	if (kernel)
		fprintf(f, "\nThe kernel balances the virtual servers in state "
		    "kernel (l4-kernel): no connection of theirs passes here; "
		    "their flows per member are in edgectl show l4-kernel.\n");
}

static void
json_member(struct lb_runtime *rt, FILE *f, const struct lb_member *m)
{
	char addr[128];
	struct lb_sum s = sum_of(rt, MEMBER, m->index);

	conf_fmt_sockaddr(addr, sizeof(addr), &m->addr);
	fprintf(f, "{\"name\":\"%s\",\"address\":\"%s\",\"state\":\"%s\","
	    "\"weight\":%u,\"backup\":%s,\"active\":%llu,", m->name, addr,
	    member_state(m), atomic_load_explicit(&m->weight,
	    memory_order_relaxed), m->backup ? "true" : "false",
	    (unsigned long long)lb_member_load(m));
	json_sum(f, &s);
	fputc('}', f);
}

/* edged itself: its version and the master's figures. */
static void
edged_json(struct lb_runtime *rt, FILE *f)
{
	struct lb_shm_master *pm = &rt->shm.hdr->master;

	fprintf(f, "\"edged\":{\"version\":\"%s\","
	    "\"start_time_seconds\":%.3f,\"last_reload_time_seconds\":%.3f,"
	    "\"reloads\":{\"success\":%llu,\"failure\":%llu}}",
	    EDGED_VERSION, master_ms(&pm->started_ms),
	    master_ms(&pm->loaded_ms),
	    (unsigned long long)master_reloads(rt, LB_RELOAD_SUCCESS),
	    (unsigned long long)master_reloads(rt, LB_RELOAD_FAILURE));
}

static void
stats_json(struct lb_runtime *rt, FILE *f)
{
	fprintf(f, "{\"virtual_servers\":[");
	for (size_t i = 0; i < rt->nvs; i++) {
		struct lb_sum s = sum_of(rt, VS, i);

		fprintf(f, "%s{\"name\":\"%s\",\"pool\":\"%s\",\"kernel\":%s,",
		    i ? "," : "", rt->vs[i].conf->name,
		    rt->vs[i].pool->conf->name, rt->vs[i].conf->kernel ?
		    "true" : "false");
		json_sum(f, &s);
		if (rt->vs[i].profile->type == LB_PROFILE_HTTPS)
			fprintf(f, ",\"tls\":{\"handshakes\":%llu,\"resumed\":%llu,"
			    "\"tls13\":%llu,\"failed\":%llu}",
			    (unsigned long long)s.tls[LB_TLS_HANDSHAKES],
			    (unsigned long long)s.tls[LB_TLS_RESUMED],
			    (unsigned long long)s.tls[LB_TLS_V13],
			    (unsigned long long)s.errors);
		fputc('}', f);
	}
	fprintf(f, "],\"pools\":[");
	for (size_t i = 0; i < rt->npools; i++) {
		struct lb_rt_pool *p = &rt->pools[i];
		struct lb_sum s = sum_of(rt, POOL, i);

		fprintf(f, "%s{\"name\":\"%s\",", i ? "," : "", p->conf->name);
		json_sum(f, &s);
		fprintf(f, ",\"members\":[");
		for (size_t j = 0; j < p->nmembers; j++) {
			if (j > 0)
				fputc(',', f);
			json_member(rt, f, &p->members[j]);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "],");
	edged_json(rt, f);
	fprintf(f, "}\n");
}

/* ---- show pool ---- */

static const char *
admin_name(const struct lb_member *m)
{
	static const char *const names[] = { "enabled", "disabled", "drain" };

	return names[atomic_load_explicit(&m->admin, memory_order_relaxed)];
}

/* "HTTP 200", "L4 ok", "timeout"...: the last probe's result. */
static const char *
check_name(int r, char *buf, size_t size)
{
	static const char *const names[] = { "-", "L4 ok", "timeout",
	    "connect failed", "bad reply", "body mismatch", "TLS failed" };

	if (r > 0) {
		snprintf(buf, size, "HTTP %d", r);
		return buf;
	}
	return r >= -6 ? names[-r] : "-";
}

static void
fmt_check(const struct lb_member *m, char *buf, size_t size)
{
	int r = atomic_load_explicit(&m->st->check_result, memory_order_relaxed);
	unsigned us = atomic_load_explicit(&m->st->check_us, memory_order_relaxed);
	char name[32];

	if (r == LB_CHECK_NONE)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%s %.1fms", check_name(r, name,
		    sizeof(name)), us / 1000.0);
}

/*
 * What edgectl set and the file does not say: the file's weight, and
 * its admin state, which is always enabled (the file has no word for
 * another).  Members are built in the file's order (runtime.c).
 */
struct override {
	unsigned weight, weight_file;
	bool weight_set, admin_set;
};

static struct override
override_of(const struct lb_rt_pool *p, size_t j)
{
	const struct lb_member *m = &p->members[j];
	struct override o = {
		.weight = atomic_load_explicit(&m->weight,
		    memory_order_relaxed),
		.weight_file = p->conf->members[j].weight,
	};

	o.weight_set = o.weight != o.weight_file;
	o.admin_set = atomic_load_explicit(&m->admin, memory_order_relaxed) !=
	    LB_ADMIN_ENABLED;
	return o;
}

static void
pool_text(struct lb_runtime *rt, const struct lb_rt_pool *p, FILE *f)
{
	char addr[128];

	for (size_t j = 0; j < p->nmembers; j++) {
		const struct lb_member *m = &p->members[j];
		struct override o = override_of(p, j);
		struct lb_sum s = sum_of(rt, MEMBER, m->index);
		char check[64], admin[16], mark[4];

		conf_fmt_sockaddr(addr, sizeof(addr), &m->addr);
		fmt_check(m, check, sizeof(check));
		snprintf(admin, sizeof(admin), "%s%s", admin_name(m),
		    o.admin_set ? "*" : "");
		/* digits aligned; "3*b" stays one word for awk */
		snprintf(mark, sizeof(mark), "%s%s", o.weight_set ? "*" : "",
		    m->backup ? "b" : "");
		fprintf(f, "%-16s %-16s %-24s %-8s %-9s %-6s %5u%-2s %6llu "
		    "%10llu %7llu %s\n", p->conf->name, m->name, addr, member_state(m),
		    admin, atomic_load(&m->up) ? "up" : "down", o.weight, mark,
		    (unsigned long long)lb_member_load(m),
		    (unsigned long long)s.requests,
		    (unsigned long long)s.errors, check);
	}
}

/* Under the table: for each member marked '*', what the file says and
 * how to return to it. */
static void
pool_footnotes(const struct lb_rt_pool *p, FILE *f)
{
	for (size_t j = 0; j < p->nmembers; j++) {
		struct override o = override_of(p, j);

		if (!o.weight_set && !o.admin_set)
			continue;
		fprintf(f, "* %s/%s: set with edgectl, differs from the file "
		    "(weight %u, enabled); edgectl member reset %s %s returns "
		    "to it\n", p->conf->name, p->members[j].name,
		    o.weight_file, p->conf->name, p->members[j].name);
	}
}

static void
pool_json(struct lb_runtime *rt, const struct lb_rt_pool *p, FILE *f)
{
	fprintf(f, "{\"name\":\"%s\",\"algorithm\":\"%s\",\"members\":[",
	    p->conf->name, lb_algo_name(p->conf->algo));
	for (size_t j = 0; j < p->nmembers; j++) {
		const struct lb_member *m = &p->members[j];
		struct lb_sum s = sum_of(rt, MEMBER, m->index);
		struct override o = override_of(p, j);
		int r = atomic_load(&m->st->check_result);
		char addr[128], name[32];

		conf_fmt_sockaddr(addr, sizeof(addr), &m->addr);
		fprintf(f, "%s{\"name\":\"%s\",\"address\":\"%s\","
		    "\"state\":\"%s\",\"admin\":\"%s\","
		    "\"admin_file\":\"enabled\",\"health\":\"%s\","
		    "\"weight\":%u,\"weight_file\":%u,\"override\":%s,"
		    "\"backup\":%s,\"active\":%llu,"
		    "\"requests\":%llu,\"errors\":%llu,\"transitions\":%u,",
		    j ? "," : "", m->name, addr, member_state(m), admin_name(m),
		    atomic_load(&m->up) ? "up" : "down", o.weight,
		    o.weight_file, o.weight_set || o.admin_set ? "true" :
		    "false", m->backup ? "true" : "false",
		    (unsigned long long)lb_member_load(m),
		    (unsigned long long)s.requests,
		    (unsigned long long)s.errors,
		    atomic_load(&m->st->transitions));
		if (r == LB_CHECK_NONE)
			fprintf(f, "\"last_check\":null}");
		else
			fprintf(f, "\"last_check\":{\"result\":\"%s\","
			    "\"ms\":%.3f}}", check_name(r, name, sizeof(name)),
			    atomic_load(&m->st->check_us) / 1000.0);
	}
	fprintf(f, "]}");
}

static void
show_pools(struct lb_runtime *rt, const char *pool, bool json, FILE *f)
{
	bool first = true;

	if (json)
		fprintf(f, "{\"pools\":[");
	else
		fprintf(f, "%-16s %-16s %-24s %-8s %-9s %-6s %7s %6s %10s %7s "
		    "%s\n", "POOL", "MEMBER", "ADDRESS", "STATE", "ADMIN",
		    "HEALTH", "WEIGHT", "ACTIVE", "REQUESTS", "ERRORS",
		    "LAST-CHECK");
	for (size_t i = 0; i < rt->npools; i++) {
		const struct lb_rt_pool *p = &rt->pools[i];

		if (pool[0] != '\0' && strcmp(pool, p->conf->name) != 0)
			continue;
		if (json) {
			fprintf(f, "%s", first ? "" : ",");
			pool_json(rt, p, f);
		} else {
			pool_text(rt, p, f);
		}
		first = false;
	}
	if (json) {
		fprintf(f, "]}\n");
		return;
	}
	for (size_t i = 0; i < rt->npools; i++) {
		const struct lb_rt_pool *p = &rt->pools[i];

		if (pool[0] == '\0' || strcmp(pool, p->conf->name) == 0)
			pool_footnotes(p, f);
	}
}

char *
lb_show_pool(struct lb_runtime *rt, const char *pool, bool json, size_t *len)
{
	struct text t;
	FILE *f = text_open(&t);

	if (f == NULL)
		return NULL;
	show_pools(rt, pool, json, f);
	return text_close(&t, len);
}

char *
lb_stats(struct lb_runtime *rt, bool json, size_t *len)
{
	struct text t;
	FILE *f = text_open(&t);

	if (f == NULL)
		return NULL;
	if (json)
		stats_json(rt, f);
	else
		stats_text(rt, f);
	return text_close(&t, len);
}

/* ---- show rules ---- */

/* Rule k of block b's hits, every worker's. */
static uint64_t
rule_hits(struct lb_runtime *rt, const struct lb_rule_block *b, size_t k)
{
	size_t obj = rt->nvs + rt->npools + rt->nmembers + b->set.rules[k].id;

	return obj_sum(rt, obj).requests;
}

static void
block_rules(struct lb_runtime *rt, const struct lb_rule_block *b,
    const char *vs, bool json, bool *first, FILE *f)
{
	for (size_t k = 0; k < b->set.nrules; k++) {
		const struct lb_rule *r = &b->set.rules[k];
		unsigned long long hits = rule_hits(rt, b, k);

		if (!json) {
			fprintf(f, "%-16s %-16s %6u %12llu  %s\n", vs,
			    b->set.name, lb_rule_line(b, k), hits, r->text);
			continue;
		}
		fprintf(f, "%s{\"virtual_server\":", *first ? "" : ",");
		text_json_string(f, vs);
		fprintf(f, ",\"rules\":");
		text_json_string(f, b->set.name);
		fprintf(f, ",\"line\":%u,\"hits\":%llu,\"rule\":",
		    lb_rule_line(b, k), hits);
		text_json_string(f, r->text);
		fputc('}', f);
		*first = false;
	}
}

static void
show_rules(struct lb_runtime *rt, const char *vs, bool json, FILE *f)
{
	const struct lb_conf *c = rt->conf;
	bool first = true;

	if (json)
		fprintf(f, "{\"rules\":[");
	else
		fprintf(f, "%-16s %-16s %6s %12s  %s\n", "VIRTUAL-SERVER",
		    "RULES", "LINE", "HITS", "RULE");
	for (size_t i = 0; i < c->nvservers; i++) {
		const struct lb_vs_conf *v = &c->vservers[i];

		if (vs[0] != '\0' && strcmp(vs, v->name) != 0)
			continue;
		for (size_t k = 0; k < v->nrules; k++)
			block_rules(rt, &c->rule_blocks[v->rules[k].idx],
			    v->name, json, &first, f);
	}
	if (json)
		fprintf(f, "]}\n");
}

char *
lb_show_rules(struct lb_runtime *rt, const char *vs, bool json, size_t *len)
{
	struct text t;
	FILE *f = text_open(&t);

	if (f == NULL)
		return NULL;
	show_rules(rt, vs, json, f);
	return text_close(&t, len);
}

/* ---- Prometheus text exposition format ---- */

enum value {
	V_CUR, V_TOTAL, V_REQUESTS, V_BYTES_IN, V_BYTES_OUT, V_RESP, V_ERRORS,
	V_TLS_HANDSHAKES, V_TLS_RESUMED, V_TLS13, V_TLS_FAILED,
	V_UP, V_WEIGHT, V_ACTIVE, V_CHECK_SECONDS, V_TRANSITIONS,
};

struct family {
	enum which which;
	const char *name;
	const char *type;
	enum value value;
	const char *help;
};

static const struct family families[] = {
	{ VS, "edged_virtual_server_connections", "gauge", V_CUR,
	    "Client connections open." },
	{ VS, "edged_virtual_server_connections_total", "counter", V_TOTAL,
	    "Client connections accepted." },
	{ VS, "edged_virtual_server_requests_total", "counter", V_REQUESTS,
	    "Requests received." },
	{ VS, "edged_virtual_server_bytes_in_total", "counter", V_BYTES_IN,
	    "Bytes received from clients." },
	{ VS, "edged_virtual_server_bytes_out_total", "counter", V_BYTES_OUT,
	    "Bytes sent to clients." },
	{ VS, "edged_virtual_server_responses_total", "counter", V_RESP,
	    "Responses sent, by status class." },
	{ VS, "edged_virtual_server_errors_total", "counter", V_ERRORS,
	    "Failed TLS handshakes and refused ClientHellos." },
	{ VS, "edged_virtual_server_tls_handshakes_total", "counter",
	    V_TLS_HANDSHAKES, "TLS handshakes completed (https)." },
	{ VS, "edged_virtual_server_tls_resumed_total", "counter",
	    V_TLS_RESUMED, "Of them, resuming a session (a ticket)." },
	{ VS, "edged_virtual_server_tls13_handshakes_total", "counter",
	    V_TLS13, "Of them, in TLS 1.3." },
	{ VS, "edged_virtual_server_tls_handshake_failures_total", "counter",
	    V_TLS_FAILED, "TLS handshakes that failed (https; the FAILED "
	    "column of show stats)." },
	{ POOL, "edged_pool_active_requests", "gauge", V_CUR,
	    "Requests in progress on the pool's members." },
	{ POOL, "edged_pool_connections_total", "counter", V_TOTAL,
	    "Connections opened to the pool's members." },
	{ POOL, "edged_pool_requests_total", "counter", V_REQUESTS,
	    "Requests given to the pool." },
	{ POOL, "edged_pool_bytes_in_total", "counter", V_BYTES_IN,
	    "Bytes sent to the pool's members." },
	{ POOL, "edged_pool_bytes_out_total", "counter", V_BYTES_OUT,
	    "Bytes received from the pool's members." },
	{ POOL, "edged_pool_responses_total", "counter", V_RESP,
	    "Responses, by status class." },
	{ POOL, "edged_pool_errors_total", "counter", V_ERRORS,
	    "Its members' connect failures, timeouts and bad responses." },
	{ MEMBER, "edged_member_up", "gauge", V_UP,
	    "1 when the member may take new requests (healthy, enabled)." },
	{ MEMBER, "edged_member_weight", "gauge", V_WEIGHT,
	    "The member's weight." },
	{ MEMBER, "edged_member_active_requests", "gauge", V_ACTIVE,
	    "Requests in progress on the member." },
	{ MEMBER, "edged_member_connections_total", "counter", V_TOTAL,
	    "Connections opened to the member." },
	{ MEMBER, "edged_member_requests_total", "counter", V_REQUESTS,
	    "Requests sent to the member." },
	{ MEMBER, "edged_member_bytes_in_total", "counter", V_BYTES_IN,
	    "Bytes sent to the member." },
	{ MEMBER, "edged_member_bytes_out_total", "counter", V_BYTES_OUT,
	    "Bytes received from the member." },
	{ MEMBER, "edged_member_responses_total", "counter", V_RESP,
	    "Responses, by status class." },
	{ MEMBER, "edged_member_errors_total", "counter", V_ERRORS,
	    "Connect failures, timeouts and bad responses." },
	{ MEMBER, "edged_member_check_duration_seconds", "gauge",
	    V_CHECK_SECONDS, "How long the last health check took." },
	{ MEMBER, "edged_member_health_transitions_total", "counter",
	    V_TRANSITIONS, "Health changes, up or down." },
};

static double
member_value(const struct lb_member *m, enum value v)
{
	switch (v) {
	case V_UP:
		return lb_member_usable(m) ? 1 : 0;
	case V_WEIGHT:
		return atomic_load(&m->weight);
	case V_ACTIVE:
		return lb_member_load(m);
	case V_CHECK_SECONDS:
		return atomic_load(&m->st->check_us) / 1e6;
	default:
		return atomic_load(&m->st->transitions);
	}
}

static double
sum_value(const struct lb_sum *s, enum value v)
{
	const uint64_t vals[] = { s->cur, s->total, s->requests, s->bytes_in,
	    s->bytes_out, 0, s->errors, s->tls[LB_TLS_HANDSHAKES],
	    s->tls[LB_TLS_RESUMED], s->tls[LB_TLS_V13], s->errors };

	return (double)vals[v];
}

static void
sample(FILE *f, const struct family *fam, const char *labels, double v)
{
	fprintf(f, "%s{%s} %.17g\n", fam->name, labels, v);
}

static void
sample_classes(FILE *f, const struct family *fam, const char *labels,
    const struct lb_sum *s)
{
	static const char *const cls[] = { "other", "1xx", "2xx", "3xx", "4xx",
	    "5xx" };
	char l[320];

	for (int i = 1; i <= 6; i++) {
		snprintf(l, sizeof(l), "%s,code=\"%s\"", labels, cls[i % 6]);
		sample(f, fam, l, (double)s->resp[i % 6]);
	}
}

static void
family_samples(struct lb_runtime *rt, FILE *f, const struct family *fam)
{
	size_t n = fam->which == VS ? rt->nvs : fam->which == POOL ?
	    rt->npools : rt->nmembers;

	for (size_t i = 0; i < n; i++) {
		const struct lb_member *m = NULL;
		char labels[256];
		struct lb_sum s;

		/* a failed handshake means something only where edged
		 * terminates TLS; elsewhere errors are refused hellos */
		if (fam->value == V_TLS_FAILED &&
		    rt->vs[i].profile->type != LB_PROFILE_HTTPS)
			continue;
		if (fam->which == VS) {
			snprintf(labels, sizeof(labels), "virtual_server=\"%s\"",
			    rt->vs[i].conf->name);
		} else if (fam->which == POOL) {
			snprintf(labels, sizeof(labels), "pool=\"%s\"",
			    rt->pools[i].conf->name);
		} else {
			const struct lb_rt_pool *p = rt->pools;

			while (i >= p->member_base + p->nmembers)
				p++;
			m = &p->members[i - p->member_base];
			snprintf(labels, sizeof(labels), "pool=\"%s\","
			    "member=\"%s\"", p->conf->name, m->name);
		}
		if (fam->value >= V_UP) {
			sample(f, fam, labels, member_value(m, fam->value));
			continue;
		}
		s = sum_of(rt, fam->which, i);
		if (fam->value == V_RESP)
			sample_classes(f, fam, labels, &s);
		else
			sample(f, fam, labels, sum_value(&s, fam->value));
	}
}

static void
head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* edged itself: the build and the master's figures (shm.h), which
 * outlive this worker. */
static void
process_metrics(struct lb_runtime *rt, FILE *f)
{
	static const char *const results[] = { "success", "failure" };
	struct lb_shm_master *pm = &rt->shm.hdr->master;

	head(f, "edged_build_info", "gauge", "Always 1; the version of edged "
	    "serving.");
	fprintf(f, "edged_build_info{version=\"%s\"} 1\n", EDGED_VERSION);
	head(f, "edged_process_start_time_seconds", "gauge", "When the "
	    "master process started (Unix time); kept across upgrades.");
	fprintf(f, "edged_process_start_time_seconds %.3f\n",
	    master_ms(&pm->started_ms));
	head(f, "edged_reloads_total", "counter", "Reloads of the "
	    "configuration (edgectl reload, SIGHUP), by result.");
	for (int r = 0; r < LB_RELOAD_RESULTS; r++)
		fprintf(f, "edged_reloads_total{result=\"%s\"} %llu\n",
		    results[r], (unsigned long long)master_reloads(rt, r));
	head(f, "edged_last_reload_timestamp_seconds", "gauge", "When the "
	    "configuration in force was read (Unix time): the start or the "
	    "last successful reload.");
	fprintf(f, "edged_last_reload_timestamp_seconds %.3f\n",
	    master_ms(&pm->loaded_ms));
	head(f, "edged_access_log_dropped_lines_total", "counter", "Access "
	    "log lines lost since this worker started: the logger fell "
	    "behind, or the file or syslog could not be written (a full "
	    "disk).");
	fprintf(f, "edged_access_log_dropped_lines_total %llu\n",
	    (unsigned long long)lb_log_dropped(rt->logger));
}

/* Each rule of each block once, whichever virtual servers run it. */
static void
rule_metrics(struct lb_runtime *rt, FILE *f)
{
	const struct lb_conf *c = rt->conf;

	if (c->nrule_ctrs == 0)
		return;
	head(f, "edged_rule_hits_total", "counter", "Times an application "
	    "rule ran (its condition held), every virtual server that runs "
	    "its block together; kept across reloads while its line is "
	    "unchanged.");
	for (size_t i = 0; i < c->nrule_blocks; i++) {
		const struct lb_rule_block *b = &c->rule_blocks[i];

		for (size_t k = 0; k < b->set.nrules; k++)
			fprintf(f, "edged_rule_hits_total{rules=\"%s\","
			    "line=\"%u\"} %llu\n", b->set.name,
			    lb_rule_line(b, k),
			    (unsigned long long)rule_hits(rt, b, k));
	}
}

void
lb_metrics(struct lb_runtime *rt, FILE *f)
{
	process_metrics(rt, f);
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		head(f, families[i].name, families[i].type, families[i].help);
		family_samples(rt, f, &families[i]);
	}
	rule_metrics(rt, f);
}
