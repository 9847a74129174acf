/*
 * fw/fw_nft.h - the firewall and NAT configuration compiled into one
 * nftables table, `table inet edged`, as the text nft reads.
 *
 * The table holds a set per address group, with intervals (g_NAME_4 /
 * g_NAME_6 for static groups, their members in the text; d_NAME_4 /
 * d_NAME_6 for dynamic ones and f_NAME_4 / f_NAME_6 for fed ones, filled
 * at run time, a fed group's single addresses in fh_NAME_4 / fh_NAME_6),
 * a named counter per
 * rule (r_NAME), per
 * NAT rule (n_NAME) and for the default policy (default_in,
 * default_fwd), and the chains filter_input, filter_forward,
 * nat_prerouting and nat_postrouting, with rules_1, rules_2... holding
 * the rules both filter chains jump to.  Nothing outside the table is
 * touched.
 */
#ifndef EDGED_FW_NFT_H
#define EDGED_FW_NFT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "fw_conf.h"
#include "module.h"

#define FW_TABLE	"edged"

/*
 * Writes the table's definition (without the members of dynamic groups,
 * which fw_apply adds) to out.  eps are edged's own endpoints (module.h),
 * which the firewall lets in after the rules: the virtual servers', the
 * stats listener; and the virtual servers the kernel balances, whose
 * maps, sets and chains fw_klb.h writes (their elements, too, come at
 * run time).  Writes nothing when there is no firewall, no NAT and no
 * such virtual server.
 */
void fw_nft_write(FILE *out, const struct fw_conf *c,
    const struct edged_endpoints *eps);
/* Whether there is a table to write: a firewall, NAT, virtual servers
 * the kernel balances (fw_klb.h), or transparent pools (fw_route.h). */
bool fw_nft_active(const struct fw_conf *c, const struct edged_endpoints *eps);
/* The same into a malloc'd string (len without the NUL); NULL when out
 * of memory. */
char *fw_nft_text(const struct fw_conf *c, const struct edged_endpoints *eps,
    size_t *len);
/* The name of dynamic group g's set for family (AF_INET, AF_INET6), into
 * buf (at least 80 bytes). */
void fw_nft_dyn_set(char *buf, size_t size, const struct fw_group *g,
    int family);
/* A fed group's other set for family: its single addresses, in a hash
 * set (fh_NAME_4), beside its prefixes and ranges in the interval set
 * (f_NAME_4); rules look up both.  buf: at least 80 bytes. */
void fw_nft_host_set(char *buf, size_t size, const struct fw_group *g,
    int family);

/* A range of addresses of one family, both ends included, in network
 * byte order (IPv4 in the first 4 bytes, the rest 0). */
struct fw_range {
	uint8_t lo[16], hi[16];
};

/*
 * The members of family (AF_INET, AF_INET6) among the n prefixes p,
 * merged into sorted ranges that neither overlap nor touch: what an
 * interval set holds (fw_interval.c).  *out is malloc'd, the caller's
 * to free (NULL when there are none).  Returns their number, or -1 when
 * out of memory.
 */
ssize_t fw_ranges_merge(const struct fw_prefix *p, size_t n, int family,
    struct fw_range **out);
/* What changes from a's ranges to b's (each sorted and disjoint, of one
 * family, as fw_ranges_merge makes them): those of a that b has not
 * exactly, into *gone, and those of b that a has not, into *come (both
 * malloc'd, the caller's).  0, or -1 out of memory. */
int fw_ranges_diff(const struct fw_range *a, size_t na,
    const struct fw_range *b, size_t nb, struct fw_range **gone,
    size_t *ngone, struct fw_range **come, size_t *ncome);
/* The prefixes that cover exactly the addresses lo to hi (one family,
 * lo <= hi, lo's and hi's len ignored), into out (room for
 * FW_RANGE_PREFIXES_MAX), fewest first to last; their number. */
#define FW_RANGE_PREFIXES_MAX	256
size_t fw_range_prefixes(const struct fw_prefix *lo,
    const struct fw_prefix *hi, struct fw_prefix *out);
/* r as one set element: ADDR, ADDR/LEN when it is exactly a prefix,
 * else LO-HI.  buf: at least 100 bytes. */
void fw_range_fmt(char *buf, size_t size, const struct fw_range *r,
    int family);

#endif /* EDGED_FW_NFT_H */
