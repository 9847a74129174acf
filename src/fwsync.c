/*
 * src/fwsync.c - the master keeps the kernel's firewall and NAT (table
 * inet edged) in step with the generation in force.
 *
 * A generation's table is compiled when its file is loaded (gen_load).
 * Before a new generation's worker starts, its table replaces the old
 * one in one transaction: if the kernel refuses it, the reload is
 * rejected and the old table is still in force, untouched.  If the
 * reload fails later (the new worker does not come up), the old
 * generation's table goes back.  A table identical to the one in force
 * is not sent at all, so counters and conntrack-dependent state are not
 * disturbed by reloads that change something else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ctl.h"
#include "fw_apply.h"
#include "fw_dyn.h"
#include "fw_nft.h"
#include "log.h"
#include "master_int.h"

/* the state file of dynamic groups' members */
static void
state_path(const struct gen *g, char *buf, size_t size)
{
	snprintf(buf, size, "%s/groups", g->conf->core.state_dir);
}

void
master_fw_load_state(struct master *m, const struct gen *g)
{
	char path[512], err[600];

	state_path(g, path, sizeof(path));
	if (fw_dyn_load(&m->dyn, path, err, sizeof(err)) < 0)
		log_warn("firewall: dynamic group members not restored: %s",
		    err);
}

