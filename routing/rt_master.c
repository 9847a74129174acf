/*
 * routing/rt_master.c - the virtual servers' addresses announced to
 * zebra while they can serve (rt_master.h), top to bottom: the
 * generations (which addresses, and whether to announce), what the load
 * balancer says of its virtual servers, the announcements, and the
 * connection to zebra.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <ev.h>

#include "addr.h"
#include "log.h"
#include "mem.h"
#include "rt_conf.h"
#include "rt_frr.h"
#include "rt_ifaces.h"
#include "rt_neigh.h"
#include "rt_master.h"
#include "rt_module.h"
#include "rt_worker.h"
#include "rt_zapi.h"
#include "text.h"

#define BACKOFF_MIN	0.5
#define BACKOFF_MAX	10.0
/* zebra answers HELLO at once; one that says nothing is not 8.4's */
#define HELLO_TIMEOUT	5.0
/* what may wait for zebra to read it before the connection is given up */
#define OUT_MAX		(1024 * 1024)
/* a blackhole of distance 1: the edge's own route to the address wins
 * over one learned from another edge, so that every edge that can serve
 * it keeps announcing it (ECMP) */
#define VIP_DISTANCE	1

/* A generation: what it says, its virtual servers' addresses, and its
 * section of frr.conf. */
struct rt_gen {
	const struct rt_conf *conf;
	struct edged_vip *vips;		/* announce on: every one */
	size_t nvips;
	char *frr;			/* rt_frr_render's, with secrets */
	bool frr_apply;			/* it has one, or frr.conf has one
					 * of an earlier edged's */
};

/* What the load balancer said last of a virtual server. */
struct rt_usable {
	char service[EDGED_KNAME_MAX];
	bool usable;
};

enum rt_zstate {
	RT_Z_OFF,			/* nothing to announce */
	RT_Z_WAIT,			/* to connect when retry fires */
	RT_Z_HELLO,			/* HELLO sent, waiting for zebra */
	RT_Z_READY,			/* zebra answered: announcing */
};

struct rt_master {
	const struct edged_host *host;
	const struct rt_gen *cur;	/* in force */
	struct rt_usable *us;
	size_t nus, uscap;

	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	enum rt_zstate state;
	int fd;
	ev_io io;
	ev_timer retry;
	ev_timer resync;		/* after an upgrade's lines */
	double backoff;
	bool complained;		/* said once that zebra is not there */
	uint8_t in[2 * RT_ZAPI_MAX];
	size_t inlen;
	uint8_t *out;
	size_t outlen, outcap;
	/* the addresses zebra has from this connection */
	struct sockaddr_storage *ann;
	size_t nann, anncap;
	struct rt_neigh neigh;		/* FRR's neighbours, and show */
};

static void zebra_connect(struct rt_master *rm);
static void zebra_drop(struct rt_master *rm, const char *why, int err);
static void sync_routes(struct rt_master *rm);
static void publish(const struct rt_master *rm);

/* ---- addresses ---- */

/* "192.0.2.10/32" */
static void
prefix_fmt(char *buf, size_t size, const struct sockaddr_storage *a)
{
	char ip[64];

	addr_fmt(ip, sizeof(ip), (const struct sockaddr *)a);
	snprintf(buf, size, "%s/%d", ip, a->ss_family == AF_INET ? 32 : 128);
}

static size_t
find_addr(const struct sockaddr_storage *v, size_t n,
    const struct sockaddr_storage *a)
{
	size_t i = 0;

	while (i < n && !addr_same(&v[i], a))
		i++;
	return i;
}

/* ---- the virtual servers, as the load balancer says ---- */

static struct rt_usable *
usable_find(const struct rt_master *rm, const char *service)
{
	for (size_t i = 0; i < rm->nus; i++)
		if (strcmp(rm->us[i].service, service) == 0)
			return &rm->us[i];
	return NULL;
}

