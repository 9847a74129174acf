/*
 * routing/rt_conf.h - the `routing { }` block: the routing module's part
 * of a configuration (plain data, module.h).  Private to routing/.
 *
 *     routing {
 *         zebra-socket /var/run/frr/zserv.api
 *         announce virtual-servers on
 *         frr-config /etc/frr/frr.conf
 *         vty-socket /var/run/frr
 *         router-id 192.0.2.10
 *         static 0.0.0.0/0 via 192.0.2.1
 *         static 203.0.113.0/24 blackhole
 *         prefix-list customers { permit 10.0.0.0/8 le 24 }
 *         bgp {
 *             asn 65010
 *             neighbor 192.0.2.1 { remote-as 65000; password "..." }
 *             announce virtual-servers on
 *             redistribute static prefix-list customers
 *         }
 *         ospf {
 *             area 0.0.0.0 { interface e1 { cost 10 } }
 *         }
 *     }
 *
 * announce virtual-servers on: each virtual server's address is a route
 * in FRR's zebra (route health injection) while a virtual server on it
 * can serve, so that bgpd and ospfd can tell the neighbours
 * (`redistribute openfabric`, rt_zapi.h); withdrawn when none can.  The
 * same line in bgp { } or ospf { } also has that protocol redistribute
 * them (and turns the announcing on).
 *
 * router-id, static, prefix-list, bgp and ospf are FRR's configuration,
 * which edged renders into its own section of frr-config (rt_frr.h):
 * with none of them, edged leaves FRR's configuration alone.
 */
#ifndef EDGED_RT_CONF_H
#define EDGED_RT_CONF_H

#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "conf.h"

/* FRR's places, as Debian builds it */
#define RT_ZEBRA_SOCKET		"/var/run/frr/zserv.api"
#define RT_FRR_CONFIG		"/etc/frr/frr.conf"
#define RT_VTY_SOCKET		"/var/run/frr"

/* a prefix-list's name (conf_get_name's) */
#define RT_NAME_MAX		64
#define RT_HOLD_NEVER		UINT_MAX	/* hold 0: no hold timer */
#define RT_PASSWORD_MAX		80	/* TCP MD5's key (RFC 2385) */

/* 10.0.0.0/8, 2001:db8::/32: the address with its host bits 0 */
struct rt_prefix {
	int family;			/* AF_INET, AF_INET6 */
	unsigned char addr[16];		/* network order */
	unsigned plen;
};

/* static PREFIX via ADDR [dev IF] | dev IF | blackhole [distance N] */
struct rt_static {
	struct rt_prefix dst;
	bool blackhole;
	bool has_via;
	unsigned char via[16];		/* dst's family */
	char dev[IF_NAMESIZE];		/* "": none */
	unsigned distance;		/* 0: FRR's (1) */
	struct conf_pos pos;
};

/* permit|deny PREFIX [ge N] [le N] */
struct rt_pl_entry {
	bool permit;
	struct rt_prefix p;
	unsigned ge, le;		/* 0: not given */
};

struct rt_prefix_list {
	char name[RT_NAME_MAX];
	struct rt_pl_entry *v;
	size_t n;
	struct conf_pos pos;
};

/* what `redistribute` takes */
enum rt_source {
	RT_SRC_CONNECTED,
	RT_SRC_STATIC,
	RT_SRC_KERNEL,
	RT_SRC_BGP,
	RT_SRC_OSPF,
	RT_NSOURCES
};

/* redistribute SOURCE [prefix-list NAME] */
struct rt_redist {
	enum rt_source src;
	char plist[RT_NAME_MAX];	/* "": every route */
	struct conf_pos pos;
};

enum rt_remote {
	RT_REMOTE_AS,			/* remote-as N */
	RT_REMOTE_INTERNAL,		/* remote-as internal: ours */
	RT_REMOTE_EXTERNAL,		/* remote-as external: any other */
};

struct rt_neighbor {
	struct sockaddr_storage addr;	/* port 0 */
	enum rt_remote remote;
	uint32_t remote_as;
	char password[RT_PASSWORD_MAX + 1];	/* "": none; never printed */
	unsigned keepalive, hold;	/* seconds; 0: FRR's 60 and 180 */
	bool bfd;
	struct conf_pos pos;
};

struct rt_bgp {
	bool present;
	uint32_t asn;
	struct rt_neighbor *nb;
	size_t nnb;
	bool announce_vs;
	struct rt_redist *rd;
	size_t nrd;
	struct conf_pos pos;
};

struct rt_ospf_if {
	char name[IF_NAMESIZE];
	unsigned cost;			/* 0: FRR's (from the bandwidth) */
	unsigned hello, dead;		/* seconds; 0: FRR's 10 and 40 */
	bool passive;
	struct conf_pos pos;
};

struct rt_ospf_area {
	uint32_t id;			/* host order */
	struct rt_ospf_if *ifs;
	size_t nifs;
};

