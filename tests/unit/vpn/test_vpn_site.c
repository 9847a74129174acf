/*
 * tests/unit/vpn/test_vpn_site.c - vpn/vpn_conf.c and vpn/vpn_site.c:
 * an `ipsec` block read and rendered to the VICI messages a real charon
 * took (vici/capture.sh: load-conn, load-shared, unload-conn,
 * unload-shared, byte for byte); NSX's words turned into proposals, weak
 * ones warned about; every error of the block, where it stands, never
 * repeating the PSK.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vpn_conf.h"
#include "vpn_site.h"

/* text's ipsec blocks into c; the messages in d */
static void
load(const char *text, struct vpn_conf *c, struct conf_diag *d)
{
	struct conf_tree *t;

	vpn_conf_init(c);
	conf_diag_init(d);
	t = conf_parse_string("t.conf", text, strlen(text), NULL, d);
	assert_non_null(t);
	for (size_t i = 0; i < t->root.nchildren; i++)
		vpn_ipsec_directive(d, &t->root.children[i], c);
	vpn_conf_resolve(c, d);
	conf_tree_free(&t);
}

static bool
said(const struct conf_diag *d, const char *what)
{
	for (size_t i = 0; i < d->nmsgs; i++)
		if (strstr(d->msgs[i], what) != NULL)
			return true;
	return false;
}

static void
same_as(uint8_t *got, size_t len, const char *err, const char *name)
{
	char path[512];
	uint8_t want[65536];
	size_t want_len;
	FILE *f;

	if (got == NULL)
		fail_msg("%s: %s", name, err);
	snprintf(path, sizeof(path), "%s/%s.bin", VICI_DIR, name);
	assert_non_null(f = fopen(path, "r"));
	want_len = fread(want, 1, sizeof(want), f);
	fclose(f);
	assert_int_equal(len, want_len);
	assert_memory_equal(got, want, len);
	free(got);
}

static const char site_b[] =
    "ipsec site-b {\n"
    "    local 192.0.2.10\n"
    "    peer 198.51.100.1\n"
    "    authentication psk \"s3cr3t-psk\"\n"
    "    local-subnets 10.0.0.0/16\n"
    "    peer-subnets 10.1.0.0/16 10.2.0.0/16\n"
    "    start never\n"
    "}\n";

static void
test_rendered_as_charon_took(void **state)
{
	struct vpn_conf c;
	struct conf_diag d;
	const char *err = NULL;
	uint8_t *m;
	size_t len;

	(void)state;
	load(site_b, &c, &d);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.nmsgs, 0);
	assert_int_equal(c.nsites, 1);
	m = vpn_site_load_conn(&c.sites[0], &len, &err);
	same_as(m, len, err, "sent-load-conn");
	m = vpn_site_load_shared(&c.sites[0], &len, &err);
	same_as(m, len, err, "sent-load-shared");
	m = vpn_site_unload_conn("site-b", &len, &err);
	same_as(m, len, err, "sent-unload-conn");
	m = vpn_site_unload_shared("site-b", &len, &err);
	same_as(m, len, err, "sent-unload-shared");
	vpn_conf_release(&c);
	conf_diag_free(&d);
}

static void
test_nsx_words(void **state)
{
	struct vpn_conf c;
	struct conf_diag d;
	const struct vpn_site *s;

	(void)state;
	load("ipsec a { local 192.0.2.1; peer any; authentication psk x;"
	    " local-subnets 10.0.0.0/8; peer-subnets 10.9.0.0/16;"
	    " encryption aes256; dh-group 14; pfs on }\n"
	    "ipsec b { local 192.0.2.1; peer 192.0.2.2; authentication psk y;"
	    " local-subnets 10.0.0.0/8; peer-subnets 10.8.0.0/16;"
	    " encryption 3des; dh-group 5; pfs off }\n", &c, &d);
	assert_int_equal(d.nerrors, 0);
	s = &c.sites[0];
	assert_true(s->peer_any);
	assert_string_equal(s->ike[0], "aes256-sha256-modp2048");
	assert_string_equal(s->esp[0], "aes256-sha256-modp2048");
	s = &c.sites[1];
	assert_string_equal(s->ike[0], "3des-sha256-modp1536");
	assert_string_equal(s->esp[0], "3des-sha256");
	assert_true(said(&d, "warning: '3des-sha256-modp1536': 3DES has a "
	    "64-bit block (Sweet32)"));
	assert_true(said(&d, "DH group 5 (1536 bits) is too weak"));
	vpn_conf_release(&c);
	conf_diag_free(&d);
}

static void
test_errors(void **state)
{
	struct vpn_conf c;
	struct conf_diag d;

	(void)state;
	load("ipsec a { local 192.0.2.1; peer 2001:db8::1;"
	    " authentication psk x; local-subnets 10.0.0.0/8;"
	    " peer-subnets 10.9.0.0/16 }\n"
	    "ipsec b { peer 192.0.2.2 }\n"
	    "ipsec c { local 192.0.2.1; peer 192.0.2.2;"
	    " authentication psk \"the secret\" extra;"
	    " local-subnets 10.0.0.1/8; peer-subnets 10.9.0.0/16;"
	    " ike aes256-ecp256; esp aes256gcm16-nosuch; start sometimes;"
	    " dh-group 7 }\n"
	    "ipsec d { local 192.0.2.1; peer 192.0.2.2; authentication psk x;"
	    " local-subnets 10.0.0.0/8; peer-subnets 10.9.0.0/16;"
	    " ike aes256gcm16-prfsha256-ecp256; encryption aes128 }\n"
	    "ipsec d { }\n"
	    "ipsec e { local 192.0.2.1; peer 192.0.2.2; authentication psk x;"
	    " local-subnets 10.0.0.0/8; peer-subnets 10.9.0.0/16;"
	    " ike aes256gcm16-ecp256 }\n"
	    "ipsec f { esp aes256gcm16; esp aes128gcm16 }\n", &c, &d);
	assert_int_equal(c.nsites, 0);
	assert_true(said(&d, "ipsec a: 'local' and 'peer' are of different "
	    "families"));
	assert_true(said(&d, "ipsec b has no 'local'"));
	assert_true(said(&d, "directive 'authentication' takes 1 to 2 "
	    "arguments, got 3"));
	assert_true(said(&d, "'10.0.0.1/8' for 'local-subnets' has bits set"));
	assert_true(said(&d, "'aes256-ecp256' for 'ike' lacks an integrity "
	    "algorithm"));
	assert_true(said(&d, "no algorithm 'nosuch'"));
	assert_true(said(&d, "'start' expects one of always, on-traffic, "
	    "never"));
	assert_true(said(&d, "'dh-group' is one of 2, 5, 14"));
	assert_true(said(&d, "ipsec d: ike and esp, or NSX's encryption"));
	assert_true(said(&d, "lacks a PRF (prfsha256) beside its AEAD"));
	assert_true(said(&d, "'esp' is given twice"));
	for (size_t i = 0; i < d.nmsgs; i++)
		assert_null(strstr(d.msgs[i], "the secret"));
	vpn_conf_release(&c);
	conf_diag_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rendered_as_charon_took),
		cmocka_unit_test(test_nsx_words),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
