/*
 * lb/lb.h - the load balancer: its configuration model (plain data, built
 * by the directives in lb_conf.c), and the runtime that a worker process
 * builds from it (lb_runtime.c) and runs on its event-loop threads.
 */
#ifndef EDGED_LB_H
#define EDGED_LB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "conf.h"
#include "health.h"

#define LB_NAME_MAX	64

enum lb_algo {
	LB_ALGO_ROUND_ROBIN,
	LB_ALGO_LEAST_CONN,
	LB_ALGO_IP_HASH,
	LB_ALGO_URI,
	LB_ALGO_HEADER,
	LB_ALGO_URL_PARAM,
};

enum lb_profile_type {
	LB_PROFILE_HTTP,
	LB_PROFILE_HTTPS,		/* TLS terminated, then HTTP */
	LB_PROFILE_PASSTHROUGH,		/* TCP, routed by the ClientHello */
	LB_PROFILE_TCP,			/* TCP, bytes both ways unread */
	LB_PROFILE_UDP,			/* UDP datagrams, unread */
	LB_PROFILE_KERNEL,		/* balanced by the kernel (nftables),
					 * no process on the path */
};

/* Whether a profile's traffic is not read as HTTP (ssl-passthrough,
 * tcp, udp, l4-kernel). */
static inline bool
lb_profile_l4(enum lb_profile_type t)
{
	return t == LB_PROFILE_PASSTHROUGH || t == LB_PROFILE_TCP ||
	    t == LB_PROFILE_UDP || t == LB_PROFILE_KERNEL;
}

enum lb_client_verify {
	LB_VERIFY_NONE,
	LB_VERIFY_OPTIONAL,
	LB_VERIFY_REQUIRED,
};

enum lb_monitor_type {
	LB_MONITOR_TCP,
	LB_MONITOR_HTTP,
	LB_MONITOR_HTTPS,		/* http over the pool's TLS */
	LB_MONITOR_UDP,			/* a datagram, and one back */
	LB_MONITOR_DNS,			/* a query, answered */
};

/* Whether a monitor probes with datagrams (udp, dns). */
static inline bool
lb_monitor_datagram(enum lb_monitor_type t)
{
	return t == LB_MONITOR_UDP || t == LB_MONITOR_DNS;
}

struct lb_monitor_conf {
	char name[LB_NAME_MAX];
	struct conf_pos pos;
	enum lb_monitor_type type;
	uint64_t interval;		/* ms */
	uint64_t timeout;		/* ms */
	unsigned rise;
	unsigned fall;
	char method[16];		/* http */
	char url[1024];
	char host[256];			/* "" = the member's address */
	struct lb_expect_status expect;
	char body[256];			/* "" = any body */
	bool body_regex;
	char send[256];			/* tcp: "" = connect only; udp */
	char receive[256];
	char query[256];		/* dns: the name asked for */
	bool query_written;		/* ... a query line, good or not */
	/* the first directive of the other type, for the type check */
	const char *misplaced;
	struct conf_pos misplaced_pos;
};

#define LB_PATH_MAX	1024

/* A certificate and its key (cert_conf.c); the files are read by
 * lb_certs_load (tls_cert.h). */
struct lb_cert_conf {
	char name[LB_NAME_MAX];
	struct conf_pos pos;
	char cert[LB_PATH_MAX];
	struct conf_pos cert_pos;
	char key[LB_PATH_MAX];
	struct conf_pos key_pos;
	char chain[LB_PATH_MAX];	/* "" = in cert, after the leaf */
	struct conf_pos chain_pos;
};

struct lb_timeouts {			/* milliseconds */
	uint64_t connect;
	uint64_t client;
	uint64_t server;
	uint64_t http_request;
	uint64_t keep_alive;
	uint64_t tarpit;		/* 0: timeout connect's */
	uint64_t tunnel;		/* idle, either way, once bytes pass
					 * unread (tcp, ssl-passthrough,
					 * after an upgrade); 0: the longer
					 * of client and server */
	uint64_t udp;			/* a udp session idle; 0: 30 s */
};

#define LB_UDP_TIMEOUT	30000

