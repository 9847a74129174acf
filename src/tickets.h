/*
 * src/tickets.h - the TLS session ticket keys (tickets.c).  The master
 * makes them, rotates them every `tls-ticket-rotate` and hands them to
 * each worker it starts and to every live worker at each rotation: a
 * ticket resumes on any thread, after a reload, and after an upgrade
 * (the keys travel in its state).  They never reach a file or a log.
 */
#ifndef EDGED_TICKETS_H
#define EDGED_TICKETS_H

#include <stddef.h>
#include <stdio.h>

#include "module.h"

struct tickets {
	/* newest first */
	unsigned char keys[EDGED_TICKET_KEYS][EDGED_TICKET_KEY];
	size_t n;
};

/* Puts a fresh random key first, dropping the oldest beyond
 * EDGED_TICKET_KEYS.  Returns 0, or -1 when the random generator failed
 * (the keys are then unchanged). */
int tickets_rotate(struct tickets *t);
/* Zeroes the keys. */
void tickets_wipe(struct tickets *t);
/* For an upgrade's state: one line "tickets HEX..." */
void tickets_save(const struct tickets *t, FILE *f);
/* Reads such a line.  Returns 1 when it was one (and valid), 0 when it
 * is another line, -1 when it is a broken one. */
int tickets_load_line(struct tickets *t, const char *line);

#endif /* EDGED_TICKETS_H */
