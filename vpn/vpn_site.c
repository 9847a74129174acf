/*
 * vpn/vpn_site.c - an `ipsec` site's VICI messages (vpn_site.h), in the
 * order of charon's own swanctl.conf keys.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "vpn_site.h"
#include "vpn_vici.h"

static void
addr_text(char *buf, size_t size, const struct sockaddr_storage *a)
{
	const void *p = a->ss_family == AF_INET ?
	    (const void *)&((const struct sockaddr_in *)a)->sin_addr :
	    (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr;

	if (inet_ntop(a->ss_family, p, buf, (socklen_t)size) == NULL)
		snprintf(buf, size, "?");
}

static void
subnets(struct vpn_vici_out *o, const char *name,
    const struct vpn_subnet *v, size_t n)
{
	char ip[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 8];

	vpn_vici_list(o, name);
	for (size_t i = 0; i < n; i++) {
		inet_ntop(v[i].family, v[i].addr, ip, sizeof(ip));
		snprintf(text, sizeof(text), "%s/%u", ip, v[i].plen);
		vpn_vici_item(o, text, -1);
	}
	vpn_vici_list_end(o);
}

static void
proposals(struct vpn_vici_out *o, const char *name,
    const char (*v)[VPN_PROPOSAL_LEN], size_t n)
{
	vpn_vici_list(o, name);
	for (size_t i = 0; i < n; i++)
		vpn_vici_item(o, v[i], -1);
	vpn_vici_list_end(o);
}

static void
seconds(struct vpn_vici_out *o, const char *name, uint64_t ms)
{
	char text[32];

	snprintf(text, sizeof(text), "%llus",
	    (unsigned long long)(ms / 1000));
	vpn_vici_kv(o, name, text, -1);
}

/* the certificates of pem (len bytes), each whole, as list items */
static void
pem_items(struct vpn_vici_out *o, const char *name, const char *pem,
    size_t len)
{
	const char *blk;
	size_t off = 0, blen;

	vpn_vici_list(o, name);
	while (vpn_pem_next(pem, len, &off, &blk, &blen))
		vpn_vici_item(o, blk, (long)blen);
	vpn_vici_list_end(o);
}

/* the local and remote auth sections: PSK or certificates, the ids */
static void
auths(struct vpn_vici_out *o, const struct vpn_site *s,
    const struct vpn_site_files *f)
{
	char a[INET6_ADDRSTRLEN];
	bool psk = s->auth == VPN_AUTH_PSK;

	vpn_vici_section(o, "local");
	vpn_vici_kv(o, "auth", psk ? "psk" : "pubkey", -1);
	if (!psk && f != NULL)
		pem_items(o, "certs", f->cert, f->cert_len);
	addr_text(a, sizeof(a), &s->local);
	/* a site's certificate: its own subject, unless the file says;
	 * remote access: the identity clients ask for (IDr), the address
	 * unless the file says */
	if (psk || s->ra || s->local_id[0] != '\0')
		vpn_vici_kv(o, "id", s->local_id[0] != '\0' ? s->local_id :
		    a, -1);
	vpn_vici_end(o);
	vpn_vici_section(o, "remote");
	if (s->auth == VPN_AUTH_EAP || s->auth == VPN_AUTH_RADIUS) {
		vpn_vici_kv(o, "auth", s->auth == VPN_AUTH_EAP ?
		    "eap-mschapv2" : "eap-radius", -1);
		vpn_vici_kv(o, "eap_id", "%any", -1);
	} else
		vpn_vici_kv(o, "auth", psk ? "psk" : "pubkey", -1);
	if (s->auth == VPN_AUTH_CERT && f != NULL)
		pem_items(o, "cacerts", f->ca, f->ca_len);
	if (!s->peer_any)
		addr_text(a, sizeof(a), &s->peer);
	if (!s->ra)
		vpn_vici_kv(o, "id", s->peer_id[0] != '\0' ? s->peer_id :
		    s->peer_any || !psk ? "%any" : a, -1);
	vpn_vici_end(o);
}

