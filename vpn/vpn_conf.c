/*
 * vpn/vpn_conf.c - the `ipsec NAME { }` blocks (vpn_conf.h): each
 * directive checked, the proposals' algorithms known to strongSwan and
 * weighed, NSX's words turned into proposals.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"
#include "vpn_conf.h"
#include "vpn_conf_int.h"

void
vpn_conf_init(struct vpn_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->vici_socket, sizeof(c->vici_socket), "%s",
	    VPN_VICI_SOCKET);
	snprintf(c->radius_settings, sizeof(c->radius_settings), "%s",
	    VPN_RADIUS_SETTINGS);
}

void
vpn_conf_release(struct vpn_conf *c)
{
	for (size_t i = 0; i < c->nsites; i++) {
		free(c->sites[i].local_ts);
		free(c->sites[i].peer_ts);
		/* the PSK does not outlive the configuration */
		explicit_bzero(c->sites[i].psk, sizeof(c->sites[i].psk));
	}
	free(c->sites);
	for (size_t i = 0; i < c->nradius; i++)
		explicit_bzero(c->radius[i].secret, sizeof(c->radius[i].secret));
	vpn_conf_init(c);
}

/* ---- values ---- */

int
vpn_get_addr(struct conf_diag *d, const struct conf_node *n, size_t i,
    struct sockaddr_storage *a)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)a;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)a;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, n->args[i], &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, n->args[i], &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	else {
		conf_error(d, &n->argpos[i], "'%s' expects an IPv4 or IPv6 "
		    "address, not '%s'", n->args[0], n->args[i]);
		return -1;
	}
	return 0;
}

int
vpn_get_subnet(struct conf_diag *d, const struct conf_node *n, size_t i,
    struct vpn_subnet *s)
{
	const char *w = n->args[i], *slash = strchr(w, '/');
	char ip[INET6_ADDRSTRLEN], *end;
	unsigned long len = 0;
	unsigned bits;

	memset(s, 0, sizeof(*s));
	if (slash == NULL || (size_t)(slash - w) >= sizeof(ip))
		goto bad;
	memcpy(ip, w, (size_t)(slash - w));
	ip[slash - w] = '\0';
	if (inet_pton(AF_INET, ip, s->addr) == 1)
		s->family = AF_INET;
	else if (inet_pton(AF_INET6, ip, s->addr) == 1)
		s->family = AF_INET6;
	bits = s->family == AF_INET ? 32 : 128;
	if (s->family == 0 || slash[1] < '0' || slash[1] > '9' ||
	    (len = strtoul(slash + 1, &end, 10)) > bits || *end != '\0')
		goto bad;
	s->plen = (unsigned)len;
	for (unsigned b = s->plen; b < bits; b++)
		if (s->addr[b / 8] & (0x80 >> (b % 8))) {
			conf_error(d, &n->argpos[i], "'%s' for '%s' has bits "
			    "set after its /%u: write the network's address",
			    w, n->args[0], s->plen);
			return -1;
		}
	return 0;
bad:
	conf_error(d, &n->argpos[i], "'%s' for '%s' is not a subnet "
	    "(ADDRESS/LENGTH: 10.0.0.0/16, 2001:db8::/48)", w, n->args[0]);
	return -1;
}

/* An identity: printable (charon's own syntax inside; a distinguished
 * name has blanks: quoted). */
static int
get_id(struct conf_diag *d, const struct conf_node *n, char *out)
{
	const char *w = n->args[1];
	size_t len = strlen(w);
	bool ok = len > 0 && len < VPN_ID_MAX && w[0] != ' ';

	for (size_t i = 0; ok && i < len; i++)
		ok = w[i] >= 0x20 && w[i] < 0x7f;
	if (!ok) {
		conf_error(d, &n->argpos[1], "'%s' expects an identity of 1 "
		    "to %d printable characters (an address, a name, "
		    "email@example.com, \"CN=gw, O=Example\")", n->args[0],
		    VPN_ID_MAX - 1);
		return -1;
	}
	memcpy(out, w, len + 1);
	return 0;
}

/* ---- proposals: algorithms strongSwan 5.9 knows ---- */

