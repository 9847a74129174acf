/*
 * fw/fw_steer.c - service insertion's runtime in the master
 * (fw_steer.h).
 *
 * The table (fw_nft.c's steer chain) marks each packet of a steered
 * flow for the hop it is at; here the marks meet the routes: one rule
 * per hop and family, and in its table a default route to the hop's
 * appliance, which follows the appliance's health.  The monitors run in
 * the master: it may open raw ICMP sockets, which the worker may not
 * (a namespace's ping_group_range lets nobody ping).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "fw_apply.h"
#include "fw_fetch.h"
#include "fw_route.h"
#include "fw_steer.h"
#include "log.h"
#include "mem.h"
#include "text.h"

struct appl {
	struct fw_steer *owner;
	struct fw_appliance conf;
	bool up;
	uint64_t ok_run, fail_run;	/* results in a row */
	uint64_t probes, failures;
	double since;			/* wall clock of the last change */
	char last_failure[128];
	ev_timer timer;
	ev_io io;
	int fd;				/* the probe's socket; -1 none */
	bool waiting;			/* a probe is out */
	uint16_t id, seq;
	struct fw_fetch *fetch;		/* an http monitor's GET; NULL */
};

/* a rule edged put in: family, chain (its id), hop */
struct hop_rule {
	int family;
	unsigned id, hop;
};

struct fw_steer {
	struct ev_loop *loop;
	struct appl **v;		/* as the configuration lists them */
	size_t n;
	struct fw_chain *chains;	/* the configuration's, copied */
	size_t nchains;
	struct hop_rule rules[FW_CHAINS_MAX * FW_CHAIN_HOPS_MAX * 2];
	size_t nrules;
	struct fw_fetcher *fetcher;	/* the master's, for the http
					 * monitors */
	void (*changed)(void *);
	void *arg;
};

static void route_all(struct fw_steer *s);

/* ---- monitors ---- */

static uint16_t
cksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* the family a's monitor uses: IPv4 when it has an address of it */
static int
family_of(const struct appl *a)
{
	return a->conf.addr[0].family != 0 ? AF_INET : AF_INET6;
}

static socklen_t
sockaddr_of(const struct appl *a, uint16_t port,
    struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family_of(a) == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a->conf.addr[0].addr, 4);
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(&s6->sin6_addr, a->conf.addr[1].addr, 16);
	return sizeof(*s6);
}

static void
close_probe(struct appl *a)
{
	if (a->fd < 0)
		return;
	ev_io_stop(a->owner->loop, &a->io);
	(void)close(a->fd);
	a->fd = -1;
}

/* a probe's result: the health follows after rise or fall in a row */
static void
result(struct appl *a, bool ok, const char *why)
{
	a->waiting = false;
	if (ok) {
		a->fail_run = 0;
		if (a->up || ++a->ok_run < a->conf.rise)
			return;
	} else {
		a->ok_run = 0;
		a->failures++;
		snprintf(a->last_failure, sizeof(a->last_failure), "%s", why);
		if (!a->up || ++a->fail_run < a->conf.fall)
			return;
	}
	a->up = ok;
	a->ok_run = a->fail_run = 0;
	a->since = clock_ms_of(CLOCK_REALTIME) / 1000.0;
	if (ok)
		log_info("service-appliance %s is up: steering through it "
		    "resumes for new flows", a->conf.name);
	else
		log_warn("service-appliance %s is down (%llu probes in a row "
		    "failed: %s): failure %s, %s", a->conf.name,
		    (unsigned long long)a->conf.fall, why, a->conf.fail_open ?
		    "open" : "closed", a->conf.fail_open ? "its hops go to the "
		    "next appliance up, or are routed as usual" : "what its "
		    "hops steer is dropped");
	route_all(a->owner);
	a->owner->changed(a->owner->arg);
}

/* a ping's answers (and anything else ICMP to us from a's address) */
static void
ping_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct appl *a = w->data;
	uint8_t buf[1500];
	ssize_t n;

	(void)loop;
	(void)revents;
	while ((n = recv(a->fd, buf, sizeof(buf), 0)) > 0) {
		const uint8_t *m = buf;
		size_t len = (size_t)n, hl = 0;
		uint16_t id, seq;

		if (family_of(a) == AF_INET)
			hl = (size_t)(buf[0] & 0x0f) * 4;
		if (len < hl + 8)
			continue;
		m += hl;
		memcpy(&id, m + 4, 2);
		memcpy(&seq, m + 6, 2);
		if (m[0] == (family_of(a) == AF_INET ? ICMP_ECHOREPLY :
		    ICMP6_ECHO_REPLY) && ntohs(id) == a->id &&
		    ntohs(seq) == a->seq && a->waiting)
			result(a, true, NULL);
	}
}

