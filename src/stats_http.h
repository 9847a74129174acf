/*
 * src/stats_http.h - the stats listener: GET /metrics (Prometheus text
 * exposition format) and GET /stats (JSON), served by the worker's main
 * thread, one short request at a time, never by the data path.
 */
#ifndef EDGED_STATS_HTTP_H
#define EDGED_STATS_HTTP_H

struct lb_runtime;

/* Accepts one client on the listening socket fd and answers it; a client
 * gets a second to send its request head and to take the answer. */
void stats_serve(struct lb_runtime *rt, int fd);

#endif /* EDGED_STATS_HTTP_H */
