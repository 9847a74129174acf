/*
 * src/modules.c - the module table (modules.h): the one place in the core
 * that names modules.
 */
#include "fw_module.h"
#include "lb_module.h"
#include "modules.h"
#include "rt_module.h"
#include "vpn_module.h"

const struct edged_module *const edged_modules[EDGED_NMODULES] = {
	[EDGED_LB] = &lb_module,
	[EDGED_FW] = &fw_module,
	[EDGED_RT] = &rt_module,
	[EDGED_VPN] = &vpn_module,
};

const char *const *
edged_verbatim_blocks(const char **v, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < EDGED_NMODULES; i++) {
		const char *const *w = edged_modules[i]->verbatim_blocks;

		for (; w != NULL && *w != NULL && n < max; w++)
			v[n++] = *w;
	}
	v[n] = NULL;
	return v;
}

unsigned
edged_module_index(const struct edged_module *mod)
{
	unsigned i = 0;

	while (i < EDGED_NMODULES - 1 && edged_modules[i] != mod)
		i++;
	return i;
}
