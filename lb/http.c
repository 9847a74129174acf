/*
 * lb/http.c - checking and rewriting HTTP/1.x heads (see http.h).
 *
 * A head is scanned twice: once to learn what the Connection header
 * names (those headers are hop-by-hop too), then to copy every header the
 * other side should see.  llhttp has validated tokens and line endings.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"

#define MAX_CONN_TOKENS	32

struct span {
	const char *p;
	size_t len;
};

struct writer {
	char *out;
	size_t size;
	size_t len;
	bool overflow;
};

struct conn_tokens {
	struct span tok[MAX_CONN_TOKENS];
	unsigned n;
	bool close, keep_alive, upgrade;
	bool overflow;			/* more options than we can honour */
};

static void
put(struct writer *w, const char *p, size_t len)
{
	if (w->overflow || len > w->size - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->out + w->len, p, len);
	w->len += len;
}

static void
put_str(struct writer *w, const char *s)
{
	put(w, s, strlen(s));
}

static bool
span_is(struct span s, const char *word)
{
	return s.len == strlen(word) && strncasecmp(s.p, word, s.len) == 0;
}

/* Next line of [*p, end) without its CRLF; advances *p past it. */
static struct span
next_line(const char **p, const char *end)
{
	struct span l = { *p, 0 };
	const char *cr = memchr(*p, '\r', (size_t)(end - *p));

	if (cr == NULL)
		cr = end;
	l.len = (size_t)(cr - *p);
	*p = cr + 2 <= end ? cr + 2 : end;
	return l;
}

static struct span
trim(struct span s)
{
	while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
		s.len--;
	return s;
}

/* Splits a header line into name and value; false if it has no colon. */
static bool
split_header(struct span line, struct span *name, struct span *value)
{
	const char *colon = memchr(line.p, ':', line.len);

	if (colon == NULL)
		return false;
	name->p = line.p;
	name->len = (size_t)(colon - line.p);
	value->p = colon + 1;
	value->len = line.len - name->len - 1;
	*value = trim(*value);
	return true;
}

/* Headers that frame the message or name its target: the other side
 * must see exactly what edged parsed, whatever Connection says, or a
 * body could be read as another request. */
static bool
is_framing(struct span name)
{
	return span_is(name, "content-length") ||
	    span_is(name, "transfer-encoding") || span_is(name, "host");
}

/* Records the comma-separated tokens of a Connection header value. */
static void
add_conn_tokens(struct conn_tokens *ct, struct span v)
{
	while (v.len > 0) {
		const char *comma = memchr(v.p, ',', v.len);
		size_t n = comma ? (size_t)(comma - v.p) : v.len;
		struct span t = trim((struct span){ v.p, n });

		if (span_is(t, "close"))
			ct->close = true;
		else if (span_is(t, "keep-alive"))
			ct->keep_alive = true;
		else if (span_is(t, "upgrade"))
			ct->upgrade = true;
		else if (t.len > 0 && !is_framing(t) && ct->n < MAX_CONN_TOKENS)
			ct->tok[ct->n++] = t;
		else if (t.len > 0 && !is_framing(t))
			ct->overflow = true;
		v.p += comma ? n + 1 : n;
		v.len -= comma ? n + 1 : n;
	}
}

static bool
is_hop_by_hop(struct span name, const struct conn_tokens *ct,
    bool keep_upgrade)
{
	static const char *const hop[] = { "connection", "keep-alive",
	    "proxy-connection", "te" };

	for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
		if (span_is(name, hop[i]))
			return true;
	if (span_is(name, "upgrade"))
		return !keep_upgrade;
	for (unsigned i = 0; i < ct->n; i++)
		if (name.len == ct->tok[i].len &&
		    strncasecmp(name.p, ct->tok[i].p, name.len) == 0)
			return true;
	return false;
}

/* First pass: Connection tokens; obs-fold, or more options than we can
 * remove, is an error (-1). */
