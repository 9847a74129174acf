/*
 * tests/unit/lb/test_proxy_proto.c - the PROXY protocol (lb/proxy_proto.c)
 * against HAProxy's proxy-protocol.txt.  The headers edged sends
 * members, byte for byte: version 1's text line, version 2's signature,
 * command, family, address block and TLVs, for IPv4, IPv6, a mix, and
 * addresses of no internet family.  The headers edged reads from
 * clients (accept-proxy): what each says, that every prefix of one asks
 * for more, and the refusals, one per rule.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/un.h>

#include <cmocka.h>

#include "proxy_proto.h"

static const unsigned char sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
    0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

static struct sockaddr_in
v4(const char *a, unsigned port)
{
	struct sockaddr_in s = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port) };

	assert_int_equal(inet_pton(AF_INET, a, &s.sin_addr), 1);
	return s;
}

static struct sockaddr_in6
v6(const char *a, unsigned port)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6,
	    .sin6_port = htons((uint16_t)port) };

	assert_int_equal(inet_pton(AF_INET6, a, &s.sin6_addr), 1);
	return s;
}

static void
check_v1(const struct sockaddr *src, const struct sockaddr *dst,
    const char *want)
{
	unsigned char out[LB_PROXY_MAX];
	size_t n = lb_proxy_header(1, src, dst, NULL, out);

	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
}

static void
test_v1(void **state)
{
	struct sockaddr_in a = v4("192.0.2.7", 51234), b = v4("10.1.2.3", 443);
	struct sockaddr_in6 c = v6("2001:db8::1", 65535),
	    d = v6("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 1);
	struct sockaddr_un u = { .sun_family = AF_UNIX };

	(void)state;
	check_v1((void *)&a, (void *)&b,
	    "PROXY TCP4 192.0.2.7 10.1.2.3 51234 443\r\n");
	check_v1((void *)&c, (void *)&d, "PROXY TCP6 2001:db8::1 "
	    "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff 65535 1\r\n");
	/* an IPv4 client of an IPv6 listener: both as IPv6 */
	check_v1((void *)&a, (void *)&c,
	    "PROXY TCP6 ::ffff:192.0.2.7 2001:db8::1 51234 65535\r\n");
	check_v1((void *)&u, (void *)&b, "PROXY UNKNOWN\r\n");
	check_v1(NULL, (void *)&b, "PROXY UNKNOWN\r\n");
}

static void
test_v1_longest(void **state)
{
	struct sockaddr_in6 a = v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    65535);
	unsigned char out[LB_PROXY_MAX];

	(void)state;
	/* the text's own limit is 107 bytes */
	assert_int_equal(lb_proxy_header(1, (void *)&a, (void *)&a, NULL, out),
	    104);
	assert_memory_equal(out + 102, "\r\n", 2);
}

static void
test_v2(void **state)
{
	struct sockaddr_in a = v4("192.0.2.7", 51234), b = v4("10.1.2.3", 443);
	struct sockaddr_in6 c = v6("2001:db8::1", 8443);
	struct sockaddr_un u = { .sun_family = AF_UNIX };
	unsigned char out[LB_PROXY_MAX];
	const unsigned char four[] = { 0x21, 0x11, 0x00, 12, 192, 0, 2, 7,
	    10, 1, 2, 3, 0xc8, 0x22, 0x01, 0xbb };
	const unsigned char six[] = { 0x21, 0x21, 0x00, 36 };
	const unsigned char local[] = { 0x20, 0x00, 0x00, 0x00 };

	(void)state;
	assert_int_equal(lb_proxy_header(2, (void *)&a, (void *)&b, NULL,
	    out), 28);
	assert_memory_equal(out, sig, 12);
	assert_memory_equal(out + 12, four, sizeof(four));
	assert_int_equal(lb_proxy_header(2, (void *)&a, (void *)&c, NULL,
	    out), 52);
	assert_memory_equal(out + 12, six, sizeof(six));
	/* the client, IPv4-mapped, then the listener, then the ports */
	assert_memory_equal(out + 16, "\0\0\0\0\0\0\0\0\0\0\xff\xff\xc0\x00"
	    "\x02\x07", 16);
	assert_memory_equal(out + 32, &c.sin6_addr, 16);
	assert_memory_equal(out + 48, "\xc8\x22\x20\xfb", 4);
	assert_int_equal(lb_proxy_header(2, (void *)&u, (void *)&b, NULL,
	    out), 16);
	assert_memory_equal(out, sig, 12);
	assert_memory_equal(out + 12, local, sizeof(local));
}

/* What an https virtual server tells a member: ALPN, authority, then
 * SSL with its flags, verify, and version and cipher as sub-TLVs. */
