/*
 * vpn/vpn_gen.c - a generation's sites as charon takes them (vpn_int.h):
 * each site's VICI messages in the order they are loaded (its private
 * key and chain, its pool, its keys or users, its connection), from the
 * configuration and from the files the master reads for it: the
 * certificate block's files, the CA file, the users file.  A file that
 * cannot be read or holds nothing usable is an error at the site's line;
 * a user's password is never in a message of edged's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "mem.h"
#include "vpn_int.h"
#include "vpn_site.h"

#define VPN_FILE_MAX	(1 << 20)	/* no PEM file or users file is near
					 * this */

static const char *const kind_names[] = { "ipsec", "remote-access" };

/* a message of kind and id added to gs (msg taken); -1 after an error.
 * Its length and the error by address: read after the call that made
 * msg set them (an argument's value may be taken before). */
static int
add(struct vpn_gsite *gs, enum vpn_mkind kind, const char *id, uint8_t *msg,
    const size_t *lenp, const char *const *whyp, struct conf_diag *d)
{
	struct vpn_msg *m;
	size_t len;

	if (msg == NULL) {
		conf_error(d, &gs->site->pos, "%s %s: %s",
		    kind_names[gs->site->ra], gs->site->name, *whyp);
		return -1;
	}
	len = *lenp;
	if (mem_resize(&gs->m, gs->n + 1, sizeof(*gs->m)) == -1) {
		explicit_bzero(msg, len);
		free(msg);
		return conf_oom(d, &gs->site->pos);
	}
	m = &gs->m[gs->n++];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	snprintf(m->id, sizeof(m->id), "%s", id);
	m->b = msg;
	m->len = len;
	return 0;
}

/* path whole into *data (NUL-ended), or an error naming what it is */
static int
read_file(const struct vpn_site *s, const char *what, const char *path,
    char **data, size_t *len, struct conf_diag *d)
{
	if (file_read(path, VPN_FILE_MAX, data, len, NULL) == 0)
		return 0;
	conf_error(d, &s->pos, "%s %s: cannot read %s %s: %s",
	    kind_names[s->ra], s->name, what, path, errno == EINVAL ||
	    errno == EFBIG ? "not a regular file of at most 1 MiB" :
	    strerror(errno));
	return -1;
}

static void
wipe(char *data, size_t len)
{
	if (data != NULL)
		explicit_bzero(data, len);
	free(data);
}

/* the key, the certificates of the chain (every one after the leaf, in
 * the certificate file and the chain file) */
static int
render_key_chain(struct vpn_gsite *gs, const char *cert, size_t clen,
    struct conf_diag *d)
{
	const struct vpn_site *s = gs->site;
	char *key = NULL, *chain = NULL;
	size_t klen = 0, chlen = 0, off = 0, blen, len;
	const char *blk, *why = "no certificate in the certificate file";
	int rc = -1;

	if (read_file(s, "the key", s->cert.key, &key, &klen, d) < 0 ||
	    (s->cert.chain[0] != '\0' && read_file(s, "the chain",
	    s->cert.chain, &chain, &chlen, d) < 0))
		goto out;
	if (add(gs, VPN_M_KEY, "", vpn_site_load_key(key, klen, &len, &why),
	    &len, &why, d) < 0)
		goto out;
	(void)vpn_pem_next(cert, clen, &off, &blk, &blen);	/* the leaf */
	while (vpn_pem_next(cert, clen, &off, &blk, &blen))
		if (add(gs, VPN_M_CERT, "", vpn_site_load_cert(blk, blen, &len,
		    &why), &len, &why, d) < 0)
			goto out;
	for (off = 0; vpn_pem_next(chain, chlen, &off, &blk, &blen);)
		if (add(gs, VPN_M_CERT, "", vpn_site_load_cert(blk, blen, &len,
		    &why), &len, &why, d) < 0)
			goto out;
	rc = 0;
out:
	wipe(key, klen);
	free(chain);
	return rc;
}

