/*
 * src/ctl.h - the master's control socket: one command line per
 * connection, answered with "OK\n" or "ERROR\n" and then text.
 *
 *   status [json]        who runs, which configuration, since when
 *   show stats [json]    counters, from the worker
 *   show pool [POOL] [json], show certificates [json]
 *   member enable|disable|drain POOL MEMBER, member weight POOL MEMBER N
 *                        an override kept by the master (master_int.h)
 *   member reset POOL MEMBER, member reset-all
 *                        the override forgotten: back to the file's
 *                        admin state and weight
 *   group ..., firewall ..., show firewall|nat [json]   (fwsync.c)
 *   reload               reload the configuration file as a transaction
 *   upgrade              re-execute the installed binary (upgrade.h)
 *
 * The line is checked as it arrives (ctl_cmd.h): a control byte or a
 * line over 64 KiB is refused at once.  A client has 5 s to send its
 * line and 30 s more for a statistics answer (a reload or an upgrade
 * takes what it takes).  At most 64 clients are served at a time; one
 * more is answered "too many control clients" at once.
 */
#ifndef EDGED_CTL_H
#define EDGED_CTL_H

#include <stdbool.h>

#include "master_int.h"

/* Binds the socket at path (mode 0660, its directory created 0755 if
 * missing).  Returns 0, or -1 after logging why. */
int ctl_open(struct master *m, const char *path);
void ctl_close(struct master *m);
/* Serves the control socket fd, inherited over an upgrade. */
void ctl_adopt(struct master *m, int fd);
/* A client inherited over an upgrade, waiting for its answer. */
struct ctl_client *ctl_adopt_client(struct master *m, int fd);
int ctl_client_fd(const struct ctl_client *c);
/* Answers client and closes it. */
void ctl_reply(struct master *m, struct ctl_client *c, bool ok,
    const char *text);
/* The same with a formatted text. */
void ctl_replyf(struct master *m, struct ctl_client *c, bool ok,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Statistics data from worker w for a waiting client. */
void ctl_stats_reply(struct master *m, struct worker *w,
    const struct ipc_msg *msg);
/* w is gone: clients waiting on it get an error. */
void ctl_worker_gone(struct master *m, struct worker *w);

#endif /* EDGED_CTL_H */
