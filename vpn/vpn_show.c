/*
 * vpn/vpn_show.c - edgectl show ipsec, ipsec up|down SITE: charon asked
 * on a VICI connection of the command's own (vpn_call.c), in the
 * master's loop: list-sas streams one list-sa event per IKE SA before
 * its answer; initiate and terminate answer once charon is done (or
 * VPN_UPDOWN_MS), their log lines streamed before (control-log), which
 * say why when it fails.  Only edged's sites are shown; no secret is in
 * what charon lists.
 */
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "util.h"
#include "vpn_int.h"
#include "vpn_master.h"
#include "vpn_site.h"

#define VPN_SHOW_TIMEOUT	5.
#define VPN_UPDOWN_MS		"15000"	/* what ipsec up|down waits */

/* what list-sa said, one IKE SA at a time; the sites' names copied
 * (a reload may free the generation meanwhile) */
struct listing {
	char (*names)[VPN_NAME_MAX];
	size_t n;
	bool json;
	FILE *f;
	struct text t;
	bool *seen;			/* [n]: the site has an IKE SA */
	bool *ra;			/* [n]: a remote-access block */
	size_t nsas;
};

static const char *
val(const struct vpn_vici_node *sec, const char *name)
{
	const char *v = vpn_vici_value(sec, name);

	return v != NULL ? v : "";
}

/* JSON: "key":"value" of each key named, as charon wrote them */
static void
json_keys(FILE *f, const struct vpn_vici_node *sec,
    const char *const *keys)
{
	for (size_t i = 0; keys[i] != NULL; i++) {
		fprintf(f, "%s", i > 0 ? "," : "");
		text_json_string(f, keys[i]);
		fputc(':', f);
		text_json_string(f, val(sec, keys[i]));
	}
}

static void
json_ts(FILE *f, const char *name, const struct vpn_vici_node *l)
{
	fprintf(f, ",\"%s\":[", name);
	for (size_t i = 0; l != NULL && l->kind == VPN_VICI_LIST && i < l->n;
	    i++) {
		fprintf(f, "%s", i > 0 ? "," : "");
		text_json_string(f, l->v[i].value);
	}
	fputc(']', f);
}

static void
text_ts(FILE *f, const struct vpn_vici_node *l)
{
	for (size_t i = 0; l != NULL && l->kind == VPN_VICI_LIST && i < l->n;
	    i++)
		fprintf(f, "%s%s", i > 0 ? " " : "", l->v[i].value);
}

static const char *const ike_keys[] = { "uniqueid", "state", "local-host",
    "local-id", "remote-host", "remote-id", "encr-alg", "encr-keysize",
    "integ-alg", "prf-alg", "dh-group", "established", "rekey-time",
    NULL };
static const char *const child_keys[] = { "name", "uniqueid", "state",
    "protocol", "encap", "spi-in", "spi-out", "encr-alg", "encr-keysize",
    "integ-alg", "dh-group", "bytes-in", "packets-in", "bytes-out",
    "packets-out", "install-time", "rekey-time", "life-time", NULL };

static void
show_child(struct listing *l, const struct vpn_vici_node *c)
{
	FILE *f = l->f;

	if (l->json) {
		fputc('{', f);
		json_keys(f, c, child_keys);
		json_ts(f, "local-ts", vpn_vici_child(c, "local-ts"));
		json_ts(f, "remote-ts", vpn_vici_child(c, "remote-ts"));
		fputc('}', f);
		return;
	}
	fprintf(f, "  tunnel %s #%s %s: ", val(c, "name"), val(c, "uniqueid"),
	    val(c, "state"));
	text_ts(f, vpn_vici_child(c, "local-ts"));
	fputs(" === ", f);
	text_ts(f, vpn_vici_child(c, "remote-ts"));
	fprintf(f, "\n    %s%s, SPIs %s in %s out, %s-%s%s%s\n"
	    "    in %s bytes (%s packets), out %s bytes (%s packets), "
	    "installed %ss ago, rekeyed in %ss\n", val(c, "protocol"),
	    strcmp(val(c, "encap"), "yes") == 0 ? " in UDP" : "",
	    val(c, "spi-in"), val(c, "spi-out"), val(c, "encr-alg"),
	    val(c, "encr-keysize"), *val(c, "integ-alg") != '\0' ? "/" : "",
	    val(c, "integ-alg"), val(c, "bytes-in"), val(c, "packets-in"),
	    val(c, "bytes-out"), val(c, "packets-out"),
	    val(c, "install-time"), val(c, "rekey-time"));
}

