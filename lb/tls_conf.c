/*
 * lb/tls_conf.c - the TLS directives of application profiles and pools.
 *
 *   application-profile web-https {
 *       type https
 *       certificates www wildcard-api   # chosen by SNI; first = default
 *       tls {
 *           min-version 1.2
 *           ciphers "ECDHE+AESGCM:ECDHE+CHACHA20"
 *           ciphersuites "TLS_AES_128_GCM_SHA256"
 *           alpn http/1.1
 *           client-ca /etc/edged/tls/clients-ca.crt
 *           client-verify required      # none | optional | required
 *       }
 *   }
 *   application-profile tls-pass {
 *       type ssl-passthrough
 *       sni app.example.com pool app-tls
 *       sni *.api.example.com pool api-tls
 *       default-pool web-tls            # else the virtual server's
 *   }
 *   pool secure-backends {
 *       tls {
 *           verify required             # none | required
 *           ca /etc/edged/tls/backend-ca.crt
 *           sni backend.internal
 *       }
 *   }
 *
 * What belongs to which profile type is checked once the whole block is
 * read (the type may come last); cipher lists are checked by OpenSSL
 * when the contexts are built (tls_ctx.c), in the master's prepare step.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lb.h"
#include "util.h"

static const char *const versions[] = { "1.0", "1.1", "1.2", "1.3", NULL };

const char *
lb_tls_version_name(unsigned v)
{
	return v >= 0x0301 && v <= 0x0304 ? versions[v - 0x0301] : "?";
}

static int
get_path(struct conf_diag *d, const struct conf_node *n, char *out,
    size_t size, struct conf_pos *pos)
{
	return lb_conf_get_word(d, n, "a file path", out, size, pos);
}

/* A DNS name as SNI carries it, lower-cased into out; with wildcard, a
 * leading "*." is allowed. */
