/*
 * lb/transport_tls.h - the TLS transport (transport_tls.c): a
 * struct lb_transport whose ops run TLS over a non-blocking socket,
 * for client connections (termination) and backend connections
 * (re-encryption).
 */
#ifndef EDGED_LB_TRANSPORT_TLS_H
#define EDGED_LB_TRANSPORT_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "transport.h"

extern const struct lb_transport_ops lb_transport_tls;

/* Server side on fd (owned by tr from now on, closed by its close op).
 * Nothing of OpenSSL's is made before the client's first byte (a client
 * that sends nothing costs no SSL): lb_tls_handshake makes it then.
 * tr must stay where it is until the handshake ends: the first bytes
 * read are kept in it (lb_tls_plain_http).  Returns 0 (the int is for
 * the other transports' like). */
int lb_tls_accept(struct lb_transport *tr, SSL_CTX *ctx, int fd);
/* Client side on fd: name (may be NULL) is sent as SNI and checked
 * against the server's certificate when ctx verifies; without a name,
 * ip (may be NULL; text) is what the certificate must name instead.
 * 0 or -1. */
int lb_tls_connect(struct lb_transport *tr, SSL_CTX *ctx, int fd,
    const char *name, const char *ip);
/*
 * One step of the handshake.  Returns 1 when it is done, 0 when it waits
 * (tr->want says for what), -1 when it failed (why gets a short reason,
 * such as a certificate verification error, or "out of memory" for a
 * server side whose SSL could not be made).
 */
int lb_tls_handshake(struct lb_transport *tr, char *why, size_t size);

/* Whether the peer sent any byte yet: a connection closed before that
 * is a probe, not a failed handshake. */
bool lb_tls_started(struct lb_transport *tr);

/* After a failed server-side handshake: whether the peer's first bytes
 * were the start of a plain HTTP request (an upper-case method and a
 * space) rather than a TLS record (0x16 0x03 ...). */
bool lb_tls_plain_http(const struct lb_transport *tr);

/* Frees the TLS state of tr but not its fd, which it returns (tr is
 * left closed, fd -1): to answer a plain HTTP client in plain HTTP on it.
 * OpenSSL sent that client no alert (it sends none for a first record
 * that is not TLS at all). */
int lb_tls_release(struct lb_transport *tr);

/* Whether a finished handshake resumed a session, and was TLS 1.3. */
void lb_tls_kind(struct lb_transport *tr, bool *resumed, bool *tls13);

/* The name the client asked for in its ClientHello (SNI), or NULL: the
 * transport's, valid while it is. */
const char *lb_tls_sni(struct lb_transport *tr);

/* What a finished handshake agreed, for logs. */
struct lb_tls_desc {
	char version[16];		/* "TLSv1.3" */
	char cipher[64];
	char sni[256];			/* what the client asked for, or "" */
	char alpn[256];			/* the protocol agreed, or "" */
	bool resumed;
	bool client_cert;		/* the client sent a certificate, and
					 * it verified */
};
void lb_tls_describe(struct lb_transport *tr, struct lb_tls_desc *d);

#endif /* EDGED_LB_TRANSPORT_TLS_H */
