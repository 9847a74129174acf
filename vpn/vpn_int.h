/*
 * vpn/vpn_int.h - what the vpn module's files in the master share: a
 * generation's sites as charon takes them, the master's runtime, and
 * the watch connection (vpn_watch.c).  Private to vpn/.
 */
#ifndef EDGED_VPN_INT_H
#define EDGED_VPN_INT_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "module.h"
#include "vpn_conf.h"

/* seconds: a command's answer (charon answers a load-conn in ms) */
#define VPN_TIMEOUT		10.
/* seconds: charon looked for again after it went away, doubling */
#define VPN_BACKOFF_MIN		0.5
#define VPN_BACKOFF_MAX		30.

/* A site of a generation: its two messages (the PSK inside: wiped when
 * they go). */
struct vpn_gsite {
	const struct vpn_site *site;
	uint8_t *shared, *conn;
	size_t sharedlen, connlen;
};

struct vpn_gen {
	const struct vpn_conf *conf;
	struct vpn_gsite *v;
	size_t n;
};

struct vpn_master {
	const struct edged_host *host;
	const struct vpn_gen *cur;	/* in force */
	bool synced;			/* charon has cur's sites */
	bool complained;		/* said charon is not there */
	double backoff;
	ev_timer retry;			/* to load cur's sites again */
	char charon_err[512];		/* why charon was not reached */

	/* the watch connection: tunnels up and down, charon gone */
	int wfd;
	ev_io wio;
	uint8_t *win;
	size_t winlen, wincap;
	uint64_t lost;			/* times charon went away */
	uint64_t ups, downs;		/* tunnels (child SAs) */
};

/* a site of g by name; NULL if none */
const struct vpn_gsite *vpn_gen_site(const struct vpn_gen *g,
    const char *name);

/* vpn_watch.c: the watch connection to cur's charon opened (nothing
 * when it is); closed */
void vpn_watch_open(struct vpn_master *vm);
void vpn_watch_close(struct vpn_master *vm);
/* charon went away (the watch saw it, or a command): logged, and every
 * site loaded again once it is back */
void vpn_charon_lost(struct vpn_master *vm, const char *why);

#endif /* EDGED_VPN_INT_H */
