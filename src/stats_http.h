/*
 * src/stats_http.h - the stats listener: GET /metrics (Prometheus text
 * exposition format) and GET /stats (JSON), served by the worker's main
 * thread, one short request at a time, never by the data path.
 */
#ifndef EDGED_STATS_HTTP_H
#define EDGED_STATS_HTTP_H

#include "fw_stats.h"

struct lb_runtime;

/* The firewall's figures, kept by the master (fw_stats.h). */
struct stats_fw {
	int ipc;			/* the master, asked for fresh ones */
	const struct fw_conf *conf;
	struct fw_stats view;		/* hdr NULL: no firewall or NAT */
};

/* Accepts one client on the listening socket fd and answers it; a client
 * gets a second to send its request head and to take the answer.  The
 * metrics have fw's figures too, refreshed by the master first (for at
 * most FW_WAIT_MS; older ones else). */
void stats_serve(struct lb_runtime *rt, const struct stats_fw *fw, int fd);

#endif /* EDGED_STATS_HTTP_H */
