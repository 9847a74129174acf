/*
 * fw/fw_master.c - the firewall's runtime in the master (module.h): the
 * kernel's table inet edged kept in step with the generation in force,
 * the dynamic groups' members, the counters for the metrics, and the
 * edgectl commands group, firewall, show firewall and show nat.
 *
 * A generation's table is compiled when its file is loaded (gen_new).
 * It goes into the kernel when the generation is committed, in one
 * transaction that replaces the old table: when the kernel refuses it,
 * the old table is still in force, untouched, and the reload fails; a
 * later failure commits the old generation again, which puts its table
 * back.  A table identical to the one in force is not sent at all, so
 * counters and conntrack-dependent state are not disturbed by reloads
 * that change something else.
 *
 * The table stays in force when edged stops (fail closed).  edgectl
 * firewall flush takes it out of the kernel until the next reload or
 * restart, which put it back.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ev.h>

#include "addr.h"
#include "conf.h"
#include "file.h"
#include "fw_apply.h"
#include "fw_build.h"
#include "fw_dyn.h"
#include "fw_feed.h"
#include "fw_fetch.h"
#include "fw_steer.h"
#include "fw_klb.h"
#include "fw_master.h"
#include "fw_module.h"
#include "fw_netlink.h"
#include "fw_nft.h"
#include "fw_route.h"
#include "fw_stats.h"
#include "log.h"
#include "mem.h"
#include "text.h"

/* What the firewall keeps in the master, across generations. */
struct fw_master {
	const struct edged_host *host;
	struct fw_nl *nl;		/* nfnetlink: group changes, counters;
					 * opened once needed */
	char *applied;			/* the table in the kernel as we put
					 * it there; NULL: not yet */
	struct fw_build_state *built;	/* its handles, for reloads that
					 * send what changed (fw_build.h) */
	ev_io watch;			/* nftables change notices (fd -1:
					 * none) */
	struct fw_nl_self self;		/* edged, as the notices name it */
	struct fw_nl_gen ngen;		/* the notices' generation being
					 * read */
	int tampered;			/* enum fw_nl_verdict of the last
					 * change by something else since
					 * edged's table went in; 0 none */
	struct fw_dyn dyn;		/* dynamic groups' members */
	struct fw_dyn fed;		/* fed groups' members: their last
					 * good lists */
	struct fw_feeds *feeds;		/* the fed groups' readers */
	struct fw_steer *steer;		/* service insertion: monitors,
					 * routes (fw_steer.h) */
	struct fw_fetcher *fetcher;	/* HTTP(S) GETs, for both
					 * (fw_fetch.h) */
	struct fw_klb *klb;		/* the kernel's virtual servers:
					 * weights, slots (fw_klb.h) */
	unsigned routed;		/* families whose transparent rule
					 * and route are in (fw_route.h) */
	bool routes_known;		/* routed is what the kernel has
					 * (after the first commit) */
	const struct fw_gen *cur;	/* the generation in force */
};

/* A generation's firewall. */
struct fw_gen {
	const struct fw_conf *conf;
	char *text;			/* its table (fw_nft.h); "" without
					 * firewall, NAT or kernel virtual
					 * servers */
	struct edged_kservice *ks;	/* the virtual servers the kernel
					 * balances (copies) */
	size_t nks;
	unsigned transparent;		/* families of transparent pools
					 * (fw_route.h) */
	char state_dir[256];		/* where its groups' members are
					 * kept */
	int blk_fd;			/* its counters for the metrics
					 * (fw_stats.h): a memfd, or -1 */
	struct fw_stats blk;		/* mapped */
	size_t blk_len;
};

