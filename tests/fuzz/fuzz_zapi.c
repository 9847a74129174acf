/*
 * tests/fuzz/fuzz_zapi.c - what zebra sends edged's ZAPI client
 * (routing/rt_zapi.c), read as the client reads its socket: message
 * after message off one stream, each given to the reader of its
 * command.  The promises of rt_zapi.h: a message framed lies whole
 * within what was read, its body after the header; fewer bytes of the
 * same stream wait (0) or are refused the same way; a refusal says why;
 * a route notification accepted names a route of its family, and that
 * route encodes to a message that frames back as ROUTE_ADD and
 * ROUTE_DELETE.  A broken promise aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_zapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_zapi: %s\n", what);
	abort();
}

/* r, sent back to zebra as an add and a delete, frames as itself. */
static void
check_route(const struct rt_zapi_route *r)
{
	uint8_t out[RT_ZAPI_OUT_MAX];
	struct rt_zapi_msg m;
	const char *why;
	size_t n;

	for (int add = 0; add <= 1; add++) {
		n = rt_zapi_route(add, RT_ZAPI_TYPE_EDGED, r, out);
		if (n == 0 || n > RT_ZAPI_OUT_MAX)
			fail("an accepted route does not encode");
		if (rt_zapi_frame(out, n, &m, &why) != (long)n ||
		    m.cmd != (add ? RT_ZAPI_ROUTE_ADD : RT_ZAPI_ROUTE_DELETE))
			fail("an encoded route does not frame back");
	}
}

static void
check_msg(const struct rt_zapi_msg *m)
{
	struct rt_zapi_route r;
	enum rt_zapi_note note;
	const char *why = NULL;
	uint32_t code;

	if (rt_zapi_capabilities(m, &why) < 0 && why == NULL)
		fail("a refused CAPABILITIES without a reason");
	why = NULL;
	if (rt_zapi_error(m, &code, &why) < 0 && why == NULL)
		fail("a refused ERROR without a reason");
	why = NULL;
	if (rt_zapi_notify(m, &note, &r, &why) < 0) {
		if (why == NULL)
			fail("a refused notification without a reason");
		return;
	}
	if (m->cmd != RT_ZAPI_ROUTE_NOTIFY_OWNER)
		fail("a notification of another command");
	if ((r.prefix.ss_family == AF_INET && r.plen > 32) ||
	    (r.prefix.ss_family == AF_INET6 && r.plen > 128) ||
	    (r.prefix.ss_family != AF_INET &&
	    r.prefix.ss_family != AF_INET6))
		fail("a notification of no route");
	if (rt_zapi_note_name(note)[0] == '\0')
		fail("a note without a name");
	check_route(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		struct rt_zapi_msg m, m2;
		const char *why = NULL, *why2 = NULL;
		long n = rt_zapi_frame(data + off, size - off, &m, &why);

		if (n < 0) {
			if (why == NULL)
				fail("a refused stream without a reason");
			/* one byte fewer: refused too, or waiting */
			if (size - off > 1 && rt_zapi_frame(data + off,
			    size - off - 1, &m2, &why2) > 0)
				fail("a refused stream framed when shorter");
			return 0;
		}
		if (n == 0)
			return 0;
		if ((size_t)n > size - off || n < RT_ZAPI_HEADER ||
		    m.body != data + off + RT_ZAPI_HEADER ||
		    m.len != (size_t)n - RT_ZAPI_HEADER)
			fail("a message framed outside what was read");
		if (rt_zapi_frame(data + off, (size_t)n - 1, &m2, &why2) != 0)
			fail("a message one byte short did not wait");
		check_msg(&m);
		off += (size_t)n;
	}
	return 0;
}
