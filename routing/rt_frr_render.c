/*
 * routing/rt_frr_render.c - edged's section of frr.conf from routing { }
 * (rt_frr.h), in FRR 8.4's own words, so that frr-reload.py compares it
 * line by line with what the daemons show.
 *
 * The virtual servers' addresses reach bgpd and ospfd as zebra's routes
 * of type openfabric (rt_zapi.h): `redistribute openfabric` takes
 * exactly them.  A `redistribute SOURCE prefix-list NAME` becomes a
 * route-map EDGED-PROTO-SOURCE-v4 (and -v6) matching the list's entries
 * of that family; FRR keeps IPv4 and IPv6 prefix-lists apart, so a list
 * is rendered once per family it has entries of.
 */
#include <arpa/inet.h>
#include <string.h>

#include "rt_frr.h"

/* ---- static routes and prefix-lists ---- */

static void
render_static(const struct rt_static *s, FILE *out)
{
	char p[64], via[INET6_ADDRSTRLEN];

	rt_prefix_fmt(p, sizeof(p), &s->dst);
	fprintf(out, "%s route %s", s->dst.family == AF_INET ? "ip" : "ipv6",
	    p);
	if (s->has_via) {
		inet_ntop(s->dst.family, s->via, via, sizeof(via));
		fprintf(out, " %s", via);
	}
	if (s->dev[0] != '\0')
		fprintf(out, " %s", s->dev);
	if (s->blackhole)
		fputs(" blackhole", out);
	if (s->distance != 0)
		fprintf(out, " %u", s->distance);
	fputc('\n', out);
}

static bool
pl_has_family(const struct rt_prefix_list *pl, int family)
{
	for (size_t i = 0; i < pl->n; i++)
		if (pl->v[i].p.family == family)
			return true;
	return false;
}

static void
render_prefix_list(const struct rt_prefix_list *pl, FILE *out)
{
	char p[64];
	unsigned seq[2] = { 0, 0 };

	for (size_t i = 0; i < pl->n; i++) {
		const struct rt_pl_entry *e = &pl->v[i];
		bool v6 = e->p.family == AF_INET6;

		seq[v6] += 5;
		rt_prefix_fmt(p, sizeof(p), &e->p);
		fprintf(out, "%s prefix-list EDGED-%s seq %u %s %s",
		    v6 ? "ipv6" : "ip", pl->name, seq[v6], e->permit ?
		    "permit" : "deny", p);
		if (e->ge != 0)
			fprintf(out, " ge %u", e->ge);
		if (e->le != 0)
			fprintf(out, " le %u", e->le);
		fputc('\n', out);
	}
}

/* route-map EDGED-PROTO-SOURCE-vN for each redistribute with a list:
 * a list without entries of a family lets none of it through */
static void
render_route_maps(const struct rt_conf *c, const char *proto,
    const struct rt_redist *rd, size_t n, bool v6too, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		const struct rt_prefix_list *pl =
		    rt_conf_prefix_list(c, rd[i].plist);
		const char *src = rt_source_name(rd[i].src);

		if (rd[i].plist[0] == '\0' || pl == NULL)
			continue;
		for (int v6 = 0; v6 <= (v6too ? 1 : 0); v6++) {
			if (!pl_has_family(pl, v6 ? AF_INET6 : AF_INET)) {
				fprintf(out, "route-map EDGED-%s-%s-v%d deny "
				    "10\nexit\n", proto, src, v6 ? 6 : 4);
				continue;
			}
			fprintf(out, "route-map EDGED-%s-%s-v%d permit 10\n"
			    " match %s address prefix-list EDGED-%s\nexit\n",
			    proto, src, v6 ? 6 : 4, v6 ? "ipv6" : "ip",
			    pl->name);
		}
	}
}

static void
render_redist(const char *proto, const struct rt_redist *rd, size_t n,
    bool vips, int v6, const char *indent, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		const char *src = rt_source_name(rd[i].src);

		fprintf(out, "%sredistribute %s", indent, src);
		if (rd[i].plist[0] != '\0')
			fprintf(out, " route-map EDGED-%s-%s-v%d", proto, src,
			    v6 ? 6 : 4);
		fputc('\n', out);
	}
	if (vips)
		fprintf(out, "%sredistribute openfabric\n", indent);
}

/* ---- bgp ---- */

