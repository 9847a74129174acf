/*
 * fw/fw_module.h - the firewall's entry in the core's module table
 * (module.h).
 */
#ifndef EDGED_FW_MODULE_H
#define EDGED_FW_MODULE_H

#include "module.h"

extern const struct edged_module fw_module;

#endif /* EDGED_FW_MODULE_H */
