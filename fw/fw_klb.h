/*
 * fw/fw_klb.h - the virtual servers the kernel balances by itself
 * (module.h's edged_kservice, the load balancer's l4-kernel profile) in
 * table inet edged: their part of the table, and the slots of their maps,
 * which follow the members' weights in force at run time.
 *
 * For virtual server NAME, the table holds:
 *
 *   map k_NAME      slot -> member address . port; a new flow to the
 *                   virtual server is translated (DNAT, prerouting and
 *                   output) to the member of slot `numgen inc mod K`
 *                   (round-robin) or `jhash SOURCE mod K` (ip-hash)
 *   set kc_NAME     member address . port whose flows are cut
 *   chain ks_NAME   per member counters (kn_NAME_I: new flows, km_NAME_I:
 *                   packets and bytes both ways), and the cut
 *
 * K slots are shared out among the members by their weights in force
 * (largest remainders); a member without weight has none, and with no
 * slot filled the lookup fails and the flow reaches the edge itself,
 * which refuses it.  A change of weights moves as few slots as it can,
 * so that ip-hash keeps most clients where they were.  Conntrack keeps
 * each flow on the member it got.
 */
#ifndef EDGED_FW_KLB_H
#define EDGED_FW_KLB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "module.h"

struct fw_nl;

/* ---- the table's text (fw_nft.c) ---- */

/* The maps, sets, counters and chains of eps's kernel services. */
void fw_klb_write_decls(FILE *out, const struct edged_endpoints *eps);
/* Their translations, for the nat prerouting and output chains. */
void fw_klb_write_dnat(FILE *out, const struct edged_endpoints *eps);
/* Their source translations (one-armed), for nat postrouting. */
void fw_klb_write_snat(FILE *out, const struct edged_endpoints *eps);
bool fw_klb_any_snat(const struct edged_endpoints *eps);
/* Their flows let through, for the firewall's forward chain after the
 * rules (as its own endpoints are let in). */
void fw_klb_write_accepts(FILE *out, const struct edged_endpoints *eps);

/* ---- the slots ---- */

/* How many slots service ks's map has. */
unsigned fw_klb_nslots(const struct edged_kservice *ks);
/*
 * Shares the k slots out among n members by weight w[] (none when every
 * weight is 0): slot[s] is a member's index or -1.  On entry slot[] is
 * what the kernel has (all -1: nothing yet), and members keep as many of
 * their slots as their new share allows.
 */
void fw_klb_assign(const unsigned *w, size_t n, int *slot, unsigned k);

/* ---- at run time (the master's) ---- */

struct fw_klb;

struct fw_klb *fw_klb_new(void);
void fw_klb_free(struct fw_klb *k);
/* Records the weights in force of service's members (module.h's
 * kernel_weights).  0, or -1 out of memory. */
int fw_klb_weights(struct fw_klb *k, const char *service,
    const struct edged_kweight *w, size_t n);
/*
 * The slots of the services ks[0..n), from the weights recorded, for
 * the batch that puts a new table in: kept aside until fw_klb_installed
 * says the table went in.  0, or -1 out of memory.
 */
int fw_klb_prepare(struct fw_klb *k, const struct edged_kservice *ks,
    size_t n);
/* Those elements as nft commands, for a batch through libnftables (""
 * when none); NULL out of memory. */
char *fw_klb_elements(const struct fw_klb *k);
void fw_klb_installed(struct fw_klb *k);
/* The same elements (those fw_klb_prepare kept aside) queued in nl's
 * transaction instead, after the table made or changed by fw_build.h
 * (each map and cut set emptied first).  0, or -1 out of memory. */
int fw_klb_queue_ready(const struct fw_klb *k, struct fw_nl *nl);
/*
 * Queues in nl's transaction the element changes that bring service's
 * map and cut set in the kernel to the weights recorded; *what says
 * which members have how many slots now ("" when nothing changed).
 * 0; 1 when the table in force has no such service; -1 out of memory.
 * fw_klb_sent then says the transaction went in (ok) or not.
 */
int fw_klb_queue(struct fw_klb *k, struct fw_nl *nl, const char *service,
    char *what, size_t size);
void fw_klb_sent(struct fw_klb *k, bool ok);

/* For edgectl show l4-kernel: calls fn for each member of each service
 * in force, with its weight in force (in 1/EDGED_KWEIGHT_SCALE), its
 * slots and whether its flows are cut. */
typedef void fw_klb_member_fn(const struct edged_kservice *ks, size_t i,
    unsigned weight, unsigned slots, unsigned nslots, bool cut, void *arg);
void fw_klb_each(const struct fw_klb *k, fw_klb_member_fn *fn, void *arg);

#endif /* EDGED_FW_KLB_H */
