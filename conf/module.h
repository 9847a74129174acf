/*
 * conf/module.h - the interface between the core (src/) and a module
 * (lb/, fw/, later routing/, vpn/): what a module gives the core, and
 * what the core does with it.
 *
 * A module is one folder with one prefix.  It describes itself with one
 * `const struct edged_module` (lb_module, fw_module), and the core lists
 * those in one table, src/modules.c; nothing else in src/ is to name a
 * module.  A module includes only base/ and conf/, so that the contract
 * it is held to is this header, and no module knows another: what one
 * needs of another goes through the core as plain data (the endpoints
 * below).
 *
 * The contract, hook by hook (a NULL hook is a module without that
 * concern):
 *
 * Configuration.  The module owns the top-level directives of its rows
 * (conf_apply's rows; a name belongs to one module only).  The core
 * makes the module's part of a generation with conf_new, applies each of
 * its top-level statements to it, then calls conf_resolve once every
 * statement of the file is applied (names across blocks, whole-file
 * checks); conf_print writes the part in normal form (`edged -T`, the
 * text sent to the worker), which parses again to the same part, its
 * secrets printed as CONF_HIDDEN (conf.h) unless flags has
 * EDGED_PRINT_SECRETS;
 * conf_free releases it.  A part is plain data: it is built while the
 * running generation serves, and nothing running reads it until the
 * core has it in force.
 *
 * Certificates.  A module that owns certificate blocks lists them with
 * certificates, as plain data (edged_cert: names and paths); once every
 * part is resolved, the core hands every module's list to each
 * use_certificates, which resolves the names its part gives and copies
 * what it needs (the vpn's sites name the load balancer's blocks).
 *
 * Files.  check_files reads what the part names on disk (certificates,
 * keys) and checks it, adding errors to d, without keeping anything: the
 * check of `edged -t` and `edgectl check`.
 *
 * Endpoints.  endpoints adds the local addresses and ports the module
 * receives traffic on (a virtual server, BGP, IKE) to a list the core
 * collects from every module and hands to the modules that filter
 * traffic (the firewall lets them in after its rules); it must add them
 * in the same order each time, since the order shows in what the filter
 * compiles to.  The same list carries the virtual servers a module wants
 * the kernel to balance by itself (edged_kservice: the load balancer's
 * l4-kernel profile), which the module owning the packet filter compiles
 * into its table.  While they run, their members' weights in force go
 * from the module that knows them (monitors, edgectl member) through
 * host->kernel_weights to every module's kernel_weights hook, which
 * changes the kernel's elements without a reload; a module that publishes
 * them does so again at each commit of its own (it comes first in the
 * table), so that the table committed next starts from them.  In the
 * same way, the services' addresses (edged_vip) go to routing, and
 * whether each service can serve goes through host->service_usable to
 * every module's service_usable: routing announces an address while a
 * service on it can.  And the traffic a module needs kept from source
 * NAT (edged_nat_exempt: an IPsec site's subnets) goes to the module
 * owning the packet filter, which lets it by before its NAT rules.
 *
 * Compiled form.  print_compiled writes what the module hands the
 * kernel or a peer daemon, as text (the firewall: its nftables table):
 * `edged -n`.  It is given every module's endpoints.
 *
 * In the master.  master_new makes the module's runtime in the master
 * (what outlives generations: the firewall's view of its table, the
 * dynamic groups' members, read back from the first generation's state
 * directory); master_stop is called when edged stops (say what stays in
 * force), master_free at the very end.  The hooks get the core's
 * services as a struct edged_host, never by calling into src/.
 *
 * A generation.  gen_new makes the module's runtime part of a loaded
 * generation from its configuration part (the firewall compiles its
 * table); an error goes to d and rejects the file.  gen_free releases
 * it, once no worker uses the generation (its configuration part is
 * still there, and goes after).
 *
 * The reload transaction.  A new generation is loaded (every module's
 * gen_new), then the core starts its worker and waits for it to serve
 * (it accepts on the sockets it shares with the running worker, as in
 * every reload); no module has anything of the new generation in force
 * yet.  Then the core commits each module in the table's order: commit
 * puts the generation's part in force (the firewall: its table into the
 * kernel) and may fail, with the reason in err, leaving in force what
 * the module had (the core keeps a generation's part alive as long as a
 * module has it in force); once every module has committed, the new
 * worker takes over and the old one drains.  When a commit fails, the
 * modules committed before it get commit again with the generation in
 * force (which puts it back), the new worker drains what it took and
 * exits, and the reload fails: every module is as it was.  At start
 * (and after an upgrade's exec) the first generation is committed
 * before its worker starts, and a failure stops edged.  A commit that
 * cannot fail (the load balancer's) costs nothing to undo; of two that
 * can, the one whose undo costs less should come first.
 *
 * Commands.  A module's edgectl commands are rows (struct
 * edged_command).  edgectl builds its usage, "did you mean" and the
 * check of each command's words from every module's rows, and the
 * master dispatches each control line by them: run is called with the
 * words after the command's own, checked against its args.  run answers
 * (host->reply) now or later; it is the module's to answer every
 * command it takes.
 *
 * Workers, seen from the master.  worker_born makes the module's data
 * for each worker (the load balancer: the block its counters go in),
 * worker_role follows it from starting to serving to draining, and
 * worker_gone ends it (the load balancer keeps what it counted);
 * worker_carry and worker_adopt hand it to the binary an upgrade runs.
 * feed_worker sends the module's messages to a worker before it starts
 * (the firewall: its counters block), through the channel given;
 * from_worker is called with each message a worker sends the module.
 * host->each_worker reaches running workers, host->ask has the serving
 * one answer a command.
 *
 * Status and upgrade.  status adds the module's part to `edgectl
 * status`; carry_save and carry_line hand its runtime state (edgectl's
 * overrides, the stick tables' memory) from a binary to the one an
 * upgrade executes: text lines, and descriptors they name (passed with
 * carry->pass, they stay open, with their numbers, across the exec).
 *
 * In the worker (unprivileged; it reads no file).  The worker parses the
 * configuration text again and makes each module's runtime with
 * worker_new; worker_msg takes the module's messages (feed_worker's
 * before START, host->each_worker's after), worker_tickets the TLS
 * session ticket keys (at start and each rotation).  At START,
 * worker_start is given the listening sockets the master bound for the
 * module's listens, and serves.  The worker's main thread calls
 * worker_tick at least every 200 ms, answers host->ask with worker_ask
 * and the stats listener with metrics and stats_json; worker_drain stops
 * accepting and lets what is in flight finish, worker_stop ends it now;
 * the worker exits once every module is worker_done, after worker_free.
 * from_worker (in the master) gets what a worker sends through
 * env->master.
 */
