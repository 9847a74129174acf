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
#include "vpn_vici.h"

/* seconds: a command's answer (charon answers a load-conn in ms) */
#define VPN_TIMEOUT		10.
/* seconds: charon looked for again after it went away, doubling */
#define VPN_BACKOFF_MIN		0.5
#define VPN_BACKOFF_MAX		30.

/* A site's VICI messages, in the order charon is given them; each
 * taken away (unloaded) in the other order. */
enum vpn_mkind {
	VPN_M_KEY,			/* load-key: the certificate's key;
					 * unload-key by the id charon gave */
	VPN_M_CERT,			/* load-cert: a chain certificate
					 * (no unload: not a secret) */
	VPN_M_POOL,			/* load-pool, unload-pool id */
	VPN_M_SHARED,			/* load-shared, unload-shared id */
	VPN_M_CONN,			/* load-conn, unload-conn id */
};

struct vpn_msg {
	enum vpn_mkind kind;
	char id[VPN_NAME_MAX + 256 + 8];	/* the pool's, key's, conn's */
	uint8_t *b;			/* the whole message: wiped when it
					 * goes (keys, passwords) */
	size_t len;
};

/* A site of a generation. */
struct vpn_gsite {
	const struct vpn_site *site;
	struct vpn_msg *m;
	size_t n;
};

struct vpn_gen {
	const struct vpn_conf *conf;
	struct vpn_gsite *v;
	size_t n;
	char *radius;			/* charon's settings of the RADIUS
					 * servers; NULL when none is used:
					 * wiped when it goes */
	size_t radius_len;
};

struct vpn_master;
struct vpn_client;

/* An edgectl command's exchange with charon (vpn_call.c). */
struct vpn_call {
	struct vpn_master *vm;
	struct edged_ctl *c;		/* to answer */
	bool json;
	/* each message charon sends, events and answers */
	void (*on_msg)(struct vpn_call *call, const struct vpn_vici_msg *m);
	/* the end: err NULL when every answer came; call goes after */
	void (*done)(struct vpn_call *call, const char *err);
	void *arg;			/* the command's */

	int fd;
	ev_io io;
	ev_timer timer;
	uint8_t *out, *in;
	size_t outlen, outcap, inlen, incap;
	unsigned answers;		/* still to come */
	struct vpn_call *next;		/* vm->calls */
};

/* A site's figures, as charon said last (vpn_stats.c); kept by name
 * across reloads. */
struct vpn_sstat {
	char name[VPN_NAME_MAX];
	bool up;			/* an INSTALLED child SA */
	uint64_t v[6];			/* bytes in, out, packets in, out;
					 * tunnels up, down (the watch's) */
};

struct vpn_master {
	const struct edged_host *host;
	const struct vpn_gen *cur;	/* in force */
	size_t ncur;			/* its sites */
	/* the ids charon gave the keys it has of edged's, by their
	 * load-key message (its hash) */
	struct vpn_keyid {
		uint64_t hash;
		char id[128];
	} *keys;
	size_t nkeys, keycap;
	bool synced;			/* charon has cur's sites */
	bool complained;		/* said charon is not there */
	double backoff;
	ev_timer retry;			/* to load cur's sites again */
	char charon_err[512];		/* why charon was not reached */

	/* the watch connection: tunnels up and down, charon gone */
	int wfd;
	char wpath[VPN_PATH_MAX];	/* the charon it watches */
	ev_io wio;
	uint8_t *win;
	size_t winlen, wincap;
	uint64_t lost;			/* times charon went away */
	struct vpn_call *calls;		/* edgectl's, under way */
	struct vpn_sstat *st;		/* the sites' figures */
	size_t nst, stcap;
	ev_timer poll;			/* list-sas, for them */
	bool polling;
	bool stopping;			/* master_stop: nothing more */
};

/* vpn_gen.c: s's messages into gs (reading the files it names): 0, or
 * -1 with an error in d (what was made stays, for release); release;
 * whether two sites' messages are the same */
int vpn_gsite_render(struct vpn_gsite *gs, const struct vpn_site *s,
    struct conf_diag *d);