enum alg_kind { ALG_ENC, ALG_AEAD, ALG_INTEG, ALG_PRF, ALG_DH, ALG_ESN };

struct alg {
	const char *name;
	enum alg_kind kind;
	const char *weak;		/* why, when it is */
};

static const struct alg algs[] = {
	{ "aes128", ALG_ENC, NULL }, { "aes192", ALG_ENC, NULL },
	{ "aes256", ALG_ENC, NULL }, { "aes128ctr", ALG_ENC, NULL },
	{ "aes256ctr", ALG_ENC, NULL },
	{ "camellia128", ALG_ENC, NULL }, { "camellia256", ALG_ENC, NULL },
	{ "3des", ALG_ENC, "3DES has a 64-bit block (Sweet32)" },
	{ "aes128gcm8", ALG_AEAD, NULL }, { "aes128gcm12", ALG_AEAD, NULL },
	{ "aes128gcm16", ALG_AEAD, NULL }, { "aes256gcm8", ALG_AEAD, NULL },
	{ "aes256gcm12", ALG_AEAD, NULL }, { "aes256gcm16", ALG_AEAD, NULL },
	{ "aes128ccm16", ALG_AEAD, NULL }, { "aes256ccm16", ALG_AEAD, NULL },
	{ "chacha20poly1305", ALG_AEAD, NULL },
	{ "sha256", ALG_INTEG, NULL }, { "sha384", ALG_INTEG, NULL },
	{ "sha512", ALG_INTEG, NULL }, { "aesxcbc", ALG_INTEG, NULL },
	{ "aescmac", ALG_INTEG, NULL },
	{ "sha1", ALG_INTEG, "SHA-1 is deprecated for IPsec (RFC 8221)" },
	{ "md5", ALG_INTEG, "MD5 is broken" },
	{ "prfsha256", ALG_PRF, NULL }, { "prfsha384", ALG_PRF, NULL },
	{ "prfsha512", ALG_PRF, NULL }, { "prfaesxcbc", ALG_PRF, NULL },
	{ "prfaescmac", ALG_PRF, NULL },
	{ "prfsha1", ALG_PRF, "SHA-1 is deprecated for IKE (RFC 8247)" },
	{ "modp2048", ALG_DH, NULL }, { "modp3072", ALG_DH, NULL },
	{ "modp4096", ALG_DH, NULL }, { "modp6144", ALG_DH, NULL },
	{ "modp8192", ALG_DH, NULL }, { "ecp256", ALG_DH, NULL },
	{ "ecp384", ALG_DH, NULL }, { "ecp521", ALG_DH, NULL },
	{ "curve25519", ALG_DH, NULL }, { "x25519", ALG_DH, NULL },
	{ "curve448", ALG_DH, NULL }, { "x448", ALG_DH, NULL },
	{ "modp768", ALG_DH, "DH group 1 (768 bits) is broken" },
	{ "modp1024", ALG_DH, "DH group 2 (1024 bits) is within reach "
	    "(Logjam)" },
	{ "modp1536", ALG_DH, "DH group 5 (1536 bits) is too weak (RFC "
	    "8247)" },
	{ "esn", ALG_ESN, NULL }, { "noesn", ALG_ESN, NULL },
};

static const struct alg *
alg_find(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_LEN(algs); i++)
		if (strlen(algs[i].name) == len &&
		    memcmp(algs[i].name, name, len) == 0)
			return &algs[i];
	return NULL;
}

/* Proposal w for ike (or esp), at pos: known algorithms, what each
 * needs there; a weak one warned about.  0, or -1. */
