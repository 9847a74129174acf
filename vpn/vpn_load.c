/*
 * vpn/vpn_load.c - a generation's sites into charon (vpn_int.h), over
 * the commit's blocking VICI session: each changed site's messages in
 * order (key, chain, pool, keys or users, connection), then what its
 * previous version had that it has not (a user gone) taken away; the
 * sites gone taken away, last message first.  A refusal puts back what
 * the commit had changed.  At start (or when charon comes back), the
 * sites an earlier edged left (edged's key ids and pool names: "edged-"
 * and the site's name) are taken away.  The RADIUS servers go in first
 * (vpn_radius.c), and are put back as well after a refusal.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "vpn_client.h"
#include "vpn_int.h"
#include "vpn_site.h"

/* ---- the ids charon gives keys, by the message that loaded them ---- */

/* FNV-1a: which key a load-key message holds */
static uint64_t
key_hash(const struct vpn_msg *m)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < m->len; i++)
		h = (h ^ m->b[i]) * 1099511628211ULL;
	return h;
}

static struct vpn_keyid *
keyid(struct vpn_master *vm, const struct vpn_msg *m)
{
	uint64_t h = key_hash(m);

	for (size_t i = 0; i < vm->nkeys; i++)
		if (vm->keys[i].hash == h)
			return &vm->keys[i];
	return NULL;
}

static void
keyid_set(struct vpn_master *vm, const struct vpn_msg *m, const char *id)
{
	struct vpn_keyid *k = keyid(vm, m);

	if (k == NULL && mem_grow(&vm->keys, &vm->keycap, vm->nkeys + 1,
	    sizeof(*vm->keys)) == 0)
		k = &vm->keys[vm->nkeys++];
	if (k == NULL)
		return;		/* the key stays in charon when the site goes */
	k->hash = key_hash(m);
	snprintf(k->id, sizeof(k->id), "%s", id);
}

static void
keyid_del(struct vpn_master *vm, const struct vpn_msg *m)
{
	struct vpn_keyid *k = keyid(vm, m);

	if (k != NULL)
		*k = vm->keys[--vm->nkeys];
}

/* ---- one message ---- */

/* load-key, whose answer has the key's id: 0, 1 refused, -1 */
static int
load_key(struct vpn_master *vm, struct vpn_client *cl,
    const struct vpn_msg *m, char *err, size_t errsize)
{
	struct vpn_vici_msg a;
	const char *ok, *id;
	int rc = -1;

	if (vpn_client_call(cl, m->b, m->len, NULL, NULL, &a, err,
	    errsize) < 0)
		return -1;
	ok = vpn_vici_value(&a.root, "success");
	id = vpn_vici_value(&a.root, "id");
	if (a.type != VPN_VICI_CMD_RESPONSE)
		snprintf(err, errsize, "charon answers %s to load-key",
		    vpn_vici_type_name(a.type));
	else if (ok == NULL || strcmp(ok, "yes") != 0) {
		snprintf(err, errsize, "the certificate's key: %s",
		    vpn_vici_value(&a.root, "errmsg") != NULL ?
		    vpn_vici_value(&a.root, "errmsg") : "refused");
		rc = 1;
	} else {
		keyid_set(vm, m, id != NULL ? id : "");
		rc = 0;
	}
	vpn_vici_msg_free(&a);
	return rc;
}

static int
load_site(struct vpn_master *vm, struct vpn_client *cl,
    const struct vpn_gsite *gs, char *err, size_t errsize)
{
	int rc = 0;

	for (size_t i = 0; i < gs->n && rc == 0; i++)
		rc = gs->m[i].kind == VPN_M_KEY ? load_key(vm, cl, &gs->m[i],
		    err, errsize) :
		    vpn_client_command(cl, gs->m[i].b, gs->m[i].len, err,
		    errsize);
	return rc;
}

/* whether gs has m (the same key, or the same kind and id) */
static bool
has_msg(const struct vpn_gsite *gs, const struct vpn_msg *m)
{
	for (size_t i = 0; gs != NULL && i < gs->n; i++)
		if (gs->m[i].kind == m->kind && (m->kind == VPN_M_KEY ?
		    gs->m[i].len == m->len && memcmp(gs->m[i].b, m->b,
		    m->len) == 0 : strcmp(gs->m[i].id, m->id) == 0))
			return true;
	return false;
}