void vpn_gsite_release(struct vpn_gsite *gs);
bool vpn_gsite_same(const struct vpn_gsite *a, const struct vpn_gsite *b);

/* vpn_load.c: g's sites into charon, those that differ from from's (in
 * charon), or all (from NULL: and what an earlier edged left taken
 * away); from's sites that g has not, out.  0; 1 when charon is not
 * there (err says why); -1 with err when it refuses a site (what the
 * call changed put back). */
int vpn_apply(struct vpn_master *vm, const struct vpn_gen *g,
    const struct vpn_gen *from, char *err, size_t errsize);

/* vpn_radius.c: c's RADIUS servers as charon's settings, into *text
 * (NULL when no site uses them): 0, or -1 out of memory; wiped */
int vpn_radius_render(const struct vpn_conf *c, char **text, size_t *len);
void vpn_radius_wipe(char **text, size_t *len);

/* What a commit's apply changed of the settings files, to put back: g's
 * file, and the previous generation's when at another path. */
struct vpn_radius_was {
	struct vpn_radius_file {
		char path[EDGED_PATH_MAX];	/* "": none */
		bool changed;
		char *text;		/* what it held; NULL: nothing */
		size_t len;
	} f[2];
};

/* g's RADIUS settings into its settings file (taken away when NULL; and
 * prev's file when at another path), and charon (cl; NULL when it is not
 * there) asked to read them when they changed, or when force; then
 * charon's eap-radius plugin looked for.  0; 1 when charon could not be
 * asked (err); -1 with err when a file cannot be written or charon
 * refuses (the files put back).  *was says what to put back. */
int vpn_radius_apply(struct vpn_client *cl, const struct vpn_gen *g,
    const struct vpn_gen *prev, bool force, struct vpn_radius_was *was,
    char *err, size_t errsize);
/* what apply changed put back (the files; charon's settings, cl not
 * NULL); was freed.  Freed without. */
void vpn_radius_put_back(struct vpn_client *cl, struct vpn_radius_was *was);
void vpn_radius_was_free(struct vpn_radius_was *was);

/* a site of g by name; NULL if none */
const struct vpn_gsite *vpn_gen_site(const struct vpn_gen *g,
    const char *name);

/* vpn_call.c: msg (a whole request of *lenp bytes, taken: freed) added
 * to call's, its answer awaited; 0, or -1 out of memory (or msg NULL).
 * The length by address: read after the call that made msg set it. */
int vpn_call_add(struct vpn_call *call, uint8_t *msg, const size_t *lenp);
/* call (calloc'd, its requests added) sent to the charon at path: it
 * ends with done, now or later, within timeout seconds */
void vpn_call_start(struct vpn_call *call, const char *path,
    double timeout);
/* a call (not started) asking list-sas, registered for its list-sa
 * events first (charon sends events only to who asked): each to
 * on_msg; NULL out of memory */
struct vpn_call *vpn_call_list_sas(struct vpn_master *vm,
    struct edged_ctl *c,
    void (*on_msg)(struct vpn_call *, const struct vpn_vici_msg *),
    void (*done)(struct vpn_call *, const char *), void *arg);
/* every call under way ends ("edged stops") */
void vpn_calls_end(struct vpn_master *vm);

/* vpn_stats.c: site's figures (made when new; NULL out of memory); a
 * tunnel of site came up or went down (counted, and charon asked soon);
 * charon asked after `after` seconds; the figures to every worker; no
 * more asking */
struct vpn_sstat *vpn_stats_site(struct vpn_master *vm, const char *name);
void vpn_stats_changed(struct vpn_master *vm, const char *site, bool up);
void vpn_stats_poll(struct vpn_master *vm, double after);
void vpn_stats_publish(const struct vpn_master *vm);
void vpn_stats_stop(struct vpn_master *vm);

/* vpn_watch.c: the watch connection to the charon at path opened
 * (nothing when it is, to that charon); closed */
void vpn_watch_open(struct vpn_master *vm, const char *path);
void vpn_watch_close(struct vpn_master *vm);
/* charon went away (the watch saw it, or a command): logged, and every
 * site loaded again once it is back */
void vpn_charon_lost(struct vpn_master *vm, const char *why);

#endif /* EDGED_VPN_INT_H */
