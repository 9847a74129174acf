/*
 * fw/fw_conf_steer.c - service insertion in the configuration
 * (fw_conf.h): appliances that inspect traffic, chains of them, and the
 * firewall rules whose accepted flows are steered through a chain:
 *
 *     service-appliance pan1 {
 *         address 10.9.0.2           # one per family: IPv4, IPv6
 *         interface inspect0         # where steered traffic leaves and
 *                                    # comes back
 *         monitor ping               # or tcp PORT, or http URL
 *         interval 1s                # rise 2, fall 3
 *         failure open               # down: bypassed; closed: dropped
 *     }
 *     service-chain web-inspect {
 *         appliances pan1 pan2       # in order
 *     }
 *     firewall {
 *         rule to-web { ... action accept; steer web-inspect }
 *     }
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fw_conf_int.h"
#include "util.h"

#define APPLIANCE_INTERVAL_MS	1000
#define APPLIANCE_RISE		2
#define APPLIANCE_FALL		3

static int
set_address(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct fw_appliance *a = obj;

	for (size_t i = 1; i < n->nargs; i++) {
		struct fw_prefix p;
		unsigned k;

		if (fw_prefix_parse(n->args[i], &p) != 0 || (p.len != 32 &&
		    p.len != 128) || strchr(n->args[i], '/') != NULL) {
			conf_error(d, &n->argpos[i], "'address' expects the "
			    "appliance's IPv4 or IPv6 address, got '%s'",
			    n->args[i]);
			return -1;
		}
		k = p.family == AF_INET ? 0 : 1;
		if (a->addr[k].family != 0) {
			conf_error(d, &n->argpos[i], "service-appliance %s "
			    "has one IPv%c address", a->name, k ? '6' : '4');
			return -1;
		}
		a->addr[k] = p;
	}
	return 0;
}

static int
set_interface(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return fw_get_ifname(d, n, ((struct fw_appliance *)obj)->ifname);
}

/* http://... or https://..., printable, no blanks */
static int
get_monitor_url(struct conf_diag *d, const struct conf_node *n,
    struct fw_appliance *a)
{
	const char *u = n->args[2];
	size_t len = strlen(u);
	bool ok = len < sizeof(a->url) && (strncmp(u, "http://", 7) == 0 ||
	    strncmp(u, "https://", 8) == 0);

	for (size_t i = 0; ok && i < len; i++)
		ok = (unsigned char)u[i] > ' ' && u[i] != 0x7f;
	if (!ok) {
		conf_error(d, &n->argpos[2], "'monitor http' expects an "
		    "http:// or https:// URL (up to %zu bytes), not '%.60s'",
		    sizeof(a->url) - 1, u);
		return -1;
	}
	memcpy(a->url, u, len + 1);
	return 0;
}

static int
set_monitor(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const kinds[] = { "ping", "tcp", "http", NULL };
	static const enum fw_appliance_monitor mon[] = { FW_MON_PING,
	    FW_MON_TCP, FW_MON_HTTP };
	struct fw_appliance *a = obj;
	uint64_t port;
	unsigned k;

	if (conf_get_keyword(d, n, 1, kinds, &k) < 0)
		return -1;
	a->monitor = mon[k];
	if ((k == 0) != (n->nargs == 2)) {
		conf_error(d, &n->pos, "'monitor' expects 'ping', 'tcp PORT' "
		    "or 'http URL'");
		return -1;
	}
	if (k == 2)
		return get_monitor_url(d, n, a);
	if (k == 1) {
		if (conf_get_uint(d, n, 2, 1, 65535, &port) < 0)
			return -1;
		a->port = (uint16_t)port;
	}
	return 0;
}

static int
set_interval(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return conf_get_duration(d, n, 1, 100, 60 * 1000,
	    &((struct fw_appliance *)obj)->interval_ms);
}

static int
set_rise(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return conf_get_uint(d, n, 1, 1, 100,
	    &((struct fw_appliance *)obj)->rise);
}

static int
set_fall(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return conf_get_uint(d, n, 1, 1, 100,
	    &((struct fw_appliance *)obj)->fall);
}

static int
set_failure(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const policies[] = { "open", "closed", NULL };
	unsigned k;

	if (conf_get_keyword(d, n, 1, policies, &k) < 0)
		return -1;
	((struct fw_appliance *)obj)->fail_open = k == 0;
	return 0;
}

static const struct conf_directive appliance_rows[] = {
	{ "address", 1, 2, CONF_NO_BLOCK, set_address, "address ADDR [ADDR]" },
	{ "interface", 1, 1, CONF_NO_BLOCK, set_interface, "interface NAME" },
	{ "monitor", 1, 2, CONF_NO_BLOCK, set_monitor,
	    "monitor ping | tcp PORT | http URL" },
	{ "interval", 1, 1, CONF_NO_BLOCK, set_interval, "interval DURATION" },
	{ "rise", 1, 1, CONF_NO_BLOCK, set_rise, "rise N" },
	{ "fall", 1, 1, CONF_NO_BLOCK, set_fall, "fall N" },
	{ "failure", 1, 1, CONF_NO_BLOCK, set_failure,
	    "failure open|closed" },
};

