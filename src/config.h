/*
 * src/config.h - one generation of edged's configuration: the global
 * block, which the daemon core owns, and each module's part.  Plain data,
 * built in its own memory so that a new file is validated while the old
 * generation keeps serving.
 */
#ifndef EDGED_CONFIG_H
#define EDGED_CONFIG_H

#include <stdio.h>

#include "conf.h"
#include "modules.h"

#define EDGED_DEFAULT_SOCKET	"/run/edged/edged.sock"
#define EDGED_DEFAULT_STATE_DIR	"/var/lib/edged"

struct core_conf {
	unsigned workers;		/* event-loop threads; 0 = one per CPU */
	char user[64];			/* the worker drops to this user */
	char control_socket[108];	/* sizeof(sun_path) */
	uint64_t max_connections;	/* whole worker process */
	uint64_t grace_ms;		/* SIGTERM: in-flight work may finish
					 * for this long */
	uint64_t hard_stop_after_ms;	/* a generation draining after a
					 * reload is stopped after this */
	uint64_t ticket_rotate_ms;	/* a new TLS session ticket key */
	char state_dir[256];		/* what outlives restarts: dynamic
					 * group members */
};

struct edged_conf {
	struct core_conf core;
	void *parts[EDGED_NMODULES];	/* each module's, by edged_module_id */
	/* the file names positions point to: kept, so that errors found
	 * after loading (a socket, a log file) can still say where */
	char **files;
	size_t nfiles;
};

/*
 * Parses and validates the file at path (or, with text != NULL, the
 * len bytes of text, named path in messages).  Returns the configuration,
 * or NULL when there were errors, all of them added to d.  Caller frees
 * with edged_conf_free.
 */
struct edged_conf *edged_conf_load(const char *path, const char *text,
    size_t len, struct conf_diag *d);
void edged_conf_free(struct edged_conf **c);
/* Normal form: what `edged -T` prints; parses again to the same text.
 * flags: module.h's EDGED_PRINT_* (secrets hidden without
 * EDGED_PRINT_SECRETS). */
void edged_conf_print(const struct edged_conf *c, FILE *out,
    unsigned flags);
/* The same into a malloc'd NUL-terminated string; NULL out of memory. */
char *edged_conf_to_text(const struct edged_conf *c, size_t *len);
/* The checks that read files, each module's (module.h's check_files):
 * `edged -t`, `edgectl check`.  Returns the number of errors added to
 * d. */
unsigned edged_conf_check_files(const struct edged_conf *c,
    struct conf_diag *d);
/* `edged -t` and `edgectl check`: the file at path loaded and its files
 * checked, every error and warning printed to err, then "PATH: N
 * errors" when there were errors.  Returns the configuration (the
 * caller frees it), or NULL. */
struct edged_conf *edged_conf_check(const char *path, FILE *err);
/* Adds every module's endpoints to eps.  0, or -1 out of memory. */
int edged_conf_endpoints(const struct edged_conf *c,
    struct edged_endpoints *eps);
/* What the modules compile c to, as text (`edged -n`: the firewall's
 * nftables table).  0, or -1 out of memory. */
int edged_conf_print_compiled(const struct edged_conf *c, FILE *out);
/* The thread count workers resolves to on this machine. */
unsigned edged_conf_threads(const struct edged_conf *c);
/* Each error and warning of a configuration, one log line each, at its
 * level: what journald must file as an error is one. */
void log_conf_diag(const struct conf_diag *d);

#endif /* EDGED_CONFIG_H */
