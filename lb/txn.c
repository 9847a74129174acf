/*
 * lb/txn.c - what a transaction leaves behind: its counters and its
 * access-log line.
 *
 * A request counts once in the virtual server's requests, from the moment
 * edged takes it (a member is to be picked) or answers it itself (400,
 * 408, 431, 503 ...), and once in one response class; the pool counts
 * what reached it in the same way.  So that, for both, requests equals
 * the sum of the classes once traffic is done.
 */
#include <arpa/inet.h>
#include <string.h>

#include "addr.h"
#include "clock.h"
#include "rule_run.h"
#include "session.h"
#include "transport_tls.h"

static struct lb_ctr *
vs_ctr(struct lb_session *s)
{
	return &s->t->ctr_vs[s->vs->index];
}

void
lb_txn_count_request(struct lb_session *s, bool pool)
{
	if (!s->req_counted) {
		s->req_counted = true;
		s->nreq++;
		CTR_ADD(vs_ctr(s)->requests, 1);
	}
	if (pool && !s->pool_counted) {
		s->pool_counted = true;
		CTR_ADD(s->t->ctr_pool[s->pool->index].requests, 1);
	}
}

/* cls: 1-5 for 1xx-5xx, 0 for "other" */
static void
count_class(struct lb_session *s, unsigned cls)
{
	CTR_ADD(vs_ctr(s)->resp[cls], 1);
	if (s->pool_counted)
		CTR_ADD(s->t->ctr_pool[s->pool->index].resp[cls], 1);
}

void
lb_txn_count_status(struct lb_session *s, int status)
{
	unsigned cls = status >= 100 && status < 600 ? status / 100 : 0;

	s->status = status;
	if (s->tracks != NULL) {	/* a 4xx counts in http_err_rate */
		struct lb_rule_input in = { .sticks = s->t->rt->sticks,
		    .tracks = s->tracks, .now_ms = clock_coarse_ms() };

		lb_rule_tracks_status(&in, status);
	}
	lb_txn_count_request(s, false);
	count_class(s, cls);
	if (s->member != NULL)
		CTR_ADD(s->t->ctr_member[s->member->index].resp[cls], 1);
}

void
lb_txn_count_unanswered(struct lb_session *s)
{
	if (s->req_counted && s->status == 0)
		count_class(s, 0);
}

/* Unless the caller said better before (s->term: "RC", the edge itself
 * ran out of descriptors or memory while connecting, connect.c). */
const char *
lb_txn_reply_term(const struct lb_session *s, int status)
{
	if (s->term != NULL)
		return s->term;
	switch (status) {
	case 408:
		return "cR";
	case 502:
		return "SH";
	case 503:
		return "SC";
	case 504:
		return "sH";
	default:
		return "PR";		/* edged refused the request */
	}
}

static int
ms_between(ev_tstamp from, ev_tstamp to)
{
	return from == 0 || to == 0 ? -1 : (int)((to - from) * 1000 + 0.5);
}

static void
format_client(const struct lb_session *s, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];
	bool v6 = s->peer.sa.sa_family == AF_INET6;

	addr_fmt(addr, sizeof(addr), &s->peer.sa);
	snprintf(buf, size, v6 ? "[%s]:%u" : "%s:%u", addr,
	    ntohs(v6 ? s->peer.sin6.sin6_port : s->peer.sin.sin_port));
}

void
lb_txn_log(struct lb_session *s, const char *term)
{
	struct lb_logger *l = s->t->rt->logger;
	struct lb_log_record r;
	char client[INET6_ADDRSTRLEN + 8], line[2048];
	ev_tstamp end = lb_now(s);
	struct lb_tls_desc tls;
	size_t len;

	if (l == NULL || s->logged || s->vs->conf->access_log[0] == '\0')
		return;
	s->logged = true;
	format_client(s, client, sizeof(client));
	r = (struct lb_log_record){ .client = client,
	    .vs = s->vs->conf->name, .pool = s->pool->conf->name,
	    .member = s->mname, .when = s->t_req,
	    .t_request = ms_between(s->t_req, s->t_head), .t_queue = 0,
	    .t_connect = ms_between(s->t_head, s->t_conn),
	    .t_response = ms_between(s->t_conn ? s->t_conn : s->t_head,
	    s->t_rsp), .t_total = ms_between(s->t_req, end),
	    .status = s->status ? s->status : -1, .bytes = s->rsp_bytes,
	    .term = term, .request = s->reqline ? s->reqline : "<BADREQ>" };
	if (s->cli.ops == &lb_transport_tls && s->state != SESS_HANDSHAKE) {
		lb_tls_describe(&s->cli, &tls);
		r.tls_version = tls.version;
		r.tls_cipher = tls.cipher;
		r.sni = tls.sni;
		r.tls_resumed = tls.resumed;
	}
	len = lb_log_format(&r, s->vs->conf->access_log_json, line,
	    sizeof(line));
	lb_log_append(l, &s->t->logbufs[s->vs->index], s->vs->index, line,
	    len);
}