static const struct conf_pos *
appliance_pos(const struct fw_conf *c, const char *name)
{
	for (size_t i = 0; i < c->nappliances; i++)
		if (strcmp(c->appliances[i].name, name) == 0)
			return &c->appliances[i].pos;
	return NULL;
}

int
fw_appliance_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct fw_conf *c = obj;
	struct fw_appliance *a;
	char name[FW_NAME_MAX], ctx[96];

	if (conf_get_name(d, n, 1, name, sizeof(name)) < 0 ||
	    fw_name_taken(d, n, "service-appliance", name,
	    appliance_pos(c, name)))
		return -1;
	if (c->nappliances == FW_APPLIANCES_MAX) {
		conf_error(d, &n->pos, "more than %d service-appliance "
		    "blocks", FW_APPLIANCES_MAX);
		return -1;
	}
	if ((a = conf_push(&c->appliances, &c->nappliances,
	    sizeof(*a))) == NULL)
		return conf_oom(d, &n->pos);
	memcpy(a->name, name, sizeof(name));
	a->pos = n->pos;
	a->monitor = FW_MON_PING;
	a->interval_ms = APPLIANCE_INTERVAL_MS;
	a->rise = APPLIANCE_RISE;
	a->fall = APPLIANCE_FALL;
	a->fail_open = true;
	snprintf(ctx, sizeof(ctx), "service-appliance %s", name);
	if (conf_apply(d, n, ctx, appliance_rows, ARRAY_LEN(appliance_rows),
	    a))
		return -1;
	if ((a->addr[0].family == 0 && a->addr[1].family == 0) ||
	    a->ifname[0] == '\0') {
		conf_error(d, &n->pos, "service-appliance %s needs 'address' "
		    "and 'interface' (where it is reached)", name);
		return -1;
	}
	return 0;
}

static int
set_appliances(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct fw_chain *ch = obj;

	if (n->nargs - 1 > FW_CHAIN_HOPS_MAX) {
		conf_error(d, &n->argpos[FW_CHAIN_HOPS_MAX + 1], "a "
		    "service-chain holds up to %d appliances",
		    FW_CHAIN_HOPS_MAX);
		return -1;
	}
	ch->nhops = 0;
	for (size_t i = 1; i < n->nargs; i++) {
		if (conf_get_name(d, n, i, ch->names[ch->nhops],
		    sizeof(ch->names[0])) < 0)
			return -1;
		ch->name_pos[ch->nhops++] = n->argpos[i];
	}
	return 0;
}

static const struct conf_directive chain_rows[] = {
	{ "appliances", 1, CONF_ARGS_ANY, CONF_NO_BLOCK, set_appliances,
	    "appliances NAME..." },
};

static const struct conf_pos *
chain_pos(const struct fw_conf *c, const char *name)
{
	for (size_t i = 0; i < c->nchains; i++)
		if (strcmp(c->chains[i].name, name) == 0)
			return &c->chains[i].pos;
	return NULL;
}

int
fw_chain_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct fw_conf *c = obj;
	struct fw_chain *ch;
	char name[FW_NAME_MAX], ctx[96];

	if (conf_get_name(d, n, 1, name, sizeof(name)) < 0 ||
	    fw_name_taken(d, n, "service-chain", name, chain_pos(c, name)))
		return -1;
	if (c->nchains == FW_CHAINS_MAX) {
		conf_error(d, &n->pos, "more than %d service-chain blocks",
		    FW_CHAINS_MAX);
		return -1;
	}
	if ((ch = conf_push(&c->chains, &c->nchains, sizeof(*ch))) == NULL)
		return conf_oom(d, &n->pos);
	memcpy(ch->name, name, sizeof(name));
	ch->pos = n->pos;
	snprintf(ctx, sizeof(ctx), "service-chain %s", name);
	if (conf_apply(d, n, ctx, chain_rows, ARRAY_LEN(chain_rows), ch))
		return -1;
	if (ch->nhops == 0) {
		conf_error(d, &n->pos, "service-chain %s names no appliance: "
		    "add 'appliances NAME...'", name);
		return -1;
	}
	return 0;
}

int
fw_rule_steer(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct fw_rule *r = obj;

	if (conf_get_name(d, n, 1, r->steer, sizeof(r->steer)) < 0)
		return -1;
	r->steer_pos = n->argpos[1];
	return 0;
}

