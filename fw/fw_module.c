/*
 * fw/fw_module.c - the firewall and NAT as the core sees them
 * (module.h): their directives and configuration part, the nftables
 * table they compile to, their runtime in the master (fw_master.c) and
 * their edgectl commands.
 */
#include <stdlib.h>

#include "fw_conf.h"
#include "fw_master.h"
#include "fw_module.h"
#include "fw_nft.h"
#include "fw_worker.h"
#include "util.h"

static const struct conf_directive directives[] = {
	{ "address-group", 1, 1, CONF_NEEDS_BLOCK, fw_group_directive,
	    "address-group NAME { }" },
	{ "service", 1, 1, CONF_NEEDS_BLOCK, fw_service_directive,
	    "service NAME { }" },
	{ "firewall", 0, 0, CONF_NEEDS_BLOCK, fw_firewall_directive,
	    "firewall { }" },
	{ "nat", 0, 0, CONF_NEEDS_BLOCK, fw_nat_directive, "nat { }" },
	{ "service-appliance", 1, 1, CONF_NEEDS_BLOCK, fw_appliance_directive,
	    "service-appliance NAME { }" },
	{ "service-chain", 1, 1, CONF_NEEDS_BLOCK, fw_chain_directive,
	    "service-chain NAME { }" },
};

static void *
conf_new(void)
{
	struct fw_conf *c = calloc(1, sizeof(*c));

	if (c != NULL)
		fw_conf_init(c);
	return c;
}

static void
conf_resolve(void *part, struct conf_diag *d)
{
	fw_conf_resolve(part, d);
}

static void
conf_print(const void *part, FILE *out, unsigned flags)
{
	fw_conf_print(part, (flags & EDGED_PRINT_SECRETS) != 0, out);
}

static void
conf_free(void *part)
{
	if (part == NULL)
		return;
	fw_conf_release(part);
	free(part);
}

/* the feeds' CA files and header secrets */
static unsigned
check_files(const void *part, struct conf_diag *d)
{
	return fw_conf_check_feeds(part, d);
}

static void
print_compiled(const void *part, const struct edged_endpoints *eps,
    FILE *out)
{
	fw_nft_write(out, part, eps);
}

static const struct edged_command commands[] = {
	{ "show", "firewall", "", true,
	    "packets and bytes per rule and default policy",
	    fw_cmd_show_firewall },
	{ "show", "nat", "", true, "packets and bytes per NAT rule",
	    fw_cmd_show_nat },
	{ "group", "add", "NAME ADDR...", false,
	    "add addresses to a dynamic group", fw_cmd_group_add },
	{ "group", "del", "NAME ADDR...", false,
	    "remove addresses from a dynamic group", fw_cmd_group_del },
	{ "group", "set", "NAME [ADDR...]", false,
	    "replace its members (none: empty it)", fw_cmd_group_set },
	{ "group", "show", "NAME", true, "a group's members",
	    fw_cmd_group_show },
	{ "show", "steering", "", true,
	    "service chains: their appliances' health, packets steered",
	    fw_cmd_show_steering },
	{ "show", "l4-kernel", "", true,
	    "members of l4-kernel virtual servers: weight, slots, flows",
	    fw_cmd_show_klb },
	{ "firewall", "flush", "", false,
	    "remove edged's nftables table from the kernel", fw_cmd_flush },
};

const struct edged_module fw_module = {
	.name = "fw",
	.directives = directives,
	.ndirectives = ARRAY_LEN(directives),
	.conf_new = conf_new,
	.conf_resolve = conf_resolve,
	.conf_print = conf_print,
	.conf_free = conf_free,
	.check_files = check_files,
	.print_compiled = print_compiled,
	.master_new = fw_master_new,
	.master_stop = fw_master_stop,
	.master_free = fw_master_free,
	.gen_new = fw_master_gen_new,
	.gen_free = fw_master_gen_free,
	.commit = fw_master_commit,
	.kernel_weights = fw_master_kernel_weights,
	.commands = commands,
	.ncommands = ARRAY_LEN(commands),
	.feed_worker = fw_master_feed_worker,
	.from_worker = fw_master_from_worker,
	.worker_new = fw_worker_new,
	.worker_msg = fw_worker_msg,
	.worker_free = fw_worker_free,
	.metrics = fw_worker_metrics,
};