#ifndef EDGED_MODULE_H
#define EDGED_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "conf.h"

/* A certificate block, as plain data for the modules that use one
 * another module owns (the load balancer's `certificate` blocks, for
 * the vpn's IKE): its name and its files' paths, not their contents. */
#define EDGED_PATH_MAX	1024

struct edged_cert {
	char name[64];
	struct conf_pos pos;		/* the block's */
	char cert[EDGED_PATH_MAX];	/* PEM, leaf first */
	char key[EDGED_PATH_MAX];	/* PEM, unencrypted */
	char chain[EDGED_PATH_MAX];	/* "": in cert, after the leaf */
};

struct edged_certs {
	struct edged_cert *v;
	size_t n, cap;
};

/* A local address and port a module receives traffic on. */
struct edged_endpoint {
	struct sockaddr_storage addr;	/* the port inside; INADDR_ANY or
					 * in6addr_any: every address of
					 * that family */
	int proto;			/* IPPROTO_TCP, IPPROTO_UDP, or
					 * IPPROTO_ESP (port 0) */
	char what[96];			/* says which, in a comment:
					 * "virtual-server web", "stats" */
};

/*
 * A virtual server the kernel balances by itself (the load balancer's
 * l4-kernel profile): no process sees its packets.  The module that owns
 * the kernel's packet filter (the firewall) compiles it into its table:
 * a new flow to one of addrs goes to a member picked by pick among those
 * whose weight in force is not 0.  The weights in force change at run
 * time (host->kernel_weights), without a reload.
 */
enum edged_kpick {
	EDGED_KPICK_ROUND_ROBIN,	/* in turn */
	EDGED_KPICK_SOURCE,		/* by the client's address */
};

