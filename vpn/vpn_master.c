/*
 * vpn/vpn_master.c - the sites into charon (vpn_master.h).
 *
 * A generation renders each site's two VICI messages (load-shared,
 * load-conn) when it is loaded; a commit sends charon those of the sites
 * whose messages differ from the ones in force, then takes away the
 * sites no longer there: an unchanged tunnel is never touched by a
 * reload.  charon refusing a site fails the commit, and what the commit
 * had changed is put back as it was.  charon not running fails nothing:
 * the sites are loaded once it answers (tried again with back-off), and
 * again whenever it comes back after going away.
 *
 * The first commit (edged's start) loads every site (charon keeps an
 * unchanged connection as it is) and takes away the keys an earlier
 * edged left for sites that are gone, with their connections: a key of
 * edged's has an id of VPN_KEY_PREFIX and the site's name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "vpn_client.h"
#include "vpn_int.h"
#include "vpn_master.h"
#include "vpn_site.h"

static void retry_cb(struct ev_loop *loop, ev_timer *t, int revents);

const struct vpn_gsite *
vpn_gen_site(const struct vpn_gen *g, const char *name)
{
	for (size_t i = 0; g != NULL && i < g->n; i++)
		if (strcmp(g->v[i].site->name, name) == 0)
			return &g->v[i];
	return NULL;
}

/* ---- generations ---- */

static void
gsite_release(struct vpn_gsite *s)
{
	if (s->shared != NULL)
		explicit_bzero(s->shared, s->sharedlen);
	free(s->shared);
	free(s->conn);
}

void
vpn_master_gen_free(void *ms, void *gd)
{
	struct vpn_gen *g = gd;

	(void)ms;
	if (g == NULL)
		return;
	for (size_t i = 0; i < g->n; i++)
		gsite_release(&g->v[i]);
	free(g->v);
	free(g);
}

/* site's messages into gs: 0, or -1 with an error in d */
static int
gsite_render(struct vpn_gsite *gs, const struct vpn_site *s,
    struct conf_diag *d)
{
	const char *why = NULL;

	gs->site = s;
	if ((gs->shared = vpn_site_load_shared(s, &gs->sharedlen,
	    &why)) == NULL || (gs->conn = vpn_site_load_conn(s, &gs->connlen,
	    &why)) == NULL) {
		conf_error(d, &s->pos, "ipsec %s: %s", s->name, why);
		return -1;
	}
	return 0;
}

void *
vpn_master_gen_new(void *ms, const void *part,
    const struct edged_gen_info *info, const struct edged_endpoints *eps,
    struct conf_diag *d)
{
	const struct vpn_conf *c = part;
	struct vpn_gen *g = calloc(1, sizeof(*g));

	(void)info;
	(void)eps;
	if (g == NULL || (c->nsites > 0 &&
	    (g->v = mem_array(c->nsites, sizeof(*g->v))) == NULL)) {
		free(g);
		conf_oom(d, NULL);
		return NULL;
	}
	g->conf = c;
	if (vpn_conf_check_secrets(c, d) > 0) {
		vpn_master_gen_free(ms, g);
		return NULL;
	}
	for (; g->n < c->nsites; g->n++) {
		memset(&g->v[g->n], 0, sizeof(g->v[g->n]));
		if (gsite_render(&g->v[g->n], &c->sites[g->n], d) < 0) {
			g->n++;
			vpn_master_gen_free(ms, g);
			return NULL;
		}
	}
	return g;
}

/* ---- charon ---- */

static bool
same_site(const struct vpn_gsite *a, const struct vpn_gsite *b)
{
	return a->sharedlen == b->sharedlen && a->connlen == b->connlen &&
	    memcmp(a->shared, b->shared, a->sharedlen) == 0 &&
	    memcmp(a->conn, b->conn, a->connlen) == 0;
}

/* s's key and connection into charon: 0, 1 refused, -1 (err) */
static int
load_site(struct vpn_client *cl, const struct vpn_gsite *s, char *err,
    size_t errsize)
{
	int rc = vpn_client_command(cl, s->shared, s->sharedlen, err,
	    errsize);

	return rc != 0 ? rc : vpn_client_command(cl, s->conn, s->connlen,
	    err, errsize);
}

/* site's connection and key out of charon (what charon does not have
 * is not an error: it may have restarted without them) */
static int
unload_site(struct vpn_client *cl, const char *site)
{
	uint8_t *m;
	size_t len;
	const char *why;
	char err[256];
	int rc = 0;

	for (int k = 0; k < 2 && rc >= 0; k++) {
		m = k == 0 ? vpn_site_unload_conn(site, &len, &why) :
		    vpn_site_unload_shared(site, &len, &why);
		if (m == NULL)
			return -1;
		rc = vpn_client_command(cl, m, len, err, sizeof(err));
		free(m);
		if (rc == 1)
			log_info("vpn: ipsec %s: charon had no %s of it (%s)",
			    site, k == 0 ? "connection" : "key", err);
	}
	return rc < 0 ? -1 : 0;
}

