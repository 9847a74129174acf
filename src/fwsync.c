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
 *
 * The table stays in force when edged stops (fail closed).  edgectl
 * firewall flush takes it out of the kernel until the next reload or
 * restart, which put it back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
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

/*
 * What fw_applied holds once edgectl firewall flush took the table out
 * of the kernel: an nft text that makes nothing (as the kernel holds
 * nothing of edged's then), and that differs from every table, so that
 * the next reload or restart puts the table back instead of finding it
 * unchanged.
 */
#define FW_FLUSHED	"# table inet " FW_TABLE " flushed by edgectl\n"

static bool
table_flushed(const struct master *m)
{
	return m->fw_applied != NULL && strcmp(m->fw_applied, FW_FLUSHED) == 0;
}

/* Whether the master put a table in the kernel (that a flush did not
 * take out since). */
static bool
table_put(const struct master *m)
{
	return m->fw_applied != NULL && m->fw_applied[0] != '\0' &&
	    !table_flushed(m);
}

/* ---- noticing changes made to the table by something else ---- */

static const char *const tamper_why[] = {
	[FW_NL_CHANGED] = "was changed by something other than edged",
	[FW_NL_REMOVED] = "was removed by something other than edged",
	[FW_NL_LOST] = "may have been changed by something other than edged "
	    "(the kernel's notices overflowed)",
};

/* The kernel's notices of a committed change: said once when a change
 * not edged's own touched its table (nft by hand, another program); a
 * reload puts edged's back. */
static void
watch_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct master *m = w->data;
	enum fw_nl_verdict v;

	(void)loop;
	(void)revents;
	v = fw_nl_watch_drain(w->fd, FW_TABLE, &m->fw_self, &m->fw_gen);
	if (v == FW_NL_NONE || !table_put(m))
		return;
	if (v != (enum fw_nl_verdict)m->fw_tampered)
		log_warn("firewall: table inet %s %s while edged runs: %s; "
		    "edgectl reload puts edged's back", FW_TABLE,
		    tamper_why[v], v == FW_NL_REMOVED ? "no filtering and no "
		    "NAT by edged" : "its rules may not be the "
		    "configuration's");
	m->fw_tampered = (int)v;
}

/* Listens to the notices once a table of edged's is in the kernel. */
static void
watch_start(struct master *m)
{
	char err[256];
	int fd;

	if (m->fw_watch.data == NULL || m->fw_watch.fd >= 0 || !table_put(m))
		return;
	if ((fd = fw_nl_watch_open(err, sizeof(err))) < 0) {
		log_warn("firewall: %s: changes made to table inet %s by "
		    "something else go unnoticed until a reload", err,
		    FW_TABLE);
		return;
	}
	ev_io_set(&m->fw_watch, fd, EV_READ);
	ev_io_start(m->loop, &m->fw_watch);
}

void
master_fw_watch_init(struct master *m)
{
	FILE *f = fopen("/proc/self/comm", "re");

	m->fw_self.pid = (uint32_t)getpid();
	if (f == NULL || fgets(m->fw_self.name, sizeof(m->fw_self.name),
	    f) == NULL)
		snprintf(m->fw_self.name, sizeof(m->fw_self.name), "edged");
	if (f != NULL)
		fclose(f);
	m->fw_self.name[strcspn(m->fw_self.name, "\n")] = '\0';
	ev_io_init(&m->fw_watch, watch_io_cb, -1, EV_READ);
	m->fw_watch.data = m;
	watch_start(m);
}

void
master_fw_watch_close(struct master *m)
{
	if (m->fw_watch.data == NULL || m->fw_watch.fd < 0)
		return;
	ev_io_stop(m->loop, &m->fw_watch);
	(void)close(m->fw_watch.fd);
	ev_io_set(&m->fw_watch, -1, EV_READ);
}

