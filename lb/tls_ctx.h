/*
 * lb/tls_ctx.h - the OpenSSL contexts of a configuration (tls_ctx.c):
 * one server context per certificate of each https profile, chosen by
 * SNI, and one client context per pool that re-encrypts; the session
 * ticket keys all of them share.
 *
 * The master builds them once as the prepare step of a reload (so that
 * a cipher list OpenSSL rejects rejects the file, at its line) and drops
 * them; the worker builds them for real from the same bytes.
 */
#ifndef EDGED_LB_TLS_CTX_H
#define EDGED_LB_TLS_CTX_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "lb.h"
#include "tls_cert.h"

struct lb_tls;

/* One session ticket key: name, AES-256 key, HMAC-SHA256 key. */
#define LB_TICKET_NAME	16
#define LB_TICKET_KEY	(LB_TICKET_NAME + 32 + 32)
/* Keys in force at once: [0] encrypts new tickets, the others still
 * decrypt older ones. */
#define LB_TICKET_KEYS	3

/*
 * Builds every context of c from blobs (c->tls_nfiles of them, in slot
 * order; tls_cert.h), which it only reads.  Errors go to d at the
 * directive concerned.  Returns NULL after an error or out of memory;
 * a configuration without TLS gets an empty, valid struct.
 */
struct lb_tls *lb_tls_new(const struct lb_conf *c,
    const struct lb_tls_blob *blobs, size_t nblobs, struct conf_diag *d);
void lb_tls_free(struct lb_tls **t);

/* The default server context of https profile i (NULL for others). */
SSL_CTX *lb_tls_server_ctx(struct lb_tls *t, size_t profile);
/* The client context of pool i (NULL when it does not re-encrypt). */
SSL_CTX *lb_tls_client_ctx(struct lb_tls *t, size_t pool);
/* What an https monitor of a pool without tls uses: no verification
 * (NULL when no such monitor is configured). */
SSL_CTX *lb_tls_probe_ctx(struct lb_tls *t);

/*
 * Sets the ticket keys: n (1..LB_TICKET_KEYS) keys of LB_TICKET_KEY
 * bytes, newest first.  Safe while handshakes run on other threads.
 * Until it is called no ticket is issued.
 */
void lb_tls_set_ticket_keys(struct lb_tls *t, const unsigned char *keys,
    size_t n);

#endif /* EDGED_LB_TLS_CTX_H */
