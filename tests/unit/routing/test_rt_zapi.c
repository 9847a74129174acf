/*
 * tests/unit/routing/test_rt_zapi.c - routing/rt_zapi.c against a real
 * zebra's bytes: tests/unit/routing/zapi/, recorded by its capture.sh
 * from Debian's FRR 8.4.  sent-*.bin are the messages zebra took (it
 * installed the routes and said so): edged's encoder must write exactly
 * them.  recv-*.bin are zebra's answers: CAPABILITIES and VRF_ADD after
 * HELLO, ROUTE_NOTIFY_OWNER after each route, ERROR after a command it
 * does not know.
 *
 * Each input is read from a heap block of exactly its length, so that a
 * sanitizer or valgrind sees any read past it.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt_zapi.h"

struct blob {
	uint8_t *p;
	size_t len;
};

static struct blob
load(const char *name)
{
	char path[512];
	struct blob b = { NULL, 0 };
	FILE *f;
	uint8_t tmp[RT_ZAPI_MAX];

	snprintf(path, sizeof(path), "%s/%s.bin", ZAPI_DIR, name);
	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot read %s", path);
	b.len = fread(tmp, 1, sizeof(tmp), f);
	fclose(f);
	assert_true(b.len > 0);
	b.p = malloc(b.len);
	assert_non_null(b.p);
	memcpy(b.p, tmp, b.len);
	return b;
}

static struct rt_zapi_route
route(const char *addr, uint8_t plen)
{
	struct rt_zapi_route r = { .plen = plen, .distance = 20 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&r.prefix;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&r.prefix;

	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	return r;
}

static void
assert_written(const char *name, const uint8_t *out, size_t len)
{
	struct blob b = load(name);

	assert_int_equal(len, b.len);
	assert_memory_equal(out, b.p, len);
	free(b.p);
}

/* ---- what edged sends ---- */

static void
test_hello_as_zebra_took_it(void **state)
{
	uint8_t out[RT_ZAPI_OUT_MAX];

	(void)state;
	assert_written("sent-hello", out,
	    rt_zapi_hello(RT_ZAPI_TYPE_EDGED, out));
}

static void
test_routes_as_zebra_took_them(void **state)
{
	uint8_t out[RT_ZAPI_OUT_MAX];
	struct rt_zapi_route v4 = route("192.0.2.10", 32);
	struct rt_zapi_route v6 = route("2001:db8::10", 128);

	(void)state;
	assert_written("sent-add-v4", out,
	    rt_zapi_route(true, RT_ZAPI_TYPE_EDGED, &v4, out));
	assert_written("sent-add-v6", out,
	    rt_zapi_route(true, RT_ZAPI_TYPE_EDGED, &v6, out));
	assert_written("sent-del-v4", out,
	    rt_zapi_route(false, RT_ZAPI_TYPE_EDGED, &v4, out));
}

static void
test_route_prefix_bytes(void **state)
{
	uint8_t out[RT_ZAPI_OUT_MAX];
	struct rt_zapi_route r = route("10.1.2.3", 20);
	size_t n;

	(void)state;
	/* a /20 carries 3 bytes of its address, as zebra's PSIZE */
	n = rt_zapi_route(false, RT_ZAPI_TYPE_EDGED, &r, out);
	assert_int_equal(n, 10 + 14 + 3);
	assert_int_equal(out[0] << 8 | out[1], n);
	assert_int_equal(out[10 + 13], 20);
	assert_memory_equal(out + 10 + 14, "\x0a\x01\x02", 3);
	r = route("::", 0);
	assert_int_equal(rt_zapi_route(true, RT_ZAPI_TYPE_EDGED, &r, out), 10 + 14 + 14);
}

static void
test_route_refused(void **state)
{
	uint8_t out[RT_ZAPI_OUT_MAX];
	struct rt_zapi_route r = route("192.0.2.1", 33);

	(void)state;
	assert_int_equal(rt_zapi_route(true, RT_ZAPI_TYPE_EDGED, &r, out), 0);
	r = route("2001:db8::1", 129);
	assert_int_equal(rt_zapi_route(false, RT_ZAPI_TYPE_EDGED, &r, out), 0);
	r = route("not an address", 32);
	assert_int_equal(rt_zapi_route(true, RT_ZAPI_TYPE_EDGED, &r, out), 0);
}