static void
test_v2_tlvs(void **state)
{
	struct sockaddr_in a = v4("192.0.2.7", 51234), b = v4("10.1.2.3", 443);
	struct lb_proxy_tlvs t = { .authority = "www.example.com",
	    .alpn = "h2", .ssl = true, .ssl_version = "TLSv1.3",
	    .ssl_cipher = "TLS_AES_128_GCM_SHA256" };
	unsigned char out[LB_PROXY_MAX];
	const unsigned char tlvs[] = { 0x01, 0, 2, 'h', '2', 0x02, 0, 15,
	    'w', 'w', 'w', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c',
	    'o', 'm', 0x20, 0, 5 + 10 + 25, 0x01, 0, 0, 0, 1, 0x21, 0, 7,
	    'T', 'L', 'S', 'v', '1', '.', '3', 0x23, 0, 22 };
	size_t n = lb_proxy_header(2, (void *)&a, (void *)&b, &t, out);
	struct lb_proxy_info h;
	const char *why;

	(void)state;
	assert_int_equal(n, 28 + 5 + 18 + 3 + 40);
	assert_int_equal(out[14] << 8 | out[15], n - 16);
	assert_memory_equal(out + 28, tlvs, sizeof(tlvs));
	assert_memory_equal(out + 28 + sizeof(tlvs), "TLS_AES_128_GCM_SHA256",
	    22);
	/* read back as a client's */
	assert_int_equal(lb_proxy_parse(out, n, &h, &why), (long)n);
	assert_string_equal(h.authority, "www.example.com");
	assert_true(h.ssl);
	assert_true(h.addresses);
	assert_memory_equal(&h.src, &a, sizeof(a));
	/* version 1 carries none */
	assert_int_equal(lb_proxy_header(1, (void *)&a, (void *)&b, &t, out),
	    strlen("PROXY TCP4 192.0.2.7 10.1.2.3 51234 443\r\n"));
}

/* in (len bytes) is one header of length want followed by more: every
 * prefix of the header asks for more; the whole gives want. */
static void
check_parse(const void *in, size_t len, long want, struct lb_proxy_info *h)
{
	const char *why;

	for (size_t i = 0; i < (size_t)want; i++) {
		long r = lb_proxy_parse(in, i, h, &why);

		if (r != 0)
			fail_msg("prefix of %zu bytes gave %ld (%s)", i, r,
			    why ? why : "-");
	}
	assert_int_equal(lb_proxy_parse(in, len, h, &why), want);
}

static void
refused(const void *in, size_t len, const char *why_has)
{
	struct lb_proxy_info h;
	const char *why = NULL;

	assert_int_equal(lb_proxy_parse(in, len, &h, &why), -1);
	assert_non_null(why);
	if (strstr(why, why_has) == NULL)
		fail_msg("refused for '%s', not '%s'", why, why_has);
}

static void
refused_v1(const char *line, const char *why_has)
{
	refused(line, strlen(line), why_has);
}

