/*
 * lb/lb_worker.h - the load balancer in the worker process: the hooks of
 * module.h that lb_module.c lists (see lb_worker.c).
 */
#ifndef EDGED_LB_WORKER_H
#define EDGED_LB_WORKER_H

#include "module.h"

void *lb_worker_new(const void *part, const struct edged_worker_env *env);
int lb_worker_msg(void *ws, bool started, uint16_t type, uint32_t arg,
    const void *data, size_t len, int fd);
/* Builds the TLS contexts, opens the access logs, starts the threads
 * on fds and the monitors. */
int lb_worker_start(void *ws, const int *fds, size_t n);
void lb_worker_tickets(void *ws, const unsigned char *keys, size_t n);
/* LB_ASK_STATS, LB_ASK_POOL */
char *lb_worker_ask(void *ws, uint16_t type, bool json, const char *arg,
    size_t *len);
/* Reports the monitors' verdicts to the master. */
void lb_worker_tick(void *ws);
void lb_worker_drain(void *ws);
void lb_worker_stop(void *ws);
bool lb_worker_done(void *ws);
/* Joins the threads, stops the monitors, frees (ws may be NULL). */
void lb_worker_free(void *ws);
int lb_worker_metrics(void *ws, FILE *out);
char *lb_worker_stats_json(void *ws, size_t *len);

#endif /* EDGED_LB_WORKER_H */
