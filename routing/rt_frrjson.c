/*
 * routing/rt_frrjson.c - FRR's JSON answers read (rt_frrjson.h).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "json.h"
#include "mem.h"
#include "rt_frrjson.h"
#include "text.h"

/* the whole of text as one JSON object; NULL with err */
static struct json *
read_object(const char *text, size_t len, char *err, size_t errsize)
{
	struct json *j = json_parse(text, len, NULL, err, errsize);

	if (j != NULL && j->type != JSON_OBJECT) {
		snprintf(err, errsize, "not a JSON object");
		json_free(&j);
	}
	return j;
}

static void
copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src != NULL ? src : "");
}

static uint64_t
num_of(const struct json *j, const char *key)
{
	double d = json_num(j, key, 0);

	return d > 0 && d < 1.8e19 ? (uint64_t)d : 0;
}

/* ---- BGP ---- */

static void
bgp_peer(const struct json *m, struct rt_bgp_peer *p)
{
	const struct json *afs = json_get(m, "addressFamilyInfo");

	memset(p, 0, sizeof(*p));
	copy_str(p->addr, sizeof(p->addr), m->key);
	copy_str(p->state, sizeof(p->state), json_str(m, "bgpState"));
	p->up = strcmp(p->state, "Established") == 0;
	p->remote_as = (uint32_t)num_of(m, "remoteAs");
	p->up_ms = p->up ? num_of(m, "bgpTimerUpMsec") : 0;
	p->drops = num_of(m, "connectionsDropped");
	copy_str(p->reason, sizeof(p->reason), json_str(m, "lastResetDueTo"));
	for (size_t i = 0; afs != NULL && afs->type == JSON_OBJECT &&
	    i < afs->n; i++) {
		p->received += num_of(&afs->v[i], "acceptedPrefixCounter");
		p->sent += num_of(&afs->v[i], "sentPrefixCounter");
	}
}

int
rt_frrjson_bgp(const char *text, size_t len, struct rt_bgp_peer **v,
    size_t *n, char *err, size_t errsize)
{
	struct json *j = read_object(text, len, err, errsize);
	size_t k = 0;

	*v = NULL;
	*n = 0;
	if (j == NULL)
		return -1;
	if (j->n > 0 && (*v = mem_array(j->n, sizeof(**v))) == NULL) {
		snprintf(err, errsize, "out of memory");
		json_free(&j);
		return -1;
	}
	for (size_t i = 0; i < j->n; i++)
		if (j->v[i].type == JSON_OBJECT &&
		    json_str(&j->v[i], "bgpState") != NULL)
			bgp_peer(&j->v[i], &(*v)[k++]);
	if ((*n = k) == 0) {
		free(*v);
		*v = NULL;
	}
	json_free(&j);
	return 0;
}

/* ---- OSPF ---- */

static void
ospf_peer(const char *id, const struct json *m, struct rt_ospf_peer *p)
{
	const char *ifname = json_str(m, "ifaceName");
	size_t iflen = ifname != NULL ? strcspn(ifname, ":") : 0;

	memset(p, 0, sizeof(*p));
	copy_str(p->id, sizeof(p->id), id);
	snprintf(p->ifname, sizeof(p->ifname), "%.*s", (int)iflen,
	    ifname != NULL ? ifname : "");
	copy_str(p->addr, sizeof(p->addr), json_str(m, "ifaceAddress"));
	copy_str(p->state, sizeof(p->state), json_str(m, "nbrState"));
	p->up = strncmp(p->state, "Full", 4) == 0;
	p->up_ms = num_of(m, "upTimeInMsec");
}

int
rt_frrjson_ospf(const char *text, size_t len, struct rt_ospf_peer **v,
    size_t *n, char *err, size_t errsize)
{
	struct json *j = read_object(text, len, err, errsize);
	const struct json *nbrs = json_get(j, "neighbors");
	size_t total = 0, k = 0;

	*v = NULL;
	*n = 0;
	if (j == NULL)
		return -1;
	for (size_t i = 0; nbrs != NULL && i < nbrs->n; i++)
		total += nbrs->v[i].type == JSON_ARRAY ? nbrs->v[i].n : 0;
	if (total > 0 && (*v = mem_array(total, sizeof(**v))) == NULL) {
		snprintf(err, errsize, "out of memory");
		json_free(&j);
		return -1;
	}
	for (size_t i = 0; nbrs != NULL && i < nbrs->n; i++)
		for (size_t a = 0; nbrs->v[i].type == JSON_ARRAY &&
		    a < nbrs->v[i].n; a++)
			if (nbrs->v[i].v[a].type == JSON_OBJECT)
				ospf_peer(nbrs->v[i].key, &nbrs->v[i].v[a],
				    &(*v)[k++]);
	if ((*n = k) == 0) {
		free(*v);
		*v = NULL;
	}
	json_free(&j);
	return 0;
}

/* ---- routes ---- */

static bool
flag(const struct json *j, const char *key)
{
	const struct json *m = json_get(j, key);

	return m != NULL && m->type == JSON_TRUE;
}

/* edged's route type is fabricd's in FRR's tables */
static const char *
protocol_name(const struct json *r)
{
	const char *p = json_str(r, "protocol");

	if (p == NULL)
		return "?";
	return strcmp(p, "openfabric") == 0 ? "edged" : p;
}

/* The virtual servers whose address prefix (a /32 or /128) is. */
static void
vip_names(const char *prefix, const struct edged_vip *vips, size_t n,
    bool json, FILE *out)
{
	char a[INET6_ADDRSTRLEN + 8];
	bool first = true;

	for (size_t i = 0; i < n; i++) {
		addr_fmt(a, sizeof(a), (const struct sockaddr *)&vips[i].addr);
		strcat(a, vips[i].addr.ss_family == AF_INET ? "/32" : "/128");
		if (strcmp(a, prefix) != 0)
			continue;
		if (json) {
			fputs(first ? "" : ",", out);
			text_json_string(out, vips[i].service);
		} else
			fprintf(out, "%svirtual-server %s", first ? "  [" :
			    ", ", vips[i].service);
		first = false;
	}
	if (!json && !first)
		fputc(']', out);
}

