/*
 * routing/rt_neigh.c - the neighbours' state, polled from FRR's daemons,
 * and edgectl's show commands (rt_neigh.h), top to bottom: the polls and
 * what changed, then the commands.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "rt_neigh.h"
#include "text.h"

static void poll_cb(struct ev_loop *loop, ev_timer *t, int revents);

void
rt_neigh_init(struct rt_neigh *n, const struct edged_host *h,
    void (*changed)(void *arg), void *arg)
{
	memset(n, 0, sizeof(*n));
	n->host = h;
	n->changed = changed;
	n->arg = arg;
	snprintf(n->dir, sizeof(n->dir), "%s", RT_VTY_SOCKET);
	rt_vty_init(&n->bgpd, h->loop, n->dir, "bgpd");
	rt_vty_init(&n->ospfd, h->loop, n->dir, "ospfd");
	rt_vty_init(&n->zebra, h->loop, n->dir, "zebra");
	ev_init(&n->poll, poll_cb);
	n->poll.data = n;
}

/* ---- BGP: what changed ---- */

static const struct rt_bgp_peer *
bgp_find(const struct rt_bgp_peer *v, size_t n, const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].addr, addr) == 0)
			return &v[i];
	return NULL;
}

static void
bgp_log(const struct rt_bgp_peer *o, const struct rt_bgp_peer *p)
{
	const char *why = p->reason[0] != '\0' ? p->reason : "no reason given";

	if (o == NULL)
		log_info("routing: BGP neighbour %s (AS %u): %s", p->addr,
		    p->remote_as, p->state);
	else if (o->up && !p->up)
		log_warn("routing: BGP neighbour %s: %s -> %s (bgpd: %s)",
		    p->addr, o->state, p->state, why);
	else if (strcmp(o->state, p->state) != 0)
		log_info("routing: BGP neighbour %s: %s -> %s", p->addr,
		    o->state, p->state);
	else if (p->up && p->drops > o->drops)
		log_warn("routing: BGP neighbour %s went down and came back "
		    "between two looks (bgpd: %s)", p->addr, why);
}

/* Logs each change from what was known to now; whether one changed. */
static bool
bgp_changes(const struct rt_neigh *n, const struct rt_bgp_peer *now,
    size_t nnow)
{
	bool changed = false;

	for (size_t i = 0; i < nnow; i++) {
		const struct rt_bgp_peer *o = bgp_find(n->bgp, n->nbgp,
		    now[i].addr);

		bgp_log(o, &now[i]);
		changed |= o == NULL || o->up != now[i].up;
	}
	for (size_t i = 0; i < n->nbgp; i++)
		if (bgp_find(now, nnow, n->bgp[i].addr) == NULL) {
			log_info("routing: BGP neighbour %s: no longer "
			    "bgpd's", n->bgp[i].addr);
			changed = true;
		}
	return changed;
}

/* bgpd could not be asked: every neighbour is taken as down. */
static struct rt_bgp_peer *
bgp_all_down(const struct rt_neigh *n, const char *why)
{
	struct rt_bgp_peer *v = mem_array(n->nbgp, sizeof(*v));

	for (size_t i = 0; v != NULL && i < n->nbgp; i++) {
		v[i] = n->bgp[i];
		v[i].up = false;
		v[i].up_ms = 0;
		snprintf(v[i].state, sizeof(v[i].state), "unknown");
		snprintf(v[i].reason, sizeof(v[i].reason), "%s", why);
	}
	return v;
}

static void
bgp_answer(void *arg, int status, const char *out, size_t len)
{
	struct rt_neigh *n = arg;
	struct rt_bgp_peer *now = NULL;
	size_t nnow = 0;
	char err[160];
	bool changed;

	n->asking_bgp = false;
	if (n->conf == NULL || !n->conf->bgp.present)
		return;
	if (status != 0 || rt_frrjson_bgp(out, len, &now, &nnow, err,
	    sizeof(err)) < 0) {
		if (!n->bgp_told)
			log_warn("routing: cannot read bgpd's neighbours: %s",
			    status != 0 ? out : err);
		n->bgp_told = true;
		nnow = n->nbgp;
		if ((now = bgp_all_down(n, "bgpd does not answer")) == NULL)
			return;
	} else if (n->bgp_told) {
		log_info("routing: bgpd answers again");
		n->bgp_told = false;
	}
	changed = bgp_changes(n, now, nnow);
	free(n->bgp);
	n->bgp = now;
	n->nbgp = nnow;
	if (changed)
		n->changed(n->arg);
}

