/*
 * fw/fw_print.c - the firewall and NAT in normal form (fw_conf_print):
 * every setting explicit, addresses before groups, which parses again to
 * the same configuration.
 */
#include <stdio.h>
#include <sys/socket.h>

#include "fw_conf.h"
#include "fw_conf_int.h"

static void
print_match(FILE *out, const char *kw, const struct fw_match *m)
{
	char buf[64];

	if (!m->set)
		return;
	fprintf(out, "        %s", kw);
	if (m->self)
		fprintf(out, " self");
	else if (m->naddrs == 0 && m->names.n == 0)
		fprintf(out, " any");
	/* addresses first, then groups: the order does not matter to a
	 * match, and this one parses back to itself */
	for (size_t i = 0; i < m->naddrs; i++) {
		fw_prefix_fmt(buf, sizeof(buf), &m->addrs[i]);
		fprintf(out, " %s", buf);
	}
	for (size_t i = 0; i < m->names.n; i++) {
		fputc(' ', out);
		conf_print_word(out, m->names.w[i]);
	}
	fputc('\n', out);
}

static void
print_ifname(FILE *out, const char *kw, const char *name)
{
	if (name[0] == '\0')
		return;
	fprintf(out, "        %s ", kw);
	conf_print_word(out, name);
	fputc('\n', out);
}

/* a rule's or NAT rule's block, up to what is its own */
static void
print_sel(FILE *out, const char *kw, const struct fw_sel *sel)
{
	fprintf(out, "    %s %s {\n", kw, sel->name);
	print_match(out, "source", &sel->src);
	print_match(out, "destination", &sel->dst);
	if (sel->svcnames.n > 0) {
		fprintf(out, "        service");
		for (size_t i = 0; i < sel->svcnames.n; i++) {
			fputc(' ', out);
			conf_print_word(out, sel->svcnames.w[i]);
		}
		fputc('\n', out);
	}
	print_ifname(out, "in-interface", sel->in_if);
}

static void
print_service(FILE *out, const struct fw_service *s)
{
	fprintf(out, "service %s {\n", s->name);
	for (size_t i = 0; i < s->nitems; i++) {
		const struct fw_svc_item *it = &s->items[i];

		fprintf(out, "    %s", fw_proto_names[it->proto]);
		if (it->proto == FW_TCP || it->proto == FW_UDP) {
			if (it->lo == 0)
				fprintf(out, " any");
			else if (it->lo == it->hi)
				fprintf(out, " %u", it->lo);
			else
				fprintf(out, " %u-%u", it->lo, it->hi);
		} else {
			fprintf(out, " %s", it->lo == FW_ICMP_ANY ? "any" :
			    fw_icmp_type_name(it->proto, it->lo));
		}
		fputc('\n', out);
	}
	fprintf(out, "}\n");
}

static void
print_nat(FILE *out, const struct fw_nat_rule *r)
{
	char lo[64], hi[64];

	print_sel(out, r->kind == FW_SNAT ? "snat" : "dnat", &r->sel);
	print_ifname(out, "out-interface", r->out_if);
	if (r->masquerade) {
		fprintf(out, "        translate-to masquerade\n    }\n");
		return;
	}
	fw_prefix_fmt(lo, sizeof(lo), &r->to_lo);
	if (r->to_hi.family != 0) {
		fw_prefix_fmt(hi, sizeof(hi), &r->to_hi);
		fprintf(out, "        translate-to %s-%s", lo, hi);
	} else if (r->to_port != 0 && r->to_lo.family == AF_INET6) {
		fprintf(out, "        translate-to [%s]", lo);
	} else {
		fprintf(out, "        translate-to %s", lo);
	}
	if (r->to_port != 0)
		fprintf(out, ":%u", r->to_port);
	fprintf(out, "\n    }\n");
}

void
fw_conf_print(const struct fw_conf *c, bool secrets, FILE *out)
{
	char buf[64];

	for (size_t i = 0; i < c->ngroups; i++) {
		const struct fw_group *g = &c->groups[i];

		fprintf(out, "address-group %s {\n", g->name);
		if (g->feed != NULL)
			fw_feed_print(g->feed, secrets, out);
		else if (g->dynamic)
			fprintf(out, "    dynamic\n");
		for (size_t k = 0; k < g->nmembers; k++) {
			fw_prefix_fmt(buf, sizeof(buf), &g->members[k]);
			fprintf(out, "    address %s\n", buf);
		}
		fprintf(out, "}\n");
	}
	for (size_t i = 0; i < c->nservices; i++)
		print_service(out, &c->services[i]);
	fw_steer_print(c, out);
	if (c->firewall) {
		fprintf(out, "firewall {\n    default-policy %s\n",
		    fw_action_name(c->default_policy));
		for (size_t i = 0; i < c->nrules; i++) {
			const struct fw_rule *r = &c->rules[i];

			print_sel(out, "rule", &r->sel);
			fprintf(out, "        action %s\n",
			    fw_action_name(r->action));
			if (r->log)
				fprintf(out, "        log on\n");
			if (r->match_translated)
				fprintf(out, "        match-translated on\n");
			if (r->steer[0] != '\0')
				fprintf(out, "        steer %s\n", r->steer);
			fprintf(out, "    }\n");
		}
		fprintf(out, "}\n");
	}
	if (c->nat) {
		fprintf(out, "nat {\n");
		for (size_t i = 0; i < c->nnats; i++)
			print_nat(out, &c->nats[i]);
		fprintf(out, "}\n");
	}
}
