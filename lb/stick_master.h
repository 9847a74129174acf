/*
 * lb/stick_master.h - the stick tables as the master holds them (issue
 * 16): one memfd per table, which the master makes, maps, hands to every
 * worker (they map it too) and keeps from one generation to the next
 * for as long as the table's name and shape stay, so that a reload loses
 * no entry.  `edgectl show table` and `clear table` read and change the
 * master's mapping.
 */
#ifndef EDGED_LB_STICK_MASTER_H
#define EDGED_LB_STICK_MASTER_H

#include <stdbool.h>
#include <stdio.h>

#include "lb.h"
#include "stick.h"

struct lb_stick_shm;

/*
 * The tables of configuration c, into *out (an array of c->nsticks, the
 * caller's to give back with lb_sticks_drop): each reused from the
 * registry *reg when one has its name and shape, else made (and added to
 * it).  Returns 0, or -1 after adding the error to d (nothing taken).
 */
int lb_sticks_take(struct lb_stick_shm **reg, const struct lb_conf *c,
    struct lb_stick_shm ***out, struct conf_diag *d);
/* Gives back the n tables of *tables (a generation goes): a table no
 * generation holds any more is unmapped and closed.  Frees *tables. */
void lb_sticks_drop(struct lb_stick_shm **reg, struct lb_stick_shm ***tables,
    size_t n);
/* An upgrade: each table of the registry as a line "stick NAME FD" (its
 * memfd passed with carry->pass), and there, the table made again from
 * such a line (with no generation holding it yet).  0, or -1. */
struct edged_carry;
void lb_sticks_save(struct lb_stick_shm *reg, FILE *out,
    const struct edged_carry *carry);
int lb_sticks_load_line(struct lb_stick_shm **reg, const char *line);
/* Frees the tables no generation holds. */
void lb_sticks_prune(struct lb_stick_shm **reg);
/* The memfd a worker maps (lb_stick_map). */
int lb_stick_shm_fd(const struct lb_stick_shm *s);

/* In the worker: maps the table in fd (the master's) as c's table i and
 * attaches it into *t; *mem and *len get the mapping, to unmap.  Returns
 * 0, or -1 (closes fd either way). */
int lb_stick_map(const struct lb_conf *c, size_t i, int fd,
    struct lb_stick *t, void **mem, size_t *len);

/* `edgectl show table NAME [KEY]` (every entry, or KEY's) and `clear
 * table NAME [KEY]` (every entry, or KEY's) on the tables of c:
 * written to out; false with the reason written instead. */
bool lb_sticks_show(struct lb_stick_shm *const *tables,
    const struct lb_conf *c, const char *name, const char *key, bool json,
    FILE *out);
bool lb_sticks_clear(struct lb_stick_shm *const *tables,
    const struct lb_conf *c, const char *name, const char *key, FILE *out);

#endif /* EDGED_LB_STICK_MASTER_H */
