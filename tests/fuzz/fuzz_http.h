/*
 * tests/fuzz/fuzz_http.h - what the HTTP request and response targets
 * share: lb/session.c's llhttp callbacks over a struct parse instead of a
 * session.  The checks are the data path's own functions (http_parse.h);
 * only where the pauses are kept differs.  Define FUZZ_TARGET (the
 * target's name, for fail's message) before including it.
 */
#ifndef EDGED_FUZZ_HTTP_H
#define EDGED_FUZZ_HTTP_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <llhttp.h>

#include "http_parse.h"

enum pause { PAUSE_NONE, PAUSE_HEAD, PAUSE_MESSAGE };

struct parse {
	enum pause pause;
	bool is_head;			/* a response to HEAD: no body */
	bool trailer_name;
};

/* A promise broke: says which, with the head, and aborts. */
static void
fail(const char *what, const char *head, size_t len)
{
	fprintf(stderr, FUZZ_TARGET ": %s; head (%zu bytes):\n%.*s\n",
	    what, len, (int)len, head);
	abort();
}

static int
header_field(llhttp_t *p, const char *at, size_t len)
{
	return lb_http_trailer_name(p, at, len,
	    &((struct parse *)p->data)->trailer_name);
}

static int
header_field_complete(llhttp_t *p)
{
	return lb_http_trailer_name_complete(p,
	    &((struct parse *)p->data)->trailer_name);
}

static int
headers_complete(llhttp_t *p)
{
	struct parse *ps = p->data;

	if (ps->is_head)
		p->flags |= F_SKIPBODY;
	ps->pause = PAUSE_HEAD;
	return HPE_PAUSED;
}

static int
message_complete(llhttp_t *p)
{
	((struct parse *)p->data)->pause = PAUSE_MESSAGE;
	return HPE_PAUSED;
}

#endif /* EDGED_FUZZ_HTTP_H */
