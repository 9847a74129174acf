/*
 * vpn/vpn_conf.h - the `ipsec NAME { }` blocks: site-to-site tunnels
 * through strongSwan's charon (plain data, module.h), and the `vpn { }`
 * block that says where charon is.  Private to vpn/.
 *
 *     ipsec site-b {
 *         local 192.0.2.10
 *         peer 198.51.100.1              # or any: a responder only
 *         local-id 192.0.2.10            # default: the local address
 *         peer-id 198.51.100.1           # default: the peer's
 *         authentication psk "..."
 *         local-subnets 10.0.0.0/16
 *         peer-subnets 10.1.0.0/16 10.2.0.0/16
 *         ike aes256gcm16-prfsha256-ecp256
 *         esp aes256gcm16-ecp256         # a DH group here: PFS
 *         ike-lifetime 8h
 *         esp-lifetime 1h
 *         dpd 30s
 *         start always                   # always | on-traffic | never
 *     }
 *
 * NSX's words are taken where they differ (`encryption aes256`,
 * `dh-group 14`, `pfs on`) and become strongSwan proposals; a weak
 * choice (3DES, DH groups 1, 2 and 5, SHA-1 or MD5 alone) is a warning
 * saying why.  `authentication certificate NAME` with `peer-ca FILE`
 * authenticates with a certificate block instead of a key.
 *
 * Remote access (IKEv2 road warriors) is a site too, answering any peer:
 *
 *     remote-access staff {
 *         local 192.0.2.10
 *         certificate vpn-gw             # clients verify the gateway's
 *         authentication eap-mschapv2    # or: certificate (client-ca)
 *         users /etc/edged/vpn-users     # user:password lines, 0600
 *         pool 10.200.0.0/24             # the clients' addresses
 *         dns 10.0.0.53
 *         subnets 10.0.0.0/16            # what they reach
 *     }
 *
 * `authentication eap-radius` hands the users' EAP to the RADIUS
 * servers of the vpn block (charon's eap-radius, configured through a
 * settings file edged writes and charon reads again):
 *
 *     vpn {
 *         radius corp {
 *             address 10.0.0.5          # port 1812 unless said
 *             secret "..."
 *             nas-identifier edge-1
 *         }
 *         radius-accounting on          # start and stop, bytes, to 1813
 *     }
 */
#ifndef EDGED_VPN_CONF_H
#define EDGED_VPN_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "conf.h"
#include "module.h"

#define VPN_NAME_MAX		64
#define VPN_ID_MAX		256
#define VPN_PSK_MAX		256
#define VPN_PROPOSALS_MAX	8
#define VPN_PROPOSAL_LEN	128

/* the proposals edged offers when the file names none: AES-GCM, ECP
 * P-256, and PFS */
#define VPN_IKE_DEFAULT		"aes256gcm16-prfsha256-ecp256"
#define VPN_ESP_DEFAULT		"aes256gcm16-ecp256"

enum vpn_start {
	VPN_START_ALWAYS,		/* brought up at once, kept up */
	VPN_START_ON_TRAFFIC,		/* brought up by the first packet */
	VPN_START_NEVER,		/* waits for the peer, or edgectl */
};

struct vpn_subnet {
	int family;
	uint8_t addr[16];
	unsigned plen;
};

enum vpn_auth {
	VPN_AUTH_PSK,			/* ipsec: authentication psk */
	VPN_AUTH_CERT,			/* certificate: the peer's checked
					 * against peer-ca (client-ca) */
	VPN_AUTH_EAP,			/* remote-access: eap-mschapv2, the
					 * users file's */
	VPN_AUTH_RADIUS,		/* remote-access: eap-radius, the
					 * vpn block's RADIUS servers */
};

#define VPN_DNS_MAX		4

struct vpn_site {
	char name[VPN_NAME_MAX];
	bool ra;			/* a remote-access block */
	enum vpn_auth auth;
	/* authentication certificate NAME (a site), certificate NAME (a
	 * remote-access block): the block, copied by use_certificates */
	char cert_name[VPN_NAME_MAX];
	struct conf_pos cert_pos;
	struct edged_cert cert;
	char peer_ca[EDGED_PATH_MAX];	/* peer-ca, client-ca */
	/* remote access */
	char users[EDGED_PATH_MAX];	/* user:password lines */
	struct vpn_subnet pool;		/* the clients' addresses */
	struct sockaddr_storage dns[VPN_DNS_MAX];
	size_t ndns;
	struct sockaddr_storage local;	/* port 0 */
	bool peer_any;
	struct sockaddr_storage peer;	/* port 0; not when peer_any */
	char local_id[VPN_ID_MAX];	/* "": the local address */
	char peer_id[VPN_ID_MAX];	/* "": the peer's, or any */
	char psk[VPN_PSK_MAX];		/* a secret: printed <hidden> */
	struct vpn_subnet *local_ts, *peer_ts;
	size_t nlocal_ts, npeer_ts;
	char ike[VPN_PROPOSALS_MAX][VPN_PROPOSAL_LEN];
	size_t nike;
	char esp[VPN_PROPOSALS_MAX][VPN_PROPOSAL_LEN];
	size_t nesp;
	uint64_t ike_life_ms, esp_life_ms, dpd_ms;
	enum vpn_start start;
	/* NSX's words, turned into ike and esp when those are not given */
	char encryption[16];		/* "": none given */
	unsigned dh_group;		/* 0: none given */
	int pfs;			/* -1: not given; 0 off; 1 on */
	struct conf_pos pos;
};