/* user:password lines, # comments: one load-shared each */
static int
render_users(struct vpn_gsite *gs, char *text, struct conf_diag *d)
{
	const struct vpn_site *s = gs->site;
	char id[VPN_NAME_MAX + VPN_USER_MAX + 8], *line, *next, *colon;
	const char *why = NULL;
	unsigned lineno = 0, users = 0;
	size_t len;

	for (line = text; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		line[strcspn(line, "\r")] = '\0';
		if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		colon = strchr(line, ':');
		if (colon == NULL || colon == line || colon[1] == '\0' ||
		    (size_t)(colon - line) >= VPN_USER_MAX ||
		    strcspn(line, " \t") < (size_t)(colon - line)) {
			conf_error(d, &s->pos, "remote-access %s: %s:%u: not "
			    "USER:PASSWORD (a name without blanks or ':', a "
			    "password of 1 or more bytes)", s->name, s->users,
			    lineno);
			return -1;
		}
		*colon = '\0';
		snprintf(id, sizeof(id), VPN_KEY_PREFIX "%s:%s", s->name, line);
		if (add(gs, VPN_M_SHARED, id, vpn_site_load_user(s, line,
		    colon + 1, &len, &why), &len, &why, d) < 0)
			return -1;
		users++;
	}
	if (users == 0)
		conf_error(d, &s->pos, "remote-access %s: %s has no user",
		    s->name, s->users);
	return users == 0 ? -1 : 0;
}

/* what certificates and users the site needs of files, then its conn */
static int
render_files(struct vpn_gsite *gs, struct conf_diag *d)
{
	const struct vpn_site *s = gs->site;
	struct vpn_site_files f = { 0 };
	char *cert = NULL, *ca = NULL, *users = NULL;
	size_t ulen = 0, len, off = 0, blen;
	const char *why = NULL, *blk;
	int rc = -1;

	if (s->cert_name[0] != '\0') {
		if (read_file(s, "the certificate", s->cert.cert, &cert,
		    &f.cert_len, d) < 0)
			goto out;
		if (!vpn_pem_next(cert, f.cert_len, &off, &blk, &blen)) {
			conf_error(d, &s->pos, "%s %s: no PEM certificate in "
			    "%s", kind_names[s->ra], s->name, s->cert.cert);
			goto out;
		}
		f.cert = blk;
		f.cert_len = blen;
		if (render_key_chain(gs, cert, strlen(cert), d) < 0)
			goto out;
	}
	if (s->peer_ca[0] != '\0') {
		off = 0;
		if (read_file(s, "the CA file", s->peer_ca, &ca, &f.ca_len,
		    d) < 0)
			goto out;
		if (!vpn_pem_next(ca, f.ca_len, &off, &blk, &blen)) {
			conf_error(d, &s->pos, "%s %s: no PEM certificate in "
			    "%s", kind_names[s->ra], s->name, s->peer_ca);
			goto out;
		}
		f.ca = ca;
	}
	if (s->auth == VPN_AUTH_EAP && (read_file(s, "the users file",
	    s->users, &users, &ulen, d) < 0 || render_users(gs, users,
	    d) < 0))
		goto out;
	rc = add(gs, VPN_M_CONN, s->name, vpn_site_load_conn_files(s, &f,
	    &len, &why), &len, &why, d);
out:
	free(cert);
	free(ca);
	wipe(users, ulen);
	return rc;
}

int
vpn_gsite_render(struct vpn_gsite *gs, const struct vpn_site *s,
    struct conf_diag *d)
{
	char id[VPN_NAME_MAX + 8];
	const char *why = NULL;
	size_t len;

	memset(gs, 0, sizeof(*gs));
	gs->site = s;
	snprintf(id, sizeof(id), VPN_KEY_PREFIX "%s", s->name);
	if (s->ra && add(gs, VPN_M_POOL, id, vpn_site_load_pool(s, &len,
	    &why), &len, &why, d) < 0)
		return -1;
	if (s->auth == VPN_AUTH_PSK && add(gs, VPN_M_SHARED, id,
	    vpn_site_load_shared(s, &len, &why), &len, &why, d) < 0)
		return -1;
	return render_files(gs, d);
}

void
vpn_gsite_release(struct vpn_gsite *gs)
{
	for (size_t i = 0; i < gs->n; i++) {
		explicit_bzero(gs->m[i].b, gs->m[i].len);
		free(gs->m[i].b);
	}
	free(gs->m);
	gs->m = NULL;
	gs->n = 0;
}

bool
vpn_gsite_same(const struct vpn_gsite *a, const struct vpn_gsite *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->m[i].kind != b->m[i].kind || a->m[i].len !=
		    b->m[i].len || memcmp(a->m[i].b, b->m[i].b, a->m[i].len)
		    != 0)
			return false;
	return true;
}
