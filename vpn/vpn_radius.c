/*
 * vpn/vpn_radius.c - the RADIUS servers into charon (vpn_int.h).
 *
 * charon's eap-radius plugin takes its servers from strongswan.conf
 * alone: VICI has no command for them.  So the master writes them in a
 * settings file of its own (radius-settings; Debian's strongswan.conf
 * includes the .conf files of /etc/strongswan.d), mode 0600 as it holds
 * the shared secrets, and asks charon to read its settings again
 * (reload-settings: eap-radius takes the servers anew, tunnels are not
 * touched).  The file starts with VPN_RADIUS_MARK: a file there without
 * it is not edged's, and is neither replaced nor removed.
 *
 * charon takes `accounting` (and accounting_requires_vip) only when it
 * starts: a change of radius-accounting is logged, with what to do.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "file.h"
#include "log.h"
#include "vpn_client.h"
#include "vpn_int.h"
#include "vpn_site.h"

#define VPN_RADIUS_MARK	"# edged: charon's RADIUS servers"

/* An accounting server that does not answer closes no tunnel (interim
 * updates; a start that no server takes still refuses the client), and
 * only road warriors (with a virtual address) are accounted for, not
 * sites: charon reads the second when it starts. */
static const char head[] = VPN_RADIUS_MARK " (the vpn block's radius "
    "servers),\n# written by edged at each reload that changes them; "
    "edits are lost.\ncharon {\n    plugins {\n        eap-radius {\n"
    "            accounting_close_on_timeout = no\n"
    "            accounting_requires_vip = yes\n";

/* a value quoted as strongswan.conf reads it back */
static void
quoted(FILE *f, const char *key, const char *v)
{
	fprintf(f, "                    %s = \"", key);
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', f);
		fputc(*v, f);
	}
	fputs("\"\n", f);
}

static void
server(FILE *f, const struct vpn_radius *r)
{
	char a[INET6_ADDRSTRLEN];

	addr_fmt(a, sizeof(a), (const struct sockaddr *)&r->addr);
	fprintf(f, "                %s {\n", r->name);
	fprintf(f, "                    address = %s\n", a);
	fprintf(f, "                    auth_port = %u\n", r->port);
	fprintf(f, "                    acct_port = %u\n", r->acct_port);
	quoted(f, "secret", r->secret);
	if (r->nas_id[0] != '\0')
		quoted(f, "nas_identifier", r->nas_id);
	fputs("                }\n", f);
}

int
vpn_radius_render(const struct vpn_conf *c, char **text, size_t *len)
{
	FILE *f;

	*text = NULL;
	*len = 0;
	if (!vpn_conf_uses_radius(c))
		return 0;
	if ((f = open_memstream(text, len)) == NULL)
		return -1;
	fprintf(f, "%s            accounting = %s\n", head,
	    c->radius_accounting ? "yes" : "no");
	fputs("            servers {\n", f);
	for (size_t i = 0; i < c->nradius; i++)
		server(f, &c->radius[i]);
	fputs("            }\n        }\n    }\n}\n", f);
	if (fclose(f) != 0) {
		vpn_radius_wipe(text, len);
		return -1;
	}
	return 0;
}

void
vpn_radius_wipe(char **text, size_t *len)
{
	if (*text != NULL)
		explicit_bzero(*text, *len);
	free(*text);
	*text = NULL;
	*len = 0;
}

/* ---- into charon ---- */

/* a simple command: 0, 1 refused (err), -1 not asked (err) */
static int
command(struct vpn_client *cl, const char *name, char *err,
    size_t errsize)
{
	const char *why;
	size_t len;
	uint8_t *req = vpn_site_request(name, NULL, 0, &len, &why);
	int rc;

	if (req == NULL) {
		snprintf(err, errsize, "%s", why);
		return -1;
	}
	rc = vpn_client_command(cl, req, len, err, errsize);
	free(req);
	return rc;
}

/* whether charon has loaded its eap-radius plugin (stats' plugins):
 * 1 yes, 0 no, -1 not asked (err) */
static int
has_plugin(struct vpn_client *cl, char *err, size_t errsize)
{
	struct vpn_vici_msg a;
	const struct vpn_vici_node *l;
	const char *why;
	size_t len;
	uint8_t *req = vpn_site_request("stats", NULL, 0, &len, &why);
	int rc = 0;

	if (req == NULL || vpn_client_call(cl, req, len, NULL, NULL, &a, err,
	    errsize) < 0) {
		if (req == NULL)
			snprintf(err, errsize, "%s", why);
		free(req);
		return -1;
	}
	free(req);
	l = vpn_vici_child(&a.root, "plugins");
	for (size_t i = 0; l != NULL && i < l->n; i++)
		if (l->v[i].value != NULL && strcmp(l->v[i].value,
		    "eap-radius") == 0)
			rc = 1;
	vpn_vici_msg_free(&a);
	return rc;
}

/* f's file made to hold text (NULL: taken away, when edged's); f says
 * what it held when that changed it */
