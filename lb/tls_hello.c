/*
 * lb/tls_hello.c - the ClientHello of SSL passthrough: which name the
 * client asks for, read from bytes that are then forwarded unchanged.
 *
 * The hello comes as TLS records, possibly several, each with a header
 * of its own between fragments of the one handshake message.  Rather
 * than copy the fragments together, a reader walks the records and
 * hands out the handshake bytes in order, counting them in `off` (the
 * handshake offset) apart from `pos` (the offset in buf).  Each length
 * field opens a container (rd_enter) that no read may cross and that
 * must be read to its end (rd_leave), so a length that does not fit
 * where it stands is an error where it is read, never a read past it.
 *
 * The first problem met is the answer: reads after it return 0 and
 * move nothing, so the checks that follow, made on those zeroes, change
 * nothing.  Running out of bytes is such a problem (MORE), and every
 * check is made as soon as its bytes are there, so MORE means that all
 * the bytes received passed every check they allow.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tls_hello.h"

#define TLS_RECORD_HANDSHAKE	22
#define TLS_RECORD_HEADER	5
#define TLS_RECORD_MAX		16384	/* 2^14, RFC 8446 5.1 */
#define TLS_HS_CLIENT_HELLO	1
#define TLS_HS_SERVER_HELLO	2
#define TLS_HS_HEADER		4
#define TLS_RANDOM		32
#define TLS_SESSION_ID_MAX	32
#define TLS_VERSION_MAJOR	3
#define TLS_VERSION_13		0x0304

#define EXT_SERVER_NAME		0
#define EXT_ALPN		16
#define EXT_PRE_SHARED_KEY	41
#define EXT_SUPPORTED_VERSIONS	43
#define EXT_ECH			0xfe0d

#define SNI_HOST_NAME		0
#define DNS_LABEL_MAX		63

/* The handshake bytes of buf, read across the records that carry them. */
struct hello_rd {
	const uint8_t *buf;
	size_t len;		/* bytes received */
	size_t max;		/* bytes the records may take */
	size_t pos;		/* next byte of buf */
	size_t rec_left;	/* bytes of the current record still unread */
	size_t off;		/* handshake bytes read */
	size_t lim;		/* handshake offset where the innermost
				 * container ends */
	size_t msg_end;		/* handshake offset where the hello
				 * ends; 0 until its header is read */
	enum lb_hello_result res; /* the first problem; OK while none */
};

/* Notes a problem, unless one came before.  Returns false. */
static bool
rd_fail(struct hello_rd *rd, enum lb_hello_result res)
{
	if (rd->res == LB_HELLO_OK)
		rd->res = res;
	return false;
}

static bool
rd_ok(const struct hello_rd *rd)
{
	return rd->res == LB_HELLO_OK;
}

/* Bytes of the innermost container still unread. */
static size_t
rd_left(const struct hello_rd *rd)
{
	return rd->lim - rd->off;
}

/* Whether all is well and the innermost container has bytes left. */
static bool
rd_within(const struct hello_rd *rd)
{
	return rd_ok(rd) && rd->off < rd->lim;
}

/* Whether n bytes from pos on end within max. */
static bool
rd_fits(const struct hello_rd *rd, size_t n)
{
	return rd->pos <= rd->max && n <= rd->max - rd->pos;
}

/*
 * Steps over the header of the next record, which must carry more of
 * the ClientHello: a handshake record of 1 to 2^14 bytes that ends
 * within the message (once its length is known) and within max, with a
 * version 3.x (servers take any minor in a first flight; RFC 8446 5.1).
 */
