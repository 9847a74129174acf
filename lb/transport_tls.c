/*
 * lb/transport_tls.c - TLS on a non-blocking socket (OpenSSL), behind
 * the same ops as the plain transport.
 *
 * OpenSSL may need to write while the caller reads (a handshake message,
 * a KeyUpdate) or to read while it writes: an op that cannot go on
 * returns -1 with errno EAGAIN and sets tr->want to the readiness that
 * lets it, which the caller adds to the events it waits for.
 *
 * The write buffer may move between a retried write and the one before
 * it (buffers are compacted) and a write may be partial: the SSL is set
 * up for both.  A peer that closes without close_notify is an ordinary
 * EOF here: an HTTP proxy detects truncation from HTTP's framing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "transport_tls.h"

static SSL *
ssl_of(struct lb_transport *tr)
{
	return tr->ctx;
}

/* What an SSL_ERROR_* means for a non-blocking caller: sets errno and
 * tr->want; returns -1, or 0 for an EOF. */
static ssize_t
failed(struct lb_transport *tr, int err)
{
	unsigned long e;

	switch (err) {
	case SSL_ERROR_WANT_READ:
		tr->want = LB_TR_WANT_READ;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		tr->want = LB_TR_WANT_WRITE;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;			/* close_notify */
	case SSL_ERROR_SYSCALL:
		if (errno == 0)
			errno = ECONNRESET;
		break;
	default:
		e = ERR_peek_last_error();
		errno = ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING ?
		    0 : EPROTO;
		if (errno == 0)
			return 0;	/* closed without close_notify */
	}
	ERR_clear_error();
	return -1;
}

static ssize_t
tls_read(struct lb_transport *tr, void *buf, size_t len)
{
	size_t n = 0;

	tr->want = 0;
	ERR_clear_error();
	if (SSL_read_ex(ssl_of(tr), buf, len, &n) == 1)
		return (ssize_t)n;
	return failed(tr, SSL_get_error(ssl_of(tr), 0));
}

static ssize_t
tls_write(struct lb_transport *tr, const void *buf, size_t len)
{
	size_t n = 0;

	tr->want = 0;
	ERR_clear_error();
	if (SSL_write_ex(ssl_of(tr), buf, len, &n) == 1)
		return (ssize_t)n;
	return failed(tr, SSL_get_error(ssl_of(tr), 0));
}

static void
tls_shutdown_write(struct lb_transport *tr)
{
	/* close_notify, once; if it cannot be sent now it is not sent:
	 * the FIN that follows says the same to HTTP */
	ERR_clear_error();
	(void)SSL_shutdown(ssl_of(tr));
	ERR_clear_error();
	(void)shutdown(tr->fd, SHUT_WR);
}

static void
tls_close(struct lb_transport *tr)
{
	SSL_free(ssl_of(tr));
	tr->ctx = NULL;
	if (tr->fd >= 0)
		(void)close(tr->fd);
	tr->fd = -1;
}

static bool
tls_pending(struct lb_transport *tr)
{
	return SSL_has_pending(ssl_of(tr)) == 1;
}

const struct lb_transport_ops lb_transport_tls = {
	.name = "tls",
	.read = tls_read,
	.write = tls_write,
	.shutdown_write = tls_shutdown_write,
	.close = tls_close,
	.pending = tls_pending,
};

/*
 * A server side before its client's first byte has no SSL yet: ctx holds
 * the SSL_CTX.  An SSL and its first SSL_do_handshake cost some 55 KB
 * (the SSL, its read buffer, its handshake message buffer), which a
 * client that connects and sends nothing would hold until timeout
 * http-request, and a flood of such clients multiply; this costs none.
 * Only the handshake and close are meant for it; the other ops wait.
 */
static ssize_t
waiting(struct lb_transport *tr)
{
	tr->want = LB_TR_WANT_READ;
	errno = EAGAIN;
	return -1;
}

