/*
 * lb/tls_cert.c - see tls_cert.h.  Each file is read once, into memory,
 * and checked there: what the worker gets is exactly what was checked.
 * Key bytes are wiped when freed and never logged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "file.h"
#include "mem.h"
#include "tls_cert.h"

/* OpenSSL's reason for the last failure, or a default. */
static const char *
ssl_reason(const char *dflt)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r != NULL ? r : dflt;
}

static int64_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

void
lb_cert_fmt_time(char *buf, size_t size, int64_t t, bool iso)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || (iso ? strftime(buf, size,
	    "%Y-%m-%dT%H:%M:%SZ", &tm) : strftime(buf, size,
	    "%Y-%m-%d %H:%M:%S UTC", &tm)) == 0)
		snprintf(buf, size, "%lld", (long long)t);
}

void
lb_cert_names(X509 *x, void (*fn)(const char *name, size_t len, void *arg),
    void *arg)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL);
	X509_NAME *subj = X509_get_subject_name(x);
	bool any = false;
	int i;

	for (i = 0; sans != NULL && i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);

		if (g->type != GEN_DNS)
			continue;
		fn((const char *)ASN1_STRING_get0_data(g->d.dNSName),
		    (size_t)ASN1_STRING_length(g->d.dNSName), arg);
		any = true;
	}
	GENERAL_NAMES_free(sans);
	if (!any && subj != NULL &&
	    (i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1)) >= 0) {
		ASN1_STRING *cn = X509_NAME_ENTRY_get_data(
		    X509_NAME_get_entry(subj, i));

		fn((const char *)ASN1_STRING_get0_data(cn),
		    (size_t)ASN1_STRING_length(cn), arg);
	}
}

static void
add_name(const char *name, size_t len, void *arg)
{
	struct lb_cert_info *ci = arg;
	size_t used = strlen(ci->names);

	if (used + len + 2 > sizeof(ci->names))
		return;
	if (used > 0)
		ci->names[used++] = ' ';
	memcpy(ci->names + used, name, len);
	ci->names[used + len] = '\0';
}

static void
one_line(X509_NAME *n, char *buf, size_t size)
{
	BIO *b = BIO_new(BIO_s_mem());
	int len;

	buf[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0 &&
	    (len = BIO_read(b, buf, (int)size - 1)) > 0)
		buf[len] = '\0';
	BIO_free(b);
}

static void
describe(X509 *x, EVP_PKEY *key, struct lb_cert_info *ci)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	const char *type;

	one_line(X509_get_subject_name(x), ci->subject, sizeof(ci->subject));
	one_line(X509_get_issuer_name(x), ci->issuer, sizeof(ci->issuer));
	lb_cert_names(x, add_name, ci);
	ci->not_before = asn1_time(X509_get0_notBefore(x));
	ci->not_after = asn1_time(X509_get0_notAfter(x));
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
		type = "RSA";
		break;
	case EVP_PKEY_RSA_PSS:
		type = "RSA-PSS";
		break;
	case EVP_PKEY_EC:
		type = "EC";
		break;
	case EVP_PKEY_ED25519:
		type = "ED25519";
		break;
	case EVP_PKEY_ED448:
		type = "ED448";
		break;
	default:
		type = OBJ_nid2sn(EVP_PKEY_get_base_id(key));
	}
	snprintf(ci->key_type, sizeof(ci->key_type), "%s", type ? type : "?");
	ci->key_bits = EVP_PKEY_get_bits(key);
	if (X509_digest(x, EVP_sha256(), md, &mdlen) == 1)
		for (unsigned i = 0; i < mdlen && 3 * i + 3 < sizeof(ci->sha256);
		    i++)
			snprintf(ci->sha256 + 3 * i, 4, i + 1 < mdlen ? "%02X:" :
			    "%02X", md[i]);
}

#define LB_TLS_FILE_MAX	(1 << 20)	/* no PEM file is near this */

/* Reads path whole into b (NUL-terminated).  key: the file holds a
 * private key (warn when others can read it).  -1 after an error. */
