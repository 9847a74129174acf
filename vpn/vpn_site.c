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

/* the local and remote auth sections: PSK, the ids */
static void
auths(struct vpn_vici_out *o, const struct vpn_site *s)
{
	char a[INET6_ADDRSTRLEN];

	vpn_vici_section(o, "local");
	vpn_vici_kv(o, "auth", "psk", -1);
	addr_text(a, sizeof(a), &s->local);
	vpn_vici_kv(o, "id", s->local_id[0] != '\0' ? s->local_id : a, -1);
	vpn_vici_end(o);
	vpn_vici_section(o, "remote");
	vpn_vici_kv(o, "auth", "psk", -1);
	if (!s->peer_any)
		addr_text(a, sizeof(a), &s->peer);
	vpn_vici_kv(o, "id", s->peer_id[0] != '\0' ? s->peer_id :
	    s->peer_any ? "%any" : a, -1);
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
	subnets(o, "remote_ts", s->peer_ts, s->npeer_ts);
	proposals(o, "esp_proposals", s->esp, s->nesp);
	seconds(o, "rekey_time", s->esp_life_ms);
	vpn_vici_kv(o, "start_action", start[s->start], -1);
	vpn_vici_kv(o, "dpd_action", dpd[s->start], -1);
	vpn_vici_end(o);
	vpn_vici_end(o);
}

uint8_t *
vpn_site_load_conn(const struct vpn_site *s, size_t *len, const char **err)
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
	if (s->dpd_ms != 0)
		seconds(&o, "dpd_delay", s->dpd_ms);
	seconds(&o, "rekey_time", s->ike_life_ms);
	auths(&o, s);
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