int
master_fw_sync(struct master *m, const struct gen *g, char *err,
    size_t errsize)
{
	const struct fw_conf *fw = &g->conf->fw;
	char *copy, *extra;
	ev_tstamp t0;
	double ms;

	if (m->fw_applied != NULL && strcmp(m->fw_applied, g->fw_text) == 0)
		return 0;
	if (m->fwk == NULL && (m->fwk = fw_kernel_open()) == NULL) {
		if (fw_active(fw)) {
			snprintf(err, errsize, "cannot make a libnftables "
			    "context");
			return -1;
		}
		m->fw_applied = strdup("");
		return 0;
	}
	/* Nothing to put in the kernel and nothing put there yet: the
	 * kernel is only read, and a table an earlier run left is
	 * removed.  A load balancer alone changes nothing there, and
	 * needs no privilege for it. */
	if (!fw_active(fw) && m->fw_applied == NULL) {
		const char *tables = fw_kernel_query(m->fwk, "list tables",
		    err, errsize);

		if (tables == NULL || strstr(tables, "table inet " FW_TABLE
		    "\n") == NULL) {
			m->fw_applied = strdup("");
			return 0;
		}
	}
	if ((copy = strdup(g->fw_text)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	/* the dynamic groups' members go in with the table, in the same
	 * transaction */
	if ((extra = fw_dyn_elements(&m->dyn, fw)) == NULL) {
		free(copy);
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	t0 = ev_time();
	if (fw_kernel_replace(g->fw_text, extra, err, errsize) < 0) {
		free(copy);
		free(extra);
		return -1;
	}
	ms = (ev_time() - t0) * 1000.0;
	free(extra);
	free(m->fw_applied);
	m->fw_applied = copy;
	if (fw_active(fw))
		log_info("firewall: table inet %s applied (%zu rules, %zu NAT "
		    "rules, %zu groups) in %.0f ms", FW_TABLE, fw->nrules,
		    fw->nnats, fw->ngroups, ms);
	else
		log_info("firewall: no firewall or NAT configured; table inet "
		    "%s removed", FW_TABLE);
	if (fw_wants_forwarding(fw) && fw_enable_forwarding(err, errsize) < 0)
		log_warn("firewall: cannot turn IP forwarding on: %s", err);
	return 0;
}

void
master_fw_restore(struct master *m)
{
	char err[1024];

	if (m->gen == NULL || m->fw_applied == NULL ||
	    strcmp(m->fw_applied, m->gen->fw_text) == 0)
		return;
	if (master_fw_sync(m, m->gen, err, sizeof(err)) < 0)
		log_err("firewall: cannot put the running configuration's "
		    "table back: %s", err);
	else
		log_info("firewall: the running configuration's table is back");
}

/* The generation whose table is in the kernel: a reload's, from the
 * moment its table went in, else the running one. */
static const struct gen *
gen_in_force(const struct master *m)
{
	if (m->pending_gen != NULL && m->fw_applied != NULL &&
	    strcmp(m->fw_applied, m->pending_gen->fw_text) == 0)
		return m->pending_gen;
	return m->gen;
}

/*
 * group add|del|set NAME ADDR..., group show NAME: the kernel's sets
 * first (one transaction), then the master's copy and the state file.
 */
void
master_group_cmd(struct master *m, struct ctl_client *c, char **words,
    size_t n)
{
	const struct gen *g = gen_in_force(m);
	const struct fw_conf *fw = &g->conf->fw;
	static const char *const ops[] = { "add", "del", "set", "show" };
	struct fw_prefix *addrs = NULL;
	struct fw_dyn_group *dg;
	char err[1024], path[512], a[64];
	size_t na = 0, changed = 0;
	char *cmds = NULL;
	unsigned op;
	long gi;

	for (op = 0; op < 4; op++)
		if (n >= 3 && strcmp(words[1], ops[op]) == 0)
			break;
	if (op == 4 || (op < 2 && n < 4) || (op == 3 && n != 3)) {
		ctl_reply(m, c, false, "usage: group add|del|set NAME ADDR..., "
		    "group set NAME (empties it), group show NAME\n");
		return;
	}
	gi = fw_group_find(fw, words[2]);
	if (gi < 0 || !fw->groups[gi].dynamic) {
		ctl_replyf(m, c, false, "group %s: not a dynamic "
		    "address-group of the configuration in force\n", words[2]);
		return;
	}
	if (op == 3) {
		char *buf = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&buf, &len);

		dg = fw_dyn_get(&m->dyn, words[2], false);
		if (out == NULL) {
			ctl_reply(m, c, false, "out of memory\n");
			return;
		}
		for (size_t i = 0; dg != NULL && i < dg->n; i++) {
			fw_prefix_fmt(a, sizeof(a), &dg->addrs[i]);
			fprintf(out, "%s\n", a);
		}
		fclose(out);
		ctl_reply(m, c, true, buf != NULL ? buf : "");
		free(buf);
		return;
	}
	if ((addrs = calloc(n, sizeof(*addrs))) == NULL ||
	    (dg = fw_dyn_get(&m->dyn, words[2], true)) == NULL) {
		free(addrs);
		ctl_reply(m, c, false, "out of memory\n");
		return;
	}
	for (size_t i = 3; i < n; i++) {
		struct fw_prefix *p = &addrs[na];

		if (fw_prefix_parse(words[i], p) < 0 ||
		    p->len != (p->family == AF_INET ? 32 : 128)) {
			ctl_replyf(m, c, false, "group %s: '%s' is not an IPv4 "
			    "or IPv6 address (a dynamic group holds "
			    "addresses, not prefixes); nothing changed\n",
			    words[2], words[i]);
			free(addrs);
			return;
		}
		/* the kernel refuses to delete what is not there, and
		 * adding what is there changes nothing */
		if ((op == 0 && fw_dyn_has(dg, p)) ||
		    (op == 1 && !fw_dyn_has(dg, p)))
			continue;
		na++;
	}
	changed = na;
	if (op != 2 && na == 0) {
		ctl_replyf(m, c, true, "group %s: nothing to change (%zu "
		    "members)\n", words[2], dg->n);
		free(addrs);
		return;
	}
	cmds = fw_dyn_commands(&fw->groups[gi], addrs, na, op != 1, op == 2);
	if (cmds == NULL) {
		free(addrs);
		ctl_reply(m, c, false, "out of memory\n");
		return;
	}
	if (m->fwk == NULL || fw_kernel_run(m->fwk, cmds, err,
	    sizeof(err)) < 0) {
		ctl_replyf(m, c, false, "group %s: the kernel refused the "
		    "change: %s; nothing changed\n", words[2], m->fwk == NULL ?
		    "no firewall table in force" : err);
		free(cmds);
		free(addrs);
		return;
	}
	free(cmds);
	if (op == 2) {
		free(dg->addrs);
		dg->addrs = NULL;
		dg->n = 0;
	}
	for (size_t i = 0; i < na; i++) {
		if (op == 1)
			fw_dyn_del(dg, &addrs[i]);
		else if (fw_dyn_add(dg, &addrs[i]) < 0)
			log_err("group %s: out of memory", words[2]);
	}
	free(addrs);
	state_path(g, path, sizeof(path));
	if (fw_dyn_save(&m->dyn, g->conf->core.state_dir, path, err,
	    sizeof(err)) < 0)
		log_warn("firewall: dynamic group members not saved: %s; "
		    "they hold until edged restarts", err);
	log_info("edgectl: group %s %s: %zu address%s; %zu member%s", words[2],
	    words[1], changed, changed == 1 ? "" : "es", dg->n,
	    dg->n == 1 ? "" : "s");
	ctl_replyf(m, c, true, "group %s: %s %zu address%s; %zu member%s\n",
	    words[2], op == 0 ? "added" : op == 1 ? "removed" : "set to",
	    changed, changed == 1 ? "" : "es", dg->n, dg->n == 1 ? "" : "s");
}

/* ---- show firewall, show nat ---- */

struct counter {
	char name[FW_NAME_MAX + 8];
	unsigned long long packets, bytes;
};

/* parses `list counters table inet edged` */
static size_t
parse_counters(const char *text, struct counter **out)
{
	struct counter *v = NULL, *cur = NULL;
	size_t n = 0;
	const char *p = text;

	while (p != NULL && *p != '\0') {
		const char *eol = strchr(p, '\n');
		char line[256], name[FW_NAME_MAX + 8];
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		unsigned long long pk, by;

		snprintf(line, sizeof(line), "%.*s", (int)(len < 255 ? len :
		    255), p);
		if (sscanf(line, " counter %71s {", name) == 1) {
			struct counter *nv = realloc(v, (n + 1) * sizeof(*v));

			if (nv == NULL)
				break;
			v = nv;
			cur = &v[n++];
			memset(cur, 0, sizeof(*cur));
			snprintf(cur->name, sizeof(cur->name), "%s", name);
		} else if (cur != NULL && sscanf(line, " packets %llu bytes "
		    "%llu", &pk, &by) == 2) {
			cur->packets = pk;
			cur->bytes = by;
		}
		p = eol ? eol + 1 : NULL;
	}
	*out = v;
	return n;
}

static const struct counter *
counter_of(const struct counter *v, size_t n, const char *prefix,
    const char *name)
{
	char want[FW_NAME_MAX + 8];

	snprintf(want, sizeof(want), "%s%s", prefix, name);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, want) == 0)
			return &v[i];
	return NULL;
}