/* a remote-access client's name: its EAP identity, else its IKE one
 * (a certificate's); NULL for a site's SA (no virtual address) */
static const char *
ra_user(const struct vpn_vici_node *ike)
{
	const struct vpn_vici_node *vips = vpn_vici_child(ike, "remote-vips");

	if (vips == NULL || vips->n == 0)
		return NULL;
	return vpn_vici_value(ike, "remote-eap-id") != NULL ?
	    vpn_vici_value(ike, "remote-eap-id") : val(ike, "remote-id");
}

static void
show_ike(struct listing *l, const struct vpn_vici_node *ike)
{
	const struct vpn_vici_node *cs = vpn_vici_child(ike, "child-sas");
	FILE *f = l->f;

	const char *user = ra_user(ike);

	if (l->json) {
		fprintf(f, "%s{\"site\":", l->nsas > 0 ? "," : "");
		text_json_string(f, ike->name);
		fputc(',', f);
		json_keys(f, ike, ike_keys);
		if (user != NULL) {
			fputs(",\"user\":", f);
			text_json_string(f, user);
			json_ts(f, "virtual-addresses", vpn_vici_child(ike,
			    "remote-vips"));
		}
		fputs(",\"tunnels\":[", f);
	} else {
		if (user != NULL) {
			fprintf(f, "%s: user %s, address ", ike->name, user);
			text_ts(f, vpn_vici_child(ike, "remote-vips"));
			fputc('\n', f);
		}
		fprintf(f, "%s: IKE SA #%s %s, %s[%s] - %s[%s]\n  IKE %s-%s/"
		    "%s/%s, established %ss ago, rekeyed in %ss\n", ike->name,
		    val(ike, "uniqueid"), val(ike, "state"),
		    val(ike, "local-host"), val(ike, "local-id"),
		    val(ike, "remote-host"), val(ike, "remote-id"),
		    val(ike, "encr-alg"), val(ike, "encr-keysize"),
		    val(ike, "prf-alg"), val(ike, "dh-group"),
		    val(ike, "established"), val(ike, "rekey-time"));
	}
	for (size_t i = 0; cs != NULL && cs->kind == VPN_VICI_SECTION &&
	    i < cs->n; i++) {
		if (l->json && i > 0)
			fputc(',', f);
		show_child(l, &cs->v[i]);
	}
	if (l->json)
		fputs("]}", f);
	l->nsas++;
}

static void
on_sa(struct vpn_call *call, const struct vpn_vici_msg *ev)
{
	struct listing *l = call->arg;

	if (ev->type != VPN_VICI_EVENT || strcmp(ev->name, "list-sa") != 0)
		return;
	for (size_t i = 0; i < ev->root.n; i++) {
		const struct vpn_vici_node *ike = &ev->root.v[i];

		for (size_t k = 0; k < l->n; k++)
			if (ike->kind == VPN_VICI_SECTION &&
			    strcmp(ike->name, l->names[k]) == 0) {
				l->seen[k] = true;
				show_ike(l, ike);
			}
	}
}

