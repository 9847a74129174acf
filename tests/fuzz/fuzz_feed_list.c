/*
 * tests/fuzz/fuzz_feed_list.c - a feed's text, format list, as the
 * master reads a fed address-group's file (fw/fw_feed_parse.c), with a
 * max entries taken from the first input byte.  The promises: every
 * line is read, taken or refused (lines taken plus refused never more
 * than read); no more entries than the max, truncated only at the max;
 * each member a prefix of its family with its host bits zero; the same
 * text read twice gives the same members.  A broken promise aborts.
 */
#include <string.h>

#define FUZZ_TARGET "fuzz_feed_list"
#include "fuzz_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_feed_list a, b;
	uint64_t max;

	if (size == 0)
		return 0;
	max = 1 + data[0] % 64;
	if (fw_feed_parse_list((const char *)data + 1, size - 1, max,
	    &a) < 0)
		return 0;
	if (a.entries + a.refused > a.lines)
		fail("more lines taken and refused than read");
	if (a.entries > max || (a.truncated && a.entries != max))
		fail("max entries not kept");
	if (a.nshown > FW_FEED_SHOWN || a.nshown > a.refused)
		fail("more refused lines told than refused");
	check_members(&a);
	if (fw_feed_parse_list((const char *)data + 1, size - 1, max,
	    &b) < 0) {
		fw_feed_list_free(&a);
		return 0;
	}
	if (a.n != b.n || (a.n > 0 && memcmp(a.v, b.v, a.n *
	    sizeof(*a.v)) != 0) || a.refused != b.refused)
		fail("the same text read twice differs");
	fw_feed_list_free(&a);
	fw_feed_list_free(&b);
	return 0;
}
