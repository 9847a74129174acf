/*
 * tests/fuzz/fuzz_frr_json.c - what FRR's daemons answer on their vty
 * sockets, as the master reads it (routing/rt_vty.c, rt_frrjson.c and
 * base/json.c).  The first byte picks the reader, the rest is the
 * answer: BGP neighbours, OSPF neighbours, the routing table as text or
 * as JSON, or the vty framing.  The promises: a table read as JSON by
 * edgectl's reader writes JSON that reads back (json_parse); a
 * neighbour is up exactly when its state says so; a framed answer ends
 * inside what was read.  A broken promise aborts.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "rt_frrjson.h"
#include "rt_vty.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, const char *out)
{
	fprintf(stderr, "fuzz_frr_json: %s\n%s\n", what, out ? out : "");
	abort();
}

static void
bgp(const char *text, size_t len)
{
	struct rt_bgp_peer *v;
	size_t n;
	char err[128];

	if (rt_frrjson_bgp(text, len, &v, &n, err, sizeof(err)) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (v[i].up != (strcmp(v[i].state, "Established") == 0))
			fail("a BGP neighbour up without Established", NULL);
	free(v);
}

static void
ospf(const char *text, size_t len)
{
	struct rt_ospf_peer *v;
	size_t n;
	char err[128];

	if (rt_frrjson_ospf(text, len, &v, &n, err, sizeof(err)) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (v[i].up != (strncmp(v[i].state, "Full", 4) == 0))
			fail("an OSPF neighbour up without Full", NULL);
	free(v);
}

static void
routes(const char *text, size_t len, bool json)
{
	struct edged_vip vip = { .service = "web" };
	struct sockaddr_in *sin = (struct sockaddr_in *)&vip.addr;
	char *out = NULL, err[128];
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	struct json *j;
	int rc;

	if (f == NULL)
		return;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.10", &sin->sin_addr);
	rc = rt_frrjson_routes(text, len, &vip, 1, json, f, err, sizeof(err));
	fclose(f);
	if (rc == 0 && json) {
		if ((j = json_parse(out, outlen, NULL, err, sizeof(err))) ==
		    NULL)
			fail("the JSON written does not read back", out);
		json_free(&j);
	}
	if (rc < 0 && outlen > 0)
		fail("a refused table wrote something", out);
	free(out);
}

static void
frame(const char *text, size_t len)
{
	int status;
	long at = rt_vty_frame(text, len, &status);

	if (at >= 0 && ((size_t)at + 4 > len || status < 0 || status > 255 ||
	    memchr(text, '\0', (size_t)at) != NULL))
		fail("a frame outside what was read", NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1 || (text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 5) {
	case 0: bgp(text, size - 1); break;
	case 1: ospf(text, size - 1); break;
	case 2: routes(text, size - 1, false); break;
	case 3: routes(text, size - 1, true); break;
	default: frame(text, size - 1); break;
	}
	free(text);
	return 0;
}