/* ---- OSPF: what changed ---- */

static const struct rt_ospf_peer *
ospf_find(const struct rt_ospf_peer *v, size_t n,
    const struct rt_ospf_peer *p)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].id, p->id) == 0 &&
		    strcmp(v[i].ifname, p->ifname) == 0)
			return &v[i];
	return NULL;
}

static bool
ospf_if_named(const struct rt_conf *c, const char *ifname)
{
	for (size_t a = 0; a < c->ospf.nareas; a++)
		for (size_t i = 0; i < c->ospf.areas[a].nifs; i++)
			if (strcmp(c->ospf.areas[a].ifs[i].name, ifname) == 0)
				return true;
	return false;
}

/* A neighbour ospfd no longer lists (its dead interval passed) stays,
 * down, while its interface is OSPF's: its metric says 0, not nothing. */
static size_t
ospf_keep_gone(const struct rt_neigh *n, struct rt_ospf_peer **now,
    size_t nnow)
{
	for (size_t i = 0; i < n->nospf; i++) {
		struct rt_ospf_peer p = n->ospf[i];

		if (ospf_find(*now, nnow, &p) != NULL ||
		    !ospf_if_named(n->conf, p.ifname))
			continue;
		p.up = false;
		p.up_ms = 0;
		snprintf(p.state, sizeof(p.state), "Down");
		if (mem_resize(now, nnow + 1, sizeof(**now)) == 0)
			(*now)[nnow++] = p;
	}
	return nnow;
}

static bool
ospf_changes(const struct rt_neigh *n, const struct rt_ospf_peer *now,
    size_t nnow)
{
	bool changed = false;

	for (size_t i = 0; i < nnow; i++) {
		const struct rt_ospf_peer *p = &now[i];
		const struct rt_ospf_peer *o = ospf_find(n->ospf, n->nospf, p);

		if (o != NULL && strcmp(o->state, p->state) == 0)
			continue;
		changed |= o == NULL || o->up != p->up;
		if (o != NULL && o->up && !p->up)
			log_warn("routing: OSPF neighbour %s on %s: %s -> %s%s",
			    p->id, p->ifname, o->state, p->state,
			    strcmp(p->state, "Down") == 0 ? " (gone from "
			    "ospfd: its dead interval passed, or the link "
			    "went down)" : "");
		else
			log_info("routing: OSPF neighbour %s on %s: %s%s%s",
			    p->id, p->ifname, o != NULL ? o->state : "",
			    o != NULL ? " -> " : "", p->state);
	}
	return changed;
}

static void
ospf_answer(void *arg, int status, const char *out, size_t len)
{
	struct rt_neigh *n = arg;
	struct rt_ospf_peer *now = NULL;
	size_t nnow = 0;
	char err[160];
	bool changed;

	n->asking_ospf = false;
	if (n->conf == NULL || !n->conf->ospf.present)
		return;
	if (status != 0 || rt_frrjson_ospf(out, len, &now, &nnow, err,
	    sizeof(err)) < 0) {
		if (!n->ospf_told)
			log_warn("routing: cannot read ospfd's neighbours: "
			    "%s", status != 0 ? out : err);
		n->ospf_told = true;
		free(now);
		now = NULL;
		nnow = 0;
	} else if (n->ospf_told) {
		log_info("routing: ospfd answers again");
		n->ospf_told = false;
	}
	nnow = ospf_keep_gone(n, &now, nnow);
	changed = ospf_changes(n, now, nnow);
	free(n->ospf);
	n->ospf = now;
	n->nospf = nnow;
	if (changed)
		n->changed(n->arg);
}

/* ---- the polls ---- */