/* whether a site of keep other than site has key m */
static bool
key_kept(const struct vpn_gen *keep, const char *site,
    const struct vpn_msg *m)
{
	for (size_t i = 0; keep != NULL && i < keep->n; i++)
		if (strcmp(keep->v[i].site->name, site) != 0 &&
		    has_msg(&keep->v[i], m))
			return true;
	return false;
}

/* m out of charon (what charon has not is said, not an error) */
static void
unload_msg(struct vpn_master *vm, struct vpn_client *cl, const char *site,
    const struct vpn_msg *m, const struct vpn_gen *keep)
{
	static const char *const cmds[] = { "unload-key", NULL,
	    "unload-pool", "unload-shared", "unload-conn" };
	static const char *const keys[] = { "id", NULL, "name", "id",
	    "name" };
	const struct vpn_keyid *k = m->kind == VPN_M_KEY ? keyid(vm, m) :
	    NULL;
	const char *kv[2] = { keys[m->kind], m->id }, *why;
	char err[256];
	size_t len;
	uint8_t *req;

	if (m->kind == VPN_M_CERT || (m->kind == VPN_M_KEY && (k == NULL ||
	    key_kept(keep, site, m))))
		return;
	if (m->kind == VPN_M_KEY)
		kv[1] = k->id;
	if ((req = vpn_site_request(cmds[m->kind], kv, 2, &len, &why)) ==
	    NULL)
		return;
	if (vpn_client_command(cl, req, len, err, sizeof(err)) == 1)
		log_info("vpn: %s %s: charon had it not (%s)", cmds[m->kind],
		    kv[1], err);
	if (m->kind == VPN_M_KEY)
		keyid_del(vm, m);
	free(req);
}

/* what gs has and to has not, out of charon, last first */
static void
unload_missing(struct vpn_master *vm, struct vpn_client *cl,
    const struct vpn_gsite *gs, const struct vpn_gsite *to,
    const struct vpn_gen *keep)
{
	for (size_t i = gs->n; i-- > 0;)
		if (!has_msg(to, &gs->m[i]))
			unload_msg(vm, cl, gs->site->name, &gs->m[i], keep);
}

/* the sites a failed commit had changed (g's first n) put back as they
 * were in from */
static void
put_back(struct vpn_master *vm, struct vpn_client *cl,
    const struct vpn_gen *g, size_t n, const struct vpn_gen *from)
{
	char err[256];

	for (size_t i = 0; i < n; i++) {
		const struct vpn_gsite *old = vpn_gen_site(from,
		    g->v[i].site->name);

		if (old != NULL && vpn_gsite_same(old, &g->v[i]))
			continue;	/* not sent */
		unload_missing(vm, cl, &g->v[i], old, from);
		if (old != NULL && load_site(vm, cl, old, err,
		    sizeof(err)) != 0)
			log_err("vpn: %s could not be put back as it was: %s",
			    g->v[i].site->name, err);
	}
}

/* ---- what an earlier edged left ---- */

/* name (up to ':') is a site of g's */
static bool
in_gen(const struct vpn_gen *g, const char *name)
{
	char site[VPN_NAME_MAX];

	snprintf(site, sizeof(site), "%.*s", (int)strcspn(name, ":"), name);
	return vpn_gen_site(g, site) != NULL;
}

/* the ids get-shared (keys) or get-pools lists with edged's prefix, of
 * sites g has not: their conns, pools and keys taken away */
