/*
 * lb/tls_cert.h - reading and checking the certificates of a
 * configuration (OpenSSL): what the master does at start and at each
 * reload, and `edged -t`; what `edgectl show certificates` lists.
 */
#ifndef EDGED_LB_TLS_CERT_H
#define EDGED_LB_TLS_CERT_H

#include <stdbool.h>
#include <stdint.h>

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

/*
 * Reads every certificate of c: the leaf and its chain, the private key.
 * Errors (a file that cannot be read, no certificate in it, a key that
 * is encrypted or does not match the certificate) and warnings (expired,
 * not yet valid, a key others can read) go to d at the directive that
 * names the file.  *out gets c->ncerts entries (malloc'd, NULL when
 * there are none or out of memory).  Returns the number of errors.
 */
unsigned lb_certs_load(const struct lb_conf *c, struct conf_diag *d,
    struct lb_cert_info **out);

/* t (seconds since the epoch) in UTC: "2026-11-24 18:00:00 UTC" for
 * messages, or with iso "2026-11-24T18:00:00Z" (the number itself if it
 * cannot be). */
void lb_cert_fmt_time(char *buf, size_t size, int64_t t, bool iso);

#endif /* EDGED_LB_TLS_CERT_H */