static int
check_proposal(struct conf_diag *d, const struct conf_pos *pos,
    const char *w, bool ike)
{
	unsigned have[ALG_ESN + 1] = { 0 };
	const struct alg *a;

	for (const char *p = w; *p != '\0';) {
		size_t len = strcspn(p, "-");

		if ((a = alg_find(p, len)) == NULL) {
			conf_error(d, pos, "'%s': no algorithm "
			    "'%.*s' in strongSwan's (aes256gcm16, aes256, "
			    "sha256, prfsha256, ecp256, modp2048...)", w,
			    (int)len, p);
			return -1;
		}
		have[a->kind]++;
		if (a->weak != NULL)
			conf_warning(d, pos, "'%s': %s", w, a->weak);
		p += len + (p[len] == '-');
	}
	if (have[ALG_ENC] > 0 && have[ALG_AEAD] > 0) {
		conf_error(d, pos, "'%s' mixes AEAD (aes256gcm16) and classic "
		    "(aes256) encryption, which charon refuses in one "
		    "proposal: give two", w);
		return -1;
	}
	if (have[ALG_ENC] + have[ALG_AEAD] == 0 ||
	    (have[ALG_ENC] > 0 && have[ALG_INTEG] == 0) ||
	    (ike && have[ALG_DH] == 0) ||
	    (ike && have[ALG_AEAD] > 0 && have[ALG_PRF] + have[ALG_INTEG] ==
	    0)) {
		conf_error(d, pos, "'%s' for '%s' lacks %s", w,
		    ike ? "ike" : "esp", have[ALG_ENC] + have[ALG_AEAD] == 0 ?
		    "an encryption algorithm" : have[ALG_ENC] > 0 &&
		    have[ALG_INTEG] == 0 ? "an integrity algorithm (or use "
		    "an AEAD one: aes256gcm16)" : have[ALG_DH] == 0 ?
		    "a DH group (IKE needs one: ecp256, modp2048)" :
		    "a PRF (prfsha256) beside its AEAD algorithm");
		return -1;
	}
	return 0;
}

/* ---- the directives ---- */

int
vpn_set_local(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return vpn_get_addr(d, n, 1, &((struct vpn_site *)obj)->local);
}

static int
set_peer(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct vpn_site *s = obj;

	s->peer_any = strcmp(n->args[1], "any") == 0;
	return s->peer_any ? 0 : vpn_get_addr(d, n, 1, &s->peer);
}

int
vpn_set_id(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct vpn_site *s = obj;

	return get_id(d, n, strcmp(n->args[0], "local-id") == 0 ?
	    s->local_id : s->peer_id);
}

/* authentication psk SECRET: printable, 1 to 255 bytes; the secret is
 * never repeated in a message.  authentication certificate NAME: a
 * certificate block (resolved once every part is: use_certificates). */
static int
set_auth(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const kinds[] = { "psk", "certificate", NULL };
	struct vpn_site *s = obj;
	const char *w = n->nargs > 2 ? n->args[2] : "";
	size_t len = strlen(w);
	unsigned k;
	bool ok = len > 0 && len < VPN_PSK_MAX;

	if (conf_get_keyword(d, n, 1, kinds, &k) < 0)
		return -1;
	if (k == 1) {
		s->auth = VPN_AUTH_CERT;
		s->cert_pos = n->argpos[n->nargs > 2 ? 2 : 1];
		return n->nargs != 3 ? (conf_error(d, &n->argpos[1],
		    "'authentication certificate' expects the name of a "
		    "certificate block"), -1) : conf_get_name(d, n, 2,
		    s->cert_name, sizeof(s->cert_name));
	}
	for (size_t i = 0; ok && i < len; i++)
		ok = (unsigned char)w[i] >= 0x20 && w[i] != 0x7f;
	if (n->nargs != 3 || !ok) {
		conf_error(d, &n->argpos[n->nargs > 2 ? 2 : 1], "'"
		    "authentication psk' expects one secret of 1 to %d "
		    "printable characters (quoted when it has blanks)",
		    VPN_PSK_MAX - 1);
		return -1;
	}
	s->auth = VPN_AUTH_PSK;
	memcpy(s->psk, w, len + 1);
	return 0;
}

int
vpn_set_path(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct vpn_site *s = obj;
	char *out = strcmp(n->args[0], "users") == 0 ? s->users : s->peer_ca;
	const char *w = n->args[1];

	if (w[0] == '\0' || strlen(w) >= EDGED_PATH_MAX) {
		conf_error(d, &n->argpos[1], "'%s' expects a path of 1 to %d "
		    "bytes", n->args[0], EDGED_PATH_MAX - 1);
		return -1;
	}
	snprintf(out, EDGED_PATH_MAX, "%s", w);
	return 0;
}

