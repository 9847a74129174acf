/*
 * routing/rt_module.c - routing as the core sees it (module.h): the
 * `routing { }` block, and its runtime in the master (rt_master.c),
 * which announces the virtual servers' addresses to FRR's zebra while
 * they can serve.
 */
#include <stdlib.h>

#include "rt_conf.h"
#include "rt_frr.h"
#include "rt_master.h"
#include "rt_module.h"
#include "rt_worker.h"
#include "util.h"

static const struct conf_directive directives[] = {
	{ "routing", 0, 0, CONF_NEEDS_BLOCK, rt_routing_directive,
	    "routing { }" },
	{ "interface", 1, 1, CONF_NEEDS_BLOCK, rt_interface_directive,
	    "interface NAME { address CIDR }" },
};

static void *
conf_new(void)
{
	struct rt_conf *c = malloc(sizeof(*c));

	if (c != NULL)
		rt_conf_init(c);
	return c;
}

static void
conf_print(const void *part, FILE *out, unsigned flags)
{
	rt_conf_print(part, (flags & EDGED_PRINT_SECRETS) != 0, out);
}

static void
conf_free(void *part)
{
	if (part == NULL)
		return;
	rt_conf_release(part);
	free(part);
}

static void
conf_resolve(void *part, struct conf_diag *d)
{
	rt_conf_resolve(part, d);
}

/* `edged -n`: edged's section of frr.conf, passwords hidden */
static void
print_compiled(const void *part, const struct edged_endpoints *eps,
    FILE *out)
{
	(void)eps;
	rt_frr_render(part, false, out);
}

static const struct edged_command commands[] = {
	{ "show", "routes", "", true, "the routing table as FRR's zebra "
	    "has it, edged's announcements marked", rt_master_show_routes },
	{ "show", "bgp", "", true, "the BGP neighbours: state, uptime, "
	    "prefixes received and sent", rt_master_show_bgp },
	{ "show", "ospf", "", true, "the OSPF neighbours: interface, state",
	    rt_master_show_ospf },
};

const struct edged_module rt_module = {
	.name = "routing",
	.directives = directives,
	.ndirectives = ARRAY_LEN(directives),
	.conf_new = conf_new,
	.conf_print = conf_print,
	.conf_free = conf_free,
	.conf_resolve = conf_resolve,
	.print_compiled = print_compiled,
	.master_new = rt_master_new,
	.master_stop = rt_master_stop,
	.master_free = rt_master_free,
	.gen_new = rt_master_gen_new,
	.gen_free = rt_master_gen_free,
	.commit = rt_master_commit,
	.service_usable = rt_master_service_usable,
	.status = rt_master_status,
	.commands = commands,
	.ncommands = ARRAY_LEN(commands),
	.carry_save = rt_master_carry_save,
	.carry_line = rt_master_carry_line,
	.feed_worker = rt_master_feed_worker,
	.worker_new = rt_worker_new,
	.worker_msg = rt_worker_msg,
	.worker_free = rt_worker_free,
	.metrics = rt_worker_metrics,
};