/* ---- what zebra sends ---- */

static long
frame(const struct blob *b, struct rt_zapi_msg *m)
{
	const char *why = NULL;
	long n = rt_zapi_frame(b->p, b->len, m, &why);

	assert_true(n >= 0);
	return n;
}

static void
test_frame_captures(void **state)
{
	static const struct {
		const char *name;
		uint16_t cmd;
	} want[] = {
		{ "recv-hello-cmd19", RT_ZAPI_CAPABILITIES },
		{ "recv-hello-cmd33", RT_ZAPI_VRF_ADD },
		{ "recv-add-v4-cmd10", RT_ZAPI_ROUTE_NOTIFY_OWNER },
		{ "recv-add-v6-cmd10", RT_ZAPI_ROUTE_NOTIFY_OWNER },
		{ "recv-del-v4-cmd10", RT_ZAPI_ROUTE_NOTIFY_OWNER },
		{ "recv-unknown-cmd118", RT_ZAPI_ERROR },
	};
	struct rt_zapi_msg m;
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct blob b = load(want[i].name);

		assert_int_equal(frame(&b, &m), (long)b.len);
		assert_int_equal(m.cmd, want[i].cmd);
		assert_int_equal(m.len, b.len - RT_ZAPI_HEADER);
		assert_ptr_equal(m.body, b.p + RT_ZAPI_HEADER);
		/* every shorter read waits for the rest */
		for (size_t n = 0; n < b.len; n++)
			assert_int_equal(rt_zapi_frame(b.p, n, &m, &why), 0);
		free(b.p);
	}
}

static void
test_frame_stream(void **state)
{
	struct blob a = load("recv-hello-cmd19"), b = load("recv-hello-cmd33");
	uint8_t *both = malloc(a.len + b.len);
	struct rt_zapi_msg m;
	const char *why;
	long n;

	(void)state;
	assert_non_null(both);
	memcpy(both, a.p, a.len);
	memcpy(both + a.len, b.p, b.len);
	n = rt_zapi_frame(both, a.len + b.len, &m, &why);
	assert_int_equal(n, (long)a.len);
	assert_int_equal(m.cmd, RT_ZAPI_CAPABILITIES);
	n = rt_zapi_frame(both + n, b.len, &m, &why);
	assert_int_equal(n, (long)b.len);
	assert_int_equal(m.cmd, RT_ZAPI_VRF_ADD);
	free(both);
	free(a.p);
	free(b.p);
}

static void
test_frame_refused(void **state)
{
	struct blob b = load("recv-hello-cmd19");
	struct rt_zapi_msg m;
	const char *why;
	uint8_t short_len[] = { 0x00, 0x09 }, long_len[] = { 0x40, 0x01 };

	(void)state;
	why = NULL;
	assert_int_equal(rt_zapi_frame(short_len, 2, &m, &why), -1);
	assert_non_null(why);
	why = NULL;
	assert_int_equal(rt_zapi_frame(long_len, 2, &m, &why), -1);
	assert_non_null(why);
	b.p[2] = 0xff;			/* marker */
	assert_int_equal(rt_zapi_frame(b.p, b.len, &m, &why), -1);
	assert_string_equal(why, "not a ZAPI message (marker)");
	b.p[2] = RT_ZAPI_MARKER;
	b.p[3] = 5;			/* version */
	assert_int_equal(rt_zapi_frame(b.p, b.len, &m, &why), -1);
	assert_string_equal(why, "a ZAPI version other than 6");
	free(b.p);
}

static void
test_capabilities(void **state)
{
	struct blob caps = load("recv-hello-cmd19");
	struct blob vrf = load("recv-hello-cmd33");
	struct rt_zapi_msg m;
	const char *why = NULL;

	(void)state;
	frame(&caps, &m);
	assert_int_equal(rt_zapi_capabilities(&m, &why), 0);
	/* FRR 10's zebra would be talking another numbering: whatever
	 * comes first that is not 8.4's CAPABILITIES is refused */
	frame(&vrf, &m);
	assert_int_equal(rt_zapi_capabilities(&m, &why), -1);
	assert_non_null(why);
	m = (struct rt_zapi_msg){ .cmd = RT_ZAPI_CAPABILITIES, .len = 11,
	    .body = caps.p };
	assert_int_equal(rt_zapi_capabilities(&m, &why), -1);
	free(caps.p);
	free(vrf.p);
}

