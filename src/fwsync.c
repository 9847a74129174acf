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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl.h"
#include "fw_apply.h"
#include "fw_dyn.h"
#include "fw_netlink.h"
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
	/* Nothing to put in the kernel and nothing put there yet: the
	 * kernel is only read, and a table an earlier run left is
	 * removed.  A load balancer alone changes nothing there, and
	 * needs no privilege for it (a kernel that cannot be asked holds
	 * no table of ours either). */
	if (!fw_active(fw) && m->fw_applied == NULL &&
	    fw_kernel_has_table() != 1) {
		m->fw_applied = strdup("");
		return 0;
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

/* The master's nfnetlink socket, opened once needed; 0 or -1 with err. */
static int
fw_netlink(struct master *m, char *err, size_t errsize)
{
	if (m->fwnl == NULL)
		m->fwnl = fw_nl_open(err, errsize);
	return m->fwnl != NULL ? 0 : -1;
}

/* op 0 add, 1 del, 2 set: one transaction on g's sets.  0, or -1 with
 * err. */
static int
group_to_kernel(struct master *m, const struct fw_group *g,
    const struct fw_prefix *addrs, size_t n, unsigned op, char *err,
    size_t errsize)
{
	if (fw_netlink(m, err, errsize) < 0)
		return -1;
	fw_nl_begin(m->fwnl, FW_TABLE);
	if (fw_dyn_queue(m->fwnl, g, addrs, n, op != 1, op == 2) < 0) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	return fw_nl_commit(m->fwnl, err, errsize);
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
	if (group_to_kernel(m, &fw->groups[gi], addrs, na, op, err,
	    sizeof(err)) < 0) {
		ctl_replyf(m, c, false, "group %s: the kernel refused the "
		    "change: %s; nothing changed\n", words[2], err);
		free(addrs);
		return;
	}
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

static int
cmp_counter(const void *a, const void *b)
{
	return strcmp(((const struct counter *)a)->name,
	    ((const struct counter *)b)->name);
}

struct counters {
	struct counter *v;
	size_t n, cap;
	bool oom;
};

static void
take_counter(const char *name, uint64_t packets, uint64_t bytes, void *arg)
{
	struct counters *cs = arg;
	struct counter *k;

	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 64;

		if ((k = realloc(cs->v, cap * sizeof(*k))) == NULL) {
			cs->oom = true;
			return;
		}
		cs->v = k;
		cs->cap = cap;
	}
	k = &cs->v[cs->n++];
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->packets = packets;
	k->bytes = bytes;
}

/* The named counters of the table in force; 0 or -1 with err. */
static int
read_counters(struct master *m, struct counters *cs, char *err,
    size_t errsize)
{
	memset(cs, 0, sizeof(*cs));
	if (fw_netlink(m, err, errsize) < 0 ||
	    fw_nl_counters(m->fwnl, FW_TABLE, take_counter, cs, err,
	    errsize) < 0) {
		free(cs->v);
		return -1;
	}
	if (cs->oom) {
		free(cs->v);
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	if (cs->n > 0)
		qsort(cs->v, cs->n, sizeof(*cs->v), cmp_counter);
	return 0;
}

/* v sorted by read_counters */
static const struct counter *
counter_of(const struct counter *v, size_t n, const struct fw_conf *fw,
    size_t slot)
{
	struct counter want;

	/* the slots of fw_stats.h name every counter of the table */
	fw_stats_counter(fw, slot, want.name, sizeof(want.name));
	return n > 0 ? bsearch(&want, v, n, sizeof(*v), cmp_counter) : NULL;
}

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
	struct counters cs;
	const struct counter *v;
	size_t n;
	char err[1024], *buf = NULL;
	size_t len = 0;
	bool first = true;
	FILE *out;

	if (!(nat ? fw->nnats > 0 : fw->firewall)) {
		ctl_replyf(m, c, true, json ? "{\"%s\":[]}\n" :
		    "no %s configured\n", nat ? "nat" : "firewall");
		return;
	}
	if (read_counters(m, &cs, err, sizeof(err)) < 0) {
		ctl_replyf(m, c, false, "cannot read the counters: %s\n", err);
		return;
	}
	if (cs.n == 0) {
		/* a configured rule always has its counter */
		ctl_reply(m, c, false, "cannot read the counters: table inet "
		    FW_TABLE " is not in the kernel (removed by hand?); "
		    "restarting edged puts it back\n");
		return;
	}
	v = cs.v;
	n = cs.n;
	if ((out = open_memstream(&buf, &len)) == NULL) {
		free(cs.v);
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
			    counter_of(v, n, fw, fw->nrules + 2 + i));
	} else {
		for (size_t i = 0; i < fw->nrules; i++)
			show_row(out, json, &first, fw->rules[i].sel.name,
			    fw_action_name(fw->rules[i].action),
			    counter_of(v, n, fw, i));
	}
	if (!nat) {
		const struct counter *in = counter_of(v, n, fw, fw->nrules);
		const struct counter *fwd = counter_of(v, n, fw,
		    fw->nrules + 1);
		const char *act = fw_action_name(fw->default_policy);

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
	free(cs.v);
	ctl_reply(m, c, true, buf != NULL ? buf : "");
	free(buf);
}

/* ---- the counters for the metrics ---- */

void
master_fw_block(struct gen *g)
{
	const struct fw_conf *fw = &g->conf->fw;
	size_t len;
	void *mem;
	int fd;

	if (!fw_active(fw))
		return;
	len = fw_stats_size(fw);
	fd = memfd_create("edged-fw-counters", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)len) < 0 ||
	    (mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0)) == MAP_FAILED) {
		log_warn("firewall: no counters block for the metrics: %s",
		    strerror(errno));
		if (fd >= 0)
			(void)close(fd);
		return;
	}
	fw_stats_init(&g->fw_blk, mem, fw);
	g->fw_blk_fd = fd;
	g->fw_blk_len = len;
}

void
master_fw_block_release(struct gen *g)
{
	if (g->fw_blk_fd < 0)
		return;
	(void)munmap(g->fw_blk.hdr, g->fw_blk_len);
	(void)close(g->fw_blk_fd);
	g->fw_blk_fd = -1;
	g->fw_blk.hdr = NULL;
}

void
master_fw_publish(struct master *m, struct gen *g)
{
	const struct fw_conf *fw = &g->conf->fw;
	struct fw_stats *v = &g->fw_blk;
	struct counters cs;
	char err[1024];

	if (g->fw_blk_fd < 0)
		return;
	if (read_counters(m, &cs, err, sizeof(err)) < 0) {
		log_warn("firewall: cannot read the counters for the "
		    "metrics: %s", err);
		return;
	}
	for (size_t i = 0; i < v->hdr->nslots; i++) {
		const struct counter *k = counter_of(cs.v, cs.n, fw, i);

		atomic_store_explicit(&v->ctr[i].packets, k ? k->packets : 0,
		    memory_order_relaxed);
		atomic_store_explicit(&v->ctr[i].bytes, k ? k->bytes : 0,
		    memory_order_relaxed);
	}
	free(cs.v);
	atomic_store_explicit(&v->hdr->at_ms, fw_stats_clock_ms(),
	    memory_order_release);
	/* last: the worker waits for this one */
	atomic_fetch_add_explicit(&v->hdr->seq, 1, memory_order_release);
}

void
master_fw_cmd(struct master *m, struct ctl_client *c, char **words, size_t n)
{
	(void)words;
	(void)n;
	ctl_reply(m, c, false, "usage: firewall flush\n");
}
