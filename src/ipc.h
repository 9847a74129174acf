/*
 * src/ipc.h - the framed protocol between master and worker, over a
 * SOCK_SEQPACKET socketpair: one message per packet, a header and up to
 * IPC_MAX_PAYLOAD bytes, optionally one file descriptor (SCM_RIGHTS).
 *
 *   master -> worker                    worker -> master
 *   CONFIG_DATA*, CONFIG_END            READY (after listeners are up)
 *   TICKET_KEYS (also at each rotation) FAILED (text: why)
 *   MODULE* (each module's: lb's state block, TLS files, access-log
 *       files and overrides, fw's counters block)
 *   LISTENER (fd: listener, thread)
 *   STATS_LISTENER (fd)
 *   START
 *   ASK (id, a module's question)       STATS_DATA*, STATS_END (answer)
 *   MODULE (lb: an edgectl change)      MODULE (lb: a monitor's verdict;
 *                                       fw: fresh counters, please)
 *   DRAIN
 */
#ifndef EDGED_IPC_H
#define EDGED_IPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "module.h"

#define IPC_MAX_PAYLOAD	32768

/* The values are fixed: an upgrade's new master speaks to the workers
 * of the binary before it (DRAIN, STATS_DATA...).  A retired value is
 * not given again. */
enum ipc_type {
	IPC_CONFIG_DATA = 1,
	IPC_CONFIG_END = 2,
	IPC_LISTENER = 3,
	IPC_START = 4,
	IPC_DRAIN = 6,			/* arg0: ms before in-flight work
					 * is cut */
	IPC_READY = 7,
	IPC_STATS_DATA = 8,		/* an ASK's answer, arg0 its id */
	IPC_STATS_END = 9,
	IPC_FAILED = 10,
	IPC_STATS_LISTENER = 13,	/* fd: the stats socket */
	IPC_TICKET_KEYS = 19,		/* arg0 keys of EDGED_TICKET_KEY bytes,
					 * newest first */
	IPC_MODULE = 22,		/* a module's message, either way:
					 * arg0 IPC_MODULE_ARG(module, its
					 * type), arg1 its argument */
	IPC_ASK = 23,			/* a module's question for the worker
					 * (module.h's host->ask): arg0 as
					 * MODULE's, arg1 the answer's id;
					 * payload: '1' for JSON or '0', then
					 * the argument */
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

/* A module's messages over sock (module.h's channel), tagged with its
 * index: IPC_MODULE. */
struct ipc_channel {
	struct edged_channel ch;
	int sock;
	uint16_t module;
};

#define IPC_CHANNEL(sock, module) \
	((struct ipc_channel){ { ipc_channel_send, IPC_MAX_PAYLOAD, NULL }, \
	    (sock), (uint16_t)(module) })

int ipc_channel_send(const struct edged_channel *ch, uint16_t type,
    uint32_t arg, const void *data, size_t len, int fd);

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

#endif /* EDGED_IPC_H */