/* the sites without an IKE SA */
static void
show_down(struct listing *l)
{
	for (size_t k = 0; k < l->n; k++) {
		if (l->seen[k])
			continue;
		if (l->json) {
			fprintf(l->f, "%s{\"site\":", l->nsas++ > 0 ? "," :
			    "");
			text_json_string(l->f, l->names[k]);
			fputs(",\"state\":\"DOWN\",\"tunnels\":[]}", l->f);
		} else
			fprintf(l->f, "%s: %s\n", l->names[k], l->ra[k] ?
			    "no user connected" : "down (no IKE SA)");
	}
}

static void
listing_free(struct listing *l)
{
	free(l->names);
	free(l->seen);
	free(l->ra);
	free(l);
}

static void
show_done(struct vpn_call *call, const char *err)
{
	struct listing *l = call->arg;

	show_down(l);
	if (l->json) {
		fputs("],\"charon\":", l->f);
		text_json_string(l->f, err == NULL ? "up" : err);
		fputs("}\n", l->f);
	} else if (err != NULL)
		fprintf(l->f, "charon: %s\n", err);
	edged_reply_text(call->vm->host, call->c, true, &l->t);
	listing_free(l);
}

static struct listing *
listing_new(const struct vpn_gen *g, bool json)
{
	struct listing *l = calloc(1, sizeof(*l));

	if (l == NULL || (l->names = calloc(g->n, sizeof(*l->names))) ==
	    NULL || (l->seen = calloc(g->n, sizeof(*l->seen))) == NULL ||
	    (l->ra = calloc(g->n, sizeof(*l->ra))) == NULL ||
	    (l->f = text_open(&l->t)) == NULL) {
		if (l != NULL)
			listing_free(l);
		return NULL;
	}
	l->n = g->n;
	l->json = json;
	for (size_t i = 0; i < g->n; i++) {
		snprintf(l->names[i], VPN_NAME_MAX, "%s", g->v[i].site->name);
		l->ra[i] = g->v[i].site->ra;
	}
	if (json)
		fputs("{\"sites\":[", l->f);
	return l;
}

void
vpn_master_show(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	struct vpn_master *vm = ms;
	struct listing *l;
	struct vpn_call *call;

	(void)args;
	(void)n;
	if (vm->cur == NULL || vm->cur->n == 0) {
		edged_replyf(vm->host, c, true, json ? "{\"sites\":[],"
		    "\"charon\":null}\n" : "no ipsec site is configured\n");
		return;
	}
	if ((l = listing_new(vm->cur, json)) == NULL ||
	    (call = vpn_call_list_sas(vm, c, on_sa, show_done, l)) == NULL) {
		if (l != NULL) {
			free(text_close(&l->t, NULL));
			listing_free(l);
		}
		edged_replyf(vm->host, c, false, "out of memory");
		return;
	}
	vpn_call_start(call, vm->cur->conf->vici_socket, VPN_SHOW_TIMEOUT);
}

/* ---- ipsec up|down ---- */

/* what charon said while it tried: its last lines, its answer */
struct updown {
	char site[VPN_NAME_MAX];
	bool up;
	char log[6][256];		/* the last lines, in a ring */
	size_t nlog;
	bool ok;
	char errmsg[256];
};

static void
updown_msg(struct vpn_call *call, const struct vpn_vici_msg *m)
{
	struct updown *u = call->arg;
	const char *v;

	if (m->type == VPN_VICI_EVENT && strcmp(m->name, "control-log") ==
	    0 && (v = vpn_vici_value(&m->root, "msg")) != NULL) {
		snprintf(u->log[u->nlog % ARRAY_LEN(u->log)],
		    sizeof(u->log[0]), "%s", v);
		u->nlog++;
	} else if (m->type == VPN_VICI_CMD_RESPONSE) {
		v = vpn_vici_value(&m->root, "success");
		u->ok = v != NULL && strcmp(v, "yes") == 0;
		v = vpn_vici_value(&m->root, "errmsg");
		snprintf(u->errmsg, sizeof(u->errmsg), "%s", v != NULL ? v :
		    "");
	}
}

