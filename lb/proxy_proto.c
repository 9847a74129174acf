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

/* proxy-protocol.txt's numbers */
#define FAM_UNSPEC		0x00
#define FAM_TCP4		0x11
#define FAM_TCP6		0x21
#define FAM_UNIX		0x31
#define PP2_TYPE_ALPN		0x01
#define PP2_TYPE_AUTHORITY	0x02
#define PP2_TYPE_CRC32C		0x03
#define PP2_TYPE_SSL		0x20
#define PP2_SUBTYPE_SSL_VERSION	0x21
#define PP2_SUBTYPE_SSL_CIPHER	0x23
#define PP2_CLIENT_SSL		0x01
#define PP2_CLIENT_CERT_CONN	0x02
#define PP2_CLIENT_CERT_SESS	0x04
#define V1_MAX			107

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

/* A TLV of type and len value bytes at out: its length, 0 when it does
 * not fit a byte length (the TLVs edged sends are all short). */
static size_t
put_tlv(unsigned char *out, unsigned type, const void *value, size_t len)
{
	if (len > 255)
		return 0;
	out[0] = (unsigned char)type;
	out[1] = 0;
	out[2] = (unsigned char)len;
	memcpy(out + 3, value, len);
	return 3 + len;
}

static size_t
put_str_tlv(unsigned char *out, unsigned type, const char *s)
{
	return s != NULL && s[0] != '\0' ? put_tlv(out, type, s, strlen(s)) :
	    0;
}

/* PP2_TYPE_SSL: the client's flags, whether a certificate was verified
 * (0: one was; edged verifies none it passes through), and the version
 * and cipher as sub-TLVs. */
static size_t
put_ssl_tlv(unsigned char *out, const struct lb_proxy_tlvs *t)
{
	size_t n = 3;

	out[0] = PP2_TYPE_SSL;
	out[n++] = PP2_CLIENT_SSL | (t->ssl_cert ? PP2_CLIENT_CERT_CONN |
	    PP2_CLIENT_CERT_SESS : 0);
	memset(out + n, 0, 4);
	out[n + 3] = t->ssl_cert ? 0 : 1;
	n += 4;
	n += put_str_tlv(out + n, PP2_SUBTYPE_SSL_VERSION, t->ssl_version);
	n += put_str_tlv(out + n, PP2_SUBTYPE_SSL_CIPHER, t->ssl_cipher);
	out[1] = (unsigned char)((n - 3) >> 8);
	out[2] = (unsigned char)(n - 3);
	return n;
}

static size_t
put_tlvs(unsigned char *out, const struct lb_proxy_tlvs *t)
{
	size_t n = 0;

	if (t == NULL)
		return 0;
	n += put_str_tlv(out + n, PP2_TYPE_ALPN, t->alpn);
	n += put_str_tlv(out + n, PP2_TYPE_AUTHORITY, t->authority);
	if (t->ssl)
		n += put_ssl_tlv(out + n, t);
	return n;
}

static size_t
header_v2(const struct sockaddr *src, const struct sockaddr *dst,
    const struct lb_proxy_tlvs *tlvs, unsigned char *out)
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
		out[13] = FAM_TCP4;
		memcpy(out + n, a + 12, 4);
		memcpy(out + n + 4, b + 12, 4);
		n += 8;
	} else {
		out[13] = FAM_TCP6;
		memcpy(out + n, a, 16);
		memcpy(out + n + 16, b, 16);
		n += 32;
	}
	memcpy(out + n, &sp, 2);		/* network order already */
	memcpy(out + n + 2, &dp, 2);
	n += 4;
	n += put_tlvs(out + n, tlvs);
	len = htons((uint16_t)(n - 16));
	memcpy(out + 14, &len, 2);
	return n;
}

size_t
lb_proxy_header(int version, const struct sockaddr *src,
    const struct sockaddr *dst, const struct lb_proxy_tlvs *tlvs,
    unsigned char *out)
{
	return version == 2 ? header_v2(src, dst, tlvs, out) :
	    header_v1(src, dst, out);
}

int
lb_proxy_send(int fd, int version, const struct sockaddr *src,
    const struct sockaddr *dst, const struct lb_proxy_tlvs *tlvs)
{
	unsigned char h[LB_PROXY_MAX];
	size_t n = lb_proxy_header(version, src, dst, tlvs, h);
	ssize_t w = send(fd, h, n, MSG_NOSIGNAL);

	if (w == (ssize_t)n)
		return 0;
	if (w >= 0)
		errno = EIO;
	return -1;
}

/* ---- reading a client's header ---- */

static long
refuse(const char **why, const char *what)
{
	*why = what;
	return -1;
}

/* The next word of a version 1 line at *p (before end), ending at a
 * space or the end, copied into w (size bytes): false when it is empty
 * or does not fit. */
