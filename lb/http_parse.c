/*
 * lb/http_parse.c - see http_parse.h.
 */
#include "http.h"
#include "http_parse.h"

/*
 * HTTP/0.9: "GET /" and the line's end, no version.  llhttp takes it, and
 * then waits for a byte after the LF before it says so (on_url_complete,
 * with version 0.9): the client, waiting for its answer, sends none.  So
 * the target's end is looked at here: when the span ended on a byte of the
 * input (llhttp clears _span_pos0 before the call; it keeps it when it cuts
 * a span at the end of the input), at[len] is that byte, a CR or LF for
 * HTTP/0.9, and the 400 goes out at once.
 */
int
lb_http_on_url(llhttp_t *p, const char *at, size_t len)
{
	if (p->_span_pos0 != NULL)
		return 0;
	return at[len] == '\r' || at[len] == '\n' ? -1 : 0;
}

/* The same, should llhttp's internals change: later, but never through. */
int
lb_http_on_url_complete(llhttp_t *p)
{
	return llhttp_get_http_major(p) == 0 && llhttp_get_http_minor(p) == 9 ?
	    -1 : 0;
}

/* llhttp takes any chunk size that fits in 64 bits: a member may not. */
int
lb_http_on_chunk_header(llhttp_t *p)
{
	return lb_http_length_ok(p->content_length) ? 0 : -1;
}

int
lb_http_trailer_name(llhttp_t *p, const char *at, size_t len, bool *seen)
{
	if ((p->flags & F_TRAILING) == 0)
		return 0;
	if (!lb_http_token_chars(at, len))
		return -1;
	*seen = *seen || len > 0;
	return 0;
}

int
lb_http_trailer_name_complete(llhttp_t *p, bool *seen)
{
	bool ok = *seen;

	*seen = false;
	return (p->flags & F_TRAILING) == 0 || ok ? 0 : -1;
}
