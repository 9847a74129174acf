/*
 * lb/http.c - checking and rewriting HTTP/1.x heads (see http.h).
 *
 * A head is scanned twice: once to learn what the Connection header
 * names (those headers are hop-by-hop too), then to copy every header the
 * other side should see.  The second pass also checks every byte of every
 * line against the grammar of RFC 9110/9112 (one table lookup a byte):
 * llhttp lets through more than the RFC does (an empty field name, a
 * space in one, "GET  /", HTTP/2.0), and what edged forwards must mean
 * the same to every member behind it.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "http_status.h"

#define MAX_CONN_TOKENS	32

/* Character classes (RFC 9110 5.6.2, 5.5; RFC 3986 3.1, 3.2.2). */
enum {
	CC_TCHAR	= 1 << 0,	/* token */
	CC_FIELD	= 1 << 1,	/* field-vchar: VCHAR / obs-text */
	CC_TARGET	= 1 << 2,	/* request-target: VCHAR (URIs are ASCII) */
	CC_HOST		= 1 << 3,	/* reg-name: unreserved / sub-delims */
	CC_SCHEME	= 1 << 4,	/* ALPHA / DIGIT / "+" / "-" / "." */
	CC_DIGIT	= 1 << 5,
	CC_HEX		= 1 << 6,
	CC_WS		= 1 << 7,	/* SP / HTAB, inside a field value */
};

static uint8_t cclass[256];

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
add_range(unsigned lo, unsigned hi, uint8_t cls)
{
	for (unsigned c = lo; c <= hi; c++)
		cclass[c] |= cls;
}

static void
add_set(const char *set, uint8_t cls)
{
	for (; *set != '\0'; set++)
		cclass[(unsigned char)*set] |= cls;
}

/* Fills the table once, before any thread runs. */
__attribute__((constructor)) static void
init_classes(void)
{
	const uint8_t alnum = CC_TCHAR | CC_HOST | CC_SCHEME;

	add_range('A', 'Z', alnum);
	add_range('a', 'z', alnum);
	add_range('0', '9', alnum | CC_DIGIT | CC_HEX);
	add_range('A', 'F', CC_HEX);
	add_range('a', 'f', CC_HEX);
	add_set("!#$%&'*+-.^_`|~", CC_TCHAR);
	add_set("-._~!$&'()*+,;=", CC_HOST);
	add_set("+-.", CC_SCHEME);
	add_range(0x21, 0x7e, CC_FIELD | CC_TARGET);
	add_range(0x80, 0xff, CC_FIELD);
	add_set(" \t", CC_WS);
}

static bool
all_of(const char *p, size_t len, uint8_t cls)
{
	for (size_t i = 0; i < len; i++)
		if ((cclass[(unsigned char)p[i]] & cls) == 0)
			return false;
	return true;
}

bool
lb_http_token_chars(const char *p, size_t len)
{
	return all_of(p, len, CC_TCHAR);
}

bool
lb_http_length_ok(uint64_t n)
{
	return n <= LB_HTTP_MAX_LENGTH;
}

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

/* Case matters: methods and HTTP-version. */
static bool
span_eq(struct span s, const char *word)
{
	return s.len == strlen(word) && memcmp(s.p, word, s.len) == 0;
}

static bool
span_all(struct span s, uint8_t cls)
{
	return all_of(s.p, s.len, cls);
}

/*
 * Next line of [*p, end) without its CRLF; advances *p past it.  Returns
 * false when there is no CRLF-terminated line left (*p goes to end).  A
 * bare CR inside stays in the line, where the grammar checks refuse it.
 */
