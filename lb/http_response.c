/*
 * lb/http_response.c - the member's response to an HTTP transaction:
 *
 *   bytes -> llhttp -> 1xx interim heads passed on (not to HTTP/1.0)
 *   -> final head checked and rewritten (Connection), then changed by
 *   the application rules (or refused) -> body streamed as parsed ->
 *   LB_DONE; a 101 the client asked for -> LB_TUNNEL
 *
 * Anything the member sends that edged will not forward is a 502 (before
 * a head went out) or a cut (after): the session decides which.
 */
#include "http.h"
#include "http_parse.h"
#include "log.h"
#include "rule_run.h"
#include "session.h"

/* ---- llhttp callbacks (see http_request.c) ---- */

static int
header_field(llhttp_t *p, const char *at, size_t len)
{
	struct lb_session *s = p->data;

	return lb_http_trailer_name(p, at, len, &s->rsp_trailer_name);
}

static int
header_field_complete(llhttp_t *p)
{
	struct lb_session *s = p->data;

	return lb_http_trailer_name_complete(p, &s->rsp_trailer_name);
}

static int
headers_complete(llhttp_t *p)
{
	struct lb_session *s = p->data;

	/* a response to HEAD has no body whatever its headers say */
	if (s->is_head)
		p->flags |= F_SKIPBODY;
	s->rsp_pause = PAUSE_HEAD;
	return HPE_PAUSED;
}

static int
message_complete(llhttp_t *p)
{
	struct lb_session *s = p->data;

	s->rsp_pause = PAUSE_MESSAGE;
	return HPE_PAUSED;
}

const llhttp_settings_t lb_rsp_settings = {
	.on_header_field = header_field,
	.on_header_field_complete = header_field_complete,
	.on_headers_complete = headers_complete,
	.on_chunk_header = lb_http_on_chunk_header,
	.on_message_complete = message_complete,
};

/* ---- heads ---- */

static struct lb_next
interim(struct lb_session *s, uint32_t start, uint32_t end)
{
	struct lb_buf *b = &s->rsp;

	if (s->http10) {		/* 1.0 clients get no 1xx */
		(void)lb_buf_splice(b, start, end, "", 0);
		return lb_next(LB_GO);
	}
	b->fwd = end;
	return lb_next(LB_GO);
}

/* The status of a rewritten head ("HTTP/1.1 NNN ..."): set-status may
 * have changed the one llhttp read. */