static void
sweep_list(struct vpn_client *cl, const struct vpn_gen *g, bool pools)
{
	const size_t plen = strlen(VPN_KEY_PREFIX);
	struct vpn_vici_msg m;
	const struct vpn_vici_node *l;
	const char *why, *kv[2];
	char err[256], site[VPN_NAME_MAX];
	size_t len;
	uint8_t *req = vpn_site_request(pools ? "get-pools" : "get-shared",
	    NULL, 0, &len, &why);

	if (req == NULL || vpn_client_call(cl, req, len, NULL, NULL, &m, err,
	    sizeof(err)) < 0) {
		free(req);
		return;
	}
	free(req);
	l = pools ? &m.root : vpn_vici_child(&m.root, "keys");
	for (size_t i = 0; l != NULL && i < l->n; i++) {
		const char *id = pools ? l->v[i].name : l->v[i].value;

		if (id == NULL || strncmp(id, VPN_KEY_PREFIX, plen) != 0 ||
		    in_gen(g, id + plen))
			continue;
		snprintf(site, sizeof(site), "%.*s", (int)strcspn(id + plen,
		    ":"), id + plen);
		kv[0] = "name";
		kv[1] = site;
		if ((req = vpn_site_request("unload-conn", kv, 2, &len,
		    &why)) != NULL && vpn_client_command(cl, req, len, err,
		    sizeof(err)) == 0)
			log_info("vpn: %s, which an earlier edged loaded, "
			    "taken away from charon", site);
		free(req);
		kv[0] = pools ? "name" : "id";
		kv[1] = id;
		if ((req = vpn_site_request(pools ? "unload-pool" :
		    "unload-shared", kv, 2, &len, &why)) != NULL)
			(void)vpn_client_command(cl, req, len, err,
			    sizeof(err));
		free(req);
	}
	vpn_vici_msg_free(&m);
}

/* ---- a generation ---- */

/* the session with charon opened, and the RADIUS settings given first:
 * written even when charon is not there (it reads them when it starts).
 * 0; 1 charon is not there; -1 refused (the settings put back); err */
static int
open_session(struct vpn_master *vm, struct vpn_client *cl,
    const struct vpn_gen *g, bool first, struct vpn_radius_was *was,
    char *err, size_t errsize)
{
	char why[256];
	bool up = vpn_client_open(cl, g->conf->vici_socket, VPN_TIMEOUT, why,
	    sizeof(why)) == 0;
	int rc = vpn_radius_apply(up ? cl : NULL, g, vm->cur, first, was,
	    err, errsize);

	if (rc == 0 && up)
		return 0;
	if (rc == 0) {
		snprintf(err, errsize, "%s", why);
		rc = 1;
	}
	if (rc < 0)
		vpn_radius_put_back(up ? cl : NULL, was);
	vpn_radius_was_free(was);
	if (up)
		vpn_client_close(cl);
	return rc;
}

int
vpn_apply(struct vpn_master *vm, const struct vpn_gen *g,
    const struct vpn_gen *from, char *err, size_t errsize)
{
	struct vpn_client cl;
	struct vpn_radius_was was;
	const struct vpn_gsite *old = NULL;
	char why[256];
	size_t i;
	int rc = open_session(vm, &cl, g, from == NULL, &was, err,
	    errsize);

	if (rc != 0)
		return rc;
	for (i = 0; i < g->n && rc == 0; i++) {
		old = vpn_gen_site(from, g->v[i].site->name);
		if (old != NULL && vpn_gsite_same(old, &g->v[i]))
			continue;
		if ((rc = load_site(vm, &cl, &g->v[i], why, sizeof(why))) ==
		    0 && old != NULL)
			unload_missing(vm, &cl, old, &g->v[i], g);
	}
	if (rc != 0) {
		const struct vpn_site *s = g->v[i - 1].site;

		snprintf(err, errsize, "%s:%u: %s %s: %s%s", s->pos.file,
		    s->pos.line, s->ra ? "remote-access" : "ipsec", s->name,
		    rc == 1 ? "charon refuses it: " : "", why);
		if (rc == 1) {
			put_back(vm, &cl, g, i, from);
			vpn_radius_put_back(&cl, &was);
		}
		vpn_radius_was_free(&was);
		vpn_client_close(&cl);
		return rc == 1 ? -1 : 1;
	}
	for (i = 0; from != NULL && i < from->n; i++) {
		if (vpn_gen_site(g, from->v[i].site->name) != NULL)
			continue;
		unload_missing(vm, &cl, &from->v[i], NULL, g);
		log_info("vpn: %s %s taken away from charon",
		    from->v[i].site->ra ? "remote-access" : "ipsec",
		    from->v[i].site->name);
	}
	if (from == NULL) {
		sweep_list(&cl, g, false);
		sweep_list(&cl, g, true);
	}
	vpn_radius_was_free(&was);
	vpn_client_close(&cl);
	return 0;
}
