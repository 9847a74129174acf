/*
 * tests/fuzz/fuzz_rtnl.c - the kernel's rtnetlink dump replies as the
 * master reads them (routing/rt_nl.c): the input read as a link dump and
 * as an address dump.  The promises: names and aliases end within their
 * arrays, an address's prefix length fits its family, a count matches
 * what was appended; a refusal says why.  A broken promise aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rt_nl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_rtnl: %s\n", what);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *buf = malloc(size + 1);	/* aligned, as recv's buffer is */
	struct rt_nl_link *l = NULL;
	struct rt_nl_addr *a = NULL;
	size_t nl = 0, na = 0;
	char err[256];

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	err[0] = '\0';
	if (rt_nl_parse_links(buf, size, &l, &nl, err, sizeof(err)) < 0 &&
	    err[0] == '\0')
		fail("a link dump refused without a reason");
	for (size_t i = 0; i < nl; i++)
		if (memchr(l[i].name, '\0', sizeof(l[i].name)) == NULL ||
		    memchr(l[i].alias, '\0', sizeof(l[i].alias)) == NULL ||
		    memchr(l[i].kind, '\0', sizeof(l[i].kind)) == NULL)
			fail("a link's text does not end");
	err[0] = '\0';
	if (rt_nl_parse_addrs(buf, size, &a, &na, err, sizeof(err)) < 0 &&
	    err[0] == '\0')
		fail("an address dump refused without a reason");
	for (size_t i = 0; i < na; i++)
		if ((a[i].p.family != AF_INET && a[i].p.family != AF_INET6) ||
		    a[i].p.plen > (a[i].p.family == AF_INET ? 32u : 128u) ||
		    a[i].proto > 255)
			fail("an address out of its family");
	free(l);
	free(a);
	free(buf);
	return 0;
}
