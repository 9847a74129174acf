/*
 * vpn/vpn_site.h - an `ipsec` site as charon takes it over VICI: its
 * pre-shared key (load-shared) and its connection (load-conn), and what
 * takes them away again (unload-conn, unload-shared).  Private to vpn/.
 *
 * The connection is named after the site; its key's id is "edged-" and
 * the site's name, so that edged's keys never meet swanctl's.  One IKEv2
 * connection with one child of the same name: the local and peer
 * subnets as traffic selectors, the site's proposals, lifetimes as
 * rekey times, DPD, and `start` as the child's start and DPD actions
 * (always: start and restart; on-traffic: trap and trap; never: none and
 * clear).
 */
#ifndef EDGED_VPN_SITE_H
#define EDGED_VPN_SITE_H

#include <stddef.h>
#include <stdint.h>

#include "vpn_conf.h"

/* Each: the whole message (the caller's to free) and its length in
 * *len, or NULL with *err. */
uint8_t *vpn_site_load_shared(const struct vpn_site *s, size_t *len,
    const char **err);
uint8_t *vpn_site_load_conn(const struct vpn_site *s, size_t *len,
    const char **err);
uint8_t *vpn_site_unload_conn(const char *site, size_t *len,
    const char **err);
uint8_t *vpn_site_unload_shared(const char *site, size_t *len,
    const char **err);

/* The id of site's key in charon: "edged-" and its name. */
#define VPN_KEY_PREFIX		"edged-"
/* Any command of keys and values only: kv holds n names and values in
 * turn ({ "ike", "site-b", "timeout", "-1" }); as above. */
uint8_t *vpn_site_request(const char *command, const char *const *kv,
    size_t n, size_t *len, const char **err);

#endif /* EDGED_VPN_SITE_H */