void
rt_master_service_usable(void *ms, const char *service, bool usable)
{
	struct rt_master *rm = ms;
	struct rt_usable *u = usable_find(rm, service);

	if (u == NULL) {
		if (mem_grow(&rm->us, &rm->uscap, rm->nus + 1,
		    sizeof(*rm->us)) == -1) {
			log_err("routing: out of memory; virtual-server %s "
			    "is taken as unable to serve", service);
			return;
		}
		u = &rm->us[rm->nus++];
		snprintf(u->service, sizeof(u->service), "%s", service);
		u->usable = !usable;
	}
	if (u->usable == usable)
		return;
	u->usable = usable;
	sync_routes(rm);
}

/* Whether a virtual server of the configuration in force on address a
 * can serve; *name: the first one on it (for the log). */
static bool
addr_usable(const struct rt_master *rm, const struct sockaddr_storage *a,
    const char **name)
{
	const struct rt_gen *g = rm->cur;
	bool any = false;

	*name = NULL;
	for (size_t i = 0; g != NULL && i < g->nvips; i++) {
		const struct rt_usable *u;

		if (!addr_same(&g->vips[i].addr, a))
			continue;
		if (*name == NULL)
			*name = g->vips[i].service;
		u = usable_find(rm, g->vips[i].service);
		if (u != NULL && u->usable) {
			*name = g->vips[i].service;
			any = true;
		}
	}
	return any;
}

/* ---- announcements ---- */

/* Queues msg (len bytes) for zebra and writes what it can. */
static void
zebra_send(struct rt_master *rm, const uint8_t *msg, size_t len)
{
	ssize_t n;

	if (rm->outlen + len > OUT_MAX || mem_grow(&rm->out, &rm->outcap,
	    rm->outlen + len, 1) == -1) {
		zebra_drop(rm, "too much waits for zebra to read it", 0);
		return;
	}
	if (len > 0)
		memcpy(rm->out + rm->outlen, msg, len);
	rm->outlen += len;
	n = send(rm->fd, rm->out, rm->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		zebra_drop(rm, "cannot write to zebra", errno);
		return;
	}
	if (n > 0) {
		memmove(rm->out, rm->out + n, rm->outlen - (size_t)n);
		rm->outlen -= (size_t)n;
	}
	ev_io_stop(rm->host->loop, &rm->io);
	ev_io_set(&rm->io, rm->fd, EV_READ | (rm->outlen > 0 ? EV_WRITE : 0));
	ev_io_start(rm->host->loop, &rm->io);
}

/* ROUTE_ADD or ROUTE_DELETE of address a; service (NULL: none has it
 * any more) and why: for the log. */
static void
announce(struct rt_master *rm, const struct sockaddr_storage *a, bool add,
    const char *service, const char *why)
{
	struct rt_zapi_route r = { .prefix = *a, .distance = VIP_DISTANCE,
	    .plen = a->ss_family == AF_INET ? 32 : 128 };
	uint8_t msg[RT_ZAPI_OUT_MAX];
	size_t len = rt_zapi_route(add, RT_ZAPI_TYPE_EDGED, &r, msg);
	char p[80];

	prefix_fmt(p, sizeof(p), a);
	if (service != NULL)
		log_info("virtual-server %s: %s %s to zebra (%s)", service,
		    add ? "announcing" : "withdrawing", p, why);
	else
		log_info("routing: %s %s to zebra (%s)", add ? "announcing" :
		    "withdrawing", p, why);
	zebra_send(rm, msg, len);
}

/* What zebra has from edged made what the configuration in force and
 * the virtual servers' state say: every address one of whose virtual
 * servers can serve, and no other. */
