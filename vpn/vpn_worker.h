/*
 * vpn/vpn_worker.h - the tunnels' metrics in the worker: it cannot see
 * charon; the master sends it what charon said (vpn_stats.c) at start and
 * after every change, and /metrics writes it out.  Private to vpn/.
 *
 * The state is text, a line each:
 *     charon UP LOST
 *     site NAME UP BYTES_IN BYTES_OUT PACKETS_IN PACKETS_OUT UPS DOWNS
 */
#ifndef EDGED_VPN_WORKER_H
#define EDGED_VPN_WORKER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "module.h"

enum vpn_wmsg {
	VPN_MSG_STATE = 1,
};

void *vpn_worker_new(const void *part, const struct edged_worker_env *env);
int vpn_worker_msg(void *ws, bool started, uint16_t type, uint32_t arg,
    const void *data, size_t len, int fd);
int vpn_worker_metrics(void *ws, FILE *out);
void vpn_worker_free(void *ws);

#endif /* EDGED_VPN_WORKER_H */