static void
child(struct vpn_vici_out *o, const struct vpn_site *s)
{
	static const char *const start[] = { "start", "trap", "none" };
	static const char *const dpd[] = { "restart", "trap", "clear" };

	vpn_vici_section(o, "children");
	vpn_vici_section(o, s->name);
	subnets(o, "local_ts", s->local_ts, s->nlocal_ts);
	if (!s->ra)		/* a client's: its virtual address */
		subnets(o, "remote_ts", s->peer_ts, s->npeer_ts);
	proposals(o, "esp_proposals", s->esp, s->nesp);
	seconds(o, "rekey_time", s->esp_life_ms);
	vpn_vici_kv(o, "start_action", start[s->start], -1);
	vpn_vici_kv(o, "dpd_action", dpd[s->start], -1);
	/* closed by the peer: opened again (always), trapped (on-traffic) */
	if (s->start != VPN_START_NEVER)
		vpn_vici_kv(o, "close_action", s->start == VPN_START_ALWAYS ?
		    "start" : "trap", -1);
	vpn_vici_end(o);
	vpn_vici_end(o);
}

uint8_t *
vpn_site_load_conn(const struct vpn_site *s, size_t *len, const char **err)
{
	return vpn_site_load_conn_files(s, NULL, len, err);
}

uint8_t *
vpn_site_load_conn_files(const struct vpn_site *s,
    const struct vpn_site_files *f, size_t *len, const char **err)
{
	struct vpn_vici_out o;
	char a[INET6_ADDRSTRLEN];

	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, "load-conn");
	vpn_vici_section(&o, s->name);
	vpn_vici_kv(&o, "version", "2", -1);
	addr_text(a, sizeof(a), &s->local);
	vpn_vici_list(&o, "local_addrs");
	vpn_vici_item(&o, a, -1);
	vpn_vici_list_end(&o);
	if (!s->peer_any)
		addr_text(a, sizeof(a), &s->peer);
	vpn_vici_list(&o, "remote_addrs");
	vpn_vici_item(&o, s->peer_any ? "%any" : a, -1);
	vpn_vici_list_end(&o);
	proposals(&o, "proposals", s->ike, s->nike);
	if (s->ra) {
		char pool[VPN_NAME_MAX + 8];

		snprintf(pool, sizeof(pool), VPN_KEY_PREFIX "%s", s->name);
		vpn_vici_list(&o, "pools");
		vpn_vici_item(&o, pool, -1);
		vpn_vici_list_end(&o);
	}
	if (s->dpd_ms != 0)
		seconds(&o, "dpd_delay", s->dpd_ms);
	seconds(&o, "rekey_time", s->ike_life_ms);
	/* kept up: tried until the peer answers, not once */
	if (s->start == VPN_START_ALWAYS)
		vpn_vici_kv(&o, "keyingtries", "0", -1);
	auths(&o, s, f);
	child(&o, s);
	vpn_vici_end(&o);
	return vpn_vici_finish(&o, len, err);
}

uint8_t *
vpn_site_load_shared(const struct vpn_site *s, size_t *len,
    const char **err)
{
	struct vpn_vici_out o;
	char id[VPN_NAME_MAX + 8], a[INET6_ADDRSTRLEN];

	snprintf(id, sizeof(id), VPN_KEY_PREFIX "%s", s->name);
	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, "load-shared");
	vpn_vici_kv(&o, "id", id, -1);
	vpn_vici_kv(&o, "type", "IKE", -1);
	vpn_vici_kv(&o, "data", s->psk, -1);
	vpn_vici_list(&o, "owners");
	addr_text(a, sizeof(a), &s->local);
	vpn_vici_item(&o, s->local_id[0] != '\0' ? s->local_id : a, -1);
	if (!s->peer_any)
		addr_text(a, sizeof(a), &s->peer);
	vpn_vici_item(&o, s->peer_id[0] != '\0' ? s->peer_id : s->peer_any ?
	    "%any" : a, -1);
	vpn_vici_list_end(&o);
	return vpn_vici_finish(&o, len, err);
}

