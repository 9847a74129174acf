/*
 * vpn/vpn_call.c - a VICI exchange for an edgectl command, in the
 * master's loop (vpn_int.h): its requests written at once on a
 * connection of its own (charon takes them in turn), each message read
 * handed to the command, until as many answers as requests, or an
 * error, or the time limit.  The master never waits for charon here: an
 * `ipsec up` that waits for the tunnel takes as long as IKE does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mem.h"
#include "vpn_int.h"
#include "vpn_site.h"
#include "vpn_vici.h"

static void
call_end(struct vpn_call *call, const char *err)
{
	struct vpn_master *vm = call->vm;
	struct vpn_call **pp;

	for (pp = &vm->calls; *pp != NULL; pp = &(*pp)->next)
		if (*pp == call) {
			*pp = call->next;
			break;
		}
	ev_io_stop(vm->host->loop, &call->io);
	ev_timer_stop(vm->host->loop, &call->timer);
	if (call->fd >= 0)
		close(call->fd);
	call->done(call, err);
	free(call->out);
	free(call->in);
	free(call);
}

/* the messages read whole: 1 when the last answer came, 0 for more, -1
 * with *why */
static int
call_messages(struct vpn_call *call, const char **why)
{
	const uint8_t *packet;
	size_t plen, off = 0;
	struct vpn_vici_msg m;
	long took;
	int rc = 0;

	while (rc == 0 && (took = vpn_vici_frame(call->in + off,
	    call->inlen - off, &packet, &plen, why)) > 0) {
		off += (size_t)took;
		if (vpn_vici_parse(packet, plen, &m, why) < 0)
			return -1;
		call->on_msg(call, &m);
		if (m.type != VPN_VICI_EVENT && --call->answers == 0)
			rc = 1;
		vpn_vici_msg_free(&m);
	}
	memmove(call->in, call->in + off, call->inlen - off);
	call->inlen -= off;
	return rc != 0 ? rc : took < 0 ? -1 : 0;
}

static void
call_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct vpn_call *call = w->data;
	const char *why = "out of memory";
	ssize_t n;
	int rc;

	(void)loop;
	(void)revents;
	if (mem_grow(&call->in, &call->incap, call->inlen + 65536, 1) == -1) {
		call_end(call, why);
		return;
	}
	n = recv(call->fd, call->in + call->inlen, call->incap - call->inlen,
	    0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		call_end(call, "charon closed the connection");
		return;
	}
	call->inlen += (size_t)n;
	if ((rc = call_messages(call, &why)) != 0)
		call_end(call, rc > 0 ? NULL : why);
}

static void
call_timeout(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct vpn_call *call = t->data;

	(void)loop;
	(void)revents;
	call_end(call, "no answer from charon in time");
}

void
vpn_call_start(struct vpn_call *call, const char *path, double timeout)
{
	struct vpn_master *vm = call->vm;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char err[256];

	call->next = vm->calls;
	vm->calls = call;
	ev_init(&call->io, call_io);
	call->io.data = call;
	ev_init(&call->timer, call_timeout);
	call->timer.data = call;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	call->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (call->fd < 0 || connect(call->fd, (struct sockaddr *)&sun,
	    sizeof(sun)) < 0) {
		snprintf(err, sizeof(err), "charon is not there (%s: %s)",
		    path, strerror(errno));
		call_end(call, err);
		return;
	}
	/* a few small requests: the socket's buffer takes them whole */
	if (send(call->fd, call->out, call->outlen, MSG_NOSIGNAL) !=
	    (ssize_t)call->outlen) {
		snprintf(err, sizeof(err), "cannot write to charon: %s",
		    strerror(errno));
		call_end(call, err);
		return;
	}
	ev_io_set(&call->io, call->fd, EV_READ);
	ev_io_start(vm->host->loop, &call->io);
	ev_timer_set(&call->timer, timeout, 0.);
	ev_timer_start(vm->host->loop, &call->timer);
}

int
vpn_call_add(struct vpn_call *call, uint8_t *msg, const size_t *lenp)
{
	size_t len;

	if (msg == NULL)
		return -1;
	len = *lenp;
	if (mem_grow(&call->out, &call->outcap, call->outlen + len, 1) == -1) {
		free(msg);
		return -1;
	}
	memcpy(call->out + call->outlen, msg, len);
	call->outlen += len;
	call->answers++;
	free(msg);
	return 0;
}

void
vpn_calls_end(struct vpn_master *vm)
{
	while (vm->calls != NULL)
		call_end(vm->calls, "edged stops");
}

struct vpn_call *
vpn_call_list_sas(struct vpn_master *vm, struct edged_ctl *c,
    void (*on_msg)(struct vpn_call *, const struct vpn_vici_msg *),
    void (*done)(struct vpn_call *, const char *), void *arg)
{
	static const char *const kv[] = { "noblock", "yes" };
	struct vpn_call *call = calloc(1, sizeof(*call));
	struct vpn_vici_out o;
	const char *why;
	size_t len;

	if (call == NULL)
		return NULL;
	*call = (struct vpn_call){ .vm = vm, .c = c, .on_msg = on_msg,
	    .done = done, .arg = arg, .fd = -1 };
	vpn_vici_begin(&o, VPN_VICI_EVENT_REGISTER, "list-sa");
	if (vpn_call_add(call, vpn_vici_finish(&o, &len, &why), &len) < 0 ||
	    vpn_call_add(call, vpn_site_request("list-sas", kv, 2, &len,
	    &why), &len) < 0) {
		free(call->out);
		free(call);
		return NULL;
	}
	return call;
}