static bool
rd_record(struct hello_rd *rd)
{
	const uint8_t *h = rd->buf + rd->pos;
	size_t have = rd->len - rd->pos;
	/* handshake bytes still to come (at least 1 while unknown) */
	size_t need = rd->msg_end > 0 ? rd->msg_end - rd->off : 1;
	size_t rlen;

	/* first what needs no byte, so that more bytes change no answer */
	if (!rd_fits(rd, TLS_RECORD_HEADER + need))
		return rd_fail(rd, LB_HELLO_TOO_BIG);
	if ((have > 0 && h[0] != TLS_RECORD_HANDSHAKE) ||
	    (have > 1 && h[1] != TLS_VERSION_MAJOR))
		return rd_fail(rd, LB_HELLO_BAD);
	if (have < TLS_RECORD_HEADER)
		return rd_fail(rd, LB_HELLO_MORE);
	rlen = (size_t)h[3] << 8 | h[4];
	if (rlen == 0 || rlen > TLS_RECORD_MAX ||
	    (rd->msg_end > 0 && rlen > need))
		return rd_fail(rd, LB_HELLO_BAD);
	if (!rd_fits(rd, TLS_RECORD_HEADER + rlen))
		return rd_fail(rd, LB_HELLO_TOO_BIG);
	rd->pos += TLS_RECORD_HEADER;
	rd->rec_left = rlen;
	return true;
}

/* Whether the next handshake byte is inside the container and here. */
static bool
rd_ready(struct hello_rd *rd)
{
	if (!rd_ok(rd))
		return false;
	if (rd->off >= rd->lim)
		return rd_fail(rd, LB_HELLO_BAD);
	if (rd->rec_left == 0 && !rd_record(rd))
		return false;
	if (rd->pos >= rd->len)
		return rd_fail(rd, LB_HELLO_MORE);
	return true;
}

static uint8_t
rd_u8(struct hello_rd *rd)
{
	if (!rd_ready(rd))
		return 0;
	rd->off++;
	rd->rec_left--;
	return rd->buf[rd->pos++];
}

static size_t
rd_u16(struct hello_rd *rd)
{
	size_t hi = rd_u8(rd);

	return hi << 8 | rd_u8(rd);
}

static size_t
rd_u24(struct hello_rd *rd)
{
	size_t hi = rd_u8(rd);

	return hi << 16 | rd_u16(rd);
}

/* Skips n bytes, which the container must hold, record after record. */
static void
rd_skip(struct hello_rd *rd, size_t n)
{
	if (n > rd_left(rd))
		rd_fail(rd, LB_HELLO_BAD);
	while (n > 0 && rd_ready(rd)) {
		size_t k = n;

		if (k > rd->rec_left)
			k = rd->rec_left;
		if (k > rd->len - rd->pos)
			k = rd->len - rd->pos;
		rd->pos += k;
		rd->off += k;
		rd->rec_left -= k;
		n -= k;
	}
}

/*
 * Narrows reading to the next n bytes, which the current container must
 * hold.  Returns where the current container ends, for rd_leave.
 */
static size_t
rd_enter(struct hello_rd *rd, size_t n)
{
	size_t outer = rd->lim;

	if (n > rd_left(rd))
		rd_fail(rd, LB_HELLO_BAD);
	else
		rd->lim = rd->off + n;
	return outer;
}

/* Back to the outer container once the inner one is read to its end. */
static void
rd_leave(struct hello_rd *rd, size_t outer)
{
	if (rd->off != rd->lim)
		rd_fail(rd, LB_HELLO_BAD);
	rd->lim = outer;
}

/*
 * Enters the vector that comes next: its length in width (1 or 2)
 * bytes, which must be from min to max.
 */
static size_t
rd_vector(struct hello_rd *rd, unsigned width, size_t min, size_t max)
{
	size_t n = width == 1 ? rd_u8(rd) : rd_u16(rd);

	if (n < min || n > max)
		rd_fail(rd, LB_HELLO_BAD);
	return rd_enter(rd, n);
}

/*
 * Enters the ClientHello's body once its header says it is n bytes: the
 * record its header ended in may hold nothing after it (the client
 * sends no other handshake message before the server answers), and its
 * records must fit in max, at least one header more if it goes on past
 * this record.
 */
static void
rd_message(struct hello_rd *rd, size_t n)
{
	size_t need = n <= rd->rec_left ? n : TLS_RECORD_HEADER + n;

	if (!rd_ok(rd))
		return;
	if (rd->rec_left > n)
		rd_fail(rd, LB_HELLO_BAD);
	else if (!rd_fits(rd, need))
		rd_fail(rd, LB_HELLO_TOO_BIG);
	rd->msg_end = rd->off + n;
	rd->lim = rd->msg_end;
}

