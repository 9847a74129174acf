/*
 * fw/fw_fetch.h - HTTP(S) GETs in the master's event loop, for the feeds
 * (fw_feed.c): libcurl's multi interface driven by libev, so that a slow
 * or silent server holds up nothing else.  A GET is conditional when the
 * last good answer gave validators (ETag, Last-Modified): an unchanged
 * feed costs the server a 304 and the master nothing.
 */
#ifndef EDGED_FW_FETCH_H
#define EDGED_FW_FETCH_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#define FW_FETCH_ETAG_MAX	256
#define FW_FETCH_DATE_MAX	64

struct fw_fetch_req {
	const char *url;		/* http:// or https:// */
	const char *ca;			/* a PEM file; NULL: the system's */
	const char *header;		/* "Name: value"; NULL: none */
	const char *etag;		/* If-None-Match; NULL or "": none */
	const char *last_modified;	/* If-Modified-Since; likewise */
	uint64_t timeout_ms;		/* the whole GET's */
	size_t max_bytes;		/* a longer body is an error */
};

struct fw_fetch_res {
	long status;			/* 200 (body), 304 (unchanged); 0 on
					 * error */
	char *body;			/* 200: malloc'd, NUL-ended; the done
					 * callback owns it */
	size_t len;
	char etag[FW_FETCH_ETAG_MAX];	/* the answer's validators; "" none */
	char last_modified[FW_FETCH_DATE_MAX];
	char error[300];		/* when status is 0: why, said for an
					 * operator ("HTTP 503", "TLS: ...") */
};

/* the GET ended: r is the caller's for the call only, r->body excepted */
typedef void fw_fetch_done_fn(void *arg, struct fw_fetch_res *r);

struct fw_fetcher;
struct fw_fetch;

/* NULL out of memory; libcurl itself starts at the first GET, so that
 * an edged without fed URLs or HTTP monitors never starts it.  One
 * serves every user in the master (the feeds, the steering's monitors). */
struct fw_fetcher *fw_fetcher_new(struct ev_loop *loop);
/* every GET still running dropped, their callbacks not called */
void fw_fetcher_free(struct fw_fetcher *f);
/* A GET begun; done is called once, from the loop, never from here.
 * NULL with err when it cannot begin. */
struct fw_fetch *fw_fetch_start(struct fw_fetcher *f,
    const struct fw_fetch_req *q, fw_fetch_done_fn *done, void *arg,
    char *err, size_t errsize);
/* a GET dropped before its end: done is not called */
void fw_fetch_cancel(struct fw_fetch *x);

#endif /* EDGED_FW_FETCH_H */