static void
test_notify(void **state)
{
	static const struct {
		const char *name;
		enum rt_zapi_note note;
		const char *addr;
		uint8_t plen;
	} want[] = {
		{ "recv-add-v4-cmd10", RT_ZAPI_INSTALLED, "192.0.2.10", 32 },
		{ "recv-add-v6-cmd10", RT_ZAPI_INSTALLED, "2001:db8::10", 128 },
		{ "recv-del-v4-cmd10", RT_ZAPI_REMOVED, "192.0.2.10", 32 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct blob b = load(want[i].name);
		struct rt_zapi_route r, w = route(want[i].addr, want[i].plen);
		enum rt_zapi_note note;
		struct rt_zapi_msg m;
		const char *why = NULL;

		frame(&b, &m);
		assert_int_equal(rt_zapi_notify(&m, &note, &r, &why), 0);
		assert_int_equal(note, want[i].note);
		assert_int_equal(r.plen, want[i].plen);
		assert_int_equal(r.prefix.ss_family, w.prefix.ss_family);
		if (w.prefix.ss_family == AF_INET)
			assert_memory_equal(&((struct sockaddr_in *)
			    &r.prefix)->sin_addr, &((struct sockaddr_in *)
			    &w.prefix)->sin_addr, 4);
		else
			assert_memory_equal(&((struct sockaddr_in6 *)
			    &r.prefix)->sin6_addr, &((struct sockaddr_in6 *)
			    &w.prefix)->sin6_addr, 16);
		/* cut short by one byte, the body is out of shape */
		m.len--;
		assert_int_equal(rt_zapi_notify(&m, &note, &r, &why), -1);
		free(b.p);
	}
	assert_string_equal(rt_zapi_note_name(RT_ZAPI_INSTALLED),
	    "installed");
	assert_string_equal(rt_zapi_note_name((enum rt_zapi_note)9),
	    "unknown");
}

static void
test_notify_refused(void **state)
{
	struct blob b = load("recv-add-v4-cmd10");
	struct rt_zapi_route r;
	enum rt_zapi_note note;
	struct rt_zapi_msg m;
	const char *why = NULL;

	(void)state;
	frame(&b, &m);
	b.p[RT_ZAPI_HEADER + 4] = 7;	/* family */
	assert_int_equal(rt_zapi_notify(&m, &note, &r, &why), -1);
	b.p[RT_ZAPI_HEADER + 4] = 2;
	b.p[RT_ZAPI_HEADER + 5] = 33;	/* plen */
	assert_int_equal(rt_zapi_notify(&m, &note, &r, &why), -1);
	b.p[RT_ZAPI_HEADER + 5] = 32;
	memset(b.p + RT_ZAPI_HEADER, 0x7f, 4);	/* note */
	assert_int_equal(rt_zapi_notify(&m, &note, &r, &why), -1);
	m.cmd = RT_ZAPI_ERROR;
	assert_int_equal(rt_zapi_notify(&m, &note, &r, &why), -1);
	free(b.p);
}

static void
test_error(void **state)
{
	struct blob b = load("recv-unknown-cmd118");
	struct rt_zapi_msg m;
	const char *why = NULL;
	uint32_t code = 99;

	(void)state;
	frame(&b, &m);
	assert_int_equal(rt_zapi_error(&m, &code, &why), 0);
	assert_int_equal(code, 2);	/* a message type it does not know */
	m.len = 3;
	assert_int_equal(rt_zapi_error(&m, &code, &why), -1);
	free(b.p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_as_zebra_took_it),
		cmocka_unit_test(test_routes_as_zebra_took_them),
		cmocka_unit_test(test_route_prefix_bytes),
		cmocka_unit_test(test_route_refused),
		cmocka_unit_test(test_frame_captures),
		cmocka_unit_test(test_frame_stream),
		cmocka_unit_test(test_frame_refused),
		cmocka_unit_test(test_capabilities),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_notify_refused),
		cmocka_unit_test(test_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
