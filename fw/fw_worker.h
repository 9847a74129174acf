/*
 * fw/fw_worker.h - the firewall in the worker process: the hooks of
 * module.h that fw_module.c lists (see fw_worker.c).
 */
#ifndef EDGED_FW_WORKER_H
#define EDGED_FW_WORKER_H

#include "module.h"

void *fw_worker_new(const void *part, const struct edged_worker_env *env);
/* FW_MSG_STATS: maps the counters block. */
int fw_worker_msg(void *ws, bool started, uint16_t type, uint32_t arg,
    const void *data, size_t len, int fd);
/* The firewall's families, refreshed by the master first. */
int fw_worker_metrics(void *ws, FILE *out);
void fw_worker_free(void *ws);

#endif /* EDGED_FW_WORKER_H */
