/*
 * lb/http_parse.h - what edged checks in llhttp's callbacks, beyond what
 * llhttp (strict mode) refuses itself: an HTTP/0.9 request line, chunk
 * sizes above edged's limit, trailer field names that are not tokens.
 * The heads themselves are checked by lb_http_rewrite_request/response
 * (http.h).  The data path (lb/session.c) and the fuzz targets hook the
 * same functions, so that what is fuzzed is what serves.
 */
#ifndef EDGED_LB_HTTP_PARSE_H
#define EDGED_LB_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include <llhttp.h>

/* on_url and on_url_complete of a request: -1 for HTTP/0.9. */
int lb_http_on_url(llhttp_t *p, const char *at, size_t len);
int lb_http_on_url_complete(llhttp_t *p);
/* on_chunk_header: -1 for a chunk size above lb_http_length_ok's. */
int lb_http_on_chunk_header(llhttp_t *p);
/*
 * on_header_field and on_header_field_complete, for trailers (a head's
 * fields pass): -1 for an empty name or one that is not 1*tchar.  A name
 * may come in pieces; *seen, kept by the caller per parser and false
 * between names, records that a piece had a byte.
 */
int lb_http_trailer_name(llhttp_t *p, const char *at, size_t len,
    bool *seen);
int lb_http_trailer_name_complete(llhttp_t *p, bool *seen);

#endif /* EDGED_LB_HTTP_PARSE_H */