static void
render_neighbor(const struct rt_neighbor *nb, bool secrets, FILE *out)
{
	char a[INET6_ADDRSTRLEN];
	unsigned k, h;

	rt_neighbor_fmt(a, sizeof(a), nb);
	rt_neighbor_timers(nb, &k, &h);
	fprintf(out, " neighbor %s remote-as ", a);
	if (nb->remote == RT_REMOTE_AS)
		fprintf(out, "%u\n", nb->remote_as);
	else
		fprintf(out, "%s\n", nb->remote == RT_REMOTE_INTERNAL ?
		    "internal" : "external");
	if (nb->password[0] != '\0')
		fprintf(out, " neighbor %s password %s\n", a, secrets ?
		    nb->password : CONF_HIDDEN);
	if (k != 60 || h != 180)
		fprintf(out, " neighbor %s timers %u %u\n", a, k, h);
	if (nb->bfd)
		fprintf(out, " neighbor %s bfd\n", a);
}

static void
render_bgp_family(const struct rt_bgp *b, int family, FILE *out)
{
	char a[INET6_ADDRSTRLEN];
	bool v6 = family == AF_INET6;

	fprintf(out, " !\n address-family %s unicast\n", v6 ? "ipv6" :
	    "ipv4");
	render_redist("bgp", b->rd, b->nrd, b->announce_vs, v6, "  ", out);
	for (size_t i = 0; i < b->nnb; i++) {
		if (b->nb[i].addr.ss_family != family)
			continue;
		rt_neighbor_fmt(a, sizeof(a), &b->nb[i]);
		fprintf(out, "  neighbor %s activate\n", a);
	}
	fputs(" exit-address-family\n", out);
}

static void
render_bgp(const struct rt_conf *c, bool secrets, FILE *out)
{
	const struct rt_bgp *b = &c->bgp;
	char id[INET_ADDRSTRLEN];

	fprintf(out, "router bgp %u\n", b->asn);
	if (c->has_router_id) {
		inet_ntop(AF_INET, &c->router_id, id, sizeof(id));
		fprintf(out, " bgp router-id %s\n", id);
	}
	/* what is sent is what redistribute picks: edged's policy */
	fputs(" no bgp ebgp-requires-policy\n no bgp default ipv4-unicast\n",
	    out);
	for (size_t i = 0; i < b->nnb; i++)
		render_neighbor(&b->nb[i], secrets, out);
	render_bgp_family(b, AF_INET, out);
	render_bgp_family(b, AF_INET6, out);
	fputs("exit\n", out);
}

/* ---- ospf ---- */

static void
render_ospf_if(const struct rt_ospf_if *oi, uint32_t area, FILE *out)
{
	char id[16];

	rt_area_fmt(id, sizeof(id), area);
	fprintf(out, "interface %s\n ip ospf area %s\n", oi->name, id);
	if (oi->cost != 0)
		fprintf(out, " ip ospf cost %u\n", oi->cost);
	if (oi->hello != 0 && oi->hello != 10)
		fprintf(out, " ip ospf hello-interval %u\n", oi->hello);
	if (oi->dead != 0 && oi->dead != 40)
		fprintf(out, " ip ospf dead-interval %u\n", oi->dead);
	if (oi->passive)
		fputs(" ip ospf passive\n", out);
	fputs("exit\n", out);
}

static void
render_ospf(const struct rt_conf *c, FILE *out)
{
	const struct rt_ospf *o = &c->ospf;
	char id[INET_ADDRSTRLEN];

	for (size_t a = 0; a < o->nareas; a++)
		for (size_t i = 0; i < o->areas[a].nifs; i++)
			render_ospf_if(&o->areas[a].ifs[i], o->areas[a].id,
			    out);
	fputs("router ospf\n", out);
	if (c->has_router_id) {
		inet_ntop(AF_INET, &c->router_id, id, sizeof(id));
		fprintf(out, " ospf router-id %s\n", id);
	}
	render_redist("ospf", o->rd, o->nrd, o->announce_vs, 0, " ", out);
	fputs("exit\n", out);
}

void
rt_frr_render(const struct rt_conf *c, bool secrets, FILE *out)
{
	if (!rt_conf_drives_frr(c))
		return;
	fputs(RT_FRR_BEGIN " (edged's; edged rewrites these lines from its "
	    "own configuration)\n", out);
	for (size_t i = 0; i < c->nstatics; i++)
		render_static(&c->statics[i], out);
	for (size_t i = 0; i < c->npls; i++)
		render_prefix_list(&c->pls[i], out);
	if (c->bgp.present)
		render_route_maps(c, "bgp", c->bgp.rd, c->bgp.nrd, true, out);
	if (c->ospf.present)
		render_route_maps(c, "ospf", c->ospf.rd, c->ospf.nrd, false,
		    out);
	if (c->bgp.present)
		render_bgp(c, secrets, out);
	if (c->ospf.present)
		render_ospf(c, out);
	fputs(RT_FRR_END "\n", out);
}
