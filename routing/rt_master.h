/*
 * routing/rt_master.h - the routing module's runtime in the master
 * (module.h's hooks): the ZAPI client that announces the virtual
 * servers' addresses to FRR's zebra while they can serve.  Private to
 * routing/.
 *
 * One connection to zebra, made by the master (zserv.api is frr's, mode
 * 0700), kept while the configuration in force says `announce
 * virtual-servers on`: HELLO as route type openfabric, then a blackhole route
 * of distance 1 for each address (a /32 or /128) one of whose virtual
 * servers can serve, deleted when none can.  zebra deletes them all when
 * the connection goes (edged stopped or died): nothing stays announced
 * that edged no longer serves.  A connection refused or lost is tried
 * again with a back-off (0.5 s doubling to 10 s), and everything is
 * announced again once zebra answers HELLO.
 *
 * And FRR's configuration (rt_frr.h): each generation's section of
 * frr.conf, checked by FRR's vtysh when it loads (gen_new: a refusal
 * rejects the file), put in force by frr-reload.py when it commits (the
 * only commit of routing's that can fail).
 */
#ifndef EDGED_RT_MASTER_H
#define EDGED_RT_MASTER_H

#include <stdbool.h>
#include <stdio.h>

#include "module.h"

void *rt_master_new(const struct edged_host *h,
    const struct edged_gen_info *first);
void rt_master_stop(void *ms);
void rt_master_free(void *ms);
void *rt_master_gen_new(void *ms, const void *part,
    const struct edged_gen_info *info, const struct edged_endpoints *eps,
    struct conf_diag *d);
void rt_master_gen_free(void *ms, void *gd);
int rt_master_commit(void *ms, void *gd, char *err, size_t errsize);
void rt_master_service_usable(void *ms, const char *service, bool usable);
int rt_master_feed_worker(void *ms, void *gd, void *wd,
    const struct edged_channel *ch);
void rt_master_status(void *ms, bool json, FILE *out);
void rt_master_carry_save(void *ms, FILE *out,
    const struct edged_carry *carry);
int rt_master_carry_line(void *ms, const char *line);
/* edgectl show routes|bgp|ospf (rt_neigh.h) */
void rt_master_show_routes(void *ms, struct edged_ctl *c, char **args,
    size_t n, bool json);
void rt_master_show_bgp(void *ms, struct edged_ctl *c, char **args,
    size_t n, bool json);
void rt_master_show_ospf(void *ms, struct edged_ctl *c, char **args,
    size_t n, bool json);

#endif /* EDGED_RT_MASTER_H */
