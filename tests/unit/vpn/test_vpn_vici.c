/*
 * tests/unit/vpn/test_vpn_vici.c - vpn/vpn_vici.c against a real
 * charon's messages (vici/capture.sh, strongSwan 5.9.8): what edged
 * writes is byte for byte what charon took (load-shared, load-conn,
 * unload-conn, list-sas, event registration...); what charon answered
 * reads back (a refused connection's errmsg, a streamed list-conn event,
 * CMD_UNKNOWN, EVENT_UNKNOWN); and malformed input (every cut of every
 * message, bad lengths, deep nesting, unknown elements) is refused with
 * a reason, never read past.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vpn_vici.h"

static uint8_t *
slurp(const char *name, size_t *len)
{
	char path[512];
	uint8_t *buf;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.bin", VICI_DIR, name);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(buf = malloc(65536));
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

/* the message o built is the capture's */
static void
same_as(struct vpn_vici_out *o, const char *name)
{
	size_t len, want_len;
	const char *err = NULL;
	uint8_t *got = vpn_vici_finish(o, &len, &err);
	uint8_t *want = slurp(name, &want_len);

	if (got == NULL)
		fail_msg("%s: %s", name, err);
	assert_int_equal(len, want_len);
	assert_memory_equal(got, want, len);
	free(got);
	free(want);
}

static void
list1(struct vpn_vici_out *o, const char *name, const char *a,
    const char *b)
{
	vpn_vici_list(o, name);
	vpn_vici_item(o, a, -1);
	if (b != NULL)
		vpn_vici_item(o, b, -1);
	vpn_vici_list_end(o);
}

static void
test_write_simple(void **state)
{
	struct vpn_vici_out o;

	(void)state;
	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, "version");
	same_as(&o, "sent-version");
	vpn_vici_begin(&o, VPN_VICI_EVENT_REGISTER, "list-sa");
	same_as(&o, "sent-register-list-sa");
	vpn_vici_begin(&o, VPN_VICI_EVENT_UNREGISTER, "list-conn");
	same_as(&o, "sent-unregister-list-conn");
	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, "list-sas");
	vpn_vici_kv(&o, "noblock", "yes", -1);
	same_as(&o, "sent-list-sas");
	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, "unload-conn");
	vpn_vici_kv(&o, "name", "site-b", -1);
	same_as(&o, "sent-unload-conn");
	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, "load-shared");
	vpn_vici_kv(&o, "id", "edged-site-b", -1);
	vpn_vici_kv(&o, "type", "IKE", -1);
	vpn_vici_kv(&o, "data", "s3cr3t-psk", -1);
	list1(&o, "owners", "192.0.2.10", "198.51.100.1");
	same_as(&o, "sent-load-shared");
}

static void
test_write_load_conn(void **state)
{
	struct vpn_vici_out o;

	(void)state;
	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, "load-conn");
	vpn_vici_section(&o, "site-b");
	vpn_vici_kv(&o, "version", "2", -1);
	list1(&o, "local_addrs", "192.0.2.10", NULL);
	list1(&o, "remote_addrs", "198.51.100.1", NULL);
	list1(&o, "proposals", "aes256gcm16-prfsha256-ecp256", NULL);
	vpn_vici_kv(&o, "dpd_delay", "30s", -1);
	vpn_vici_kv(&o, "rekey_time", "28800s", -1);
	vpn_vici_section(&o, "local");
	vpn_vici_kv(&o, "auth", "psk", -1);
	vpn_vici_kv(&o, "id", "192.0.2.10", -1);
	vpn_vici_end(&o);
	vpn_vici_section(&o, "remote");
	vpn_vici_kv(&o, "auth", "psk", -1);
	vpn_vici_kv(&o, "id", "198.51.100.1", -1);
	vpn_vici_end(&o);
	vpn_vici_section(&o, "children");
	vpn_vici_section(&o, "site-b");
	list1(&o, "local_ts", "10.0.0.0/16", NULL);
	list1(&o, "remote_ts", "10.1.0.0/16", "10.2.0.0/16");
	list1(&o, "esp_proposals", "aes256gcm16-ecp256", NULL);
	vpn_vici_kv(&o, "rekey_time", "3600s", -1);
	vpn_vici_kv(&o, "start_action", "none", -1);
	vpn_vici_kv(&o, "dpd_action", "clear", -1);
	vpn_vici_end(&o);
	vpn_vici_end(&o);
	vpn_vici_end(&o);
	same_as(&o, "sent-load-conn");
}

