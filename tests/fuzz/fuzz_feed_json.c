/*
 * tests/fuzz/fuzz_feed_json.c - a feed's text, format json, as the
 * master reads a fed address-group's answer (fw/fw_feed_json.c: the
 * text read by base/json.c, jq's paths walked), with the max entries and
 * the paths taken from the first input byte.  The promises: every value
 * reached is taken or refused (taken plus refused never more than
 * reached); no more entries than the max, truncated only at the max;
 * each member a prefix of its family with its host bits zero; an error
 * leaves nothing and says why; the same text read twice gives the same
 * members.  A broken promise aborts.
 */
#include <string.h>

#define FUZZ_TARGET "fuzz_feed_json"
#include "fuzz_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char paths[][FW_FEED_JSON_PATH_MAX] = {
	".prefixes[].ip_prefix", ".ipv6_prefixes[].ipv6_prefix", ".",
	".[]", ".a", ".a[].b", ".[][]", ".a.b.c",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_feed_list a, b;
	char err[300], err2[300];
	uint64_t max;
	size_t first, npaths;
	int ra, rb;

	if (size == 0)
		return 0;
	/* four bits make the max, two how many paths (0 to 3), two where
	 * in the table they start */
	max = 1 + (data[0] & 15);
	npaths = (data[0] >> 4) & 3;
	first = (size_t)((data[0] >> 6) & 3) * 2;
	if (first + npaths > sizeof(paths) / sizeof(paths[0]))
		first = 0;
	err[0] = '\0';
	ra = fw_feed_parse_json((const char *)data + 1, size - 1,
	    paths + first, npaths, max, &a, err, sizeof(err));
	if (ra == -1)
		return 0;
	if (ra == -2) {
		if (a.n != 0 || a.v != NULL || err[0] == '\0')
			fail("an error that left members or said nothing");
		return 0;
	}
	if (ra != 0)
		fail("an unknown return");
	if (a.entries + a.refused > a.lines)
		fail("more values taken and refused than reached");
	if (a.entries > max || (a.truncated && a.entries != max))
		fail("max entries not kept");
	if (a.nshown > FW_FEED_SHOWN || a.nshown > a.refused)
		fail("more refused values told than refused");
	check_members(&a);
	rb = fw_feed_parse_json((const char *)data + 1, size - 1,
	    paths + first, npaths, max, &b, err2, sizeof(err2));
	if (rb == -1) {
		fw_feed_list_free(&a);
		return 0;
	}
	if (rb != 0 || a.n != b.n || (a.n > 0 && memcmp(a.v, b.v, a.n *
	    sizeof(*a.v)) != 0) || a.refused != b.refused)
		fail("the same text read twice differs");
	fw_feed_list_free(&a);
	fw_feed_list_free(&b);
	return 0;
}