static void
updown_done(struct vpn_call *call, const char *err)
{
	struct updown *u = call->arg;
	const struct edged_host *h = call->vm->host;
	struct text t;
	FILE *f;
	size_t first = u->nlog > ARRAY_LEN(u->log) ?
	    u->nlog - ARRAY_LEN(u->log) : 0;

	if (err == NULL && u->ok) {
		edged_replyf(h, call->c, true, "ipsec %s: %s\n", u->site,
		    u->up ? "up" : "down");
	} else if ((f = text_open(&t)) == NULL) {
		edged_replyf(h, call->c, false, "out of memory");
	} else {
		fprintf(f, "ipsec %s: charon could not %s: %s", u->site,
		    u->up ? "bring it up" : "take it down", err != NULL ? err :
		    u->errmsg[0] != '\0' ? u->errmsg : "no reason given");
		if (u->nlog > 0)
			fputs("; charon says:", f);
		for (size_t i = first; i < u->nlog; i++)
			fprintf(f, "\n  %s", u->log[i % ARRAY_LEN(u->log)]);
		edged_reply_text(h, call->c, false, &t);
	}
	free(u);
}

/* initiate or terminate the site, waiting for charon's result (at most
 * VPN_UPDOWN_MS), its log lines on the way */
static void
up_down(struct vpn_master *vm, struct edged_ctl *c, const char *site,
    bool up)
{
	const char *ups[] = { "ike", site, "child", site, "timeout",
	    VPN_UPDOWN_MS, "loglevel", "1" };
	const char *downs[] = { "ike", site, "timeout", VPN_UPDOWN_MS,
	    "loglevel", "1" };
	struct vpn_call *call = calloc(1, sizeof(*call));
	struct updown *u = calloc(1, sizeof(*u));
	struct vpn_vici_out o;
	const char *why;
	size_t len;

	const struct vpn_gsite *gs = vpn_gen_site(vm->cur, site);

	if (gs == NULL || (up && gs->site->ra)) {
		edged_replyf(vm->host, c, false, gs == NULL ? "no ipsec site "
		    "%s" : "%s is a remote-access block: its users connect",
		    site);
		free(call);
		free(u);
		return;
	}
	if (call != NULL && u != NULL) {
		*call = (struct vpn_call){ .vm = vm, .c = c, .on_msg =
		    updown_msg, .done = updown_done, .arg = u, .fd = -1 };
		snprintf(u->site, sizeof(u->site), "%s", site);
		u->up = up;
		vpn_vici_begin(&o, VPN_VICI_EVENT_REGISTER, "control-log");
	}
	if (call == NULL || u == NULL || vpn_call_add(call,
	    vpn_vici_finish(&o, &len, &why), &len) < 0 ||
	    vpn_call_add(call, up ? vpn_site_request("initiate", ups, 8, &len,
	    &why) : vpn_site_request("terminate", downs, 6, &len, &why),
	    &len) < 0) {
		if (call != NULL)
			free(call->out);
		free(call);
		free(u);
		edged_replyf(vm->host, c, false, "out of memory");
		return;
	}
	vpn_call_start(call, vm->cur->conf->vici_socket,
	    atoi(VPN_UPDOWN_MS) / 1000. + 2);
}

void
vpn_master_up(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	(void)n;
	(void)json;
	up_down(ms, c, args[0], true);
}

void
vpn_master_down(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	(void)n;
	(void)json;
	up_down(ms, c, args[0], false);
}

/* ---- ipsec disconnect USER ---- */

#define VPN_DISC_MAX	64		/* sessions of one user */

struct disconnect {
	char user[VPN_USER_MAX];
	char ids[VPN_DISC_MAX][24];	/* their IKE SAs' unique ids */
	size_t n;
	bool ok;			/* terminate: charon's success */
	char errmsg[256];
};

