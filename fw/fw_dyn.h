/*
 * fw/fw_dyn.h - the members of dynamic address groups (addresses and
 * prefixes): set at run time (edgectl group), kept by the master in
 * memory and in a state file, and put in the kernel's interval sets
 * (d_NAME_4, d_NAME_6) without touching rules.
 */
#ifndef EDGED_FW_DYN_H
#define EDGED_FW_DYN_H

#include <stddef.h>
#include <stdint.h>

#include "fw_conf.h"

struct fw_nl;

struct fw_dyn_group {
	char name[FW_NAME_MAX];
	struct fw_prefix *addrs;	/* addresses and prefixes, sorted,
					 * unique (they may overlap) */
	size_t n;
};

struct fw_dyn {
	struct fw_dyn_group *groups;
	size_t n;
	uint64_t gen;			/* of the state on disk (fw_dyn_save) */
};

/* The most a state file may hold when read. */
#define FW_DYN_STATE_MAX	(256u << 20)

void fw_dyn_free(struct fw_dyn *d);
/* The group called name; created empty when create is set (NULL out of
 * memory), else NULL when absent. */
struct fw_dyn_group *fw_dyn_get(struct fw_dyn *d, const char *name,
    bool create);
/* Whether g holds a. */
bool fw_dyn_has(const struct fw_dyn_group *g, const struct fw_prefix *a);
/* Adds a (kept sorted; a duplicate is ignored); -1 out of memory. */
int fw_dyn_add(struct fw_dyn_group *g, const struct fw_prefix *a);
/* Removes a if present. */
void fw_dyn_del(struct fw_dyn_group *g, const struct fw_prefix *a);
/* v[0..n) sorted as a group's members are, duplicates dropped: their
 * number now. */
size_t fw_dyn_sort(struct fw_prefix *v, size_t n);
/* dst made a copy of src (its own members): 0, or -1 out of memory. */
int fw_dyn_copy(struct fw_dyn_group *dst, const struct fw_dyn_group *src);

/*
 * The state: one line per group, "NAME ADDR ADDR...", in the two slot
 * files PATH.0 and PATH.1 (base/slots.h: a save is one write into room
 * on disk and an fdatasync, and a crash leaves the previous generation
 * whole).  Load replaces d's contents with the newer slot's (none is an
 * empty state; without slots, the single file PATH that earlier edged
 * wrote).  Save writes generation d->gen + 1 (mode 0600), creating the
 * directory (0700) if needed, and removes PATH after the first.  0, or
 * -1 with err (d->gen unchanged).
 */
int fw_dyn_load(struct fw_dyn *d, const char *path, char *err,
    size_t errsize);
/* The state's text (len bytes) into d, replacing what it held; name is
 * what errors call it.  0, or -1 with err (d left empty). */
int fw_dyn_parse(struct fw_dyn *d, const char *text, size_t len,
    const char *name, char *err, size_t errsize);
/* d as the state's text, malloc'd (*len bytes); NULL out of memory. */
char *fw_dyn_text(const struct fw_dyn *d, size_t *len);
int fw_dyn_save(struct fw_dyn *d, const char *dir, const char *path,
    char *err, size_t errsize);

/*
 * nft commands that put d's members of every group of c dynamic (fed
 * false) or fed (fed true) into the kernel's sets ("add element inet
 * edged d_web_4 { ... }"), for the batch that replaces the table; ""
 * when there are none, or no table (c has neither a firewall nor NAT).
 * NULL out of memory.
 */
char *fw_dyn_elements(const struct fw_dyn *d, const struct fw_conf *c,
    bool fed);
/* Queues in nl's transaction (fw_netlink.h) what turns group g's sets
 * (interval sets: the members merged into ranges) from before's members
 * into after's: the ranges that went, then those that came; before NULL
 * empties the sets first.  0, or -1 out of memory. */
int fw_dyn_queue(struct fw_nl *nl, const struct fw_group *g,
    const struct fw_dyn_group *before, const struct fw_dyn_group *after);
/* Queues in nl's transaction what fw_dyn_elements writes: d's members
 * of every dynamic (fed false) or fed (fed true) group of c, into those
 * of their sets the batch made (fw_build_made: a set kept from the
 * table before has them).  0, or -1 out of memory. */
struct fw_build_state;
int fw_dyn_queue_all(struct fw_nl *nl, const struct fw_dyn *d,
    const struct fw_conf *c, bool fed, const struct fw_build_state *made);

#endif /* EDGED_FW_DYN_H */
