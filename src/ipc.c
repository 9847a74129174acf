/*
 * src/ipc.c - see ipc.h.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ipc.h"

int
ipc_send(int sock, uint32_t type, uint32_t arg0, uint32_t arg1,
    const void *data, size_t len, int fd)
{
	struct ipc_hdr h = { type, (uint32_t)len, arg0, arg1 };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)(uintptr_t)data,
	    len } };
	union {
		struct cmsghdr c;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	ssize_t n;

	if (len > IPC_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		cm.c.cmsg_level = SOL_SOCKET;
		cm.c.cmsg_type = SCM_RIGHTS;
		cm.c.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&cm.c), &fd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

int
ipc_send_blob(int sock, uint32_t type_data, uint32_t type_end, uint32_t arg0,
    const char *data, size_t len)
{
	for (size_t off = 0; off < len; off += IPC_MAX_PAYLOAD) {
		size_t n = len - off < IPC_MAX_PAYLOAD ? len - off :
		    IPC_MAX_PAYLOAD;

		if (ipc_send(sock, type_data, arg0, 0, data + off, n, -1) < 0)
			return -1;
	}
	return ipc_send(sock, type_end, arg0, 0, NULL, 0, -1);
}

static int
take_fd(struct msghdr *msg)
{
	struct cmsghdr *c;
	int fd = -1;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

int
ipc_recv(int sock, struct ipc_msg *m)
{
	struct iovec iov[2] = { { &m->hdr, sizeof(m->hdr) }, { m->data,
	    IPC_MAX_PAYLOAD } };
	union {
		struct cmsghdr c;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2,
	    .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	ssize_t n;

	do {
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return (int)n;
	m->fd = take_fd(&msg);
	if ((size_t)n < sizeof(m->hdr) || m->hdr.len != (size_t)n -
	    sizeof(m->hdr) || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (m->fd >= 0)
			(void)close(m->fd);
		errno = EPROTO;
		return -1;
	}
	m->data[m->hdr.len] = '\0';
	return 1;
}

int
ipc_channel_send(const struct edged_channel *ch, uint16_t type, uint32_t arg,
    const void *data, size_t len, int fd)
{
	const struct ipc_channel *c = (const struct ipc_channel *)ch;

	return ipc_send(c->sock, IPC_MODULE, IPC_MODULE_ARG(c->module, type),
	    arg, data, len, fd);
}
