/*
 * vpn/vpn_conf_int.h - what vpn_conf.c shares with vpn_conf_ra.c: the
 * values and the directives both blocks have.  Private to vpn/.
 */
#ifndef EDGED_VPN_CONF_INT_H
#define EDGED_VPN_CONF_INT_H

#include "vpn_conf.h"

/* word i of n as an address, a subnet: 0, or -1 with an error in d */
int vpn_get_addr(struct conf_diag *d, const struct conf_node *n, size_t i,
    struct sockaddr_storage *a);
int vpn_get_subnet(struct conf_diag *d, const struct conf_node *n, size_t i,
    struct vpn_subnet *s);

/* word 1 of n as an absolute path of fewer than size bytes, into out: 0,
 * or -1 with an error in d */
int vpn_get_abs_path(struct conf_diag *d, const struct conf_node *n,
    char *out, size_t size);

/* directive setters on a struct vpn_site: local; local-subnets,
 * peer-subnets, subnets; ike, esp; the lifetimes and dpd; peer-ca,
 * client-ca, users */
int vpn_set_local(struct conf_diag *d, const struct conf_node *n, void *obj);
int vpn_set_id(struct conf_diag *d, const struct conf_node *n, void *obj);
int vpn_set_subnets(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int vpn_set_proposals(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int vpn_set_duration(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int vpn_set_path(struct conf_diag *d, const struct conf_node *n, void *obj);

/* directive setters on a struct vpn_conf (vpn_conf_radius.c):
 * radius-settings, radius-accounting */
int vpn_set_radius_settings(struct conf_diag *d, const struct conf_node *n,
    void *obj);
int vpn_set_radius_accounting(struct conf_diag *d, const struct conf_node *n,
    void *obj);

/* Block n (ipsec, remote-access) read into s (its defaults set here)
 * by rows, checked by check, and added to c: 0, or -1 after errors (s's
 * allocations freed). */
int vpn_site_add(struct conf_diag *d, const struct conf_node *n,
    struct vpn_conf *c, struct vpn_site *s, const struct conf_directive *rows,
    size_t nrows, int (*check)(struct conf_diag *, const struct conf_node *,
    const struct vpn_site *));

#endif /* EDGED_VPN_CONF_INT_H */
