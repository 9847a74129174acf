/*
 * vpn/vpn_master.c - the sites into charon (vpn_master.h): the module's
 * hooks in the master.
 *
 * A generation renders each site's VICI messages when it is loaded,
 * reading the files they need (vpn_gen.c); a commit gives charon those
 * of the sites whose messages differ from the ones in force, then takes
 * away what is no longer there (vpn_load.c): an unchanged tunnel is
 * never touched by a reload.  charon refusing a site fails the commit,
 * and what the commit had changed is put back as it was.  charon not
 * running fails nothing: the sites are loaded once it answers (tried
 * again with back-off), and again whenever it comes back after going
 * away (the watch connection sees it go: vpn_watch.c).
 *
 * The first commit (edged's start) loads every site (charon keeps an
 * unchanged connection as it is) and takes away what an earlier edged
 * left for sites that are gone: the keys and pools whose ids start with
 * VPN_KEY_PREFIX, with their connections.
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

void
vpn_master_gen_free(void *ms, void *gd)
{
	struct vpn_gen *g = gd;

	(void)ms;
	if (g == NULL)
		return;
	for (size_t i = 0; i < g->n; i++)
		vpn_gsite_release(&g->v[i]);
	free(g->v);
	vpn_radius_wipe(&g->radius, &g->radius_len);
	free(g);
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
	if (vpn_radius_render(c, &g->radius, &g->radius_len) < 0) {
		vpn_master_gen_free(ms, g);
		conf_oom(d, NULL);
		return NULL;
	}
	for (; g->n < c->nsites; g->n++) {
		if (vpn_gsite_render(&g->v[g->n], &c->sites[g->n], d) < 0) {
			g->n++;
			vpn_master_gen_free(ms, g);
			return NULL;
		}
	}
	return g;
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
	rc = vpn_apply(vm, vm->cur, NULL, err, sizeof(err));
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
	free(vm->keys);
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
	rc = vpn_apply(vm, g, from, why, sizeof(why));
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
	vm->synced = false;
	vpn_stats_publish(vm);
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
		fprintf(out, "\"ipsec_sites\":%zu,", n);
		if (n > 0)
			fprintf(out, "\"charon\":\"%s\",", vm->synced ?
			    "up" : "down");
		return;
	}
	if (n > 0)
		fprintf(out, "%zu ipsec site%s, charon %s", n, plural(n),
		    vm->synced ? "has them" : "not there");
}