static ssize_t
waiting_read(struct lb_transport *tr, void *buf, size_t len)
{
	(void)buf;
	(void)len;
	return waiting(tr);
}

static ssize_t
waiting_write(struct lb_transport *tr, const void *buf, size_t len)
{
	(void)buf;
	(void)len;
	return waiting(tr);
}

static void
waiting_shutdown_write(struct lb_transport *tr)
{
	(void)shutdown(tr->fd, SHUT_WR);
}

static void
waiting_close(struct lb_transport *tr)
{
	tr->ctx = NULL;
	if (tr->fd >= 0)
		(void)close(tr->fd);
	tr->fd = -1;
}

static const struct lb_transport_ops tls_waiting = {
	.name = "tls",
	.read = waiting_read,
	.write = waiting_write,
	.shutdown_write = waiting_shutdown_write,
	.close = waiting_close,
};

static int
setup(struct lb_transport *tr, SSL_CTX *ctx, int fd)
{
	SSL *ssl = SSL_new(ctx);

	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		return -1;
	}
	SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_set_options(ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
	*tr = (struct lb_transport){ .ops = &lb_transport_tls, .fd = fd,
	    .ctx = ssl };
	return 0;
}

/*
 * Keeps the first bytes the socket BIO reads for a server side, before
 * OpenSSL judges them: plain HTTP sent to a TLS port is told from them
 * (lb_tls_plain_http).  OpenSSL reads a record header (5 bytes) first,
 * so this costs no syscall; the callback goes once the handshake ends.
 */
static long
keep_first(BIO *b, int oper, const char *argp, size_t len, int argi,
    long argl, int ret, size_t *processed)
{
	struct lb_transport *tr = (void *)BIO_get_callback_arg(b);
	size_t n;

	(void)len;
	(void)argi;
	(void)argl;
	if (oper != (BIO_CB_READ | BIO_CB_RETURN) || ret <= 0 ||
	    processed == NULL || tr->nfirst >= sizeof(tr->first))
		return ret;
	n = sizeof(tr->first) - tr->nfirst;
	if (*processed < n)
		n = *processed;
	memcpy(tr->first + tr->nfirst, argp, n);
	tr->nfirst += (unsigned char)n;
	return ret;
}

int
lb_tls_accept(struct lb_transport *tr, SSL_CTX *ctx, int fd)
{
	*tr = (struct lb_transport){ .ops = &tls_waiting, .fd = fd,
	    .ctx = ctx };
	return 0;
}

/* The client's first byte came, or its EOF, or an error (OpenSSL's to
 * read and judge): the SSL is made now.  Returns 1 when it is, 0 while
 * the client has sent nothing, -1 out of memory. */
static int
start_server(struct lb_transport *tr)
{
	char c;
	BIO *b;

	if (recv(tr->fd, &c, 1, MSG_PEEK) < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (setup(tr, tr->ctx, tr->fd) < 0)
		return -1;
	SSL_set_accept_state(tr->ctx);
	b = SSL_get_rbio(tr->ctx);
	BIO_set_callback_arg(b, (char *)tr);
	BIO_set_callback_ex(b, keep_first);
	return 1;
}

int
lb_tls_connect(struct lb_transport *tr, SSL_CTX *ctx, int fd,
    const char *name, const char *ip)
{
	char host[256];			/* OpenSSL's macro wants it writable;
					 * it keeps a copy */
	SSL *ssl;

	if (setup(tr, ctx, fd) < 0)
		return -1;
	ssl = tr->ctx;
	SSL_set_connect_state(ssl);
	snprintf(host, sizeof(host), "%s", name != NULL ? name : "");
	if ((host[0] != '\0' && (SSL_set_tlsext_host_name(ssl, host) != 1 ||
	    SSL_set1_host(ssl, host) != 1)) || (host[0] == '\0' &&
	    ip != NULL && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
	    ip) != 1)) {
		SSL_free(ssl);
		tr->ctx = NULL;
		return -1;
	}
	return 0;
}

