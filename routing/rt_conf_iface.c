/*
 * routing/rt_conf_iface.c - `interface NAME { }` at the top level
 * (rt_conf.h): the edge's interfaces, their addresses, MTU and state,
 * and the VLAN sub-interfaces edged creates.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "rt_conf.h"
#include "util.h"

/* ADDRESS/LENGTH with the host's bits: 192.0.2.10/24 */
static int
get_cidr(struct conf_diag *d, const struct conf_node *n, size_t i,
    struct rt_prefix *p)
{
	const char *w = n->args[i], *slash = strchr(w, '/');
	char ip[INET6_ADDRSTRLEN], *end = NULL;
	unsigned long len = 0;

	memset(p, 0, sizeof(*p));
	if (slash != NULL && (size_t)(slash - w) < sizeof(ip)) {
		memcpy(ip, w, (size_t)(slash - w));
		ip[slash - w] = '\0';
		if (inet_pton(AF_INET, ip, p->addr) == 1)
			p->family = AF_INET;
		else if (inet_pton(AF_INET6, ip, p->addr) == 1)
			p->family = AF_INET6;
		if (slash[1] >= '0' && slash[1] <= '9')
			len = strtoul(slash + 1, &end, 10);
		if (p->family != 0 && end != NULL && *end == '\0' &&
		    len >= 1 && len <= (p->family == AF_INET ? 32u : 128u)) {
			p->plen = (unsigned)len;
			return 0;
		}
	}
	conf_error(d, &n->argpos[i], "'%s' for '%s' is not an interface "
	    "address (ADDRESS/LENGTH: 192.0.2.10/24, 2001:db8::10/64)", w,
	    n->args[0]);
	return -1;
}

static int
set_address(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_iface *f = obj;
	struct rt_prefix p, *slot;

	if (get_cidr(d, n, 1, &p) < 0)
		return -1;
	for (size_t i = 0; i < f->naddrs; i++)
		if (f->addrs[i].family == p.family &&
		    memcmp(f->addrs[i].addr, p.addr, 16) == 0) {
			conf_error(d, &n->argpos[1], "interface %s has the "
			    "address of '%s' twice", f->name, n->args[1]);
			return -1;
		}
	if ((slot = conf_push(&f->addrs, &f->naddrs, sizeof(p))) == NULL)
		return conf_oom(d, &n->pos);
	*slot = p;
	return 0;
}

static int
set_mtu(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	uint64_t v;

	/* IPv4's minimum; IPv6 needs 1280 and the kernel says so */
	if (conf_get_uint(d, n, 1, 68, 65535, &v) < 0)
		return -1;
	((struct rt_iface *)obj)->mtu = (unsigned)v;
	return 0;
}

static int
set_state(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const states[] = { "up", "down", NULL };
	unsigned v;

	if (conf_get_keyword(d, n, 1, states, &v) < 0)
		return -1;
	((struct rt_iface *)obj)->down = v == 1;
	return 0;
}

/* vlan ID [parent NAME]: the parent defaults to the name's part before
 * its last '.' (uplink0.100: uplink0) */
static int
set_vlan(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const opts[] = { "parent", NULL };
	struct rt_iface *f = obj;
	const char *dot = strrchr(f->name, '.');
	uint64_t v;
	unsigned o;

	if (conf_get_uint(d, n, 1, 1, 4094, &v) < 0)
		return -1;
	f->vlan = (unsigned)v;
	if (n->nargs == 4)
		return conf_get_option(d, n, 2, opts, &o) < 0 ? -1 :
		    rt_get_ifname(d, n, 3, f->parent);
	if (n->nargs == 3 || dot == NULL || dot == f->name) {
		conf_error(d, &n->argpos[1], "interface %s: 'vlan %s' needs "
		    "its parent: 'vlan %s parent NAME', or a name "
		    "PARENT.ID", f->name, n->args[1], n->args[1]);
		return -1;
	}
	snprintf(f->parent, sizeof(f->parent), "%.*s", (int)(dot - f->name),
	    f->name);
	return 0;
}

static const struct conf_directive iface_rows[] = {
	{ "address", 1, 1, CONF_NO_BLOCK, set_address, "address CIDR" },
	{ "mtu", 1, 1, CONF_NO_BLOCK, set_mtu, "mtu BYTES" },
	{ "state", 1, 1, CONF_NO_BLOCK, set_state, "state up|down" },
	{ "vlan", 1, 3, CONF_NO_BLOCK, set_vlan, "vlan ID [parent NAME]" },
};

int
rt_interface_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct rt_conf *c = obj;
	struct rt_iface f = { .pos = n->pos }, *slot;

	if (rt_get_ifname(d, n, 1, f.name) < 0)
		return -1;
	for (size_t i = 0; i < c->nifs; i++)
		if (strcmp(c->ifs[i].name, f.name) == 0) {
			conf_error(d, &n->argpos[1], "interface %s is given "
			    "twice (first at line %u)", f.name,
			    c->ifs[i].pos.line);
			return -1;
		}
	if (conf_apply(d, n, "interface", iface_rows, ARRAY_LEN(iface_rows),
	    &f) > 0) {
		free(f.addrs);
		return -1;
	}
	if (f.vlan != 0 && strcmp(f.parent, f.name) == 0) {
		conf_error(d, &n->argpos[1], "interface %s: a VLAN cannot be "
		    "its own parent", f.name);
		free(f.addrs);
		return -1;
	}
	if ((slot = conf_push(&c->ifs, &c->nifs, sizeof(f))) == NULL) {
		free(f.addrs);
		return conf_oom(d, &n->pos);
	}
	*slot = f;
	return 0;
}

void
rt_conf_print_ifaces(const struct rt_conf *c, FILE *out)
{
	char ip[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < c->nifs; i++) {
		const struct rt_iface *f = &c->ifs[i];

		fprintf(out, "interface %s {\n", f->name);
		if (f->vlan != 0)
			fprintf(out, "    vlan %u parent %s\n", f->vlan,
			    f->parent);
		for (size_t a = 0; a < f->naddrs; a++) {
			inet_ntop(f->addrs[a].family, f->addrs[a].addr, ip,
			    sizeof(ip));
			fprintf(out, "    address %s/%u\n", ip,
			    f->addrs[a].plen);
		}
		if (f->mtu != 0)
			fprintf(out, "    mtu %u\n", f->mtu);
		fprintf(out, "    state %s\n}\n", f->down ? "down" : "up");
	}
}
