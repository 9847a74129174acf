/*
 * fw/fw_conf.h - the firewall and NAT part of the configuration: address
 * groups, services, firewall rules and NAT rules, as parsed and checked.
 * Plain data; fw_nft.h compiles it into one nftables batch.
 */
#ifndef EDGED_FW_CONF_H
#define EDGED_FW_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"

#define FW_NAME_MAX	64
#define FW_IFNAME_MAX	16		/* IFNAMSIZ, with the NUL */
#define FW_MATCH_GROUPS_MAX 64		/* groups in one source/destination */

/* An address or a prefix; a host address has len 32 or 128. */
struct fw_prefix {
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t len;
	uint8_t addr[16];		/* network byte order, host bits 0 */
};

/* feed URL { refresh; format; max-entries; timeout; ca; header }: where
 * a group's members come from, read again and again by the master
 * (fw_feed.c): a file, or an answer to an HTTP(S) GET */
#define FW_URL_MAX		1024
#define FW_FEED_REFRESH_MS	(5 * 60 * 1000)
#define FW_FEED_MAX_ENTRIES	150000
#define FW_FEED_ENTRIES_LIMIT	10000000
#define FW_FEED_TIMEOUT_MS	(30 * 1000)
#define FW_FEED_JSON_PATHS	8	/* format json PATH... */
#define FW_FEED_JSON_PATH_MAX	128
#define FW_FEED_HEADER_MAX	1024
#define FW_FEED_CA_MAX		512

enum fw_feed_format {
	FW_FEED_LIST,			/* a line an entry */
	FW_FEED_JSON,			/* strings where paths lead */
};

struct fw_feed {
	char url[FW_URL_MAX];		/* file:///PATH, https://..., or
					 * http://... */
	uint64_t refresh_ms;		/* jittered: up to 10% sooner */
	uint64_t max_entries;		/* beyond: the first ones, alarmed */
	enum fw_feed_format format;
	char json[FW_FEED_JSON_PATHS][FW_FEED_JSON_PATH_MAX];
	size_t njson;			/* format json: ".a[].b"; 0: "." */
	uint64_t timeout_ms;		/* http(s): a fetch's whole time */
	char ca[FW_FEED_CA_MAX];	/* https: the CAs to verify with;
					 * "": the system's */
	char header[FW_FEED_HEADER_MAX]; /* https: "Name: value" sent with
					 * each GET (a secret); "": none */
	struct conf_pos pos;
};

/* the file a file:// feed names; whether it is one */
#define FW_FEED_PATH(f)		((f)->url + 7)
#define FW_FEED_IS_FILE(f)	(strncmp((f)->url, "file://", 7) == 0)

struct fw_group {
	char name[FW_NAME_MAX];
	struct conf_pos pos;
	bool dynamic;			/* members set at runtime (edgectl, or
					 * the feed) */
	struct fw_feed *feed;		/* NULL: not fed */
	bool feed_and_dynamic;		/* `dynamic` after `feed`: refused */
	struct fw_prefix *members;	/* static members, in file order */
	size_t nmembers;
	bool used;			/* referenced by a rule */
};

enum fw_proto { FW_TCP, FW_UDP, FW_ICMP, FW_ICMPV6 };

/* One protocol of a service: tcp/udp with a port range (lo = 0: any
 * port), icmp/icmpv6 with a type (lo = FW_ICMP_ANY: any type). */
struct fw_svc_item {
	enum fw_proto proto;
	uint16_t lo, hi;
};

#define FW_ICMP_ANY	0xffff

struct fw_service {
	char name[FW_NAME_MAX];
	struct conf_pos pos;
	struct fw_svc_item *items;
	size_t nitems;
};

/* Words as written, with where they were, resolved once the whole file
 * is read. */
struct fw_words {
	char **w;
	struct conf_pos *pos;
	size_t n;
};

/* Where a rule's source or destination may be: any, the appliance
 * itself (destination only), or a list of addresses, prefixes and
 * groups. */
struct fw_match {
	bool set;			/* written in the rule */
	bool self;
	struct fw_prefix *addrs;	/* inline addresses and prefixes */
	size_t naddrs;
	size_t *groups;			/* indexes into fw_conf.groups */
	size_t ngroups;
	struct fw_words names;		/* the groups as written */
};

/* What a firewall rule and a NAT rule have in common: a name, a place,
 * and what they match.  Both start with it. */
struct fw_sel {
	char name[FW_NAME_MAX];
	struct conf_pos pos;
	struct fw_match src, dst;
	struct fw_svc_item *svc;	/* services expanded; none = any */
	size_t nsvc;
	struct fw_words svcnames;	/* as written: names or inline specs */
	char in_if[FW_IFNAME_MAX];	/* "" = any interface */
	bool bad;			/* had errors: not resolved */
};

enum fw_action { FW_ACCEPT, FW_DROP, FW_REJECT };