/* the sites a failed commit had changed (g's first n) put back as
 * they were in from */
static void
put_back(struct vpn_client *cl, const struct vpn_gen *g, size_t n,
    const struct vpn_gen *from)
{
	char err[256];

	for (size_t i = 0; i < n; i++) {
		const struct vpn_gsite *old = vpn_gen_site(from,
		    g->v[i].site->name);

		if (old == NULL ? unload_site(cl, g->v[i].site->name) < 0 :
		    load_site(cl, old, err, sizeof(err)) != 0)
			log_err("vpn: ipsec %s could not be put back as it "
			    "was", g->v[i].site->name);
	}
}

/* The keys (and connections) an earlier edged left for sites g has
 * not: get-shared lists the keys loaded over VICI, edged's by their
 * prefix. */
static void
sweep(struct vpn_client *cl, const struct vpn_gen *g)
{
	struct vpn_vici_msg m;
	const struct vpn_vici_node *keys;
	const char *why;
	char err[256];
	size_t len;
	uint8_t *req = vpn_site_request("get-shared", NULL, 0, &len, &why);

	if (req == NULL || vpn_client_call(cl, req, len, NULL, NULL, &m, err,
	    sizeof(err)) < 0) {
		free(req);
		return;
	}
	free(req);
	keys = vpn_vici_child(&m.root, "keys");
	for (size_t i = 0; keys != NULL && keys->kind == VPN_VICI_LIST &&
	    i < keys->n; i++) {
		const char *id = keys->v[i].value;
		size_t plen = strlen(VPN_KEY_PREFIX);

		if (id == NULL || strncmp(id, VPN_KEY_PREFIX, plen) != 0 ||
		    vpn_gen_site(g, id + plen) != NULL)
			continue;
		if (unload_site(cl, id + plen) == 0)
			log_info("vpn: ipsec %s, which an earlier edged "
			    "loaded, taken away from charon", id + plen);
	}
	vpn_vici_msg_free(&m);
}

/*
 * g's sites into charon, those of from (in charon) that differ, or all
 * (from NULL); from's sites that g has not, out.  0; 1 when charon is
 * not there (err says why); -1 with err when it refuses a site (as it
 * was, then).
 */
static int
apply(const struct vpn_gen *g, const struct vpn_gen *from, char *err,
    size_t errsize)
{
	struct vpn_client cl;
	char why[256];
	size_t i;
	int rc = 0;

	if (vpn_client_open(&cl, g->conf->vici_socket, VPN_TIMEOUT, err,
	    errsize) < 0)
		return 1;
	for (i = 0; i < g->n && rc == 0; i++) {
		const struct vpn_gsite *old = vpn_gen_site(from,
		    g->v[i].site->name);

		if (old == NULL || !same_site(old, &g->v[i]))
			rc = load_site(&cl, &g->v[i], why, sizeof(why));
	}
	if (rc != 0) {
		const struct vpn_site *s = g->v[i - 1].site;

		snprintf(err, errsize, "%s:%u: ipsec %s: %s%s", s->pos.file,
		    s->pos.line, s->name, rc == 1 ? "charon refuses it: " :
		    "", why);
		if (rc == 1)
			put_back(&cl, g, i, from);
		vpn_client_close(&cl);
		return rc == 1 ? -1 : 1;
	}
	for (i = 0; from != NULL && i < from->n; i++)
		if (vpn_gen_site(g, from->v[i].site->name) == NULL &&
		    unload_site(&cl, from->v[i].site->name) == 0)
			log_info("vpn: ipsec %s taken away from charon",
			    from->v[i].site->name);
	if (from == NULL)
		sweep(&cl, g);
	vpn_client_close(&cl);
	return 0;
}

/* g in force; its count kept for master_stop, which comes after the
 * generations are gone */
static void
set_cur(struct vpn_master *vm, const struct vpn_gen *g)
{
	vm->cur = g;
	vm->ncur = g->n;
}

static const char *
plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/* charon had every site of cur: it is watched */
static void
synced(struct vpn_master *vm)
{
	vm->synced = true;
	vm->complained = false;
	vm->backoff = VPN_BACKOFF_MIN;
	ev_timer_stop(vm->host->loop, &vm->retry);
	if (vm->cur->n > 0) {
		vpn_watch_open(vm, vm->cur->conf->vici_socket);
		vpn_stats_poll(vm, 0.);
	} else
		vpn_watch_close(vm);
}

static void
retry_later(struct vpn_master *vm)
{
	ev_timer_stop(vm->host->loop, &vm->retry);
	ev_timer_set(&vm->retry, vm->backoff, 0.);
	ev_timer_start(vm->host->loop, &vm->retry);
	vm->backoff = vm->backoff * 2 > VPN_BACKOFF_MAX ? VPN_BACKOFF_MAX :
	    vm->backoff * 2;
}

