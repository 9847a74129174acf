/*
 * fw/fw_stats.c - see fw_stats.h.
 */
#include <string.h>
#include <time.h>

#include "fw_stats.h"

static size_t
nslots(const struct fw_conf *c)
{
	return c->nrules + 2 + c->nnats + c->nchains;
}

size_t
fw_stats_size(const struct fw_conf *c, size_t nkm)
{
	return sizeof(struct fw_stats_hdr) +
	    nslots(c) * sizeof(struct fw_stats_ctr) +
	    nkm * sizeof(struct fw_stats_kmember);
}

static void
view(struct fw_stats *v, void *mem, size_t n)
{
	v->hdr = mem;
	v->ctr = (struct fw_stats_ctr *)((char *)mem + sizeof(*v->hdr));
	v->km = (struct fw_stats_kmember *)(v->ctr + n);
}

void
fw_stats_init(struct fw_stats *v, void *mem, const struct fw_conf *c,
    size_t nkm)
{
	view(v, mem, nslots(c));
	v->hdr->magic = FW_STATS_MAGIC;
	v->hdr->nslots = (uint32_t)nslots(c);
	v->hdr->nkm = (uint32_t)nkm;
}

int
fw_stats_attach(struct fw_stats *v, void *mem, size_t len,
    const struct fw_conf *c)
{
	const struct fw_stats_hdr *h = mem;

	v->hdr = NULL;
	v->ctr = NULL;
	v->km = NULL;
	if (len < sizeof(*h) || h->magic != FW_STATS_MAGIC ||
	    h->nslots != nslots(c) || len != fw_stats_size(c, h->nkm))
		return -1;
	view(v, mem, nslots(c));
	return 0;
}

uint64_t
fw_stats_clock_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

void
fw_stats_counter(const struct fw_conf *c, size_t i, char *buf, size_t size)
{
	if (i < c->nrules)
		snprintf(buf, size, "r_%s", c->rules[i].sel.name);
	else if (i == c->nrules)
		snprintf(buf, size, "default_in");
	else if (i == c->nrules + 1)
		snprintf(buf, size, "default_fwd");
	else if (i < c->nrules + 2 + c->nnats)
		snprintf(buf, size, "n_%s", c->nats[i - c->nrules - 2].sel.name);
	else
		snprintf(buf, size, "s_%s",
		    c->chains[i - c->nrules - 2 - c->nnats].name);
}

/* The labels of slot i. */
static void
labels(const struct fw_conf *c, size_t i, char *buf, size_t size)
{
	if (i < c->nrules)
		snprintf(buf, size, "rule=\"%s\",action=\"%s\"",
		    c->rules[i].sel.name, fw_action_name(c->rules[i].action));
	else if (i < c->nrules + 2)
		snprintf(buf, size, "direction=\"%s\",action=\"%s\"",
		    i == c->nrules ? "input" : "forward",
		    fw_action_name(c->default_policy));
	else if (i < c->nrules + 2 + c->nnats)
		snprintf(buf, size, "rule=\"%s\",type=\"%s\"",
		    c->nats[i - c->nrules - 2].sel.name,
		    c->nats[i - c->nrules - 2].kind == FW_SNAT ? "snat" :
		    "dnat");
	else
		snprintf(buf, size, "chain=\"%s\"",
		    c->chains[i - c->nrules - 2 - c->nnats].name);
}

struct family {
	const char *name, *help;
	size_t from, to;		/* slots */
	bool bytes;
};

static void
family(FILE *out, const struct fw_conf *c, const struct fw_stats *v,
    const struct family *f)
{
	char l[FW_NAME_MAX + 64];

	if (f->from == f->to)
		return;
	fprintf(out, "# HELP %s %s\n# TYPE %s counter\n", f->name, f->help,
	    f->name);
	for (size_t i = f->from; i < f->to; i++) {
		const struct fw_stats_ctr *k = &v->ctr[i];

		labels(c, i, l, sizeof(l));
		fprintf(out, "%s{%s} %llu\n", f->name, l, (unsigned long long)
		    atomic_load_explicit(f->bytes ? &k->bytes : &k->packets,
		    memory_order_relaxed));
	}
}

