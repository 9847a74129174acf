/*
 * vpn/vpn_conf_print.c - the `vpn { }` and `ipsec` blocks in normal form
 * (vpn_conf.h): what `edged -T` prints and the worker reads, defaults
 * and the proposals NSX's words made written out, the PSK <hidden>
 * unless the operator asks for it.
 */
#include <arpa/inet.h>
#include <string.h>

#include "addr.h"
#include "vpn_conf.h"

void
vpn_subnet_fmt(char *buf, size_t size, const struct vpn_subnet *s)
{
	char ip[INET6_ADDRSTRLEN];

	if (inet_ntop(s->family, s->addr, ip, sizeof(ip)) == NULL)
		snprintf(ip, sizeof(ip), "?");
	snprintf(buf, size, "%s/%u", ip, s->plen);
}

static void
print_subnets(const char *name, const struct vpn_subnet *v, size_t n,
    FILE *out)
{
	char text[INET6_ADDRSTRLEN + 8];

	fprintf(out, "    %s", name);
	for (size_t i = 0; i < n; i++) {
		vpn_subnet_fmt(text, sizeof(text), &v[i]);
		fprintf(out, " %s", text);
	}
	fputc('\n', out);
}

static void
print_proposals(const char *name, const char (*v)[VPN_PROPOSAL_LEN],
    size_t n, FILE *out)
{
	fprintf(out, "    %s", name);
	for (size_t i = 0; i < n; i++)
		fprintf(out, " %s", v[i]);
	fputc('\n', out);
}

static void
print_times(const struct vpn_site *s, FILE *out, bool start)
{
	static const char *const starts[] = { "always", "on-traffic",
	    "never" };
	char d[32];

	conf_fmt_duration(d, sizeof(d), s->ike_life_ms);
	fprintf(out, "    ike-lifetime %s\n", d);
	conf_fmt_duration(d, sizeof(d), s->esp_life_ms);
	fprintf(out, "    esp-lifetime %s\n", d);
	if (s->dpd_ms == 0)
		snprintf(d, sizeof(d), "off");
	else
		conf_fmt_duration(d, sizeof(d), s->dpd_ms);
	fprintf(out, "    dpd %s\n", d);
	if (start)
		fprintf(out, "    start %s\n", starts[s->start]);
}

static void
print_id(const char *name, const char *id, FILE *out)
{
	fprintf(out, "    %s ", name);
	conf_print_word(out, id);
	fputc('\n', out);
}

static void
print_site(const struct vpn_site *s, bool secrets, FILE *out)
{
	char a[INET6_ADDRSTRLEN];

	fprintf(out, "ipsec %s {\n", s->name);
	addr_fmt(a, sizeof(a), (const struct sockaddr *)&s->local);
	fprintf(out, "    local %s\n", a);
	if (s->peer_any)
		snprintf(a, sizeof(a), "any");
	else
		addr_fmt(a, sizeof(a), (const struct sockaddr *)&s->peer);
	fprintf(out, "    peer %s\n", a);
	if (s->local_id[0] != '\0')
		print_id("local-id", s->local_id, out);
	if (s->peer_id[0] != '\0')
		print_id("peer-id", s->peer_id, out);
	if (s->auth == VPN_AUTH_CERT) {
		fprintf(out, "    authentication certificate %s\n    peer-ca ",
		    s->cert_name);
		conf_print_word(out, s->peer_ca);
	} else {
		fputs("    authentication psk ", out);
		conf_print_secret(out, s->psk, secrets);
	}
	fputc('\n', out);
	print_subnets("local-subnets", s->local_ts, s->nlocal_ts, out);
	print_subnets("peer-subnets", s->peer_ts, s->npeer_ts, out);
	print_proposals("ike", s->ike, s->nike, out);
	print_proposals("esp", s->esp, s->nesp, out);
	print_times(s, out, true);
	fputs("}\n", out);
}

static void
print_ra(const struct vpn_site *s, FILE *out)
{
	char a[INET6_ADDRSTRLEN + 8];

	fprintf(out, "remote-access %s {\n", s->name);
	addr_fmt(a, sizeof(a), (const struct sockaddr *)&s->local);
	fprintf(out, "    local %s\n", a);
	if (s->local_id[0] != '\0')
		print_id("local-id", s->local_id, out);
	fprintf(out, "    certificate %s\n", s->cert_name);
	if (s->auth == VPN_AUTH_EAP) {
		fputs("    authentication eap-mschapv2\n    users ", out);
		conf_print_word(out, s->users);
	} else if (s->auth == VPN_AUTH_RADIUS) {
		fputs("    authentication eap-radius", out);
	} else {
		fputs("    authentication certificate\n    client-ca ", out);
		conf_print_word(out, s->peer_ca);
	}
	vpn_subnet_fmt(a, sizeof(a), &s->pool);
	fprintf(out, "\n    pool %s\n", a);
	if (s->ndns > 0) {
		fputs("    dns", out);
		for (size_t i = 0; i < s->ndns; i++) {
			addr_fmt(a, sizeof(a), (const struct sockaddr *)
			    &s->dns[i]);
			fprintf(out, " %s", a);
		}
		fputc('\n', out);
	}
	print_subnets("subnets", s->local_ts, s->nlocal_ts, out);
	print_proposals("ike", s->ike, s->nike, out);
	print_proposals("esp", s->esp, s->nesp, out);
	print_times(s, out, false);
	fputs("}\n", out);
}

void
vpn_conf_print(const struct vpn_conf *c, bool secrets, FILE *out)
{
	if (!c->present && c->nsites == 0)
		return;
	fputs("vpn {\n    vici-socket ", out);
	conf_print_word(out, c->vici_socket);
	fputc('\n', out);
	vpn_radius_print(c, secrets, out);
	fputs("}\n", out);
	for (size_t i = 0; i < c->nsites; i++)
		if (c->sites[i].ra)
			print_ra(&c->sites[i], out);
		else
			print_site(&c->sites[i], secrets, out);
}
