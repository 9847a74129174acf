/*
 * tests/unit/lb/test_transport_tls.c - lb/transport_tls.c: real OpenSSL
 * on both ends of a non-blocking socket pair, driven step by step the
 * way an event loop would: handshakes, verification, SNI, bytes both
 * ways with partial writes, close_notify and a bare close.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "transport_tls.h"

#ifndef TLS_DIR
#error "TLS_DIR: the test certificates (tests/conf/tls)"
#endif

static SSL_CTX *
server_ctx(const char *name)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char crt[512], key[512];

	snprintf(crt, sizeof(crt), "%s/%s.crt", TLS_DIR, name);
	snprintf(key, sizeof(key), "%s/%s.key", TLS_DIR, name);
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_use_certificate_chain_file(ctx, crt), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, key,
	    SSL_FILETYPE_PEM), 1);
	return ctx;
}

/* A client that trusts www.crt (self-signed) and verifies. */
static SSL_CTX *
client_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_load_verify_locations(ctx,
	    TLS_DIR "/www.crt", NULL), 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

static void
pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(fcntl(sv[i], F_SETFL, O_NONBLOCK), 0);
}

/* A server (sctx) and a client (cctx, asking for name) on the two ends
 * of a fresh socket pair, neither handshake begun. */
static void
ends(struct lb_transport *c, struct lb_transport *s, SSL_CTX *sctx,
    SSL_CTX *cctx, const char *name)
{
	int sv[2];

	pair(sv);
	assert_int_equal(lb_tls_accept(s, sctx, sv[0]), 0);
	assert_int_equal(lb_tls_connect(c, cctx, sv[1], name, NULL), 0);
}

/* Both handshakes, a step each in turn; returns the client's result
 * (1 or -1), the server's in *srv. */
static int
handshake(struct lb_transport *c, struct lb_transport *s, int *srv,
    char *why, size_t size)
{
	int rc = 0, rs = 0;
	char swhy[256];

	for (int i = 0; i < 100 && (rc == 0 || rs == 0); i++) {
		if (rc == 0)
			rc = lb_tls_handshake(c, why, size);
		if (rc == 0)
			assert_true(c->want == LB_TR_WANT_READ ||
			    c->want == LB_TR_WANT_WRITE);
		if (rs == 0)
			rs = lb_tls_handshake(s, swhy, sizeof(swhy));
		if (rc < 0 && rs == 0)
			break;		/* the server waits for what will not
					 * come */
	}
	*srv = rs;
	return rc;
}