static void
test_parse_v1(void **state)
{
	const char *four = "PROXY TCP4 192.0.2.7 10.1.2.3 51234 443\r\nGET /";
	const char *six = "PROXY TCP6 2001:db8::1 ::1 1 65535\r\n";
	const char *unknown = "PROXY UNKNOWN ffff::1 what ever\r\n\x16\x03";
	struct sockaddr_in a = v4("192.0.2.7", 51234), b = v4("10.1.2.3", 443);
	struct sockaddr_in6 c = v6("2001:db8::1", 1), d = v6("::1", 65535);
	struct lb_proxy_info h;

	(void)state;
	check_parse(four, strlen(four), 41, &h);
	assert_int_equal(h.version, 1);
	assert_true(h.addresses);
	assert_memory_equal(&h.src, &a, sizeof(a));
	assert_memory_equal(&h.dst, &b, sizeof(b));
	check_parse(six, strlen(six), (long)strlen(six), &h);
	assert_memory_equal(&h.src, &c, sizeof(c));
	assert_memory_equal(&h.dst, &d, sizeof(d));
	check_parse(unknown, strlen(unknown), (long)strlen(unknown) - 2, &h);
	assert_false(h.addresses);

	refused_v1("GET / HTTP/1.1\r\n", "not a PROXY");
	refused_v1("PROXX", "not a PROXY");
	refused_v1("PROXY TCP5 1.2.3.4 1.2.3.4 1 2\r\n", "neither TCP4");
	refused_v1("PROXY \r\n", "without a protocol");
	refused_v1("PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n", "four fields");
	refused_v1("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 3\r\n", "four fields");
	refused_v1("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 \r\n", "four fields");
	refused_v1("PROXY TCP4 1.2.3.4  1.2.3.4 1 2\r\n", "four fields");
	refused_v1("PROXY TCP4 1.2.3.4 1.2.3.4 1 65536\r\n", "port");
	refused_v1("PROXY TCP4 1.2.3.4 1.2.3.4 1 -2\r\n", "port");
	refused_v1("PROXY TCP4 1.2.3.4 1.2.3.4 1 000001\r\n", "port");
	refused_v1("PROXY TCP4 ::1 1.2.3.4 1 2\r\n", "address");
	refused_v1("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "address");
	refused_v1("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\rX", "CR alone");
	refused_v1("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n", "not printable");
}

/* The limit of 107 bytes, CRLF included: 105 bytes and a CRLF pass, a
 * 106th byte does not. */
static void
test_parse_v1_limit(void **state)
{
	char line[128];
	struct lb_proxy_info h;
	const char *why;

	(void)state;
	memset(line, 'x', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	memcpy(line + 105, "\r\n", 2);
	assert_int_equal(lb_proxy_parse((void *)line, 107, &h, &why), 107);
	memcpy(line + 105, "x\r\n", 3);
	refused(line, 108, "longer than 107");
	/* no CRLF in sight at 106 bytes: no need to wait for more */
	refused(line, 106, "longer than 107");
	assert_int_equal(lb_proxy_parse((void *)line, 105, &h, &why), 0);
}

static const unsigned char crc_ok[] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00,
    0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x13, 0xc0,
    0x00, 0x02, 0x07, 0x0a, 0x01, 0x02, 0x03, 0xc8, 0x22, 0x01, 0xbb, 0x03,
    0x00, 0x04, 0x71, 0xc1, 0xeb, 0x26 };

/* A version 2 header edged made, and others, with what follows. */
static void
test_parse_v2(void **state)
{
	struct sockaddr_in a = v4("192.0.2.7", 51234), b = v4("10.1.2.3", 443);
	struct sockaddr_in6 c = v6("2001:db8::1", 8443);
	unsigned char in[LB_PROXY_MAX + 8];
	struct lb_proxy_info h;
	size_t n;

	(void)state;
	n = lb_proxy_header(2, (void *)&a, (void *)&b, NULL, in);
	memcpy(in + n, "\x16\x03\x01", 3);
	check_parse(in, n + 3, (long)n, &h);
	assert_int_equal(h.version, 2);
	assert_memory_equal(&h.src, &a, sizeof(a));
	assert_memory_equal(&h.dst, &b, sizeof(b));
	n = lb_proxy_header(2, (void *)&c, (void *)&c, NULL, in);
	check_parse(in, n, (long)n, &h);
	assert_memory_equal(&h.src, &c, sizeof(c));
	/* LOCAL: the connection's own addresses */
	n = lb_proxy_header(2, NULL, (void *)&b, NULL, in);
	check_parse(in, n, 16, &h);
	assert_false(h.addresses);
	/* a checksum that matches (computed apart, with Python) */
	check_parse(crc_ok, sizeof(crc_ok), sizeof(crc_ok), &h);
	assert_memory_equal(&h.src, &a, sizeof(a));
}

static void
test_parse_v2_refused(void **state)
{
	unsigned char in[sizeof(crc_ok)];

	(void)state;
	memcpy(in, crc_ok, sizeof(in));
	in[34] ^= 1;
	refused(in, sizeof(in), "CRC32C");
	memcpy(in, crc_ok, sizeof(in));
	in[5] = 'x';
	refused(in, sizeof(in), "not a PROXY");
	memcpy(in, crc_ok, sizeof(in));
	in[12] = 0x31;
	refused(in, sizeof(in), "another version");
	in[12] = 0x22;
	refused(in, sizeof(in), "neither LOCAL nor PROXY");
	memcpy(in, crc_ok, sizeof(in));
	in[13] = 0x12;				/* UDP over IPv4 */
	refused(in, sizeof(in), "datagram");
	in[13] = 0x41;
	refused(in, sizeof(in), "family unknown");
	memcpy(in, crc_ok, sizeof(in));
	in[15] = 0x14;				/* one byte more than sent */
	assert_int_equal(lb_proxy_parse(in, sizeof(in), &(struct
	    lb_proxy_info){ 0 }, &(const char *){ NULL }), 0);
	in[15] = 0x12;				/* the TLV cut short */
	refused(in, sizeof(in), "do not fill");
	in[15] = 0x08;				/* shorter than IPv4's 12 */
	refused(in, sizeof(in), "shorter than its addresses");
	in[14] = 0x10;				/* 4096 + 16 */
	in[15] = 0x00;
	refused(in, sizeof(in), "longer than 4096");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1),
		cmocka_unit_test(test_v1_longest),
		cmocka_unit_test(test_v2),
		cmocka_unit_test(test_v2_tlvs),
		cmocka_unit_test(test_parse_v1),
		cmocka_unit_test(test_parse_v1_limit),
		cmocka_unit_test(test_parse_v2),
		cmocka_unit_test(test_parse_v2_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