static void
poll_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct rt_neigh *n = t->data;

	(void)loop;
	(void)revents;
	if (n->conf == NULL)
		return;
	if (n->conf->bgp.present && !n->asking_bgp) {
		n->asking_bgp = true;
		rt_vty_ask(&n->bgpd, "show bgp neighbors json", bgp_answer, n);
	}
	if (n->conf->ospf.present && !n->asking_ospf) {
		n->asking_ospf = true;
		rt_vty_ask(&n->ospfd, "show ip ospf neighbor json",
		    ospf_answer, n);
	}
}

static void
vtys_close(struct rt_neigh *n, const char *why)
{
	rt_vty_close(&n->bgpd, why);
	rt_vty_close(&n->ospfd, why);
	rt_vty_close(&n->zebra, why);
}

void
rt_neigh_commit(struct rt_neigh *n, const struct rt_conf *c)
{
	bool had = n->nbgp + n->nospf > 0;

	if (strcmp(n->dir, c->vty_socket) != 0) {
		n->conf = NULL;		/* the polls' answers are dropped */
		vtys_close(n, "another vty-socket");
		snprintf(n->dir, sizeof(n->dir), "%s", c->vty_socket);
		rt_vty_init(&n->bgpd, n->host->loop, n->dir, "bgpd");
		rt_vty_init(&n->ospfd, n->host->loop, n->dir, "ospfd");
		rt_vty_init(&n->zebra, n->host->loop, n->dir, "zebra");
	}
	n->conf = c;
	if (!c->bgp.present) {
		free(n->bgp);
		n->bgp = NULL;
		n->nbgp = 0;
	}
	if (!c->ospf.present) {
		free(n->ospf);
		n->ospf = NULL;
		n->nospf = 0;
	}
	ev_timer_stop(n->host->loop, &n->poll);
	if (c->bgp.present || c->ospf.present) {
		ev_timer_set(&n->poll, 0., RT_NEIGH_POLL);
		ev_timer_start(n->host->loop, &n->poll);
	}
	if (had && n->nbgp + n->nospf == 0)
		n->changed(n->arg);
}

void
rt_neigh_stop(struct rt_neigh *n)
{
	ev_timer_stop(n->host->loop, &n->poll);
	n->conf = NULL;
	vtys_close(n, "edged stops");
}

void
rt_neigh_free(struct rt_neigh *n)
{
	rt_neigh_stop(n);
	free(n->bgp);
	free(n->ospf);
	n->bgp = NULL;
	n->ospf = NULL;
	n->nbgp = n->nospf = 0;
}

void
rt_neigh_state(const struct rt_neigh *n, FILE *out)
{
	for (size_t i = 0; i < n->nbgp; i++)
		fprintf(out, "bgp %s %d\n", n->bgp[i].addr, n->bgp[i].up);
	for (size_t i = 0; i < n->nospf; i++)
		fprintf(out, "ospf %s %s %d\n", n->ospf[i].id,
		    n->ospf[i].ifname[0] != '\0' ? n->ospf[i].ifname : "-",
		    n->ospf[i].up);
}

bool
rt_neigh_status(const struct rt_neigh *n, bool json, bool sep, FILE *out)
{
	size_t bup = 0, oup = 0;

	for (size_t i = 0; i < n->nbgp; i++)
		bup += n->bgp[i].up;
	for (size_t i = 0; i < n->nospf; i++)
		oup += n->ospf[i].up;
	if (json) {
		fprintf(out, "\"bgp_neighbors\":%zu,\"bgp_established\":%zu,"
		    "\"ospf_neighbors\":%zu,\"ospf_full\":%zu,", n->nbgp, bup,
		    n->nospf, oup);
		return true;
	}
	if (n->conf != NULL && n->conf->bgp.present) {
		fprintf(out, "%sbgp %zu/%zu established", sep ? ", " : "",
		    bup, n->nbgp);
		sep = true;
	}
	if (n->conf != NULL && n->conf->ospf.present) {
		fprintf(out, "%sospf %zu/%zu full", sep ? ", " : "", oup,
		    n->nospf);
		sep = true;
	}
	return sep;
}

/* ---- edgectl show ---- */