int
vpn_set_subnets(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct vpn_site *s = obj;
	bool local = strcmp(n->args[0], "peer-subnets") != 0;
	struct vpn_subnet **v = local ? &s->local_ts : &s->peer_ts;
	size_t *nv = local ? &s->nlocal_ts : &s->npeer_ts, i;
	struct vpn_subnet sub, *slot;

	if (*nv > 0) {
		conf_error(d, &n->pos, "'%s' is given twice: one line holds "
		    "them all", n->args[0]);
		return -1;
	}
	for (i = 1; i < n->nargs; i++) {
		if (vpn_get_subnet(d, n, i, &sub) < 0)
			return -1;
		if ((slot = conf_push(v, nv, sizeof(sub))) == NULL)
			return conf_oom(d, &n->pos);
		*slot = sub;
	}
	return 0;
}

int
vpn_set_proposals(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct vpn_site *s = obj;
	bool ike = strcmp(n->args[0], "ike") == 0;
	char (*v)[VPN_PROPOSAL_LEN] = ike ? s->ike : s->esp;
	size_t *nv = ike ? &s->nike : &s->nesp;

	if (*nv > 0) {
		conf_error(d, &n->pos, "'%s' is given twice: one line holds "
		    "its proposals, in order", n->args[0]);
		return -1;
	}
	if (n->nargs - 1 > VPN_PROPOSALS_MAX) {
		conf_error(d, &n->pos, "'%s' takes at most %d proposals",
		    n->args[0], VPN_PROPOSALS_MAX);
		return -1;
	}
	for (size_t i = 1; i < n->nargs; i++) {
		if (strlen(n->args[i]) >= VPN_PROPOSAL_LEN) {
			conf_error(d, &n->argpos[i], "'%s': a proposal of at "
			    "most %d bytes", n->args[0], VPN_PROPOSAL_LEN - 1);
			return -1;
		}
		if (check_proposal(d, &n->argpos[i], n->args[i], ike) < 0)
			return -1;
		snprintf(v[(*nv)++], VPN_PROPOSAL_LEN, "%s", n->args[i]);
	}
	return 0;
}

int
vpn_set_duration(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct vpn_site *s = obj;
	uint64_t *out = strcmp(n->args[0], "dpd") == 0 ? &s->dpd_ms :
	    strcmp(n->args[0], "ike-lifetime") == 0 ? &s->ike_life_ms :
	    &s->esp_life_ms;

	if (strcmp(n->args[0], "dpd") == 0 && strcmp(n->args[1], "off") == 0) {
		*out = 0;
		return 0;
	}
	return conf_get_duration(d, n, 1, strcmp(n->args[0], "dpd") == 0 ?
	    1000 : 60000, 7ULL * 24 * 3600 * 1000, out);
}

static int
set_start(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const starts[] = { "always", "on-traffic",
	    "never", NULL };
	unsigned v;

	if (conf_get_keyword(d, n, 1, starts, &v) < 0)
		return -1;
	((struct vpn_site *)obj)->start = (enum vpn_start)v;
	return 0;
}

/* ---- NSX's words ---- */

static const char *const ciphers[] = { "aes128", "aes256", "aes128gcm",
    "aes256gcm", "3des", NULL };

static int
set_encryption(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct vpn_site *s = obj;
	unsigned v;

	if (conf_get_keyword(d, n, 1, ciphers, &v) < 0)
		return -1;
	snprintf(s->encryption, sizeof(s->encryption), "%s", ciphers[v]);
	return 0;
}

/* NSX's DH groups and strongSwan's names for them */
static const struct {
	unsigned group;
	const char *name;
} dh_groups[] = {
	{ 2, "modp1024" }, { 5, "modp1536" }, { 14, "modp2048" },
	{ 15, "modp3072" }, { 16, "modp4096" }, { 19, "ecp256" },
	{ 20, "ecp384" }, { 21, "ecp521" }, { 31, "curve25519" },
};

static const char *
dh_name(unsigned group)
{
	for (size_t i = 0; i < ARRAY_LEN(dh_groups); i++)
		if (dh_groups[i].group == group)
			return dh_groups[i].name;
	return NULL;
}