enum edged_ksnat {
	EDGED_KSNAT_NONE,		/* inline: members see the client's
					 * address and route back through
					 * the edge */
	EDGED_KSNAT_MASQUERADE,		/* one-armed: the edge's address
					 * toward the member */
	EDGED_KSNAT_ADDRESS,		/* one-armed, from snat_addr */
};

#define EDGED_KNAME_MAX	64

struct edged_kmember {
	char name[EDGED_KNAME_MAX];
	struct sockaddr_storage addr;	/* the port inside */
	unsigned weight;		/* the file's, 0 when it starts
					 * with none (disabled, a backup) */
};

struct edged_kservice {
	char name[EDGED_KNAME_MAX];	/* the virtual server's */
	struct sockaddr_storage *addrs;	/* where clients connect, the port
					 * inside; one family, the members' */
	size_t naddrs;
	int proto;			/* IPPROTO_TCP, IPPROTO_UDP */
	enum edged_kpick pick;
	enum edged_ksnat snat;
	struct sockaddr_storage snat_addr;	/* EDGED_KSNAT_ADDRESS */
	bool cut;			/* a member that goes down loses the
					 * flows it has */
	struct edged_kmember *members;
	size_t nmembers;
};

/* A member's weight in force (host->kernel_weights), in
 * 1/EDGED_KWEIGHT_SCALE: a slow start ramps even a weight of 1. */
#define EDGED_KWEIGHT_SCALE	64

struct edged_kweight {
	const char *member;
	unsigned weight;		/* 0: no new flows; the file's 2 is
					 * 2 * EDGED_KWEIGHT_SCALE */
	bool down;			/* its monitor says so, or edgectl
					 * disabled it: with the service's
					 * cut, its flows end */
};

/*
 * An address a service answers on, which routing may announce to the
 * network while the service can serve (route health injection): the
 * load balancer's virtual servers.  Whether it can serve changes at run
 * time (host->service_usable).
 */
struct edged_vip {
	char service[EDGED_KNAME_MAX];	/* the virtual server's name */
	struct sockaddr_storage addr;	/* port 0; never a wildcard */
};

/*
 * Traffic a module needs kept from source NAT: from src/src_len to
 * dst/dst_len, one family (the vpn module: a site's local subnets to
 * its peer's, which must reach the tunnel with the addresses its traffic
 * selectors name, as NSX exempts them).  The module owning the packet
 * filter lets them by before its source NAT rules.
 */
struct edged_nat_exempt {
	struct sockaddr_storage src, dst;	/* port 0 */
	unsigned src_len, dst_len;
	char what[96];			/* in a comment: "ipsec site-b" */
};

/* What the modules serve: their endpoints, the virtual servers the
 * kernel balances, the services' addresses, and the traffic kept from
 * source NAT. */
struct edged_endpoints {
	struct edged_endpoint *v;
	size_t n, cap;
	struct edged_kservice *ks;
	size_t nks, kscap;
	struct edged_vip *vips;		/* each (service, address) once */
	size_t nvips, vipcap;
	struct edged_nat_exempt *nx;
	size_t nnx, nxcap;
	unsigned transparent;		/* families a module connects from
					 * clients' own addresses in (1:
					 * IPv4, 2: IPv6): the packet filter
					 * and the routes deliver the
					 * replies to its sockets */
};

/* Adds a copy of ks (its addresses and members copied too) to eps.  0,
 * or -1 out of memory. */
int edged_kservice_add(struct edged_endpoints *eps,
    const struct edged_kservice *ks);
/* Frees what a copy made by edged_kservice_add holds. */
void edged_kservice_release(struct edged_kservice *ks);
/* A deep copy of ks into *out; 0, or -1 out of memory. */
int edged_kservice_copy(struct edged_kservice *out,
    const struct edged_kservice *ks);

/* Adds service's address addr (its port is dropped) to eps->vips,
 * unless it is a wildcard or there already.  0, or -1 out of memory. */
int edged_vip_add(struct edged_endpoints *eps, const char *service,
    const struct sockaddr_storage *addr);

/* Adds a copy of x to eps->nx.  0, or -1 out of memory. */
int edged_nat_exempt_add(struct edged_endpoints *eps,
    const struct edged_nat_exempt *x);