/* A profile's `tls { }` (tls_conf.c): what clients are offered. */
struct lb_tls_server_conf {
	unsigned min_version;		/* TLS1_2_VERSION style, 0x0301.. */
	char ciphers[512];		/* TLS <= 1.2; "" = OpenSSL's */
	struct conf_pos ciphers_pos;
	char ciphersuites[512];		/* TLS 1.3; "" = OpenSSL's */
	struct conf_pos ciphersuites_pos;
	char alpn[256];			/* protocols, space-separated */
	char client_ca[LB_PATH_MAX];	/* "" = no client certificates */
	struct conf_pos client_ca_pos;
	enum lb_client_verify client_verify;
	bool client_verify_set;
	struct conf_pos client_verify_pos;
	size_t client_ca_slot;		/* resolved: its lb_tls_files slot */
};

/* `certificates NAME...`: a reference to a certificate block. */
struct lb_cert_ref {
	char name[LB_NAME_MAX];
	struct conf_pos pos;
	size_t idx;			/* resolved */
};

#define LB_HOST_MAX	256

/* `sni NAME pool POOL` of an ssl-passthrough profile. */
struct lb_sni_route {
	char name[LB_HOST_MAX];		/* lower case; "*.example.com" */
	struct conf_pos pos;
	char pool[LB_NAME_MAX];
	struct conf_pos pool_pos;
	size_t pool_idx;		/* resolved */
};

enum lb_persist {
	LB_PERSIST_NONE,
	LB_PERSIST_COOKIE,		/* insert: edged's cookie names the
					 * member */
	LB_PERSIST_SOURCE_IP,		/* a table of the profile's own */
	LB_PERSIST_SSL_SESSION_ID,	/* ssl-passthrough: the same, by the
					 * TLS session id */
};

/* `persistence ...` of a profile (persist_conf.c): a client goes back
 * to the member it had while that one is up and not disabled (a drained
 * member keeps its persistent clients). */
struct lb_persist_conf {
	enum lb_persist kind;
	struct conf_pos pos;
	char cookie[LB_NAME_MAX];	/* cookie: its name */
	enum { LB_COOKIE_INSERT, LB_COOKIE_PREFIX, LB_COOKIE_REWRITE } mode;
	bool nocache, httponly, secure;
	uint64_t max_idle, max_life;	/* insert: ms, 0 = none */
	uint64_t timeout;		/* source-ip: ms an entry lasts */
	unsigned mask;			/* source-ip: IPv4 prefix length */
	size_t table;			/* resolved: source-ip's stick table
					 * in lb_conf's sticks */
};

struct lb_profile_conf {
	char name[LB_NAME_MAX];
	struct conf_pos pos;
	enum lb_profile_type type;
	bool xff_insert;
	/* https */
	struct lb_cert_ref *certs;	/* the first is the default */
	size_t ncerts;
	struct conf_pos certs_pos;	/* of `certificates`; file NULL =
					 * not written */
	struct lb_tls_server_conf tls;
	struct conf_pos tls_pos;	/* of `tls { }`; file NULL = none */
	/* ssl-passthrough */
	struct lb_sni_route *routes;
	size_t nroutes;
	char default_pool[LB_NAME_MAX];	/* "" = the virtual server's */
	struct conf_pos default_pool_pos;
	size_t default_pool_idx;	/* resolved */
	struct lb_persist_conf persist;
	/* udp */
	uint64_t udp_responses;		/* a session ends once each client
					 * datagram got as many replies;
					 * 0: only when idle */
	struct conf_pos udp_responses_pos;
	/* l4-kernel */
	bool kernel_udp;		/* protocol udp (else tcp) */
	struct conf_pos protocol_pos;	/* file NULL: not written */
	bool kernel_cut;		/* on-member-down cut */
	struct conf_pos member_down_pos;
};

/* A pool's `tls { }` (tls_conf.c): re-encryption to its members. */
struct lb_tls_client_conf {
	bool enabled;
	struct conf_pos pos;
	bool verify;			/* verify required */
	char ca[LB_PATH_MAX];		/* "" = none (verify needs one) */
	struct conf_pos ca_pos;
	char sni[LB_HOST_MAX];		/* "" = none; the member's address
					 * is then what is verified */
	size_t ca_slot;			/* resolved */
};

struct lb_member_conf {
	char name[LB_NAME_MAX];
	struct conf_pos pos;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	unsigned weight;		/* 1..256, default 1 */
	bool backup;
	unsigned monitor_port;		/* 0 = the member's port */
	unsigned max_connections;	/* requests at once, 0 = any */
	unsigned send_proxy;		/* PROXY protocol version, 0 none */
	bool check_send_proxy;		/* probes send it on a monitor-port
					 * too */
};

