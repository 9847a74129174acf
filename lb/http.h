/*
 * lb/http.h - HTTP/1.x heads: checking and rewriting them for the other
 * side.  llhttp (strict) has parsed a head when these run, but it lets
 * through more than RFC 9110/9112 allow; these check every line of it
 * against the RFC's grammar themselves, and apply what llhttp leaves to
 * the proxy: hop-by-hop headers, Host rules, framing a proxy must refuse,
 * obs-fold, and X-Forwarded-For.  Pure functions over byte ranges: no I/O.
 */
#ifndef EDGED_LB_HTTP_H
#define EDGED_LB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest request-target edged forwards. */
#define LB_HTTP_MAX_TARGET	8192
/* The largest Content-Length or chunk size edged forwards (2^62): far
 * above any real body, and far below where a member's arithmetic on it
 * could overflow. */
#define LB_HTTP_MAX_LENGTH	((uint64_t)1 << 62)

struct lb_http_req_opts {
	const char *xff;		/* client address to append, or NULL */
	const char *xfp;		/* X-Forwarded-Proto to set (any the
					 * client sent is dropped), or NULL */
	const char *key_header;		/* header whose value to report */
	bool upgrade;			/* llhttp saw Upgrade + Connection */
	bool chunked;			/* llhttp: Transfer-Encoding chunked */
	bool te;			/* a Transfer-Encoding header */
};

struct lb_http_req_info {
	uint32_t url_off, url_len;	/* request-target, in the input head */
	uint32_t key_off, key_len;	/* key_header's value, in the input */
	bool has_key;
	bool http10;			/* HTTP/1.0 request */
	bool keep_alive;		/* the client asked to keep it open */
};

/*
 * Rewrites the request head in[0..len) (request line to the empty line
 * included) into out for the backend.  Returns the new length, or the
 * negated status to answer: -431 (does not fit in outsize), or -400 for a
 * bad request: a line outside RFC 9112's grammar (a request line other
 * than "method SP request-target SP HTTP/1.x" with a target of the form
 * the method allows, at most LB_HTTP_MAX_TARGET bytes of VCHAR; a field
 * name not 1*tchar; a field value with a control byte; a Content-Length
 * not 1*DIGIT or above LB_HTTP_MAX_LENGTH; a Host not uri-host[:port]),
 * a missing or repeated Host in HTTP/1.1, obs-fold, Transfer-Encoding
 * other than a final chunked, Transfer-Encoding in HTTP/1.0.
 */
int lb_http_rewrite_request(const char *in, size_t len,
    const struct lb_http_req_opts *opts, char *out, size_t outsize,
    struct lb_http_req_info *info);

struct lb_http_rsp_opts {
	bool keep_alive;		/* the client connection stays open */
	bool client_http10;
	bool upgrade;			/* 101 answer to an upgrade request */
};

/* Rewrites a response head for the client.  Returns the new length, or
 * -502 when the head does not fit, or when its status line ("HTTP/1.x
 * SP 3DIGIT SP reason") or a field line is outside the grammar (as for
 * requests). */
int lb_http_rewrite_response(const char *in, size_t len,
    const struct lb_http_rsp_opts *opts, char *out, size_t outsize);

/* Whether every byte of p[0..len) is a tchar (RFC 9110 5.6.2); true for
 * len 0, so that a name arriving in pieces can be checked piece by piece. */
bool lb_http_token_chars(const char *p, size_t len);
/* Whether a body length (a chunk size) is one edged forwards. */
bool lb_http_length_ok(uint64_t n);

/* A complete response edged generates itself (400, 408, 431, 502, 503,
 * 504, ...), with Connection: close.  Returns a static string. */
const char *lb_http_error_reply(int status, size_t *len);
/* Whether lb_http_error_reply has a reply of its own for status. */
bool lb_http_has_error_reply(int status);
/* A whole response for an application rule (deny, return, redirect),
 * with Connection: close: status, the header lines in headers (each
 * ending CRLF; "" for none), Content-Type ctype (NULL: none), and body
 * (blen bytes; not sent to a HEAD, its length is); edged's page for the
 * status when body is NULL.  Returns its length in buf, or -1 when it
 * does not fit in size or a header holds CR, LF or NUL. */
int lb_http_rule_reply(char *buf, size_t size, int status,
    const char *headers, const char *ctype, const char *body, size_t blen,
    bool head);
/* The 400 answered in plain HTTP to plain HTTP sent to a TLS port,
 * saying so in its body.  Returns a static string. */
const char *lb_http_plain_on_tls_reply(size_t *len);

#endif /* EDGED_LB_HTTP_H */
