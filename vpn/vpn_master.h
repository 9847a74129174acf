/*
 * vpn/vpn_master.h - the vpn module's runtime in the master: the sites
 * of the generation in force loaded into charon over VICI at each
 * commit (only those that changed), charon watched on a connection of
 * its own (tunnels up and down, charon gone and back: every site loaded
 * again), and edgectl's ipsec commands.  Private to vpn/.
 */
#ifndef EDGED_VPN_MASTER_H
#define EDGED_VPN_MASTER_H

#include <stdbool.h>
#include <stdio.h>

#include "module.h"

void *vpn_master_new(const struct edged_host *h,
    const struct edged_gen_info *first);
void vpn_master_stop(void *ms);
void vpn_master_free(void *ms);
void *vpn_master_gen_new(void *ms, const void *part,
    const struct edged_gen_info *info, const struct edged_endpoints *eps,
    struct conf_diag *d);
void vpn_master_gen_free(void *ms, void *gd);
int vpn_master_commit(void *ms, void *gd, char *err, size_t errsize);
void vpn_master_status(void *ms, bool json, FILE *out);
/* the tunnels' state to a worker about to start (vpn_stats.c) */
int vpn_master_feed_worker(void *ms, void *gd, void *wd,
    const struct edged_channel *ch);

/* edgectl show ipsec [--json]; ipsec up|down SITE */
void vpn_master_show(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);
void vpn_master_up(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);
void vpn_master_down(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);
/* edgectl ipsec disconnect USER: a remote-access user's sessions */
void vpn_master_disconnect(void *ms, struct edged_ctl *c, char **args,
    size_t n, bool json);

#endif /* EDGED_VPN_MASTER_H */