uint8_t *
vpn_site_unload_conn(const char *site, size_t *len, const char **err)
{
	struct vpn_vici_out o;

	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, "unload-conn");
	vpn_vici_kv(&o, "name", site, -1);
	return vpn_vici_finish(&o, len, err);
}

uint8_t *
vpn_site_unload_shared(const char *site, size_t *len, const char **err)
{
	struct vpn_vici_out o;
	char id[VPN_NAME_MAX + 8];

	snprintf(id, sizeof(id), VPN_KEY_PREFIX "%s", site);
	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, "unload-shared");
	vpn_vici_kv(&o, "id", id, -1);
	return vpn_vici_finish(&o, len, err);
}

uint8_t *
vpn_site_request(const char *command, const char *const *kv, size_t n,
    size_t *len, const char **err)
{
	struct vpn_vici_out o;

	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, command);
	for (size_t i = 0; i + 1 < n; i += 2)
		vpn_vici_kv(&o, kv[i], kv[i + 1], -1);
	return vpn_vici_finish(&o, len, err);
}

bool
vpn_pem_next(const char *pem, size_t len, size_t *off, const char **blk,
    size_t *blen)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	const char *b, *e;

	if (*off >= len || (b = memmem(pem + *off, len - *off, begin,
	    sizeof(begin) - 1)) == NULL || (e = memmem(b, len - (size_t)(b -
	    pem), end, sizeof(end) - 1)) == NULL)
		return false;
	e += sizeof(end) - 1;
	if ((size_t)(e - pem) < len && *e == '\n')
		e++;
	*blk = b;
	*blen = (size_t)(e - b);
	*off = (size_t)(e - pem);
	return true;
}

uint8_t *
vpn_site_load_key(const char *pem, size_t plen, size_t *len,
    const char **err)
{
	struct vpn_vici_out o;

	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, "load-key");
	vpn_vici_kv(&o, "type", "any", -1);
	vpn_vici_kv(&o, "data", pem, (long)plen);
	return vpn_vici_finish(&o, len, err);
}

uint8_t *
vpn_site_load_cert(const char *pem, size_t plen, size_t *len,
    const char **err)
{
	struct vpn_vici_out o;

	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, "load-cert");
	vpn_vici_kv(&o, "type", "X509", -1);
	vpn_vici_kv(&o, "flag", "NONE", -1);
	vpn_vici_kv(&o, "data", pem, (long)plen);
	return vpn_vici_finish(&o, len, err);
}

uint8_t *
vpn_site_load_pool(const struct vpn_site *s, size_t *len, const char **err)
{
	struct vpn_vici_out o;
	char name[VPN_NAME_MAX + 8], a[INET6_ADDRSTRLEN + 8];

	snprintf(name, sizeof(name), VPN_KEY_PREFIX "%s", s->name);
	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, "load-pool");
	vpn_vici_section(&o, name);
	vpn_subnet_fmt(a, sizeof(a), &s->pool);
	vpn_vici_kv(&o, "addrs", a, -1);
	if (s->ndns > 0) {
		vpn_vici_list(&o, "dns");
		for (size_t i = 0; i < s->ndns; i++) {
			addr_text(a, sizeof(a), &s->dns[i]);
			vpn_vici_item(&o, a, -1);
		}
		vpn_vici_list_end(&o);
	}
	vpn_vici_end(&o);
	return vpn_vici_finish(&o, len, err);
}

uint8_t *
vpn_site_load_user(const struct vpn_site *s, const char *user,
    const char *password, size_t *len, const char **err)
{
	struct vpn_vici_out o;
	char id[VPN_NAME_MAX + VPN_USER_MAX + 8];

	snprintf(id, sizeof(id), VPN_KEY_PREFIX "%s:%s", s->name, user);
	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, "load-shared");
	vpn_vici_kv(&o, "id", id, -1);
	vpn_vici_kv(&o, "type", "EAP", -1);
	vpn_vici_kv(&o, "data", password, -1);
	vpn_vici_list(&o, "owners");
	vpn_vici_item(&o, user, -1);
	vpn_vici_list_end(&o);
	return vpn_vici_finish(&o, len, err);
}
