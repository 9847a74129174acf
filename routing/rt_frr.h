/*
 * routing/rt_frr.h - FRR's configuration from edged's: the section edged
 * owns in frr.conf, rendered from routing { } (static routes,
 * prefix-lists, bgpd, ospfd), checked with vtysh and put in force with
 * FRR's frr-reload.py, which changes in the running daemons only what
 * differs.  Private to routing/.
 *
 * The section is frr.conf's lines from "! edged: begin" to "! edged:
 * end"; every other line is the operator's, kept as it is, and applied
 * with edged's (frr-reload.py makes FRR's running configuration the
 * whole file's).  FRR's names edged makes start with EDGED- (route-maps,
 * prefix-lists).
 */
#ifndef EDGED_RT_FRR_H
#define EDGED_RT_FRR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "rt_conf.h"

#define RT_FRR_BEGIN	"! edged: begin"
#define RT_FRR_END	"! edged: end"

/* FRR's programs, as Debian installs them */
#define RT_VTYSH	"/usr/bin/vtysh"
#define RT_FRR_RELOAD	"/usr/lib/frr/frr-reload.py"

/* Writes edged's section for c (nothing when c drives no FRR daemon),
 * markers included.  secrets false: passwords read "<hidden>" (for
 * `edged -n`), true: as FRR needs them. */
void rt_frr_render(const struct rt_conf *c, bool secrets, FILE *out);

/* The len bytes of text (frr.conf) without edged's section, with section
 * (NULL or "": none) at the end: a NUL-terminated text, the caller's to
 * free; NULL with err when the markers are broken, or out of memory. */
char *rt_frr_merge(const char *text, size_t len, const char *section,
    char *err, size_t errsize);

/* Whether FRR would take frr-config with section in place of edged's
 * (vtysh -C, the daemons untouched): 0, or -1 with err. */
int rt_frr_check(const struct rt_conf *c, const char *section, char *err,
    size_t errsize);

/* Puts section in force: frr-config has it in place of edged's section,
 * and the daemons run the whole file (frr-reload.py --reload).  0; 1
 * when FRR is not running (the file is written: FRR reads it when it
 * starts); -1 with err when FRR refused it: FRR is put back to the file
 * as it was, which stays. */
int rt_frr_apply(const struct rt_conf *c, const char *section, char *err,
    size_t errsize);

/* Whether frr-config has edged's section (a line that begins it). */
bool rt_frr_has_section(const struct rt_conf *c);

/* Overwrites every password of c in text with '*'s: for what FRR's
 * programs say, before it is logged or answered. */
void rt_frr_redact(char *text, const struct rt_conf *c);

#endif /* EDGED_RT_FRR_H */
