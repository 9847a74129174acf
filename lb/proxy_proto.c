/*
 * lb/proxy_proto.c - the PROXY protocol header (proxy_proto.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy_proto.h"

static const unsigned char v2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00,
    0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

/* sa's address as 16 bytes of IPv6 (IPv4 mapped), and its port. */
static void
as_v6(const struct sockaddr *sa, unsigned char a[16], uint16_t *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		memset(a, 0, 10);
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &s4->sin_addr, 4);
		*port = s4->sin_port;
	} else {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		memcpy(a, &s6->sin6_addr, 16);
		*port = s6->sin6_port;
	}
}

static bool
inet(const struct sockaddr *sa)
{
	return sa != NULL && (sa->sa_family == AF_INET ||
	    sa->sa_family == AF_INET6);
}

static size_t
header_v1(const struct sockaddr *src, const struct sockaddr *dst,
    unsigned char *out)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	unsigned char a[16], b[16];
	uint16_t sp, dp;
	bool four;
	int n;

	if (!inet(src) || !inet(dst))
		return (size_t)snprintf((char *)out, LB_PROXY_MAX,
		    "PROXY UNKNOWN\r\n");
	four = src->sa_family == AF_INET && dst->sa_family == AF_INET;
	as_v6(src, a, &sp);
	as_v6(dst, b, &dp);
	if (four) {
		inet_ntop(AF_INET, a + 12, s, sizeof(s));
		inet_ntop(AF_INET, b + 12, d, sizeof(d));
	} else {
		inet_ntop(AF_INET6, a, s, sizeof(s));
		inet_ntop(AF_INET6, b, d, sizeof(d));
	}
	n = snprintf((char *)out, LB_PROXY_MAX, "PROXY %s %s %s %u %u\r\n",
	    four ? "TCP4" : "TCP6", s, d, ntohs(sp), ntohs(dp));
	return n > 0 && n < LB_PROXY_MAX ? (size_t)n : 0;
}

static size_t
header_v2(const struct sockaddr *src, const struct sockaddr *dst,
    unsigned char *out)
{
	unsigned char a[16], b[16];
	uint16_t sp, dp, len;
	size_t n = 16;

	memcpy(out, v2_sig, sizeof(v2_sig));
	if (!inet(src) || !inet(dst)) {
		out[12] = 0x20;			/* version 2, LOCAL */
		out[13] = 0x00;			/* UNSPEC */
		out[14] = out[15] = 0;
		return n;
	}
	out[12] = 0x21;				/* version 2, PROXY */
	as_v6(src, a, &sp);
	as_v6(dst, b, &dp);
	if (src->sa_family == AF_INET && dst->sa_family == AF_INET) {
		out[13] = 0x11;			/* TCP over IPv4 */
		memcpy(out + n, a + 12, 4);
		memcpy(out + n + 4, b + 12, 4);
		n += 8;
	} else {
		out[13] = 0x21;			/* TCP over IPv6 */
		memcpy(out + n, a, 16);
		memcpy(out + n + 16, b, 16);
		n += 32;
	}
	memcpy(out + n, &sp, 2);		/* network order already */
	memcpy(out + n + 2, &dp, 2);
	n += 4;
	len = htons((uint16_t)(n - 16));
	memcpy(out + 14, &len, 2);
	return n;
}

size_t
lb_proxy_header(int version, const struct sockaddr *src,
    const struct sockaddr *dst, unsigned char *out)
{
	return version == 2 ? header_v2(src, dst, out) :
	    header_v1(src, dst, out);
}

int
lb_proxy_send(int fd, int version, const struct sockaddr *src,
    const struct sockaddr *dst)
{
	unsigned char h[LB_PROXY_MAX];
	size_t n = lb_proxy_header(version, src, dst, h);
	ssize_t w = send(fd, h, n, MSG_NOSIGNAL);

	if (w == (ssize_t)n)
		return 0;
	if (w >= 0)
		errno = EIO;
	return -1;
}