static int
set_dh_group(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	uint64_t v;

	if (conf_get_uint(d, n, 1, 1, 32, &v) < 0)
		return -1;
	if (dh_name((unsigned)v) == NULL) {
		conf_error(d, &n->argpos[1], "'dh-group' is one of 2, 5, 14, "
		    "15, 16, 19, 20, 21, 31, not %s", n->args[1]);
		return -1;
	}
	((struct vpn_site *)obj)->dh_group = (unsigned)v;
	return 0;
}

static int
set_pfs(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const onoff[] = { "off", "on", NULL };
	unsigned v;

	if (conf_get_keyword(d, n, 1, onoff, &v) < 0)
		return -1;
	((struct vpn_site *)obj)->pfs = (int)v;
	return 0;
}

static const struct conf_directive site_rows[] = {
	{ "local", 1, 1, CONF_NO_BLOCK, vpn_set_local, "local ADDRESS" },
	{ "peer", 1, 1, CONF_NO_BLOCK, set_peer, "peer ADDRESS|any" },
	{ "local-id", 1, 1, CONF_NO_BLOCK, vpn_set_id, "local-id IDENTITY" },
	{ "peer-id", 1, 1, CONF_NO_BLOCK, vpn_set_id, "peer-id IDENTITY" },
	{ "authentication", 1, 2, CONF_NO_BLOCK, set_auth,
	    "authentication psk SECRET|certificate NAME" },
	{ "peer-ca", 1, 1, CONF_NO_BLOCK, vpn_set_path, "peer-ca FILE" },
	{ "local-subnets", 1, CONF_ARGS_ANY, CONF_NO_BLOCK, vpn_set_subnets,
	    "local-subnets SUBNET..." },
	{ "peer-subnets", 1, CONF_ARGS_ANY, CONF_NO_BLOCK, vpn_set_subnets,
	    "peer-subnets SUBNET..." },
	{ "ike", 1, CONF_ARGS_ANY, CONF_NO_BLOCK, vpn_set_proposals,
	    "ike PROPOSAL..." },
	{ "esp", 1, CONF_ARGS_ANY, CONF_NO_BLOCK, vpn_set_proposals,
	    "esp PROPOSAL..." },
	{ "ike-lifetime", 1, 1, CONF_NO_BLOCK, vpn_set_duration,
	    "ike-lifetime DURATION" },
	{ "esp-lifetime", 1, 1, CONF_NO_BLOCK, vpn_set_duration,
	    "esp-lifetime DURATION" },
	{ "dpd", 1, 1, CONF_NO_BLOCK, vpn_set_duration, "dpd DURATION|off" },
	{ "start", 1, 1, CONF_NO_BLOCK, set_start,
	    "start always|on-traffic|never" },
	{ "encryption", 1, 1, CONF_NO_BLOCK, set_encryption,
	    "encryption aes128|aes256|aes128gcm|aes256gcm|3des" },
	{ "dh-group", 1, 1, CONF_NO_BLOCK, set_dh_group, "dh-group N" },
	{ "pfs", 1, 1, CONF_NO_BLOCK, set_pfs, "pfs on|off" },
};

/* what the block must have, and how its parts fit */
static int
site_check(struct conf_diag *d, const struct conf_node *n,
    const struct vpn_site *s)
{
	static const char *const need[] = { "local", "peer",
	    "authentication", "local-subnets", "peer-subnets", NULL };
	char what[VPN_NAME_MAX + 8];

	snprintf(what, sizeof(what), "ipsec %s", s->name);
	if (conf_require(d, n, what, need) > 0)
		return -1;
	if (!s->peer_any && s->peer.ss_family != s->local.ss_family) {
		conf_error(d, &n->argpos[1], "ipsec %s: 'local' and 'peer' "
		    "are of different families", s->name);
		return -1;
	}
	if (s->auth == VPN_AUTH_CERT && s->peer_ca[0] == '\0') {
		conf_error(d, &n->argpos[1], "ipsec %s: with 'authentication "
		    "certificate', 'peer-ca' names the CA the peer's "
		    "certificate must chain to", s->name);
		return -1;
	}
	if (s->auth == VPN_AUTH_PSK && s->peer_ca[0] != '\0') {
		conf_error(d, &n->argpos[1], "ipsec %s: 'peer-ca' is for "
		    "'authentication certificate'", s->name);
		return -1;
	}
	if ((s->nike > 0 || s->nesp > 0) && (s->encryption[0] != '\0' ||
	    s->dh_group != 0 || s->pfs >= 0)) {
		conf_error(d, &n->argpos[1], "ipsec %s: ike and esp, or NSX's "
		    "encryption, dh-group and pfs, not both", s->name);
		return -1;
	}
	return 0;
}

