/*
 * fw/fw_module.h - the firewall's entry in the core's module table
 * (module.h).
 */
#ifndef EDGED_FW_MODULE_H
#define EDGED_FW_MODULE_H

#include "module.h"

extern const struct edged_module fw_module;

/* The firewall's messages between master and worker (module.h's
 * channel). */
enum fw_msg {
	FW_MSG_STATS = 1,		/* to the worker: fd, its counters
					 * block (fw_stats.h), arg bytes */
	FW_MSG_REFRESH,			/* to the master: fresh figures in
					 * that block, please */
	FW_MSG_FEEDS,			/* to the worker: the metrics the
					 * master keeps (the feeds', the
					 * appliances' health), Prometheus
					 * text */
};

#endif /* EDGED_FW_MODULE_H */
