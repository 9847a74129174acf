/*
 * lb/tls_hello.h - the ClientHello that opens a TLS connection, read
 * before any byte is forwarded so that SSL passthrough can pick a pool
 * by the name the client asks for (SNI).  Pure functions: no I/O, no
 * allocation, no OpenSSL.
 */
#ifndef EDGED_LB_TLS_HELLO_H
#define EDGED_LB_TLS_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest DNS name (RFC 1035), without its trailing dot. */
#define LB_HELLO_SNI_MAX	253
/* Room for the protocols offered by ALPN, in their wire form. */
#define LB_HELLO_ALPN_MAX	128
/* Extensions one ClientHello may carry (real clients send about 20). */
#define LB_HELLO_EXT_MAX	128

enum lb_hello_result {
	LB_HELLO_MORE,		/* a valid prefix: read more, call again */
	LB_HELLO_OK,		/* a whole ClientHello, in *out */
	LB_HELLO_BAD,		/* malformed: close, count an error */
	LB_HELLO_TOO_BIG,	/* would not fit in max bytes: close */
	LB_HELLO_NOT_TLS,	/* does not open with a handshake record */
};

/* What a ClientHello says that a passthrough virtual server may use. */
struct lb_tls_hello {
	char sni[LB_HELLO_SNI_MAX + 1];	/* host_name: lowercased, a
					 * trailing dot removed; "" if none */
	bool has_sni;
	bool tls13;			/* supported_versions offers 0x0304 */
	bool ech;			/* encrypted_client_hello (0xfe0d) is
					 * there: sni is the outer (public)
					 * name */
	bool has_alpn;
	bool alpn_cut;			/* some protocols did not fit alpn[] */
	uint16_t legacy_version;	/* ClientHello.legacy_version */
	uint8_t session_id[32];		/* legacy_session_id (TLS 1.2's
					 * resumption by id; TLS 1.3's a
					 * random one) */
	uint8_t session_id_len;
	uint16_t max_version;		/* the highest 0x03xx of
					 * supported_versions when sent (0 if
					 * it has none), else legacy_version */
	uint16_t alpn_len;
	uint8_t alpn[LB_HELLO_ALPN_MAX]; /* protocols offered, in order, each
					 * a length byte and the name */
	size_t consumed;		/* bytes of the records that hold the
					 * ClientHello, the last one included */
};

/*
 * Parses the ClientHello at the start of buf, the len bytes received so
 * far from a client, as TLS records (RFC 8446 5.1): the handshake
 * message may be spread over several records, which must all be
 * handshake records.  Every call starts again from buf[0], so the
 * caller only appends what it reads and calls again while MORE comes.
 *
 * Returns MORE while buf is a prefix of a ClientHello that could still
 * be valid and fit; OK once all of it is there, with buf[0, consumed)
 * its records, to be forwarded unchanged, and what it says in *out;
 * NOT_TLS when the first byte is not a handshake record (plain HTTP, an
 * SSLv2-compatible hello, any other record); TOO_BIG as soon as its
 * records are known to need more than max bytes; BAD for anything
 * else: a length that does not fit its container, a record over 2^14
 * bytes or empty, another handshake message, bytes after the
 * ClientHello in its last record, a repeated extension, a server_name
 * that is not exactly one valid DNS host_name (letters, digits,
 * hyphens, labels of 1 to 63, at most 253 bytes), and the like.  Only
 * the bytes up to consumed are looked at; nothing is read past len.
 * MORE comes only while len < max, so a buffer of max bytes is enough;
 * once another answer comes, more bytes would not change it.  *out
 * (the caller's) is meaningful only with OK; buf is not kept.
 */
enum lb_hello_result lb_tls_hello_parse(const uint8_t *buf, size_t len,
    size_t max, struct lb_tls_hello *out);

/*
 * The legacy_session_id_echo of the ServerHello at the start of buf (the
 * first len bytes a member sent, at most max looked at) into id (32
 * bytes) and *idlen (0: none): what ssl-session-id persistence learns.
 * MORE while buf is a prefix that could still hold it, OK once read (the
 * rest of the message unread), BAD, TOO_BIG or NOT_TLS as
 * lb_tls_hello_parse.
 */
enum lb_hello_result lb_tls_server_hello_session(const uint8_t *buf,
    size_t len, size_t max, uint8_t *id, size_t *idlen);

/*
 * Whether the client offered the ALPN protocol proto (NUL-terminated,
 * matched exactly).  A protocol that did not fit alpn[] (alpn_cut) is
 * not found.
 */
bool lb_tls_hello_alpn_has(const struct lb_tls_hello *h, const char *proto);

/* A few words for logs: "incomplete", "malformed", ... */
const char *lb_tls_hello_result_str(enum lb_hello_result r);

#endif /* EDGED_LB_TLS_HELLO_H */
