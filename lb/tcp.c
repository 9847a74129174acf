/*
 * lb/tcp.c - the tcp profile, top to bottom:
 *
 *   accepted -> LB_DISPATCH at once (the member may be the one to speak
 *   first): the session picks a member (round-robin, least-conn, or
 *   ip-hash on the client's address), connects, and tunnels: every byte
 *   both ways, unread, each side's FIN passed on to the other, until
 *   both sides closed (half_close)
 *
 * The connection is the request: it counts once for the virtual server
 * and the pool, and its access log line says "TCP".  Application rules
 * may choose the pool from the addresses and ports (use_backend only:
 * rule_conf.c refuses the rest).
 */
#include <stdlib.h>
#include <string.h>

#include "balance.h"
#include "session.h"

void
lb_conn_key(struct lb_session *s, struct lb_dispatch *d)
{
	*d = (struct lb_dispatch){ .key = NULL };
	if (s->pool->conf->algo == LB_ALGO_IP_HASH)
		lb_key_addr(&s->peer.sa, &d->key, &d->keylen);
}

static struct lb_next
tcp_connection(struct lb_session *s, struct lb_dispatch *d)
{
	if (s->state != SESS_HELLO)
		return lb_next(LB_GO);	/* tunnelled: bytes pass as they are */
	if (s->vs->rules != NULL)
		lb_conn_rules(s, NULL);
	s->t_head = lb_now(s);
	if (s->vs->conf->access_log[0] != '\0')
		s->reqline = strdup("TCP");
	lb_conn_key(s, d);
	return lb_next(LB_DISPATCH);
}

const struct lb_proto lb_proto_tcp = {
	.name = "tcp",
	.first = SESS_HELLO,
	.tunnel = true,
	.at_accept = true,
	.half_close = true,
	.splice = true,
	.request = tcp_connection,
};
