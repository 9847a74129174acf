/*
 * fw/fw_klb.c - the virtual servers the kernel balances, in table inet
 * edged (see fw_klb.h): their text, their slots, and the element changes
 * that follow their members' weights.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "fw_klb.h"
#include "fw_netlink.h"
#include "fw_nft.h"
#include "mem.h"
#include "text.h"

#define KLB_MIN_SLOTS	64		/* shares stay close to the weights
					 * when a member is out */
#define KLB_MAX_SLOTS	1024

/* ---- the text ---- */

static bool
v6(const struct edged_kservice *ks)
{
	return ks->naddrs > 0 && ks->addrs[0].ss_family == AF_INET6;
}

static const char *
l3(const struct edged_kservice *ks)
{
	return v6(ks) ? "ip6" : "ip";
}

static const char *
l4(const struct edged_kservice *ks)
{
	return ks->proto == IPPROTO_UDP ? "udp" : "tcp";
}

static int
port_of(const struct sockaddr_storage *ss)
{
	return addr_port((const struct sockaddr *)ss);
}

static void
host_of(char *buf, size_t size, const struct sockaddr_storage *ss)
{
	addr_fmt(buf, size, (const struct sockaddr *)ss);
}

unsigned
fw_klb_nslots(const struct edged_kservice *ks)
{
	unsigned long sum = 0;

	for (size_t i = 0; i < ks->nmembers; i++)
		sum += ks->members[i].weight;
	if (sum == 0)
		sum = ks->nmembers > 0 ? ks->nmembers : 1;
	if (sum >= KLB_MIN_SLOTS)
		return sum > KLB_MAX_SLOTS ? KLB_MAX_SLOTS : (unsigned)sum;
	/* a multiple of the weights' sum: the file's shares are exact */
	return (unsigned)(sum * ((KLB_MIN_SLOTS + sum - 1) / sum));
}

/* The jhash seed of a service: from its name, so that a reload keeps
 * it. */
static unsigned
seed_of(const char *name)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const void *)name; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	return h & 0x7fffffff;
}

static void
write_chain(FILE *out, const struct edged_kservice *ks)
{
	const char *ip = l3(ks), *p = l4(ks);
	const char *cut = ks->proto == IPPROTO_UDP ? "drop" :
	    "reject with tcp reset";
	char a[64];

	fprintf(out, "\tchain ks_%s {\n", ks->name);
	fprintf(out, "\t\t%s daddr . %s dport @kc_%s %s\n", ip, p, ks->name,
	    cut);
	fprintf(out, "\t\t%s saddr . %s sport @kc_%s %s\n", ip, p, ks->name,
	    cut);
	for (size_t i = 0; i < ks->nmembers; i++) {
		const struct edged_kmember *m = &ks->members[i];

		host_of(a, sizeof(a), &m->addr);
		fprintf(out, "\t\t%s daddr %s %s dport %d ct state new counter "
		    "name \"kn_%s_%zu\"\n", ip, a, p, port_of(&m->addr),
		    ks->name, i);
		fprintf(out, "\t\t%s daddr %s %s dport %d counter name "
		    "\"km_%s_%zu\" return comment \"member %s\"\n", ip, a, p,
		    port_of(&m->addr), ks->name, i, m->name);
		fprintf(out, "\t\t%s saddr %s %s sport %d counter name "
		    "\"km_%s_%zu\" return comment \"member %s\"\n", ip, a, p,
		    port_of(&m->addr), ks->name, i, m->name);
	}
	fprintf(out, "\t}\n");
}

/* "ip daddr A tcp dport P": a packet to ks's address a, as it came */
static void
dest(FILE *out, const struct edged_kservice *ks, size_t a)
{
	char h[64];

	host_of(h, sizeof(h), &ks->addrs[a]);
	fprintf(out, "%s daddr %s %s dport %d", l3(ks), h, l4(ks),
	    port_of(&ks->addrs[a]));
}

/* "ct original ip daddr A meta l4proto tcp ct original proto-dst P" */
static void
original(FILE *out, const struct edged_kservice *ks, size_t a)
{
	char h[64];

	host_of(h, sizeof(h), &ks->addrs[a]);
	fprintf(out, "ct original %s daddr %s meta l4proto %s ct original "
	    "proto-dst %d", l3(ks), h, l4(ks), port_of(&ks->addrs[a]));
}

/* A flow the map did not translate (no member has a slot) reaches the
 * edge itself: refused at once, whatever the firewall's policy. */
static void
write_input(FILE *out, const struct edged_endpoints *eps)
{
	fprintf(out, "\tchain klb_input {\n\t\ttype filter hook input "
	    "priority filter - 1; policy accept;\n");
	for (size_t j = 0; j < eps->nks; j++) {
		const struct edged_kservice *ks = &eps->ks[j];
		const char *how = ks->proto == IPPROTO_UDP ?
		    "icmpx port-unreachable" : "tcp reset";

		for (size_t a = 0; a < ks->naddrs; a++) {
			fprintf(out, "\t\t");
			dest(out, ks, a);
			fprintf(out, " reject with %s comment \"virtual-server "
			    "%s: no member\"\n", how, ks->name);
		}
	}
	fprintf(out, "\t}\n");
}