static bool
next_line(const char **p, const char *end, struct span *l)
{
	const char *lf = memchr(*p, '\n', (size_t)(end - *p));

	l->p = *p;
	if (lf == NULL || lf == *p || lf[-1] != '\r') {
		l->len = (size_t)(end - *p);
		*p = end;
		return false;
	}
	l->len = (size_t)(lf - 1 - *p);
	*p = lf + 1;
	return true;
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
	struct span line, name, value;

	next_line(&p, end, &line);	/* start line */
	while (next_line(&p, end, &line)) {
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

/* ---- the grammar of a head's lines ---- */

/* HTTP-version: exactly these two (RFC 9112 2.3; "HTTP/2.0" on a 1.x
 * connection, or "http/1.1", is not HTTP/1.x). */
static bool
version_ok(struct span v, bool *http10)
{
	*http10 = span_eq(v, "HTTP/1.0");
	return *http10 || span_eq(v, "HTTP/1.1");
}

/* pct-encoded at s.p[i] (RFC 3986 2.1). */
static bool
pct_ok(struct span s, size_t i)
{
	return i + 2 < s.len && (cclass[(unsigned char)s.p[i + 1]] & CC_HEX) &&
	    (cclass[(unsigned char)s.p[i + 2]] & CC_HEX);
}

/* IP-literal "[...]" at the start of h; returns its length, SIZE_MAX if
 * bad.  Only the characters are checked: the member parses the address. */
static size_t
ip_literal_len(struct span h)
{
	for (size_t i = 1; i < h.len; i++) {
		if (h.p[i] == ']')
			return i > 1 ? i + 1 : SIZE_MAX;
		if (h.p[i] != ':' && (cclass[(unsigned char)h.p[i]] &
		    CC_HOST) == 0)
			return SIZE_MAX;
	}
	return SIZE_MAX;
}

/* reg-name or IPv4address at the start of h, up to a colon; returns its
 * length, or SIZE_MAX if a byte is outside the grammar. */
static size_t
reg_name_len(struct span h)
{
	size_t i = 0;

	while (i < h.len && h.p[i] != ':') {
		if (h.p[i] == '%' && pct_ok(h, i))
			i += 3;
		else if (cclass[(unsigned char)h.p[i]] & CC_HOST)
			i++;
		else
			return SIZE_MAX;
	}
	return i;
}

/*
 * uri-host [ ":" port ] (RFC 9110 7.2, RFC 3986 3.2.2): the Host value,
 * or CONNECT's authority-form, which needs the port.  An empty Host is
 * valid (a target without authority).
 */
static bool
host_ok(struct span h, bool need_port)
{
	size_t n = h.len > 0 && h.p[0] == '[' ? ip_literal_len(h) :
	    reg_name_len(h);
	struct span port;

	if (n == SIZE_MAX)
		return false;
	if (n == h.len)
		return !need_port;
	if (h.p[n] != ':')
		return false;
	port = (struct span){ h.p + n + 1, h.len - n - 1 };
	if (need_port && (n == 0 || port.len == 0))
		return false;
	return port.len <= 5 && span_all(port, CC_DIGIT);
}

/* absolute-form starts with scheme "://" (RFC 3986 3.1; the URIs an
 * HTTP server serves have an authority, RFC 9110 4.2): "host:port" is
 * authority-form, CONNECT's alone. */
static bool
scheme_ok(struct span t)
{
	size_t i = 1;

	if (t.len == 0 || (cclass[(unsigned char)t.p[0]] & CC_SCHEME) == 0 ||
	    (cclass[(unsigned char)t.p[0]] & CC_DIGIT) || t.p[0] == '+' ||
	    t.p[0] == '-' || t.p[0] == '.')
		return false;
	while (i < t.len && (cclass[(unsigned char)t.p[i]] & CC_SCHEME))
		i++;
	return t.len - i >= 3 && memcmp(t.p + i, "://", 3) == 0;
}

/* request-target (RFC 9112 3.2): its form must suit the method. */
static bool
target_ok(struct span method, struct span t)
{
	if (t.len == 0 || t.len > LB_HTTP_MAX_TARGET || !span_all(t, CC_TARGET))
		return false;
	if (span_eq(method, "CONNECT"))
		return host_ok(t, true);
	if (t.p[0] == '/')
		return true;
	if (t.len == 1 && t.p[0] == '*')
		return span_eq(method, "OPTIONS");
	return scheme_ok(t);
}

/*
 * The request line "method SP request-target SP HTTP-version", one SP
 * each, nothing else (RFC 9112 3).  Fills info's target and version;
 * false if the line is outside the grammar.
 */
static bool
parse_request_line(struct span line, const char *base,
    struct lb_http_req_info *info)
{
	const char *sp1 = memchr(line.p, ' ', line.len), *sp2;
	const char *end = line.p + line.len;
	struct span method, target, version;

	if (sp1 == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1))) == NULL)
		return false;
	method = (struct span){ line.p, (size_t)(sp1 - line.p) };
	target = (struct span){ sp1 + 1, (size_t)(sp2 - sp1 - 1) };
	version = (struct span){ sp2 + 1, (size_t)(end - sp2 - 1) };
	info->url_off = (uint32_t)(target.p - base);
	info->url_len = (uint32_t)target.len;
	return method.len > 0 && span_all(method, CC_TCHAR) &&
	    target_ok(method, target) && version_ok(version, &info->http10);
}