struct fw_rule {
	struct fw_sel sel;		/* first: the shared setters' object */
	enum fw_action action;
	bool action_set;
	bool log;
	bool match_translated;
	char steer[FW_NAME_MAX];	/* a service-chain; "": none */
	struct conf_pos steer_pos;
	long chain;			/* its index once resolved; -1 none */
};

/*
 * Service insertion: an appliance that inspects traffic (a firewall VM,
 * an IDS that routes), and a chain of them, which a firewall rule's
 * `steer` sends the flows it accepts through.
 */
#define FW_APPLIANCES_MAX	64
#define FW_CHAINS_MAX		64
#define FW_CHAIN_HOPS_MAX	8

enum fw_appliance_monitor { FW_MON_PING, FW_MON_TCP, FW_MON_HTTP };

struct fw_appliance {
	char name[FW_NAME_MAX];
	struct conf_pos pos;
	struct fw_prefix addr[2];	/* [0] IPv4, [1] IPv6: family 0 none */
	char ifname[FW_IFNAME_MAX];	/* where steered traffic leaves, and
					 * comes back */
	enum fw_appliance_monitor monitor;
	uint16_t port;			/* FW_MON_TCP */
	char url[FW_URL_MAX];		/* FW_MON_HTTP: 200 is up */
	uint64_t interval_ms;
	uint64_t rise, fall;
	bool fail_open;			/* down: bypassed (else dropped) */
	bool used;			/* in a chain */
};

struct fw_chain {
	char name[FW_NAME_MAX];
	struct conf_pos pos;
	char names[FW_CHAIN_HOPS_MAX][FW_NAME_MAX];	/* the appliances */
	struct conf_pos name_pos[FW_CHAIN_HOPS_MAX];
	size_t hops[FW_CHAIN_HOPS_MAX];	/* their indexes, in order */
	size_t nhops;
	unsigned families;		/* 1 IPv4, 2 IPv6: every hop has */
	bool used;			/* steered to */
	unsigned id;			/* from its name, below FW_STEER_IDS:
					 * its marks and tables (fw_route.h)
					 * stay when other chains come and
					 * go, and so do its flows */
};

#define FW_STEER_IDS	4093

enum fw_nat_kind { FW_SNAT, FW_DNAT };

/* translate-to: masquerade (snat only), an address or a range of them,
 * and for dnat an optional port. */
struct fw_nat_rule {
	struct fw_sel sel;		/* first: the shared setters' object */
	enum fw_nat_kind kind;
	char out_if[FW_IFNAME_MAX];
	bool masquerade;
	bool to_set;
	struct fw_prefix to_lo, to_hi;	/* to_hi.family 0: one address */
	uint16_t to_port;		/* 0: keep the port */
	struct conf_pos to_pos;
};

struct fw_conf {
	struct fw_group *groups;
	size_t ngroups;
	struct fw_service *services;
	size_t nservices;
	bool firewall;			/* a firewall block was given */
	struct conf_pos fw_pos;
	enum fw_action default_policy;
	struct fw_rule *rules;
	size_t nrules;
	bool nat;			/* a nat block was given */
	struct fw_nat_rule *nats;
	size_t nnats;
	struct fw_appliance *appliances;
	size_t nappliances;
	struct fw_chain *chains;
	size_t nchains;
};

/* The top-level directives the firewall owns (their rows are in
 * fw_module.c).  obj is a struct fw_conf. */
int fw_group_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int fw_service_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int fw_firewall_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int fw_nat_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int fw_appliance_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int fw_chain_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);

void fw_conf_init(struct fw_conf *c);
/* Resolves group and service names and checks what needs the whole
 * file; errors go to d. */
void fw_conf_resolve(struct fw_conf *c, struct conf_diag *d);
void fw_conf_release(struct fw_conf *c);
/* Normal form, as part of `edged -T`; secrets (a feed's header) as they
 * are only when secrets, else CONF_HIDDEN. */
void fw_conf_print(const struct fw_conf *c, bool secrets, FILE *out);
/* What the feeds name on disk, checked (the CAs readable), and their
 * secrets (a header in a file anyone can read, or read back hidden):
 * the number of errors added to d. */
unsigned fw_conf_check_feeds(const struct fw_conf *c, struct conf_diag *d);

/* The index of the group called name, or -1. */
long fw_group_find(const struct fw_conf *c, const char *name);
/* Parses "ADDR" or "ADDR/LEN" (host bits must be zero); 0 or -1. */
int fw_prefix_parse(const char *s, struct fw_prefix *out);
/* "10.0.0.0/8", "192.0.2.1", "2001:db8::/32"; buf of 64 bytes. */
void fw_prefix_fmt(char *buf, size_t size, const struct fw_prefix *p);
/* The names of the icmp / icmpv6 types edged knows (nft's names). */
const char *fw_icmp_type_name(enum fw_proto proto, uint16_t type);
/* The configuration's word for action a: "accept", "drop", "reject". */
const char *fw_action_name(enum fw_action a);

static inline bool
fw_active(const struct fw_conf *c)
{
	return c->firewall || c->nnats > 0;
}

#endif /* EDGED_FW_CONF_H */