void
fw_klb_write_decls(FILE *out, const struct edged_endpoints *eps)
{
	for (size_t j = 0; j < eps->nks; j++) {
		const struct edged_kservice *ks = &eps->ks[j];

		fprintf(out, "\tmap k_%s {\n\t\ttypeof numgen inc mod %u : "
		    "%s daddr . %s dport\n\t}\n", ks->name, fw_klb_nslots(ks),
		    l3(ks), l4(ks));
		fprintf(out, "\tset kc_%s {\n\t\ttypeof %s daddr . %s dport\n"
		    "\t}\n", ks->name, l3(ks), l4(ks));
		for (size_t i = 0; i < ks->nmembers; i++)
			fprintf(out, "\tcounter kn_%s_%zu {\n\t}\n"
			    "\tcounter km_%s_%zu {\n\t}\n", ks->name, i,
			    ks->name, i);
		write_chain(out, ks);
	}
	if (eps->nks == 0)
		return;
	write_input(out, eps);
	fprintf(out, "\tchain klb_forward {\n\t\ttype filter hook forward "
	    "priority filter - 1; policy accept;\n");
	for (size_t j = 0; j < eps->nks; j++)
		for (size_t a = 0; a < eps->ks[j].naddrs; a++) {
			fprintf(out, "\t\t");
			original(out, &eps->ks[j], a);
			fprintf(out, " ct status dnat jump ks_%s\n",
			    eps->ks[j].name);
		}
	fprintf(out, "\t}\n");
}

void
fw_klb_write_dnat(FILE *out, const struct edged_endpoints *eps)
{
	for (size_t j = 0; j < eps->nks; j++) {
		const struct edged_kservice *ks = &eps->ks[j];
		char pick[128];

		if (ks->pick == EDGED_KPICK_SOURCE)
			snprintf(pick, sizeof(pick), "jhash %s saddr mod %u "
			    "seed 0x%x", l3(ks), fw_klb_nslots(ks),
			    seed_of(ks->name));
		else
			snprintf(pick, sizeof(pick), "numgen inc mod %u",
			    fw_klb_nslots(ks));
		for (size_t a = 0; a < ks->naddrs; a++) {
			fprintf(out, "\t\t");
			dest(out, ks, a);
			fprintf(out, " dnat %s to %s map @k_%s comment "
			    "\"virtual-server %s\"\n", l3(ks), pick, ks->name,
			    ks->name);
		}
	}
}

bool
fw_klb_any_snat(const struct edged_endpoints *eps)
{
	for (size_t j = 0; j < eps->nks; j++)
		if (eps->ks[j].snat != EDGED_KSNAT_NONE)
			return true;
	return false;
}

void
fw_klb_write_snat(FILE *out, const struct edged_endpoints *eps)
{
	for (size_t j = 0; j < eps->nks; j++) {
		const struct edged_kservice *ks = &eps->ks[j];
		char to[80], h[64];

		if (ks->snat == EDGED_KSNAT_NONE)
			continue;
		if (ks->snat == EDGED_KSNAT_ADDRESS) {
			host_of(h, sizeof(h), &ks->snat_addr);
			snprintf(to, sizeof(to), "snat %s to %s", l3(ks), h);
		} else
			snprintf(to, sizeof(to), "masquerade");
		for (size_t a = 0; a < ks->naddrs; a++) {
			fprintf(out, "\t\tct status dnat ");
			original(out, ks, a);
			fprintf(out, " %s comment \"virtual-server %s\"\n", to,
			    ks->name);
		}
	}
}

void
fw_klb_write_accepts(FILE *out, const struct edged_endpoints *eps)
{
	for (size_t j = 0; j < eps->nks; j++)
		for (size_t a = 0; a < eps->ks[j].naddrs; a++) {
			fprintf(out, "\t\tct status dnat ");
			original(out, &eps->ks[j], a);
			fprintf(out, " accept comment \"virtual-server %s\"\n",
			    eps->ks[j].name);
		}
}

/* ---- the slots ---- */

/* Each member's share of k by weight, the largest remainders rounded
 * up (the lower index first among equal ones). */
static void
shares(const unsigned *w, size_t n, unsigned k, unsigned *t)
{
	unsigned long long sum = 0;
	unsigned given = 0;

	for (size_t i = 0; i < n; i++)
		sum += w[i];
	for (size_t i = 0; i < n; i++) {
		t[i] = sum > 0 ? (unsigned)((unsigned long long)k * w[i] /
		    sum) : 0;
		given += t[i];
	}
	while (sum > 0 && given < k) {
		size_t best = n;
		unsigned long long bestrem = 0;

		for (size_t i = 0; i < n; i++) {
			unsigned long long rem = (unsigned long long)k * w[i] %
			    sum;

			/* a member takes at most one of the extra slots */
			if (w[i] > 0 && (unsigned long long)t[i] * sum <
			    (unsigned long long)k * w[i] && (best == n ||
			    rem > bestrem)) {
				best = i;
				bestrem = rem;
			}
		}
		if (best == n)
			break;
		t[best]++;
		given++;
	}
}

void
fw_klb_assign(const unsigned *w, size_t n, int *slot, unsigned k)
{
	unsigned *t = mem_array(n, sizeof(*t));
	unsigned *have = mem_array(n, sizeof(*have));
	long long *cur = mem_array(n, sizeof(*cur));
	long long want = 0;

	if (t == NULL || have == NULL || cur == NULL) {
		/* nothing moves rather than a wrong share */
		goto out;
	}
	shares(w, n, k, t);
	for (unsigned s = 0; s < k; s++) {
		int m = slot[s];

		if (m >= 0 && (size_t)m < n && have[m] < t[m])
			have[m]++;
		else
			slot[s] = -1;
	}
	for (size_t i = 0; i < n; i++)
		want += t[i] - have[i];
	/* the free slots, interleaved by what each member lacks (smooth
	 * weighted round-robin), so that numgen's turns alternate */
	for (unsigned s = 0; s < k && want > 0; s++) {
		size_t best = 0;

		if (slot[s] >= 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			cur[i] += t[i] - have[i];
			if (cur[i] > cur[best])
				best = i;
		}
		cur[best] -= want;
		slot[s] = (int)best;
	}
out:
	free(t);
	free(have);
	free(cur);
}