struct rt_ospf {
	bool present;
	struct rt_ospf_area *areas;
	size_t nareas;
	bool announce_vs;
	struct rt_redist *rd;
	size_t nrd;
	struct conf_pos pos;
};

/*
 * interface NAME { address CIDR; mtu N; state up|down; vlan ID [parent
 * NAME] }: an interface of the edge's, set through rtnetlink by the
 * master (rt_ifaces.h); a VLAN one is created by edged.
 */
struct rt_iface {
	char name[IF_NAMESIZE];
	struct rt_prefix *addrs;	/* the address itself, host bits
					 * set, and its prefix length */
	size_t naddrs;
	unsigned mtu;			/* 0: left as it is */
	bool down;			/* state down */
	unsigned vlan;			/* 1-4094; 0: not a VLAN */
	char parent[IF_NAMESIZE];	/* a VLAN's */
	struct conf_pos pos;
};

struct rt_conf {
	struct rt_iface *ifs;		/* interface blocks, top level */
	size_t nifs;
	bool present;			/* a routing block was given */
	struct conf_pos pos;
	char zebra_socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool announce_vs;		/* announce virtual-servers on */
	char frr_config[PATH_MAX];
	char vty_socket[sizeof(((struct sockaddr_un *)0)->sun_path) - 16];
	bool has_router_id;
	struct in_addr router_id;
	struct rt_static *statics;
	size_t nstatics;
	struct rt_prefix_list *pls;
	size_t npls;
	struct rt_bgp bgp;
	struct rt_ospf ospf;
};

void rt_conf_init(struct rt_conf *c);
/* Frees what c holds (not c). */
void rt_conf_release(struct rt_conf *c);
/* `interface NAME { }`, top level: a directive setter on a struct
 * rt_conf (rt_conf_iface.c). */
int rt_interface_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
/* The interface blocks in normal form. */
void rt_conf_print_ifaces(const struct rt_conf *c, FILE *out);
/* `routing { }`: a directive setter (conf.h) on a struct rt_conf. */
int rt_routing_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
/* The checks across the block (the prefix-lists named exist, ospf has
 * an area), once the whole file is applied: 0, or -1 with errors in d. */
int rt_conf_resolve(struct rt_conf *c, struct conf_diag *d);
/* c in normal form (nothing when c has no routing block); passwords
 * as CONF_HIDDEN unless secrets. */
void rt_conf_print(const struct rt_conf *c, bool secrets, FILE *out);

/* c's prefix-list name; NULL if it has none of that name. */
const struct rt_prefix_list *rt_conf_prefix_list(const struct rt_conf *c,
    const char *name);
/* Whether zebra is to have the virtual servers' addresses: an
 * `announce virtual-servers on` anywhere in the block. */
bool rt_conf_announces(const struct rt_conf *c);
/* Whether edged renders FRR's configuration: router-id, a static, a
 * prefix-list, bgp or ospf. */
bool rt_conf_drives_frr(const struct rt_conf *c);

/* rt_conf_frr.c: the FRR statements inside routing { } (setters). */
int rt_set_router_id(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int rt_set_static(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int rt_set_prefix_list(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int rt_set_bgp(struct conf_diag *d, const struct conf_node *n, void *obj);
int rt_set_ospf(struct conf_diag *d, const struct conf_node *n, void *obj);
/* redistribute SOURCE [prefix-list NAME] (n) onto *v, in the block of
 * protocol self; 0, or -1 with an error in d */
int rt_get_redist(struct conf_diag *d, const struct conf_node *n,
    enum rt_source self, struct rt_redist **v, size_t *nv);
/* announce virtual-servers on|off (n) into *on; 0, or -1 */
int rt_get_announce(struct conf_diag *d, const struct conf_node *n,
    bool *on);
/* An interface's name, word i of n, into out (IF_NAMESIZE): what the
 * kernel takes (1 to 15 bytes, no '/', no blank) and the configuration
 * language writes.  0, or -1 with an error in d. */
int rt_get_ifname(struct conf_diag *d, const struct conf_node *n, size_t i,
    char *out);
/* A neighbour's timers in force: the file's, or FRR's 60 and 180 (hold
 * 0: none). */
void rt_neighbor_timers(const struct rt_neighbor *nb, unsigned *keepalive,
    unsigned *hold);
/* "10.0.0.0/8" into *p; 0, or -1 after an error about word i of n */
int rt_get_prefix(struct conf_diag *d, const struct conf_node *n, size_t i,
    struct rt_prefix *p);
/* "10.0.0.0/8" */
void rt_prefix_fmt(char *buf, size_t size, const struct rt_prefix *p);
/* the source's word, as in the file and in FRR */
const char *rt_source_name(enum rt_source s);
/* a neighbour's address, as text */
void rt_neighbor_fmt(char *buf, size_t size, const struct rt_neighbor *nb);
/* "0.0.0.0" form of an OSPF area */
void rt_area_fmt(char *buf, size_t size, uint32_t id);

#endif /* EDGED_RT_CONF_H */
