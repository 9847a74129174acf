/*
 * vpn/vpn_module.c - IPsec as the core sees it (module.h): the `vpn { }`
 * and `ipsec NAME { }` blocks, the ports IKE needs let in, and the
 * sites loaded into strongSwan's charon by the master (vpn_master.c).
 * Of it, the worker has only the metrics (vpn_worker.c): charon carries
 * the tunnels.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "util.h"
#include "vpn_conf.h"
#include "vpn_int.h"
#include "vpn_master.h"
#include "vpn_module.h"
#include "vpn_worker.h"

static const struct conf_directive directives[] = {
	{ "vpn", 0, 0, CONF_NEEDS_BLOCK, vpn_vpn_directive, "vpn { }" },
	{ "ipsec", 1, 1, CONF_NEEDS_BLOCK, vpn_ipsec_directive,
	    "ipsec NAME { }" },
	{ "remote-access", 1, 1, CONF_NEEDS_BLOCK, vpn_ra_directive,
	    "remote-access NAME { }" },
};

static void *
conf_new(void)
{
	struct vpn_conf *c = malloc(sizeof(*c));

	if (c != NULL)
		vpn_conf_init(c);
	return c;
}

static void
conf_resolve(void *part, struct conf_diag *d)
{
	vpn_conf_resolve(part, d);
}

static void
conf_print(const void *part, FILE *out, unsigned flags)
{
	vpn_conf_print(part, (flags & EDGED_PRINT_SECRETS) != 0, out);
}

static void
conf_free(void *part)
{
	if (part == NULL)
		return;
	vpn_conf_release(part);
	free(part);
}

static void
use_certificates(void *part, const struct edged_certs *certs,
    struct conf_diag *d)
{
	vpn_conf_use_certs(part, certs, d);
}

/* the secrets' files, then each site rendered as the master would (its
 * certificate, key, CA and users files read), and dropped */
static unsigned
check_files(const void *part, struct conf_diag *d)
{
	const struct vpn_conf *c = part;
	unsigned errors = vpn_conf_check_secrets(c, d);
	struct vpn_gsite gs;

	for (size_t i = 0; errors == 0 && i < c->nsites; i++) {
		unsigned before = d->nerrors;

		(void)vpn_gsite_render(&gs, &c->sites[i], d);
		vpn_gsite_release(&gs);
		errors += d->nerrors - before;
	}
	return errors;
}

static void
subnet_addr(struct sockaddr_storage *a, const struct vpn_subnet *s)
{
	memset(a, 0, sizeof(*a));
	a->ss_family = (sa_family_t)s->family;
	if (s->family == AF_INET)
		memcpy(&((struct sockaddr_in *)a)->sin_addr, s->addr, 4);
	else
		memcpy(&((struct sockaddr_in6 *)a)->sin6_addr, s->addr, 16);
}

/* a site's traffic between its subnets, kept from source NAT */
static int
nat_exempt(const struct vpn_site *s, struct edged_endpoints *eps)
{
	struct edged_nat_exempt x;

	/* a remote-access block's peers are its pool */
	const struct vpn_subnet *peer = s->ra ? &s->pool : s->peer_ts;
	size_t npeer = s->ra ? 1 : s->npeer_ts;

	for (size_t i = 0; i < s->nlocal_ts; i++)
		for (size_t k = 0; k < npeer; k++) {
			if (s->local_ts[i].family != peer[k].family)
				continue;
			subnet_addr(&x.src, &s->local_ts[i]);
			subnet_addr(&x.dst, &peer[k]);
			x.src_len = s->local_ts[i].plen;
			x.dst_len = peer[k].plen;
			snprintf(x.what, sizeof(x.what), "%s %s", s->ra ?
			    "remote-access" : "ipsec", s->name);
			if (edged_nat_exempt_add(eps, &x) < 0)
				return -1;
		}
	return 0;
}

/* IKE (UDP 500), IKE and ESP in UDP (4500) and ESP on each site's local
 * address, once each; each site's traffic kept from source NAT */
static int
endpoints(const void *part, struct edged_endpoints *eps)
{
	static const struct { int proto, port; const char *what; } eps_v[] = {
		{ IPPROTO_UDP, 500, "ipsec: IKE" },
		{ IPPROTO_UDP, 4500, "ipsec: IKE and ESP in UDP" },
		{ IPPROTO_ESP, 0, "ipsec: ESP" },
	};
	const struct vpn_conf *c = part;

	for (size_t i = 0; i < c->nsites; i++) {
		struct sockaddr_storage a = c->sites[i].local;
		bool seen = false;

		if (nat_exempt(&c->sites[i], eps) < 0)
			return -1;
		for (size_t k = 0; k < i && !seen; k++)
			seen = addr_same(&c->sites[k].local, &a);
		for (size_t k = 0; k < ARRAY_LEN(eps_v) && !seen; k++) {
			in_port_t p = htons((in_port_t)eps_v[k].port);

			if (a.ss_family == AF_INET)
				((struct sockaddr_in *)&a)->sin_port = p;
			else
				((struct sockaddr_in6 *)&a)->sin6_port = p;
			if (edged_endpoints_add(eps, &a, eps_v[k].proto,
			    eps_v[k].what) < 0)
				return -1;
		}
	}
	return 0;
}

static const struct edged_command commands[] = {
	{ "show", "ipsec", "", true, "the IPsec sites and remote-access "
	    "users: IKE SA and tunnels (state, algorithms, SPIs, bytes)",
	    vpn_master_show },
	{ "ipsec", "up", "SITE", false, "has charon bring the site's "
	    "tunnel up now", vpn_master_up },
	{ "ipsec", "down", "SITE", false, "has charon take the site's "
	    "tunnel down (until ipsec up, or the site changes)",
	    vpn_master_down },
	{ "ipsec", "disconnect", "USER", false, "ends a remote-access "
	    "user's sessions (the user may connect again)",
	    vpn_master_disconnect },
};

const struct edged_module vpn_module = {
	.name = "vpn",
	.directives = directives,
	.ndirectives = ARRAY_LEN(directives),
	.conf_new = conf_new,
	.conf_resolve = conf_resolve,
	.conf_print = conf_print,
	.conf_free = conf_free,
	.use_certificates = use_certificates,
	.check_files = check_files,
	.endpoints = endpoints,
	.master_new = vpn_master_new,
	.master_stop = vpn_master_stop,
	.master_free = vpn_master_free,
	.gen_new = vpn_master_gen_new,
	.gen_free = vpn_master_gen_free,
	.commit = vpn_master_commit,
	.status = vpn_master_status,
	.feed_worker = vpn_master_feed_worker,
	.worker_new = vpn_worker_new,
	.worker_msg = vpn_worker_msg,
	.worker_free = vpn_worker_free,
	.metrics = vpn_worker_metrics,
	.commands = commands,
	.ncommands = ARRAY_LEN(commands),
};