static void
ping_send(struct appl *a)
{
	struct sockaddr_storage ss;
	socklen_t sl = sockaddr_of(a, 0, &ss);
	uint8_t m[16] = { 0 };
	uint16_t v;
	bool v4 = family_of(a) == AF_INET;

	if (a->fd < 0) {
		a->fd = socket(v4 ? AF_INET : AF_INET6, SOCK_RAW |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, v4 ? IPPROTO_ICMP :
		    IPPROTO_ICMPV6);
		if (a->fd < 0 || connect(a->fd, (struct sockaddr *)&ss,
		    sl) < 0) {
			result(a, false, strerror(errno));
			close_probe(a);
			return;
		}
		ev_io_init(&a->io, ping_read, a->fd, EV_READ);
		a->io.data = a;
		ev_io_start(a->owner->loop, &a->io);
	}
	m[0] = v4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	v = htons(a->id);
	memcpy(m + 4, &v, 2);
	v = htons(++a->seq);
	memcpy(m + 6, &v, 2);
	memcpy(m + 8, "edged-sa", 8);
	if (v4) {			/* ICMPv6's the kernel makes */
		v = cksum(m, sizeof(m));
		memcpy(m + 2, &v, 2);
	}
	a->waiting = true;
	if (send(a->fd, m, sizeof(m), 0) < 0)
		result(a, false, strerror(errno));
}

/* a TCP monitor's connect ended */
static void
tcp_done(struct ev_loop *loop, ev_io *w, int revents)
{
	struct appl *a = w->data;
	int e = 0;
	socklen_t el = sizeof(e);

	(void)loop;
	(void)revents;
	if (getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
		e = errno;
	close_probe(a);
	if (a->waiting)
		result(a, e == 0, strerror(e));
}

static void
tcp_send(struct appl *a)
{
	struct sockaddr_storage ss;
	socklen_t sl = sockaddr_of(a, a->conf.port, &ss);

	close_probe(a);
	a->waiting = true;
	a->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (a->fd < 0) {
		result(a, false, strerror(errno));
		return;
	}
	if (connect(a->fd, (struct sockaddr *)&ss, sl) < 0 &&
	    errno != EINPROGRESS) {
		int e = errno;

		close_probe(a);
		result(a, false, strerror(e));
		return;
	}
	ev_io_init(&a->io, tcp_done, a->fd, EV_WRITE);
	a->io.data = a;
	ev_io_start(a->owner->loop, &a->io);
}

/* an http monitor's GET ended: fw_fetch_done_fn */
static void
http_done(void *arg, struct fw_fetch_res *r)
{
	struct appl *a = arg;

	a->fetch = NULL;
	free(r->body);
	if (a->waiting)
		result(a, r->status != 0, r->error);
}

static void
http_send(struct appl *a)
{
	struct fw_steer *s = a->owner;
	struct fw_fetch_req q = {
		.url = a->conf.url,
		.timeout_ms = a->conf.interval_ms,
		.max_bytes = 64 * 1024,
	};
	char err[300];

	fw_fetch_cancel(a->fetch);
	a->fetch = NULL;
	a->waiting = true;
	if ((a->fetch = fw_fetch_start(s->fetcher, &q, http_done, a, err,
	    sizeof(err))) == NULL)
		result(a, false, err);
}

static void
probe_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct appl *a = t->data;

	(void)loop;
	(void)revents;
	if (a->waiting)
		result(a, false, "no answer within the interval");
	a->probes++;
	if (a->conf.monitor == FW_MON_PING)
		ping_send(a);
	else if (a->conf.monitor == FW_MON_TCP)
		tcp_send(a);
	else
		http_send(a);
}

static struct appl *
appl_new(struct fw_steer *s, const struct fw_appliance *conf)
{
	struct appl *a = calloc(1, sizeof(*a));
	double every = (double)conf->interval_ms / 1000.0;

	if (a == NULL)
		return NULL;
	a->owner = s;
	a->conf = *conf;
	a->up = true;			/* until its monitor says otherwise */
	a->fd = -1;
	a->id = (uint16_t)((uintptr_t)a >> 4 ^ (uintptr_t)getpid());
	a->since = clock_ms_of(CLOCK_REALTIME) / 1000.0;
	ev_timer_init(&a->timer, probe_cb, 0.05, every);
	a->timer.data = a;
	ev_timer_start(s->loop, &a->timer);
	return a;
}