static void
sync_routes(struct rt_master *rm)
{
	const struct rt_gen *g = rm->cur;
	const char *name;

	for (size_t i = 0; rm->state == RT_Z_READY && i < rm->nann;) {
		struct sockaddr_storage a = rm->ann[i];

		if (addr_usable(rm, &a, &name)) {
			i++;
			continue;
		}
		rm->ann[i] = rm->ann[--rm->nann];
		announce(rm, &a, false, name, name != NULL ?
		    "no member of its pool can serve" :
		    "no virtual server has it any more");
	}
	for (size_t i = 0; rm->state == RT_Z_READY && g != NULL &&
	    i < g->nvips; i++) {
		const struct sockaddr_storage *a = &g->vips[i].addr;

		if (find_addr(rm->ann, rm->nann, a) < rm->nann ||
		    !addr_usable(rm, a, &name))
			continue;
		if (mem_grow(&rm->ann, &rm->anncap, rm->nann + 1,
		    sizeof(*rm->ann)) == -1) {
			zebra_drop(rm, "out of memory", 0);
			return;
		}
		rm->ann[rm->nann++] = *a;
		announce(rm, a, true, name, "its pool can serve");
	}
	publish(rm);
}

/* ---- the workers' metrics ---- */

/* The state for the workers (rt_worker.h's lines), in a text of its own;
 * NULL out of memory. */
static char *
state_text(const struct rt_master *rm, size_t *len)
{
	const struct rt_gen *g = rm->cur;
	struct text t;
	char ip[64];
	FILE *f = text_open(&t);

	if (f == NULL)
		return NULL;
	fprintf(f, "zebra %d\n", rm->state == RT_Z_READY);
	for (size_t i = 0; g != NULL && i < g->nvips; i++) {
		addr_fmt(ip, sizeof(ip), (const struct sockaddr *)
		    &g->vips[i].addr);
		fprintf(f, "vip %s %s %d\n", g->vips[i].service, ip,
		    find_addr(rm->ann, rm->nann, &g->vips[i].addr) <
		    rm->nann);
	}
	rt_neigh_state(&rm->neigh, f);
	return text_close(&t, len);
}

/* The announcements changed (or may have): every worker's metrics. */
static void
publish(const struct rt_master *rm)
{
	size_t len;
	char *s = state_text(rm, &len);

	if (s == NULL)
		return;
	edged_publish_text(rm->host, &rt_module, RT_MSG_STATE, s, len);
	free(s);
}

static void
neigh_changed(void *arg)
{
	publish(arg);
}

/* ---- zebra ---- */

/* What zebra says of a route of edged's, or an error. */
static void
zebra_message(struct rt_master *rm, const struct rt_zapi_msg *m)
{
	struct rt_zapi_route r;
	enum rt_zapi_note note;
	const char *why;
	uint32_t code;
	char p[80];

	if (m->cmd == RT_ZAPI_ROUTE_NOTIFY_OWNER) {
		if (rt_zapi_notify(m, &note, &r, &why) < 0) {
			log_warn("routing: zebra at %s sent %s", rm->path,
			    why);
			return;
		}
		prefix_fmt(p, sizeof(p), &r.prefix);
		if (note == RT_ZAPI_INSTALLED || note == RT_ZAPI_REMOVED)
			log_debug("routing: zebra: %s %s", p,
			    rt_zapi_note_name(note));
		else
			log_warn("routing: zebra: %s %s", p,
			    rt_zapi_note_name(note));
	} else if (m->cmd == RT_ZAPI_ERROR) {
		if (rt_zapi_error(m, &code, &why) == 0)
			log_warn("routing: zebra at %s refused a message "
			    "(error %u)", rm->path, code);
	}
}

/* Every whole message read so far: the first must answer HELLO. */
static void
zebra_messages(struct rt_master *rm)
{
	size_t off = 0;
	struct rt_zapi_msg m;
	const char *why;
	long n;

	while ((n = rt_zapi_frame(rm->in + off, rm->inlen - off, &m,
	    &why)) > 0) {
		off += (size_t)n;
		if (rm->state == RT_Z_HELLO) {
			if (rt_zapi_capabilities(&m, &why) < 0) {
				rm->backoff = BACKOFF_MAX;
				zebra_drop(rm, why, 0);
				return;
			}
			ev_timer_stop(rm->host->loop, &rm->retry);
			rm->state = RT_Z_READY;
			rm->backoff = BACKOFF_MIN;
			rm->complained = false;
			log_info("routing: zebra at %s answered", rm->path);
			sync_routes(rm);
		} else
			zebra_message(rm, &m);
		if (rm->state < RT_Z_HELLO)
			return;
	}
	if (n < 0) {
		zebra_drop(rm, why, 0);
		return;
	}
	memmove(rm->in, rm->in + off, rm->inlen - off);
	rm->inlen -= off;
}