/* The status line "HTTP-version SP 3DIGIT SP [ reason-phrase ]" (RFC
 * 9112 4); a missing reason's SP is tolerated, as clients do. */
static bool
status_line_ok(struct span line)
{
	struct span v = { line.p, 8 }, code, reason;
	bool http10;

	if (line.len < 12 || !version_ok(v, &http10) || line.p[8] != ' ')
		return false;
	code = (struct span){ line.p + 9, 3 };
	if (!span_all(code, CC_DIGIT))
		return false;
	if (line.len == 12)
		return true;
	reason = (struct span){ line.p + 13, line.len - 13 };
	return line.p[12] == ' ' && span_all(reason, CC_FIELD | CC_WS);
}

/* Content-Length = 1*DIGIT (RFC 9110 8.6), at most LB_HTTP_MAX_LENGTH. */
static bool
content_length_ok(struct span v)
{
	uint64_t n = 0;

	if (v.len == 0)
		return false;
	for (size_t i = 0; i < v.len; i++) {
		unsigned d = (unsigned)(v.p[i] - '0');

		if ((cclass[(unsigned char)v.p[i]] & CC_DIGIT) == 0 ||
		    n > (LB_HTTP_MAX_LENGTH - d) / 10)
			return false;
		n = n * 10 + d;
	}
	return true;
}

/*
 * A field line "field-name ":" OWS field-value OWS" (RFC 9112 5): the
 * name 1*tchar, the value field-vchars with SP and HTAB inside only.
 * Splits it into name and (trimmed) value.
 */
static bool
field_ok(struct span line, struct span *name, struct span *value)
{
	if (!split_header(line, name, value))
		return false;
	if (name->len == 0 || !span_all(*name, CC_TCHAR) ||
	    !span_all(*value, CC_FIELD | CC_WS))
		return false;
	return !span_is(*name, "content-length") || content_length_ok(*value);
}

/* ---- requests ---- */

struct req_scan {
	unsigned nhost;
	struct conn_tokens ct;
};

/* What the backend sees of one field line; false if it is refused. */
static bool
request_field(struct span line, const char *base,
    const struct lb_http_req_opts *opts, struct req_scan *rs,
    struct writer *w, struct lb_http_req_info *info)
{
	struct span name, value;

	if (!field_ok(line, &name, &value))
		return false;
	if (span_is(name, "host")) {
		if (!host_ok(value, false))
			return false;
		rs->nhost++;
	}
	if (opts->key_header != NULL && !info->has_key &&
	    span_is(name, opts->key_header) && value.len > 0) {
		info->has_key = true;
		info->key_off = (uint32_t)(value.p - base);
		info->key_len = (uint32_t)value.len;
	}
	if (is_hop_by_hop(name, &rs->ct, opts->upgrade))
		return true;
	/* the client does not get to say how it connected */
	if (opts->xfp != NULL && span_is(name, "x-forwarded-proto"))
		return true;
	put(w, line.p, line.len);
	put(w, "\r\n", 2);
	return true;
}

