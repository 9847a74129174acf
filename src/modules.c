/*
 * src/modules.c - the module table (modules.h): the one place in the core
 * that names modules.
 */
#include "fw_module.h"
#include "lb_module.h"
#include "modules.h"

const struct edged_module *const edged_modules[EDGED_NMODULES] = {
	[EDGED_LB] = &lb_module,
	[EDGED_FW] = &fw_module,
};

unsigned
edged_module_index(const struct edged_module *mod)
{
	unsigned i = 0;

	while (i < EDGED_NMODULES - 1 && edged_modules[i] != mod)
		i++;
	return i;
}