/* A command being answered: what it waits for. */
struct rt_show {
	struct rt_neigh *n;
	struct edged_ctl *c;
	bool json;
	char *first;			/* routes: the IPv4 table */
	size_t firstlen;
	int firststatus;
	struct edged_vip *vips;
	size_t nvips;
};

static struct rt_show *
show_new(struct rt_neigh *n, struct edged_ctl *c, bool json)
{
	struct rt_show *sh = calloc(1, sizeof(*sh));

	if (sh == NULL) {
		n->host->reply(c, false, "out of memory\n");
		return NULL;
	}
	sh->n = n;
	sh->c = c;
	sh->json = json;
	return sh;
}

static void
show_free(struct rt_show *sh)
{
	free(sh->first);
	free(sh->vips);
	free(sh);
}

/* FRR could not answer: the reply says why, and sh goes. */
static bool
show_failed(struct rt_show *sh, int status, const char *out,
    const char *what)
{
	if (status == 0)
		return false;
	edged_replyf(sh->n->host, sh->c, false, "cannot ask %s%s%s\n", what,
	    *out != '\0' ? ": " : "", out);
	show_free(sh);
	return true;
}

static void
uptime(char *buf, size_t size, uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (ms == 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%02llu:%02llu:%02llu",
		    (unsigned long long)(s / 3600),
		    (unsigned long long)(s / 60 % 60),
		    (unsigned long long)(s % 60));
}

static void
bgp_table(const struct rt_bgp_peer *v, size_t n, bool json, FILE *out)
{
	char up[32];

	fputs(json ? "{\"neighbors\":[" : "NEIGHBOR                 AS"
	    "          STATE        UP         RECEIVED  SENT\n", out);
	for (size_t i = 0; i < n; i++) {
		uptime(up, sizeof(up), v[i].up_ms);
		if (!json) {
			fprintf(out, "%-24s %-11u %-12s %-10s %-9llu %llu\n",
			    v[i].addr, v[i].remote_as, v[i].state, up,
			    (unsigned long long)v[i].received,
			    (unsigned long long)v[i].sent);
			continue;
		}
		fprintf(out, "%s{\"neighbor\":\"%s\",\"remote_as\":%u,"
		    "\"state\":", i > 0 ? "," : "", v[i].addr,
		    v[i].remote_as);
		text_json_string(out, v[i].state);
		fprintf(out, ",\"established\":%s,\"up_ms\":%llu,"
		    "\"received\":%llu,\"sent\":%llu,\"last_reset\":",
		    v[i].up ? "true" : "false",
		    (unsigned long long)v[i].up_ms,
		    (unsigned long long)v[i].received,
		    (unsigned long long)v[i].sent);
		text_json_string(out, v[i].reason);
		fputc('}', out);
	}
	fputs(json ? "]}\n" : "", out);
}

static void
show_bgp_answer(void *arg, int status, const char *out, size_t len)
{
	struct rt_show *sh = arg;
	struct rt_bgp_peer *v;
	size_t n;
	char err[160];
	struct text t;
	FILE *f;

	if (show_failed(sh, status, out, "bgpd"))
		return;
	if (rt_frrjson_bgp(out, len, &v, &n, err, sizeof(err)) < 0) {
		show_failed(sh, 1, err, "bgpd");
		return;
	}
	if ((f = text_open(&t)) != NULL)
		bgp_table(v, n, sh->json, f);
	edged_reply_text(sh->n->host, sh->c, true, &t);
	free(v);
	show_free(sh);
}

void
rt_neigh_show_bgp(struct rt_neigh *n, struct edged_ctl *c, bool json)
{
	struct rt_show *sh = show_new(n, c, json);

	if (sh != NULL)
		rt_vty_ask(&n->bgpd, "show bgp neighbors json",
		    show_bgp_answer, sh);
}