static int
get_host(struct conf_diag *d, const struct conf_node *n, size_t i,
    bool wildcard, char *out, size_t size)
{
	const char *w = n->args[i], *p = w;
	size_t len = strlen(w), label = 0;

	if (wildcard && strncmp(w, "*.", 2) == 0)
		p += 2;
	for (; *p != '\0'; p++) {
		if (*p == '.' && label > 0 && p[1] != '\0') {
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			break;
		if (++label > 63)
			break;
	}
	if (*p != '\0' || len == 0 || len >= size || label == 0) {
		conf_error(d, &n->argpos[i], "'%s' expects a host name%s, got "
		    "'%s'", n->args[0], wildcard ? " (or *.DOMAIN)" : "", w);
		return -1;
	}
	for (size_t k = 0; k <= len; k++)
		out[k] = (char)tolower((unsigned char)w[k]);
	return 0;
}

/* ---- application-profile ---- */

int
lb_profile_certificates(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct lb_profile_conf *p = obj;

	p->certs_pos = n->pos;
	for (size_t i = 1; i < n->nargs; i++) {
		struct lb_cert_ref r = { .pos = n->argpos[i] }, *slot;

		if (conf_get_name(d, n, i, r.name, sizeof(r.name)) < 0)
			return -1;
		for (size_t k = 0; k < p->ncerts; k++)
			if (strcmp(p->certs[k].name, r.name) == 0) {
				conf_error(d, &n->argpos[i], "certificate %s "
				    "is listed twice", r.name);
				return -1;
			}
		if ((slot = conf_push(&p->certs, &p->ncerts,
		    sizeof(r))) == NULL)
			return conf_oom(d, &n->argpos[i]);
		*slot = r;
	}
	return 0;
}

static int
set_min_version(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_tls_server_conf *t = obj;
	unsigned v;

	if (conf_get_keyword(d, n, 1, versions, &v) < 0)
		return -1;
	t->min_version = 0x0301 + v;
	return 0;
}

static int
set_ciphers(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_tls_server_conf *t = obj;

	return lb_conf_get_word(d, n, "a list", t->ciphers, sizeof(t->ciphers),
	    &t->ciphers_pos);
}

/* OpenSSL skips a TLS 1.3 suite it does not know without a word: each
 * name is checked here (RFC 8446's, as OpenSSL 3 spells them). */
static int
check_suites(struct conf_diag *d, const struct conf_node *n, const char *list)
{
	static const char *const known[] = { "TLS_AES_128_GCM_SHA256",
	    "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
	    "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256" };
	char name[128], hint[160];

	for (const char *p = list; *p != '\0'; p += *p == ':') {
		size_t len = strcspn(p, ":"), k;

		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		p += len;
		for (k = 0; k < ARRAY_LEN(known); k++)
			if (strcmp(name, known[k]) == 0)
				break;
		if (k < ARRAY_LEN(known))
			continue;
		conf_error(d, &n->argpos[1], "unknown TLS 1.3 ciphersuite "
		    "'%s'%s", name, conf_hint(name, known, ARRAY_LEN(known),
		    hint, sizeof(hint)));
		return -1;
	}
	return 0;
}

static int
set_ciphersuites(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_tls_server_conf *t = obj;

	if (lb_conf_get_word(d, n, "a list", t->ciphersuites, sizeof(t->ciphersuites),
	    &t->ciphersuites_pos) < 0)
		return -1;
	return check_suites(d, n, t->ciphersuites);
}

/* alpn PROTO... : offered in this order of preference */
static int
set_alpn(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_tls_server_conf *t = obj;
	size_t used = 0;

	for (size_t i = 1; i < n->nargs; i++) {
		size_t len = strlen(n->args[i]);

		if (len == 0 || len > 255 || used + len + 2 > sizeof(t->alpn) ||
		    strpbrk(n->args[i], " \t\r\n") != NULL) {
			conf_error(d, &n->argpos[i], "'alpn' expects protocol "
			    "names of 1 to 255 bytes without spaces, %zu "
			    "bytes in all", sizeof(t->alpn) - 1);
			return -1;
		}
		if (used > 0)
			t->alpn[used++] = ' ';
		memcpy(t->alpn + used, n->args[i], len + 1);
		used += len;
	}
	return 0;
}

static int
set_client_ca(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_tls_server_conf *t = obj;

	return get_path(d, n, t->client_ca, sizeof(t->client_ca),
	    &t->client_ca_pos);
}

static int
set_client_verify(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const modes[] = { "none", "optional", "required",
	    NULL };
	struct lb_tls_server_conf *t = obj;
	unsigned v;

	if (conf_get_keyword(d, n, 1, modes, &v) < 0)
		return -1;
	t->client_verify = v;
	t->client_verify_set = true;
	t->client_verify_pos = n->argpos[1];
	return 0;
}

static const struct conf_directive server_tls_rows[] = {
	{ "min-version", 1, 1, CONF_NO_BLOCK, set_min_version,
	    "min-version 1.0|1.1|1.2|1.3" },
	{ "ciphers", 1, 1, CONF_NO_BLOCK, set_ciphers, "ciphers LIST" },
	{ "ciphersuites", 1, 1, CONF_NO_BLOCK, set_ciphersuites,
	    "ciphersuites LIST" },
	{ "alpn", 1, CONF_ARGS_ANY, CONF_NO_BLOCK, set_alpn, "alpn PROTO..." },
	{ "client-ca", 1, 1, CONF_NO_BLOCK, set_client_ca, "client-ca FILE" },
	{ "client-verify", 1, 1, CONF_NO_BLOCK, set_client_verify,
	    "client-verify none|optional|required" },
};

int
lb_profile_tls(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_profile_conf *p = obj;
	char ctx[LB_NAME_MAX + 32];

	if (p->tls_pos.file != NULL) {
		conf_error(d, &n->pos, "application-profile %s has two 'tls' "
		    "blocks (the first at %s:%u:%u)", p->name,
		    p->tls_pos.file, p->tls_pos.line, p->tls_pos.col);
		return -1;
	}
	p->tls_pos = n->pos;
	snprintf(ctx, sizeof(ctx), "application-profile %s tls", p->name);
	return conf_apply(d, n, ctx, server_tls_rows,
	    ARRAY_LEN(server_tls_rows), &p->tls) ? -1 : 0;
}

/* sni NAME pool POOL */
int
lb_profile_sni(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_profile_conf *p = obj;
	struct lb_sni_route r = { .pos = n->argpos[1],
	    .pool_pos = n->argpos[3] }, *slot;

	if (strcmp(n->args[2], "pool") != 0) {
		conf_error(d, &n->argpos[2], "expected 'pool' after the name; "
		    "usage: sni NAME pool POOL");
		return -1;
	}
	if (get_host(d, n, 1, true, r.name, sizeof(r.name)) < 0 ||
	    conf_get_name(d, n, 3, r.pool, sizeof(r.pool)) < 0)
		return -1;
	for (size_t i = 0; i < p->nroutes; i++)
		if (strcmp(p->routes[i].name, r.name) == 0) {
			conf_error(d, &n->argpos[1], "sni %s is already routed "
			    "at %s:%u:%u", r.name, p->routes[i].pos.file,
			    p->routes[i].pos.line, p->routes[i].pos.col);
			return -1;
		}
	if ((slot = conf_push(&p->routes, &p->nroutes, sizeof(r))) == NULL)
		return conf_oom(d, &n->pos);
	*slot = r;
	return 0;
}

int
lb_profile_default_pool(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct lb_profile_conf *p = obj;

	p->default_pool_pos = n->argpos[1];
	return conf_get_name(d, n, 1, p->default_pool,
	    sizeof(p->default_pool));
}

/* ---- pool ---- */

static int
set_verify(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const modes[] = { "none", "required", NULL };
	struct lb_tls_client_conf *t = obj;
	unsigned v;

	if (conf_get_keyword(d, n, 1, modes, &v) < 0)
		return -1;
	t->verify = v == 1;
	return 0;
}

static int
set_ca(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_tls_client_conf *t = obj;

	return get_path(d, n, t->ca, sizeof(t->ca), &t->ca_pos);
}

static int
set_sni(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_tls_client_conf *t = obj;

	return get_host(d, n, 1, false, t->sni, sizeof(t->sni));
}

static const struct conf_directive client_tls_rows[] = {
	{ "verify", 1, 1, CONF_NO_BLOCK, set_verify, "verify none|required" },
	{ "ca", 1, 1, CONF_NO_BLOCK, set_ca, "ca FILE" },
	{ "sni", 1, 1, CONF_NO_BLOCK, set_sni, "sni NAME" },
};

int
lb_pool_tls(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_pool_conf *p = obj;
	char ctx[LB_NAME_MAX + 16];

	if (p->tls.enabled) {
		conf_error(d, &n->pos, "pool %s has two 'tls' blocks (the "
		    "first at %s:%u:%u)", p->name, p->tls.pos.file,
		    p->tls.pos.line, p->tls.pos.col);
		return -1;
	}
	p->tls.enabled = true;
	p->tls.verify = true;		/* secure unless told otherwise */
	p->tls.pos = n->pos;
	snprintf(ctx, sizeof(ctx), "pool %s tls", p->name);
	return conf_apply(d, n, ctx, client_tls_rows,
	    ARRAY_LEN(client_tls_rows), &p->tls) ? -1 : 0;
}

/* ---- checks ---- */

static void
misplaced(struct conf_diag *d, const struct lb_profile_conf *p,
    const struct conf_pos *pos, const char *what, const char *needs)
{
	conf_error(d, pos, "application-profile %s: '%s' applies to type %s, "
	    "and this one is %s", p->name, what, needs,
	    lb_profile_type_name(p->type));
}

/* Directives of another type than p's. */
static unsigned
check_type(const struct lb_profile_conf *p, struct conf_diag *d)
{
	unsigned before = d->nerrors;

	if (p->type != LB_PROFILE_HTTPS && p->ncerts > 0)
		misplaced(d, p, &p->certs[0].pos, "certificates", "https");
	if (p->type != LB_PROFILE_HTTPS && p->tls_pos.file != NULL)
		misplaced(d, p, &p->tls_pos, "tls", "https");
	if (p->type != LB_PROFILE_PASSTHROUGH && p->nroutes > 0)
		misplaced(d, p, &p->routes[0].pos, "sni", "ssl-passthrough");
	if (p->type != LB_PROFILE_PASSTHROUGH && p->default_pool[0] != '\0')
		misplaced(d, p, &p->default_pool_pos, "default-pool",
		    "ssl-passthrough");
	if (p->type != LB_PROFILE_UDP && p->udp_responses > 0)
		misplaced(d, p, &p->udp_responses_pos, "udp-responses", "udp");
	if (p->type != LB_PROFILE_KERNEL && p->protocol_pos.file != NULL)
		misplaced(d, p, &p->protocol_pos, "protocol", "l4-kernel");
	if (p->type != LB_PROFILE_KERNEL && p->member_down_pos.file != NULL)
		misplaced(d, p, &p->member_down_pos, "on-member-down",
		    "l4-kernel");
	if (lb_profile_l4(p->type) && p->xff_insert)
		conf_error(d, &p->pos, "application-profile %s: "
		    "x-forwarded-for needs HTTP, and %s", p->name,
		    p->type == LB_PROFILE_PASSTHROUGH ? "ssl-passthrough never "
		    "decrypts" : p->type == LB_PROFILE_TCP ? "a tcp profile "
		    "passes bytes unread" : p->type == LB_PROFILE_UDP ?
		    "a udp profile passes datagrams unread" : "an l4-kernel "
		    "profile's packets are translated by the kernel, unread");
	/* a `certificates` line that had errors has said so already */
	if (p->type == LB_PROFILE_HTTPS && p->certs_pos.file == NULL)
		conf_error(d, &p->pos, "application-profile %s is https and "
		    "has no 'certificates'", p->name);
	return d->nerrors - before;
}

static unsigned
resolve_profile(struct lb_conf *c, struct lb_profile_conf *p,
    struct conf_diag *d)
{
	struct lb_tls_server_conf *t = &p->tls;
	unsigned before = d->nerrors;

	check_type(p, d);
	for (size_t i = 0; i < p->ncerts; i++)
		p->certs[i].idx = lb_conf_ref(d, &p->certs[i].pos,
		    "certificate", p->certs[i].name, c->certs, c->ncerts,
		    sizeof(*c->certs));
	for (size_t i = 0; i < p->nroutes; i++)
		p->routes[i].pool_idx = lb_conf_ref(d, &p->routes[i].pool_pos,
		    "pool", p->routes[i].pool, c->pools, c->npools,
		    sizeof(*c->pools));
	if (p->default_pool[0] != '\0')
		p->default_pool_idx = lb_conf_ref(d, &p->default_pool_pos,
		    "pool", p->default_pool, c->pools, c->npools,
		    sizeof(*c->pools));
	if (!t->client_verify_set)
		t->client_verify = t->client_ca[0] != '\0' ?
		    LB_VERIFY_REQUIRED : LB_VERIFY_NONE;
	if (t->client_verify != LB_VERIFY_NONE && t->client_ca[0] == '\0')
		conf_error(d, &t->client_verify_pos, "application-profile %s: "
		    "client-verify %s needs a 'client-ca FILE' to verify "
		    "against", p->name, t->client_verify == LB_VERIFY_REQUIRED ?
		    "required" : "optional");
	if (t->client_ca[0] != '\0' && p->type == LB_PROFILE_HTTPS)
		t->client_ca_slot = c->tls_nfiles++;
	return d->nerrors - before;
}

unsigned
lb_tls_conf_resolve(struct lb_conf *c, struct conf_diag *d)
{
	unsigned errors = 0;

	c->tls_nfiles = 2 * c->ncerts;
	for (size_t i = 0; i < c->nprofiles; i++)
		errors += resolve_profile(c, &c->profiles[i], d);
	for (size_t i = 0; i < c->npools; i++) {
		struct lb_tls_client_conf *t = &c->pools[i].tls;

		if (!t->enabled)
			continue;
		if (t->verify && t->ca[0] == '\0') {
			conf_error(d, &t->pos, "pool %s: tls verify required "
			    "needs a 'ca FILE' (or say 'verify none')",
			    c->pools[i].name);
			errors++;
		}
		if (t->ca[0] != '\0')
			t->ca_slot = c->tls_nfiles++;
	}
	return errors;
}

/* ---- printers ---- */

static void
print_setting(FILE *out, const char *name, const char *value)
{
	fprintf(out, "        %s ", name);
	conf_print_word(out, value);
	fputc('\n', out);
}

void
lb_tls_print_profile(const struct lb_profile_conf *p, FILE *out)
{
	static const char *const verify[] = { "none", "optional", "required" };
	const struct lb_tls_server_conf *t = &p->tls;

	if (p->type == LB_PROFILE_PASSTHROUGH) {
		for (size_t i = 0; i < p->nroutes; i++)
			fprintf(out, "    sni %s pool %s\n", p->routes[i].name,
			    p->routes[i].pool);
		if (p->default_pool[0] != '\0')
			fprintf(out, "    default-pool %s\n", p->default_pool);
		return;
	}
	if (p->type != LB_PROFILE_HTTPS)
		return;
	fprintf(out, "    certificates");
	for (size_t i = 0; i < p->ncerts; i++)
		fprintf(out, " %s", p->certs[i].name);
	fprintf(out, "\n    tls {\n");
	fprintf(out, "        min-version %s\n",
	    lb_tls_version_name(t->min_version));
	if (t->ciphers[0] != '\0')
		print_setting(out, "ciphers", t->ciphers);
	if (t->ciphersuites[0] != '\0')
		print_setting(out, "ciphersuites", t->ciphersuites);
	if (t->alpn[0] != '\0') {
		char alpn[sizeof(t->alpn)], *save = NULL;

		memcpy(alpn, t->alpn, sizeof(alpn));
		fprintf(out, "        alpn");
		for (char *w = strtok_r(alpn, " ", &save); w != NULL;
		    w = strtok_r(NULL, " ", &save)) {
			fputc(' ', out);
			conf_print_word(out, w);
		}
		fputc('\n', out);
	}
	if (t->client_ca[0] != '\0')
		print_setting(out, "client-ca", t->client_ca);
	fprintf(out, "        client-verify %s\n", verify[t->client_verify]);
	fprintf(out, "    }\n");
}

void
lb_tls_print_pool(const struct lb_pool_conf *p, FILE *out)
{
	const struct lb_tls_client_conf *t = &p->tls;

	if (!t->enabled)
		return;
	fprintf(out, "    tls {\n        verify %s\n", t->verify ? "required" :
	    "none");
	if (t->ca[0] != '\0')
		print_setting(out, "ca", t->ca);
	if (t->sni[0] != '\0')
		fprintf(out, "        sni %s\n", t->sni);
	fprintf(out, "    }\n");
}