static int
read_file(const char *path, const struct conf_pos *pos, const char *what,
    bool key, struct lb_tls_blob *b, struct conf_diag *d)
{
	mode_t mode;

	if (file_read(path, LB_TLS_FILE_MAX, &b->data, &b->len, &mode) < 0) {
		if (errno == EINVAL || errno == EFBIG)
			conf_error(d, pos, "%s %s: not a regular file of at "
			    "most %d bytes", what, path, LB_TLS_FILE_MAX);
		else
			conf_error(d, pos, "cannot read %s %s: %s", what,
			    path, strerror(errno));
		b->data = NULL;
		b->len = 0;
		return -1;
	}
	if (key && (mode & S_IROTH))
		conf_warning(d, pos, "key %s can be read by any user (mode "
		    "%04o): make it readable by root only (0600)", path,
		    (unsigned)(mode & 07777));
	return 0;
}

void
lb_tls_blob_wipe(struct lb_tls_blob *b)
{
	if (b->data != NULL)
		OPENSSL_cleanse(b->data, b->len);
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

/* Counts the certificates of b; *leaf gets the first (NULL: none). */
static unsigned
parse_certs(const struct lb_tls_blob *b, X509 **leaf)
{
	BIO *bio = BIO_new_mem_buf(b->data, (int)b->len);
	unsigned n = 0;
	X509 *x;

	*leaf = NULL;
	while (bio != NULL && (x = PEM_read_bio_X509(bio, NULL, NULL,
	    NULL)) != NULL) {
		if (n++ == 0)
			*leaf = x;
		else
			X509_free(x);
	}
	BIO_free(bio);
	return n;
}

/* Reads a file of certificates into b.  Returns how many it holds (at
 * least one), or 0 after an error. */
static unsigned
read_certs(const char *path, const struct conf_pos *pos, const char *what,
    struct lb_tls_blob *b, X509 **leaf, struct conf_diag *d)
{
	unsigned n;

	if (read_file(path, pos, what, false, b, d) < 0)
		return 0;
	ERR_clear_error();
	if ((n = parse_certs(b, leaf)) == 0) {
		conf_error(d, pos, "%s: no PEM certificate in it (%s)", path,
		    ssl_reason("not PEM"));
		lb_tls_blob_wipe(b);
	}
	ERR_clear_error();		/* the end of the file */
	return n;
}

/* The password callback: only called for an encrypted key. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	*(int *)u = 1;
	return -1;
}

EVP_PKEY *
lb_tls_parse_key(const struct lb_tls_blob *b, bool *encrypted)
{
	BIO *bio = BIO_new_mem_buf(b->data, (int)b->len);
	EVP_PKEY *key;
	int enc = 0;

	key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, &enc) :
	    NULL;
	BIO_free(bio);
	if (encrypted != NULL)
		*encrypted = enc != 0;
	return key;
}

static EVP_PKEY *
read_key(const struct lb_cert_conf *cc, struct lb_tls_blob *b,
    struct conf_diag *d)
{
	EVP_PKEY *key;
	bool encrypted;

	if (read_file(cc->key, &cc->key_pos, "key", true, b, d) < 0)
		return NULL;
	ERR_clear_error();
	if ((key = lb_tls_parse_key(b, &encrypted)) == NULL) {
		conf_error(d, &cc->key_pos, encrypted ? "key %s is encrypted: "
		    "edged needs it unencrypted, readable by root only%s" :
		    "%s: no PEM private key in it (%s)", cc->key,
		    encrypted ? "" : ssl_reason("not PEM"));
		lb_tls_blob_wipe(b);
	}
	ERR_clear_error();
	return key;
}

/* Appends the chain file's bytes to the certificate's. */
static int
append_chain(struct lb_tls_blob *cert, struct lb_tls_blob *chain)
{
	char *p = realloc(cert->data, cert->len + chain->len + 2);

	if (p == NULL)
		return -1;
	p[cert->len] = '\n';
	memcpy(p + cert->len + 1, chain->data, chain->len + 1);
	cert->data = p;
	cert->len += chain->len + 1;
	return 0;
}

/* Warns about a certificate outside its validity period. */
static void
check_dates(const struct lb_cert_conf *cc, const struct lb_cert_info *ci,
    struct conf_diag *d)
{
	int64_t now = (int64_t)time(NULL);
	char when[64];

	if (ci->not_after != 0 && ci->not_after < now) {
		lb_cert_fmt_time(when, sizeof(when), ci->not_after,
		    false);
		conf_warning(d, &cc->cert_pos, "certificate %s (%s) expired on "
		    "%s", cc->cert, cc->name, when);
	} else if (ci->not_before > now) {
		lb_cert_fmt_time(when, sizeof(when), ci->not_before,
		    false);
		conf_warning(d, &cc->cert_pos, "certificate %s (%s) is not "
		    "valid before %s", cc->cert, cc->name, when);
	}
}

static unsigned
load_one(const struct lb_cert_conf *cc, struct lb_cert_info *ci,
    struct lb_tls_blob *blobs, struct conf_diag *d)
{
	struct lb_tls_blob chain = { 0 };
	unsigned n = 0, errors = 0;
	X509 *leaf = NULL, *first = NULL;
	EVP_PKEY *key;

	if ((n = read_certs(cc->cert, &cc->cert_pos, "certificate", &blobs[0],
	    &leaf, d)) == 0)
		errors++;
	if ((key = read_key(cc, &blobs[1], d)) == NULL)
		errors++;
	if (cc->chain[0] != '\0') {
		unsigned k = read_certs(cc->chain, &cc->chain_pos, "chain",
		    &chain, &first, d);

		if (k == 0)
			errors++;
		else if (n > 0 && append_chain(&blobs[0], &chain) < 0) {
			conf_error(d, &cc->chain_pos, "out of memory");
			errors++;
		}
		n += k;
		X509_free(first);
		lb_tls_blob_wipe(&chain);
	}
	if (leaf != NULL && key != NULL) {
		if (X509_check_private_key(leaf, key) != 1) {
			conf_error(d, &cc->key_pos, "key %s does not match "
			    "certificate %s", cc->key, cc->cert);
			errors++;
		}
		describe(leaf, key, ci);
		ci->chain = n - 1;
		check_dates(cc, ci, d);
	}
	ERR_clear_error();
	EVP_PKEY_free(key);
	X509_free(leaf);
	return errors;
}

/* A CA file: at least one certificate. */
static unsigned
load_ca(const char *path, const struct conf_pos *pos, struct lb_tls_blob *b,
    struct conf_diag *d)
{
	X509 *first = NULL;
	unsigned n = read_certs(path, pos, "CA file", b, &first, d);

	X509_free(first);
	return n == 0;
}

static unsigned
load_cas(const struct lb_conf *c, struct lb_tls_blob *blobs,
    struct conf_diag *d)
{
	unsigned errors = 0;

	for (size_t i = 0; i < c->nprofiles; i++) {
		const struct lb_tls_server_conf *t = &c->profiles[i].tls;

		if (c->profiles[i].type == LB_PROFILE_HTTPS &&
		    t->client_ca[0] != '\0')
			errors += load_ca(t->client_ca, &t->client_ca_pos,
			    &blobs[t->client_ca_slot], d);
	}
	for (size_t i = 0; i < c->npools; i++) {
		const struct lb_tls_client_conf *t = &c->pools[i].tls;

		if (t->enabled && t->ca[0] != '\0')
			errors += load_ca(t->ca, &t->ca_pos,
			    &blobs[t->ca_slot], d);
	}
	return errors;
}

unsigned
lb_tls_files_load(const struct lb_conf *c, struct conf_diag *d,
    struct lb_tls_files *out)
{
	unsigned errors = 0;

	memset(out, 0, sizeof(*out));
	if (c->tls_nfiles == 0)
		return 0;
	out->certs = mem_array(c->ncerts, sizeof(*out->certs));
	out->blobs = calloc(c->tls_nfiles, sizeof(*out->blobs));
	if (out->certs == NULL || out->blobs == NULL) {
		lb_tls_files_release(out);
		conf_error(d, NULL, "out of memory");
		return 1;
	}
	out->nblobs = c->tls_nfiles;
	for (size_t i = 0; i < c->ncerts; i++) {
		snprintf(out->certs[i].name, sizeof(out->certs[i].name), "%s",
		    c->certs[i].name);
		errors += load_one(&c->certs[i], &out->certs[i],
		    &out->blobs[2 * i], d);
	}
	return errors + load_cas(c, out->blobs, d);
}

void
lb_tls_files_release(struct lb_tls_files *f)
{
	for (size_t i = 0; f->blobs != NULL && i < f->nblobs; i++)
		lb_tls_blob_wipe(&f->blobs[i]);
	free(f->blobs);
	free(f->certs);
	memset(f, 0, sizeof(*f));
}
