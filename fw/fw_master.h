/*
 * fw/fw_master.h - the firewall's runtime in the master: the hooks of
 * module.h that fw_module.c lists (see fw_master.c).
 */
#ifndef EDGED_FW_MASTER_H
#define EDGED_FW_MASTER_H

#include "module.h"

void *fw_master_new(const struct edged_host *h,
    const struct edged_gen_info *first);
/* Logs that table inet edged stays in force (or that it was flushed),
 * and how to remove it. */
void fw_master_stop(void *ms);
void fw_master_free(void *ms);
/* Compiles the part's table with eps let in, and makes its counters
 * block. */
void *fw_master_gen_new(void *ms, const void *part,
    const struct edged_gen_info *info, const struct edged_endpoints *eps,
    struct conf_diag *d);
void fw_master_gen_free(void *ms, void *gd);
/* Puts gd's table in force (with the dynamic groups' members) unless it
 * already is.  0, or -1 with err: what was in force stays. */
int fw_master_commit(void *ms, void *gd, char *err, size_t errsize);
/* The counters block, for the metrics. */
int fw_master_feed_worker(void *ms, void *gd, void *wd,
    const struct edged_channel *ch);
/* FW_MSG_REFRESH: fresh figures in gd's counters block. */
void fw_master_from_worker(void *ms, void *gd, bool live, uint16_t type,
    uint32_t arg, const void *data, size_t len,
    const struct edged_channel *back);

/* The commands' rows' run hooks (fw_module.c). */
void fw_cmd_show_firewall(void *ms, struct edged_ctl *c, char **args,
    size_t n, bool json);
void fw_cmd_show_nat(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);
void fw_cmd_group_add(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);
void fw_cmd_group_del(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);
void fw_cmd_group_set(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);
void fw_cmd_group_show(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);
void fw_cmd_flush(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);
void fw_cmd_show_steering(void *ms, struct edged_ctl *c, char **args,
    size_t n, bool json);
void fw_cmd_show_klb(void *ms, struct edged_ctl *c, char **args, size_t n,
    bool json);
/* module.h's kernel_weights: the kernel's slots follow the weights in
 * force of an l4-kernel virtual server's members. */
void fw_master_kernel_weights(void *ms, const char *service,
    const struct edged_kweight *w, size_t n);

#endif /* EDGED_FW_MASTER_H */