static bool
v1_word(const char **p, const char *end, char *w, size_t size)
{
	const char *q = *p;
	size_t n;

	while (q < end && *q != ' ')
		q++;
	n = (size_t)(q - *p);
	if (n == 0 || n >= size)
		return false;
	memcpy(w, *p, n);
	w[n] = '\0';
	*p = q < end ? q + 1 : q;
	return true;
}

/* A port in decimal: 0 to 65535, digits only. */
static bool
v1_port(const char *w, uint16_t *port)
{
	unsigned long v = 0;

	for (const char *c = w; *c != '\0'; c++) {
		if (*c < '0' || *c > '9' || c - w >= 5)
			return false;
		v = v * 10 + (unsigned long)(*c - '0');
	}
	if (v > 65535)
		return false;
	*port = htons((uint16_t)v);
	return true;
}

/* The address word w of family into ss, with port. */
static bool
v1_addr(int family, const char *w, uint16_t port,
    struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = port;
		return inet_pton(AF_INET, w, &s4->sin_addr) == 1;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = port;
		return inet_pton(AF_INET6, w, &s6->sin6_addr) == 1;
	}
}

/* "PROXY TCP4|TCP6 SRC DST SPORT DPORT" or "PROXY UNKNOWN ...", the
 * line without its CRLF. */
static long
v1_line(const char *line, size_t len, struct lb_proxy_info *out,
    const char **why)
{
	const char *p = line + 6, *end = line + len;
	char proto[8], s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], sp[8], dp[8];
	uint16_t sport, dport;
	int family;

	out->version = 1;
	if (!v1_word(&p, end, proto, sizeof(proto)))
		return refuse(why, "version 1 header without a protocol");
	if (strcmp(proto, "UNKNOWN") == 0)
		return (long)len + 2;	/* the rest is the sender's */
	if (strcmp(proto, "TCP4") != 0 && strcmp(proto, "TCP6") != 0)
		return refuse(why, "version 1 protocol neither TCP4, TCP6 "
		    "nor UNKNOWN");
	family = proto[3] == '4' ? AF_INET : AF_INET6;
	if (!v1_word(&p, end, s, sizeof(s)) ||
	    !v1_word(&p, end, d, sizeof(d)) ||
	    !v1_word(&p, end, sp, sizeof(sp)) ||
	    !v1_word(&p, end, dp, sizeof(dp)) || p != end ||
	    end[-1] == ' ')
		return refuse(why, "version 1 header without its four "
		    "fields");
	if (!v1_port(sp, &sport) || !v1_port(dp, &dport))
		return refuse(why, "version 1 port not a number up to 65535");
	if (!v1_addr(family, s, sport, &out->src) ||
	    !v1_addr(family, d, dport, &out->dst))
		return refuse(why, "version 1 address not of its protocol");
	out->addresses = true;
	return (long)len + 2;
}

static long
parse_v1(const unsigned char *in, size_t len, struct lb_proxy_info *out,
    const char **why)
{
	/* the CR at V1_MAX - 2 at the latest, its LF after it */
	size_t n = len < V1_MAX - 1 ? len : V1_MAX - 1;

	if (memcmp(in, "PROXY ", len < 6 ? len : 6) != 0)
		return refuse(why, "not a PROXY protocol header");
	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\r' && i + 1 == len)
			return 0;
		if (in[i] == '\r' && in[i + 1] != '\n')
			return refuse(why, "version 1 header with a CR "
			    "alone");
		if (in[i] == '\r')
			return v1_line((const char *)in, i, out, why);
		if (in[i] < 0x20 || in[i] > 0x7e)
			return refuse(why, "version 1 header with a byte "
			    "that is not printable");
	}
	return len < V1_MAX - 1 ? 0 : refuse(why, "version 1 header "
	    "longer than 107 bytes");
}

/* CRC-32C (Castagnoli, reflected), bit by bit: only a header that
 * carries a checksum pays for it. */
static uint32_t
crc32c(const unsigned char *p, size_t len, size_t zero_at)
{
	uint32_t crc = 0xffffffff;

	for (size_t i = 0; i < len; i++) {
		crc ^= i >= zero_at && i < zero_at + 4 ? 0 : p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78 & (0u - (crc & 1)));
	}
	return ~crc;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* A run of TLVs in p[from..to) that fills it exactly. */
static bool
tlvs_fit(const unsigned char *p, size_t from, size_t to)
{
	while (from < to) {
		if (to - from < 3)
			return false;
		from += 3 + ((size_t)p[from + 1] << 8 | p[from + 2]);
	}
	return from == to;
}

static long
v2_tlv(const unsigned char *h, size_t at, size_t total,
    struct lb_proxy_info *out, const char **why)
{
	unsigned type = h[at];
	size_t len = (size_t)h[at + 1] << 8 | h[at + 2];
	const unsigned char *v = h + at + 3;

