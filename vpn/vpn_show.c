/*
 * vpn/vpn_show.c - edgectl show ipsec, ipsec up|down SITE: charon asked
 * on a VICI session of the command's own (list-sas streams one list-sa
 * event per IKE SA before its answer; initiate and terminate return at
 * once, charon carrying on).  Blocking, within VPN_SHOW_TIMEOUT: charon
 * answers these from memory.  Only edged's sites are shown; no secret
 * is in what charon lists.
 */
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "vpn_client.h"
#include "vpn_int.h"
#include "vpn_master.h"
#include "vpn_site.h"

#define VPN_SHOW_TIMEOUT	5.

/* what list-sa said, one IKE SA at a time */
struct listing {
	const struct vpn_gen *g;
	bool json;
	FILE *f;
	bool *seen;			/* [g->n]: the site has an IKE SA */
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

static void
show_ike(struct listing *l, const struct vpn_vici_node *ike)
{
	const struct vpn_vici_node *cs = vpn_vici_child(ike, "child-sas");
	FILE *f = l->f;

	if (l->json) {
		fprintf(f, "%s{\"site\":", l->nsas > 0 ? "," : "");
		text_json_string(f, ike->name);
		fputc(',', f);
		json_keys(f, ike, ike_keys);
		fputs(",\"tunnels\":[", f);
	} else
		fprintf(f, "%s: IKE SA #%s %s, %s[%s] - %s[%s]\n  IKE %s-%s/"
		    "%s/%s, established %ss ago, rekeyed in %ss\n", ike->name,
		    val(ike, "uniqueid"), val(ike, "state"),
		    val(ike, "local-host"), val(ike, "local-id"),
		    val(ike, "remote-host"), val(ike, "remote-id"),
		    val(ike, "encr-alg"), val(ike, "encr-keysize"),
		    val(ike, "prf-alg"), val(ike, "dh-group"),
		    val(ike, "established"), val(ike, "rekey-time"));
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
on_sa(void *arg, const struct vpn_vici_msg *ev)
{
	struct listing *l = arg;

	if (strcmp(ev->name, "list-sa") != 0)
		return;
	for (size_t i = 0; i < ev->root.n; i++) {
		const struct vpn_vici_node *ike = &ev->root.v[i];

		for (size_t k = 0; k < l->g->n; k++)
			if (ike->kind == VPN_VICI_SECTION && strcmp(ike->name,
			    l->g->v[k].site->name) == 0) {
				l->seen[k] = true;
				show_ike(l, ike);
			}
	}
}

/* registered for list-sa, then list-sas: 0, or -1 with err */
static int
list_sas(struct vpn_client *cl, struct listing *l, char *err,
    size_t errsize)
{
	static const char *const kv[] = { "noblock", "yes" };
	struct vpn_vici_out o;
	struct vpn_vici_msg m;
	const char *why;
	uint8_t *req;
	size_t len;
	int rc;

	vpn_vici_begin(&o, VPN_VICI_EVENT_REGISTER, "list-sa");
	if ((req = vpn_vici_finish(&o, &len, &why)) == NULL)
		return -1;
	rc = vpn_client_call(cl, req, len, NULL, NULL, &m, err, errsize);
	free(req);
	if (rc < 0)
		return -1;
	vpn_vici_msg_free(&m);
	if ((req = vpn_site_request("list-sas", kv, 2, &len, &why)) == NULL)
		return -1;
	rc = vpn_client_call(cl, req, len, on_sa, l, &m, err, errsize);
	free(req);
	if (rc == 0)
		vpn_vici_msg_free(&m);
	return rc;
}

/* the sites without an IKE SA */
static void
show_down(struct listing *l)
{
	for (size_t k = 0; k < l->g->n; k++) {
		if (l->seen[k])
			continue;
		if (l->json) {
			fprintf(l->f, "%s{\"site\":", l->nsas++ > 0 ? "," :
			    "");
			text_json_string(l->f, l->g->v[k].site->name);
			fputs(",\"state\":\"DOWN\",\"tunnels\":[]}", l->f);
		} else
			fprintf(l->f, "%s: down (no IKE SA)\n",
			    l->g->v[k].site->name);
	}
}

void
vpn_master_show(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	struct vpn_master *vm = ms;
	struct listing l = { .g = vm->cur, .json = json };
	struct vpn_client cl;
	struct text t;
	char err[512] = "";
	int rc = -1;

	(void)args;
	(void)n;
	if (vm->cur == NULL || vm->cur->n == 0) {
		edged_replyf(vm->host, c, true, json ? "{\"charon\":null,"
		    "\"sites\":[]}\n" : "no ipsec site is configured\n");
		return;
	}
	if ((l.seen = calloc(vm->cur->n, sizeof(*l.seen))) == NULL ||
	    (l.f = text_open(&t)) == NULL) {
		free(l.seen);
		edged_replyf(vm->host, c, false, "out of memory");
		return;
	}
	if (json)
		fputs("{\"sites\":[", l.f);
	if (vpn_client_open(&cl, vm->cur->conf->vici_socket,
	    VPN_SHOW_TIMEOUT, err, sizeof(err)) == 0) {
		rc = list_sas(&cl, &l, err, sizeof(err));
		vpn_client_close(&cl);
	}
	show_down(&l);
	if (json) {
		fputs("],\"charon\":", l.f);
		text_json_string(l.f, rc == 0 ? "up" : err);
		fputs("}\n", l.f);
	} else if (rc < 0)
		fprintf(l.f, "charon: %s\n", err);
	free(l.seen);
	edged_reply_text(vm->host, c, true, &t);
}

/* initiate or terminate site (args[0]), returning at once */
static void
up_down(struct vpn_master *vm, struct edged_ctl *c, const char *site,
    bool up)
{
	const char *ups[] = { "ike", site, "child", site, "timeout", "-1" };
	const char *downs[] = { "ike", site, "timeout", "-1" };
	struct vpn_client cl;
	char err[512];
	const char *why;
	uint8_t *req;
	size_t len;
	int rc = -1;

	if (vpn_gen_site(vm->cur, site) == NULL) {
		edged_replyf(vm->host, c, false, "no ipsec site %s", site);
		return;
	}
	/* terminate takes one of ike and child: the IKE SA, children and
	 * all */
	if ((req = up ? vpn_site_request("initiate", ups, 6, &len, &why) :
	    vpn_site_request("terminate", downs, 4, &len, &why)) == NULL) {
		edged_replyf(vm->host, c, false, "%s", why);
		return;
	}
	if (vpn_client_open(&cl, vm->cur->conf->vici_socket,
	    VPN_SHOW_TIMEOUT, err, sizeof(err)) == 0) {
		rc = vpn_client_command(&cl, req, len, err, sizeof(err));
		vpn_client_close(&cl);
	}
	free(req);
	if (rc == 0)
		edged_replyf(vm->host, c, true, "ipsec %s: charon %s\n", site,
		    up ? "brings it up" : "takes it down");
	else
		edged_replyf(vm->host, c, false, "ipsec %s: %s", site, err);
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
