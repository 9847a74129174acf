/*
 * vpn/vpn_site.h - an `ipsec` site as charon takes it over VICI: its
 * pre-shared key (load-shared) and its connection (load-conn), and what
 * takes them away again (unload-conn, unload-shared).  Private to vpn/.
 *
 * The connection is named after the site; its key's id is "edged-" and
 * the site's name, so that edged's keys never meet swanctl's.  One IKEv2
 * connection with one child of the same name: the local and peer
 * subnets as traffic selectors, the site's proposals, lifetimes as
 * rekey times, DPD, and `start` as the child's start, DPD and close
 * actions (always: start, restart, start, with keyingtries 0: tried
 * until the peer answers; on-traffic: trap, trap, trap; never: none and
 * clear).  Certificates, pools and remote-access users: below.
 */
#ifndef EDGED_VPN_SITE_H
#define EDGED_VPN_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vpn_conf.h"

#define VPN_USER_MAX		256	/* a remote-access user's name */

/* What a certificate-authenticated site needs of files, as the master
 * read them: its certificate (PEM, the leaf), the CA its peer's chains
 * to (PEM: every certificate of the file). */
struct vpn_site_files {
	const char *cert;
	size_t cert_len;
	const char *ca;
	size_t ca_len;
};

/* Each: the whole message (the caller's to free) and its length in
 * *len, or NULL with *err.  load-conn of a site with a certificate
 * takes the files (load_conn_files); the others take none. */
uint8_t *vpn_site_load_shared(const struct vpn_site *s, size_t *len,
    const char **err);
uint8_t *vpn_site_load_conn(const struct vpn_site *s, size_t *len,
    const char **err);
uint8_t *vpn_site_load_conn_files(const struct vpn_site *s,
    const struct vpn_site_files *f, size_t *len, const char **err);
/* a private key (PEM), a certificate (PEM: one, charon's to build
 * chains with, not trusted for itself) */
uint8_t *vpn_site_load_key(const char *pem, size_t plen, size_t *len,
    const char **err);
uint8_t *vpn_site_load_cert(const char *pem, size_t plen, size_t *len,
    const char **err);
/* a remote-access block's pool (named as its key), a user of its
 * (EAP: id "edged-SITE:USER") */
uint8_t *vpn_site_load_pool(const struct vpn_site *s, size_t *len,
    const char **err);
uint8_t *vpn_site_load_user(const struct vpn_site *s, const char *user,
    const char *password, size_t *len, const char **err);
uint8_t *vpn_site_unload_conn(const char *site, size_t *len,
    const char **err);
uint8_t *vpn_site_unload_shared(const char *site, size_t *len,
    const char **err);

/* The id of site's key in charon: "edged-" and its name. */
#define VPN_KEY_PREFIX		"edged-"
/* The next certificate of pem (len bytes) from *off: its PEM block,
 * with its line end, in *blk and *blen; false when none is left. */
bool vpn_pem_next(const char *pem, size_t len, size_t *off, const char **blk,
    size_t *blen);

/* Any command of keys and values only: kv holds n names and values in
 * turn ({ "ike", "site-b", "timeout", "-1" }); as above. */
uint8_t *vpn_site_request(const char *command, const char *const *kv,
    size_t n, size_t *len, const char **err);

#endif /* EDGED_VPN_SITE_H */