struct lb_pool_conf {
	char name[LB_NAME_MAX];
	struct conf_pos pos;
	enum lb_algo algo;
	struct conf_pos algo_pos;	/* its name's; file NULL: not set */
	unsigned uri_length;		/* uri: 0 = whole path */
	unsigned uri_depth;		/* uri: 0 = all segments */
	char key_name[LB_NAME_MAX * 2];	/* header NAME / url-param NAME */
	uint64_t slow_start;		/* ms; 0 = none */
	char monitor[LB_NAME_MAX];	/* "" = none */
	struct conf_pos monitor_pos;
	size_t monitor_idx;		/* resolved */
	struct lb_tls_client_conf tls;
	struct lb_member_conf *members;
	size_t nmembers;
	uint64_t max_queue;		/* requests waiting for a member at
					 * its max-connections */
	uint64_t queue_timeout;		/* ms; 0 = timeout connect's */
	/* source-address: what connections to the members (and probes)
	 * leave from; family AF_UNSPEC: the kernel's choice */
	struct sockaddr_storage source;
	socklen_t sourcelen;
	struct conf_pos source_pos;
	bool transparent;		/* members see the client's address */
	struct conf_pos transparent_pos;
};

struct lb_listen_conf {
	struct conf_pos pos;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	bool accept_proxy;		/* a PROXY header comes first */
	bool udp;			/* resolved: its virtual server's
					 * profile is udp (a datagram
					 * socket) */
};

/* `rules NAME...`: an application-rule block a virtual server runs. */
struct lb_rules_ref {
	char name[LB_NAME_MAX];
	struct conf_pos pos;
	size_t idx;			/* resolved: into lb_conf's
					 * rule_blocks */
};

struct lb_vs_conf {
	char name[LB_NAME_MAX];
	struct conf_pos pos;
	struct lb_listen_conf *listens;
	size_t nlistens;
	char profile[LB_NAME_MAX];
	struct conf_pos profile_pos;
	char default_pool[LB_NAME_MAX];
	struct conf_pos pool_pos;
	uint64_t max_connections;	/* 0 = only the global limit */
	bool refuse;			/* beyond it: 503 and close, not the
					 * kernel's queue */
	uint64_t rate_limit;		/* new connections a second, 0: any */
	char access_log[256];		/* "syslog", a file, or "" = none */
	bool access_log_json;
	struct conf_pos access_log_pos;
	struct lb_rules_ref *rules;	/* in the order they apply */
	size_t nrules;
	/* resolved by lb_conf_resolve */
	size_t profile_idx;
	size_t pool_idx;
	bool kernel;			/* its profile is l4-kernel: the
					 * kernel balances it, and no worker
					 * listens for it */
};

/* `stats { listen ADDR }`: Prometheus /metrics and JSON /stats. */
struct lb_stats_conf {
	bool enabled;
	struct conf_pos pos;
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

struct lb_rule_block;

/* `stick-table NAME type ip|ipv6|string [len N] size N [expire D] [store
 * ITEM,...]` (stick_conf.c): a table application rules track clients
 * in (track-sc0), in memory every worker shares and that outlives them
 * (stick.h). */
struct lb_stick_conf {
	char name[LB_NAME_MAX];
	struct conf_pos pos;
	unsigned type;			/* enum lb_stick_type */
	bool ipv6;			/* written "ipv6" (the same keys) */
	unsigned key_len;		/* string: bytes kept of a key */
	uint64_t size;			/* entries */
	uint64_t expire;		/* ms; 0: entries never expire */
	unsigned store;			/* enum lb_stick_store's bits */
	uint32_t period[3];		/* ms, by enum lb_stick_rate */
	bool implicit;			/* made for source-ip persistence:
					 * not printed */
};

struct lb_conf {
	struct lb_timeouts timeouts;
	struct lb_stats_conf stats;
	struct lb_cert_conf *certs;
	size_t ncerts;
	struct lb_monitor_conf *monitors;
	size_t nmonitors;
	struct lb_profile_conf *profiles;
	size_t nprofiles;
	struct lb_pool_conf *pools;
	size_t npools;
	struct lb_vs_conf *vservers;
	size_t nvservers;
	/* application-rule blocks (rule_conf.h: their rules as parsed and
	 * their lines as written) */
	struct lb_rule_block *rule_blocks;
	size_t nrule_blocks;
	/* resolved: the pattern files every block names, each once, in
	 * the order the master reads them and hands them to the worker */
	char **rule_files;
	size_t nrule_files;
	size_t nrule_ctrs;		/* resolved: every block's rules */
	struct lb_stick_conf *sticks;
	size_t nsticks;
	/* resolved: the files the master reads for TLS and hands to the
	 * worker, by slot: certificate i is slot 2i (with its chain) and
	 * its key 2i+1; CA files follow (client_ca_slot, ca_slot) */
	size_t tls_nfiles;
	/* resolved: the kinds of transparent sockets (tsock.h: family and
	 * type, a mask) the worker needs for the transparent pools that
	 * proxied virtual servers use; 0: none */
	unsigned transparent_kinds;
};

/* The top-level directives the load balancer owns (their rows are in
 * lb_module.c): stats, defaults, certificate, monitor,
 * application-profile, pool, virtual-server.  obj is a struct lb_conf. */
int lb_stats_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int lb_defaults_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int lb_profile_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int lb_pool_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int lb_vs_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);