static bool
dns_ldh(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

static char
dns_lower(uint8_t c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

/*
 * Whether c may come next in a DNS name whose current label has *label
 * bytes so far, prev the last of them: labels of 1 to 63 letters,
 * digits and hyphens, no hyphen first or last (RFC 1123 2.1, RFC 5890
 * 2.3.1).
 */
static bool
dns_next(uint8_t c, size_t *label, char prev)
{
	bool ok;

	if (c == '.') {
		ok = *label > 0 && prev != '-';
		*label = 0;
		return ok;
	}
	if (!dns_ldh(c) || (c == '-' && *label == 0))
		return false;
	return ++*label <= DNS_LABEL_MAX;
}

/*
 * The host_name, the whole container: copied lowercased into dst, which
 * has LB_HELLO_SNI_MAX + 1 bytes, as a DNS name of at most 253 bytes
 * once a trailing dot is dropped (RFC 6066 3 says there is none; some
 * clients send what they were given).  Anything else is refused rather
 * than routed: a name we cannot read must not reach a default pool.
 */
static void
sni_read(struct hello_rd *rd, char *dst)
{
	size_t n = 0, label = 0;

	while (rd_within(rd) && n <= LB_HELLO_SNI_MAX) {
		uint8_t c = rd_u8(rd);

		if (!dns_next(c, &label, n > 0 ? dst[n - 1] : '.'))
			rd_fail(rd, LB_HELLO_BAD);
		dst[n++] = dns_lower(c);
	}
	if (n > 0 && dst[n - 1] == '.')
		n--;
	if (n == 0 || n > LB_HELLO_SNI_MAX || dst[n - 1] == '-') {
		rd_fail(rd, LB_HELLO_BAD);
		n = 0;
	}
	dst[n] = '\0';
}

/*
 * server_name (RFC 6066 3): a list of exactly one entry, a host_name.
 * The RFC leaves room for other name types and more entries, but none
 * was ever defined and servers (OpenSSL) refuse them too; a second
 * host_name would leave the route in doubt.
 */
static void
ext_server_name(struct hello_rd *rd, struct lb_tls_hello *out)
{
	size_t list = rd_vector(rd, 2, 1, UINT16_MAX);
	size_t name;

	if (rd_u8(rd) != SNI_HOST_NAME)
		rd_fail(rd, LB_HELLO_BAD);
	name = rd_vector(rd, 2, 1, LB_HELLO_SNI_MAX + 1);
	sni_read(rd, out->sni);
	rd_leave(rd, name);
	rd_leave(rd, list);
	out->has_sni = true;
}

/*
 * supported_versions (RFC 8446 4.2.1): 1 to 127 versions.  GREASE
 * values (0x?a?a, RFC 8701) and drafts (0x7fxx) are not 0x03xx and do
 * not count for max_version.
 */
static void
ext_versions(struct hello_rd *rd, struct lb_tls_hello *out)
{
	size_t list = rd_vector(rd, 1, 2, 254);

	if (rd_left(rd) % 2 != 0)
		rd_fail(rd, LB_HELLO_BAD);
	out->max_version = 0;
	while (rd_within(rd)) {
		uint16_t v = (uint16_t)rd_u16(rd);

		if (v == TLS_VERSION_13)
			out->tls13 = true;
		if ((v >> 8) == TLS_VERSION_MAJOR && v > out->max_version)
			out->max_version = v;
	}
	rd_leave(rd, list);
}

/* One protocol name, the whole container: kept if there is room. */
static void
alpn_keep(struct hello_rd *rd, struct lb_tls_hello *out)
{
	size_t n = rd_left(rd);

	if (n + 1 > sizeof(out->alpn) - out->alpn_len) {
		out->alpn_cut = true;
		rd_skip(rd, n);
		return;
	}
	out->alpn[out->alpn_len++] = (uint8_t)n;
	while (rd_within(rd))
		out->alpn[out->alpn_len++] = rd_u8(rd);
}

/* application_layer_protocol_negotiation (RFC 7301 3.1): a list of one
 * or more names of 1 to 255 bytes. */
static void
ext_alpn(struct hello_rd *rd, struct lb_tls_hello *out)
{
	size_t list = rd_vector(rd, 2, 2, UINT16_MAX);

	while (rd_within(rd)) {
		size_t name = rd_vector(rd, 1, 1, UINT8_MAX);

		alpn_keep(rd, out);
		rd_leave(rd, name);
	}
	rd_leave(rd, list);
	out->has_alpn = true;
}

/* One extension's body, the whole container. */
static void
hello_extension(struct hello_rd *rd, unsigned type, struct lb_tls_hello *out)
{
	switch (type) {
	case EXT_SERVER_NAME:
		ext_server_name(rd, out);
		break;
	case EXT_SUPPORTED_VERSIONS:
		ext_versions(rd, out);
		break;
	case EXT_ALPN:
		ext_alpn(rd, out);
		break;
	case EXT_ECH:
		/* opaque to us: the name to route on stays the outer one */
		out->ech = true;
		rd_skip(rd, rd_left(rd));
		break;
	default:
		rd_skip(rd, rd_left(rd));
		break;
	}
}

/*
 * Notes one more extension's type: false when it came before (RFC 8446
 * 4.2), when it follows pre_shared_key, which must be last (4.2.11), or
 * when there are more than LB_HELLO_EXT_MAX.
 */
static bool
ext_new(uint16_t *seen, size_t *n, unsigned type)
{
	if (*n == LB_HELLO_EXT_MAX)
		return false;
	if (*n > 0 && seen[*n - 1] == EXT_PRE_SHARED_KEY)
		return false;
	for (size_t i = 0; i < *n; i++) {
		if (seen[i] == type)
			return false;
	}
	seen[(*n)++] = (uint16_t)type;
	return true;
}

/* The extensions, the rest of the ClientHello; unknown ones skipped. */
static void
hello_extensions(struct hello_rd *rd, struct lb_tls_hello *out)
{
	uint16_t seen[LB_HELLO_EXT_MAX];
	size_t nseen = 0;
	size_t all = rd_vector(rd, 2, 0, UINT16_MAX);

	while (rd_within(rd)) {
		unsigned type = (unsigned)rd_u16(rd);
		size_t ext;

		if (!ext_new(seen, &nseen, type))
			rd_fail(rd, LB_HELLO_BAD);
		ext = rd_vector(rd, 2, 0, UINT16_MAX);
		hello_extension(rd, type, out);
		rd_leave(rd, ext);
	}
	rd_leave(rd, all);
}

/* legacy_compression_methods: must offer null (RFC 5246 7.4.1.2). */
static void
hello_compression(struct hello_rd *rd)
{
	size_t methods = rd_vector(rd, 1, 1, UINT8_MAX);
	bool null = false;

	while (rd_within(rd)) {
		if (rd_u8(rd) == 0)
			null = true;
	}
	if (!null)
		rd_fail(rd, LB_HELLO_BAD);
	rd_leave(rd, methods);
}

/* legacy_session_id (ClientHello) or legacy_session_id_echo
 * (ServerHello): up to 32 bytes, kept for ssl-session-id persistence. */
static void
hello_session_id(struct hello_rd *rd, uint8_t *id, uint8_t *idlen)
{
	size_t v = rd_vector(rd, 1, 0, TLS_SESSION_ID_MAX);

	*idlen = 0;
	while (rd_within(rd) && *idlen < TLS_SESSION_ID_MAX)
		id[(*idlen)++] = (uint8_t)rd_u8(rd);
	if (!rd_ok(rd))
		*idlen = 0;
	rd_leave(rd, v);
}

/* cipher_suites: one or more, of two bytes each. */
static void
hello_cipher_suites(struct hello_rd *rd)
{
	size_t suites = rd_vector(rd, 2, 2, UINT16_MAX - 1);

	if (rd_left(rd) % 2 != 0)
		rd_fail(rd, LB_HELLO_BAD);
	rd_skip(rd, rd_left(rd));
	rd_leave(rd, suites);
}

/*
 * The ClientHello's body (RFC 8446 4.1.2, RFC 5246 7.4.1.2): before TLS
 * 1.3 a hello may end after its compression methods, with no
 * extensions at all.
 */
static void
hello_body(struct hello_rd *rd, struct lb_tls_hello *out)
{
	out->legacy_version = (uint16_t)rd_u16(rd);
	out->max_version = out->legacy_version;
	if ((out->legacy_version >> 8) != TLS_VERSION_MAJOR)
		rd_fail(rd, LB_HELLO_BAD);
	rd_skip(rd, TLS_RANDOM);
	hello_session_id(rd, out->session_id, &out->session_id_len);
	hello_cipher_suites(rd);
	hello_compression(rd);
	if (rd_within(rd))
		hello_extensions(rd, out);
}

/* A reader of the first handshake record in buf[0..len) (max: the most
 * a hello may take), at the body of its first message, which must be
 * of the given type (else the reader has failed, LB_HELLO_BAD).
 * Returns LB_HELLO_OK to read on, or MORE (nothing yet) or NOT_TLS. */
static enum lb_hello_result
hello_start(struct hello_rd *rd, const uint8_t *buf, size_t len,
    size_t max, uint8_t type)
{
	*rd = (struct hello_rd){
		.buf = buf,
		.len = len,
		.max = max,
		.lim = TLS_HS_HEADER,
		.res = LB_HELLO_OK,
	};
	if (len == 0)
		return LB_HELLO_MORE;
	if (buf[0] != TLS_RECORD_HANDSHAKE)
		return LB_HELLO_NOT_TLS;
	if (rd_u8(rd) != type)
		rd_fail(rd, LB_HELLO_BAD);
	rd_message(rd, rd_u24(rd));
	return LB_HELLO_OK;
}

enum lb_hello_result
lb_tls_hello_parse(const uint8_t *buf, size_t len, size_t max,
    struct lb_tls_hello *out)
{
	struct hello_rd rd;
	enum lb_hello_result r;

	memset(out, 0, sizeof(*out));
	if ((r = hello_start(&rd, buf, len, max, TLS_HS_CLIENT_HELLO)) !=
	    LB_HELLO_OK)
		return r;
	hello_body(&rd, out);
	if (rd.off != rd.msg_end)
		rd_fail(&rd, LB_HELLO_BAD);
	if (!rd_ok(&rd))
		return rd.res;
	out->consumed = rd.pos;
	return LB_HELLO_OK;
}

enum lb_hello_result
lb_tls_server_hello_session(const uint8_t *buf, size_t len, size_t max,
    uint8_t *id, size_t *idlen)
{
	struct hello_rd rd;
	enum lb_hello_result r;
	uint8_t n = 0;

	*idlen = 0;
	if ((r = hello_start(&rd, buf, len, max, TLS_HS_SERVER_HELLO)) !=
	    LB_HELLO_OK)
		return r;
	if ((rd_u16(&rd) >> 8) != TLS_VERSION_MAJOR)
		rd_fail(&rd, LB_HELLO_BAD);
	rd_skip(&rd, TLS_RANDOM);
	hello_session_id(&rd, id, &n);
	if (!rd_ok(&rd))
		return rd.res;
	*idlen = n;
	return LB_HELLO_OK;
}

bool
lb_tls_hello_alpn_has(const struct lb_tls_hello *h, const char *proto)
{
	size_t n = strlen(proto);

	for (size_t i = 0; i < h->alpn_len; i += 1 + (size_t)h->alpn[i]) {
		if ((size_t)h->alpn[i] == n && n < h->alpn_len - i &&
		    memcmp(h->alpn + i + 1, proto, n) == 0)
			return true;
	}
	return false;
}

const char *
lb_tls_hello_result_str(enum lb_hello_result r)
{
	static const char *const words[] = {
		[LB_HELLO_MORE] = "incomplete ClientHello",
		[LB_HELLO_OK] = "ClientHello",
		[LB_HELLO_BAD] = "malformed ClientHello",
		[LB_HELLO_TOO_BIG] = "ClientHello too big",
		[LB_HELLO_NOT_TLS] = "not TLS",
	};

	if ((size_t)r >= sizeof(words) / sizeof(words[0]))
		return "?";
	return words[r];
}
