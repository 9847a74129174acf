/*
 * tests/unit/lb/test_tls_ctx.c - the contexts lb_tls_new builds from a
 * real configuration and real certificates (tests/conf/tls), driven by a
 * real OpenSSL client over a memory BIO pair: the certificate chosen by
 * SNI, and session tickets across key rotations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "config.h"
#include "tls_ctx.h"

static const char conf_text[] =
    "certificate www { cert " TLS_DIR "/www.crt; key " TLS_DIR "/www.key; }\n"
    "certificate api { cert " TLS_DIR "/api.crt; key " TLS_DIR "/api.key; }\n"
    "application-profile s { type https; certificates www api; }\n"
    "pool p { member a 127.0.0.1:8081; }\n"
    "virtual-server v { listen 127.0.0.1:8080; profile s; default-pool p; }\n";

struct fixture {
	struct edged_conf *conf;
	struct lb_tls_files files;
	struct lb_tls *tls;
	SSL_CTX *client;
	unsigned char keys[LB_TICKET_KEYS][LB_TICKET_KEY];
	size_t nkeys;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct conf_diag d;

	conf_diag_init(&d);
	f->conf = edged_conf_load("test", conf_text, sizeof(conf_text) - 1,
	    &d);
	assert_non_null(f->conf);
	assert_int_equal(lb_tls_files_load(f->conf->parts[EDGED_LB], &d,
	    &f->files), 0);
	f->tls = lb_tls_new(f->conf->parts[EDGED_LB], f->files.blobs,
	    f->files.nblobs, &d);
	conf_diag_print(&d, stderr);
	assert_non_null(f->tls);
	conf_diag_free(&d);
	f->client = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(f->client, SSL_VERIFY_NONE, NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	SSL_CTX_free(f->client);
	lb_tls_free(&f->tls);
	lb_tls_files_release(&f->files);
	edged_conf_free(&f->conf);
	free(f);
	return 0;
}

/* A new key first, as the master's rotation does. */
static void
rotate(struct fixture *f)
{
	memmove(f->keys[1], f->keys[0], (LB_TICKET_KEYS - 1) * LB_TICKET_KEY);
	assert_int_equal(RAND_bytes(f->keys[0], LB_TICKET_KEY), 1);
	if (f->nkeys < LB_TICKET_KEYS)
		f->nkeys++;
	lb_tls_set_ticket_keys(f->tls, &f->keys[0][0], f->nkeys);
}

/*
 * One whole connection in memory: handshake, the client reads once so
 * that TLS 1.3 tickets arrive.  Returns the client SSL (caller frees);
 * sess (may be NULL) is offered for resumption.
 */
static SSL *
connect_once(struct fixture *f, const char *sni, SSL_SESSION *sess)
{
	SSL *c = SSL_new(f->client);
	SSL *s = SSL_new(lb_tls_server_ctx(f->tls, 0));
	BIO *cb, *sb;
	char byte;
	int rc_c = 0, rc_s = 0;

	assert_int_equal(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	if (sni != NULL) {
		char name[256];		/* OpenSSL's macro wants it writable */

		snprintf(name, sizeof(name), "%s", sni);
		SSL_set_tlsext_host_name(c, name);
	}
	if (sess != NULL)
		SSL_set_session(c, sess);
	for (int i = 0; i < 20 && (rc_c != 1 || rc_s != 1); i++) {
		if (rc_c != 1)
			rc_c = SSL_do_handshake(c);
		if (rc_s != 1)
			rc_s = SSL_do_handshake(s);
	}
	assert_int_equal(rc_c, 1);
	assert_int_equal(rc_s, 1);
	/* the server's tickets, then one byte of data */
	assert_int_equal(SSL_write(s, "x", 1), 1);
	assert_int_equal(SSL_read(c, &byte, 1), 1);
	/* closed properly: OpenSSL marks a session that was not as not
	 * resumable */
	SSL_shutdown(c);
	SSL_free(s);
	ERR_clear_error();
	return c;
}

static char *
subject_cn(SSL *c)
{
	X509 *x = SSL_get1_peer_certificate(c);
	static char cn[256];

	assert_non_null(x);
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
	    cn, sizeof(cn));
	X509_free(x);
	return cn;
}

static void
certificate_by_sni(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *sni, *cn;
	} cases[] = {
		{ "www.example.com", "www.example.com" },
		{ "EXAMPLE.com", "www.example.com" },
		{ "a.api.example.com", "api.example.com" },
		{ "a.b.api.example.com", "www.example.com" },	/* one label */
		{ "api.example.com", "www.example.com" },	/* not *. */
		{ "other.example.org", "www.example.com" },
		{ NULL, "www.example.com" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		SSL *c = connect_once(f, cases[i].sni, NULL);

		assert_string_equal(subject_cn(c), cases[i].cn);
		SSL_free(c);
	}
}

/* Whether a connection offering sess resumed it; *next gets the
 * session to offer next time (caller frees). */
static bool
resumes(struct fixture *f, SSL_SESSION *sess, SSL_SESSION **next)
{
	SSL *c = connect_once(f, "www.example.com", sess);
	bool reused = SSL_session_reused(c) == 1;

	*next = SSL_get1_session(c);
	SSL_free(c);
	return reused;
}

static void
tickets_across_rotations(void **state)
{
	struct fixture *f = *state;
	SSL_SESSION *first, *next;
	SSL *c;

	/* no key yet: no ticket is issued, so nothing resumes */
	c = connect_once(f, "www.example.com", NULL);
	first = SSL_get1_session(c);
	SSL_free(c);
	assert_false(resumes(f, first, &next));
	SSL_SESSION_free(first);
	SSL_SESSION_free(next);

	rotate(f);
	c = connect_once(f, "www.example.com", NULL);
	first = SSL_get1_session(c);
	SSL_free(c);
	assert_true(resumes(f, first, &next));
	/* TLS 1.3: a resumed connection gets a fresh ticket (one use each) */
	assert_ptr_not_equal(next, first);
	SSL_SESSION_free(next);
	/* older keys still decrypt: after one and two rotations */
	rotate(f);
	assert_true(resumes(f, first, &next));
	SSL_SESSION_free(next);
	rotate(f);
	assert_true(resumes(f, first, &next));
	SSL_SESSION_free(next);
	/* a third rotation drops its key: a full handshake */
	rotate(f);
	assert_false(resumes(f, first, &next));
	SSL_SESSION_free(next);
	SSL_SESSION_free(first);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(certificate_by_sni, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(tickets_across_rotations,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