/* Adds one to eps: the address (its port inside), its protocol and
 * what it is (truncated to fit).  0, or -1 out of memory. */
int edged_endpoints_add(struct edged_endpoints *eps,
    const struct sockaddr_storage *addr, int proto, const char *what);
void edged_endpoints_release(struct edged_endpoints *eps);

struct ev_loop;
struct edged_ctl;			/* a control command being answered:
					 * the core's */

struct edged_module;
struct edged_channel;

/* An upgrade's descriptors (carry_save): pass keeps fd open across the
 * exec, under the same number. */
struct edged_carry {
	int (*pass)(const struct edged_carry *c, int fd);
	void *core;			/* the core's */
};

/* Workers, as edged_host's each_worker picks them. */
#define EDGED_W_SERVING		0x1	/* the one serving */
#define EDGED_W_STARTING	0x2	/* a reload's, not serving yet */
#define EDGED_W_DRAINING	0x4	/* older generations', finishing */

/* The core's own figures, which a module may show (the load balancer's
 * metrics do). */
struct edged_figures {
	uint64_t reloads_ok;		/* edgectl reload, SIGHUP */
	uint64_t reloads_failed;
	uint64_t started_ms;		/* Unix ms: edged's start */
	uint64_t loaded_ms;		/* the configuration in force's load */
};

/* The TLS session ticket keys the core makes, rotates and hands every
 * module's worker_tickets: at most EDGED_TICKET_KEYS of
 * EDGED_TICKET_KEY bytes each, newest first. */
#define EDGED_TICKET_KEY	80
#define EDGED_TICKET_KEYS	3

/* The core's services to a module's hooks in the master. */
struct edged_host {
	struct ev_loop *loop;
	const struct edged_figures *figures;
	/* Answers c and ends it: OK or ERROR, then text. */
	void (*reply)(struct edged_ctl *c, bool ok, const char *text);
	/* Asks the serving worker for mod (type, json, arg); the text it
	 * answers is c's answer (an error when no worker serves). */
	void (*ask)(const struct edged_host *h, struct edged_ctl *c,
	    const struct edged_module *mod, uint16_t type, bool json,
	    const char *arg);
	/* Calls fn for each worker of which (EDGED_W_*), with its
	 * generation's part of mod and the way to it. */
	void (*each_worker)(const struct edged_host *h,
	    const struct edged_module *mod, unsigned which,
	    void (*fn)(void *arg, void *gd, const struct edged_channel *ch),
	    void *arg);
	/* The weights in force of kernel-balanced virtual server
	 * service's members (edged_kservice), by member name; the core
	 * hands them to every module's kernel_weights.  A member not
	 * named keeps what it had. */
	void (*kernel_weights)(const struct edged_host *h,
	    const char *service, const struct edged_kweight *w, size_t n);
	/* Whether service (an edged_vip's) can serve now: the core hands
	 * it to every module's service_usable.  Said again at each commit
	 * of the publisher's and after every change. */
	void (*service_usable)(const struct edged_host *h,
	    const char *service, bool usable);
	void *core;			/* the core's */
};