int
vpn_site_add(struct conf_diag *d, const struct conf_node *n,
    struct vpn_conf *c, struct vpn_site *s, const struct conf_directive *rows,
    size_t nrows, int (*check)(struct conf_diag *, const struct conf_node *,
    const struct vpn_site *))
{
	const char *kind = n->args[0];
	struct vpn_site *slot;

	s->pos = n->pos;
	s->pfs = -1;
	s->dpd_ms = 30000;
	s->ike_life_ms = 8 * 3600 * 1000;
	s->esp_life_ms = 3600 * 1000;
	if (conf_get_name(d, n, 1, s->name, sizeof(s->name)) < 0)
		return -1;
	for (size_t i = 0; i < c->nsites; i++)
		if (strcmp(c->sites[i].name, s->name) == 0) {
			conf_error(d, &n->argpos[1], "%s %s: the name is given "
			    "twice (first at line %u: ipsec sites and "
			    "remote-access blocks are charon's connections, "
			    "one name each)", kind, s->name,
			    c->sites[i].pos.line);
			return -1;
		}
	if (conf_apply(d, n, kind, rows, nrows, s) > 0 || check(d, n, s) < 0 ||
	    (slot = conf_push(&c->sites, &c->nsites, sizeof(*s))) == NULL) {
		free(s->local_ts);
		free(s->peer_ts);
		explicit_bzero(s->psk, sizeof(s->psk));
		return d->nerrors > 0 ? -1 : conf_oom(d, &n->pos);
	}
	*slot = *s;
	return 0;
}

int
vpn_ipsec_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct vpn_site s = { .auth = VPN_AUTH_PSK };

	return vpn_site_add(d, n, obj, &s, site_rows, ARRAY_LEN(site_rows),
	    site_check);
}

/* ---- vpn { } ---- */

int
vpn_get_abs_path(struct conf_diag *d, const struct conf_node *n, char *out,
    size_t size)
{
	const char *w = n->args[1];

	if (w[0] != '/' || strlen(w) >= size) {
		conf_error(d, &n->argpos[1], "'%s' expects an absolute path "
		    "of at most %zu bytes", n->args[0], size - 1);
		return -1;
	}
	snprintf(out, size, "%s", w);
	return 0;
}

static int
set_vici_socket(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct vpn_conf *c = obj;

	return vpn_get_abs_path(d, n, c->vici_socket, sizeof(c->vici_socket));
}

static const struct conf_directive vpn_rows[] = {
	{ "vici-socket", 1, 1, CONF_NO_BLOCK, set_vici_socket,
	    "vici-socket PATH" },
	{ "radius-settings", 1, 1, CONF_NO_BLOCK, vpn_set_radius_settings,
	    "radius-settings PATH" },
	{ "radius-accounting", 1, 1, CONF_NO_BLOCK,
	    vpn_set_radius_accounting, "radius-accounting on|off" },
	{ "radius", 1, 1, CONF_NEEDS_BLOCK, vpn_radius_directive,
	    "radius NAME { address ADDRESS; secret SECRET }" },
};

int
vpn_vpn_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct vpn_conf *c = obj;

	if (c->present) {
		conf_error(d, &n->pos, "'vpn' is given twice (first at line "
		    "%u)", c->pos.line);
		return -1;
	}
	c->present = true;
	c->pos = n->pos;
	return conf_apply(d, n, "vpn", vpn_rows, ARRAY_LEN(vpn_rows), c) > 0 ?
	    -1 : 0;
}

