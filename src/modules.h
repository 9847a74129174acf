/*
 * src/modules.h - the modules edged is made of, in the order the core
 * calls them: their configuration parts are printed in this order, their
 * endpoints collected in it.  Adding a module is adding a row here and
 * in modules.c; the contract is conf/module.h.
 */
#ifndef EDGED_MODULES_H
#define EDGED_MODULES_H

#include "module.h"

enum edged_module_id {
	EDGED_LB,
	EDGED_FW,
	EDGED_RT,
	EDGED_VPN,
	EDGED_NMODULES
};

extern const struct edged_module *const edged_modules[EDGED_NMODULES];

#define EDGED_VERBATIM_MAX	16

/*
 * Every module's verbatim_blocks, for conf_parse_file: into v (max
 * entries and a NULL after them; the table's words, not copied).
 * Returns v.
 */
const char *const *edged_verbatim_blocks(const char **v, size_t max);

/* mod's index in the table (a module's messages carry it). */
unsigned edged_module_index(const struct edged_module *mod);

#endif /* EDGED_MODULES_H */
