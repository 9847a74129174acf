/*
 * lb/lb_module.h - the load balancer's entry in the core's module table
 * (module.h), and what the core still asks of it by name until the
 * module interface covers the worker and the master's runtime (issue
 * 15): the TLS files the master reads for a worker.
 */
#ifndef EDGED_LB_MODULE_H
#define EDGED_LB_MODULE_H

#include "lb.h"
#include "module.h"
#include "tls_cert.h"

extern const struct edged_module lb_module;

/*
 * Reads and checks every TLS file c names, and builds the contexts once
 * (then drops them), so that what OpenSSL refuses is an error of the
 * file, at its directive.  keep (may be NULL: a check only) gets the
 * files as read, to release with lb_tls_files_release.  Returns the
 * number of errors added to d.
 */
unsigned lb_conf_check_files(const struct lb_conf *c, struct conf_diag *d,
    struct lb_tls_files *keep);

#endif /* EDGED_LB_MODULE_H */