/* NSX's words (or nothing) as proposals */
static void
nsx_proposals(struct conf_diag *d, struct vpn_site *s)
{
	const char *enc = s->encryption[0] != '\0' ? s->encryption : NULL;
	const char *dh = dh_name(s->dh_group != 0 ? s->dh_group : 14);
	bool aead;

	if (enc == NULL && s->dh_group == 0 && s->pfs < 0) {
		snprintf(s->ike[s->nike++], VPN_PROPOSAL_LEN, "%s",
		    VPN_IKE_DEFAULT);
		snprintf(s->esp[s->nesp++], VPN_PROPOSAL_LEN, "%s",
		    VPN_ESP_DEFAULT);
		return;
	}
	if (enc == NULL)
		enc = "aes256gcm";
	aead = strstr(enc, "gcm") != NULL;
	snprintf(s->ike[s->nike++], VPN_PROPOSAL_LEN, "%s%s-%s-%s", enc,
	    aead ? "16" : "", aead ? "prfsha256" : "sha256", dh);
	snprintf(s->esp[s->nesp++], VPN_PROPOSAL_LEN, "%s%s%s%s", enc,
	    aead ? "16" : "-sha256", s->pfs != 0 ? "-" : "",
	    s->pfs != 0 ? dh : "");
	check_proposal(d, &s->pos, s->ike[0], true);
	check_proposal(d, &s->pos, s->esp[0], false);
}

void
vpn_conf_resolve(struct vpn_conf *c, struct conf_diag *d)
{
	vpn_radius_resolve(c, d);
	for (size_t i = 0; i < c->nsites; i++) {
		struct vpn_site *s = &c->sites[i];

		if (s->nike == 0 && s->nesp == 0)
			nsx_proposals(d, s);
		else if (s->nesp == 0)
			snprintf(s->esp[s->nesp++], VPN_PROPOSAL_LEN, "%s",
			    VPN_ESP_DEFAULT);
		else if (s->nike == 0)
			snprintf(s->ike[s->nike++], VPN_PROPOSAL_LEN, "%s",
			    VPN_IKE_DEFAULT);
	}
}

/* the users file: there, and not for every user's eyes */
static unsigned
check_users(const struct vpn_site *s, struct conf_diag *d)
{
	struct stat st;
	const char *why = stat(s->users, &st) < 0 ? strerror(errno) :
	    !S_ISREG(st.st_mode) ? "not a regular file" : NULL;

	if (why != NULL) {
		conf_error(d, &s->pos, "remote-access %s: users file %s: %s",
		    s->name, s->users, why);
		return 1;
	}
	if ((st.st_mode & S_IROTH) != 0) {
		conf_error(d, &s->pos, "remote-access %s: users file %s holds "
		    "passwords and any user can read it (mode %04o): make it "
		    "readable by root only (chmod o-rwx)", s->name, s->users,
		    (unsigned)(st.st_mode & 07777));
		return 1;
	}
	return 0;
}

unsigned
vpn_conf_check_secrets(const struct vpn_conf *c, struct conf_diag *d)
{
	unsigned errors = vpn_radius_check_secrets(c, d);
	struct stat st;

	for (size_t i = 0; i < c->nsites; i++) {
		const struct vpn_site *s = &c->sites[i];

		if (s->auth == VPN_AUTH_EAP) {
			errors += check_users(s, d);
			continue;
		}
		if (s->auth != VPN_AUTH_PSK)
			continue;
		if (conf_secret_hidden(s->psk)) {
			conf_error(d, &s->pos, "ipsec %s: the pre-shared key "
			    "reads %s, as edged -T prints it: write the key "
			    "itself", s->name, CONF_HIDDEN);
			errors++;
		} else if (stat(s->pos.file, &st) == 0 &&
		    (st.st_mode & S_IROTH) != 0) {
			conf_error(d, &s->pos, "ipsec %s: %s holds its "
			    "pre-shared key and any user can read it (mode "
			    "%04o): make it readable by root only (chmod "
			    "o-rwx)", s->name, s->pos.file,
			    (unsigned)(st.st_mode & 07777));
			errors++;
		}
	}
	return errors;
}
