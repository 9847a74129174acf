/*
 * lb/proxy_accept.c - a listener's accept-proxy: the PROXY protocol
 * header that a proxy in front of edged sends before anything else,
 * read first on every connection of that listener:
 *
 *   accepted -> PROXY: peek at what came, parse (proxy_proto.c), take
 *   from the socket exactly the header's bytes -> the client's address
 *   is the header's, and the session goes on as on any listener (TLS
 *   handshake, request, ClientHello, or the tcp tunnel)
 *
 * Bytes are peeked, not read, so that nothing after the header leaves
 * the socket: the TLS library and the protocols read on from the socket
 * as if the header had never been there.  A header that came in parts
 * has its beginning kept in the session (pp_buf) until the rest comes.
 * A connection whose first bytes are not a valid header is closed, and
 * counts as an error of the virtual server: a listener that takes the
 * header takes no connection without it, or a client could pass for
 * any address it likes by leaving it out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "log.h"
#include "proxy_proto.h"
#include "session.h"

static struct lb_next
refuse(struct lb_session *s, const char *why)
{
	char peer[INET6_ADDRSTRLEN];

	addr_fmt(peer, sizeof(peer), &s->peer.sa);
	log_debug("virtual-server %s: client %s: PROXY header refused: %s; "
	    "closing", s->vs->conf->name, peer, why);
	CTR_ADD(s->t->ctr_vs[s->vs->index].errors, 1);
	return lb_next_close("PROXY header refused");
}

static void
copy_addr(union lb_sockaddr *to, const struct sockaddr_storage *from)
{
	memcpy(to, from, from->ss_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
}

/* The header said who the client is, and what it connected to. */
static void
take_header(struct lb_session *s, const struct lb_proxy_info *h)
{
	free(s->pp_buf);
	s->pp_buf = NULL;
	s->pp_len = 0;
	if (!h->addresses)		/* LOCAL, UNKNOWN: a proxy's own
					 * connection, a health check */
		return;
	copy_addr(&s->peer, &h->src);
	copy_addr(&s->local, &h->dst);
	s->has_local = true;
}

/* The header's beginning, kept until the rest comes. */
static int
keep_part(struct lb_session *s, const unsigned char *buf, size_t len)
{
	if (s->pp_buf == NULL && (s->pp_buf = malloc(LB_PROXY_IN_MAX)) ==
	    NULL)
		return -1;
	memcpy(s->pp_buf, buf, len);
	s->pp_len = (uint16_t)len;
	return 0;
}

struct lb_next
lb_proxy_read(struct lb_session *s, bool *whole)
{
	unsigned char buf[LB_PROXY_IN_MAX];
	size_t have = s->pp_len, take;
	struct lb_proxy_info h;
	const char *why;
	ssize_t n;
	long r;

	*whole = false;
	if (have > 0)
		memcpy(buf, s->pp_buf, have);
	n = recv(s->cli.fd, buf + have, sizeof(buf) - have, MSG_PEEK);
	if (n == 0)
		return have > 0 ? refuse(s, "the client closed within it") :
		    lb_next_close("client closed before its PROXY header");
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? lb_next(LB_GO) :
		    lb_next_close("client read error");
	if ((r = lb_proxy_parse(buf, have + (size_t)n, &h, &why)) < 0)
		return refuse(s, why);
	/* the bytes of the header that were peeked, now taken */
	take = r > 0 ? (size_t)r - have : (size_t)n;
	if (recv(s->cli.fd, buf + have, take, 0) != (ssize_t)take)
		return lb_next_close("client read error");
	CTR_ADD(s->t->ctr_vs[s->vs->index].bytes_in, take);
	if (r == 0)
		return keep_part(s, buf, have + take) == 0 ? lb_next(LB_GO) :
		    lb_next_close("out of memory");
	take_header(s, &h);
	*whole = true;
	return lb_next(LB_GO);
}

bool
lb_session_local(struct lb_session *s, union lb_sockaddr *local)
{
	socklen_t len = sizeof(*local);

	if (s->has_local) {
		*local = s->local;
		return true;
	}
	return getsockname(s->cli.fd, &local->sa, &len) == 0;
}