static void
retry_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct vpn_master *vm = t->data;
	char err[512];
	int rc;

	(void)loop;
	(void)revents;
	if (vm->cur == NULL || vm->synced)
		return;
	vpn_watch_open(vm, vm->cur->conf->vici_socket);
	rc = apply(vm->cur, NULL, err, sizeof(err));
	if (rc == 0) {
		log_info("vpn: charon answers at %s: it has the %zu site%s",
		    vm->cur->conf->vici_socket, vm->cur->n,
		    plural(vm->cur->n));
		synced(vm);
		return;
	}
	snprintf(vm->charon_err, sizeof(vm->charon_err), "%s", err);
	if (rc < 0)	/* charon came back, and refuses what it had */
		log_err("vpn: %s", err);
	retry_later(vm);
}

void
vpn_charon_lost(struct vpn_master *vm, const char *why)
{
	vpn_watch_close(vm);
	if (!vm->synced)
		return;
	vm->synced = false;
	vm->lost++;
	snprintf(vm->charon_err, sizeof(vm->charon_err), "%s", why);
	log_warn("vpn: charon went away (%s): the sites are loaded again "
	    "when it is back", why);
	vpn_stats_publish(vm);
	vm->backoff = VPN_BACKOFF_MIN;
	retry_later(vm);
}

/* ---- the module's hooks ---- */

void *
vpn_master_new(const struct edged_host *h,
    const struct edged_gen_info *first)
{
	struct vpn_master *vm = calloc(1, sizeof(*vm));

	(void)first;
	if (vm == NULL)
		return NULL;
	vm->host = h;
	vm->wfd = -1;
	vm->backoff = VPN_BACKOFF_MIN;
	ev_init(&vm->retry, retry_cb);
	vm->retry.data = vm;
	return vm;
}

void
vpn_master_stop(void *ms)
{
	struct vpn_master *vm = ms;

	vm->stopping = true;
	ev_timer_stop(vm->host->loop, &vm->retry);
	vpn_stats_stop(vm);
	vpn_watch_close(vm);
	vpn_calls_end(vm);
	vm->cur = NULL;		/* gone already */
	if (vm->ncur > 0)
		log_info("vpn: edged stops: charon keeps the %zu site%s and "
		    "their tunnels", vm->ncur, plural(vm->ncur));
}

void
vpn_master_free(void *ms)
{
	struct vpn_master *vm = ms;

	if (vm == NULL)
		return;
	vpn_stats_stop(vm);
	vpn_watch_close(vm);
	vpn_calls_end(vm);
	free(vm->st);
	free(vm);
}

/*
 * Only charon refusing a site fails: charon not running is said, and
 * the sites follow once it answers.  Without a site, before or now,
 * charon is asked only at start (keys an earlier edged left).
 */
int
vpn_master_commit(void *ms, void *gd, char *err, size_t errsize)
{
	struct vpn_master *vm = ms;
	const struct vpn_gen *g = gd;
	const struct vpn_gen *from = vm->synced ? vm->cur : NULL;
	bool first = vm->cur == NULL;
	char why[512];
	int rc;

	if (!first && g->n == 0 && vm->cur->n == 0) {
		set_cur(vm, g);
		return 0;
	}
	/* watching before the sites go in: a tunnel they start is seen
	 * coming up */
	if (g->n > 0)
		vpn_watch_open(vm, g->conf->vici_socket);
	rc = apply(g, from, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errsize, "%s", why);
		return -1;
	}
	set_cur(vm, g);
	if (rc == 0) {
		synced(vm);
		vpn_stats_publish(vm);
		return 0;
	}
	vpn_stats_publish(vm);
	vm->synced = false;
	vpn_watch_close(vm);
	snprintf(vm->charon_err, sizeof(vm->charon_err), "%s", why);
	if (g->n == 0)
		return 0;
	if (!vm->complained)
		log_warn("vpn: charon is not there (%s): the %zu site%s are "
		    "loaded once it answers", why, g->n, plural(g->n));
	vm->complained = true;
	vm->backoff = VPN_BACKOFF_MIN;
	retry_later(vm);
	return 0;
}

void
vpn_master_status(void *ms, bool json, FILE *out)
{
	const struct vpn_master *vm = ms;
	size_t n = vm->cur != NULL ? vm->cur->n : 0;

	if (json) {
		fprintf(out, "\"ipsec_sites\":%zu,\"charon\":\"%s\",", n,
		    vm->synced ? "up" : "down");
		return;
	}
	if (n > 0)
		fprintf(out, "%zu ipsec site%s, charon %s", n, plural(n),
		    vm->synced ? "has them" : "not there");
}
