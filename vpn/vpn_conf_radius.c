/*
 * vpn/vpn_conf_radius.c - the RADIUS servers of the `vpn { }` block
 * (vpn_conf.h), to which charon's eap-radius hands the EAP of the
 * remote-access blocks that say `authentication eap-radius`:
 *
 *     radius corp {
 *         address 10.0.0.5
 *         port 1812                  # authentication's; the default
 *         accounting-port 1813       # the default: port + 1
 *         secret "..."               # printed <hidden>
 *         nas-identifier edge-1      # NAS-Identifier; charon's default
 *     }
 *
 * with `radius-settings PATH` (where the settings are written) and
 * `radius-accounting on|off` beside them.
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/stat.h>

#include "addr.h"
#include "util.h"
#include "vpn_conf_int.h"

static int
set_address(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return vpn_get_addr(d, n, 1, &((struct vpn_radius *)obj)->addr);
}

static int
set_port(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct vpn_radius *r = obj;
	uint64_t v;

	if (conf_get_uint(d, n, 1, 1, 65535, &v) < 0)
		return -1;
	if (strcmp(n->args[0], "port") == 0)
		r->port = (unsigned)v;
	else
		r->acct_port = (unsigned)v;
	return 0;
}

/* a word charon's settings file can hold quoted: printable, 1 to max - 1
 * bytes */
static int
get_text(struct conf_diag *d, const struct conf_node *n, char *out,
    size_t max, const char *what)
{
	const char *w = n->args[1];
	size_t len = strlen(w);
	bool ok = len > 0 && len < max;

	for (size_t i = 0; ok && i < len; i++)
		ok = (unsigned char)w[i] >= 0x20 && w[i] != 0x7f;
	if (!ok) {
		/* the word itself is not repeated: it may be the secret */
		conf_error(d, &n->argpos[1], "'%s' expects %s of 1 to %zu "
		    "printable characters (quoted when it has blanks)",
		    n->args[0], what, max - 1);
		return -1;
	}
	memcpy(out, w, len + 1);
	return 0;
}

static int
set_secret(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct vpn_radius *r = obj;

	return get_text(d, n, r->secret, sizeof(r->secret), "one secret");
}

static int
set_nas_id(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct vpn_radius *r = obj;

	return get_text(d, n, r->nas_id, sizeof(r->nas_id), "a name");
}

static const struct conf_directive radius_rows[] = {
	{ "address", 1, 1, CONF_NO_BLOCK, set_address, "address ADDRESS" },
	{ "port", 1, 1, CONF_NO_BLOCK, set_port, "port N" },
	{ "accounting-port", 1, 1, CONF_NO_BLOCK, set_port,
	    "accounting-port N" },
	{ "secret", 1, 1, CONF_NO_BLOCK, set_secret, "secret SECRET" },
	{ "nas-identifier", 1, 1, CONF_NO_BLOCK, set_nas_id,
	    "nas-identifier NAME" },
};

int
vpn_radius_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	static const char *const need[] = { "address", "secret", NULL };
	struct vpn_conf *c = obj;
	struct vpn_radius r = { .pos = n->pos };
	char what[VPN_NAME_MAX + 8];

	if (conf_get_name(d, n, 1, r.name, sizeof(r.name)) < 0)
		return -1;
	if (strchr(r.name, '.') != NULL) {
		/* charon's settings take a dot for a separator */
		conf_error(d, &n->argpos[1], "a RADIUS server's name cannot "
		    "hold '.': '%s'", r.name);
		return -1;
	}
	for (size_t i = 0; i < c->nradius; i++)
		if (strcmp(c->radius[i].name, r.name) == 0) {
			conf_error(d, &n->argpos[1], "radius %s is given "
			    "twice (first at line %u)", r.name,
			    c->radius[i].pos.line);
			return -1;
		}
	if (c->nradius == VPN_RADIUS_MAX) {
		conf_error(d, &n->pos, "more than %d RADIUS servers",
		    VPN_RADIUS_MAX);
		return -1;
	}
	r.port = VPN_RADIUS_PORT;
	snprintf(what, sizeof(what), "radius %s", r.name);
	if (conf_apply(d, n, what, radius_rows, ARRAY_LEN(radius_rows),
	    &r) > 0 || conf_require(d, n, what, need) > 0) {
		explicit_bzero(r.secret, sizeof(r.secret));
		return -1;
	}
	if (r.acct_port == 0)
		r.acct_port = r.port < 65535 ? r.port + 1 : r.port;
	c->radius[c->nradius++] = r;
	explicit_bzero(r.secret, sizeof(r.secret));
	return 0;
}

