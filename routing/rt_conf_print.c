/*
 * routing/rt_conf_print.c - `routing { }` in normal form (rt_conf.h):
 * what `edged -T` prints and the worker reads, defaults written out.
 * A password is printed as <hidden> unless the operator asks for it
 * (conf.h's secrets).  The interface blocks come first.
 */
#include <arpa/inet.h>
#include <string.h>

#include "rt_conf.h"

static void
print_static(const struct rt_static *s, FILE *out)
{
	char p[64], via[INET6_ADDRSTRLEN];

	rt_prefix_fmt(p, sizeof(p), &s->dst);
	fprintf(out, "    static %s", p);
	if (s->has_via) {
		inet_ntop(s->dst.family, s->via, via, sizeof(via));
		fprintf(out, " via %s", via);
	}
	if (s->dev[0] != '\0')
		fprintf(out, " dev %s", s->dev);
	if (s->blackhole)
		fputs(" blackhole", out);
	if (s->distance != 0)
		fprintf(out, " distance %u", s->distance);
	fputc('\n', out);
}

static void
print_prefix_list(const struct rt_prefix_list *pl, FILE *out)
{
	char p[64];

	fprintf(out, "    prefix-list %s {\n", pl->name);
	for (size_t i = 0; i < pl->n; i++) {
		rt_prefix_fmt(p, sizeof(p), &pl->v[i].p);
		fprintf(out, "        %s %s", pl->v[i].permit ? "permit" :
		    "deny", p);
		if (pl->v[i].ge != 0)
			fprintf(out, " ge %u", pl->v[i].ge);
		if (pl->v[i].le != 0)
			fprintf(out, " le %u", pl->v[i].le);
		fputc('\n', out);
	}
	fputs("    }\n", out);
}

static void
print_redist(const struct rt_redist *rd, size_t n, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "        redistribute %s",
		    rt_source_name(rd[i].src));
		if (rd[i].plist[0] != '\0')
			fprintf(out, " prefix-list %s", rd[i].plist);
		fputc('\n', out);
	}
}

static void
print_neighbor(const struct rt_neighbor *nb, bool secrets, FILE *out)
{
	char a[INET6_ADDRSTRLEN];
	unsigned k, h;

	rt_neighbor_fmt(a, sizeof(a), nb);
	rt_neighbor_timers(nb, &k, &h);
	fprintf(out, "        neighbor %s {\n            remote-as ", a);
	if (nb->remote == RT_REMOTE_AS)
		fprintf(out, "%u\n", nb->remote_as);
	else
		fprintf(out, "%s\n", nb->remote == RT_REMOTE_INTERNAL ?
		    "internal" : "external");
	if (nb->password[0] != '\0') {
		fputs("            password ", out);
		conf_print_secret(out, nb->password, secrets);
		fputc('\n', out);
	}
	fprintf(out, "            keepalive %u\n            hold %u\n"
	    "            bfd %s\n        }\n", k, h, nb->bfd ? "on" : "off");
}

static void
print_bgp(const struct rt_bgp *b, bool secrets, FILE *out)
{
	fprintf(out, "    bgp {\n        asn %u\n", b->asn);
	for (size_t i = 0; i < b->nnb; i++)
		print_neighbor(&b->nb[i], secrets, out);
	fprintf(out, "        announce virtual-servers %s\n",
	    b->announce_vs ? "on" : "off");
	print_redist(b->rd, b->nrd, out);
	fputs("    }\n", out);
}

static void
print_ospf(const struct rt_ospf *o, FILE *out)
{
	char id[16];

	fputs("    ospf {\n", out);
	for (size_t a = 0; a < o->nareas; a++) {
		rt_area_fmt(id, sizeof(id), o->areas[a].id);
		fprintf(out, "        area %s {\n", id);
		for (size_t i = 0; i < o->areas[a].nifs; i++) {
			const struct rt_ospf_if *oi = &o->areas[a].ifs[i];

			fprintf(out, "            interface %s {\n", oi->name);
			if (oi->cost != 0)
				fprintf(out, "                cost %u\n",
				    oi->cost);
			fprintf(out, "                hello %u\n"
			    "                dead %u\n"
			    "                passive %s\n            }\n",
			    oi->hello ? oi->hello : 10,
			    oi->dead ? oi->dead : 40,
			    oi->passive ? "on" : "off");
		}
		fputs("        }\n", out);
	}
	fprintf(out, "        announce virtual-servers %s\n",
	    o->announce_vs ? "on" : "off");
	print_redist(o->rd, o->nrd, out);
	fputs("    }\n", out);
}

void
rt_conf_print(const struct rt_conf *c, bool secrets, FILE *out)
{
	char id[INET_ADDRSTRLEN];

	rt_conf_print_ifaces(c, out);
	if (!c->present)
		return;
	fputs("routing {\n    zebra-socket ", out);
	conf_print_word(out, c->zebra_socket);
	fprintf(out, "\n    announce virtual-servers %s\n    frr-config ",
	    c->announce_vs ? "on" : "off");
	conf_print_word(out, c->frr_config);
	fputs("\n    vty-socket ", out);
	conf_print_word(out, c->vty_socket);
	fputc('\n', out);
	if (c->has_router_id) {
		inet_ntop(AF_INET, &c->router_id, id, sizeof(id));
		fprintf(out, "    router-id %s\n", id);
	}
	for (size_t i = 0; i < c->nstatics; i++)
		print_static(&c->statics[i], out);
	for (size_t i = 0; i < c->npls; i++)
		print_prefix_list(&c->pls[i], out);
	if (c->bgp.present)
		print_bgp(&c->bgp, secrets, out);
	if (c->ospf.present)
		print_ospf(&c->ospf, out);
	fputs("}\n", out);
}