/* where Debian's charon (and charon-systemd) listens for VICI */
#define VPN_VICI_SOCKET		"/var/run/charon.vici"
#define VPN_PATH_MAX		108	/* sun_path */

/* where charon's eap-radius settings are written: a file Debian's
 * strongswan.conf includes (the .conf files of strongswan.d) */
#define VPN_RADIUS_SETTINGS	"/etc/strongswan.d/edged-radius.conf"
#define VPN_RADIUS_MAX		8
#define VPN_RADIUS_PORT		1812
#define VPN_SECRET_MAX		128

/* vpn { radius NAME { } }: a RADIUS server charon hands EAP to */
struct vpn_radius {
	char name[VPN_NAME_MAX];
	struct sockaddr_storage addr;	/* port 0 */
	unsigned port, acct_port;	/* authentication's, accounting's */
	char secret[VPN_SECRET_MAX];	/* printed <hidden> */
	char nas_id[VPN_ID_MAX];	/* "": charon's default */
	struct conf_pos pos;
};

struct vpn_conf {
	struct vpn_site *sites;
	size_t nsites;
	/* vpn { vici-socket PATH; radius-settings PATH; radius NAME { };
	 * radius-accounting on|off } */
	bool present;
	struct conf_pos pos;
	char vici_socket[VPN_PATH_MAX];
	char radius_settings[EDGED_PATH_MAX];
	struct vpn_radius radius[VPN_RADIUS_MAX];
	size_t nradius;
	bool radius_accounting;
};

void vpn_conf_init(struct vpn_conf *c);
void vpn_conf_release(struct vpn_conf *c);
/* `ipsec NAME { }`: a directive setter (conf.h) on a struct vpn_conf. */
int vpn_ipsec_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
/* `remote-access NAME { }` (vpn_conf_ra.c): a directive setter on a
 * struct vpn_conf. */
int vpn_ra_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
/* The sites' certificate names resolved against every module's blocks,
 * their paths copied (use_certificates). */
void vpn_conf_use_certs(struct vpn_conf *c, const struct edged_certs *certs,
    struct conf_diag *d);

/* What only the master checks (edged -t too; the worker's text has the
 * keys hidden): a key that reads CONF_HIDDEN (edged -T's output loaded
 * back), a key in a file other users can read.  The errors added. */
unsigned vpn_conf_check_secrets(const struct vpn_conf *c,
    struct conf_diag *d);
/* `vpn { vici-socket PATH }`: where charon is asked; its RADIUS
 * servers (vpn_conf_radius.c). */
int vpn_vpn_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
/* `radius NAME { }` in the vpn block (vpn_conf_radius.c): a directive
 * setter on a struct vpn_conf; the RADIUS secrets' checks (as
 * vpn_conf_check_secrets'); the RADIUS servers in normal form. */
int vpn_radius_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj);
unsigned vpn_radius_check_secrets(const struct vpn_conf *c,
    struct conf_diag *d);
void vpn_radius_print(const struct vpn_conf *c, bool secrets, FILE *out);
/* whether a remote-access block of c authenticates with eap-radius */
bool vpn_conf_uses_radius(const struct vpn_conf *c);
/* eap-radius without a server: an error; servers none uses: a warning */
void vpn_radius_resolve(struct vpn_conf *c, struct conf_diag *d);
/* The checks and NSX's words turned into proposals, once the whole file
 * is applied (warnings for weak choices). */
void vpn_conf_resolve(struct vpn_conf *c, struct conf_diag *d);
/* c in normal form (vpn_conf_print.c): nothing without a site or a vpn
 * block; the proposals NSX's words made; PSKs as CONF_HIDDEN unless
 * secrets. */
void vpn_conf_print(const struct vpn_conf *c, bool secrets, FILE *out);
/* "10.1.0.0/16" */
void vpn_subnet_fmt(char *buf, size_t size, const struct vpn_subnet *s);

#endif /* EDGED_VPN_CONF_H */
