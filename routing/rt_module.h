/*
 * routing/rt_module.h - routing's entry in the core's module table
 * (module.h).
 */
#ifndef EDGED_RT_MODULE_H
#define EDGED_RT_MODULE_H

#include "module.h"

extern const struct edged_module rt_module;

#endif /* EDGED_RT_MODULE_H */