static void
zebra_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct rt_master *rm = w->data;
	ssize_t n;

	(void)loop;
	if (revents & EV_WRITE) {
		zebra_send(rm, NULL, 0);
		if (rm->state < RT_Z_HELLO)
			return;
	}
	if (!(revents & EV_READ))
		return;
	n = recv(rm->fd, rm->in + rm->inlen, sizeof(rm->in) - rm->inlen,
	    MSG_DONTWAIT);
	if (n == 0) {
		zebra_drop(rm, "zebra closed the connection", 0);
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			zebra_drop(rm, "cannot read from zebra", errno);
		return;
	}
	rm->inlen += (size_t)n;
	zebra_messages(rm);
}

/* The back-off is over: connect again; or HELLO went unanswered. */
static void
retry_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct rt_master *rm = t->data;

	(void)loop;
	(void)revents;
	if (rm->state != RT_Z_HELLO) {
		zebra_connect(rm);
		return;
	}
	rm->backoff = BACKOFF_MAX;
	zebra_drop(rm, "no answer to HELLO (is it FRR 8.4's zebra?)", 0);
}

static void
resync_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	sync_routes(t->data);
}

/* Closes the connection (zebra deletes every route of edged's). */
static void
zebra_close(struct rt_master *rm)
{
	ev_io_stop(rm->host->loop, &rm->io);
	ev_timer_stop(rm->host->loop, &rm->retry);
	ev_timer_stop(rm->host->loop, &rm->resync);
	if (rm->fd >= 0)
		close(rm->fd);
	rm->fd = -1;
	rm->inlen = rm->outlen = rm->nann = 0;
	rm->state = RT_Z_OFF;
}

/* The connection failed or was lost: zebra has none of edged's routes
 * now; another try after the back-off. */
static void
zebra_drop(struct rt_master *rm, const char *why, int err)
{
	bool had = rm->state == RT_Z_READY;

	zebra_close(rm);
	if (had || !rm->complained)
		log_warn("routing: zebra at %s: %s%s%s; %strying again in "
		    "%.1f s", rm->path, why, err ? ": " : "",
		    err ? strerror(err) : "", had ? "the virtual servers' "
		    "addresses are withdrawn; " : "", rm->backoff);
	rm->complained = true;
	rm->state = RT_Z_WAIT;
	ev_timer_set(&rm->retry, rm->backoff, 0.);
	ev_timer_start(rm->host->loop, &rm->retry);
	rm->backoff = rm->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX :
	    rm->backoff * 2;
	publish(rm);
}

static void
zebra_connect(struct rt_master *rm)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	uint8_t hello[RT_ZAPI_OUT_MAX];

	zebra_close(rm);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", rm->path);
	rm->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (rm->fd < 0 || connect(rm->fd, (struct sockaddr *)&sun,
	    sizeof(sun)) < 0) {
		zebra_drop(rm, "cannot connect", errno);
		return;
	}
	rm->state = RT_Z_HELLO;
	ev_io_set(&rm->io, rm->fd, EV_READ);
	ev_io_start(rm->host->loop, &rm->io);
	ev_timer_set(&rm->retry, HELLO_TIMEOUT, 0.);
	ev_timer_start(rm->host->loop, &rm->retry);
	zebra_send(rm, hello, rt_zapi_hello(RT_ZAPI_TYPE_EDGED, hello));
}

/* ---- the module's hooks ---- */

void *
rt_master_new(const struct edged_host *h, const struct edged_gen_info *first)
{
	struct rt_master *rm = calloc(1, sizeof(*rm));

	(void)first;
	if (rm == NULL)
		return NULL;
	rm->host = h;
	rm->fd = -1;
	rm->backoff = BACKOFF_MIN;
	ev_init(&rm->io, zebra_io_cb);
	rm->io.data = rm;
	ev_init(&rm->retry, retry_cb);
	rm->retry.data = rm;
	ev_init(&rm->resync, resync_cb);
	rm->resync.data = rm;
	rt_neigh_init(&rm->neigh, h, neigh_changed, rm);
	return rm;
}

