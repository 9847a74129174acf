/*
 * src/upgrade.h - binary upgrade (`edgectl upgrade`, SIGUSR2): the
 * master re-executes the installed binary in place, keeping the
 * listening sockets, the workers and the runtime state.  See upgrade.c.
 */
#ifndef EDGED_UPGRADE_H
#define EDGED_UPGRADE_H

#include "listeners.h"

struct master;
struct edged_ctl;

/*
 * Starts an upgrade: the installed binary checks the configuration,
 * then the master executes it.  The answer goes to client (may be NULL)
 * and the log: an error when it is refused; otherwise the new image
 * answers once its new worker serves.  Returns 0 when under way, -1
 * when refused at once (already answered).
 */
int master_upgrade(struct master *m, struct edged_ctl *client);
/* The upgrade did not happen: logs and answers why (printf format). */
void upgrade_failed(struct master *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* What the old image handed over, as read by the new one. */
struct upgrade_state {
	char **lines;
	size_t nlines;
	struct listen_set old;		/* its listening sockets */
	size_t cap;
	int ctl;			/* the control socket, -1 */
	int client;			/* the edgectl waiting, -1 */
	double started;
};

/* Reads the state in fd (closed).  NULL when it is not one. */
struct upgrade_state *upgrade_read(int fd);
/* Takes over the workers, edgectl overrides and carried counters; m->gen
 * is loaded.  Returns 0, or -1 when some of it was lost (logged). */
int upgrade_adopt(struct master *m, struct upgrade_state *u);
/* Frees u, closing the old listening sockets still in it. */
void upgrade_state_free(struct upgrade_state *u);

#endif /* EDGED_UPGRADE_H */