int
master_fw_sync(struct master *m, const struct gen *g, char *err,
    size_t errsize)
{
	const struct fw_conf *fw = edged_fw(g->conf);
	char *copy, *extra;
	ev_tstamp t0;
	double ms;
	bool back;

	/* The same table is not sent again, unless it is gone from the
	 * kernel or was changed there by something other than edged
	 * (nft by hand): a reload puts edged's back. */
	if (m->fw_applied != NULL && strcmp(m->fw_applied, g->fw_text) == 0) {
		int has = g->fw_text[0] == '\0' ? 1 : fw_kernel_has_table();

		if (has < 0 || (has == 1 && (g->fw_text[0] == '\0' ||
		    m->fw_tampered == 0)))
			return 0;
		log_warn("firewall: table inet %s %s; putting it back",
		    FW_TABLE, has ? tamper_why[m->fw_tampered] :
		    tamper_why[FW_NL_REMOVED]);
	}
	back = table_flushed(m);
	/* Nothing to put in the kernel and nothing put there yet: the
	 * kernel is only read, and a table an earlier run left is
	 * removed.  A load balancer alone changes nothing there, and
	 * needs no privilege for it (a kernel that cannot be asked holds
	 * no table of ours either). */
	if (!fw_active(fw) && (m->fw_applied == NULL || table_flushed(m)) &&
	    fw_kernel_has_table() != 1) {
		free(m->fw_applied);
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
	/* its notices, edged's own, come later and are told apart */
	m->fw_tampered = 0;
	watch_start(m);
	if (fw_active(fw))
		log_info("firewall: table inet %s applied (%zu rules, %zu NAT "
		    "rules, %zu groups) in %.0f ms%s", FW_TABLE, fw->nrules,
		    fw->nnats, fw->ngroups, ms, back ? "; back in the kernel "
		    "after edgectl firewall flush" : "");
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
 * The address-group called name in fw: a dynamic one, or with show any.
 * Else NULL, and c is told why: a static group cannot change at run
 * time, an unknown name gets "did you mean" among the groups it could
 * have meant.
 */
static const struct fw_group *
group_lookup(struct master *m, struct ctl_client *c, const struct fw_conf *fw,
    const char *name, bool show)
{
	const char **cands;
	char hint[128];
	size_t n = 0;
	long gi = fw_group_find(fw, name);

	if (gi >= 0 && (show || fw->groups[gi].dynamic))
		return &fw->groups[gi];
	if (gi >= 0) {
		ctl_replyf(m, c, false, "group %s is a static address-group "
		    "(its members are in the configuration file) and cannot "
		    "change at run time; only a group with `dynamic` can; "
		    "nothing changed\n", name);
		return NULL;
	}
	if ((cands = calloc(fw->ngroups + 1, sizeof(*cands))) == NULL) {
		ctl_reply(m, c, false, "out of memory\n");
		return NULL;
	}
	for (size_t i = 0; i < fw->ngroups; i++)
		if (show || fw->groups[i].dynamic)
			cands[n++] = fw->groups[i].name;
	if (n == 0)
		snprintf(hint, sizeof(hint), "; the configuration in force "
		    "has no %saddress-group", show ? "" : "dynamic ");
	else
		conf_hint(name, cands, n, hint, sizeof(hint));
	ctl_replyf(m, c, false, "no %saddress-group '%s' in the configuration "
	    "in force%s\n", show ? "" : "dynamic ", name, hint);
	free(cands);
	return NULL;
}

/* group show NAME [json]: a dynamic group's members as the master keeps
 * them (what the kernel's sets hold), a static one's from the file. */
static void
group_show(struct master *m, struct ctl_client *c, const struct fw_group *g,
    bool json)
{
	const struct fw_dyn_group *dg = g->dynamic ?
	    fw_dyn_get(&m->dyn, g->name, false) : NULL;
	const struct fw_prefix *v = g->dynamic ? (dg ? dg->addrs : NULL) :
	    g->members;
	size_t nv = g->dynamic ? (dg ? dg->n : 0) : g->nmembers;
	char *buf = NULL, a[64];
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (out == NULL) {
		ctl_reply(m, c, false, "out of memory\n");
		return;
	}
	if (json)
		fprintf(out, "{\"group\":\"%s\",\"dynamic\":%s,\"members\":[",
		    g->name, g->dynamic ? "true" : "false");
	for (size_t i = 0; i < nv; i++) {
		fw_prefix_fmt(a, sizeof(a), &v[i]);
		if (json)
			fprintf(out, "%s\"%s\"", i ? "," : "", a);
		else
			fprintf(out, "%s\n", a);
	}
	if (json)
		fputs("]}\n", out);
	if (fclose(out) != 0) {
		free(buf);
		ctl_reply(m, c, false, "out of memory\n");
		return;
	}
	ctl_reply(m, c, true, buf != NULL ? buf : "");
	free(buf);
}

enum group_op { GROUP_ADD, GROUP_DEL, GROUP_SET, GROUP_SHOW, GROUP_NOPS };

static const char *const group_ops[GROUP_NOPS] = {
	[GROUP_ADD] = "add", [GROUP_DEL] = "del", [GROUP_SET] = "set",
	[GROUP_SHOW] = "show",
};

/* The addresses of words[0..n) that change dg under op, into addrs
 * (room for n); their number, or -1 when one is not an address (c is
 * told). */
static ssize_t
group_addrs(struct master *m, struct ctl_client *c,
    const struct fw_dyn_group *dg, enum group_op op, char **words, size_t n,
    const char *name, struct fw_prefix *addrs)
{
	size_t na = 0;

	for (size_t i = 0; i < n; i++) {
		struct fw_prefix *p = &addrs[na];

		if (fw_prefix_parse(words[i], p) < 0 ||
		    p->len != (p->family == AF_INET ? 32 : 128)) {
			ctl_replyf(m, c, false, "group %s: '%s' is not an IPv4 "
			    "or IPv6 address (a dynamic group holds "
			    "addresses, not prefixes); nothing changed\n",
			    name, words[i]);
			return -1;
		}
		/* the kernel refuses to delete what is not there, and
		 * adding what is there changes nothing */
		if ((op == GROUP_ADD && fw_dyn_has(dg, p)) ||
		    (op == GROUP_DEL && !fw_dyn_has(dg, p)))
			continue;
		na++;
	}
	return (ssize_t)na;
}

/* The master's copy after the kernel took the change, and the state
 * file: -1 with why in err when the file could not be written (the
 * change holds, the file keeps the members it had). */
static int
group_keep(struct master *m, const struct gen *g, struct fw_dyn_group *dg,
    enum group_op op, const struct fw_prefix *addrs, size_t na, char *err,
    size_t errsize)
{
	char path[512];

	if (op == GROUP_SET) {
		free(dg->addrs);
		dg->addrs = NULL;
		dg->n = 0;
	}
	for (size_t i = 0; i < na; i++) {
		if (op == GROUP_DEL)
			fw_dyn_del(dg, &addrs[i]);
		else if (fw_dyn_add(dg, &addrs[i]) < 0)
			log_err("group %s: out of memory", dg->name);
	}
	state_path(g, path, sizeof(path));
	if (fw_dyn_save(&m->dyn, g->conf->core.state_dir, path, err,
	    errsize) < 0) {
		log_warn("firewall: dynamic group members not saved: %s; "
		    "the change holds until edged restarts", err);
		return -1;
	}
	return 0;
}

/* group add|del|set NAME ADDR...: the kernel's sets first (one
 * transaction), then the master's copy and the state file.  While edged
 * has no table in the kernel (flushed, or no firewall or NAT), the copy
 * alone: the next table takes it. */
static void
group_change(struct master *m, struct ctl_client *c, const struct gen *g,
    const struct fw_group *fg, enum group_op op, char **words, size_t n)
{
	struct fw_prefix *addrs;
	struct fw_dyn_group *dg;
	bool flushed = table_flushed(m);
	bool in_kernel = table_put(m);
	const char *note = in_kernel ? "" : flushed ? " (table inet " FW_TABLE
	    " is flushed: in the kernel from the next reload or restart)" :
	    " (no firewall or NAT in force: no table to put it in yet)";
	char err[1024];
	ssize_t na;
	bool saved;

	if ((addrs = calloc(n + 1, sizeof(*addrs))) == NULL ||
	    (dg = fw_dyn_get(&m->dyn, fg->name, true)) == NULL) {
		free(addrs);
		ctl_reply(m, c, false, "out of memory\n");
		return;
	}
	if ((na = group_addrs(m, c, dg, op, words, n, fg->name, addrs)) < 0)
		goto free_addrs;
	if (op != GROUP_SET && na == 0) {
		ctl_replyf(m, c, true, "group %s: nothing to change (%zu "
		    "members)\n", fg->name, dg->n);
		goto free_addrs;
	}
	if (in_kernel && group_to_kernel(m, fg, addrs, (size_t)na, op, err,
	    sizeof(err)) < 0) {
		ctl_replyf(m, c, false, "group %s: the kernel refused the "
		    "change: %s; nothing changed\n", fg->name, err);
		goto free_addrs;
	}
	saved = group_keep(m, g, dg, op, addrs, (size_t)na, err,
	    sizeof(err)) == 0;
	log_info("edgectl: group %s %s: %zd address%s; %zu member%s%s",
	    fg->name, group_ops[op], na, na == 1 ? "" : "es", dg->n,
	    dg->n == 1 ? "" : "s", note);
	ctl_replyf(m, c, true, "group %s: %s %zd address%s; %zu member%s%s"
	    "%s%s%s\n", fg->name, op == GROUP_ADD ? "added" :
	    op == GROUP_DEL ? "removed" : "set to", na, na == 1 ? "" : "es",
	    dg->n, dg->n == 1 ? "" : "s", note, saved ? "" :
	    "\nwarning: not saved (", saved ? "" : err, saved ? "" :
	    "): the change holds until edged restarts");
free_addrs:
	free(addrs);
}

/*
 * group add|del|set NAME ADDR..., group set NAME (empties it), group
 * show NAME [json].
 */
void
master_group_cmd(struct master *m, struct ctl_client *c, char **words,
    size_t n)
{
	const struct gen *g = gen_in_force(m);
	const struct fw_group *fg;
	enum group_op op;
	bool json = n == 4 && strcmp(words[3], "json") == 0;

	for (op = 0; op < GROUP_NOPS; op++)
		if (n >= 3 && strcmp(words[1], group_ops[op]) == 0)
			break;
	if (op == GROUP_NOPS || (op < GROUP_SET && n < 4) ||
	    (op == GROUP_SHOW && n != 3 && !json)) {
		ctl_reply(m, c, false, "usage: group add|del|set NAME ADDR..., "
		    "group set NAME (empties it), group show NAME [json]\n");
		return;
	}
	if ((fg = group_lookup(m, c, edged_fw(g->conf), words[2],
	    op == GROUP_SHOW)) == NULL)
		return;
	if (op == GROUP_SHOW)
		group_show(m, c, fg, json);
	else
		group_change(m, c, g, fg, op, words + 3, n - 3);
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

/* ---- what of edged's is in the kernel ---- */

/* The state of table inet edged, as show firewall and show nat say it
 * first. */
enum table_state {
	TS_IN_FORCE,		/* the configuration's table is there */
	TS_CHANGED,		/* there, but changed by someone else */
	TS_FLUSHED,		/* edgectl firewall flush removed it */
	TS_MISSING,		/* configured, removed by someone else */
	TS_NONE,		/* nothing configured, nothing there */
	TS_LEFTOVER,		/* nothing configured, one is there */
	TS_UNKNOWN,		/* the kernel cannot be asked */
};

static const struct {
	const char *word;	/* JSON "state" */
	bool in_kernel;
	const char *text;
} table_states[] = {
	[TS_IN_FORCE] = { "in-force", true, "in the kernel, in force; it "
	    "stays in force when edged stops (edgectl firewall flush "
	    "removes it)" },
	[TS_CHANGED] = { "changed", true, "in the kernel, but changed by "
	    "something other than edged since edged put it there (nft by "
	    "hand?): edgectl reload puts edged's back" },
	[TS_FLUSHED] = { "flushed", false, "not in the kernel (flushed by "
	    "edgectl firewall flush): no filtering and no NAT by edged; "
	    "edgectl reload puts it back" },
	[TS_MISSING] = { "missing", false, "not in the kernel (removed by "
	    "something other than edged): no filtering and no NAT by edged; "
	    "edgectl reload puts it back" },
	[TS_NONE] = { "none", false, "not in the kernel (no firewall or NAT "
	    "configured)" },
	[TS_LEFTOVER] = { "leftover", true, "in the kernel, but no firewall "
	    "or NAT is configured (left from an earlier run, or made by "
	    "hand); edgectl firewall flush removes it" },
	[TS_UNKNOWN] = { "unknown", false, "cannot ask the kernel (does "
	    "edged have CAP_NET_ADMIN?)" },
};

static enum table_state
table_state(const struct master *m, const struct gen *g)
{
	int has = fw_kernel_has_table();

	if (has < 0)
		return TS_UNKNOWN;
	if (g->fw_text[0] == '\0')
		return has ? TS_LEFTOVER : TS_NONE;
	if (has)
		return m->fw_tampered != 0 ? TS_CHANGED : TS_IN_FORCE;
	return table_flushed(m) ? TS_FLUSHED : TS_MISSING;
}

static void
write_table_state(FILE *out, bool json, enum table_state ts)
{
	if (json)
		fprintf(out, "\"table\":{\"name\":\"inet %s\",\"in_kernel\":%s,"
		    "\"state\":\"%s\"}", FW_TABLE, table_states[ts].in_kernel ?
		    "true" : "false", table_states[ts].word);
	else
		fprintf(out, "table inet %s: %s\n", FW_TABLE,
		    table_states[ts].text);
}

/* ---- show firewall, show nat ---- */

/* One row; k NULL with known false: no counters to read (the table is
 * not in the kernel), shown as "-" and null. */
static void
show_row(FILE *out, bool json, bool *first, const char *name,
    const char *what, const struct counter *k, bool known)
{
	char p[24], b[24];

	if (known) {
		snprintf(p, sizeof(p), "%llu", k ? k->packets : 0ULL);
		snprintf(b, sizeof(b), "%llu", k ? k->bytes : 0ULL);
	} else {
		snprintf(p, sizeof(p), "%s", json ? "null" : "-");
		snprintf(b, sizeof(b), "%s", json ? "null" : "-");
	}
	if (json) {
		fprintf(out, "%s{\"name\":\"%s\",\"%s\":\"%s\","
		    "\"packets\":%s,\"bytes\":%s}", *first ? "" : ",",
		    name, strncmp(what, "snat", 4) == 0 ||
		    strncmp(what, "dnat", 4) == 0 ? "type" : "action", what,
		    p, b);
		*first = false;
		return;
	}
	fprintf(out, "%-32s %-8s %14s %16s\n", name, what, p, b);
}

static void
show_nat_rules(FILE *out, bool json, const struct fw_conf *fw,
    const struct counters *cs, bool known)
{
	bool first = true;

	if (json)
		fputs("\"nat\":[", out);
	else
		fprintf(out, "%-32s %-8s %14s %16s\n", "NAT RULE", "TYPE",
		    "PACKETS", "BYTES");
	for (size_t i = 0; i < fw->nnats; i++)
		show_row(out, json, &first, fw->nats[i].sel.name,
		    fw->nats[i].kind == FW_SNAT ? "snat" : "dnat",
		    counter_of(cs->v, cs->n, fw, fw->nrules + 2 + i), known);
	if (json)
		fputc(']', out);
}

static void
show_fw_rules(FILE *out, bool json, const struct fw_conf *fw,
    const struct counters *cs, bool known)
{
	const struct counter *in = counter_of(cs->v, cs->n, fw, fw->nrules);
	const struct counter *fwd = counter_of(cs->v, cs->n, fw,
	    fw->nrules + 1);
	const char *act = fw_action_name(fw->default_policy);
	bool first = true;

	if (json)
		fputs("\"rules\":[", out);
	else
		fprintf(out, "%-32s %-8s %14s %16s\n", "RULE", "ACTION",
		    "PACKETS", "BYTES");
	for (size_t i = 0; i < fw->nrules; i++)
		show_row(out, json, &first, fw->rules[i].sel.name,
		    fw_action_name(fw->rules[i].action),
		    counter_of(cs->v, cs->n, fw, i), known);
	if (!json) {
		show_row(out, false, &first, "(default, to the edge)", act,
		    in, known);
		show_row(out, false, &first, "(default, through it)", act,
		    fwd, known);
		return;
	}
	if (!known) {
		fprintf(out, "],\"default_policy\":{\"action\":\"%s\","
		    "\"input\":null,\"forward\":null}", act);
		return;
	}
	fprintf(out, "],\"default_policy\":{\"action\":\"%s\","
	    "\"input\":{\"packets\":%llu,\"bytes\":%llu},"
	    "\"forward\":{\"packets\":%llu,\"bytes\":%llu}}",
	    act, in ? in->packets : 0, in ? in->bytes : 0,
	    fwd ? fwd->packets : 0, fwd ? fwd->bytes : 0);
}

/*
 * show firewall [json] (nat false), show nat [json] (nat true): first
 * the state of table inet edged, then each rule with its counters
 * (none to read when the table is not in the kernel).
 */
void
master_fw_show(struct master *m, struct ctl_client *c, bool json, bool nat)
{
	const struct gen *g = gen_in_force(m);
	const struct fw_conf *fw = edged_fw(g->conf);
	enum table_state ts = table_state(m, g);
	bool configured = nat ? fw->nnats > 0 : fw->firewall;
	bool known = configured && ts == TS_IN_FORCE;
	struct counters cs = { 0 };
	char err[1024], *buf = NULL;
	size_t len = 0;
	FILE *out;

	if (known && read_counters(m, &cs, err, sizeof(err)) < 0) {
		ctl_replyf(m, c, false, "cannot read the counters: %s\n", err);
		return;
	}
	if ((out = open_memstream(&buf, &len)) == NULL) {
		free(cs.v);
		ctl_reply(m, c, false, "out of memory\n");
		return;
	}
	if (json)
		fputc('{', out);
	write_table_state(out, json, ts);
	if (json)
		fputc(',', out);
	if (!configured)
		fprintf(out, json ? "\"%s\":[]" : "no %s configured\n",
		    nat ? "nat" : "firewall");
	else if (nat)
		show_nat_rules(out, json, fw, &cs, known);
	else
		show_fw_rules(out, json, fw, &cs, known);
	if (json)
		fputs("}\n", out);
	free(cs.v);
	if (fclose(out) != 0) {
		free(buf);
		ctl_reply(m, c, false, "out of memory\n");
		return;
	}
	ctl_reply(m, c, true, buf != NULL ? buf : "");
	free(buf);
}

/* ---- the counters for the metrics ---- */

void
master_fw_block(struct gen *g)
{
	const struct fw_conf *fw = edged_fw(g->conf);
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
	const struct fw_conf *fw = edged_fw(g->conf);
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

/* ---- edgectl firewall ... ---- */

/*
 * firewall flush: table inet edged out of the kernel now, in one
 * transaction that names it alone (fw_kernel_remove).  fw_applied then
 * says so (FW_FLUSHED), for show firewall and for the next reload,
 * which puts the table back.
 */
static void
fw_flush(struct master *m, struct ctl_client *c)
{
	const struct gen *g = gen_in_force(m);
	bool ours = g->fw_text[0] != '\0';
	int has = fw_kernel_has_table();
	char err[1024], *none;

	if (has < 0) {
		ctl_reply(m, c, false, "cannot ask the kernel about table inet "
		    FW_TABLE " (does edged have CAP_NET_ADMIN?); nothing "
		    "removed\n");
		return;
	}
	if (has && fw_kernel_remove(err, sizeof(err)) < 0) {
		log_err("edgectl: firewall flush: the kernel refused to remove "
		    "table inet %s: %s", FW_TABLE, err);
		ctl_replyf(m, c, false, "the kernel refused to remove table "
		    "inet %s: %s\n", FW_TABLE, err);
		return;
	}
	if ((none = strdup(ours ? FW_FLUSHED : "")) != NULL) {
		free(m->fw_applied);
		m->fw_applied = none;
	}
	m->fw_tampered = 0;
	if (!ours && has) {
		log_warn("edgectl: firewall flush: removed table inet %s, which "
		    "no firewall or NAT of the configuration made (left from an "
		    "earlier run, or made by hand)", FW_TABLE);
		ctl_reply(m, c, true, "no firewall or NAT configured; removed "
		    "table inet " FW_TABLE ", which was left in the kernel "
		    "(from an earlier run, or made by hand)\n");
	} else if (!ours) {
		ctl_reply(m, c, true, "no firewall or NAT configured and no "
		    "table inet " FW_TABLE " in the kernel: nothing of edged's "
		    "to remove\n");
	} else if (!has) {
		ctl_reply(m, c, true, "table inet " FW_TABLE " is not in the "
		    "kernel (already flushed, or removed by hand): nothing "
		    "removed; edgectl reload puts it back\n");
	} else {
		log_warn("edgectl: firewall flush: table inet %s removed; no "
		    "filtering and no NAT by edged until the next reload or "
		    "restart", FW_TABLE);
		ctl_reply(m, c, true, "table inet " FW_TABLE " removed: no "
		    "filtering and no NAT by edged until the next reload or "
		    "restart (edgectl reload puts it back)\n");
	}
}

static const struct {
	const char *name;
	void (*run)(struct master *, struct ctl_client *);
} fw_cmds[] = {
	{ "flush", fw_flush },
};

#define FW_NCMDS	(sizeof(fw_cmds) / sizeof(fw_cmds[0]))

void
master_fw_cmd(struct master *m, struct ctl_client *c, char **words, size_t n)
{
	const char *names[FW_NCMDS];
	char hint[128];

	for (size_t i = 0; i < FW_NCMDS; i++) {
		if (n == 2 && strcmp(words[1], fw_cmds[i].name) == 0) {
			fw_cmds[i].run(m, c);
			return;
		}
		names[i] = fw_cmds[i].name;
	}
	if (n != 2) {
		ctl_reply(m, c, false, "usage: firewall flush\n");
		return;
	}
	conf_hint(words[1], names, FW_NCMDS, hint, sizeof(hint));
	ctl_replyf(m, c, false, "unknown firewall command '%s'%s\n", words[1],
	    hint[0] != '\0' ? hint : "; the firewall command is: flush");
}

/*
 * At stop: the table stays in force (fail closed: the edge keeps
 * filtering while edged is down or restarting); the log says so, and
 * how to remove it.
 */
void
master_fw_stopping(const struct master *m)
{
	if (table_put(m))
		log_info("firewall: table inet %s stays in force after edged "
		    "stops, so that the edge keeps filtering while edged is "
		    "down or restarting; to remove it: nft delete table inet "
		    "%s (or edgectl firewall flush before stopping)", FW_TABLE,
		    FW_TABLE);
	else if (table_flushed(m))
		log_info("firewall: table inet %s was flushed (edgectl firewall "
		    "flush): nothing of edged's stays in the kernel", FW_TABLE);
}
