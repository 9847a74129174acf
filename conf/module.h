/*
 * conf/module.h - the interface between the core (src/) and a module
 * (lb/, fw/, later routing/, vpn/): what a module gives the core, and
 * what the core does with it.
 *
 * A module is one folder with one prefix.  It describes itself with one
 * `const struct edged_module` (lb_module, fw_module), and the core lists
 * those in one table, src/modules.c; nothing else in src/ is to name a
 * module.  A module includes only base/ and conf/, so that the contract
 * it is held to is this header, and no module knows another: what one
 * needs of another goes through the core as plain data (the endpoints
 * below).
 *
 * The contract, hook by hook (a NULL hook is a module without that
 * concern):
 *
 * Configuration.  The module owns the top-level directives of its rows
 * (conf_apply's rows; a name belongs to one module only).  The core
 * makes the module's part of a generation with conf_new, applies each of
 * its top-level statements to it, then calls conf_resolve once every
 * statement of the file is applied (names across blocks, whole-file
 * checks); conf_print writes the part in normal form (`edged -T`, the
 * text sent to the worker), which parses again to the same part;
 * conf_free releases it.  A part is plain data: it is built while the
 * running generation serves, and nothing running reads it until the
 * core has it in force.
 *
 * Files.  check_files reads what the part names on disk (certificates,
 * keys) and checks it, adding errors to d, without keeping anything: the
 * check of `edged -t` and `edgectl check`.
 *
 * Endpoints.  endpoints adds the local addresses and ports the module
 * receives traffic on (a virtual server, BGP, IKE) to a list the core
 * collects from every module and hands to the modules that filter
 * traffic (the firewall lets them in after its rules); it must add them
 * in the same order each time, since the order shows in what the filter
 * compiles to.
 *
 * Compiled form.  print_compiled writes what the module hands the
 * kernel or a peer daemon, as text (the firewall: its nftables table):
 * `edged -n`.  It is given every module's endpoints.
 */
#ifndef EDGED_MODULE_H
#define EDGED_MODULE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#include "conf.h"

/* A local address and port a module receives traffic on. */
struct edged_endpoint {
	struct sockaddr_storage addr;	/* the port inside; INADDR_ANY or
					 * in6addr_any: every address of
					 * that family */
	int proto;			/* IPPROTO_TCP, IPPROTO_UDP */
	char what[96];			/* says which, in a comment:
					 * "virtual-server web", "stats" */
};

struct edged_endpoints {
	struct edged_endpoint *v;
	size_t n, cap;
};

/* Adds one to eps: the address (its port inside), its protocol and
 * what it is (truncated to fit).  0, or -1 out of memory. */
int edged_endpoints_add(struct edged_endpoints *eps,
    const struct sockaddr_storage *addr, int proto, const char *what);
void edged_endpoints_release(struct edged_endpoints *eps);

struct edged_module {
	const char *name;		/* "lb", "fw": in messages */

	/* configuration */
	const struct conf_directive *directives;
	size_t ndirectives;
	void *(*conf_new)(void);	/* defaults; NULL out of memory */
	void (*conf_resolve)(void *part, struct conf_diag *d);
	void (*conf_print)(const void *part, FILE *out);
	void (*conf_free)(void *part);	/* part may be NULL */

	/* Returns the number of errors added to d. */
	unsigned (*check_files)(const void *part, struct conf_diag *d);
	/* 0, or -1 out of memory. */
	int (*endpoints)(const void *part, struct edged_endpoints *eps);
	void (*print_compiled)(const void *part,
	    const struct edged_endpoints *eps, FILE *out);
};

#endif /* EDGED_MODULE_H */