	switch (type) {
	case PP2_TYPE_AUTHORITY:
		if (len >= sizeof(out->authority) || memchr(v, 0, len))
			return refuse(why, "version 2 authority TLV longer "
			    "than 255 bytes or with a NUL");
		memcpy(out->authority, v, len);
		out->authority[len] = '\0';
		return 0;
	case PP2_TYPE_CRC32C:
		if (len != 4 || crc32c(h, total, at + 3) != be32(v))
			return refuse(why, "version 2 CRC32C TLV does not "
			    "match the header");
		return 0;
	case PP2_TYPE_SSL:
		if (len < 5 || !tlvs_fit(h, at + 3 + 5, at + 3 + len))
			return refuse(why, "version 2 SSL TLV malformed");
		out->ssl = (v[0] & PP2_CLIENT_SSL) != 0;
		return 0;
	default:
		return 0;		/* skipped, as the protocol asks */
	}
}

/* The address block's length for family, -1 for one edged does not
 * take on a TCP connection. */
static long
v2_addr_len(unsigned family)
{
	switch (family) {
	case FAM_UNSPEC:
		return 0;
	case FAM_TCP4:
		return 12;
	case FAM_TCP6:
		return 36;
	case FAM_UNIX:
		return 216;
	default:
		return -1;
	}
}

static void
v2_addresses(const unsigned char *a, unsigned family,
    struct lb_proxy_info *out)
{
	memset(&out->src, 0, sizeof(out->src));
	memset(&out->dst, 0, sizeof(out->dst));
	if (family == FAM_TCP4) {
		struct sockaddr_in *s = (void *)&out->src, *d = (void *)&out->dst;

		s->sin_family = d->sin_family = AF_INET;
		memcpy(&s->sin_addr, a, 4);
		memcpy(&d->sin_addr, a + 4, 4);
		memcpy(&s->sin_port, a + 8, 2);
		memcpy(&d->sin_port, a + 10, 2);
	} else {
		struct sockaddr_in6 *s = (void *)&out->src,
		    *d = (void *)&out->dst;

		s->sin6_family = d->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, a, 16);
		memcpy(&d->sin6_addr, a + 16, 16);
		memcpy(&s->sin6_port, a + 32, 2);
		memcpy(&d->sin6_port, a + 34, 2);
	}
	out->addresses = true;
}

/* The version 2 header, whole (total bytes); its fixed part checked. */
static long
v2_body(const unsigned char *h, size_t total, struct lb_proxy_info *out,
    const char **why)
{
	bool proxy = (h[12] & 0x0f) == 1;
	long alen = v2_addr_len(h[13]);
	size_t at;

	if (alen < 0 && proxy)
		return refuse(why, (h[13] & 0x0f) == 2 ? "version 2 header "
		    "of a datagram on a TCP connection" : "version 2 address "
		    "family unknown");
	if (alen < 0)			/* LOCAL: the addresses are unread */
		alen = (long)total - 16;
	if ((size_t)alen > total - 16)
		return refuse(why, "version 2 header shorter than its "
		    "addresses");
	if (proxy && (h[13] == FAM_TCP4 || h[13] == FAM_TCP6))
		v2_addresses(h + 16, h[13], out);
	at = 16 + (size_t)alen;
	if (!tlvs_fit(h, at, total))
		return refuse(why, "version 2 TLVs do not fill the header");
	for (; at < total; at += 3 + ((size_t)h[at + 1] << 8 | h[at + 2]))
		if (v2_tlv(h, at, total, out, why) < 0)
			return -1;
	return (long)total;
}

static long
parse_v2(const unsigned char *in, size_t len, struct lb_proxy_info *out,
    const char **why)
{
	size_t total;

	if (memcmp(in, v2_sig, len < 12 ? len : 12) != 0)
		return refuse(why, "not a PROXY protocol header");
	if (len < 16)
		return 0;
	out->version = 2;
	if ((in[12] >> 4) != 2)
		return refuse(why, "version 2 signature with another "
		    "version");
	if ((in[12] & 0x0f) > 1)
		return refuse(why, "version 2 command neither LOCAL nor "
		    "PROXY");
	total = 16 + ((size_t)in[14] << 8 | in[15]);
	if (total > LB_PROXY_IN_MAX)
		return refuse(why, "version 2 header longer than 4096 bytes");
	if (len < total)
		return 0;
	return v2_body(in, total, out, why);
}

long
lb_proxy_parse(const unsigned char *in, size_t len,
    struct lb_proxy_info *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (len == 0)
		return 0;
	return in[0] == v2_sig[0] ? parse_v2(in, len, out, why) :
	    parse_v1(in, len, out, why);
}
