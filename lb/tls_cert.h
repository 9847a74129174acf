/*
 * lb/tls_cert.h - reading and checking the certificates of a
 * configuration (OpenSSL): what the master does at start and at each
 * reload, and `edged -t`; what `edgectl show certificates` lists.
 */
#ifndef EDGED_LB_TLS_CERT_H
#define EDGED_LB_TLS_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "lb.h"

/* What is known of one certificate once read; no key material. */
struct lb_cert_info {
	char name[LB_NAME_MAX];		/* the certificate block's */
	char subject[256];		/* one line, RFC 2253 */
	char issuer[256];
	char names[1024];		/* DNS names of subjectAltName, or the
					 * CN, separated by single spaces */
	int64_t not_before;		/* seconds since the epoch, UTC */
	int64_t not_after;
	char key_type[16];		/* "RSA", "EC", "ED25519", ... */
	int key_bits;
	unsigned chain;			/* certificates after the leaf */
	char sha256[100];		/* fingerprint, AA:BB:... */
};

/* A file's bytes as the master read them (NUL-terminated). */
struct lb_tls_blob {
	char *data;
	size_t len;
};

/* What the master read for a configuration's TLS. */
struct lb_tls_files {
	struct lb_cert_info *certs;	/* [c->ncerts] */
	struct lb_tls_blob *blobs;	/* [c->tls_nfiles], in slot order
					 * (lb.h): certificate and chain,
					 * key, CA files */
	size_t nblobs;
};

/*
 * Reads every file of c's TLS: each certificate with its chain and key,
 * the client and pool CA files.  Errors (a file that cannot be read, no
 * certificate in it, a key that is encrypted or does not match the
 * certificate) and warnings (expired, not yet valid, a key others can
 * read) go to d at the directive that names the file.  out gets what was
 * read, to be released with lb_tls_files_release even after errors.
 * Returns the number of errors.
 */
unsigned lb_tls_files_load(const struct lb_conf *c, struct conf_diag *d,
    struct lb_tls_files *out);
/* Wipes the bytes read (keys among them), frees, zeroes f. */
void lb_tls_files_release(struct lb_tls_files *f);
/* Wipes and frees one blob. */
void lb_tls_blob_wipe(struct lb_tls_blob *b);
/* The private key in b, or NULL (*encrypted, when not NULL, says whether
 * it was an encrypted one). */
EVP_PKEY *lb_tls_parse_key(const struct lb_tls_blob *b, bool *encrypted);

/* Calls fn for each DNS name of x's subjectAltName, or for its subject's
 * CN when it has none (names are not NUL-terminated). */
void lb_cert_names(X509 *x, void (*fn)(const char *name, size_t len,
    void *arg), void *arg);

/* t (seconds since the epoch) in UTC: "2026-11-24 18:00:00 UTC" for
 * messages, or with iso "2026-11-24T18:00:00Z" (the number itself if it
 * cannot be). */
void lb_cert_fmt_time(char *buf, size_t size, int64_t t, bool iso);

#endif /* EDGED_LB_TLS_CERT_H */
