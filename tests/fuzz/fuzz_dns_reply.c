/*
 * tests/fuzz/fuzz_dns_reply.c - what a member sends back to a dns
 * monitor's query (lb_dns_answered, lb/dns.c), and the promises of its
 * contract (lb/dns.h): a reply it accepts is a response of the query's
 * id, NOERROR, with an answer record; a refusal says why; the verdict
 * depends on the bytes only (the same twice); bytes after an accepted
 * reply do not change it.  The input's first two bytes are the id
 * expected; and a name made of the input, when it is one lb_dns_name_ok
 * takes, makes a query that fits and reads back its id.  A broken
 * promise aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_dns_reply: %s\n", what);
	abort();
}

static void
check_reply(const uint8_t *m, size_t len, uint16_t id)
{
	const char *why;
	int r = lb_dns_answered(m, len, id, &why);
	uint8_t *more;

	if (r < 0 && (why == NULL || why[0] == '\0'))
		fail("a refusal without a reason");
	if (r != lb_dns_answered(m, len, id, &why))
		fail("two verdicts on the same bytes");
	if (r < 0)
		return;
	if (len < 12 || (m[0] << 8 | m[1]) != id || !(m[2] & 0x80) ||
	    (m[3] & 0x0f) != 0 || (m[6] == 0 && m[7] == 0))
		fail("accepted what is not an answered response of the id");
	/* what follows an accepted reply does not change it */
	if ((more = malloc(len + 16)) == NULL)
		return;
	memcpy(more, m, len);
	memset(more + len, 0xc0, 16);
	if (lb_dns_answered(more, len + 16, id, &why) != 0)
		fail("trailing bytes turned an answer into a refusal");
	free(more);
}

static void
check_query(const uint8_t *data, size_t size)
{
	char name[300];
	unsigned char q[LB_DNS_QUERY_MAX];
	size_t n = size < sizeof(name) - 1 ? size : sizeof(name) - 1, len;

	memcpy(name, data, n);
	name[n] = '\0';
	if (!lb_dns_name_ok(name))
		return;
	len = lb_dns_query(name, 0x1234, q);
	if (len < 12 + 6 || len > LB_DNS_QUERY_MAX)
		fail("a query of a valid name out of bounds");
	if (q[0] != 0x12 || q[1] != 0x34 || q[5] != 1)
		fail("a query without its id or question");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;

	check_reply(data, size, id);
	check_query(data, size);
	return 0;
}