/* host->reply with a printf format. */
void edged_replyf(const struct edged_host *h, struct edged_ctl *c, bool ok,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* host->reply with what was written to t (base/text.h), which it ends;
 * "out of memory" (not ok) when t could not hold it. */
struct text;
void edged_reply_text(const struct edged_host *h, struct edged_ctl *c,
    bool ok, struct text *t);

/* A module's state as text, for its workers' metrics (routing's
 * announcements, the IPsec tunnels): one message of type to every
 * worker of mod, serving, starting or draining; a worker that misses it
 * is logged (debug) and gets the next. */
void edged_publish_text(const struct edged_host *h,
    const struct edged_module *mod, uint16_t type, const char *text,
    size_t len);
/* In the worker: a copy of such a message (len bytes), NUL-ended, in
 * place of *state.  0, or -1 out of memory (*state kept, logged). */
int edged_state_take(char **state, const void *data, size_t len);

/* What a module's generation learns of the core's settings. */
struct edged_gen_info {
	const char *state_dir;		/* what outlives restarts */
};

/* The way to one worker: sends one message of the module's (type, arg,
 * payload, fd or -1).  0, or -1 with errno. */
struct edged_channel {
	int (*send)(const struct edged_channel *ch, uint16_t type,
	    uint32_t arg, const void *data, size_t len, int fd);
	size_t max;			/* the most payload one message
					 * carries */
	void *core;			/* the core's */
};

/*
 * One edgectl command: `WORD [SUB] ARGS`.  args is both the usage and
 * the grammar its words are checked against: alternatives separated by
 * " | ", each a sequence of NAME (one word, in capitals), NAME... (one
 * or more, last), [NAME] or [NAME...] (optional, last), or a literal
 * word (anything else, "--all").  json: it shows something, and a last
 * word "json" asks for JSON.
 */
struct edged_command {
	const char *word;		/* "group" */
	const char *sub;		/* "add", or NULL */
	const char *args;		/* "NAME ADDR..." */
	bool json;
	const char *help;		/* one line, for the usage */
	/* ms: the module's master runtime; args without word, sub and
	 * json */
	void (*run)(void *ms, struct edged_ctl *c, char **args, size_t n,
	    bool json);
};

/* Whether words[0..n) fit cmd->args. */
bool edged_command_fits(const struct edged_command *cmd, char **words,
    size_t n);
/* cmd's usage, every alternative, into buf: "member reset POOL MEMBER,
 * or member reset --all"; json rows end each with " [--json]" when
 * cli, " [json]" when not (the control line's form). */
void edged_command_usage(const struct edged_command *cmd, bool cli,
    char *buf, size_t size);

/* A listening socket a module asks the core to bind (as root). */
struct edged_listen {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int socktype;			/* SOCK_STREAM or SOCK_DGRAM */
	const struct conf_pos *pos;	/* where the file asks for it: an
					 * error binding it says so */
};

struct edged_listens {
	struct edged_listen *v;
	size_t n, cap;
};

/* Adds one to ls, of socktype (SOCK_STREAM, SOCK_DGRAM); 0, or -1 out
 * of memory. */
int edged_listens_add(struct edged_listens *ls,
    const struct sockaddr_storage *addr, socklen_t addrlen, int socktype,
    const struct conf_pos *pos);
void edged_listens_release(struct edged_listens *ls);

/* What the core's worker gives a module's runtime there. */
struct edged_worker_env {
	unsigned threads;		/* event-loop threads */
	uint64_t max_connections;	/* the whole worker's */
	const struct edged_channel *master;	/* to the module's part in
					 * the master (from_worker) */
};

/* conf_print's flags */
#define EDGED_PRINT_SECRETS	0x1	/* the secrets themselves: -T
					 * --show-secrets, never a worker */

struct edged_module {
	const char *name;		/* "lb", "fw": in messages */

	/* configuration */
	const struct conf_directive *directives;
	size_t ndirectives;
	/* Its directives whose block holds lines of another language, not
	 * tokenized by the configuration's lexer (conf_parse_file): each
	 * line reaches the directive as a child of one word.  NULL, or
	 * NULL-terminated. */
	const char *const *verbatim_blocks;
	void *(*conf_new)(void);	/* defaults; NULL out of memory */
	void (*conf_resolve)(void *part, struct conf_diag *d);
	void (*conf_print)(const void *part, FILE *out, unsigned flags);
	void (*conf_free)(void *part);	/* part may be NULL */

	/* The certificate blocks it owns, added to out for the others (0,
	 * or -1 out of memory); and, once every module's part is resolved,
	 * every module's blocks, for a part that names some (an unknown
	 * name is an error in d; what it uses it copies). */
	int (*certificates)(const void *part, struct edged_certs *out);
	void (*use_certificates)(void *part, const struct edged_certs *certs,
	    struct conf_diag *d);

	/* Returns the number of errors added to d. */
	unsigned (*check_files)(const void *part, struct conf_diag *d);
	/* 0, or -1 out of memory. */
	int (*endpoints)(const void *part, struct edged_endpoints *eps);
	void (*print_compiled)(const void *part,
	    const struct edged_endpoints *eps, FILE *out);

	/* in the master; NULL out of memory */
	void *(*master_new)(const struct edged_host *h,
	    const struct edged_gen_info *first);
	void (*master_stop)(void *ms);
	void (*master_free)(void *ms);
	/* NULL after adding an error to d; eps: every module's endpoints */
	void *(*gen_new)(void *ms, const void *part,
	    const struct edged_gen_info *info,
	    const struct edged_endpoints *eps, struct conf_diag *d);
	void (*gen_free)(void *ms, void *gd);
	int (*commit)(void *ms, void *gd, char *err, size_t errsize);
	const struct edged_command *commands;
	size_t ncommands;
	/* a worker of gd is about to start, with threads threads: the
	 * module's data for it (*wd, may stay NULL); 0, or -1 with errno:
	 * the worker does not start */
	int (*worker_born)(void *ms, void *gd, unsigned threads, void **wd);
	/* its role changed (EDGED_W_*: it serves, it drains) */
	void (*worker_role)(void *ms, void *wd, unsigned role);
	/* it is gone (exited, killed): its data goes */
	void (*worker_gone)(void *ms, void *wd);
	/* an upgrade: the descriptor the next binary gets for wd (-1:
	 * none), and there, the worker's data made again from it */
	int (*worker_carry)(void *ms, void *wd);
	int (*worker_adopt)(void *ms, int fd, unsigned role, void **wd);
	/* host->figures changed (a reload counted) */
	void (*figures_changed)(void *ms);
	int (*feed_worker)(void *ms, void *gd, void *wd,
	    const struct edged_channel *ch);
	/* live: from the serving or a starting worker, not a draining
	 * one's (older news); back: the way to that worker, for an answer
	 * now (valid during the call only) */
	void (*from_worker)(void *ms, void *gd, bool live, uint16_t type,
	    uint32_t arg, const void *data, size_t len,
	    const struct edged_channel *back);
	/* what `edgectl status` says of the module's part in force: JSON
	 * fields, each followed by a comma, or text for the configuration's
	 * line ("2 virtual servers, 1 pool") */
	void (*status)(void *ms, bool json, FILE *out);
	/* an upgrade: the runtime state the next binary takes over, as
	 * lines of the module's own (carry_save), given back one by one to
	 * the new image's carry_line (1: taken; 0: not the module's; -1:
	 * the module's, unreadable); a descriptor a line names is passed
	 * with carry->pass first (0, or -1: too many, leave it out) */
	void (*carry_save)(void *ms, FILE *out,
	    const struct edged_carry *carry);
	int (*carry_line)(void *ms, const char *line);
	/* host->kernel_weights from another module: what the kernel is
	 * to do now for service's members */
	void (*kernel_weights)(void *ms, const char *service,
	    const struct edged_kweight *w, size_t n);
	/* host->service_usable from another module */
	void (*service_usable)(void *ms, const char *service, bool usable);

	/* in the worker; NULL when it cannot (logged) */
	void *(*worker_new)(const void *part,
	    const struct edged_worker_env *env);
	/* a message of the module's from the master: fd is the module's to
	 * close; before START (started false), -1 stops the worker from
	 * starting (logged) */
	int (*worker_msg)(void *ws, bool started, uint16_t type, uint32_t arg,
	    const void *data, size_t len, int fd);
	/* START: fds are its listening sockets, [thread * n + listener]
	 * in the order of listens; -1 after logging why */
	int (*worker_start)(void *ws, const int *fds, size_t n);
	void (*worker_tickets)(void *ws, const unsigned char *keys, size_t n);
	char *(*worker_ask)(void *ws, uint16_t type, bool json,
	    const char *arg, size_t *len);
	void (*worker_tick)(void *ws);
	void (*worker_drain)(void *ws);
	void (*worker_stop)(void *ws);
	bool (*worker_done)(void *ws);
	void (*worker_free)(void *ws);
	/* GET /metrics: its families (Prometheus text), appended to out;
	 * GET /stats: its statistics as one JSON document (the first
	 * module's that has them), NULL out of memory */
	int (*metrics)(void *ws, FILE *out);	/* -1 out of memory */
	char *(*stats_json)(void *ws, size_t *len);
	/* the listening sockets its worker threads accept on, one per
	 * thread each (SO_REUSEPORT), bound by the master */
	int (*listens)(const void *part, struct edged_listens *out);
	/* where GET /metrics is served, if the part says (true) */
	bool (*metrics_listen)(const void *part, struct edged_listen *out);
};

#endif /* EDGED_MODULE_H */
