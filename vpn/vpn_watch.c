/*
 * vpn/vpn_watch.c - the master's own VICI connection to charon, on which
 * nothing is asked: registered for ike-updown and child-updown, it hears
 * every tunnel of edged's sites come up and go down (logged, counted),
 * and sees charon go away (the connection ends: vpn_charon_lost).
 * Non-blocking, in the master's loop; charon's events are small.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "vpn_int.h"
#include "vpn_site.h"
#include "vpn_vici.h"

#define WATCH_IN_MAX	(4 * VPN_VICI_MAX)

void
vpn_watch_close(struct vpn_master *vm)
{
	if (vm->wfd < 0)
		return;
	ev_io_stop(vm->host->loop, &vm->wio);
	close(vm->wfd);
	vm->wfd = -1;
	free(vm->win);
	vm->win = NULL;
	vm->winlen = vm->wincap = 0;
}

/* "10.0.0.0/16 10.0.1.0/24" from a list of traffic selectors */
static void
ts_text(const struct vpn_vici_node *l, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; l != NULL && l->kind == VPN_VICI_LIST && i < l->n &&
	    off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s",
		    i > 0 ? " " : "", l->v[i].value);
}

/* child-updown: each child SA of the event's IKE SA */
static void
child_event(struct vpn_master *vm, const struct vpn_vici_node *ike,
    const char *kind, bool up)
{
	const struct vpn_vici_node *cs = vpn_vici_child(ike, "child-sas");
	char l[256], r[256];

	for (size_t i = 0; cs != NULL && cs->kind == VPN_VICI_SECTION &&
	    i < cs->n; i++) {
		const struct vpn_vici_node *c = &cs->v[i];
		const char *in = vpn_vici_value(c, "spi-in");
		const char *outs = vpn_vici_value(c, "spi-out");

		ts_text(vpn_vici_child(c, "local-ts"), l, sizeof(l));
		ts_text(vpn_vici_child(c, "remote-ts"), r, sizeof(r));
		vpn_stats_changed(vm, ike->name, up);
		log_info("vpn: %s %s: tunnel %s, %s === %s (SPIs %s in, "
		    "%s out)", kind, ike->name, up ? "up" : "down", l, r,
		    in != NULL ? in : "-", outs != NULL ? outs : "-");
	}
}

static void
event(struct vpn_master *vm, const struct vpn_vici_msg *m)
{
	const char *upv = vpn_vici_value(&m->root, "up");
	bool up = upv != NULL && strcmp(upv, "yes") == 0;
	bool child = strcmp(m->name, "child-updown") == 0;

	for (size_t i = 0; i < m->root.n; i++) {
		const struct vpn_vici_node *ike = &m->root.v[i];
		const struct vpn_gsite *gs = vpn_gen_site(vm->cur, ike->name);
		const char *rh = vpn_vici_value(ike, "remote-host");
		const char *user = vpn_vici_value(ike, "remote-eap-id");
		char vips[256];

		if (ike->kind != VPN_VICI_SECTION || gs == NULL)
			continue;	/* not one of edged's sites */
		if (child)
			child_event(vm, ike, gs->site->ra ? "remote-access" :
			    "ipsec", up);
		else if (gs->site->ra) {
			ts_text(vpn_vici_child(ike, "remote-vips"), vips,
			    sizeof(vips));
			log_info("vpn: remote-access %s: user %s %s %s%s%s",
			    ike->name, user != NULL ? user :
			    vpn_vici_value(ike, "remote-id") != NULL ?
			    vpn_vici_value(ike, "remote-id") : "?", up ?
			    "connected from" : "gone from", rh != NULL ? rh :
			    "?", vips[0] != '\0' ? ", address " : "", vips);
		} else
			log_info("vpn: ipsec %s: IKE SA %s with %s (%s)",
			    ike->name, up ? "established" : "gone",
			    rh != NULL ? rh : "?", up ? "authenticated" :
			    "deleted, expired or failed");
	}
}

/* every whole message read: 0, or -1 with *why (the connection ends) */
static int
messages(struct vpn_master *vm, const char **why)
{
	const uint8_t *packet;
	size_t plen, off = 0;
	struct vpn_vici_msg m;
	long took;

	while ((took = vpn_vici_frame(vm->win + off, vm->winlen - off,
	    &packet, &plen, why)) > 0) {
		off += (size_t)took;
		if (vpn_vici_parse(packet, plen, &m, why) < 0)
			return -1;
		if (m.type == VPN_VICI_EVENT_UNKNOWN) {
			*why = "charon does not know ike-updown";
			vpn_vici_msg_free(&m);
			return -1;
		}
		if (m.type == VPN_VICI_EVENT)
			event(vm, &m);
		vpn_vici_msg_free(&m);
	}
	memmove(vm->win, vm->win + off, vm->winlen - off);
	vm->winlen -= off;
	return took < 0 ? -1 : 0;
}

static void
watch_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct vpn_master *vm = w->data;
	const char *why = NULL;
	char buf[160];
	ssize_t n;

	(void)loop;
	(void)revents;
	if (mem_grow(&vm->win, &vm->wincap, vm->winlen + 65536, 1) == -1) {
		vpn_charon_lost(vm, "out of memory");
		return;
	}
	n = recv(vm->wfd, vm->win + vm->winlen, vm->wincap - vm->winlen, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		snprintf(buf, sizeof(buf), "its VICI socket %s", n == 0 ?
		    "closed" : strerror(errno));
		vpn_charon_lost(vm, buf);
		return;
	}
	vm->winlen += (size_t)n;
	if (messages(vm, &why) < 0 || vm->winlen > WATCH_IN_MAX) {
		snprintf(buf, sizeof(buf), "charon sent what is not VICI: %s",
		    why != NULL ? why : "too much");
		vpn_charon_lost(vm, buf);
	}
}

/* the registrations, written at once: charon confirms each in turn */
static int
watch_register(int fd)
{
	static const char *const names[] = { "ike-updown", "child-updown" };
	struct vpn_vici_out o;
	const char *why;
	uint8_t *m;
	size_t len;
	ssize_t n;

	for (size_t i = 0; i < 2; i++) {
		vpn_vici_begin(&o, VPN_VICI_EVENT_REGISTER, names[i]);
		if ((m = vpn_vici_finish(&o, &len, &why)) == NULL)
			return -1;
		n = send(fd, m, len, MSG_NOSIGNAL);
		free(m);
		if (n != (ssize_t)len)
			return -1;
	}
	return 0;
}

void
vpn_watch_open(struct vpn_master *vm, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (vm->wfd >= 0 && strcmp(vm->wpath, path) == 0)
		return;
	vpn_watch_close(vm);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		/* charon is not there: the commit or the retry says so */
		if (fd >= 0)
			close(fd);
		return;
	}
	if (watch_register(fd) < 0) {
		log_warn("vpn: cannot watch charon at %s: %s (tunnels coming "
		    "up and down are not logged)", path, strerror(errno));
		close(fd);
		return;
	}
	vm->wfd = fd;
	snprintf(vm->wpath, sizeof(vm->wpath), "%s", path);
	ev_io_init(&vm->wio, watch_cb, fd, EV_READ);
	vm->wio.data = vm;
	ev_io_start(vm->host->loop, &vm->wio);
}
