/*
 * routing/rt_worker.h - routing in the worker process (module.h): what
 * the master says of its announcements, for the metrics.  Private to
 * routing/.
 */
#ifndef EDGED_RT_WORKER_H
#define EDGED_RT_WORKER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "module.h"

/* The master's message to the workers (module.h's channel): the state of
 * the announcements and the neighbours, as lines of text: "zebra 0|1",
 * then "vip NAME ADDR 0|1" for each virtual server's address, "bgp ADDR
 * 0|1" for each BGP neighbour (Established), "ospf ROUTER-ID INTERFACE
 * 0|1" for each OSPF neighbour (Full). */
enum rt_msg {
	RT_MSG_STATE = 1,
};

void *rt_worker_new(const void *part, const struct edged_worker_env *env);
int rt_worker_msg(void *ws, bool started, uint16_t type, uint32_t arg,
    const void *data, size_t len, int fd);
int rt_worker_metrics(void *ws, FILE *out);
void rt_worker_free(void *ws);

#endif /* EDGED_RT_WORKER_H */
