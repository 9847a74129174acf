/*
 * lb/tls_ctx.c - see tls_ctx.h.
 *
 * An https profile gets one SSL_CTX per certificate, all with the
 * profile's settings.  A handshake starts on the first one; the
 * servername callback moves it to the certificate whose name the client
 * asked for (exact, then wildcard).  Every context encrypts tickets with
 * the same keys, so a ticket issued by any thread, and by the worker
 * before a reload, resumes anywhere.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "mem.h"
#include "tls_ctx.h"

struct sni_name {
	char name[LB_HOST_MAX];		/* lower case; "*.example.com" */
	size_t ctx;			/* index in the server's contexts */
};

struct lb_tls_server {
	struct lb_tls *tls;
	SSL_CTX **ctx;			/* [nctx]; ctx[0] is the default */
	size_t nctx;
	struct sni_name *names;		/* sorted by name */
	size_t nnames;
	unsigned char alpn[256];	/* wire format: length, bytes... */
	unsigned alpn_len;
};

struct lb_tls {
	struct lb_tls_server *servers;	/* [nprofiles]; nctx 0 unless https */
	size_t nservers;
	SSL_CTX **clients;		/* [npools]; NULL without tls */
	size_t nclients;
	SSL_CTX *probe;			/* https monitors of plain pools */
	pthread_rwlock_t lock;		/* over the ticket keys */
	unsigned char keys[LB_TICKET_KEYS][LB_TICKET_KEY];
	size_t nkeys;
};

/* OpenSSL's reason for the last failure, or a default. */
static const char *
ssl_reason(const char *dflt)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r != NULL ? r : dflt;
}

/* ---- session tickets ---- */

void
lb_tls_set_ticket_keys(struct lb_tls *t, const unsigned char *keys,
    size_t n)
{
	if (n > LB_TICKET_KEYS)
		n = LB_TICKET_KEYS;
	pthread_rwlock_wrlock(&t->lock);
	memcpy(t->keys, keys, n * LB_TICKET_KEY);
	t->nkeys = n;
	pthread_rwlock_unlock(&t->lock);
}

static int
ticket_init(unsigned char *key, unsigned char *iv, EVP_CIPHER_CTX *c,
    EVP_MAC_CTX *h, int enc)
{
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
		    key + LB_TICKET_NAME + 32, 32),
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		    (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	if (EVP_CipherInit_ex(c, EVP_aes_256_cbc(), NULL,
	    key + LB_TICKET_NAME, iv, enc) != 1 ||
	    EVP_MAC_CTX_set_params(h, p) != 1)
		return -1;
	return 0;
}

/* OpenSSL's ticket callback: encrypt with the newest key; decrypt with
 * whichever key named the ticket (2: a new ticket follows; always in
 * TLS 1.3, whose tickets are meant for one use, else when an older key
 * made it). */
static int
ticket_cb(SSL *ssl, unsigned char name[16], unsigned char *iv,
    EVP_CIPHER_CTX *c, EVP_MAC_CTX *h, int enc)
{
	struct lb_tls_server *srv = SSL_CTX_get_app_data(
	    SSL_get_SSL_CTX(ssl));
	struct lb_tls *t = srv->tls;
	int rc = 0;

	pthread_rwlock_rdlock(&t->lock);
	if (enc) {
		if (t->nkeys > 0 && RAND_bytes(iv, EVP_MAX_IV_LENGTH) == 1) {
			memcpy(name, t->keys[0], LB_TICKET_NAME);
			rc = ticket_init(t->keys[0], iv, c, h, 1) < 0 ? -1 : 1;
		}
	} else {
		for (size_t i = 0; i < t->nkeys; i++) {
			if (memcmp(name, t->keys[i], LB_TICKET_NAME) != 0)
				continue;
			rc = ticket_init(t->keys[i], iv, c, h, 0) < 0 ? -1 :
			    i == 0 && SSL_version(ssl) < TLS1_3_VERSION ? 1 : 2;
			break;
		}
	}
	pthread_rwlock_unlock(&t->lock);
	return rc;
}