void
rt_master_stop(void *ms)
{
	struct rt_master *rm = ms;

	if (rm->state == RT_Z_READY && rm->nann > 0)
		log_info("routing: edged stops: zebra withdraws the virtual "
		    "servers' addresses");
	zebra_close(rm);
	rt_neigh_stop(&rm->neigh);
}

void
rt_master_free(void *ms)
{
	struct rt_master *rm = ms;

	if (rm == NULL)
		return;
	zebra_close(rm);
	rt_neigh_free(&rm->neigh);
	free(rm->us);
	free(rm->out);
	free(rm->ann);
	free(rm);
}

/* The generation's section of frr.conf, checked by FRR's vtysh (with
 * the operator's lines around it): 0, or -1 with an error in d (the
 * file is rejected). */
static int
gen_frr(struct rt_gen *g, const struct rt_conf *c, struct conf_diag *d)
{
	struct text t;
	FILE *f = text_open(&t);
	char err[1024];

	if (f == NULL || (rt_frr_render(c, true, f),
	    (g->frr = text_close(&t, NULL)) == NULL))
		return conf_oom(d, NULL);
	g->frr_apply = g->frr[0] != '\0' || rt_frr_has_section(c);
	if (!g->frr_apply || rt_frr_check(c, g->frr, err, sizeof(err)) == 0)
		return 0;
	conf_error(d, c->present ? &c->pos : NULL, "routing: %s", err);
	return -1;
}

/* A password that reads CONF_HIDDEN is `edged -T`'s output loaded
 * back: refused, not handed to FRR as the password. */
static int
hidden_password(const struct rt_conf *c, struct conf_diag *d)
{
	for (size_t i = 0; i < c->bgp.nnb; i++)
		if (conf_secret_hidden(c->bgp.nb[i].password)) {
			conf_error(d, &c->bgp.nb[i].pos, "the neighbour's "
			    "password reads %s, as edged -T prints it: "
			    "write the password itself", CONF_HIDDEN);
			return -1;
		}
	return 0;
}

void *
rt_master_gen_new(void *ms, const void *part,
    const struct edged_gen_info *info, const struct edged_endpoints *eps,
    struct conf_diag *d)
{
	const struct rt_conf *c = part;
	struct rt_gen *g = calloc(1, sizeof(*g));
	char err[512];

	(void)info;
	if (g != NULL && rt_conf_announces(c) && eps->nvips > 0 &&
	    (g->vips = mem_array(eps->nvips, sizeof(*g->vips))) == NULL) {
		free(g);
		g = NULL;
	}
	if (g == NULL) {
		conf_oom(d, NULL);
		return NULL;
	}
	g->conf = c;
	if (g->vips != NULL) {
		memcpy(g->vips, eps->vips, eps->nvips * sizeof(*g->vips));
		g->nvips = eps->nvips;
	}
	if (hidden_password(c, d) < 0) {
		rt_master_gen_free(ms, g);
		return NULL;
	}
	/* the interfaces first: FRR's section may name them */
	if (rt_ifaces_check(c, err, sizeof(err)) < 0) {
		conf_error(d, NULL, "%s", err);
		rt_master_gen_free(ms, g);
		return NULL;
	}
	if (gen_frr(g, c, d) < 0) {
		rt_master_gen_free(ms, g);
		return NULL;
	}
	return g;
}

void
rt_master_gen_free(void *ms, void *gd)
{
	struct rt_gen *g = gd;

	(void)ms;
	if (g == NULL)
		return;
	free(g->vips);
	free(g->frr);
	free(g);
}

/* FRR made to run the generation's section: 0, or -1 with err (FRR as
 * it was). */