static const char *const action_word[] = { "accept", "drop", "reject" };

static void
show_row(FILE *out, bool json, bool *first, const char *name,
    const char *what, const struct counter *k)
{
	unsigned long long pk = k ? k->packets : 0, by = k ? k->bytes : 0;

	if (json) {
		fprintf(out, "%s{\"name\":\"%s\",\"%s\":\"%s\","
		    "\"packets\":%llu,\"bytes\":%llu}", *first ? "" : ",",
		    name, strncmp(what, "snat", 4) == 0 ||
		    strncmp(what, "dnat", 4) == 0 ? "type" : "action", what,
		    pk, by);
		*first = false;
		return;
	}
	fprintf(out, "%-32s %-8s %14llu %16llu\n", name, what, pk, by);
}

/* show firewall [json] (nat false), show nat [json] (nat true) */
void
master_fw_show(struct master *m, struct ctl_client *c, bool json, bool nat)
{
	const struct fw_conf *fw = &gen_in_force(m)->conf->fw;
	struct counter *v = NULL;
	size_t n = 0;
	char err[1024], *buf = NULL;
	size_t len = 0;
	const char *text;
	bool first = true;
	FILE *out;

	if (!(nat ? fw->nnats > 0 : fw->firewall)) {
		ctl_replyf(m, c, true, json ? "{\"%s\":[]}\n" :
		    "no %s configured\n", nat ? "nat" : "firewall");
		return;
	}
	if (m->fwk == NULL || (text = fw_kernel_query(m->fwk, "list counters "
	    "table inet " FW_TABLE, err, sizeof(err))) == NULL) {
		ctl_replyf(m, c, false, "cannot read the counters: %s\n",
		    m->fwk == NULL ? "no firewall table in force" : err);
		return;
	}
	n = parse_counters(text, &v);
	if ((out = open_memstream(&buf, &len)) == NULL) {
		free(v);
		ctl_reply(m, c, false, "out of memory\n");
		return;
	}
	if (json)
		fprintf(out, "{\"%s\":[", nat ? "nat" : "rules");
	else
		fprintf(out, "%-32s %-8s %14s %16s\n", nat ? "NAT RULE" :
		    "RULE", nat ? "TYPE" : "ACTION", "PACKETS", "BYTES");
	if (nat) {
		for (size_t i = 0; i < fw->nnats; i++)
			show_row(out, json, &first, fw->nats[i].sel.name,
			    fw->nats[i].kind == FW_SNAT ? "snat" : "dnat",
			    counter_of(v, n, "n_", fw->nats[i].sel.name));
	} else {
		for (size_t i = 0; i < fw->nrules; i++)
			show_row(out, json, &first, fw->rules[i].sel.name,
			    action_word[fw->rules[i].action],
			    counter_of(v, n, "r_", fw->rules[i].sel.name));
	}
	if (!nat) {
		const struct counter *in = counter_of(v, n, "", "default_in");
		const struct counter *fwd = counter_of(v, n, "",
		    "default_fwd");
		const char *act = action_word[fw->default_policy];

		if (json) {
			fprintf(out, "],\"default_policy\":{\"action\":\"%s\","
			    "\"input\":{\"packets\":%llu,\"bytes\":%llu},"
			    "\"forward\":{\"packets\":%llu,\"bytes\":%llu}}",
			    act, in ? in->packets : 0, in ? in->bytes : 0,
			    fwd ? fwd->packets : 0, fwd ? fwd->bytes : 0);
		} else {
			show_row(out, false, &first, "(default, to the edge)",
			    act, in);
			show_row(out, false, &first, "(default, through it)",
			    act, fwd);
		}
	} else if (json) {
		fputc(']', out);
	}
	if (json)
		fputs("}\n", out);
	fclose(out);
	free(v);
	ctl_reply(m, c, true, buf != NULL ? buf : "");
	free(buf);
}