static int
head_status(const char *h)
{
	return (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
}

/* The response rules on the rewritten head in the scratch (*len bytes):
 * LB_GO with *status the head's, or a reply instead of the response. */
static struct lb_next
run_rules(struct lb_session *s, size_t *len, int *status)
{
	union lb_sockaddr local;
	struct lb_rule_input in;
	struct lb_rule_outcome o;

	lb_req_rule_input(s, &in, &local);
	lb_rules_response(s->vs->rules, &in, s->t->scratch, len, LB_BUF_SIZE,
	    &o);
	if (o.verdict == LB_RULES_PASS) {
		*status = head_status(s->t->scratch);
		return lb_next(LB_GO);
	}
	if (o.verdict == LB_RULES_TOO_BIG) {
		log_warn("virtual-server %s: member %s: the application rules "
		    "made the response head larger than %d bytes; answering "
		    "502", s->vs->conf->name, s->member ? s->member->name :
		    "-", LB_BUF_SIZE);
		return lb_next_reply(502);
	}
	return lb_req_rule_reply(s, &o);
}

static struct lb_next
head(struct lb_session *s)
{
	struct lb_buf *b = &s->rsp;
	uint32_t start = b->fwd, end = b->parsed;
	int status = llhttp_get_status_code(&s->rspp);
	struct lb_http_rsp_opts o = { .client_http10 = s->http10 };
	struct lb_next next;
	size_t len;
	int n;

	if (status >= 100 && status < 200 && status != 101)
		return interim(s, start, end);
	if (status == 101 && !s->upgrade)
		return lb_next_reply(502);
	o.upgrade = status == 101;
	s->keep_alive = s->keep_alive && s->req_done && !o.upgrade &&
	    !llhttp_message_needs_eof(&s->rspp) && !s->t->draining;
	o.keep_alive = s->keep_alive;
	n = lb_http_rewrite_response(b->data + start, end - start, &o,
	    s->t->scratch, LB_BUF_SIZE);
	if (n < 0)
		return lb_next_reply(502);
	len = (size_t)n;
	if (!o.upgrade && lb_persist_response(s, s->t->scratch, &len,
	    LB_BUF_SIZE) < 0)
		return lb_next_reply(502);
	/* not on a 101: what follows it is not HTTP, and the client
	 * asked for it */
	if (s->vs->rules != NULL && !o.upgrade &&
	    (next = run_rules(s, &len, &status)).what != LB_GO)
		return next;
	if (lb_buf_splice(b, start, end, s->t->scratch, len) < 0)
		return lb_next_reply(502);
	s->rsp_started = true;
	s->t_rsp = lb_now(s);
	lb_txn_count_status(s, status);
	return lb_next(o.upgrade ? LB_TUNNEL : LB_GO);
}

static struct lb_next
too_large(struct lb_session *s)
{
	log_warn("virtual-server %s: member %s sent a response head larger "
	    "than %d bytes", s->vs->conf->name, s->member ? s->member->name :
	    "-", LB_BUF_SIZE - LB_BUF_RESERVE);
	return lb_next_reply(502);
}

static struct lb_next
parse_error(struct lb_session *s, llhttp_errno_t e)
{
	log_debug("virtual-server %s: member %s sent an invalid response: %s",
	    s->vs->conf->name, s->member ? s->member->name : "-",
	    llhttp_errno_name(e));
	if (s->member != NULL)
		CTR_ADD(s->t->ctr_member[s->member->index].errors, 1);
	return lb_next_reply(502);
}

/* One llhttp pause: a head to rewrite, or a message's end. */
static struct lb_next
paused(struct lb_session *s)
{
	struct lb_buf *b = &s->rsp;
	int status = llhttp_get_status_code(&s->rspp);

	b->parsed = (uint32_t)(llhttp_get_error_pos(&s->rspp) - b->data);
	llhttp_resume(&s->rspp);
	if (s->rsp_pause == PAUSE_HEAD)
		return head(s);
	b->fwd = b->parsed;
	if (status < 200 && status != 101)
		return lb_next(LB_GO);	/* the final response follows */
	return lb_next(LB_DONE);
}

struct lb_next
lb_rsp_parse(struct lb_session *s)
{
	struct lb_buf *b = &s->rsp;
	bool kick = false;

	/* After a head, llhttp must run once more even with no byte left:
	 * that is when it sees that a message has no body and ends it. */
	while (!s->rsp_done && s->state == SESS_FORWARD &&
	    (b->parsed < b->len || kick)) {
		llhttp_errno_t e;
		struct lb_next n;

		kick = false;
		s->rsp_pause = PAUSE_NONE;
		e = llhttp_execute(&s->rspp, b->data + b->parsed,
		    b->len - b->parsed);
		if (e == HPE_OK) {
			b->parsed = b->len;
			if (s->rsp_started)
				b->fwd = b->parsed;
			else if (b->len - b->fwd >=
			    LB_BUF_SIZE - LB_BUF_RESERVE)
				return too_large(s);
		} else if (e == HPE_PAUSED) {
			kick = s->rsp_pause == PAUSE_HEAD;
			if ((n = paused(s)).what != LB_GO)
				return n;
		} else {
			return parse_error(s, e);
		}
	}
	return lb_next(LB_GO);
}

struct lb_next
lb_rsp_eof(struct lb_session *s)
{
	llhttp_errno_t e = llhttp_finish(&s->rspp);

	if (e == HPE_OK || e == HPE_PAUSED)
		return lb_next(LB_DONE);
	/* a body cut short: the client sees it cut short too */
	return lb_next_close("response truncated by server");
}
