/*
 * lb/passthrough.c - ssl-passthrough, top to bottom:
 *
 *   client readable -> ClientHello complete? (at most LB_BUF_SIZE bytes,
 *   within timeout http-request) -> pool by its SNI -> LB_DISPATCH: the
 *   session picks a member, connects, and tunnels: the ClientHello
 *   first, then every byte both ways, unchanged
 *
 * Nothing is decrypted.  A ClientHello that is malformed, too large or
 * not TLS at all closes the connection and counts an error of the
 * virtual server: no pool is ever chosen from bytes that did not parse.
 * A ClientHello that parsed is a request of the virtual server and of
 * the pool chosen; with no HTTP status, it ends in the "other" class.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "proxy_proto.h"
#include "session.h"
#include "tls_hello.h"

static const char *const refusals[] = {
	[LB_HELLO_BAD] = "a malformed ClientHello",
	[LB_HELLO_TOO_BIG] = "a ClientHello larger than the buffer",
	[LB_HELLO_NOT_TLS] = "bytes that are not TLS",
};

/* The route for sni: exact, then "*." and all but its first label. */
static const struct lb_sni_route *
route_for(const struct lb_profile_conf *p, const char *sni)
{
	const char *dot = strchr(sni, '.');

	for (size_t i = 0; i < p->nroutes; i++)
		if (strcmp(p->routes[i].name, sni) == 0)
			return &p->routes[i];
	if (dot == NULL || dot == sni)
		return NULL;
	for (size_t i = 0; i < p->nroutes; i++)
		if (p->routes[i].name[0] == '*' &&
		    strcmp(p->routes[i].name + 1, dot) == 0)
			return &p->routes[i];
	return NULL;
}

/* SNI route, else the profile's default pool, else the virtual
 * server's. */
static struct lb_rt_pool *
choose_pool(struct lb_session *s, const struct lb_tls_hello *h)
{
	const struct lb_profile_conf *p = s->vs->profile;
	const struct lb_sni_route *r = h->has_sni ? route_for(p, h->sni) :
	    NULL;

	if (r != NULL)
		return &s->t->rt->pools[r->pool_idx];
	if (p->default_pool[0] != '\0')
		return &s->t->rt->pools[p->default_pool_idx];
	return s->vs->pool;
}

static struct lb_next
refuse(struct lb_session *s, enum lb_hello_result r)
{
	char peer[INET6_ADDRSTRLEN];

	addr_fmt(peer, sizeof(peer), &s->peer.sa);
	log_debug("virtual-server %s: client %s: sent %s; closing",
	    s->vs->conf->name, peer, refusals[r]);
	CTR_ADD(s->t->ctr_vs[s->vs->index].errors, 1);
	return lb_next_close("ClientHello refused");
}

struct lb_next
lb_pass_hello(struct lb_session *s, struct lb_dispatch *d)
{
	struct lb_buf *b = &s->req;
	struct lb_tls_hello h;
	enum lb_hello_result r;

	if (s->state != SESS_HELLO)
		return lb_next(LB_GO);	/* tunnelled: bytes pass as they are */
	r = lb_tls_hello_parse((const uint8_t *)b->data, b->len, LB_BUF_SIZE,
	    &h);
	if (r == LB_HELLO_MORE)
		return lb_next(LB_GO);
	if (r != LB_HELLO_OK)
		return refuse(s, r);
	s->pool = choose_pool(s, &h);
	if (s->vs->rules != NULL)
		lb_conn_rules(s, h.has_sni ? h.sni : NULL);
	lb_persist_hello(s, h.session_id, h.session_id_len);
	s->t_head = lb_now(s);
	if (s->vs->conf->access_log[0] != '\0' &&
	    (s->reqline = malloc(sizeof(h.sni) + 8)) != NULL)
		snprintf(s->reqline, sizeof(h.sni) + 8, "TLS %s",
		    h.has_sni ? h.sni : "-");
	lb_conn_key(s, d);
	return lb_next(LB_DISPATCH);
}

/* The ClientHello is still at the start of the request buffer: it names
 * the host, and may offer one protocol only, which is then the one
 * agreed if any is. */
const struct lb_proxy_tlvs *
lb_pass_tlvs(struct lb_session *s, struct lb_proxy_tlvs *t,
    struct lb_tls_hello *h)
{
	if (lb_tls_hello_parse((const uint8_t *)s->req.data, s->req.len,
	    LB_BUF_SIZE, h) != LB_HELLO_OK)
		return NULL;
	*t = (struct lb_proxy_tlvs){ .ssl = true,
	    .authority = h->has_sni ? h->sni : NULL };
	/* one protocol: its length byte, then it, and nothing after */
	if (h->has_alpn && !h->alpn_cut && h->alpn_len > 1 &&
	    h->alpn[0] == h->alpn_len - 1) {
		memmove(h->alpn, h->alpn + 1, h->alpn[0]);
		h->alpn[h->alpn_len - 1] = '\0';
		t->alpn = (const char *)h->alpn;
	}
	return t;
}

const struct lb_proto lb_proto_passthrough = {
	.name = "ssl-passthrough",
	.first = SESS_HELLO,
	.tunnel = true,
	.splice = true,
	.request = lb_pass_hello,
};
