/*
 * src/stats_http.h - the stats listener: GET /metrics (Prometheus text
 * exposition format) and GET /stats (JSON), served by the worker's main
 * thread, one short request at a time, never by the data path.
 */
#ifndef EDGED_STATS_HTTP_H
#define EDGED_STATS_HTTP_H

#include "modules.h"

/* What the stats listener shows: each module's runtime in the worker. */
struct stats_modules {
	void *const *mods;		/* [EDGED_NMODULES] */
};

/* Accepts one client on the listening socket fd and answers it; a client
 * gets a second to send its request head and to take the answer.
 * /metrics: every module's families (module.h's metrics); /stats: the
 * first module's JSON statistics (stats_json). */
void stats_serve(const struct stats_modules *sm, int fd);

#endif /* EDGED_STATS_HTTP_H */
