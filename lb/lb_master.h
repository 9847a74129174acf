/*
 * lb/lb_master.h - the load balancer's runtime in the master: the hooks
 * of module.h that lb_module.c lists (see lb_master.c).
 */
#ifndef EDGED_LB_MASTER_H
#define EDGED_LB_MASTER_H

#include "module.h"

void *lb_master_new(const struct edged_host *h,
    const struct edged_gen_info *first);
void lb_master_free(void *ms);
/* Reads the part's TLS files (checking them, building the contexts
 * once) and opens its access-log files. */
void *lb_master_gen_new(void *ms, const void *part,
    const struct edged_gen_info *info, const struct edged_endpoints *eps,
    struct conf_diag *d);
void lb_master_gen_free(void *ms, void *gd);
/* Cannot fail: the generation in force, for the commands. */
int lb_master_commit(void *ms, void *gd, char *err, size_t errsize);
/* The TLS files as read, the access-log files, the overrides. */
int lb_master_feed_worker(void *ms, void *gd, void *wd,
    const struct edged_channel *ch);
/* The worker's block of counters and member state (lb_state.h). */
int lb_master_worker_born(void *ms, void *gd, unsigned threads, void **wd);
void lb_master_worker_role(void *ms, void *wd, unsigned role);
void lb_master_worker_gone(void *ms, void *wd);
int lb_master_worker_carry(void *ms, void *wd);
int lb_master_worker_adopt(void *ms, int fd, unsigned role, void **wd);
/* The core's figures into every live block, for the metrics. */
void lb_master_figures_changed(void *ms);
/* LB_MSG_HEALTH: a monitor's verdict, for the next worker. */
void lb_master_from_worker(void *ms, void *gd, bool live, uint16_t type,
    uint32_t arg, const void *data, size_t len,
    const struct edged_channel *back);
void lb_master_status(void *ms, bool json, FILE *out);
/* The overrides, as "override POOL MEMBER ADMIN WEIGHT HEALTH" lines. */
void lb_master_carry_save(void *ms, FILE *out,
    const struct edged_carry *carry);
int lb_master_carry_line(void *ms, const char *line);

/* The commands' rows' run hooks (lb_module.c). */
void lb_cmd_stats(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);
void lb_cmd_rules(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);
void lb_cmd_table_show(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);
void lb_cmd_table_clear(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);
void lb_cmd_pool(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);
void lb_cmd_certificates(void *ms, struct edged_ctl *c, char **args,
    size_t n, bool json);
void lb_cmd_enable(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);
void lb_cmd_disable(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);
void lb_cmd_drain(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);
void lb_cmd_weight(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);
void lb_cmd_reset(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);

#endif /* EDGED_LB_MASTER_H */
