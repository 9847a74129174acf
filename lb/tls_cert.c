/*
 * lb/tls_cert.c - see tls_cert.h.  The key is read only to check it
 * against the certificate, then freed; nothing of it is kept or logged.
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

static void
add_name(struct lb_cert_info *ci, const char *name, size_t len)
{
	size_t used = strlen(ci->names);

	if (used + len + 2 > sizeof(ci->names))
		return;
	if (used > 0)
		ci->names[used++] = ' ';
	memcpy(ci->names + used, name, len);
	ci->names[used + len] = '\0';
}

/* The DNS names of subjectAltName, else the subject's CN. */
static void
collect_names(X509 *x, struct lb_cert_info *ci)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL);
	X509_NAME *subj = X509_get_subject_name(x);
	int i;

	for (i = 0; sans != NULL && i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);

		if (g->type == GEN_DNS)
			add_name(ci, (const char *)ASN1_STRING_get0_data(
			    g->d.dNSName), (size_t)ASN1_STRING_length(
			    g->d.dNSName));
	}
	GENERAL_NAMES_free(sans);
	if (ci->names[0] == '\0' && subj != NULL &&
	    (i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1)) >= 0) {
		ASN1_STRING *cn = X509_NAME_ENTRY_get_data(
		    X509_NAME_get_entry(subj, i));

		add_name(ci, (const char *)ASN1_STRING_get0_data(cn),
		    (size_t)ASN1_STRING_length(cn));
	}
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
	collect_names(x, ci);
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

/* Reads the leaf (and the chain after it) of path.  NULL after an
 * error. */
static X509 *
read_certs(const char *path, const struct conf_pos *pos, unsigned *chain,
    struct conf_diag *d)
{
	FILE *f = fopen(path, "r");
	X509 *leaf, *x;

	if (f == NULL) {
		conf_error(d, pos, "cannot read certificate %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	ERR_clear_error();
	if ((leaf = PEM_read_X509(f, NULL, NULL, NULL)) == NULL) {
		conf_error(d, pos, "%s: no PEM certificate in it (%s)", path,
		    ssl_reason("not PEM"));
		fclose(f);
		return NULL;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		(*chain)++;
		X509_free(x);
	}
	ERR_clear_error();		/* the end of the file */
	fclose(f);
	return leaf;
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

static EVP_PKEY *
read_key(const struct lb_cert_conf *cc, struct conf_diag *d)
{
	FILE *f = fopen(cc->key, "r");
	EVP_PKEY *key;
	struct stat st;
	int encrypted = 0;

	if (f == NULL) {
		conf_error(d, &cc->key_pos, "cannot read key %s: %s", cc->key,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & S_IROTH))
		conf_warning(d, &cc->key_pos, "key %s can be read by any user "
		    "(mode %04o): make it readable by root only (0600)",
		    cc->key, (unsigned)(st.st_mode & 07777));
	ERR_clear_error();
	key = PEM_read_PrivateKey(f, NULL, no_passphrase, &encrypted);
	fclose(f);
	if (key == NULL)
		conf_error(d, &cc->key_pos, encrypted ? "key %s is encrypted: "
		    "edged needs it unencrypted, readable by root only%s" :
		    "%s: no PEM private key in it (%s)", cc->key,
		    encrypted ? "" : ssl_reason("not PEM"));
	ERR_clear_error();
	return key;
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
    struct conf_diag *d)
{
	unsigned chain = 0, errors = 0;
	X509 *leaf = read_certs(cc->cert, &cc->cert_pos, &chain, d);
	EVP_PKEY *key = read_key(cc, d);

	if (leaf == NULL)
		errors++;
	if (key == NULL)
		errors++;
	if (cc->chain[0] != '\0') {
		X509 *first = read_certs(cc->chain, &cc->chain_pos, &chain, d);

		if (first == NULL)
			errors++;
		else
			chain++;
		X509_free(first);
	}
	if (leaf != NULL && key != NULL) {
		if (X509_check_private_key(leaf, key) != 1) {
			conf_error(d, &cc->key_pos, "key %s does not match "
			    "certificate %s", cc->key, cc->cert);
			errors++;
		}
		describe(leaf, key, ci);
		ci->chain = chain;
		check_dates(cc, ci, d);
	}
	ERR_clear_error();
	EVP_PKEY_free(key);
	X509_free(leaf);
	return errors;
}

unsigned
lb_certs_load(const struct lb_conf *c, struct conf_diag *d,
    struct lb_cert_info **out)
{
	struct lb_cert_info *v = NULL;
	unsigned errors = 0;

	*out = NULL;
	if (c->ncerts == 0)
		return 0;
	if ((v = calloc(c->ncerts, sizeof(*v))) == NULL) {
		conf_error(d, NULL, "out of memory");
		return 1;
	}
	for (size_t i = 0; i < c->ncerts; i++) {
		snprintf(v[i].name, sizeof(v[i].name), "%s", c->certs[i].name);
		errors += load_one(&c->certs[i], &v[i], d);
	}
	*out = v;
	return errors;
}
