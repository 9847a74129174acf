/*
 * vpn/vpn_stats.c - what charon says of edged's sites, for the metrics
 * (vpn_int.h, vpn_worker.h): list-sas asked every VPN_POLL seconds while
 * charon has the sites, and at once after a tunnel came up or went down;
 * each site's tunnel state, bytes and packets, with the changes the watch
 * connection counted, sent to every worker as lines of text.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "text.h"
#include "vpn_int.h"
#include "vpn_master.h"
#include "vpn_module.h"
#include "vpn_worker.h"

#define VPN_POLL	5.		/* seconds */
#define VPN_POLL_SOON	0.2		/* after a tunnel changed */

struct vpn_sstat *
vpn_stats_site(struct vpn_master *vm, const char *name)
{
	struct vpn_sstat *s;

	for (size_t i = 0; i < vm->nst; i++)
		if (strcmp(vm->st[i].name, name) == 0)
			return &vm->st[i];
	if (mem_grow(&vm->st, &vm->stcap, vm->nst + 1, sizeof(*vm->st)) ==
	    -1)
		return NULL;
	s = &vm->st[vm->nst++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	return s;
}

void
vpn_stats_changed(struct vpn_master *vm, const char *site, bool up)
{
	struct vpn_sstat *s = vpn_stats_site(vm, site);

	if (s != NULL)
		s->v[up ? 4 : 5]++;
	vpn_stats_poll(vm, VPN_POLL_SOON);
}

static char *
state_text(const struct vpn_master *vm, size_t *len)
{
	struct text t;
	FILE *f = text_open(&t);

	if (f == NULL)
		return NULL;
	fprintf(f, "charon %d %" PRIu64 "\n", vm->synced, vm->lost);
	for (size_t i = 0; vm->cur != NULL && i < vm->cur->n; i++) {
		const char *name = vm->cur->v[i].site->name;
		const struct vpn_sstat *s = NULL;

		for (size_t k = 0; k < vm->nst && s == NULL; k++)
			if (strcmp(vm->st[k].name, name) == 0)
				s = &vm->st[k];
		fprintf(f, "site %s %d", name, s != NULL && s->up &&
		    vm->synced);
		for (size_t k = 0; k < 6; k++)
			fprintf(f, " %" PRIu64, s != NULL ? s->v[k] : 0);
		fputc('\n', f);
	}
	return text_close(&t, len);
}

void
vpn_stats_publish(const struct vpn_master *vm)
{
	size_t len;
	char *s = state_text(vm, &len);

	if (s == NULL)
		return;
	edged_publish_text(vm->host, &vpn_module, VPN_MSG_STATE, s, len);
	free(s);
}

int
vpn_master_feed_worker(void *ms, void *gd, void *wd,
    const struct edged_channel *ch)
{
	size_t len;
	char *s = state_text(ms, &len);
	int rc;

	(void)gd;
	(void)wd;
	if (s == NULL)
		return 0;		/* its metrics wait for a change */
	rc = ch->send(ch, VPN_MSG_STATE, 0, s, len, -1);
	free(s);
	return rc;
}

/* ---- list-sas ---- */

static void
on_sa(struct vpn_call *call, const struct vpn_vici_msg *m)
{
	struct vpn_master *vm = call->vm;
	struct vpn_sstat *seen = call->arg;

	if (m->type != VPN_VICI_EVENT || strcmp(m->name, "list-sa") != 0)
		return;
	for (size_t i = 0; i < m->root.n; i++) {
		const struct vpn_vici_node *ike = &m->root.v[i];
		const struct vpn_vici_node *cs = vpn_vici_child(ike,
		    "child-sas");
		struct vpn_sstat *s = NULL;

		for (size_t k = 0; vm->cur != NULL && k < vm->cur->n; k++)
			if (strcmp(seen[k].name, ike->name) == 0)
				s = &seen[k];
		for (size_t c = 0; s != NULL && cs != NULL && c < cs->n; c++) {
			static const char *const keys[] = { "bytes-in",
			    "bytes-out", "packets-in", "packets-out" };
			const char *st = vpn_vici_value(&cs->v[c], "state");

			s->up |= st != NULL && strcmp(st, "INSTALLED") == 0;
			for (size_t k = 0; k < 4; k++) {
				const char *v = vpn_vici_value(&cs->v[c],
				    keys[k]);

				s->v[k] += v != NULL ? strtoull(v, NULL, 10) :
				    0;
			}
		}
	}
}

static void
poll_done(struct vpn_call *call, const char *err)
{
	struct vpn_master *vm = call->vm;
	struct vpn_sstat *seen = call->arg;

	vm->polling = false;
	if (vm->stopping) {
		free(seen);
		return;
	}
	/* a reload meanwhile: these are another generation's sites */
	for (size_t i = 0; err == NULL && vm->cur != NULL &&
	    i < vm->cur->n && strcmp(seen[i].name, vm->cur->v[i].site->name)
	    == 0; i++) {
		struct vpn_sstat *s = vpn_stats_site(vm, seen[i].name);

		if (s == NULL)
			break;
		s->up = seen[i].up;
		memcpy(s->v, seen[i].v, 4 * sizeof(s->v[0]));
	}
	free(seen);
	vpn_stats_publish(vm);
	if (vm->synced)
		vpn_stats_poll(vm, VPN_POLL);
}

static void
poll_now(struct vpn_master *vm)
{
	struct vpn_sstat *seen = mem_array(vm->cur->n, sizeof(*seen));
	struct vpn_call *call;

	if (seen == NULL)
		return;
	memset(seen, 0, vm->cur->n * sizeof(*seen));
	for (size_t i = 0; i < vm->cur->n; i++)
		snprintf(seen[i].name, sizeof(seen[i].name), "%s",
		    vm->cur->v[i].site->name);
	if ((call = vpn_call_list_sas(vm, NULL, on_sa, poll_done,
	    seen)) == NULL) {
		free(seen);
		return;
	}
	vm->polling = true;
	vpn_call_start(call, vm->cur->conf->vici_socket, VPN_POLL);
}

static void
poll_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct vpn_master *vm = t->data;

	(void)loop;
	(void)revents;
	if (vm->polling || !vm->synced || vm->cur == NULL || vm->cur->n == 0)
		return;
	poll_now(vm);
}

void
vpn_stats_poll(struct vpn_master *vm, double after)
{
	if (vm->poll.data == NULL) {
		ev_init(&vm->poll, poll_cb);
		vm->poll.data = vm;
	}
	ev_timer_stop(vm->host->loop, &vm->poll);
	ev_timer_set(&vm->poll, after, 0.);
	ev_timer_start(vm->host->loop, &vm->poll);
}

void
vpn_stats_stop(struct vpn_master *vm)
{
	if (vm->poll.data != NULL)
		ev_timer_stop(vm->host->loop, &vm->poll);
}