static int
scan_connection(const char *p, const char *end, struct conn_tokens *ct)
{
	next_line(&p, end);		/* start line */
	while (p < end) {
		struct span line = next_line(&p, end), name, value;

		if (line.len == 0)
			break;
		if (line.p[0] == ' ' || line.p[0] == '\t')
			return -1;
		if (split_header(line, &name, &value) &&
		    span_is(name, "connection"))
			add_conn_tokens(ct, value);
	}
	return ct->overflow ? -1 : 0;
}

/* The request line "METHOD SP TARGET SP HTTP/1.x". */
static void
parse_request_line(struct span line, const char *base,
    struct lb_http_req_info *info)
{
	const char *sp1 = memchr(line.p, ' ', line.len);
	const char *sp2 = NULL;

	for (size_t i = line.len; i > 0; i--)
		if (line.p[i - 1] == ' ') {
			sp2 = line.p + i - 1;
			break;
		}
	if (sp1 == NULL || sp2 == NULL || sp2 <= sp1)
		return;
	info->url_off = (uint32_t)(sp1 + 1 - base);
	info->url_len = (uint32_t)(sp2 - sp1 - 1);
	info->http10 = line.len >= 8 &&
	    memcmp(line.p + line.len - 8, "HTTP/1.0", 8) == 0;
}

struct req_scan {
	unsigned nhost;
	struct conn_tokens ct;
};

/* Second pass: copies the headers the backend should see. */
static void
copy_request_headers(const char *p, const char *end, const char *base,
    const struct lb_http_req_opts *opts, struct req_scan *rs,
    struct writer *w, struct lb_http_req_info *info)
{
	while (p < end) {
		struct span line = next_line(&p, end), name, value;

		if (line.len == 0 || !split_header(line, &name, &value))
			break;
		if (span_is(name, "host"))
			rs->nhost++;
		if (opts->key_header != NULL && !info->has_key &&
		    span_is(name, opts->key_header) && value.len > 0) {
			info->has_key = true;
			info->key_off = (uint32_t)(value.p - base);
			info->key_len = (uint32_t)value.len;
		}
		if (is_hop_by_hop(name, &rs->ct, opts->upgrade))
			continue;
		/* the client does not get to say how it connected */
		if (opts->xfp != NULL && span_is(name, "x-forwarded-proto"))
			continue;
		put(w, line.p, line.len);
		put(w, "\r\n", 2);
	}
}

static void
add_request_headers(const struct lb_http_req_opts *opts,
    const struct lb_http_req_info *info, struct writer *w)
{
	if (opts->upgrade)
		put_str(w, "Connection: upgrade\r\n");
	else if (info->http10)
		/* ask the backend to keep it open for reuse */
		put_str(w, "Connection: keep-alive\r\n");
	if (opts->xff != NULL) {
		put_str(w, "X-Forwarded-For: ");
		put_str(w, opts->xff);
		put(w, "\r\n", 2);
	}
	if (opts->xfp != NULL) {
		put_str(w, "X-Forwarded-Proto: ");
		put_str(w, opts->xfp);
		put(w, "\r\n", 2);
	}
	put(w, "\r\n", 2);
}

int
lb_http_rewrite_request(const char *in, size_t len,
    const struct lb_http_req_opts *opts, char *out, size_t outsize,
    struct lb_http_req_info *info)
{
	const char *p = in, *end = in + len;
	struct writer w = { out, outsize, 0, false };
	struct req_scan rs = { 0 };
	struct span line;

	memset(info, 0, sizeof(*info));
	if (scan_connection(in, end, &rs.ct) < 0)
		return -400;
	line = next_line(&p, end);
	parse_request_line(line, in, info);
	info->keep_alive = info->http10 ? rs.ct.keep_alive : !rs.ct.close;
	/* a body we cannot delimit safely must not reach a backend */
	if (opts->te && (!opts->chunked || info->http10))
		return -400;
	put(&w, line.p, line.len);
	put(&w, "\r\n", 2);
	copy_request_headers(p, end, in, opts, &rs, &w, info);
	if (rs.nhost > 1 || (rs.nhost == 0 && !info->http10))
		return -400;
	add_request_headers(opts, info, &w);
	return w.overflow ? -431 : (int)w.len;
}