/* reads capture name as one whole message into *m */
static void
read_msg(const char *name, struct vpn_vici_msg *m)
{
	size_t len, plen;
	uint8_t *buf = slurp(name, &len);
	const uint8_t *packet;
	const char *err = NULL;

	assert_int_equal(vpn_vici_frame(buf, len, &packet, &plen, &err),
	    (long)len);
	if (vpn_vici_parse(packet, plen, m, &err) < 0)
		fail_msg("%s: %s", name, err);
	free(buf);
}

static void
test_read_answers(void **state)
{
	struct vpn_vici_msg m;
	const struct vpn_vici_node *conns;

	(void)state;
	read_msg("recv-load-conn-1", &m);
	assert_int_equal(m.type, VPN_VICI_CMD_RESPONSE);
	assert_string_equal(vpn_vici_value(&m.root, "success"), "yes");
	vpn_vici_msg_free(&m);
	read_msg("recv-load-conn-bad-1", &m);
	assert_string_equal(vpn_vici_value(&m.root, "success"), "no");
	assert_non_null(strstr(vpn_vici_value(&m.root, "errmsg"),
	    "unknown option: local_addrs"));
	vpn_vici_msg_free(&m);
	read_msg("recv-version-1", &m);
	assert_string_equal(vpn_vici_value(&m.root, "daemon"), "charon");
	assert_string_equal(vpn_vici_value(&m.root, "version"), "5.9.8");
	vpn_vici_msg_free(&m);
	read_msg("recv-unknown-cmd-1", &m);
	assert_int_equal(m.type, VPN_VICI_CMD_UNKNOWN);
	vpn_vici_msg_free(&m);
	read_msg("recv-unknown-event-1", &m);
	assert_int_equal(m.type, VPN_VICI_EVENT_UNKNOWN);
	vpn_vici_msg_free(&m);
	read_msg("recv-register-list-sa-1", &m);
	assert_int_equal(m.type, VPN_VICI_EVENT_CONFIRM);
	vpn_vici_msg_free(&m);
	read_msg("recv-get-conns-1", &m);
	conns = vpn_vici_child(&m.root, "conns");
	assert_non_null(conns);
	assert_int_equal(conns->kind, VPN_VICI_LIST);
	assert_int_equal(conns->n, 1);
	assert_string_equal(conns->v[0].value, "site-b");
	vpn_vici_msg_free(&m);
}

/* list-conns: the event first, then the response that ends it */
static void
test_read_stream(void **state)
{
	struct vpn_vici_msg m;
	const struct vpn_vici_node *site, *child, *ts;

	(void)state;
	read_msg("recv-list-conns-1", &m);
	assert_int_equal(m.type, VPN_VICI_EVENT);
	assert_string_equal(m.name, "list-conn");
	site = vpn_vici_child(&m.root, "site-b");
	assert_non_null(site);
	assert_int_equal(site->kind, VPN_VICI_SECTION);
	assert_string_equal(vpn_vici_child(site, "local_addrs")->v[0].value,
	    "192.0.2.10");
	child = vpn_vici_child(vpn_vici_child(site, "children"), "site-b");
	assert_non_null(child);
	ts = vpn_vici_child(child, "remote-ts");
	assert_non_null(ts);
	assert_int_equal(ts->n, 2);
	assert_string_equal(ts->v[1].value, "10.2.0.0/16");
	vpn_vici_msg_free(&m);
	read_msg("recv-list-conns-2", &m);
	assert_int_equal(m.type, VPN_VICI_CMD_RESPONSE);
	vpn_vici_msg_free(&m);
}

/* every cut of a real message: the frame waits, the packet is refused */
static void
test_cuts(void **state)
{
	static const char *const names[] = { "recv-list-conns-1",
	    "recv-load-conn-bad-1", "sent-load-conn", NULL };

	(void)state;
	for (size_t k = 0; names[k] != NULL; k++) {
		size_t len, plen;
		uint8_t *buf = slurp(names[k], &len);
		const uint8_t *packet;
		const char *err;
		struct vpn_vici_msg m;

		for (size_t cut = 0; cut < len; cut++)
			assert_int_equal(vpn_vici_frame(buf, cut, &packet,
			    &plen, &err), 0);
		for (size_t cut = 1; cut < len - 4; cut++) {
			err = NULL;
			/* a cut may end between elements: then it reads */
			if (vpn_vici_parse(buf + 4, cut, &m, &err) == 0)
				vpn_vici_msg_free(&m);
			else
				assert_non_null(err);
		}
		free(buf);
	}
}