/* The kernel-balanced members' families. */
static void
kmembers(FILE *out, const struct fw_stats *v)
{
	static const struct {
		const char *name, *type, *help;
	} fams[] = {
		{ "edged_l4_kernel_flows_total", "counter",
		    "New flows the kernel gave a member of an l4-kernel "
		    "virtual server." },
		{ "edged_l4_kernel_packets_total", "counter",
		    "Packets of its flows, both ways." },
		{ "edged_l4_kernel_bytes_total", "counter",
		    "Bytes of those packets." },
		{ "edged_l4_kernel_weight", "gauge",
		    "Its weight in force (0: no new flows)." },
		{ "edged_l4_kernel_slots", "gauge",
		    "The slots of the virtual server's map it has." },
	};

	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", fams[f].name,
		    fams[f].help, fams[f].name, fams[f].type);
		for (size_t i = 0; i < v->hdr->nkm; i++) {
			const struct fw_stats_kmember *k = &v->km[i];
			const _Atomic uint64_t *ctr[] = { &k->flows,
			    &k->packets, &k->bytes };

			fprintf(out, "%s{virtual_server=\"%.*s\",member="
			    "\"%.*s\"} ", fams[f].name, (int)sizeof(k->vs),
			    k->vs, (int)sizeof(k->member), k->member);
			if (f < 3)
				fprintf(out, "%llu\n", (unsigned long long)
				    atomic_load(ctr[f]));
			else if (f == 3)
				fprintf(out, "%g\n", (double)atomic_load(
				    &k->weight) / EDGED_KWEIGHT_SCALE);
			else
				fprintf(out, "%u\n", atomic_load(&k->slots));
		}
	}
}

void
fw_metrics(FILE *out, const struct fw_conf *c, const struct fw_stats *v,
    uint64_t now_ms)
{
	size_t r = c->nrules, n = r + 2 + c->nnats, all = nslots(c);
	const struct family fams[] = {
		{ "edged_firewall_rule_packets_total",
		    "Packets a firewall rule decided on.", 0, r, false },
		{ "edged_firewall_rule_bytes_total",
		    "Bytes of those packets.", 0, r, true },
		{ "edged_firewall_default_packets_total",
		    "Packets no rule matched, left to the default policy.",
		    r, c->firewall ? r + 2 : r, false },
		{ "edged_firewall_default_bytes_total",
		    "Bytes of those packets.", r, c->firewall ? r + 2 : r,
		    true },
		{ "edged_nat_rule_packets_total",
		    "Connections a NAT rule translated (their first packet).",
		    r + 2, n, false },
		{ "edged_nat_rule_bytes_total",
		    "Bytes of those first packets.", r + 2, n, true },
		{ "edged_steered_packets_total",
		    "Packets steered into a service chain (both ways).", n,
		    all, false },
		{ "edged_steered_bytes_total",
		    "Bytes of those packets.", n, all, true },
	};
	uint64_t at;

	if (v->hdr == NULL)
		return;
	for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++)
		family(out, c, v, &fams[i]);
	if (v->hdr->nkm > 0)
		kmembers(out, v);
	at = atomic_load_explicit(&v->hdr->at_ms, memory_order_acquire);
	if (at == 0)
		return;
	fprintf(out, "# HELP edged_firewall_counters_age_seconds How old the "
	    "firewall and NAT figures are.\n# TYPE "
	    "edged_firewall_counters_age_seconds gauge\n"
	    "edged_firewall_counters_age_seconds %.3f\n",
	    now_ms > at ? (double)(now_ms - at) / 1000.0 : 0.0);
}