/* ch's appliances found; the families they all have */
static void
resolve_chain(struct fw_conf *c, struct fw_chain *ch, struct conf_diag *d)
{
	const char *cands[FW_APPLIANCES_MAX];
	char hint[96];

	for (size_t i = 0; i < c->nappliances; i++)
		cands[i] = c->appliances[i].name;
	ch->families = 3;
	for (size_t i = 0; i < ch->nhops; i++) {
		const struct fw_appliance *a;
		size_t k = 0;

		while (k < c->nappliances && strcmp(ch->names[i],
		    c->appliances[k].name) != 0)
			k++;
		if (k == c->nappliances) {
			conf_error(d, &ch->name_pos[i], "unknown "
			    "service-appliance '%s'%s", ch->names[i],
			    conf_hint(ch->names[i], cands, c->nappliances,
			    hint, sizeof(hint)));
			ch->families = 0;
			continue;
		}
		a = &c->appliances[k];
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->appliances[ch->hops[j]].ifname,
			    a->ifname) == 0) {
				conf_error(d, &ch->name_pos[i], "service-chain "
				    "%s: %s and %s both use interface %s: "
				    "each hop of a chain has its own (what "
				    "comes back on it says which hop is next)",
				    ch->name, c->appliances[ch->hops[j]].name,
				    a->name, a->ifname);
				ch->families = 0;
			}
		ch->hops[i] = k;
		c->appliances[k].used = true;
		ch->families &= (a->addr[0].family ? 1u : 0) |
		    (a->addr[1].family ? 2u : 0);
	}
}

/* r's steer: a chain, on a rule that accepts forwarded traffic */
static void
resolve_rule(struct fw_conf *c, struct fw_rule *r, struct conf_diag *d)
{
	const char *cands[FW_CHAINS_MAX];
	char hint[96];
	size_t k = 0;

	while (k < c->nchains && strcmp(r->steer, c->chains[k].name) != 0)
		k++;
	if (k == c->nchains) {
		for (size_t i = 0; i < c->nchains; i++)
			cands[i] = c->chains[i].name;
		conf_error(d, &r->steer_pos, "unknown service-chain '%s'%s",
		    r->steer, conf_hint(r->steer, cands, c->nchains, hint,
		    sizeof(hint)));
		return;
	}
	c->chains[k].used = true;	/* named: no warning it is not */
	if (r->action != FW_ACCEPT || r->sel.dst.self || r->match_translated) {
		conf_error(d, &r->steer_pos, "rule %s: 'steer' sends the "
		    "forwarded flows a rule accepts through a chain: it "
		    "needs 'action accept', and neither 'destination self' "
		    "nor 'match-translated on'", r->sel.name);
		return;
	}
	if (c->chains[k].families == 0) {
		conf_error(d, &r->steer_pos, "service-chain %s: its "
		    "appliances have no address family in common", r->steer);
		return;
	}
	r->chain = (long)k;
}

/* chain i's id: its name's hash, or the next one free after the earlier
 * chains' */
static void
chain_id(struct fw_conf *c, size_t i)
{
	uint32_t h = 2166136261u;	/* FNV-1a */
	bool taken;

	for (const char *p = c->chains[i].name; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	h %= FW_STEER_IDS;
	do {
		taken = false;
		for (size_t j = 0; j < i; j++)
			taken |= c->chains[j].id == h;
		if (taken)
			h = (h + 1) % FW_STEER_IDS;
	} while (taken);
	c->chains[i].id = h;
}

void
fw_steer_resolve(struct fw_conf *c, struct conf_diag *d)
{
	for (size_t i = 0; i < c->nchains; i++) {
		chain_id(c, i);
		resolve_chain(c, &c->chains[i], d);
	}
	for (size_t i = 0; i < c->nrules; i++) {
		c->rules[i].chain = -1;
		if (c->rules[i].steer[0] != '\0' && !c->rules[i].sel.bad)
			resolve_rule(c, &c->rules[i], d);
	}
	for (size_t i = 0; i < c->nchains; i++)
		if (!c->chains[i].used && c->chains[i].nhops > 0)
			conf_warning(d, &c->chains[i].pos, "service-chain %s: "
			    "no rule steers to it", c->chains[i].name);
}

void
fw_steer_print(const struct fw_conf *c, FILE *out)
{
	char buf[64];

	for (size_t i = 0; i < c->nappliances; i++) {
		const struct fw_appliance *a = &c->appliances[i];

		fprintf(out, "service-appliance %s {\n    address", a->name);
		for (size_t k = 0; k < 2; k++)
			if (a->addr[k].family != 0) {
				fw_prefix_fmt(buf, sizeof(buf), &a->addr[k]);
				fprintf(out, " %s", buf);
			}
		fprintf(out, "\n    interface %s\n    monitor ", a->ifname);
		if (a->monitor == FW_MON_PING)
			fputs("ping\n", out);
		else if (a->monitor == FW_MON_TCP)
			fprintf(out, "tcp %u\n", a->port);
		else {
			fputs("http ", out);
			conf_print_word(out, a->url);
			fputc('\n', out);
		}
		conf_fmt_duration(buf, sizeof(buf), a->interval_ms);
		fprintf(out, "    interval %s\n    rise %llu\n    fall %llu\n"
		    "    failure %s\n}\n", buf, (unsigned long long)a->rise,
		    (unsigned long long)a->fall, a->fail_open ? "open" :
		    "closed");
	}
	for (size_t i = 0; i < c->nchains; i++) {
		fprintf(out, "service-chain %s {\n    appliances",
		    c->chains[i].name);
		for (size_t k = 0; k < c->chains[i].nhops; k++)
			fprintf(out, " %s", c->chains[i].names[k]);
		fputs("\n}\n", out);
	}
}

void
fw_steer_release(struct fw_conf *c)
{
	free(c->appliances);
	free(c->chains);
}