int
lb_http_rewrite_response(const char *in, size_t len,
    const struct lb_http_rsp_opts *opts, char *out, size_t outsize)
{
	const char *p = in, *end = in + len;
	struct writer w = { out, outsize, 0, false };
	struct conn_tokens ct = { 0 };
	struct span line;

	if (scan_connection(in, end, &ct) < 0)
		return -502;
	line = next_line(&p, end);
	put(&w, line.p, line.len);
	put(&w, "\r\n", 2);
	while (p < end) {
		struct span name, value;

		line = next_line(&p, end);
		if (line.len == 0 || !split_header(line, &name, &value))
			break;
		if (is_hop_by_hop(name, &ct, opts->upgrade))
			continue;
		put(&w, line.p, line.len);
		put(&w, "\r\n", 2);
	}
	if (opts->upgrade)
		put_str(&w, "Connection: upgrade\r\n");
	else if (!opts->keep_alive)
		put_str(&w, "Connection: close\r\n");
	else if (opts->client_http10)
		put_str(&w, "Connection: keep-alive\r\n");
	put(&w, "\r\n", 2);
	return w.overflow ? -502 : (int)w.len;
}

/* Why edged answers itself.  Each status has its own row (WHY_STATUS)
 * and may have rows for particular causes. */
enum reply_why {
	WHY_STATUS,
	WHY_PLAIN_ON_TLS,
};

static const struct {
	int status;
	enum reply_why why;
	const char *head;
	const char *body;
} replies[] = {
#define R(code, reason, body) { code, WHY_STATUS, #code " " reason, body }
	R(400, "Bad Request", "Your browser sent an invalid request."),
	{ 400, WHY_PLAIN_ON_TLS, "400 Bad Request", "The plain HTTP request "
	    "was sent to an HTTPS port: use https://." },
	R(405, "Method Not Allowed", "This method is not allowed here."),
	R(408, "Request Timeout", "Your browser didn't send a complete "
	    "request in time."),
	R(431, "Request Header Fields Too Large", "The request head is "
	    "too large."),
	R(500, "Internal Server Error", "An internal error occurred."),
	R(502, "Bad Gateway", "The server returned an invalid or "
	    "incomplete response."),
	R(503, "Service Unavailable", "No server is available to handle "
	    "this request."),
	R(504, "Gateway Timeout", "The server didn't respond in time."),
#undef R
};

static char reply_cache[sizeof(replies) / sizeof(replies[0])][512];
static size_t reply_len[sizeof(replies) / sizeof(replies[0])];

static size_t
format_reply(size_t i)
{
	char body[256];
	int blen = snprintf(body, sizeof(body), "<html><body><h1>%s</h1>\n"
	    "%s\n</body></html>\n", replies[i].head, replies[i].body);
	int n = snprintf(reply_cache[i], sizeof(reply_cache[i]),
	    "HTTP/1.1 %s\r\nContent-Type: text/html\r\n"
	    "Cache-Control: no-cache\r\nConnection: close\r\n"
	    "Content-Length: %d\r\n\r\n%s", replies[i].head, blen, body);

	return (size_t)n;
}

/* Formats every reply once, before any thread runs. */
__attribute__((constructor)) static void
init_replies(void)
{
	for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++)
		reply_len[i] = format_reply(i);
}

/* The row for status and why; 500's when there is none. */
static size_t
reply_row(int status, enum reply_why why)
{
	size_t n = sizeof(replies) / sizeof(replies[0]);

	for (size_t i = 0; i < n; i++)
		if (replies[i].status == status && replies[i].why == why)
			return i;
	return status == 500 ? 0 : reply_row(500, WHY_STATUS);
}

const char *
lb_http_error_reply(int status, size_t *len)
{
	size_t i = reply_row(status, WHY_STATUS);

	*len = reply_len[i];
	return reply_cache[i];
}

const char *
lb_http_plain_on_tls_reply(size_t *len)
{
	size_t i = reply_row(400, WHY_PLAIN_ON_TLS);

	*len = reply_len[i];
	return reply_cache[i];
}