/* ---- choosing the certificate ---- */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sni_name *)a)->name,
	    ((const struct sni_name *)b)->name);
}

static const struct sni_name *
find_name(const struct lb_tls_server *srv, const char *name)
{
	struct sni_name key;

	snprintf(key.name, sizeof(key.name), "%s", name);
	return bsearch(&key, srv->names, srv->nnames, sizeof(key), name_cmp);
}

/* The context for the name a client asked for: exact, then a wildcard
 * for its first label; NULL for the default. */
static SSL_CTX *
choose(const struct lb_tls_server *srv, const char *sni)
{
	char low[LB_HOST_MAX + 2];
	const struct sni_name *n;
	const char *dot;
	size_t len = strlen(sni);

	if (len == 0 || len >= LB_HOST_MAX)
		return NULL;
	for (size_t i = 0; i <= len; i++)
		low[i] = (char)tolower((unsigned char)sni[i]);
	if ((n = find_name(srv, low)) != NULL)
		return srv->ctx[n->ctx];
	if ((dot = strchr(low, '.')) == NULL || dot == low)
		return NULL;
	/* "*" in front of ".rest": low has room, it is no longer needed */
	memmove(low + 1, dot, strlen(dot) + 1);
	low[0] = '*';
	n = find_name(srv, low);
	return n != NULL ? srv->ctx[n->ctx] : NULL;
}

static int
servername_cb(SSL *ssl, int *alert, void *arg)
{
	const struct lb_tls_server *srv = arg;
	const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	SSL_CTX *ctx = sni != NULL ? choose(srv, sni) : NULL;

	(void)alert;
	if (ctx != NULL && ctx != SSL_get_SSL_CTX(ssl) &&
	    SSL_set_SSL_CTX(ssl, ctx) == NULL)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	return SSL_TLSEXT_ERR_OK;
}

/* ALPN: our first protocol the client offers; none in common: go on
 * without (HTTP/1.1 is what both speak anyway). */