static void
ospf_table(const struct rt_ospf_peer *v, size_t n, bool json, FILE *out)
{
	char up[32];

	fputs(json ? "{\"neighbors\":[" : "NEIGHBOR         INTERFACE        "
	    "ADDRESS          STATE            UP\n", out);
	for (size_t i = 0; i < n; i++) {
		uptime(up, sizeof(up), v[i].up_ms);
		if (!json) {
			fprintf(out, "%-16s %-16s %-16s %-16s %s\n", v[i].id,
			    v[i].ifname, v[i].addr, v[i].state, up);
			continue;
		}
		fprintf(out, "%s{\"neighbor\":\"%s\",\"interface\":",
		    i > 0 ? "," : "", v[i].id);
		text_json_string(out, v[i].ifname);
		fputs(",\"address\":", out);
		text_json_string(out, v[i].addr);
		fputs(",\"state\":", out);
		text_json_string(out, v[i].state);
		fprintf(out, ",\"full\":%s,\"up_ms\":%llu}", v[i].up ? "true" :
		    "false", (unsigned long long)v[i].up_ms);
	}
	fputs(json ? "]}\n" : "", out);
}

static void
show_ospf_answer(void *arg, int status, const char *out, size_t len)
{
	struct rt_show *sh = arg;
	struct rt_ospf_peer *v;
	size_t n;
	char err[160];
	struct text t;
	FILE *f;

	if (show_failed(sh, status, out, "ospfd"))
		return;
	if (rt_frrjson_ospf(out, len, &v, &n, err, sizeof(err)) < 0) {
		show_failed(sh, 1, err, "ospfd");
		return;
	}
	if ((f = text_open(&t)) != NULL)
		ospf_table(v, n, sh->json, f);
	edged_reply_text(sh->n->host, sh->c, true, &t);
	free(v);
	show_free(sh);
}

void
rt_neigh_show_ospf(struct rt_neigh *n, struct edged_ctl *c, bool json)
{
	struct rt_show *sh = show_new(n, c, json);

	if (sh != NULL)
		rt_vty_ask(&n->ospfd, "show ip ospf neighbor json",
		    show_ospf_answer, sh);
}

/* The IPv4 table: kept until the IPv6 one comes. */
static void
show_routes_v4(void *arg, int status, const char *out, size_t len)
{
	struct rt_show *sh = arg;

	sh->firststatus = status;
	if ((sh->first = malloc(len + 1)) == NULL) {
		sh->firststatus = -1;
		return;
	}
	memcpy(sh->first, out, len + 1);
	sh->firstlen = len;
}

static void
show_routes_v6(void *arg, int status, const char *out, size_t len)
{
	struct rt_show *sh = arg;
	char *both, err[160];
	struct text t;
	FILE *f;

	if (show_failed(sh, sh->firststatus, sh->first != NULL ? sh->first :
	    "out of memory", "zebra") || show_failed(sh, status, out, "zebra"))
		return;
	if ((both = malloc(sh->firstlen + len + 1)) == NULL ||
	    (f = text_open(&t)) == NULL) {
		free(both);
		show_failed(sh, 1, "out of memory", "zebra");
		return;
	}
	memcpy(both, sh->first, sh->firstlen);
	memcpy(both + sh->firstlen, out, len + 1);
	if (rt_frrjson_routes(both, sh->firstlen + len, sh->vips, sh->nvips,
	    sh->json, f, err, sizeof(err)) < 0) {
		free(text_close(&t, NULL));
		free(both);
		show_failed(sh, 1, err, "zebra");
		return;
	}
	edged_reply_text(sh->n->host, sh->c, true, &t);
	free(both);
	show_free(sh);
}

void
rt_neigh_show_routes(struct rt_neigh *n, struct edged_ctl *c, bool json,
    const struct edged_vip *vips, size_t nvips)
{
	struct rt_show *sh = show_new(n, c, json);

	if (sh == NULL)
		return;
	if (nvips > 0 && (sh->vips = mem_array(nvips, sizeof(*vips))) ==
	    NULL) {
		show_failed(sh, 1, "out of memory", "zebra");
		return;
	}
	if (nvips > 0)
		memcpy(sh->vips, vips, nvips * sizeof(*vips));
	sh->nvips = nvips;
	rt_vty_ask(&n->zebra, "show ip route json", show_routes_v4, sh);
	rt_vty_ask(&n->zebra, "show ipv6 route json", show_routes_v6, sh);
}