/* "round-robin", "ip-hash": the algorithm as the file writes it. */
const char *lb_algo_name(enum lb_algo a);
/* A profile type's word: "tcp". */
const char *lb_profile_type_name(enum lb_profile_type t);

/* Sets the defaults (timeouts) in a zeroed lb_conf. */
void lb_conf_init(struct lb_conf *c);
/* Frees what c holds (not c itself) and zeroes it. */
void lb_conf_release(struct lb_conf *c);
/* Cross-references and whole-configuration checks after every statement
 * was applied: profile and pool names exist (with did-you-mean), every
 * virtual server listens somewhere, pools have members.  Returns the
 * number of errors added. */
unsigned lb_conf_resolve(struct lb_conf *c, struct conf_diag *d);
/* Prints c in normal form: every setting explicit, 4-space indent. */
void lb_conf_print(const struct lb_conf *c, FILE *out);

/* The index of the object called name among n objects of size sz whose
 * name is their first field; when there is none, an error at pos
 * ("unknown WHAT 'NAME'; did you mean ...") and n. */
size_t lb_conf_ref(struct conf_diag *d, const struct conf_pos *pos,
    const char *what, const char *name, const void *arr, size_t n,
    size_t sz);
/* n's first argument, a file path or a list (what says which), into out:
 * 1 to size - 1 bytes.  pos gets its position.  0, or -1 after an
 * error. */
int lb_conf_get_word(struct conf_diag *d, const struct conf_node *n,
    const char *what, char *out, size_t size, struct conf_pos *pos);
/* Reports a second definition of a named object (at n's name); returns
 * -1 if name is prev_name, else 0. */
int lb_conf_check_dup(struct conf_diag *d, const struct conf_node *n,
    const char *what, const char *name, const char *prev_name,
    const struct conf_pos *prev);

/* cert_conf.c: the certificate block, and its checks and printer. */
int lb_cert_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
unsigned lb_cert_check(const struct lb_cert_conf *c, struct conf_diag *d);
void lb_cert_print(const struct lb_cert_conf *c, FILE *out);

/* tls_conf.c: the TLS directives of profiles and pools, their checks
 * (after every statement) and printers. */
int lb_profile_certificates(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int lb_profile_tls(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int lb_profile_sni(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int lb_profile_default_pool(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int lb_pool_tls(struct conf_diag *d, const struct conf_node *n, void *obj);
/* Resolves certificate and pool names, checks what each profile type
 * allows, numbers the TLS file slots.  Returns the number of errors. */
unsigned lb_tls_conf_resolve(struct lb_conf *c, struct conf_diag *d);
void lb_tls_print_profile(const struct lb_profile_conf *p, FILE *out);
void lb_tls_print_pool(const struct lb_pool_conf *p, FILE *out);
/* "1.2" for TLS1_2_VERSION. */
const char *lb_tls_version_name(unsigned v);

/* monitor_conf.c: the monitor block, and its checks and printer. */
int lb_monitor_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
unsigned lb_monitor_check(const struct lb_monitor_conf *m,
    struct conf_diag *d);
void lb_monitor_print(const struct lb_monitor_conf *m, FILE *out);

/* Number of listening sockets a worker thread needs (one per listen of
 * every virtual server, in order). */
size_t lb_conf_nlisteners(const struct lb_conf *c);
/* The address of listener i (0 <= i < lb_conf_nlisteners), and in *vs
 * (unless NULL) its virtual server's index.  l4-kernel virtual servers
 * have none: the kernel balances them. */
const struct lb_listen_conf *lb_conf_listener(const struct lb_conf *c,
    size_t i, size_t *vs);

#endif /* EDGED_LB_H */