static int
commit_frr(struct rt_master *rm, const struct rt_gen *g, char *err,
    size_t errsize)
{
	const struct rt_conf *c = g->conf;
	int rc;

	if (!g->frr_apply)
		return 0;
	rc = rt_frr_apply(c, g->frr, err, errsize);
	if (rc < 0) {
		if (rm->cur != NULL)	/* the old passwords too */
			rt_frr_redact(err, rm->cur->conf);
		return -1;
	}
	if (rc == 1)
		log_warn("routing: FRR is not running (nothing answers on "
		    "%s/zebra.vty): %s has edged's section, which FRR reads "
		    "when it starts", c->vty_socket, c->frr_config);
	else
		log_info("routing: FRR runs %s%s (frr-reload.py applied "
		    "what differs)", c->frr_config, g->frr[0] != '\0' ?
		    " with edged's section" : ", edged's section removed");
	return 0;
}

/* A commit failed after the interfaces changed: those in force again
 * (none at start, when a failure stops edged anyway). */
static void
ifaces_back(const struct rt_master *rm)
{
	char err[256];

	if (rm->cur != NULL && rt_ifaces_apply(rm->cur->conf, err,
	    sizeof(err)) < 0)
		log_err("routing: the interfaces could not be put back as "
		    "they were: %s", err);
}

/* Only the kernel refusing the interfaces, or FRR the section, fails:
 * zebra that is not there is tried again, and the routes follow once it
 * answers. */
int
rt_master_commit(void *ms, void *gd, char *err, size_t errsize)
{
	struct rt_master *rm = ms;
	const struct rt_gen *g = gd;
	bool on = rt_conf_announces(g->conf);

	if (rt_ifaces_apply(g->conf, err, errsize) < 0 ||
	    commit_frr(rm, g, err, errsize) < 0) {
		ifaces_back(rm);
		return -1;
	}
	rm->cur = g;
	rt_neigh_commit(&rm->neigh, g->conf);
	if (rm->state != RT_Z_OFF && (!on ||
	    strcmp(rm->path, g->conf->zebra_socket) != 0)) {
		if (rm->state == RT_Z_READY && rm->nann > 0)
			log_info("routing: the virtual servers' addresses are "
			    "withdrawn from zebra at %s (%s)", rm->path, on ?
			    "another zebra-socket" : "announce off");
		zebra_close(rm);
	}
	if (on && rm->state == RT_Z_OFF) {
		/* from the loop: after an upgrade, the connection the old
		 * image hands over (carry_line) comes first */
		snprintf(rm->path, sizeof(rm->path), "%s",
		    g->conf->zebra_socket);
		rm->backoff = BACKOFF_MIN;
		rm->complained = false;
		rm->state = RT_Z_WAIT;
		ev_timer_set(&rm->retry, 0., 0.);
		ev_timer_start(rm->host->loop, &rm->retry);
	} else
		sync_routes(rm);
	publish(rm);
	return 0;
}

/*
 * An upgrade: the connection goes on in the next image, so that zebra
 * keeps the routes (closing it would withdraw every one): "routing
 * zebra FD HEX PATH" (HEX: the start of a message read but not whole
 * yet, or "-"), then "routing announced ADDR" for each address zebra
 * has.  Not while something waits to be written: then the next image
 * connects anew.
 */
void
rt_master_carry_save(void *ms, FILE *out, const struct edged_carry *carry)
{
	const struct rt_master *rm = ms;
	char ip[64];

	if (rm->state != RT_Z_READY || rm->outlen > 0 ||
	    carry->pass(carry, rm->fd) < 0)
		return;
	fprintf(out, "routing zebra %d ", rm->fd);
	for (size_t i = 0; i < rm->inlen; i++)
		fprintf(out, "%02x", rm->in[i]);
	fprintf(out, "%s %s\n", rm->inlen == 0 ? "-" : "", rm->path);
	for (size_t i = 0; i < rm->nann; i++) {
		addr_fmt(ip, sizeof(ip), (const struct sockaddr *)&rm->ann[i]);
		fprintf(out, "routing announced %s\n", ip);
	}
}

/* The old image's connection, in place of the one the first commit was
 * to make; closed (zebra withdraws its routes) when this image is to
 * announce nothing or to another zebra. */