static void
appl_free(struct fw_steer *s, struct appl *a)
{
	if (a == NULL)
		return;
	ev_timer_stop(s->loop, &a->timer);
	close_probe(a);
	fw_fetch_cancel(a->fetch);
	free(a);
}

/* ---- the routes ---- */

/* where hop k of chain c goes now: the appliance it goes to (NULL: a
 * blackhole, or routed as usual when *routed).  A hop down with failure
 * open goes on to the next up; one down with failure closed on the way
 * stops it there. */
static const struct appl *
hop_target(const struct fw_steer *s, const struct fw_chain *ch, size_t k,
    int family, bool *routed)
{
	const struct appl *a = s->v[ch->hops[k]];

	*routed = false;
	if (a->up)
		return a;
	if (!a->conf.fail_open)
		return NULL;
	for (size_t j = k + 1; j < ch->nhops; j++) {
		const struct appl *b = s->v[ch->hops[j]];

		if (b->up && b->conf.addr[family == AF_INET ? 0 : 1].family)
			return b;
		if (!b->up && !b->conf.fail_open)
			return NULL;		/* closed: a blackhole */
	}
	*routed = true;
	return NULL;
}

static void
route_hop(struct fw_steer *s, const struct fw_chain *ch, size_t k,
    int family)
{
	unsigned c = ch->id;
	bool routed;
	const struct appl *a = hop_target(s, ch, k, family, &routed);
	char err[300];
	int r;

	if (a != NULL)
		r = fw_route_steer_default(family, FW_STEER_TABLE(c, k),
		    FW_RT_VIA, a->conf.addr[family == AF_INET ? 0 : 1].addr,
		    a->conf.ifname, err, sizeof(err));
	else
		r = fw_route_steer_default(family, FW_STEER_TABLE(c, k),
		    routed ? FW_RT_NONE : FW_RT_BLACKHOLE, NULL, NULL, err,
		    sizeof(err));
	if (r < 0)
		log_err("service-chain %s, hop %zu: %s", ch->name, k + 1, err);
	/* failure closed: what cannot go to the appliance goes nowhere */
	if (r < 0 && a != NULL && !s->v[ch->hops[k]]->conf.fail_open &&
	    fw_route_steer_default(family, FW_STEER_TABLE(c, k),
	    FW_RT_BLACKHOLE, NULL, NULL, err, sizeof(err)) < 0)
		log_err("service-chain %s, hop %zu: %s", ch->name, k + 1, err);
}

/* the chain in force of that id; NULL none */
static const struct fw_chain *
chain_of(const struct fw_steer *s, unsigned id)
{
	for (size_t i = 0; i < s->nchains; i++)
		if (s->chains[i].id == id)
			return &s->chains[i];
	return NULL;
}

/* every hop's route, as the appliances' health says */
static void
route_all(struct fw_steer *s)
{
	for (size_t i = 0; i < s->nrules; i++)
		route_hop(s, chain_of(s, s->rules[i].id), s->rules[i].hop,
		    s->rules[i].family);
}

/* whether r is one of the chains in force (route_all's chain_of finds
 * it) */
static bool
rule_wanted(const struct fw_steer *s, const struct hop_rule *r)
{
	const struct fw_chain *ch = chain_of(s, r->id);

	return ch != NULL && ch->used && r->hop < ch->nhops &&
	    (ch->families & (r->family == AF_INET ? 1u : 2u)) != 0;
}

static void
rule_set(const struct hop_rule *r, bool on)
{
	char err[300];

	if (fw_route_steer_rule(r->family, FW_STEER_MARK(r->id, r->hop),
	    FW_STEER_TABLE(r->id, r->hop), on, err, sizeof(err)) < 0)
		log_err("service insertion: %s", err);
	if (!on && fw_route_steer_default(r->family, FW_STEER_TABLE(r->id,
	    r->hop), FW_RT_NONE, NULL, NULL, err, sizeof(err)) < 0)
		log_err("service insertion: %s", err);
}

/* the rules wanted in, those no more wanted out */
static void
rules_sync(struct fw_steer *s)
{
	size_t k = 0;

	for (size_t i = 0; i < s->nrules; i++) {
		if (rule_wanted(s, &s->rules[i]))
			s->rules[k++] = s->rules[i];
		else
			rule_set(&s->rules[i], false);
	}
	s->nrules = k;
	for (unsigned c = 0; c < s->nchains; c++)
		for (unsigned h = 0; h < s->chains[c].nhops; h++)
			for (int f = 0; f < 2; f++) {
				struct hop_rule r = { f ? AF_INET6 : AF_INET,
				    s->chains[c].id, h };
				bool have = false;

				for (size_t i = 0; i < s->nrules; i++)
					have |= memcmp(&s->rules[i], &r,
					    sizeof(r)) == 0;
				if (have || !rule_wanted(s, &r))
					continue;
				rule_set(&r, true);
				s->rules[s->nrules++] = r;
			}
}