static void
handshake_and_bytes_both_ways(void **unused)
{
	SSL_CTX *sctx = server_ctx("www"), *cctx = client_ctx();
	struct lb_transport c, s;
	struct lb_tls_desc d;
	char why[256], buf[64];
	int rs;

	(void)unused;
	ends(&c, &s, sctx, cctx, "www.example.com");
	/* nothing sent yet: a read waits */
	assert_int_equal(s.ops->read(&s, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(s.want, LB_TR_WANT_READ);
	assert_int_equal(handshake(&c, &s, &rs, why, sizeof(why)), 1);
	assert_int_equal(rs, 1);
	lb_tls_describe(&s, &d);
	assert_string_equal(d.sni, "www.example.com");
	assert_true(strncmp(d.version, "TLSv1.", 6) == 0);
	assert_false(d.resumed);

	assert_int_equal(c.ops->write(&c, "GET / HTTP/1.1\r\n\r\n", 18), 18);
	assert_int_equal(s.ops->read(&s, buf, sizeof(buf)), 18);
	assert_memory_equal(buf, "GET / HTTP/1.1\r\n\r\n", 18);
	assert_int_equal(s.ops->write(&s, "HTTP/1.1 200 OK\r\n", 17), 17);
	assert_int_equal(c.ops->read(&c, buf, sizeof(buf)), 17);

	/* close_notify then FIN: an EOF for the peer */
	s.ops->shutdown_write(&s);
	assert_int_equal(c.ops->read(&c, buf, sizeof(buf)), 0);
	c.ops->close(&c);
	s.ops->close(&s);
	assert_int_equal(c.fd, -1);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

/* 4 MiB through a socket buffer of a few hundred KiB: writes are partial
 * or wait (EAGAIN, want write), and the data buffer may move between a
 * write and its retry. */
static void
partial_writes(void **unused)
{
	SSL_CTX *sctx = server_ctx("www"), *cctx = client_ctx();
	const size_t total = 4 << 20;
	unsigned char *src = malloc(total), *dst = malloc(total);
	unsigned char *moving = malloc(total + 1);
	struct lb_transport c, s;
	size_t sent = 0, got = 0;
	unsigned eagain = 0;
	char why[256];
	int rs;

	(void)unused;
	assert_non_null(src);
	assert_non_null(dst);
	assert_non_null(moving);
	for (size_t i = 0; i < total; i++)
		src[i] = (unsigned char)(i * 7 + (i >> 12));
	ends(&c, &s, sctx, cctx, "www.example.com");
	assert_int_equal(handshake(&c, &s, &rs, why, sizeof(why)), 1);
	while (got < total) {
		/* write while the socket takes it: the pending bytes,
		 * copied to a new place each time, as a compacted buffer
		 * would be */
		while (sent < total) {
			size_t off = sent & 1, n = total - sent;
			ssize_t w;

			memcpy(moving + off, src + sent, n);
			w = c.ops->write(&c, moving + off, n);
			if (w < 0) {
				assert_int_equal(errno, EAGAIN);
				assert_int_equal(c.want, LB_TR_WANT_WRITE);
				eagain++;
				break;
			}
			sent += (size_t)w;
		}
		for (;;) {
			ssize_t r = s.ops->read(&s, dst + got, total - got);

			if (r <= 0) {
				assert_int_equal(r, -1);
				assert_int_equal(errno, EAGAIN);
				break;
			}
			got += (size_t)r;
		}
	}
	assert_memory_equal(src, dst, total);
	print_message("4 MiB in TLS records; the writer waited %u times\n",
	    eagain);
	assert_true(eagain > 0);
	c.ops->close(&c);
	s.ops->close(&s);
	free(src);
	free(dst);
	free(moving);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

/* Server certificate and name asked for, with which the client's check
 * fails: the handshake fails and says why. */
static void
verify_fails(const char *cert, const char *name)
{
	SSL_CTX *sctx = server_ctx(cert), *cctx = client_ctx();
	struct lb_transport c, s;
	char why[256] = "";
	int rs;

	ends(&c, &s, sctx, cctx, name);
	assert_int_equal(handshake(&c, &s, &rs, why, sizeof(why)), -1);
	print_message("client, %s for %s: %s\n", cert, name, why);
	assert_non_null(strstr(why, "certificate verify failed"));
	c.ops->close(&c);
	s.ops->close(&s);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

/* A name the certificate does not have. */
static void
wrong_name_fails(void **unused)
{
	(void)unused;
	verify_fails("www", "other.example");
}

/* An untrusted certificate (api.crt, not in the client's store). */
static void
untrusted_fails(void **unused)
{
	(void)unused;
	verify_fails("api", "x.api.example.com");
}

/* A peer that closes without close_notify: an EOF, not an error; a
 * peer that closes during the handshake: a failure that says so. */
static void
bare_close(void **unused)
{
	SSL_CTX *sctx = server_ctx("www"), *cctx = client_ctx();
	struct lb_transport c, s;
	char why[256], buf[16];
	int sv[2], rs;

	(void)unused;
	ends(&c, &s, sctx, cctx, "www.example.com");
	assert_int_equal(handshake(&c, &s, &rs, why, sizeof(why)), 1);
	/* the client takes the session tickets first: a socket closed
	 * with bytes unread resets the connection, which is no EOF */
	assert_int_equal(c.ops->read(&c, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	(void)close(c.fd);		/* no close_notify */
	c.fd = -1;
	ssize_t r = s.ops->read(&s, buf, sizeof(buf));
	if (r != 0)
		print_message("read: %zd, errno %d (%s)\n", r, errno,
		    strerror(errno));
	assert_int_equal(r, 0);
	c.ops->close(&c);
	s.ops->close(&s);

	pair(sv);
	assert_int_equal(lb_tls_accept(&s, sctx, sv[0]), 0);
	assert_int_equal(write(sv[1], "\x16\x03\x01\x00\x05", 5), 5);
	(void)close(sv[1]);
	assert_int_equal(lb_tls_handshake(&s, why, sizeof(why)), -1);
	print_message("server: %s\n", why);
	s.ops->close(&s);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(handshake_and_bytes_both_ways),
		cmocka_unit_test(partial_writes),
		cmocka_unit_test(wrong_name_fails),
		cmocka_unit_test(untrusted_fails),
		cmocka_unit_test(bare_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
