/*
 * src/ipc.h - the framed protocol between master and worker, over a
 * SOCK_SEQPACKET socketpair: one message per packet, a header and up to
 * IPC_MAX_PAYLOAD bytes, optionally one file descriptor (SCM_RIGHTS).
 *
 *   master -> worker                    worker -> master
 *   CONFIG_DATA*, CONFIG_END            READY (after listeners are up)
 *   LISTENER (fd: listener, thread)     STATS_DATA*, STATS_END
 *   MEMBER* (op, value; "POOL MEMBER")  FAILED (text: why)
 *   STATS_LISTENER (fd)
 *   LOG_FD (fd: virtual server arg0's access-log file)
 *   TLS_FILE_DATA*, TLS_FILE_END (slot)
 *   TICKET_KEYS (also at each rotation)
 *   MODULE* (a module's: the firewall's counters block)
 *   START                               MODULE (a module's: GET /metrics
 *                                       asks for fresh fw counters)
 *   STATS (id, json)
 *   SHOW_POOL (id, json; "POOL" or "")  (answered as STATS_DATA/END)
 *   MEMBER (op, value; "POOL MEMBER")
 *   DRAIN                               HEALTH (up; "POOL MEMBER")
 */
#ifndef EDGED_IPC_H
#define EDGED_IPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IPC_MAX_PAYLOAD	32768

enum ipc_type {
	IPC_CONFIG_DATA = 1,
	IPC_CONFIG_END,
	IPC_LISTENER,
	IPC_START,
	IPC_STATS,
	IPC_DRAIN,			/* arg0: ms before in-flight work
					 * is cut */
	IPC_READY,
	IPC_STATS_DATA,
	IPC_STATS_END,
	IPC_FAILED,
	IPC_MEMBER,
	IPC_SHOW_POOL,
	IPC_STATS_LISTENER,		/* fd: the stats socket */
	IPC_HEALTH,			/* worker: arg0 up; "POOL MEMBER" */
	IPC_LOG_FD,			/* fd: virtual server arg0's log */
	IPC_SHM,			/* fd: the state block (lb/shm.h),
					 * arg0 bytes; right after CONFIG_END */
	IPC_TLS_FILE_DATA,		/* a TLS file the master read, slot */
	IPC_TLS_FILE_END,		/* arg0 (lb.h); before START */
	IPC_TICKET_KEYS,		/* arg0 keys of LB_TICKET_KEY bytes,
					 * newest first */
	IPC_MODULE,			/* a module's message, either way:
					 * arg0 IPC_MODULE_ARG(module, its
					 * type), arg1 its argument */
};

/* A module's message: its index in the module table and its own type. */
#define IPC_MODULE_ARG(id, type)	(((uint32_t)(id) << 16) | (type))
#define IPC_MODULE_ID(arg0)		((uint16_t)((arg0) >> 16))
#define IPC_MODULE_TYPE(arg0)		((uint16_t)((arg0) & 0xffff))

struct ipc_hdr {
	uint32_t type;
	uint32_t len;
	uint32_t arg0;
	uint32_t arg1;
};

struct ipc_msg {
	struct ipc_hdr hdr;
	int fd;				/* -1 when none came */
	char data[IPC_MAX_PAYLOAD + 1];	/* NUL-terminated by ipc_recv */
};

/* Sends one message; fd < 0 for none.  Returns 0 or -1 with errno. */
int ipc_send(int sock, uint32_t type, uint32_t arg0, uint32_t arg1,
    const void *data, size_t len, int fd);
/* Sends len bytes of data as DATA messages of at most the payload size,
 * then an END message (type_end), all with arg0. */
int ipc_send_blob(int sock, uint32_t type_data, uint32_t type_end,
    uint32_t arg0, const char *data, size_t len);
/* Receives one message; its payload is NUL-terminated.  Returns 1, 0 at
 * EOF, -1 with errno (EAGAIN on a non-blocking socket with nothing to
 * read). */
int ipc_recv(int sock, struct ipc_msg *m);
/* Sends a message whose payload names a pool and a member. */
int ipc_send_member(int sock, uint32_t type, uint32_t arg0, uint32_t arg1,
    const char *pool, const char *member);
/* The pool and member such a message names, split in place.  Returns 0,
 * or -1 when the payload is not "POOL MEMBER". */
int ipc_member(struct ipc_msg *m, char **pool, char **member);

#endif /* EDGED_IPC_H */
