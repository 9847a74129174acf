/*
 * fw/fw_stats.h - the firewall's and NAT's counters for the metrics.
 *
 * The worker answers GET /metrics but runs unprivileged, and nftables
 * answers only to CAP_NET_ADMIN; so the master keeps a small block of
 * shared memory per configuration generation (a memfd), fills it from
 * the kernel's named counters when the worker asks (FW_MSG_REFRESH),
 * and the worker, which maps it read-only, writes the samples.
 *
 *   header | ctr[nrules + 2 + nnats + nchains] | km[nkm]
 *
 * Slots in the order of the configuration: the rules, the default
 * policy to the edge (input) and through it (forward), the NAT rules,
 * the service chains (what was steered into each).
 * Then one entry per member of each virtual server the kernel balances
 * (fw_klb.h), names inside: the worker's configuration does not say
 * which those are (the load balancer's part does).
 */
#ifndef EDGED_FW_STATS_H
#define EDGED_FW_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fw_conf.h"
#include "module.h"

#define FW_STATS_MAGIC	0x65646677u	/* "edfw" */

struct fw_stats_ctr {
	_Atomic uint64_t packets, bytes;
};

struct fw_stats_hdr {
	uint32_t magic;
	uint32_t nslots;
	_Atomic uint64_t seq;		/* refreshes so far */
	_Atomic uint64_t at_ms;		/* CLOCK_REALTIME ms of the last
					 * refresh, 0 = none yet */
	uint32_t nkm;			/* kernel-balanced members */
	uint32_t pad;
};

/* A member of a virtual server the kernel balances. */
struct fw_stats_kmember {
	char vs[EDGED_KNAME_MAX];
	char member[EDGED_KNAME_MAX];
	_Atomic uint64_t flows;		/* new flows it got */
	_Atomic uint64_t packets, bytes;	/* both ways */
	_Atomic uint32_t weight;	/* in force, 1/EDGED_KWEIGHT_SCALE */
	_Atomic uint32_t slots;		/* of the virtual server's map */
};

/* A block as mapped in one process. */
struct fw_stats {
	struct fw_stats_hdr *hdr;	/* NULL: no block */
	struct fw_stats_ctr *ctr;	/* [nslots] */
	struct fw_stats_kmember *km;	/* [hdr->nkm] */
};

/* The size of the block for c with nkm kernel-balanced members. */
size_t fw_stats_size(const struct fw_conf *c, size_t nkm);
/* Lays out a zeroed block of fw_stats_size() bytes at mem; fills v
 * (the members' names are the caller's to write). */
void fw_stats_init(struct fw_stats *v, void *mem, const struct fw_conf *c,
    size_t nkm);
/* Checks that the len bytes at mem are c's block and fills v: 0, or -1
 * when they are not. */
int fw_stats_attach(struct fw_stats *v, void *mem, size_t len,
    const struct fw_conf *c);
/* The name of slot i's counter in the kernel's table (fw_nft.h):
 * "r_NAME", "default_in", "default_fwd", "n_NAME". */
void fw_stats_counter(const struct fw_conf *c, size_t i, char *buf,
    size_t size);

/* CLOCK_REALTIME in ms: the clock of at_ms. */
uint64_t fw_stats_clock_ms(void);
/* Writes the Prometheus families of the block's figures (now_ms:
 * fw_stats_clock_ms(), for their age). */
void fw_metrics(FILE *out, const struct fw_conf *c, const struct fw_stats *v,
    uint64_t now_ms);

#endif /* EDGED_FW_STATS_H */