static void
test_malformed(void **state)
{
	static const uint8_t zero[] = { 0, 0, 0, 0, 1 };
	static const uint8_t huge[] = { 0, 0x08, 0, 1, 1 };
	static const uint8_t unknown_type[] = { 9 };
	static const uint8_t unknown_el[] = { 1, 7 };
	static const uint8_t end_alone[] = { 1, 2 };
	static const uint8_t long_value[] = { 1, 3, 1, 'k', 0, 9, 'v' };
	static const uint8_t section_in_list[] = { 1, 4, 1, 'l', 1, 1, 's' };
	static const uint8_t empty_name[] = { 1, 1, 0 };
	static const uint8_t nul_name[] = { 3, 2, 'a', 0 };
	uint8_t deep[2 + 3 * (VPN_VICI_DEPTH_MAX + 1)];
	const uint8_t *packet;
	size_t plen, n = 0;
	const char *err;
	struct vpn_vici_msg m;

	(void)state;
	assert_int_equal(vpn_vici_frame(zero, sizeof(zero), &packet, &plen,
	    &err), -1);
	assert_int_equal(vpn_vici_frame(huge, sizeof(huge), &packet, &plen,
	    &err), -1);
	assert_string_equal(err, "a message over VICI's 512 KiB");
	assert_int_equal(vpn_vici_parse(unknown_type, 1, &m, &err), -1);
	assert_int_equal(vpn_vici_parse(unknown_el, 2, &m, &err), -1);
	assert_string_equal(err, "an element of an unknown type");
	assert_int_equal(vpn_vici_parse(end_alone, 2, &m, &err), -1);
	assert_int_equal(vpn_vici_parse(long_value, sizeof(long_value), &m,
	    &err), -1);
	assert_string_equal(err, "a value longer than what is left");
	assert_int_equal(vpn_vici_parse(section_in_list,
	    sizeof(section_in_list), &m, &err), -1);
	assert_int_equal(vpn_vici_parse(empty_name, sizeof(empty_name), &m,
	    &err), -1);
	assert_int_equal(vpn_vici_parse(nul_name, sizeof(nul_name), &m,
	    &err), -1);
	assert_string_equal(err, "a name with a NUL byte in it");
	deep[n++] = VPN_VICI_CMD_RESPONSE;
	for (int i = 0; i <= VPN_VICI_DEPTH_MAX; i++) {
		deep[n++] = 1;
		deep[n++] = 1;
		deep[n++] = 's';
	}
	assert_int_equal(vpn_vici_parse(deep, n, &m, &err), -1);
	assert_string_equal(err, "sections nested too deep");
}

static void
test_write_refused(void **state)
{
	struct vpn_vici_out o;
	char name[300];
	char *big = malloc(70000);
	size_t len;
	const char *err = NULL;

	(void)state;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, "x");
	vpn_vici_kv(&o, name, "v", -1);
	assert_null(vpn_vici_finish(&o, &len, &err));
	assert_string_equal(err, "a name of 0 or more than 255 bytes");
	assert_non_null(big);
	memset(big, 'v', 69999);
	big[69999] = '\0';
	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, "x");
	vpn_vici_kv(&o, "k", big, -1);
	assert_null(vpn_vici_finish(&o, &len, &err));
	assert_string_equal(err, "a value over 65535 bytes");
	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, "x");
	vpn_vici_section(&o, "open");
	assert_null(vpn_vici_finish(&o, &len, &err));
	assert_string_equal(err, "a section or list left open");
	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, "x");
	vpn_vici_list(&o, "l");
	vpn_vici_section(&o, "s");
	assert_null(vpn_vici_finish(&o, &len, &err));
	assert_string_equal(err, "a section inside a list");
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_simple),
		cmocka_unit_test(test_write_load_conn),
		cmocka_unit_test(test_read_answers),
		cmocka_unit_test(test_read_stream),
		cmocka_unit_test(test_cuts),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_write_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