static void
rp_path(char *buf, size_t size, const char *ifname)
{
	snprintf(buf, size, "/proc/sys/net/ipv4/conf/%s/rp_filter", ifname);
}

/* the first character of an rp_filter setting ('0', '1', '2'; 0 when
 * it cannot be read) */
static char
rp_filter(const char *ifname)
{
	char path[96], v = 0;
	int fd;

	rp_path(path, sizeof(path), ifname);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	if (read(fd, &v, 1) != 1)
		v = 0;
	(void)close(fd);
	return v;
}

/* loose reverse-path filtering where appliances hand traffic back: it
 * carries the clients' and servers' addresses, which strict filtering
 * drops there (the kernel applies the larger of the interface's setting
 * and all's) */
static void
loose_rp_filter(const char *ifname)
{
	char path[96], err[200], v = rp_filter(ifname);

	if (v == '2' || v == 0 || (v != '1' && rp_filter("all") != '1'))
		return;
	rp_path(path, sizeof(path), ifname);
	if (fw_sysctl_write(path, "2\n", err, sizeof(err)) == 0)
		log_info("service insertion: loose reverse-path filtering on "
		    "%s (what its appliance hands back carries others' "
		    "addresses)", ifname);
}

/* ---- the life ---- */

struct fw_steer *
fw_steer_new(struct ev_loop *loop, struct fw_fetcher *fetcher,
    void (*changed)(void *), void *arg)
{
	struct fw_steer *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->loop = loop;
	s->fetcher = fetcher;
	s->changed = changed;
	s->arg = arg;
	return s;
}

static void
drop_appliances(struct fw_steer *s)
{
	for (size_t i = 0; i < s->n; i++)
		appl_free(s, s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void
fw_steer_free(struct fw_steer *s)
{
	if (s == NULL)
		return;
	drop_appliances(s);
	free(s->chains);
	free(s);
}

/* the old appliance that goes on as conf, taken out of old[] */
static struct appl *
keep(struct appl **old, size_t n, const struct fw_appliance *conf)
{
	for (size_t i = 0; i < n; i++) {
		struct appl *a = old[i];

		if (a == NULL || strcmp(a->conf.name, conf->name) != 0)
			continue;
		if (memcmp(a->conf.addr, conf->addr, sizeof(conf->addr)) ||
		    strcmp(a->conf.ifname, conf->ifname) != 0 ||
		    a->conf.monitor != conf->monitor || a->conf.port !=
		    conf->port || strcmp(a->conf.url, conf->url) != 0 ||
		    a->conf.interval_ms != conf->interval_ms)
			return NULL;
		old[i] = NULL;
		a->conf = *conf;
		return a;
	}
	return NULL;
}

void
fw_steer_sync(struct fw_steer *s, const struct fw_conf *c)
{
	struct appl **old = s->v, **nv = NULL;
	size_t nold = s->n;
	struct fw_chain *chains = NULL;

	if ((c->nappliances > 0 && (nv = calloc(c->nappliances,
	    sizeof(*nv))) == NULL) || (c->nchains > 0 && (chains =
	    mem_array(c->nchains, sizeof(*chains))) == NULL)) {
		free(nv);
		log_err("service insertion: out of memory: the steering of "
		    "the last configuration stays");
		return;
	}
	for (size_t i = 0; i < c->nappliances; i++) {
		if ((nv[i] = keep(old, nold, &c->appliances[i])) == NULL &&
		    (nv[i] = appl_new(s, &c->appliances[i])) == NULL)
			log_err("service-appliance %s: out of memory",
			    c->appliances[i].name);
		else if (c->appliances[i].used)
			loose_rp_filter(c->appliances[i].ifname);
	}
	s->v = nv;
	s->n = c->nappliances;
	for (size_t i = 0; i < nold; i++)
		appl_free(s, old[i]);
	free(old);
	if (c->nchains > 0)
		memcpy(chains, c->chains, c->nchains * sizeof(*chains));
	for (size_t i = 0; i < c->nchains; i++)
		for (size_t k = 0; k < chains[i].nhops; k++)
			if (nv[chains[i].hops[k]] == NULL)
				chains[i].used = false;
	free(s->chains);
	s->chains = chains;
	s->nchains = c->nchains;
	rules_sync(s);
	route_all(s);
	s->changed(s->arg);
}

void
fw_steer_clear(struct fw_steer *s)
{
	for (size_t i = 0; i < s->nrules; i++)
		rule_set(&s->rules[i], false);
	s->nrules = 0;
	drop_appliances(s);
	free(s->chains);
	s->chains = NULL;
	s->nchains = 0;
	s->changed(s->arg);
}

void
fw_steer_metrics(const struct fw_steer *s, FILE *out)
{
	if (s->n == 0)
		return;
	fputs("# HELP edged_service_appliance_up Whether a service "
	    "appliance's monitor says it is up (1) or down (0).\n"
	    "# TYPE edged_service_appliance_up gauge\n", out);
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] != NULL)
			fprintf(out, "edged_service_appliance_up{appliance=\"%s\"}"
			    " %d\n", s->v[i]->conf.name, s->v[i]->up ? 1 : 0);
}

