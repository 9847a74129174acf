/*
 * vpn/vpn_module.h - IPsec through strongSwan's charon, as the core sees
 * it (module.h): the one symbol the module table names.
 */
#ifndef EDGED_VPN_MODULE_H
#define EDGED_VPN_MODULE_H

#include "module.h"

extern const struct edged_module vpn_module;

#endif /* EDGED_VPN_MODULE_H */
