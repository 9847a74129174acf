/*
 * routing/rt_conf.c - the `routing { }` block (rt_conf.h): its own
 * directives, the checks across it, and its normal form.  The FRR
 * statements are in rt_conf_frr.c and rt_conf_bgp.c.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "rt_conf.h"
#include "util.h"

void
rt_conf_init(struct rt_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->zebra_socket, sizeof(c->zebra_socket), "%s",
	    RT_ZEBRA_SOCKET);
	snprintf(c->frr_config, sizeof(c->frr_config), "%s", RT_FRR_CONFIG);
	snprintf(c->vty_socket, sizeof(c->vty_socket), "%s", RT_VTY_SOCKET);
}

void
rt_conf_release(struct rt_conf *c)
{
	for (size_t i = 0; i < c->nifs; i++)
		free(c->ifs[i].addrs);
	free(c->ifs);
	free(c->statics);
	for (size_t i = 0; i < c->npls; i++)
		free(c->pls[i].v);
	free(c->pls);
	free(c->bgp.nb);
	free(c->bgp.rd);
	for (size_t i = 0; i < c->ospf.nareas; i++)
		free(c->ospf.areas[i].ifs);
	free(c->ospf.areas);
	free(c->ospf.rd);
	rt_conf_init(c);
}

/* WORD PATH: an absolute path of at most size - 1 bytes, into out */
static int
get_path(struct conf_diag *d, const struct conf_node *n, char *out,
    size_t size)
{
	const char *path = n->args[1];

	if (path[0] != '/') {
		conf_error(d, &n->argpos[1], "'%s' expects an absolute path, "
		    "not '%s'", n->args[0], path);
		return -1;
	}
	if (strlen(path) >= size) {
		conf_error(d, &n->argpos[1], "'%s': a path of at most %zu "
		    "bytes", n->args[0], size - 1);
		return -1;
	}
	snprintf(out, size, "%s", path);
	return 0;
}

/* zebra-socket PATH: it fits a unix socket's address */
static int
set_zebra_socket(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_conf *c = obj;

	return get_path(d, n, c->zebra_socket, sizeof(c->zebra_socket));
}

static int
set_frr_config(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_conf *c = obj;

	return get_path(d, n, c->frr_config, sizeof(c->frr_config));
}

/* vty-socket DIR: the daemons' "DIR/bgpd.vty" fit a socket's address */
static int
set_vty_socket(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_conf *c = obj;

	return get_path(d, n, c->vty_socket, sizeof(c->vty_socket));
}

static int
set_announce(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return rt_get_announce(d, n, &((struct rt_conf *)obj)->announce_vs);
}

static const struct conf_directive routing_rows[] = {
	{ "zebra-socket", 1, 1, CONF_NO_BLOCK, set_zebra_socket,
	    "zebra-socket PATH" },
	{ "announce", 2, 2, CONF_NO_BLOCK, set_announce,
	    "announce virtual-servers on|off" },
	{ "frr-config", 1, 1, CONF_NO_BLOCK, set_frr_config,
	    "frr-config PATH" },
	{ "vty-socket", 1, 1, CONF_NO_BLOCK, set_vty_socket,
	    "vty-socket DIRECTORY" },
	{ "router-id", 1, 1, CONF_NO_BLOCK, rt_set_router_id,
	    "router-id A.B.C.D" },
	{ "static", 2, 7, CONF_NO_BLOCK, rt_set_static,
	    "static PREFIX via ADDRESS|dev INTERFACE|blackhole "
	    "[distance N]" },
	{ "prefix-list", 1, 1, CONF_NEEDS_BLOCK, rt_set_prefix_list,
	    "prefix-list NAME { permit PREFIX }" },
	{ "bgp", 0, 0, CONF_NEEDS_BLOCK, rt_set_bgp, "bgp { asn N }" },
	{ "ospf", 0, 0, CONF_NEEDS_BLOCK, rt_set_ospf, "ospf { area ID { } }" },
};

int
rt_routing_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct rt_conf *c = obj;

	if (c->present) {
		conf_error(d, &n->pos, "'routing' is given twice (first at "
		    "%s:%u:%u): one block holds it all", c->pos.file,
		    c->pos.line, c->pos.col);
		return -1;
	}
	c->present = true;
	c->pos = n->pos;
	return conf_apply(d, n, "routing", routing_rows,
	    ARRAY_LEN(routing_rows), c) ? -1 : 0;
}

bool
rt_conf_announces(const struct rt_conf *c)
{
	return c->announce_vs || c->bgp.announce_vs || c->ospf.announce_vs;
}

bool
rt_conf_drives_frr(const struct rt_conf *c)
{
	return c->has_router_id || c->nstatics > 0 || c->npls > 0 ||
	    c->bgp.present || c->ospf.present;
}

/* ---- across the block ---- */

const struct rt_prefix_list *
rt_conf_prefix_list(const struct rt_conf *c, const char *name)
{
	for (size_t i = 0; i < c->npls; i++)
		if (strcmp(c->pls[i].name, name) == 0)
			return &c->pls[i];
	return NULL;
}

static int
redist_check(const struct rt_conf *c, const struct rt_redist *rd, size_t n,
    struct conf_diag *d)
{
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		if (rd[i].plist[0] != '\0' &&
		    rt_conf_prefix_list(c, rd[i].plist) == NULL) {
			conf_error(d, &rd[i].pos, "'redistribute %s' names "
			    "prefix-list '%s', which routing { } does not "
			    "have", rt_source_name(rd[i].src), rd[i].plist);
			rc = -1;
		}
	return rc;
}

int
rt_conf_resolve(struct rt_conf *c, struct conf_diag *d)
{
	int rc = redist_check(c, c->bgp.rd, c->bgp.nrd, d);

	if (redist_check(c, c->ospf.rd, c->ospf.nrd, d) < 0)
		rc = -1;
	if (c->ospf.present && c->ospf.nareas == 0) {
		conf_error(d, &c->ospf.pos, "ospf { } has no area: OSPF runs "
		    "on the interfaces its areas name");
		rc = -1;
	}
	return rc;
}
