/*
 * routing/rt_nl.h - rtnetlink for the master: the kernel's links and
 * addresses read, addresses added and removed, a link's MTU and state
 * set, VLAN links made and deleted.  Private to routing/.  Blocking
 * requests on one socket, each acknowledged by the kernel (its error, as
 * text, on failure).
 */
#ifndef EDGED_RT_NL_H
#define EDGED_RT_NL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_conf.h"

/* the IFA_PROTO edged's addresses carry: what it added, and may take
 * away (`ip address` shows "proto 237") */
#define RT_IFA_PROTO		237
/* the start of the alias of a VLAN link edged made */
#define RT_ALIAS_PREFIX		"edged: "

struct rt_nl {
	int fd;
	uint32_t seq;
};

struct rt_nl_link {
	int index;
	char name[IF_NAMESIZE];
	unsigned mtu;
	unsigned flags;			/* IFF_UP... */
	char kind[16];			/* "vlan", "veth", or "" */
	unsigned vlan;			/* its VLAN ID, a vlan link's */
	int parent;			/* IFLA_LINK: a vlan's parent */
	char alias[128];
};

struct rt_nl_addr {
	int index;
	struct rt_prefix p;		/* the address, host bits set */
	unsigned proto;			/* IFA_PROTO, 0 when none */
};

/* 0, or -1 with err. */
int rt_nl_open(struct rt_nl *nl, char *err, size_t errsize);
void rt_nl_close(struct rt_nl *nl);

/* Every link (every address) into *v (malloc'd, the caller's), their
 * number into *n: 0, or -1 with err. */
int rt_nl_links(struct rt_nl *nl, struct rt_nl_link **v, size_t *n,
    char *err, size_t errsize);
int rt_nl_addrs(struct rt_nl *nl, struct rt_nl_addr **v, size_t *n,
    char *err, size_t errsize);

/* Adds (removes) p on link index, marked RT_IFA_PROTO. */
int rt_nl_addr(struct rt_nl *nl, bool add, int index,
    const struct rt_prefix *p, char *err, size_t errsize);
/* Sets link index's MTU (0: leaves it) and state (up or down). */
int rt_nl_set(struct rt_nl *nl, int index, unsigned mtu, bool up,
    char *err, size_t errsize);
/* Makes VLAN vid of link parent, named name, with alias. */
int rt_nl_vlan_add(struct rt_nl *nl, const char *name, int parent,
    unsigned vid, const char *alias, char *err, size_t errsize);
int rt_nl_link_del(struct rt_nl *nl, int index, char *err,
    size_t errsize);

/* The request rt_nl_vlan_add sends, into buf (size bytes): its length,
 * 0 when it does not fit.  For the unit test. */
size_t rt_nl_vlan_msg(void *buf, size_t size, uint32_t seq,
    const char *name, int parent, unsigned vid, const char *alias);

/* A dump's reply (len bytes of whole netlink messages) read into the
 * links (addresses) it holds, appended to *v; 1 at its NLMSG_DONE, 0
 * while more is to come, -1 with err (an error message, or what is not
 * a reply).  For the fuzz target too. */
int rt_nl_parse_links(void *buf, size_t len, struct rt_nl_link **v,
    size_t *n, char *err, size_t errsize);
int rt_nl_parse_addrs(void *buf, size_t len, struct rt_nl_addr **v,
    size_t *n, char *err, size_t errsize);

#endif /* EDGED_RT_NL_H */
