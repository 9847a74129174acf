/*
 * tests/fuzz/fuzz_feed.h - what the targets of the feeds' formats share
 * (fuzz_feed_list, fuzz_feed_json): the promises about the members a
 * text read gives.  Define FUZZ_TARGET (the target's name, for fail's
 * message) before including it.
 */
#ifndef EDGED_FUZZ_FEED_H
#define EDGED_FUZZ_FEED_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "fw_feed.h"

/* A promise broke: says which, and aborts. */
static void
fail(const char *what)
{
	fprintf(stderr, "%s: %s\n", FUZZ_TARGET, what);
	abort();
}

/* each member a prefix of its family with its host bits zero */
static void
check_members(const struct fw_feed_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct fw_prefix *p = &l->v[i];
		unsigned bits = p->family == AF_INET ? 32 : 128;

		if (p->family != AF_INET && p->family != AF_INET6)
			fail("a member of no family");
		if (p->len > bits)
			fail("a prefix longer than its family's addresses");
		for (unsigned b = p->len; b < bits; b++)
			if (p->addr[b / 8] & (0x80 >> (b % 8)))
				fail("a member with host bits set");
	}
}

#endif /* EDGED_FUZZ_FEED_H */