/* ---- show steering ---- */

/* where hop k goes, in words: "pan1", "dropped", "routed as usual" */
static const char *
hop_to(const struct fw_steer *s, const struct fw_chain *ch, size_t k)
{
	bool routed;
	const struct appl *a = hop_target(s, ch, k, ch->families & 1 ?
	    AF_INET : AF_INET6, &routed);

	return a != NULL ? a->conf.name : routed ? "routed as usual" :
	    "dropped";
}

static void
show_hop_json(const struct fw_steer *s, const struct fw_chain *ch, size_t k,
    FILE *out)
{
	const struct appl *a = s->v[ch->hops[k]];
	char buf[64];

	fputs("{\"appliance\":", out);
	text_json_string(out, a->conf.name);
	fw_prefix_fmt(buf, sizeof(buf), &a->conf.addr[a->conf.addr[0].family
	    ? 0 : 1]);
	fprintf(out, ",\"address\":\"%s\",\"interface\":", buf);
	text_json_string(out, a->conf.ifname);
	fprintf(out, ",\"health\":\"%s\",\"since\":%.0f,\"failure\":\"%s\","
	    "\"probes\":%llu,\"failed_probes\":%llu,\"to\":", a->up ? "up" :
	    "down", a->since, a->conf.fail_open ? "open" : "closed",
	    (unsigned long long)a->probes, (unsigned long long)a->failures);
	text_json_string(out, hop_to(s, ch, k));
	fputs(",\"last_failure\":", out);
	text_json_string(out, a->last_failure);
	fputc('}', out);
}

static void
show_hop(const struct fw_steer *s, const struct fw_chain *ch, size_t k,
    FILE *out)
{
	const struct appl *a = s->v[ch->hops[k]];
	char buf[64];

	fw_prefix_fmt(buf, sizeof(buf), &a->conf.addr[a->conf.addr[0].family
	    ? 0 : 1]);
	fprintf(out, "  hop %zu: %s %s on %s: %s, failure %s: to %s (%llu "
	    "probes, %llu failed%s%s)\n", k + 1, a->conf.name, buf,
	    a->conf.ifname, a->up ? "up" : "down", a->conf.fail_open ?
	    "open" : "closed", hop_to(s, ch, k),
	    (unsigned long long)a->probes, (unsigned long long)a->failures,
	    a->last_failure[0] != '\0' ? "; last: " : "", a->last_failure);
}

void
fw_steer_show(const struct fw_steer *s, const uint64_t *packets,
    size_t npackets, bool json, FILE *out)
{
	bool first = true;

	if (json)
		fputs("{\"chains\":[", out);
	for (size_t i = 0; i < s->nchains; i++) {
		const struct fw_chain *ch = &s->chains[i];
		unsigned long long p = i < npackets ? packets[i] : 0;

		if (!ch->used)
			continue;
		if (json) {
			fprintf(out, "%s{\"name\":", first ? "" : ",");
			text_json_string(out, ch->name);
			fprintf(out, ",\"packets\":%llu,\"hops\":[", p);
		} else
			fprintf(out, "chain %s: %llu packets steered\n",
			    ch->name, p);
		for (size_t k = 0; k < ch->nhops; k++) {
			if (json && k > 0)
				fputc(',', out);
			if (json)
				show_hop_json(s, ch, k, out);
			else
				show_hop(s, ch, k, out);
		}
		if (json)
			fputs("]}", out);
		first = false;
	}
	if (json)
		fputs("]}\n", out);
	else if (first)
		fputs("no service-chain is steered to\n", out);
}
