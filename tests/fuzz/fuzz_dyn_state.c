/*
 * tests/fuzz/fuzz_dyn_state.c - the members of dynamic address groups as
 * the master reads them back at start: a slot file's bytes
 * (base/slots.c's slots_parse: its header, length and check), and the
 * members' text it holds, or the input itself as the single file of an
 * earlier edged (fw/fw_dyn.c's fw_dyn_parse).  The promises: a slot
 * taken gives a text within the bytes read; each group's members sorted
 * and unique, each a prefix of its family with its host bits zero; the
 * text written from them (fw_dyn_text, what a save writes) reads back to
 * the same groups.  A broken promise aborts.
 */
#include <stdint.h>
#include <string.h>

#define FUZZ_TARGET "fuzz_dyn_state"
#include "fuzz_feed.h"
#include "fw_dyn.h"
#include "slots.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* each member a prefix of its family (fuzz_feed.h), in order, once:
 * fw_dyn_sort, which orders every group's members, leaves them as they
 * are */
static void
check_group(const struct fw_dyn_group *g)
{
	struct fw_feed_list l = { .v = g->addrs, .n = g->n };
	struct fw_prefix *copy;

	check_members(&l);
	if (g->n == 0 || (copy = malloc(g->n * sizeof(*copy))) == NULL)
		return;
	memcpy(copy, g->addrs, g->n * sizeof(*copy));
	if (fw_dyn_sort(copy, g->n) != g->n || memcmp(copy, g->addrs,
	    g->n * sizeof(*copy)) != 0)
		fail("members out of order, or twice");
	free(copy);
}

/* b holds a's groups that have members, with the same members */
static void
same(const struct fw_dyn *a, struct fw_dyn *b)
{
	size_t nonempty = 0;

	for (size_t i = 0; i < a->n; i++) {
		const struct fw_dyn_group *g = &a->groups[i], *h;

		if (g->n == 0)
			continue;
		nonempty++;
		if ((h = fw_dyn_get(b, g->name, false)) == NULL ||
		    h->n != g->n || memcmp(h->addrs, g->addrs, g->n *
		    sizeof(*g->addrs)) != 0)
			fail("the state written does not read back the same");
	}
	if (b->n != nonempty)
		fail("the state written reads back more groups");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_dyn a = { 0 }, b = { 0 };
	char *buf = malloc(size + 1), *text, err[512] = "";
	size_t len = size;
	uint64_t gen;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	text = buf;
	if (slots_parse(buf, size, &len, &gen) == 0) {
		if (len > size || buf[len] != '\0')
			fail("a slot's text past the bytes read");
	} else {
		memcpy(buf, data, size);	/* as an earlier edged's */
		len = size;
	}
	if (fw_dyn_parse(&a, text, len, "fuzz", err, sizeof(err)) == 0) {
		char *again;
		size_t alen;

		for (size_t i = 0; i < a.n; i++)
			check_group(&a.groups[i]);
		if ((again = fw_dyn_text(&a, &alen)) != NULL) {
			if (fw_dyn_parse(&b, again, alen, "again", err,
			    sizeof(err)) != 0)
				fail("the state written is refused");
			same(&a, &b);
			free(again);
		}
	} else if (err[0] == '\0') {
		fail("a refused state without a reason");
	}
	fw_dyn_free(&a);
	fw_dyn_free(&b);
	free(buf);
	return 0;
}
