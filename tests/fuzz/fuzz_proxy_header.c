/*
 * tests/fuzz/fuzz_proxy_header.c - the PROXY protocol header a client
 * sends a listener with accept-proxy (lb_proxy_parse, lb/proxy_proto.c),
 * and the promises of its contract (lb/proxy_proto.h), checked on every
 * prefix of the input: a prefix answers "more" (0) or the whole input's
 * answer, never another, so a caller that takes the bytes of a "more"
 * loses nothing; a header's length is within the input and its limits;
 * a refusal says why; what a header said is well formed, and the
 * addresses, sent again as edged sends them (lb_proxy_header, versions 1
 * and 2), read back the same.  A broken promise aborts.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, size_t len, long r)
{
	fprintf(stderr, "fuzz_proxy_header: %s (prefix of %zu bytes: %ld)\n",
	    what, len, r);
	abort();
}

static size_t
addr_len(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return sizeof(struct sockaddr_in);
	if (ss->ss_family == AF_INET6)
		return sizeof(struct sockaddr_in6);
	fail("an address of neither internet family", 0, 0);
	return 0;
}

/* The addresses of h, sent again as edged sends them, read back the
 * same. */
static void
round_trip(const struct lb_proxy_info *h)
{
	unsigned char out[LB_PROXY_MAX];
	struct lb_proxy_info back;
	const char *why;

	for (int v = 1; v <= 2; v++) {
		size_t n = lb_proxy_header(v, (const void *)&h->src,
		    (const void *)&h->dst, NULL, out);

		if (lb_proxy_parse(out, n, &back, &why) != (long)n ||
		    !back.addresses)
			fail("its addresses sent again do not read back", n,
			    0);
		if (h->src.ss_family != h->dst.ss_family)
			continue;	/* sent as two IPv6 */
		if (memcmp(&back.src, &h->src, addr_len(&h->src)) != 0 ||
		    memcmp(&back.dst, &h->dst, addr_len(&h->dst)) != 0)
			fail("its addresses read back otherwise", n, 0);
	}
}

static void
check_header(const struct lb_proxy_info *h, long r)
{
	size_t alen = strnlen(h->authority, sizeof(h->authority));

	if (h->version != 1 && h->version != 2)
		fail("a header of no version", 0, r);
	if (h->version == 1 && r > 107)
		fail("a version 1 header longer than 107 bytes", 0, r);
	if (r > LB_PROXY_IN_MAX)
		fail("a header longer than LB_PROXY_IN_MAX", 0, r);
	if (alen == sizeof(h->authority))
		fail("authority not terminated", 0, r);
	if (h->version == 1 && (alen > 0 || h->ssl))
		fail("a version 1 header with TLVs", 0, r);
	if (h->addresses) {
		addr_len(&h->src);
		addr_len(&h->dst);
		if (h->src.ss_family != h->dst.ss_family)
			fail("addresses of two families", 0, r);
		round_trip(h);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_proxy_info whole, part;
	const char *why;
	long r = lb_proxy_parse(data, size, &whole, &why);

	if (r > (long)size || r < -1)
		fail("a length beyond the input", size, r);
	if (r < 0 && (why == NULL || why[0] == '\0'))
		fail("a refusal without a reason", size, r);
	if (r > 0)
		check_header(&whole, r);
	for (size_t i = 0; i < size; i++) {
		long p = lb_proxy_parse(data, i, &part, &why);

		if (p != 0 && p != r)
			fail("a prefix answers otherwise than the whole", i,
			    p);
		if (p > 0 && memcmp(&part, &whole, sizeof(part)) != 0)
			fail("a prefix reads another header", i, p);
	}
	return 0;
}
