/*
 * lb/lb_module.h - the load balancer's entry in the core's module table
 * (module.h), and its messages between master and worker.
 */
#ifndef EDGED_LB_MODULE_H
#define EDGED_LB_MODULE_H

#include "lb.h"
#include "module.h"
#include "rule_conf.h"
#include "tls_cert.h"

extern const struct edged_module lb_module;

/* The load balancer's messages between master and worker (module.h's
 * channel), and what the master asks the worker (host->ask). */
enum lb_msg {
	LB_MSG_TLS_DATA = 1,		/* to the worker: a piece of the TLS
					 * file in slot arg (lb.h) */
	LB_MSG_TLS_END,			/* that file is whole */
	LB_MSG_LOG_FD,			/* fd: virtual server arg's access
					 * log */
	LB_MSG_MEMBER,			/* + enum lb_member_op (lb_runtime.h):
					 * "POOL MEMBER", arg the value */
	LB_MSG_HEALTH = LB_MSG_MEMBER + 8,	/* to the master: "POOL
					 * MEMBER", arg 1 up, 0 down */
	LB_ASK_STATS,			/* show stats */
	LB_ASK_POOL,			/* show pool; the pool, or "" */
	LB_MSG_SHM,			/* to the worker, first: fd, the block
					 * it counts in (shm.h), arg bytes */
	LB_MSG_RULE_DATA,		/* to the worker: a piece of the
					 * pattern file arg (lb.h's
					 * rule_files) */
	LB_MSG_RULE_END,		/* that file is whole */
	LB_ASK_RULES,			/* show rules; the virtual server, or
					 * "" */
	LB_MSG_STICK_FD,		/* to the worker: fd, stick-table arg
					 * (stick_master.h) */
	LB_MSG_TSOCK,			/* to the worker: fd, a transparent
					 * socket of kind arg (tsock.h) */
	LB_MSG_TSOCK_WANT,		/* to the master: arg's low 24 bits
					 * more of them, of kind arg >> 24 */
};

/* The payload of LB_MSG_MEMBER + op and of LB_MSG_HEALTH is "POOL
 * MEMBER", no NUL: at most two names and the space. */
#define LB_MEMBER_MSG_MAX	(2 * (LB_NAME_MAX - 1) + 1)

/*
 * Writes that payload for pool's member into buf (size bytes, the
 * caller's; LB_MEMBER_MSG_MAX + 1 holds any two names), NUL-terminated
 * though the NUL is not sent.  pool and member are only read.  Returns
 * the payload's length, or -1 with errno EMSGSIZE when it does not fit.
 */
int lb_member_msg_format(char *buf, size_t size, const char *pool,
    const char *member);
/*
 * Reads that payload, data and len as the channel gave them (no NUL
 * needed), into pool and member, LB_NAME_MAX bytes each, the caller's.
 * Returns 0, or -1 when it is longer than LB_MEMBER_MSG_MAX or is not
 * two words (pool and member are then undefined).
 */
int lb_member_msg_parse(const void *data, size_t len, char *pool,
    char *member);

/*
 * Reads and checks every TLS file c names, and builds the contexts once
 * (then drops them), so that what OpenSSL refuses is an error of the
 * file, at its directive; the same for the pattern files of application
 * rules, and the rules compiled.  keep and rkeep (both NULL: a check
 * only) get the files as read, to release with lb_tls_files_release and
 * lb_rule_files_release.  Returns the number of errors added to d.
 */
unsigned lb_conf_check_files(const struct lb_conf *c, struct conf_diag *d,
    struct lb_tls_files *keep, struct lb_rule_files *rkeep);

#endif /* EDGED_LB_MODULE_H */