static void
nexthop_text(const struct json *h, FILE *out)
{
	const char *ip = json_str(h, "ip"), *ifname = json_str(h,
	    "interfaceName");

	if (flag(h, "blackhole"))
		fputs(" blackhole", out);
	else if (ip != NULL)
		fprintf(out, " %s%s%s%s", ip, ifname != NULL ? " (" : "",
		    ifname != NULL ? ifname : "", ifname != NULL ? ")" : "");
	else if (ifname != NULL)
		fprintf(out, " %s", ifname);
	if (!flag(h, "active"))
		fputs(" inactive", out);
}

static void
nexthop_json(const struct json *h, FILE *out)
{
	const char *ip = json_str(h, "ip"), *ifname = json_str(h,
	    "interfaceName");

	fprintf(out, "{\"blackhole\":%s,\"active\":%s,\"via\":",
	    flag(h, "blackhole") ? "true" : "false",
	    flag(h, "active") ? "true" : "false");
	if (ip != NULL)
		text_json_string(out, ip);
	else
		fputs("null", out);
	fputs(",\"interface\":", out);
	if (ifname != NULL)
		text_json_string(out, ifname);
	else
		fputs("null", out);
	fputc('}', out);
}

static void
route_text(const struct json *r, const char *prefix,
    const struct edged_vip *vips, size_t nvips, FILE *out)
{
	const struct json *hops = json_get(r, "nexthops");
	char dm[32];

	snprintf(dm, sizeof(dm), "%llu/%llu",
	    (unsigned long long)num_of(r, "distance"),
	    (unsigned long long)num_of(r, "metric"));
	fprintf(out, "%c%c %-24s %-10s %-12s", flag(r, "selected") ? '>' :
	    ' ', flag(r, "installed") ? '*' : ' ', prefix, protocol_name(r),
	    dm);
	for (size_t i = 0; hops != NULL && hops->type == JSON_ARRAY &&
	    i < hops->n; i++)
		nexthop_text(&hops->v[i], out);
	if (strcmp(protocol_name(r), "edged") == 0)
		vip_names(prefix, vips, nvips, false, out);
	fputc('\n', out);
}

static void
route_json(const struct json *r, const char *prefix,
    const struct edged_vip *vips, size_t nvips, FILE *out)
{
	const struct json *hops = json_get(r, "nexthops");

	fputs("{\"prefix\":", out);
	text_json_string(out, prefix);
	fputs(",\"protocol\":", out);
	text_json_string(out, protocol_name(r));
	fprintf(out, ",\"selected\":%s,\"installed\":%s,\"distance\":%llu,"
	    "\"metric\":%llu,\"nexthops\":[", flag(r, "selected") ? "true" :
	    "false", flag(r, "installed") ? "true" : "false",
	    (unsigned long long)num_of(r, "distance"),
	    (unsigned long long)num_of(r, "metric"));
	for (size_t i = 0; hops != NULL && hops->type == JSON_ARRAY &&
	    i < hops->n; i++) {
		fputs(i > 0 ? "," : "", out);
		nexthop_json(&hops->v[i], out);
	}
	fputs("],\"virtual_servers\":[", out);
	if (strcmp(protocol_name(r), "edged") == 0)
		vip_names(prefix, vips, nvips, true, out);
	fputs("]}", out);
}

/* Up to two JSON objects, one after the other. */
static int
read_tables(const char *text, size_t len, struct json *t[2], char *err,
    size_t errsize)
{
	size_t off = 0, used;

	t[0] = t[1] = NULL;
	for (int k = 0; k < 2; k++) {
		while (off < len && strchr(" \t\r\n", text[off]) != NULL)
			off++;
		if (off == len)
			return 0;
		t[k] = json_parse(text + off, len - off, &used, err, errsize);
		if (t[k] == NULL || t[k]->type != JSON_OBJECT) {
			if (t[k] != NULL)
				snprintf(err, errsize, "not a JSON object");
			return -1;
		}
		off += used;
	}
	if (off < len) {
		snprintf(err, errsize, "more than two tables");
		return -1;
	}
	return 0;
}

int
rt_frrjson_routes(const char *text, size_t len,
    const struct edged_vip *vips, size_t nvips, bool json, FILE *out,
    char *err, size_t errsize)
{
	struct json *t[2];
	bool first = true;

	if (read_tables(text, len, t, err, errsize) < 0) {
		json_free(&t[0]);
		json_free(&t[1]);
		return -1;
	}
	fputs(json ? "{\"routes\":[" : "   PREFIX                   PROTOCOL   "
	    "DIST/METRIC  NEXT HOPS\n", out);
	for (int k = 0; k < 2 && t[k] != NULL; k++)
		for (size_t i = 0; i < t[k]->n; i++) {
			const struct json *rs = &t[k]->v[i];

			for (size_t a = 0; rs->type == JSON_ARRAY &&
			    a < rs->n; a++) {
				if (json)
					fputs(first ? "" : ",", out);
				first = false;
				(json ? route_json : route_text)(&rs->v[a],
				    rs->key, vips, nvips, out);
			}
		}
	fputs(json ? "]}\n" : "", out);
	if (!json)
		fputs("(> selected, * in the kernel; edged: a virtual "
		    "server's address, announced)\n", out);
	json_free(&t[0]);
	json_free(&t[1]);
	return 0;
}
