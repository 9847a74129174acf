/*
 * lb/lb_print.c - the load balancer's configuration in normal form
 * (lb_conf_print): what `edged -T` shows, every setting explicit, which
 * parses again to the same text.
 */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "lb.h"
#include "persist.h"
#include "rule_conf.h"
#include "stick_conf.h"

static void
print_timeouts(const struct lb_timeouts *t, FILE *out)
{
	const char *names[] = { "connect", "client", "server",
	    "http-request", "keep-alive" };
	const uint64_t vals[] = { t->connect, t->client, t->server,
	    t->http_request, t->keep_alive };
	char buf[32];

	fprintf(out, "defaults {\n");
	for (size_t i = 0; i < 5; i++) {
		conf_fmt_duration(buf, sizeof(buf), vals[i]);
		fprintf(out, "    timeout %s %s\n", names[i], buf);
	}
	/* unset, it follows timeout connect, as in HAProxy */
	if (t->tarpit > 0) {
		conf_fmt_duration(buf, sizeof(buf), t->tarpit);
		fprintf(out, "    timeout tarpit %s\n", buf);
	}
	/* unset, a tunnel's is the longer of client and server */
	if (t->tunnel > 0) {
		conf_fmt_duration(buf, sizeof(buf), t->tunnel);
		fprintf(out, "    timeout tunnel %s\n", buf);
	}
	if (t->udp > 0) {
		conf_fmt_duration(buf, sizeof(buf), t->udp);
		fprintf(out, "    timeout udp %s\n", buf);
	}
	fprintf(out, "}\n");
}

static void
print_profile(const struct lb_profile_conf *p, FILE *out)
{
	fprintf(out, "application-profile %s {\n", p->name);
	fprintf(out, "    type %s\n", lb_profile_type_name(p->type));
	if (!lb_profile_l4(p->type))
		fprintf(out, "    x-forwarded-for %s\n", p->xff_insert ?
		    "insert" : "none");
	lb_tls_print_profile(p, out);
	lb_persist_print(&p->persist, out);
	if (p->udp_responses > 0)
		fprintf(out, "    udp-responses %llu\n",
		    (unsigned long long)p->udp_responses);
	if (p->type == LB_PROFILE_KERNEL)
		fprintf(out, "    protocol %s\n    on-member-down %s\n",
		    p->kernel_udp ? "udp" : "tcp", p->kernel_cut ? "cut" :
		    "keep");
	fprintf(out, "}\n");
}

static void
print_algorithm(const struct lb_pool_conf *p, FILE *out)
{
	fprintf(out, "    algorithm %s", lb_algo_name(p->algo));
	if (p->uri_length > 0)
		fprintf(out, " length %u", p->uri_length);
	if (p->uri_depth > 0)
		fprintf(out, " depth %u", p->uri_depth);
	if (p->key_name[0] != '\0') {
		fputc(' ', out);
		conf_print_word(out, p->key_name);
	}
	fputc('\n', out);
}

/* The queue's settings mean something only with a member's limit: they
 * are printed then (and when changed). */
static bool
has_limits(const struct lb_pool_conf *p)
{
	for (size_t i = 0; i < p->nmembers; i++)
		if (p->members[i].max_connections > 0)
			return true;
	return p->max_queue != 1024 || p->queue_timeout > 0;
}

static void
print_pool(const struct lb_pool_conf *p, FILE *out)
{
	char buf[128];

	fprintf(out, "pool %s {\n", p->name);
	print_algorithm(p, out);
	if (p->monitor[0] != '\0')
		fprintf(out, "    monitor %s\n", p->monitor);
	if (p->slow_start > 0) {
		conf_fmt_duration(buf, sizeof(buf), p->slow_start);
		fprintf(out, "    slow-start %s\n", buf);
	}
	lb_tls_print_pool(p, out);
	if (p->source.ss_family != AF_UNSPEC) {
		addr_fmt(buf, sizeof(buf), (const struct sockaddr *)&p->source);
		fprintf(out, "    source-address %s\n", buf);
	}
	if (p->transparent)
		fprintf(out, "    transparent on\n");
	if (has_limits(p)) {
		fprintf(out, "    max-queue %llu\n",
		    (unsigned long long)p->max_queue);
		if (p->queue_timeout > 0) {
			conf_fmt_duration(buf, sizeof(buf), p->queue_timeout);
			fprintf(out, "    timeout queue %s\n", buf);
		}
	}
	for (size_t i = 0; i < p->nmembers; i++) {
		const struct lb_member_conf *m = &p->members[i];

		conf_fmt_sockaddr(buf, sizeof(buf), &m->addr);
		fprintf(out, "    member %s %s weight %u%s", m->name, buf,
		    m->weight, m->backup ? " backup" : "");
		if (m->monitor_port > 0)
			fprintf(out, " monitor-port %u", m->monitor_port);
		if (m->max_connections > 0)
			fprintf(out, " max-connections %u",
			    m->max_connections);
		if (m->send_proxy > 0)
			fprintf(out, " send-proxy v%u", m->send_proxy);
		if (m->check_send_proxy)
			fputs(" check-send-proxy", out);
		fputc('\n', out);
	}
	fprintf(out, "}\n");
}

static void
print_vs(const struct lb_vs_conf *vs, FILE *out)
{
	char buf[128];

	fprintf(out, "virtual-server %s {\n", vs->name);
	for (size_t i = 0; i < vs->nlistens; i++) {
		conf_fmt_sockaddr(buf, sizeof(buf), &vs->listens[i].addr);
		fprintf(out, "    listen %s%s\n", buf,
		    vs->listens[i].accept_proxy ? " accept-proxy" : "");
	}
	fprintf(out, "    profile %s\n", vs->profile);
	fprintf(out, "    default-pool %s\n", vs->default_pool);
	if (vs->max_connections > 0)
		fprintf(out, "    max-connections %llu %s\n",
		    (unsigned long long)vs->max_connections, vs->refuse ?
		    "refuse" : "queue");
	if (vs->rate_limit > 0)
		fprintf(out, "    rate-limit %llu/s\n",
		    (unsigned long long)vs->rate_limit);
	if (vs->access_log[0] != '\0') {
		fprintf(out, "    access-log ");
		conf_print_word(out, vs->access_log);
		fprintf(out, " %s\n", vs->access_log_json ? "json" : "text");
	}
	lb_vs_rules_print(vs, out);
	fprintf(out, "}\n");
}

void
lb_conf_print(const struct lb_conf *c, FILE *out)
{
	print_timeouts(&c->timeouts, out);
	if (c->stats.enabled) {
		char buf[128];

		conf_fmt_sockaddr(buf, sizeof(buf), &c->stats.addr);
		fprintf(out, "stats {\n    listen %s\n}\n", buf);
	}
	for (size_t i = 0; i < c->ncerts; i++)
		lb_cert_print(&c->certs[i], out);
	for (size_t i = 0; i < c->nmonitors; i++)
		lb_monitor_print(&c->monitors[i], out);
	for (size_t i = 0; i < c->nprofiles; i++)
		print_profile(&c->profiles[i], out);
	for (size_t i = 0; i < c->npools; i++)
		print_pool(&c->pools[i], out);
	for (size_t i = 0; i < c->nsticks; i++)
		if (!c->sticks[i].implicit)
			lb_stick_print(&c->sticks[i], out);
	for (size_t i = 0; i < c->nrule_blocks; i++)
		lb_rule_block_print(&c->rule_blocks[i], out);
	for (size_t i = 0; i < c->nvservers; i++)
		print_vs(&c->vservers[i], out);
}
