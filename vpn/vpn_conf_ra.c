/*
 * vpn/vpn_conf_ra.c - the `remote-access NAME { }` blocks (vpn_conf.h):
 * IKEv2 road warriors, a site that answers any peer, authenticates the
 * gateway with a certificate block, its users with EAP-MSCHAPv2 (a file
 * of user:password lines the master reads) or a certificate their CA
 * signed, and hands each an address from a pool; and the certificate
 * blocks every site names, resolved.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vpn_conf_int.h"

static int
set_cert(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct vpn_site *s = obj;

	s->cert_pos = n->argpos[1];
	return conf_get_name(d, n, 1, s->cert_name, sizeof(s->cert_name));
}

static int
set_ra_auth(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const kinds[] = { "eap-mschapv2", "certificate",
	    "eap-radius", NULL };
	static const enum vpn_auth auths[] = { VPN_AUTH_EAP, VPN_AUTH_CERT,
	    VPN_AUTH_RADIUS };
	unsigned k;

	if (conf_get_keyword(d, n, 1, kinds, &k) < 0)
		return -1;
	((struct vpn_site *)obj)->auth = auths[k];
	return 0;
}

static int
set_pool(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct vpn_site *s = obj;

	if (vpn_get_subnet(d, n, 1, &s->pool) < 0)
		return -1;
	if ((s->pool.family == AF_INET && s->pool.plen > 30) ||
	    (s->pool.family == AF_INET6 && s->pool.plen > 126)) {
		conf_error(d, &n->argpos[1], "'pool' %s holds too few "
		    "addresses for clients", n->args[1]);
		return -1;
	}
	return 0;
}

static int
set_dns(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct vpn_site *s = obj;

	if (s->ndns > 0 || n->nargs - 1 > VPN_DNS_MAX) {
		conf_error(d, &n->pos, "'dns' takes 1 to %d addresses, on one "
		    "line", VPN_DNS_MAX);
		return -1;
	}
	for (size_t i = 1; i < n->nargs; i++)
		if (vpn_get_addr(d, n, i, &s->dns[s->ndns++]) < 0)
			return -1;
	return 0;
}

static const struct conf_directive ra_rows[] = {
	{ "local", 1, 1, CONF_NO_BLOCK, vpn_set_local, "local ADDRESS" },
	{ "local-id", 1, 1, CONF_NO_BLOCK, vpn_set_id, "local-id IDENTITY" },
	{ "certificate", 1, 1, CONF_NO_BLOCK, set_cert, "certificate NAME" },
	{ "authentication", 1, 1, CONF_NO_BLOCK, set_ra_auth,
	    "authentication eap-mschapv2|certificate|eap-radius" },
	{ "users", 1, 1, CONF_NO_BLOCK, vpn_set_path, "users FILE" },
	{ "client-ca", 1, 1, CONF_NO_BLOCK, vpn_set_path, "client-ca FILE" },
	{ "pool", 1, 1, CONF_NO_BLOCK, set_pool, "pool SUBNET" },
	{ "dns", 1, CONF_ARGS_ANY, CONF_NO_BLOCK, set_dns, "dns ADDRESS..." },
	{ "subnets", 1, CONF_ARGS_ANY, CONF_NO_BLOCK, vpn_set_subnets,
	    "subnets SUBNET..." },
	{ "ike", 1, CONF_ARGS_ANY, CONF_NO_BLOCK, vpn_set_proposals,
	    "ike PROPOSAL..." },
	{ "esp", 1, CONF_ARGS_ANY, CONF_NO_BLOCK, vpn_set_proposals,
	    "esp PROPOSAL..." },
	{ "ike-lifetime", 1, 1, CONF_NO_BLOCK, vpn_set_duration,
	    "ike-lifetime DURATION" },
	{ "esp-lifetime", 1, 1, CONF_NO_BLOCK, vpn_set_duration,
	    "esp-lifetime DURATION" },
	{ "dpd", 1, 1, CONF_NO_BLOCK, vpn_set_duration, "dpd DURATION|off" },
};

static int
ra_check(struct conf_diag *d, const struct conf_node *n,
    const struct vpn_site *s)
{
	static const char *const need[] = { "local", "certificate",
	    "authentication", "pool", "subnets", NULL };
	char what[VPN_NAME_MAX + 16];
	const char *bad = NULL;

	snprintf(what, sizeof(what), "remote-access %s", s->name);
	if (conf_require(d, n, what, need) > 0)
		return -1;
	if (s->auth == VPN_AUTH_EAP && s->users[0] == '\0')
		bad = "'authentication eap-mschapv2' needs 'users' (the file "
		    "of user:password lines)";
	else if (s->auth == VPN_AUTH_EAP && s->peer_ca[0] != '\0')
		bad = "'client-ca' is for 'authentication certificate'";
	else if (s->auth == VPN_AUTH_CERT && s->peer_ca[0] == '\0')
		bad = "'authentication certificate' needs 'client-ca' (the CA "
		    "the clients' certificates chain to)";
	else if (s->auth != VPN_AUTH_EAP && s->users[0] != '\0')
		bad = "'users' is for 'authentication eap-mschapv2'";
	else if (s->auth == VPN_AUTH_RADIUS && s->peer_ca[0] != '\0')
		bad = "'client-ca' is for 'authentication certificate'";
	if (bad != NULL) {
		conf_error(d, &n->argpos[1], "%s: %s", what, bad);
		return -1;
	}
	return 0;
}

int
vpn_ra_directive(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct vpn_site s = { .ra = true, .peer_any = true,
	    .start = VPN_START_NEVER };

	return vpn_site_add(d, n, obj, &s, ra_rows, ARRAY_LEN(ra_rows),
	    ra_check);
}

void
vpn_conf_use_certs(struct vpn_conf *c, const struct edged_certs *certs,
    struct conf_diag *d)
{
	for (size_t i = 0; i < c->nsites; i++) {
		struct vpn_site *s = &c->sites[i];
		size_t k = 0;

		if (s->cert_name[0] == '\0')
			continue;
		while (k < certs->n && strcmp(certs->v[k].name,
		    s->cert_name) != 0)
			k++;
		if (k == certs->n) {
			conf_error(d, &s->cert_pos, "%s %s: no certificate "
			    "block '%s'", s->ra ? "remote-access" : "ipsec",
			    s->name, s->cert_name);
			continue;
		}
		s->cert = certs->v[k];
	}
}
