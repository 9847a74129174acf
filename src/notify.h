/*
 * src/notify.h - systemd's readiness protocol (sd_notify), spoken
 * directly: one datagram of "KEY=VALUE" lines to $NOTIFY_SOCKET.  Without
 * that variable (not started by systemd with Type=notify) it does
 * nothing.
 */
#ifndef EDGED_NOTIFY_H
#define EDGED_NOTIFY_H

/* Sends state, e.g. "READY=1\nSTATUS=serving".  Failures are logged once
 * and otherwise ignored: systemd may not be listening. */
void notify(const char *state);
/* Sends RELOADING=1 with MONOTONIC_USEC (what Type=notify-reload wants). */
void notify_reloading(void);

#endif /* EDGED_NOTIFY_H */
