/*
 * tests/fuzz/fuzz_vpn_conf.c - `ipsec` blocks (vpn/vpn_conf.c) as the
 * configuration language reads them, and each site that loads rendered
 * to its VICI messages (vpn/vpn_site.c).  The promises: a site that
 * loads renders, and every message it renders reads back as VICI.  A
 * broken promise aborts.
 * (Until the vpn module is in the module table, fuzz_conf does not see
 * these blocks.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpn_conf.h"
#include "vpn_site.h"
#include "vpn_vici.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_vpn_conf: %s\n", what);
	abort();
}

static void
reads_back(uint8_t *m, size_t len, const char *err)
{
	const uint8_t *packet;
	size_t plen;
	const char *why;
	struct vpn_vici_msg msg;

	if (m == NULL) {
		fprintf(stderr, "%s\n", err);
		fail("a site that loads does not render");
	}
	if (vpn_vici_frame(m, len, &packet, &plen, &why) != (long)len ||
	    vpn_vici_parse(packet, plen, &msg, &why) < 0)
		fail("a rendered message does not read back");
	vpn_vici_msg_free(&msg);
	free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_diag d;
	struct conf_tree *t;
	struct vpn_conf c;
	const char *err = NULL;
	uint8_t *m;
	size_t len;

	vpn_conf_init(&c);
	conf_diag_init(&d);
	t = conf_parse_string("fuzz.conf", (const char *)data, size, NULL, &d);
	for (size_t i = 0; t != NULL && i < t->root.nchildren; i++)
		if (strcmp(t->root.children[i].args[0], "ipsec") == 0 &&
		    t->root.children[i].nargs == 2 &&
		    t->root.children[i].has_block)
			vpn_ipsec_directive(&d, &t->root.children[i], &c);
	vpn_conf_resolve(&c, &d);
	for (size_t i = 0; i < c.nsites; i++) {
		const struct vpn_site *s = &c.sites[i];

		m = vpn_site_load_conn(s, &len, &err);
		reads_back(m, len, err);
		m = vpn_site_load_shared(s, &len, &err);
		reads_back(m, len, err);
	}
	vpn_conf_release(&c);
	conf_tree_free(&t);
	conf_diag_free(&d);
	return 0;
}