/* the state file of dynamic groups' members */
static void
state_path(const char *dir, char *buf, size_t size)
{
	snprintf(buf, size, "%s/groups", dir);
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
table_flushed(const struct fw_master *fm)
{
	return fm->applied != NULL && strcmp(fm->applied, FW_FLUSHED) == 0;
}

/* Whether the master put a table in the kernel (that a flush did not
 * take out since). */
static bool
table_put(const struct fw_master *fm)
{
	return fm->applied != NULL && fm->applied[0] != '\0' &&
	    !table_flushed(fm);
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
	struct fw_master *fm = w->data;
	enum fw_nl_verdict v;

	(void)loop;
	(void)revents;
	v = fw_nl_watch_drain(w->fd, FW_TABLE, &fm->self, &fm->ngen);
	if (v == FW_NL_NONE || !table_put(fm))
		return;
	if (v != (enum fw_nl_verdict)fm->tampered)
		log_warn("firewall: table inet %s %s while edged runs: %s; "
		    "edgectl reload puts edged's back", FW_TABLE,
		    tamper_why[v], v == FW_NL_REMOVED ? "no filtering and no "
		    "NAT by edged" : "its rules may not be the "
		    "configuration's");
	fm->tampered = (int)v;
}

/* Listens to the notices once a table of edged's is in the kernel. */
static void
watch_start(struct fw_master *fm)
{
	char err[256];
	int fd;

	if (fm->watch.data == NULL || fm->watch.fd >= 0 || !table_put(fm))
		return;
	if ((fd = fw_nl_watch_open(err, sizeof(err))) < 0) {
		log_warn("firewall: %s: changes made to table inet %s by "
		    "something else go unnoticed until a reload", err,
		    FW_TABLE);
		return;
	}
	ev_io_set(&fm->watch, fd, EV_READ);
	ev_io_start(fm->host->loop, &fm->watch);
}

static void
watch_init(struct fw_master *fm)
{
	FILE *f = fopen("/proc/self/comm", "re");

	fm->self.pid = (uint32_t)getpid();
	if (f == NULL || fgets(fm->self.name, sizeof(fm->self.name),
	    f) == NULL)
		snprintf(fm->self.name, sizeof(fm->self.name), "edged");
	if (f != NULL)
		fclose(f);
	fm->self.name[strcspn(fm->self.name, "\n")] = '\0';
	ev_io_init(&fm->watch, watch_io_cb, -1, EV_READ);
	fm->watch.data = fm;
}

static void
watch_close(struct fw_master *fm)
{
	if (fm->watch.data == NULL || fm->watch.fd < 0)
		return;
	ev_io_stop(fm->host->loop, &fm->watch);
	(void)close(fm->watch.fd);
	ev_io_set(&fm->watch, -1, EV_READ);
}

/* Whether g's table is the one in force, and needs no sending (it is
 * sent again when gone from the kernel, or changed there by something
 * other than edged: a reload puts edged's back). */
static bool
in_force(const struct fw_master *fm, const struct fw_gen *g)
{
	int has;

	if (fm->applied == NULL || strcmp(fm->applied, g->text) != 0)
		return false;
	has = g->text[0] == '\0' ? 1 : fw_kernel_has_table();
	if (has < 0 || (has == 1 && (g->text[0] == '\0' ||
	    fm->tampered == 0)))
		return true;
	log_warn("firewall: table inet %s %s; putting it back", FW_TABLE,
	    has ? tamper_why[fm->tampered] : tamper_why[FW_NL_REMOVED]);
	return false;
}

static int fw_netlink(struct fw_master *fm, char *err, size_t errsize);

/* The members of the dynamic and fed groups whose sets the batch made,
 * and the kernel's virtual servers' slots, queued after g's table. */
static int
queue_members(struct fw_master *fm, const struct fw_gen *g)
{
	if (g->text[0] == '\0')
		return 0;
	if (fw_dyn_queue_all(fm->nl, &fm->dyn, g->conf, false,
	    fm->built) < 0 || fw_dyn_queue_all(fm->nl, &fm->fed, g->conf,
	    true, fm->built) < 0 || fw_klb_queue_ready(fm->klb, fm->nl) < 0)
		return -1;
	return 0;
}

/* g's table as a batch: what changed since the table in force when the
 * builder knows it, else the whole table.  0, 1 (built whole), or -1
 * when the builder does not know a line of it. */
static int
build(struct fw_master *fm, const struct fw_gen *g, bool whole,
    size_t *changes, char *err, size_t errsize)
{
	int rc = 1;

	if (!whole && table_put(fm) && fm->tampered == 0) {
		fw_nl_begin(fm->nl, FW_TABLE);
		rc = fw_build_update(fm->nl, fm->applied, g->text, fm->built,
		    changes, err, errsize);
	}
	if (rc == 1) {
		fw_nl_begin(fm->nl, FW_TABLE);
		if (fw_build_table(fm->nl, g->text, fm->built, err,
		    errsize) < 0)
			rc = -1;
	}
	return rc;
}

/*
 * g's table built as nfnetlink messages (fw_build.h), with the members
 * of the sets it makes and the kernel's virtual servers' slots, in one
 * transaction: only what changed when it can.  0; -1 with err when it
 * was refused (or out of memory); -2 with err when the builder does not
 * know a line of the text, sending nothing (then libnftables applies
 * it).  *changes: the messages of a change, 0 for a whole table.
 */
static int
send_built(struct fw_master *fm, const struct fw_gen *g, size_t *changes,
    char *err, size_t errsize)
{
	bool whole = false;
	int rc;

	if (fw_netlink(fm, err, errsize) < 0)
		return -1;
	if (fm->built == NULL && (fm->built = fw_build_state_new()) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	for (;;) {
		*changes = 0;
		if ((rc = build(fm, g, whole, changes, err, errsize)) < 0) {
			fw_build_forget(fm->built);
			return -2;
		}
		if (queue_members(fm, g) < 0) {
			snprintf(err, errsize, "out of memory");
			rc = -1;
		} else {
			rc = fw_nl_commit(fm->nl, err, errsize);
		}
		if (rc < 0)
			fw_build_forget(fm->built);
		/* a change the kernel refused: the whole table, once */
		if (rc == 0 || whole || *changes == 0)
			return rc;
		log_warn("firewall: the change to table inet %s was refused "
		    "(%s); sending the whole table", FW_TABLE, err);
		whole = true;
	}
}

/* The same through libnftables, when the builder does not know a line
 * of g's text (an nft statement edged learnt to write and the builder
 * not yet): the members and slots as nft commands after it. */
static int
send_text(struct fw_master *fm, const struct fw_gen *g, const char *klb,
    char *err, size_t errsize)
{
	char *dyn = fw_dyn_elements(&fm->dyn, g->conf, false);
	char *fed = fw_dyn_elements(&fm->fed, g->conf, true);
	char *extra = NULL;
	int rc = -1;

	if (dyn == NULL || fed == NULL || asprintf(&extra, "%s%s%s", dyn,
	    fed, klb) < 0) {
		extra = NULL;
		snprintf(err, errsize, "out of memory");
	} else {
		rc = fw_kernel_replace(g->text, extra, err, errsize);
	}
	free(dyn);
	free(fed);
	free(extra);
	return rc;
}

/* g's table and the dynamic groups' members into the kernel, in one
 * transaction; 0, or -1 with err.  *ms: how long the kernel took. */
static int
replace_table(struct fw_master *fm, const struct fw_gen *g, double *ms,
    size_t *changes, char *err, size_t errsize)
{
	char *copy = strdup(g->text), *klb = NULL;
	ev_tstamp t0 = ev_time();
	int rc = -1;

	if (copy == NULL || fw_klb_prepare(fm->klb, g->ks, g->nks) < 0) {
		snprintf(err, errsize, "out of memory");
		goto out;
	}
	/* the kernel LB's elements as nft text only for libnftables */
	if ((rc = send_built(fm, g, changes, err, errsize)) == -2) {
		log_warn("firewall: %s; applying the table through "
		    "libnftables", err);
		if ((klb = fw_klb_elements(fm->klb)) == NULL) {
			snprintf(err, errsize, "out of memory");
			goto out;
		}
		rc = send_text(fm, g, klb, err, errsize);
	}
	if (rc == 0) {
		*ms = (ev_time() - t0) * 1000.0;
		free(fm->applied);
		fm->applied = copy;
		copy = NULL;
		fw_klb_installed(fm->klb);
		/* its notices, edged's own, come later and are told apart */
		fm->tampered = 0;
	}
out:
	free(copy);
	free(klb);
	return rc < 0 ? -1 : 0;
}

/* Puts g's table in force unless it already is; 0, or -1 with err
 * (then what was in force stays). */
static int
sync_table(struct fw_master *fm, const struct fw_gen *g, char *err,
    size_t errsize)
{
	const struct fw_conf *fw = g->conf;
	bool back = table_flushed(fm);
	double ms = 0;
	size_t changes = 0;
	char how[64] = "";

	if (in_force(fm, g))
		return 0;
	/* Nothing to put in the kernel and nothing put there yet: the
	 * kernel is only read, and a table an earlier run left is
	 * removed.  A load balancer alone changes nothing there, and
	 * needs no privilege for it (a kernel that cannot be asked holds
	 * no table of ours either). */
	if (g->text[0] == '\0' && (fm->applied == NULL || back) &&
	    fw_kernel_has_table() != 1) {
		free(fm->applied);
		fm->applied = strdup("");
		return 0;
	}
	if (replace_table(fm, g, &ms, &changes, err, errsize) < 0)
		return -1;
	watch_start(fm);
	if (changes > 0)
		snprintf(how, sizeof(how), ", what changed only (%zu "
		    "messages)", changes);
	if (g->text[0] != '\0')
		log_info("firewall: table inet %s applied (%zu rules, %zu NAT "
		    "rules, %zu groups, %zu l4-kernel virtual servers%s%s) in "
		    "%.1f ms%s", FW_TABLE, fw->nrules, fw->nnats, fw->ngroups,
		    g->nks, g->transparent ? ", transparent pools" : "", how,
		    ms, back ? "; back in the kernel after edgectl firewall "
		    "flush" : "");
	else
		log_info("firewall: no firewall, NAT, l4-kernel virtual server "
		    "or transparent pool configured; table inet %s removed",
		    FW_TABLE);
	if ((fw_wants_forwarding(fw) || g->nks > 0) &&
	    fw_enable_forwarding(err, errsize) < 0)
		log_warn("firewall: cannot turn IP forwarding on: %s", err);
	return 0;
}

/*
 * The transparent pools' rule and route in for the families of want,
 * out for the others that edged put in (at the first commit: any, in
 * case an earlier run left them, quietly: an edged without privilege,
 * a load balancer alone, has none to remove).  A failure is logged: the
 * table is in force, and those pools' connections fail until a reload.
 */
static void
sync_routes(struct fw_master *fm, unsigned want)
{
	char err[512];

	for (unsigned bit = 1; bit <= 2; bit++) {
		bool on = (want & bit) != 0;
		int family = bit == 1 ? AF_INET : AF_INET6;

		if (fm->routes_known && on == ((fm->routed & bit) != 0))
			continue;
		if (fw_route_transparent(family, on, err, sizeof(err)) < 0) {
			if (on || fm->routes_known)
				log_err("transparent pools: %s", err);
			continue;
		}
		if (on) {
			fm->routed |= bit;
			log_info("transparent pools: IPv%c replies marked %#x "
			    "are delivered locally (ip rule fwmark %#x lookup "
			    "%d; local default dev lo in table %d)",
			    bit == 1 ? '4' : '6', FW_TPROXY_MARK,
			    FW_TPROXY_MARK, FW_TPROXY_TABLE, FW_TPROXY_TABLE);
		} else
			fm->routed &= ~bit;
	}
	fm->routes_known = true;
}

/*
 * The groups no more fed in c: their last good lists dropped, from
 * memory and from the state directory, so that a group fed again later
 * starts from its feed, not from a list that may be long stale.
 */
static void
feeds_forget(struct fw_master *fm, const struct fw_conf *c)
{
	char path[1024];
	size_t k = 0;

	for (size_t i = 0; i < fm->fed.n; i++) {
		struct fw_dyn_group *dg = &fm->fed.groups[i];
		long gi = fw_group_find(c, dg->name);

		if (gi >= 0 && c->groups[gi].feed != NULL) {
			fm->fed.groups[k++] = *dg;
			continue;
		}
		snprintf(path, sizeof(path), "%s/feeds/%s",
		    fm->cur->state_dir, dg->name);
		if (unlink(path) < 0 && errno != ENOENT)
			log_warn("firewall: %s: %s", path, strerror(errno));
		else
			log_info("firewall: address-group %s is fed no more: "
			    "its last list forgotten", dg->name);
		free(dg->addrs);
	}
	fm->fed.n = k;
}

int
fw_master_commit(void *ms, void *gd, char *err, size_t errsize)
{
	struct fw_master *fm = ms;
	const struct fw_gen *g = gd;
	char why[1536];

	if (sync_table(fm, g, why, sizeof(why)) < 0) {
		snprintf(err, errsize, "the kernel refused the firewall and "
		    "NAT rules: %s", why);
		return -1;
	}
	fm->cur = g;
	sync_routes(fm, g->transparent);
	feeds_forget(fm, g->conf);
	fw_feeds_sync(fm->feeds, g->conf);
	fw_steer_sync(fm->steer, g->conf);
	return 0;
}

/* The master's nfnetlink socket, opened once needed; 0 or -1 with err. */
static int
fw_netlink(struct fw_master *fm, char *err, size_t errsize)
{
	if (fm->nl == NULL)
		fm->nl = fw_nl_open(err, errsize);
	return fm->nl != NULL ? 0 : -1;
}

/* g's sets from before's members to after's (before NULL: emptied
 * first), in one transaction.  0, or -1 with err. */
static int
group_to_kernel(struct fw_master *fm, const struct fw_group *g,
    const struct fw_dyn_group *before, const struct fw_dyn_group *after,
    char *err, size_t errsize)
{
	if (fw_netlink(fm, err, errsize) < 0)
		return -1;
	fw_nl_begin(fm->nl, FW_TABLE);
	if (fw_dyn_queue(fm->nl, g, before, after) < 0) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	return fw_nl_commit(fm->nl, err, errsize);
}

/*
 * The address-group called name in fw: a dynamic one, or with show any.
 * Else NULL, and c is told why: a static group cannot change at run
 * time, an unknown name gets "did you mean" among the groups it could
 * have meant.
 */
static const struct fw_group *
group_lookup(struct fw_master *fm, struct edged_ctl *c,
    const struct fw_conf *fw, const char *name, bool show)
{
	const char **cands;
	char hint[128];
	size_t n = 0;
	long gi = fw_group_find(fw, name);

	if (gi >= 0 && (show || fw->groups[gi].dynamic))
		return &fw->groups[gi];
	if (gi >= 0) {
		edged_replyf(fm->host, c, false, "group %s is a static "
		    "address-group (its members are in the configuration file) "
		    "and cannot change at run time; only a group with "
		    "`dynamic` can; nothing changed\n", name);
		return NULL;
	}
	if ((cands = calloc(fw->ngroups + 1, sizeof(*cands))) == NULL) {
		fm->host->reply(c, false, "out of memory\n");
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
	edged_replyf(fm->host, c, false, "no %saddress-group '%s' in the "
	    "configuration in force%s\n", show ? "" : "dynamic ", name, hint);
	free(cands);
	return NULL;
}

/* group show NAME [json]: a dynamic group's members as the master keeps
 * them (what the kernel's sets hold), a static one's from the file. */
static void
group_show(struct fw_master *fm, struct edged_ctl *c, const struct fw_group *g,
    bool json)
{
	const struct fw_dyn_group *dg = g->dynamic ?
	    fw_dyn_get(g->feed != NULL ? &fm->fed : &fm->dyn, g->name,
	    false) : NULL;
	const struct fw_prefix *v = g->dynamic ? (dg ? dg->addrs : NULL) :
	    g->members;
	size_t nv = g->dynamic ? (dg ? dg->n : 0) : g->nmembers;
	char a[64];
	struct text t;
	FILE *out = text_open(&t);

	if (out == NULL) {
		fm->host->reply(c, false, "out of memory\n");
		return;
	}
	if (json)
		fprintf(out, "{\"group\":\"%s\",\"dynamic\":%s,", g->name,
		    g->dynamic ? "true" : "false");
	if (g->feed != NULL)
		(void)fw_feeds_status(fm->feeds, g->name, json, out);
	if (json)
		fputs("\"members\":[", out);
	for (size_t i = 0; i < nv; i++) {
		fw_prefix_fmt(a, sizeof(a), &v[i]);
		if (json)
			fprintf(out, "%s\"%s\"", i ? "," : "", a);
		else
			fprintf(out, "%s\n", a);
	}
	if (json)
		fputs("]}\n", out);
	edged_reply_text(fm->host, c, true, &t);
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
group_addrs(struct fw_master *fm, struct edged_ctl *c,
    const struct fw_dyn_group *dg, enum group_op op, char **words, size_t n,
    const char *name, struct fw_prefix *addrs)
{
	size_t na = 0;

	for (size_t i = 0; i < n; i++) {
		struct fw_prefix *p = &addrs[na];

		int r = fw_prefix_parse(words[i], p);

		if (r < 0) {
			edged_replyf(fm->host, c, false, "group %s: '%s' is "
			    "not an IPv4 or IPv6 address or prefix%s; nothing "
			    "changed\n", name, words[i], r == -2 ? " (bits "
			    "set after the prefix length: the network "
			    "address?)" : "");
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

/* next: dg's members with op's addresses added, taken away, or in their
 * place.  0, or -1 out of memory. */
static int
group_next(struct fw_dyn_group *next, const struct fw_dyn_group *dg,
    enum group_op op, const struct fw_prefix *addrs, size_t na)
{
	if (op == GROUP_SET) {
		*next = *dg;
		next->addrs = NULL;
		next->n = 0;
	} else if (fw_dyn_copy(next, dg) < 0)
		return -1;
	for (size_t i = 0; i < na; i++) {
		if (op == GROUP_DEL)
			fw_dyn_del(next, &addrs[i]);
		else if (fw_dyn_add(next, &addrs[i]) < 0) {
			free(next->addrs);
			return -1;
		}
	}
	return 0;
}

/* The master's copy made next after the kernel took the change, and the
 * state file: -1 with why in err when the file could not be written (the
 * change holds, the file keeps the members it had). */
static int
group_keep(struct fw_master *fm, const struct fw_gen *g,
    struct fw_dyn_group *dg, struct fw_dyn_group *next, char *err,
    size_t errsize)
{
	char path[512];

	free(dg->addrs);
	*dg = *next;
	state_path(g->state_dir, path, sizeof(path));
	if (fw_dyn_save(&fm->dyn, g->state_dir, path, err, errsize) < 0) {
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
group_change(struct fw_master *fm, struct edged_ctl *c, const struct fw_gen *g,
    const struct fw_group *fg, enum group_op op, char **words, size_t n)
{
	struct fw_prefix *addrs;
	struct fw_dyn_group *dg, next;
	bool flushed = table_flushed(fm);
	bool in_kernel = table_put(fm);
	const char *note = in_kernel ? "" : flushed ? " (table inet " FW_TABLE
	    " is flushed: in the kernel from the next reload or restart)" :
	    " (no firewall or NAT in force: no table to put it in yet)";
	char err[1024];
	ssize_t na;
	bool saved;

	if ((addrs = calloc(n + 1, sizeof(*addrs))) == NULL ||
	    (dg = fw_dyn_get(&fm->dyn, fg->name, true)) == NULL) {
		free(addrs);
		fm->host->reply(c, false, "out of memory\n");
		return;
	}
	if ((na = group_addrs(fm, c, dg, op, words, n, fg->name, addrs)) < 0)
		goto free_addrs;
	if (op != GROUP_SET && na == 0) {
		edged_replyf(fm->host, c, true, "group %s: nothing to change "
		    "(%zu members)\n", fg->name, dg->n);
		goto free_addrs;
	}
	if (group_next(&next, dg, op, addrs, (size_t)na) < 0) {
		fm->host->reply(c, false, "out of memory\n");
		goto free_addrs;
	}
	if (in_kernel && group_to_kernel(fm, fg, op == GROUP_SET ? NULL : dg,
	    &next, err, sizeof(err)) < 0) {
		edged_replyf(fm->host, c, false, "group %s: the kernel refused "
		    "the change: %s; nothing changed\n", fg->name, err);
		free(next.addrs);
		goto free_addrs;
	}
	saved = group_keep(fm, g, dg, &next, err, sizeof(err)) == 0;
	log_info("edgectl: group %s %s: %zd address%s; %zu member%s%s",
	    fg->name, group_ops[op], na, na == 1 ? "" : "es", dg->n,
	    dg->n == 1 ? "" : "s", note);
	edged_replyf(fm->host, c, true, "group %s: %s %zd address%s; %zu "
	    "member%s%s%s%s%s\n", fg->name, op == GROUP_ADD ? "added"
	    : op == GROUP_DEL ? "removed" : "set to", na, na == 1 ? "" : "es",
	    dg->n, dg->n == 1 ? "" : "s", note, saved ? "" : "\nwarning: not "
	    "saved (", saved ? "" : err, saved ? "" : "): the change holds "
	    "until edged restarts");
free_addrs:
	free(addrs);
}

/* The group args[0] names in the configuration in force: a dynamic one
 * (any with show), else NULL after answering c. */
static const struct fw_group *
group_arg(struct fw_master *fm, struct edged_ctl *c, char **args, bool show)
{
	return group_lookup(fm, c, fm->cur->conf, args[0], show);
}

/* group add|del|set NAME ADDR... (set without addresses empties it) */
static void
group_cmd(void *ms, struct edged_ctl *c, char **args, size_t n,
    enum group_op op)
{
	struct fw_master *fm = ms;
	const struct fw_group *fg = group_arg(fm, c, args, false);

	if (fg != NULL && fg->feed != NULL)
		edged_replyf(fm->host, c, false, "group %s is fed from %s: its "
		    "members follow the feed; nothing changed\n", fg->name,
		    fg->feed->url);
	else if (fg != NULL)
		group_change(fm, c, fm->cur, fg, op, args + 1, n - 1);
}

void
fw_cmd_group_add(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	(void)json;
	group_cmd(ms, c, args, n, GROUP_ADD);
}

void
fw_cmd_group_del(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	(void)json;
	group_cmd(ms, c, args, n, GROUP_DEL);
}

void
fw_cmd_group_set(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	(void)json;
	group_cmd(ms, c, args, n, GROUP_SET);
}

/* group show NAME [json] */
void
fw_cmd_group_show(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	struct fw_master *fm = ms;
	const struct fw_group *fg = group_arg(fm, c, args, true);

	(void)n;
	if (fg != NULL)
		group_show(fm, c, fg, json);
}

/* ---- show firewall, show nat ---- */

struct counter {
	char name[2 * FW_NAME_MAX + 16];	/* km_VS_I: the longest */
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

	if (mem_grow(&cs->v, &cs->cap, cs->n + 1, sizeof(*cs->v)) == -1) {
		cs->oom = true;
		return;
	}
	k = &cs->v[cs->n++];
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->packets = packets;
	k->bytes = bytes;
}

/* The named counters of the table in force; 0 or -1 with err. */
static int
read_counters(struct fw_master *fm, struct counters *cs, char *err,
    size_t errsize)
{
	memset(cs, 0, sizeof(*cs));
	if (fw_netlink(fm, err, errsize) < 0 ||
	    fw_nl_counters(fm->nl, FW_TABLE, take_counter, cs, err,
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

/* The counters of the table in force (none when there is none) into
 * cs: true, or false after telling c why not. */
static bool
counters_for(struct fw_master *fm, struct edged_ctl *c, struct counters *cs)
{
	char err[1024];

	memset(cs, 0, sizeof(*cs));
	if (!table_put(fm) || read_counters(fm, cs, err, sizeof(err)) == 0)
		return true;
	edged_replyf(fm->host, c, false, "cannot read the kernel's counters: "
	    "%s\n", err);
	return false;
}

/* The counter called name among v, sorted by read_counters; NULL when
 * there is none. */
static const struct counter *
find_counter(const struct counter *v, size_t n, const char *name)
{
	struct counter want;

	snprintf(want.name, sizeof(want.name), "%s", name);
	return n > 0 ? bsearch(&want, v, n, sizeof(*v), cmp_counter) : NULL;
}

static const struct counter *
counter_of(const struct counter *v, size_t n, const struct fw_conf *fw,
    size_t slot)
{
	char name[sizeof(v->name)];

	/* the slots of fw_stats.h name every counter of the table */
	fw_stats_counter(fw, slot, name, sizeof(name));
	return find_counter(v, n, name);
}

/* Kernel-balanced member i of ks: its new flows (kn_VS_I) and its
 * packets and bytes (km_VS_I). */
static void
kmember_counters(const struct counter *v, size_t n,
    const struct edged_kservice *ks, size_t i, const struct counter **flows,
    const struct counter **pkts)
{
	char name[sizeof(v->name)];

	snprintf(name, sizeof(name), "kn_%s_%zu", ks->name, i);
	*flows = find_counter(v, n, name);
	snprintf(name, sizeof(name), "km_%s_%zu", ks->name, i);
	*pkts = find_counter(v, n, name);
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
table_state(const struct fw_master *fm, const struct fw_gen *g)
{
	int has = fw_kernel_has_table();

	if (has < 0)
		return TS_UNKNOWN;
	if (g->text[0] == '\0')
		return has ? TS_LEFTOVER : TS_NONE;
	if (has)
		return fm->tampered != 0 ? TS_CHANGED : TS_IN_FORCE;
	return table_flushed(fm) ? TS_FLUSHED : TS_MISSING;
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
static void
show(struct fw_master *fm, struct edged_ctl *c, bool json, bool nat)
{
	const struct fw_gen *g = fm->cur;
	const struct fw_conf *fw = g->conf;
	enum table_state ts = table_state(fm, g);
	bool configured = nat ? fw->nnats > 0 : fw->firewall;
	bool known = configured && ts == TS_IN_FORCE;
	struct counters cs = { 0 };
	char err[1024];
	struct text t;
	FILE *out;

	if (known && read_counters(fm, &cs, err, sizeof(err)) < 0) {
		edged_replyf(fm->host, c, false, "cannot read the counters: "
		    "%s\n", err);
		return;
	}
	if ((out = text_open(&t)) == NULL) {
		free(cs.v);
		fm->host->reply(c, false, "out of memory\n");
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
	edged_reply_text(fm->host, c, true, &t);
}

/* ---- the counters for the metrics ---- */

/* g's block of firewall counters, when it has a table (a failure is
 * logged: the metrics go without those figures). */
static void
counters_block(struct fw_gen *g)
{
	const struct fw_conf *fw = g->conf;
	size_t len, nkm = 0, k = 0;
	void *mem;
	int fd;

	if (g->text[0] == '\0')
		return;
	for (size_t j = 0; j < g->nks; j++)
		nkm += g->ks[j].nmembers;
	len = fw_stats_size(fw, nkm);
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
	fw_stats_init(&g->blk, mem, fw, nkm);
	for (size_t j = 0; j < g->nks; j++)
		for (size_t i = 0; i < g->ks[j].nmembers; i++, k++) {
			snprintf(g->blk.km[k].vs, sizeof(g->blk.km[k].vs),
			    "%s", g->ks[j].name);
			snprintf(g->blk.km[k].member,
			    sizeof(g->blk.km[k].member), "%s",
			    g->ks[j].members[i].name);
		}
	g->blk_fd = fd;
	g->blk_len = len;
}

/* The block's next entry, as fw_klb_each goes through the services in
 * force. */
struct kstate_cursor {
	struct fw_stats *v;
	size_t k;
};

/* fw_klb_each's: a member's weight and slots in force, into the block's
 * next entry.  The services in force are g's, in g's order (the caller
 * checks fm->cur == g), as the block's entries are; the names are
 * checked all the same. */
static void
kmember_state(const struct edged_kservice *ks, size_t i, unsigned weight,
    unsigned slots, unsigned nslots, bool cut, void *arg)
{
	struct kstate_cursor *cur = arg;
	struct fw_stats_kmember *e;

	(void)nslots;
	(void)cut;
	if (cur->k >= cur->v->hdr->nkm)
		return;
	e = &cur->v->km[cur->k++];
	if (strncmp(e->vs, ks->name, sizeof(e->vs)) != 0 ||
	    strncmp(e->member, ks->members[i].name, sizeof(e->member)) != 0)
		return;
	atomic_store_explicit(&e->weight, weight, memory_order_relaxed);
	atomic_store_explicit(&e->slots, slots, memory_order_relaxed);
}

/* The kernel-balanced members' figures into g's block. */
static void
publish_kmembers(const struct fw_master *fm, struct fw_gen *g,
    const struct counters *cs)
{
	struct fw_stats *v = &g->blk;
	size_t k = 0;

	for (size_t j = 0; j < g->nks; j++)
		for (size_t i = 0; i < g->ks[j].nmembers; i++, k++) {
			const struct counter *flows, *pkts;

			kmember_counters(cs->v, cs->n, &g->ks[j], i, &flows,
			    &pkts);
			atomic_store_explicit(&v->km[k].flows, flows ?
			    flows->packets : 0, memory_order_relaxed);
			atomic_store_explicit(&v->km[k].packets, pkts ?
			    pkts->packets : 0, memory_order_relaxed);
			atomic_store_explicit(&v->km[k].bytes, pkts ?
			    pkts->bytes : 0, memory_order_relaxed);
		}
	if (fm->cur == g)
		fw_klb_each(fm->klb, kmember_state,
		    &(struct kstate_cursor){ .v = v });
}

static void
counters_block_release(struct fw_gen *g)
{
	if (g->blk_fd < 0)
		return;
	(void)munmap(g->blk.hdr, g->blk_len);
	(void)close(g->blk_fd);
	g->blk_fd = -1;
	g->blk.hdr = NULL;
}

/* A worker of g asks for fresh figures in g's block. */
static void
publish(struct fw_master *fm, struct fw_gen *g)
{
	const struct fw_conf *fw = g->conf;
	struct fw_stats *v = &g->blk;
	struct counters cs;
	char err[1024];

	if (g->blk_fd < 0)
		return;
	if (read_counters(fm, &cs, err, sizeof(err)) < 0) {
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
	publish_kmembers(fm, g, &cs);
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
fw_flush(struct fw_master *fm, struct edged_ctl *c)
{
	const struct fw_gen *g = fm->cur;
	bool ours = g->text[0] != '\0';
	int has = fw_kernel_has_table();
	char err[1024], *none;

	if (has < 0) {
		fm->host->reply(c, false, "cannot ask the kernel about table "
		    "inet " FW_TABLE " (does edged have CAP_NET_ADMIN?); "
		    "nothing removed\n");
		return;
	}
	if (has && fw_kernel_remove(err, sizeof(err)) < 0) {
		log_err("edgectl: firewall flush: the kernel refused to remove "
		    "table inet %s: %s", FW_TABLE, err);
		edged_replyf(fm->host, c, false, "the kernel refused to remove "
		    "table inet %s: %s\n", FW_TABLE, err);
		return;
	}
	fw_steer_clear(fm->steer);
	if ((none = strdup(ours ? FW_FLUSHED : "")) != NULL) {
		free(fm->applied);
		fm->applied = none;
	}
	fm->tampered = 0;
	if (!ours && has) {
		log_warn("edgectl: firewall flush: removed table inet %s, "
		    "which no firewall or NAT of the configuration made (left "
		    "from an earlier run, or made by hand)", FW_TABLE);
		fm->host->reply(c, true, "no firewall or NAT configured; "
		    "removed table inet " FW_TABLE ", which was left in the "
		    "kernel (from an earlier run, or made by hand)\n");
	} else if (!ours) {
		fm->host->reply(c, true, "no firewall or NAT configured and no "
		    "table inet " FW_TABLE " in the kernel: nothing of edged's "
		    "to remove\n");
	} else if (!has) {
		fm->host->reply(c, true, "table inet " FW_TABLE " is not in "
		    "the kernel (already flushed, or removed by hand): nothing "
		    "removed; edgectl reload puts it back\n");
	} else {
		log_warn("edgectl: firewall flush: table inet %s removed; no "
		    "filtering and no NAT by edged until the next reload or "
		    "restart", FW_TABLE);
		fm->host->reply(c, true, "table inet " FW_TABLE " removed: no "
		    "filtering and no NAT by edged until the next reload or "
		    "restart (edgectl reload puts it back)\n");
	}
}

void
fw_cmd_flush(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	(void)args;
	(void)n;
	(void)json;
	fw_flush(ms, c);
}

void
fw_cmd_show_firewall(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	(void)args;
	(void)n;
	show(ms, c, json, false);
}

void
fw_cmd_show_nat(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	(void)args;
	(void)n;
	show(ms, c, json, true);
}

/*
 * At stop: the table stays in force (fail closed: the edge keeps
 * filtering while edged is down or restarting); the log says so, and
 * how to remove it.
 */
void
fw_master_stop(void *ms)
{
	const struct fw_master *fm = ms;

	if (table_put(fm))
		log_info("firewall: table inet %s stays in force after edged "
		    "stops, so that the edge keeps filtering while edged is "
		    "down or restarting; to remove it: nft delete table inet "
		    "%s (or edgectl firewall flush before stopping)", FW_TABLE,
		    FW_TABLE);
	else if (table_flushed(fm))
		log_info("firewall: table inet %s was flushed (edgectl "
		    "firewall flush): nothing of edged's stays in the kernel",
		    FW_TABLE);
}

/* ---- the kernel's virtual servers ---- */

/*
 * The weights in force of service's members, from the load balancer
 * (module.h's kernel_weights): recorded for the next table, and put in
 * the kernel's map now when the table in force has the service: an
 * element change, not a table rewrite.
 */
void
fw_master_kernel_weights(void *ms, const char *service,
    const struct edged_kweight *w, size_t n)
{
	struct fw_master *fm = ms;
	char err[1024], what[1024];
	ev_tstamp t0 = ev_time();
	int rc;

	if (fw_klb_weights(fm->klb, service, w, n) < 0) {
		log_err("firewall: virtual-server %s: out of memory; the "
		    "kernel's slots stay as they are", service);
		return;
	}
	if (!table_put(fm))
		return;
	if (fw_netlink(fm, err, sizeof(err)) < 0) {
		log_err("firewall: virtual-server %s: %s", service, err);
		return;
	}
	fw_nl_begin(fm->nl, FW_TABLE);
	if ((rc = fw_klb_queue(fm->klb, fm->nl, service, what,
	    sizeof(what))) != 0 || what[0] == '\0') {
		if (rc < 0)
			log_err("firewall: virtual-server %s: out of memory",
			    service);
		fw_klb_sent(fm->klb, false);
		return;
	}
	rc = fw_nl_commit(fm->nl, err, sizeof(err));
	fw_klb_sent(fm->klb, rc == 0);
	if (rc < 0)
		log_err("firewall: virtual-server %s: the kernel refused the "
		    "new slots: %s", service, err);
	else
		log_info("firewall: virtual-server %s: the kernel's slots now "
		    "%s (%.1f ms)", service, what, (ev_time() - t0) * 1000.0);
}

/* edgectl show l4-kernel: each member of each virtual server the kernel
 * balances, with its counters. */
struct klb_show {
	FILE *out;
	bool json, first;
	const struct counter *v;
	size_t n;
};

static void
klb_row(const struct edged_kservice *ks, size_t i, unsigned weight,
    unsigned slots, unsigned nslots, bool cut, void *arg)
{
	struct klb_show *s = arg;
	const struct edged_kmember *m = &ks->members[i];
	const struct counter *flows, *pkts;
	double wt = (double)weight / EDGED_KWEIGHT_SCALE;
	char name[160], a[64];

	kmember_counters(s->v, s->n, ks, i, &flows, &pkts);
	addr_fmt(a, sizeof(a), (const struct sockaddr *)&m->addr);
	if (s->json) {
		fprintf(s->out, "%s{\"virtual_server\":", s->first ? "" : ",");
		text_json_string(s->out, ks->name);
		fprintf(s->out, ",\"member\":");
		text_json_string(s->out, m->name);
		fprintf(s->out, ",\"address\":\"%s\",\"port\":%d,\"weight\":%g,"
		    "\"slots\":%u,\"of\":%u,\"cut\":%s,\"flows\":%llu,"
		    "\"packets\":%llu,\"bytes\":%llu}", a,
		    addr_port((const struct sockaddr *)&m->addr), wt,
		    slots, nslots, cut ? "true" : "false",
		    flows ? (unsigned long long)flows->packets : 0ULL,
		    pkts ? (unsigned long long)pkts->packets : 0ULL,
		    pkts ? (unsigned long long)pkts->bytes : 0ULL);
	} else {
		if (s->first)
			fprintf(s->out, "%-16s %-12s %-24s %6s %9s %10s %12s "
			    "%14s\n", "VIRTUAL-SERVER", "MEMBER", "ADDRESS",
			    "WEIGHT", "SLOTS", "FLOWS", "PACKETS", "BYTES");
		snprintf(name, sizeof(name), "%s:%d", a,
		    addr_port((const struct sockaddr *)&m->addr));
		snprintf(a, sizeof(a), "%u/%u%s", slots, nslots,
		    cut ? " cut" : "");
		fprintf(s->out, "%-16s %-12s %-24s %6g %9s %10llu %12llu "
		    "%14llu\n", ks->name, m->name, name, wt, a,
		    flows ? (unsigned long long)flows->packets : 0ULL,
		    pkts ? (unsigned long long)pkts->packets : 0ULL,
		    pkts ? (unsigned long long)pkts->bytes : 0ULL);
	}
	s->first = false;
}

void
fw_cmd_show_klb(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	struct fw_master *fm = ms;
	struct counters cs = { 0 };
	struct klb_show s = { .json = json, .first = true };
	struct text t;

	(void)args;
	(void)n;
	if (!counters_for(fm, c, &cs))
		return;
	s.v = cs.v;
	s.n = cs.n;
	if ((s.out = text_open(&t)) == NULL) {
		free(cs.v);
		fm->host->reply(c, false, "out of memory\n");
		return;
	}
	if (json)
		fprintf(s.out, "{\"members\":[");
	fw_klb_each(fm->klb, klb_row, &s);
	if (json)
		fprintf(s.out, "]}\n");
	else if (s.first)
		fprintf(s.out, "no l4-kernel virtual server in force\n");
	free(cs.v);
	edged_reply_text(fm->host, c, true, &t);
}

/* ---- show steering ---- */

void
fw_cmd_show_steering(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	struct fw_master *fm = ms;
	const struct fw_conf *fw = fm->cur->conf;
	struct counters cs = { 0 };
	uint64_t *packets = NULL;
	struct text t;
	FILE *out;
	char name[FW_NAME_MAX + 4];

	(void)args;
	(void)n;
	if (!counters_for(fm, c, &cs))
		return;
	if ((fw->nchains > 0 && (packets = calloc(fw->nchains,
	    sizeof(*packets))) == NULL) || (out = text_open(&t)) == NULL) {
		free(packets);
		free(cs.v);
		fm->host->reply(c, false, "out of memory\n");
		return;
	}
	for (size_t i = 0; i < fw->nchains; i++) {
		const struct counter *k;

		snprintf(name, sizeof(name), "s_%s", fw->chains[i].name);
		if ((k = find_counter(cs.v, cs.n, name)) != NULL)
			packets[i] = k->packets;
	}
	fw_steer_show(fm->steer, packets, fw->nchains, json, out);
	free(packets);
	free(cs.v);
	edged_reply_text(fm->host, c, true, &t);
}

/* ---- fed groups ---- */

/* a feed's new members (v[0..n), sorted, unique; taken on success) into
 * g's sets, and the text they came from (len bytes) kept under the state
 * directory for a restart: fw_feed_apply_fn */
static int
feed_apply(void *arg, const struct fw_group *g, struct fw_prefix *v,
    size_t n, const char *text, size_t len, double *kept_ms, char *err,
    size_t errsize)
{
	struct fw_master *fm = arg;
	struct fw_dyn_group *dg = fw_dyn_get(&fm->fed, g->name, true), next;
	char why[512], path[1024];
	ev_tstamp t0;

	if (dg == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	next = *dg;
	next.addrs = v;
	next.n = n;
	if (table_put(fm) && group_to_kernel(fm, g, dg, &next, why,
	    sizeof(why)) < 0) {
		snprintf(err, errsize, "the kernel refused the change: %s",
		    why);
		return -1;
	}
	free(dg->addrs);
	*dg = next;
	ev_now_update(fm->host->loop);
	t0 = ev_now(fm->host->loop);
	snprintf(path, sizeof(path), "%s/feeds", fm->cur->state_dir);
	if ((mkdir(fm->cur->state_dir, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(path, 0700) < 0 && errno != EEXIST) ||
	    (snprintf(path, sizeof(path), "%s/feeds/%s", fm->cur->state_dir,
	    g->name), file_replace(path, text, len, 0600)) < 0)
		log_warn("firewall: feed of address-group %s: its list not "
		    "kept for a restart: %s: %s", g->name, path,
		    strerror(errno));
	ev_now_update(fm->host->loop);
	*kept_ms = (ev_now(fm->host->loop) - t0) * 1000;
	return 0;
}

/* the fed groups' last good lists, as an earlier edged kept them */
static void
feeds_restore(struct fw_master *fm, const char *state_dir)
{
	char path[1024];
	DIR *dir;
	struct dirent *e;

	snprintf(path, sizeof(path), "%s/feeds", state_dir);
	if ((dir = opendir(path)) == NULL)
		return;
	while ((e = readdir(dir)) != NULL) {
		struct fw_dyn_group *dg;
		struct fw_feed_list l;
		char *text = NULL, file[1300];
		size_t len;

		if (e->d_name[0] == '.' || strlen(e->d_name) >= FW_NAME_MAX)
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
		if (file_read(file, 256u << 20, &text, &len, NULL) < 0)
			continue;
		if (fw_feed_parse_list(text, len, FW_FEED_ENTRIES_LIMIT,
		    &l) == 0 && (dg = fw_dyn_get(&fm->fed, e->d_name,
		    true)) != NULL) {
			dg->n = fw_dyn_sort(l.v, l.n);
			dg->addrs = l.v;
			l.v = NULL;
			log_info("firewall: feed of address-group %s: %zu "
			    "members kept from before", e->d_name, dg->n);
		}
		fw_feed_list_free(&l);
		free(text);
	}
	closedir(dir);
}

/* the metrics the master keeps (the feeds', the appliances' health):
 * Prometheus text, NULL out of memory */
static char *
master_metrics(const struct fw_master *fm, size_t *len)
{
	char *feeds = fw_feeds_metrics(fm->feeds, len);
	struct text t;
	FILE *out;

	if (feeds == NULL || (out = text_open(&t)) == NULL) {
		free(feeds);
		return NULL;
	}
	fputs(feeds, out);
	free(feeds);
	fw_steer_metrics(fm->steer, out);
	return text_close(&t, len);
}

/* those figures to every worker, for the metrics */
static void
metrics_changed(void *arg)
{
	struct fw_master *fm = arg;
	size_t len;
	char *text;

	if (fm->steer == NULL)		/* at fw_master_new, not there yet */
		return;
	if ((text = master_metrics(fm, &len)) != NULL)
		edged_publish_text(fm->host, &fw_module, FW_MSG_FEEDS, text,
		    len);
	free(text);
}

/* ---- the firewall's life in the master ---- */

void *
fw_master_new(const struct edged_host *h, const struct edged_gen_info *first)
{
	struct fw_master *fm = calloc(1, sizeof(*fm));
	char path[512], err[600];

	if (fm == NULL)
		return NULL;
	fm->host = h;
	if ((fm->klb = fw_klb_new()) == NULL) {
		free(fm);
		return NULL;
	}
	if ((fm->fetcher = fw_fetcher_new(h->loop)) == NULL ||
	    (fm->feeds = fw_feeds_new(h->loop, fm->fetcher, feed_apply,
	    metrics_changed, fm)) == NULL || (fm->steer = fw_steer_new(h->loop,
	    fm->fetcher, metrics_changed, fm)) == NULL) {
		fw_feeds_free(fm->feeds);
		fw_fetcher_free(fm->fetcher);
		fw_klb_free(fm->klb);
		free(fm);
		return NULL;
	}
	watch_init(fm);
	state_path(first->state_dir, path, sizeof(path));
	if (fw_dyn_load(&fm->dyn, path, err, sizeof(err)) < 0)
		log_warn("firewall: dynamic group members not restored: %s",
		    err);
	feeds_restore(fm, first->state_dir);
	return fm;
}

void
fw_master_free(void *ms)
{
	struct fw_master *fm = ms;

	if (fm == NULL)
		return;
	watch_close(fm);
	fw_feeds_free(fm->feeds);
	fw_steer_free(fm->steer);
	fw_fetcher_free(fm->fetcher);	/* after its users' GETs went */
	fw_nl_close(&fm->nl);
	fw_build_state_free(&fm->built);
	free(fm->applied);
	fw_dyn_free(&fm->dyn);
	fw_dyn_free(&fm->fed);
	fw_klb_free(fm->klb);
	free(fm);
}

void *
fw_master_gen_new(void *ms, const void *part,
    const struct edged_gen_info *info, const struct edged_endpoints *eps,
    struct conf_diag *d)
{
	struct fw_gen *g = calloc(1, sizeof(*g));
	size_t len;

	(void)ms;
	if (g == NULL || (g->text = fw_nft_text(part, eps, &len)) == NULL ||
	    (g->ks = mem_array(eps->nks, sizeof(*g->ks))) == NULL) {
		if (g != NULL)
			free(g->text);
		free(g);
		conf_oom(d, NULL);
		return NULL;
	}
	for (; g->nks < eps->nks; g->nks++)
		if (edged_kservice_copy(&g->ks[g->nks], &eps->ks[g->nks]) < 0) {
			fw_master_gen_free(ms, g);
			conf_oom(d, NULL);
			return NULL;
		}
	g->conf = part;
	g->transparent = eps->transparent;
	g->blk_fd = -1;
	if (fw_conf_check_feeds(part, d) > 0) {
		fw_master_gen_free(ms, g);
		return NULL;
	}
	snprintf(g->state_dir, sizeof(g->state_dir), "%s", info->state_dir);
	counters_block(g);
	return g;
}

void
fw_master_gen_free(void *ms, void *gd)
{
	struct fw_gen *g = gd;

	(void)ms;
	if (g == NULL)
		return;
	counters_block_release(g);
	for (size_t i = 0; i < g->nks; i++)
		edged_kservice_release(&g->ks[i]);
	free(g->ks);
	free(g->text);
	free(g);
}

int
fw_master_feed_worker(void *ms, void *gd, void *wd,
    const struct edged_channel *ch)
{
	const struct fw_gen *g = gd;
	struct fw_master *fm = ms;
	size_t len;
	char *text = master_metrics(fm, &len);
	int rc = 0;

	(void)wd;
	if (text != NULL && len > 0)
		rc = ch->send(ch, FW_MSG_FEEDS, 0, text, len, -1);
	free(text);
	if (rc < 0 || g->blk_fd < 0)
		return rc;
	return ch->send(ch, FW_MSG_STATS, (uint32_t)g->blk_len, NULL, 0,
	    g->blk_fd);
}

void
fw_master_from_worker(void *ms, void *gd, bool live, uint16_t type,
    uint32_t arg, const void *data, size_t len,
    const struct edged_channel *back)
{
	(void)live;
	(void)back;
	(void)arg;
	(void)data;
	(void)len;
	if (type == FW_MSG_REFRESH)
		publish(ms, gd);
	else
		log_warn("firewall: a worker sent unknown message %u", type);
}
