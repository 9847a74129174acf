/*
 * tests/fuzz/fuzz_vici.c - what charon sends on its VICI socket, read as
 * edged reads a stream (vpn/vpn_vici.c): message after message, each
 * framed, then parsed.  The promises: a framed message lies within what
 * was read; a refusal says why; a packet that parses writes back, with
 * edged's own builder, to exactly its bytes (nothing read is lost or
 * invented).  A broken promise aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpn_vici.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_vici: %s\n", what);
	abort();
}

static void
write_node(struct vpn_vici_out *o, const struct vpn_vici_node *n)
{
	switch (n->kind) {
	case VPN_VICI_KEY:
		vpn_vici_kv(o, n->name, n->value, (long)n->vlen);
		break;
	case VPN_VICI_LIST:
		vpn_vici_list(o, n->name);
		for (size_t i = 0; i < n->n; i++)
			vpn_vici_item(o, n->v[i].value, (long)n->v[i].vlen);
		vpn_vici_list_end(o);
		break;
	case VPN_VICI_SECTION:
		vpn_vici_section(o, n->name);
		for (size_t i = 0; i < n->n; i++)
			write_node(o, &n->v[i]);
		vpn_vici_end(o);
		break;
	case VPN_VICI_ITEM:
		fail("an item outside a list");
	}
}

/* m written back is packet */
static void
round_trip(const struct vpn_vici_msg *m, const uint8_t *packet, size_t plen)
{
	struct vpn_vici_out o;
	const char *err;
	uint8_t *buf;
	size_t len;

	vpn_vici_begin(&o, m->type, m->name);
	for (size_t i = 0; i < m->root.n; i++)
		write_node(&o, &m->root.v[i]);
	if ((buf = vpn_vici_finish(&o, &len, &err)) == NULL)
		fail("a message read does not write back");
	if (len != plen + 4 || memcmp(buf + 4, packet, plen) != 0)
		fail("a message read writes back to other bytes");
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0, plen;
	const uint8_t *packet;
	const char *err;
	struct vpn_vici_msg m;
	long n;

	while ((n = vpn_vici_frame(data + off, size - off, &packet, &plen,
	    &err)) > 0) {
		if (packet < data + off || packet + plen > data + size)
			fail("a frame outside what was read");
		err = NULL;
		if (vpn_vici_parse(packet, plen, &m, &err) == 0) {
			round_trip(&m, packet, plen);
			vpn_vici_msg_free(&m);
		} else if (err == NULL)
			fail("a packet refused without a reason");
		off += (size_t)n;
	}
	return 0;
}
