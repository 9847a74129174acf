/*
 * vpn/vpn_worker.c - the tunnels' metrics (vpn_worker.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "vpn_conf.h"
#include "vpn_worker.h"

struct vpn_worker {
	const struct vpn_conf *conf;
	char *state;			/* the master's lines, NUL-ended */
};

void *
vpn_worker_new(const void *part, const struct edged_worker_env *env)
{
	struct vpn_worker *w = calloc(1, sizeof(*w));

	(void)env;
	if (w != NULL)
		w->conf = part;
	return w;
}

int
vpn_worker_msg(void *ws, bool started, uint16_t type, uint32_t arg,
    const void *data, size_t len, int fd)
{
	struct vpn_worker *w = ws;

	(void)started;
	(void)arg;
	if (fd >= 0)
		(void)close(fd);
	if (type != VPN_MSG_STATE)
		log_warn("vpn: unexpected message %u from the master", type);
	else
		(void)edged_state_take(&w->state, data, len);
	return 0;
}

struct site_line {
	char name[VPN_NAME_MAX];
	int up;
	uint64_t v[6];			/* bytes in, out, packets in, out,
					 * ups, downs */
};

static const struct {
	const char *name, *type, *help;
	size_t from;			/* index in v, -1: up */
	const char *label;		/* the second label, or NULL */
} families[] = {
	{ "edged_ipsec_tunnel_up", "gauge", "Whether an ipsec site has an "
	    "installed tunnel (a child SA), as charon said last.",
	    (size_t)-1, NULL },
	{ "edged_ipsec_bytes_total", "counter", "Bytes through a site's "
	    "tunnel, each way (its child SAs now: a rekeyed SA starts "
	    "again).", 0, "direction" },
	{ "edged_ipsec_packets_total", "counter", "Packets through a site's "
	    "tunnel, each way (as the bytes).", 2, "direction" },
	{ "edged_ipsec_tunnel_changes_total", "counter", "A site's tunnels "
	    "that came up and went down, as charon told edged.", 4,
	    "change" },
};

static void
family(FILE *out, size_t k, const char *state)
{
	static const char *const two[][2] = { { "in", "out" },
	    { "in", "out" }, { "up", "down" } };
	struct site_line s;

	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", families[k].name,
	    families[k].help, families[k].name, families[k].type);
	for (const char *l = state; l != NULL && *l != '\0';) {
		if (sscanf(l, "site %63s %d %" SCNu64 " %" SCNu64 " %" SCNu64
		    " %" SCNu64 " %" SCNu64 " %" SCNu64, s.name, &s.up,
		    &s.v[0], &s.v[1], &s.v[2], &s.v[3], &s.v[4], &s.v[5]) ==
		    8) {
			size_t f = families[k].from;

			if (f == (size_t)-1)
				fprintf(out, "%s{site=\"%s\"} %d\n",
				    families[k].name, s.name, s.up != 0);
			else
				for (size_t i = 0; i < 2; i++)
					fprintf(out, "%s{site=\"%s\",%s=\"%s\"} "
					    "%" PRIu64 "\n", families[k].name,
					    s.name, families[k].label,
					    two[f / 2][i], s.v[f + i]);
		}
		l = strchr(l, '\n');
		l = l != NULL ? l + 1 : NULL;
	}
}

int
vpn_worker_metrics(void *ws, FILE *out)
{
	const struct vpn_worker *w = ws;
	int up = 0;
	uint64_t lost = 0;

	if (w->conf->nsites == 0)
		return 0;
	if (w->state != NULL)
		(void)sscanf(w->state, "charon %d %" SCNu64, &up, &lost);
	fprintf(out, "# HELP edged_ipsec_charon_up Whether charon has the "
	    "ipsec sites (its VICI socket answers).\n"
	    "# TYPE edged_ipsec_charon_up gauge\n"
	    "edged_ipsec_charon_up %d\n"
	    "# HELP edged_ipsec_charon_lost_total Times charon went away "
	    "(stopped, crashed, restarted).\n"
	    "# TYPE edged_ipsec_charon_lost_total counter\n"
	    "edged_ipsec_charon_lost_total %" PRIu64 "\n", up != 0, lost);
	for (size_t k = 0; k < sizeof(families) / sizeof(families[0]); k++)
		family(out, k, w->state);
	return ferror(out) ? -1 : 0;
}

void
vpn_worker_free(void *ws)
{
	struct vpn_worker *w = ws;

	if (w == NULL)
		return;
	free(w->state);
	free(w);
}
