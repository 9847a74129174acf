/*
 * tests/fuzz/fuzz_nft_reply.c - the nfnetlink answers the master reads
 * (fw/fw_netlink.c): the input is one datagram from the kernel, read as
 * the answer to a counter dump (fw_nl_parse_counters), as the answers
 * to a set element batch (fw_nl_parse_acks), as nftables change notices
 * (fw_nl_parse_notices), and as the rtnetlink answer to a rule or route
 * request (fw/fw_route.c's fw_route_parse_ack).
 *
 * Both expect the sequence numbers of their own requests.  Those are
 * taken from the input's first message, so that the fuzzer need not
 * guess them: the dump's is its number, and the batch begins one before
 * it (BATCH_BEGIN), has three change messages from it on and ends after
 * them (BATCH_END).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netlink.h>

#include "fw_netlink.h"
#include "fw_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
on_counter(const char *name, uint64_t packets, uint64_t bytes, void *arg)
{
	size_t *n = arg;

	/* a name is a C string, whatever the attribute held */
	if (strlen(name) >= FW_NAME_MAX + 8)
		abort();
	(void)packets;
	(void)bytes;
	(*n)++;
}

static void
counters(const uint8_t *data, size_t size, uint32_t seq)
{
	char err[256] = "";
	size_t n = 0;
	int rc = fw_nl_parse_counters(data, size, seq, on_counter, &n, err,
	    sizeof(err));

	if (rc < -1 || rc > 1 || (rc == -1 && err[0] == '\0'))
		abort();
}

static void
acks(const uint8_t *data, size_t size, uint32_t seq)
{
	struct fw_nl_sent sent[] = {
		{ .seq = seq, .add = true, .set = "blocklist" },
		{ .seq = seq + 1, .add = false, .set = "allowlist" },
		{ .seq = seq + 2, .add = false, .set = "knock" },
	};
	struct fw_nl_batch b = { .sent = sent, .nsent = 3,
	    .first_seq = seq - 1, .last_seq = seq + 3 };
	char err[256] = "";
	size_t acked = 0;
	bool failed = false;

	fw_nl_parse_acks(data, size, &b, &acked, &failed, err, sizeof(err));
	if (failed && err[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nlmsghdr h;
	uint32_t seq = 0;

	if (size >= sizeof(h)) {
		memcpy(&h, data, sizeof(h));
		seq = h.nlmsg_seq;
	}
	counters(data, size, seq);
	acks(data, size, seq);
	/* the change notices the master watches its table with */
	{
		static const struct fw_nl_self self = { .pid = 1,
		    .name = "edged" };
		struct fw_nl_gen g = { 0 };
		enum fw_nl_verdict v = fw_nl_parse_notices(data, size, "edged",
		    &self, &g);

		if (v != FW_NL_NONE && v != FW_NL_CHANGED &&
		    v != FW_NL_REMOVED)
			abort();
	}
	/* an errno, or -1 for no answer: never a negative other than -1 */
	if (fw_route_parse_ack(data, size, seq) < -1)
		abort();
	return 0;
}