/* Second pass: checks every field line and copies those the backend
 * should see.  Returns -1 for a line outside the grammar, or a head
 * that does not end in an empty line. */
static int
copy_request_headers(const char *p, const char *end, const char *base,
    const struct lb_http_req_opts *opts, struct req_scan *rs,
    struct writer *w, struct lb_http_req_info *info)
{
	struct span line;

	while (next_line(&p, end, &line)) {
		if (line.len == 0)
			return 0;
		if (!request_field(line, base, opts, rs, w, info))
			return -1;
	}
	return -1;
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
	if (!next_line(&p, end, &line) || !parse_request_line(line, in, info))
		return -400;
	info->keep_alive = info->http10 ? rs.ct.keep_alive : !rs.ct.close;
	/* a body we cannot delimit safely must not reach a backend */
	if (opts->te && (!opts->chunked || info->http10))
		return -400;
	put(&w, line.p, line.len);
	put(&w, "\r\n", 2);
	if (copy_request_headers(p, end, in, opts, &rs, &w, info) < 0)
		return -400;
	if (rs.nhost > 1 || (rs.nhost == 0 && !info->http10))
		return -400;
	add_request_headers(opts, info, &w);
	return w.overflow ? -431 : (int)w.len;
}

/* ---- responses ---- */

/* Copies the field lines the client should see; -1 as for requests. */
static int
copy_response_headers(const char *p, const char *end,
    const struct conn_tokens *ct, bool upgrade, struct writer *w)
{
	struct span line, name, value;

	while (next_line(&p, end, &line)) {
		if (line.len == 0)
			return 0;
		if (!field_ok(line, &name, &value))
			return -1;
		if (is_hop_by_hop(name, ct, upgrade))
			continue;
		put(w, line.p, line.len);
		put(w, "\r\n", 2);
	}
	return -1;
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
	if (!next_line(&p, end, &line) || !status_line_ok(line))
		return -502;
	put(&w, line.p, line.len);
	put(&w, "\r\n", 2);
	if (copy_response_headers(p, end, &ct, opts->upgrade, &w) < 0)
		return -502;
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

bool
lb_http_has_error_reply(int status)
{
	return replies[reply_row(status, WHY_STATUS)].status == status;
}

const char *
lb_http_error_reply(int status, size_t *len)
{
	size_t i = reply_row(status, WHY_STATUS);

	*len = reply_len[i];
	return reply_cache[i];
}

static bool
header_text_ok(const char *s)
{
	return s == NULL || strpbrk(s, "\r\n") == NULL;
}

int
lb_http_rule_reply(char *buf, size_t size, int status, const char *headers,
    const char *ctype, const char *body, size_t blen, bool head)
{
	/* edged's page is not to be kept; what a rule returns may be */
	const char *cache = body == NULL ? "Cache-Control: no-cache\r\n" : "";
	char page[256];
	int n;

	if (!header_text_ok(ctype) || blen > size)
		return -1;
	if (body == NULL) {
		n = snprintf(page, sizeof(page), "<html><body><h1>%d %s</h1>"
		    "</body></html>\n", status, lb_http_reason(status));
		body = page;
		blen = (size_t)n;
		ctype = "text/html";
	}
	n = snprintf(buf, size, "HTTP/1.1 %d %s\r\n%s%s%s%s%s"
	    "Connection: close\r\nContent-Length: %zu\r\n\r\n", status,
	    lb_http_reason(status), headers, ctype != NULL ?
	    "Content-Type: " : "", ctype != NULL ? ctype : "", ctype != NULL ?
	    "\r\n" : "", cache, blen);
	if (n < 0 || (size_t)n >= size || (!head && blen > size - (size_t)n))
		return -1;
	if (!head) {
		memcpy(buf + n, body, blen);
		n += (int)blen;
	}
	return n;
}

const char *
lb_http_plain_on_tls_reply(size_t *len)
{
	size_t i = reply_row(400, WHY_PLAIN_ON_TLS);

	*len = reply_len[i];
	return reply_cache[i];
}