static int
put_file(struct vpn_radius_file *f, const char *text, size_t len,
    char *err, size_t errsize)
{
	char *cur = NULL;
	size_t clen = 0;
	bool there = file_read(f->path, 1 << 20, &cur, &clen, NULL) == 0;
	bool ours = there && strncmp(cur, VPN_RADIUS_MARK,
	    strlen(VPN_RADIUS_MARK)) == 0;
	int rc = 0;

	if (there && !ours && text != NULL) {	/* not edged's to replace */
		snprintf(err, errsize, "%s is there and edged did not write "
		    "it: edged writes charon's RADIUS servers there "
		    "(radius-settings names another file)", f->path);
		rc = -1;
	} else if (text == NULL ? !ours : ours && clen == len &&
	    memcmp(cur, text, len) == 0) {
		;			/* as it should be */
	} else if ((text != NULL ? file_replace(f->path, text, len, 0600) :
	    unlink(f->path)) < 0) {
		snprintf(err, errsize, "cannot %s %s: %s", text != NULL ?
		    "write" : "remove", f->path, strerror(errno));
		rc = -1;
	} else {
		f->changed = true;
		f->text = cur;		/* NULL when there was none */
		f->len = clen;
		return 0;
	}
	vpn_radius_wipe(&cur, &clen);
	return rc;
}

/* whether settings text turns accounting on */
static bool
accounting(const char *text)
{
	return text != NULL && strstr(text, "accounting = yes") != NULL;
}

/* radius-accounting turned on or off: charon takes it at its start */
static void
warn_accounting(const struct vpn_gen *g, const struct vpn_radius_was *was)
{
	bool now = accounting(g->radius);
	bool before = was->f[0].changed ? accounting(was->f[0].text) : now;

	if (was->f[1].changed && accounting(was->f[1].text))
		before = true;
	if (before == now)
		return;
	log_warn("vpn: charon takes radius-accounting %s only when it "
	    "starts: restart it (its tunnels are set up again) for that%s",
	    now ? "on" : "off", now ? "" : "; until then it refuses a road "
	    "warrior whose accounting start no server takes");
}

/* charon told to read its settings again, and to have eap-radius when
 * g needs it: 0, 1 not asked, -1 refused (err) */
static int
tell_charon(struct vpn_client *cl, const struct vpn_gen *g, bool changed,
    char *err, size_t errsize)
{
	int rc = command(cl, "reload-settings", err, errsize);

	if (rc != 0)
		return rc > 0 ? -1 : 1;
	if (changed)
		log_info("vpn: charon has the RADIUS servers of %s",
		    g->radius != NULL ? g->conf->radius_settings :
		    "nobody (none in use)");
	if (g->radius == NULL || (rc = has_plugin(cl, err, errsize)) == 1)
		return 0;
	if (rc == 0)
		snprintf(err, errsize, "charon has no eap-radius plugin "
		    "loaded (Debian's libcharon-extra-plugins has it): "
		    "'authentication eap-radius' cannot work");
	return rc < 0 ? 1 : -1;
}

int
vpn_radius_apply(struct vpn_client *cl, const struct vpn_gen *g,
    const struct vpn_gen *prev, bool force, struct vpn_radius_was *was,
    char *err, size_t errsize)
{
	const char *old = prev != NULL ? prev->conf->radius_settings : NULL;
	bool changed;

	memset(was, 0, sizeof(*was));
	snprintf(was->f[0].path, sizeof(was->f[0].path), "%s",
	    g->conf->radius_settings);
	if (old != NULL && strcmp(old, was->f[0].path) != 0)
		snprintf(was->f[1].path, sizeof(was->f[1].path), "%s", old);
	if (put_file(&was->f[0], g->radius, g->radius_len, err,
	    errsize) < 0 || (was->f[1].path[0] != '\0' &&
	    put_file(&was->f[1], NULL, 0, err, errsize) < 0)) {
		vpn_radius_put_back(NULL, was);
		return -1;
	}
	changed = was->f[0].changed || was->f[1].changed;
	if (cl == NULL || (!changed && !(force && g->radius != NULL)))
		return 0;
	warn_accounting(g, was);
	return tell_charon(cl, g, changed, err, errsize);
}

void
vpn_radius_put_back(struct vpn_client *cl, struct vpn_radius_was *was)
{
	char err[512];
	bool changed = false;

	for (size_t i = 0; i < 2; i++) {
		struct vpn_radius_file *f = &was->f[i], now = { 0 };

		if (!f->changed)
			continue;
		snprintf(now.path, sizeof(now.path), "%s", f->path);
		if (put_file(&now, f->text, f->len, err, sizeof(err)) < 0)
			log_err("vpn: RADIUS servers not put back: %s", err);
		changed |= now.changed;
		vpn_radius_wipe(&now.text, &now.len);
	}
	if (changed && cl != NULL && command(cl, "reload-settings", err,
	    sizeof(err)) != 0)
		log_err("vpn: charon did not read its settings again: %s",
		    err);
	vpn_radius_was_free(was);
}

void
vpn_radius_was_free(struct vpn_radius_was *was)
{
	for (size_t i = 0; i < 2; i++) {
		vpn_radius_wipe(&was->f[i].text, &was->f[i].len);
		was->f[i].changed = false;
	}
}