int
vpn_set_radius_settings(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct vpn_conf *c = obj;

	return vpn_get_abs_path(d, n, c->radius_settings,
	    sizeof(c->radius_settings));
}

int
vpn_set_radius_accounting(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	static const char *const onoff[] = { "off", "on", NULL };
	unsigned k;

	if (conf_get_keyword(d, n, 1, onoff, &k) < 0)
		return -1;
	((struct vpn_conf *)obj)->radius_accounting = k == 1;
	return 0;
}

bool
vpn_conf_uses_radius(const struct vpn_conf *c)
{
	for (size_t i = 0; i < c->nsites; i++)
		if (c->sites[i].auth == VPN_AUTH_RADIUS)
			return true;
	return false;
}

/* eap-radius without a server is an error; servers nobody uses, a
 * warning */
void
vpn_radius_resolve(struct vpn_conf *c, struct conf_diag *d)
{
	for (size_t i = 0; i < c->nsites; i++)
		if (c->sites[i].auth == VPN_AUTH_RADIUS && c->nradius == 0)
			conf_error(d, &c->sites[i].pos, "remote-access %s: "
			    "'authentication eap-radius' needs a RADIUS "
			    "server: 'radius NAME { address ...; secret ... "
			    "}' in the vpn block", c->sites[i].name);
	if (c->nradius > 0 && !vpn_conf_uses_radius(c))
		conf_warning(d, &c->radius[0].pos, "radius %s: no "
		    "remote-access block says 'authentication eap-radius': "
		    "charon is not given the RADIUS servers",
		    c->radius[0].name);
}

unsigned
vpn_radius_check_secrets(const struct vpn_conf *c, struct conf_diag *d)
{
	struct stat st;

	for (size_t i = 0; i < c->nradius; i++) {
		const struct vpn_radius *r = &c->radius[i];

		if (conf_secret_hidden(r->secret)) {
			conf_error(d, &r->pos, "radius %s: the secret reads "
			    "%s, as edged -T prints it: write the secret "
			    "itself", r->name, CONF_HIDDEN);
			return 1;
		}
		if (stat(r->pos.file, &st) == 0 && (st.st_mode & S_IROTH) !=
		    0) {
			conf_error(d, &r->pos, "radius %s: %s holds its "
			    "secret and any user can read it (mode %04o): "
			    "make it readable by root only (chmod o-rwx)",
			    r->name, r->pos.file,
			    (unsigned)(st.st_mode & 07777));
			return 1;
		}
	}
	return 0;
}

void
vpn_radius_print(const struct vpn_conf *c, bool secrets, FILE *out)
{
	char a[INET6_ADDRSTRLEN];

	if (c->nradius == 0)
		return;
	fputs("    radius-settings ", out);
	conf_print_word(out, c->radius_settings);
	fprintf(out, "\n    radius-accounting %s\n", c->radius_accounting ?
	    "on" : "off");
	for (size_t i = 0; i < c->nradius; i++) {
		const struct vpn_radius *r = &c->radius[i];

		addr_fmt(a, sizeof(a), (const struct sockaddr *)&r->addr);
		fprintf(out, "    radius %s {\n        address %s\n        "
		    "port %u\n        accounting-port %u\n        secret ",
		    r->name, a, r->port, r->acct_port);
		conf_print_secret(out, r->secret, secrets);
		if (r->nas_id[0] != '\0') {
			fputs("\n        nas-identifier ", out);
			conf_print_word(out, r->nas_id);
		}
		fputs("\n    }\n", out);
	}
}
