/*
 * vpn/vpn_client.h - a VICI session with charon for the master's
 * reload transaction: one command at a time, each answered (or failed)
 * within the session's time limit, the events that come before an
 * answer (a streamed list-sa, list-conn) handed over on the way.
 * Private to vpn/.  Blocking: charon answers a load-conn in
 * milliseconds, and the commit waits for it anyway.
 */
#ifndef EDGED_VPN_CLIENT_H
#define EDGED_VPN_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "vpn_vici.h"

struct vpn_client {
	int fd;
	double timeout;			/* seconds, per command */
	uint8_t *in;			/* read, not yet taken */
	size_t inlen, incap;
};

/* Connects to charon's VICI socket at path: 0, or -1 with err. */
int vpn_client_open(struct vpn_client *c, const char *path, double timeout,
    char *err, size_t errsize);
void vpn_client_close(struct vpn_client *c);

/*
 * Sends msg (len bytes, a whole message) and reads until its answer:
 * CMD_RESPONSE or CMD_UNKNOWN to a command, EVENT_CONFIRM or
 * EVENT_UNKNOWN to a registration.  Each EVENT before it goes to
 * on_event (when not NULL).  0 with the answer in *answer (free with
 * vpn_vici_msg_free), or -1 with err: the connection is then closed.
 */
int vpn_client_call(struct vpn_client *c, const uint8_t *msg, size_t len,
    void (*on_event)(void *arg, const struct vpn_vici_msg *ev), void *arg,
    struct vpn_vici_msg *answer, char *err, size_t errsize);

/*
 * A command whose answer says success=yes|no (load-conn, load-shared,
 * unload-conn...): 0 when yes; 1 when charon refuses (its errmsg in
 * err); -1 when it could not be asked (err says why), or does not know
 * the command.
 */
int vpn_client_command(struct vpn_client *c, const uint8_t *msg,
    size_t len, char *err, size_t errsize);

#endif /* EDGED_VPN_CLIENT_H */
