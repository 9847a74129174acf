/*
 * src/edgectl_rows.h - what edgectl knows of the daemon without linking
 * it: the command rows (ctl_tables's, without their run hooks) and the
 * verbatim blocks (edged_verbatim_blocks's).  edgectl_gen writes them at
 * build time from the daemon's own tables into edgectl_rows.c (in the
 * build directory), so that the two cannot disagree, and edgectl links
 * only base/ and conf/: it starts in a millisecond, where linking the
 * daemon's forty libraries (TLS, libcurl, libnftables...) cost 15 ms of
 * every command.
 */
#ifndef EDGED_EDGECTL_ROWS_H
#define EDGED_EDGECTL_ROWS_H

#include <stddef.h>

#include "ctl_cmd.h"

/* The most tables edgectl holds: the daemon's and its own (check). */
#define EDGECTL_TABLES_MAX	16

/* The daemon's tables, in ctl_tables's order, every run hook NULL. */
extern const struct ctl_table edgectl_tables[];
extern const size_t edgectl_ntables;
/* The verbatim blocks, NULL-terminated (for conf_parse_file). */
extern const char *const edgectl_verbatim[];

#endif