static void
disc_sa(struct vpn_call *call, const struct vpn_vici_msg *m)
{
	struct disconnect *dc = call->arg;

	if (m->type != VPN_VICI_EVENT || strcmp(m->name, "list-sa") != 0)
		return;
	for (size_t i = 0; i < m->root.n; i++) {
		const struct vpn_vici_node *ike = &m->root.v[i];
		const struct vpn_gsite *gs = vpn_gen_site(call->vm->cur,
		    ike->name);
		const char *user = ra_user(ike);

		if (gs != NULL && gs->site->ra && user != NULL &&
		    strcmp(user, dc->user) == 0 && dc->n < VPN_DISC_MAX)
			snprintf(dc->ids[dc->n++], sizeof(dc->ids[0]), "%s",
			    val(ike, "uniqueid"));
	}
}

static void
disc_answer(struct vpn_call *call, const struct vpn_vici_msg *m)
{
	struct disconnect *dc = call->arg;
	const char *v;

	if (m->type != VPN_VICI_CMD_RESPONSE)
		return;
	v = vpn_vici_value(&m->root, "success");
	if (v == NULL || strcmp(v, "yes") != 0) {
		dc->ok = false;
		v = vpn_vici_value(&m->root, "errmsg");
		snprintf(dc->errmsg, sizeof(dc->errmsg), "%s", v != NULL ? v :
		    "refused");
	}
}

static void
disc_done(struct vpn_call *call, const char *err)
{
	struct disconnect *dc = call->arg;

	if (err == NULL && dc->ok)
		edged_replyf(call->vm->host, call->c, true, "%s disconnected "
		    "(%zu session%s)\n", dc->user, dc->n, dc->n == 1 ? "" :
		    "s");
	else
		edged_replyf(call->vm->host, call->c, false, "%s: charon "
		    "could not disconnect every session: %s", dc->user,
		    err != NULL ? err : dc->errmsg);
	free(dc);
}

/* the user's sessions listed: each terminated */
static void
disc_listed(struct vpn_call *call, const char *err)
{
	struct disconnect *dc = call->arg;
	struct vpn_call *next;
	const char *kv[4] = { "ike-id", NULL, "timeout", VPN_UPDOWN_MS };
	const char *why;
	size_t len;

	if (err != NULL || dc->n == 0) {
		edged_replyf(call->vm->host, call->c, false, err != NULL ?
		    "%s: %s" : "%s is not connected", dc->user, err);
		free(dc);
		return;
	}
	if ((next = calloc(1, sizeof(*next))) == NULL)
		goto oom;
	*next = (struct vpn_call){ .vm = call->vm, .c = call->c, .on_msg =
	    disc_answer, .done = disc_done, .arg = dc, .fd = -1 };
	dc->ok = true;
	for (size_t i = 0; i < dc->n; i++) {
		kv[1] = dc->ids[i];
		if (vpn_call_add(next, vpn_site_request("terminate", kv, 4,
		    &len, &why), &len) < 0) {
			free(next->out);
			free(next);
			goto oom;
		}
	}
	vpn_call_start(next, call->vm->cur->conf->vici_socket,
	    atoi(VPN_UPDOWN_MS) / 1000. + 2);
	return;
oom:
	edged_replyf(call->vm->host, call->c, false, "out of memory");
	free(dc);
}

void
vpn_master_disconnect(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	struct vpn_master *vm = ms;
	struct disconnect *dc = calloc(1, sizeof(*dc));
	struct vpn_call *call;

	(void)n;
	(void)json;
	if (dc == NULL || (call = vpn_call_list_sas(vm, c, disc_sa,
	    disc_listed, dc)) == NULL) {
		free(dc);
		edged_replyf(vm->host, c, false, "out of memory");
		return;
	}
	snprintf(dc->user, sizeof(dc->user), "%s", args[0]);
	if (vm->cur == NULL) {
		free(call->out);
		free(call);
		free(dc);
		edged_replyf(vm->host, c, false, "no remote-access block is "
		    "configured");
		return;
	}
	vpn_call_start(call, vm->cur->conf->vici_socket, VPN_SHOW_TIMEOUT);
}