static int
carry_zebra(struct rt_master *rm, const char *rest)
{
	char *end;
	long fd = strtol(rest, &end, 10);
	size_t n = 0;
	unsigned byte;
	const char *path;

	if (end == rest || fd < 0 || fd > INT32_MAX || *end != ' ' ||
	    (path = strchr(end + 1, ' ')) == NULL)
		return -1;
	for (end++; *end != '-' && *end != ' ' && n < sizeof(rm->in) &&
	    sscanf(end, "%2x", &byte) == 1; end += 2)
		rm->in[n++] = (uint8_t)byte;
	if (rm->state != RT_Z_WAIT || strcmp(path + 1, rm->path) != 0) {
		close((int)fd);
		return 1;
	}
	ev_timer_stop(rm->host->loop, &rm->retry);
	(void)fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	rm->fd = (int)fd;
	rm->inlen = n;
	rm->state = RT_Z_READY;
	ev_io_set(&rm->io, rm->fd, EV_READ);
	ev_io_start(rm->host->loop, &rm->io);
	/* once every line is in: what is announced made right */
	ev_timer_set(&rm->resync, 0., 0.);
	ev_timer_start(rm->host->loop, &rm->resync);
	log_info("routing: the connection to zebra at %s goes on", rm->path);
	return 1;
}

/* "routing announced ADDR": zebra has it. */
static int
carry_announced(struct rt_master *rm, const char *text)
{
	struct sockaddr_storage a = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&a;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a;

	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	else
		return -1;
	if (rm->state != RT_Z_READY)
		return 1;		/* its connection was not kept */
	if (mem_grow(&rm->ann, &rm->anncap, rm->nann + 1,
	    sizeof(*rm->ann)) == -1)
		return -1;
	rm->ann[rm->nann++] = a;
	return 1;
}

int
rt_master_carry_line(void *ms, const char *line)
{
	if (strncmp(line, "routing zebra ", 14) == 0)
		return carry_zebra(ms, line + 14);
	if (strncmp(line, "routing announced ", 18) == 0)
		return carry_announced(ms, line + 18);
	return 0;
}

int
rt_master_feed_worker(void *ms, void *gd, void *wd,
    const struct edged_channel *ch)
{
	size_t len;
	char *s = state_text(ms, &len);
	int rc;

	(void)gd;
	(void)wd;
	if (s == NULL)
		return 0;		/* its metrics wait for a change */
	rc = ch->send(ch, RT_MSG_STATE, 0, s, len, -1);
	free(s);
	return rc;
}

void
rt_master_status(void *ms, bool json, FILE *out)
{
	static const char *const states[] = { "off", "connecting",
	    "connecting", "connected" };
	const struct rt_master *rm = ms;
	bool sep = false;

	if (json) {
		fprintf(out, "\"zebra\":\"%s\",\"announced\":%zu,",
		    states[rm->state], rm->nann);
		rt_neigh_status(&rm->neigh, true, false, out);
		return;
	}
	if (rm->state != RT_Z_OFF) {
		fprintf(out, "zebra %s, %zu address%s announced",
		    states[rm->state], rm->nann, rm->nann == 1 ? "" : "es");
		sep = true;
	}
	rt_neigh_status(&rm->neigh, false, sep, out);
}

/* ---- edgectl show routes|bgp|ospf ---- */

void
rt_master_show_routes(void *ms, struct edged_ctl *c, char **args,
    size_t n, bool json)
{
	struct rt_master *rm = ms;

	(void)args;
	(void)n;
	rt_neigh_show_routes(&rm->neigh, c, json, rm->cur != NULL ?
	    rm->cur->vips : NULL, rm->cur != NULL ? rm->cur->nvips : 0);
}

void
rt_master_show_bgp(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	struct rt_master *rm = ms;

	(void)args;
	(void)n;
	rt_neigh_show_bgp(&rm->neigh, c, json);
}

void
rt_master_show_ospf(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json)
{
	struct rt_master *rm = ms;

	(void)args;
	(void)n;
	rt_neigh_show_ospf(&rm->neigh, c, json);
}