static int
alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	struct lb_tls_server *srv = arg;
	unsigned char *sel;

	(void)ssl;
	if (SSL_select_next_proto(&sel, outlen, srv->alpn, srv->alpn_len, in,
	    inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* ---- building ---- */

/* The certificates of a PEM blob: the first into ctx as its
 * certificate, the others as its chain. */
static int
use_certs(SSL_CTX *ctx, const struct lb_tls_blob *b)
{
	BIO *bio = BIO_new_mem_buf(b->data, (int)b->len);
	X509 *x;
	int n = 0, rc = 0;

	while (bio != NULL && rc == 0 && (x = PEM_read_bio_X509(bio, NULL,
	    NULL, NULL)) != NULL) {
		if (n++ == 0)
			rc = SSL_CTX_use_certificate(ctx, x) == 1 ? 0 : -1;
		else
			rc = SSL_CTX_add1_chain_cert(ctx, x) == 1 ? 0 : -1;
		X509_free(x);
	}
	BIO_free(bio);
	ERR_clear_error();		/* the end of the PEM */
	return n > 0 && rc == 0 ? 0 : -1;
}

static int
use_key(SSL_CTX *ctx, const struct lb_tls_blob *b)
{
	EVP_PKEY *key = lb_tls_parse_key(b, NULL);
	int rc = key != NULL && SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
	    SSL_CTX_check_private_key(ctx) == 1 ? 0 : -1;

	EVP_PKEY_free(key);
	return rc;
}

/* The CA certificates of b into ctx's store; with names, their subjects
 * go into the list sent to clients in the CertificateRequest. */
static int
use_ca(SSL_CTX *ctx, const struct lb_tls_blob *b, bool names)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	STACK_OF(X509_NAME) *list = names ? sk_X509_NAME_new_null() : NULL;
	BIO *bio = BIO_new_mem_buf(b->data, (int)b->len);
	X509 *x;
	int n = 0;

	while (bio != NULL && (x = PEM_read_bio_X509(bio, NULL, NULL,
	    NULL)) != NULL) {
		X509_NAME *subj = X509_NAME_dup(X509_get_subject_name(x));

		if (X509_STORE_add_cert(store, x) == 1)
			n++;
		if (list != NULL && subj != NULL &&
		    sk_X509_NAME_push(list, subj) > 0)
			subj = NULL;
		X509_NAME_free(subj);
		X509_free(x);
	}
	BIO_free(bio);
	ERR_clear_error();
	if (list != NULL)
		SSL_CTX_set_client_CA_list(ctx, list);
	return n > 0 ? 0 : -1;
}

/*
 * What a peer's certificate chain may be (a client's, a member's): real
 * ones are a leaf and one to three intermediates, in a few KiB.  OpenSSL
 * would take a Certificate message of 100 KiB and parse every
 * certificate in it before it judges the chain, at about 0.3 ms each
 * (OpenSSL 3.0 decodes each key through its providers): a client with a
 * chain of 100 it made itself cost 25 ms of CPU a handshake, against
 * 1 ms for an ordinary one.  A longer message is refused at its header,
 * before any of it is parsed.
 */
#define LB_TLS_CERT_LIST_MAX	(16 * 1024)	/* bytes of the message */
#define LB_TLS_VERIFY_DEPTH	8		/* intermediates */

static void
peer_chain_bounds(SSL_CTX *ctx)
{
	SSL_CTX_set_max_cert_list(ctx, LB_TLS_CERT_LIST_MAX);
	SSL_CTX_set_verify_depth(ctx, LB_TLS_VERIFY_DEPTH);
}

/* What every context of profile p has in common. */
static int
server_settings(SSL_CTX *ctx, const struct lb_profile_conf *p,
    struct lb_tls_server *srv, const struct lb_tls_blob *blobs,
    struct conf_diag *d)
{
	const struct lb_tls_server_conf *t = &p->tls;
	size_t idlen = strlen(p->name);

	SSL_CTX_set_min_proto_version(ctx, (int)t->min_version);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	peer_chain_bounds(ctx);
	/* tickets only: nothing per session kept in the worker */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)p->name,
	    (unsigned)(idlen < SSL_MAX_SID_CTX_LENGTH ? idlen :
	    SSL_MAX_SID_CTX_LENGTH));
	SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb);
	SSL_CTX_set_app_data(ctx, srv);
	SSL_CTX_set_tlsext_servername_callback(ctx, servername_cb);
	SSL_CTX_set_tlsext_servername_arg(ctx, srv);
	if (srv->alpn_len > 0)
		SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, srv);
	if (t->ciphers[0] != '\0' &&
	    SSL_CTX_set_cipher_list(ctx, t->ciphers) != 1) {
		conf_error(d, &t->ciphers_pos, "application-profile %s: "
		    "OpenSSL accepts no cipher of '%s' (%s)", p->name,
		    t->ciphers, ssl_reason("no cipher match"));
		return -1;
	}
	if (t->ciphersuites[0] != '\0' &&
	    SSL_CTX_set_ciphersuites(ctx, t->ciphersuites) != 1) {
		conf_error(d, &t->ciphersuites_pos, "application-profile %s: "
		    "'%s' is not a list of TLS 1.3 ciphersuites OpenSSL knows "
		    "(%s)", p->name, t->ciphersuites, ssl_reason("bad list"));
		return -1;
	}
	if (t->client_ca[0] != '\0') {
		if (use_ca(ctx, &blobs[t->client_ca_slot], true) < 0) {
			conf_error(d, &t->client_ca_pos, "application-profile "
			    "%s: cannot use CA file %s (%s)", p->name,
			    t->client_ca, ssl_reason("no certificate"));
			return -1;
		}
		SSL_CTX_set_verify(ctx, t->client_verify == LB_VERIFY_NONE ?
		    SSL_VERIFY_NONE : SSL_VERIFY_PEER |
		    (t->client_verify == LB_VERIFY_REQUIRED ?
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
	}
	return 0;
}

/* ALPN protocols "a b" into wire format. */
static void
alpn_wire(struct lb_tls_server *srv, const char *list)
{
	const char *p = list;

	srv->alpn_len = 0;
	while (*p != '\0') {
		size_t len = strcspn(p, " ");

		if (len > 0 && len < 256 &&
		    srv->alpn_len + 1 + len <= sizeof(srv->alpn)) {
			srv->alpn[srv->alpn_len++] = (unsigned char)len;
			memcpy(srv->alpn + srv->alpn_len, p, len);
			srv->alpn_len += (unsigned)len;
		}
		p += len;
		p += *p == ' ';
	}
}

struct names_arg {
	struct lb_tls_server *srv;
	size_t ctx;
};

/* Adds one of a certificate's names; the first certificate listed keeps
 * a name that two of them have. */
static void
add_name(const char *name, size_t len, void *arg)
{
	struct names_arg *a = arg;
	struct lb_tls_server *srv = a->srv;
	struct sni_name n = { .ctx = a->ctx };

	if (len == 0 || len >= sizeof(n.name))
		return;
	for (size_t i = 0; i < len; i++)
		n.name[i] = (char)tolower((unsigned char)name[i]);
	for (size_t i = 0; i < srv->nnames; i++)
		if (strcmp(srv->names[i].name, n.name) == 0)
			return;
	if (mem_resize(&srv->names, srv->nnames + 1, sizeof(n)) == -1)
		return;			/* that name falls to the default */
	srv->names[srv->nnames++] = n;
}

static int
add_cert(struct lb_tls_server *srv, const struct lb_profile_conf *p,
    size_t i, const struct lb_tls_blob *blobs, struct conf_diag *d)
{
	size_t idx = p->certs[i].idx;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	struct names_arg a = { srv, i };

	if ((srv->ctx[i] = ctx) == NULL) {
		conf_error(d, &p->certs[i].pos, "out of memory");
		return -1;
	}
	srv->nctx = i + 1;
	if (server_settings(ctx, p, srv, blobs, d) < 0)
		return -1;
	if (use_certs(ctx, &blobs[2 * idx]) < 0 ||
	    use_key(ctx, &blobs[2 * idx + 1]) < 0) {
		conf_error(d, &p->certs[i].pos, "application-profile %s: "
		    "OpenSSL cannot use certificate %s (%s)", p->name,
		    p->certs[i].name, ssl_reason("unusable"));
		ERR_clear_error();
		return -1;
	}
	lb_cert_names(SSL_CTX_get0_certificate(ctx), add_name, &a);
	return 0;
}

static int
server_new(struct lb_tls *t, struct lb_tls_server *srv,
    const struct lb_profile_conf *p, const struct lb_tls_blob *blobs,
    struct conf_diag *d)
{
	srv->tls = t;
	if (p->type != LB_PROFILE_HTTPS || p->ncerts == 0)
		return 0;
	if ((srv->ctx = calloc(p->ncerts, sizeof(*srv->ctx))) == NULL) {
		conf_error(d, &p->pos, "out of memory");
		return -1;
	}
	alpn_wire(srv, p->tls.alpn);
	for (size_t i = 0; i < p->ncerts; i++)
		if (add_cert(srv, p, i, blobs, d) < 0)
			return -1;
	qsort(srv->names, srv->nnames, sizeof(*srv->names), name_cmp);
	return 0;
}

/* What every context edged connects with has in common (members,
 * monitors).  A member asking to renegotiate (a HelloRequest, TLS 1.2)
 * gets a no_renegotiation alert, and the member decides whether the
 * connection goes on: OpenSSL would otherwise run a whole new handshake
 * whenever asked, a new certificate and all. */
static void
client_settings(SSL_CTX *ctx)
{
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	peer_chain_bounds(ctx);
}

/* A pool's context for its members: verify against its CA, or not. */
static SSL_CTX *
client_new(const struct lb_pool_conf *p, const struct lb_tls_blob *blobs,
    struct conf_diag *d)
{
	const struct lb_tls_client_conf *t = &p->tls;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		conf_error(d, &t->pos, "out of memory");
		return NULL;
	}
	client_settings(ctx);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, t->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
	    NULL);
	if (t->ca[0] != '\0' && use_ca(ctx, &blobs[t->ca_slot], false) < 0) {
		conf_error(d, &t->ca_pos, "pool %s: cannot use CA file %s "
		    "(%s)", p->name, t->ca, ssl_reason("no certificate"));
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* An https monitor on a pool that does not re-encrypt. */
static bool
needs_probe_ctx(const struct lb_conf *c)
{
	for (size_t i = 0; i < c->npools; i++)
		if (!c->pools[i].tls.enabled && c->pools[i].monitor[0] &&
		    c->monitors[c->pools[i].monitor_idx].type ==
		    LB_MONITOR_HTTPS)
			return true;
	return false;
}

static SSL_CTX *
probe_new(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx != NULL) {
		client_settings(ctx);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	return ctx;
}

struct lb_tls *
lb_tls_new(const struct lb_conf *c, const struct lb_tls_blob *blobs,
    size_t nblobs, struct conf_diag *d)
{
	struct lb_tls *t = calloc(1, sizeof(*t));

	if (t == NULL || nblobs < c->tls_nfiles) {
		conf_error(d, NULL, t ? "TLS files missing" : "out of memory");
		free(t);
		return NULL;
	}
	pthread_rwlock_init(&t->lock, NULL);
	t->servers = calloc(c->nprofiles + 1, sizeof(*t->servers));
	t->clients = calloc(c->npools + 1, sizeof(*t->clients));
	if (t->servers == NULL || t->clients == NULL) {
		conf_error(d, NULL, "out of memory");
		lb_tls_free(&t);
		return NULL;
	}
	t->nservers = c->nprofiles;
	t->nclients = c->npools;
	for (size_t i = 0; i < c->nprofiles; i++)
		if (server_new(t, &t->servers[i], &c->profiles[i], blobs,
		    d) < 0) {
			lb_tls_free(&t);
			return NULL;
		}
	for (size_t i = 0; i < c->npools; i++)
		if (c->pools[i].tls.enabled && (t->clients[i] =
		    client_new(&c->pools[i], blobs, d)) == NULL) {
			lb_tls_free(&t);
			return NULL;
		}
	if (needs_probe_ctx(c) && (t->probe = probe_new()) == NULL) {
		conf_error(d, NULL, "out of memory");
		lb_tls_free(&t);
		return NULL;
	}
	return t;
}

void
lb_tls_free(struct lb_tls **tp)
{
	struct lb_tls *t = *tp;

	if (t == NULL)
		return;
	for (size_t i = 0; t->servers != NULL && i < t->nservers; i++) {
		for (size_t k = 0; k < t->servers[i].nctx; k++)
			SSL_CTX_free(t->servers[i].ctx[k]);
		free(t->servers[i].ctx);
		free(t->servers[i].names);
	}
	for (size_t i = 0; t->clients != NULL && i < t->nclients; i++)
		SSL_CTX_free(t->clients[i]);
	free(t->servers);
	free(t->clients);
	SSL_CTX_free(t->probe);
	OPENSSL_cleanse(t->keys, sizeof(t->keys));
	pthread_rwlock_destroy(&t->lock);
	free(t);
	*tp = NULL;
}

SSL_CTX *
lb_tls_server_ctx(struct lb_tls *t, size_t profile)
{
	return profile < t->nservers && t->servers[profile].nctx > 0 ?
	    t->servers[profile].ctx[0] : NULL;
}

SSL_CTX *
lb_tls_client_ctx(struct lb_tls *t, size_t pool)
{
	return pool < t->nclients ? t->clients[pool] : NULL;
}

SSL_CTX *
lb_tls_probe_ctx(struct lb_tls *t)
{
	return t->probe;
}