int
lb_tls_handshake(struct lb_transport *tr, char *why, size_t size)
{
	SSL *ssl;
	int r, err = SSL_ERROR_NONE;
	long v;

	tr->want = 0;
	if (tr->ops == &tls_waiting && (r = start_server(tr)) <= 0) {
		if (r == 0) {
			tr->want = LB_TR_WANT_READ;
			return 0;
		}
		snprintf(why, size, "out of memory");
		return -1;
	}
	ssl = ssl_of(tr);
	ERR_clear_error();
	if ((r = SSL_do_handshake(ssl)) != 1) {
		err = SSL_get_error(ssl, r);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
			(void)failed(tr, err);
			return 0;
		}
	}
	/* over either way: the data path reads without keep_first */
	BIO_set_callback_ex(SSL_get_rbio(ssl), NULL);
	if (r == 1)
		return 1;
	if ((v = SSL_get_verify_result(ssl)) != X509_V_OK)
		snprintf(why, size, "certificate verify failed: %s",
		    X509_verify_cert_error_string(v));
	else if (err == SSL_ERROR_SYSCALL || ERR_peek_last_error() == 0)
		snprintf(why, size, "connection closed during the handshake");
	else
		snprintf(why, size, "%s", ERR_reason_error_string(
		    ERR_peek_last_error()) ? ERR_reason_error_string(
		    ERR_peek_last_error()) : "handshake failed");
	ERR_clear_error();
	return -1;
}

bool
lb_tls_started(struct lb_transport *tr)
{
	return tr->ops == &lb_transport_tls &&
	    BIO_number_read(SSL_get_rbio(ssl_of(tr))) > 0;
}

bool
lb_tls_plain_http(const struct lb_transport *tr)
{
	size_t i = 0;

	if (tr->nfirst < sizeof(tr->first))
		return false;
	while (i < tr->nfirst && tr->first[i] >= 'A' && tr->first[i] <= 'Z')
		i++;
	/* a method longer than 4 letters fills the record header */
	return i > 0 && (i == tr->nfirst || tr->first[i] == ' ');
}

int
lb_tls_release(struct lb_transport *tr)
{
	int fd = tr->fd;

	/* SSL_set_fd's BIO does not close the fd */
	if (tr->ops == &lb_transport_tls)
		SSL_free(ssl_of(tr));
	*tr = (struct lb_transport){ .fd = -1 };
	return fd;
}

void
lb_tls_kind(struct lb_transport *tr, bool *resumed, bool *tls13)
{
	*resumed = SSL_session_reused(ssl_of(tr)) == 1;
	*tls13 = SSL_version(ssl_of(tr)) == TLS1_3_VERSION;
}

const char *
lb_tls_sni(struct lb_transport *tr)
{
	return SSL_get_servername(ssl_of(tr), TLSEXT_NAMETYPE_host_name);
}

void
lb_tls_describe(struct lb_transport *tr, struct lb_tls_desc *d)
{
	SSL *ssl = ssl_of(tr);
	const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	const unsigned char *alpn;
	unsigned alpn_len;

	snprintf(d->version, sizeof(d->version), "%s", SSL_get_version(ssl));
	snprintf(d->cipher, sizeof(d->cipher), "%s",
	    SSL_get_cipher_name(ssl));
	snprintf(d->sni, sizeof(d->sni), "%s", sni ? sni : "");
	SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
	snprintf(d->alpn, sizeof(d->alpn), "%.*s", (int)alpn_len,
	    alpn != NULL ? (const char *)alpn : "");
	d->resumed = SSL_session_reused(ssl) == 1;
	d->client_cert = SSL_get0_peer_certificate(ssl) != NULL &&
	    SSL_get_verify_result(ssl) == X509_V_OK;
}
