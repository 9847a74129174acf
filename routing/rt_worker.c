/*
 * routing/rt_worker.c - the announcements' metrics (rt_worker.h): the
 * worker cannot see zebra; the master sends it the state at start and
 * after every change, and /metrics writes it out.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "rt_conf.h"
#include "rt_worker.h"

struct rt_worker {
	const struct rt_conf *conf;
	char *state;			/* the master's lines, NUL-ended */
};

void *
rt_worker_new(const void *part, const struct edged_worker_env *env)
{
	struct rt_worker *w = calloc(1, sizeof(*w));

	(void)env;
	if (w != NULL)
		w->conf = part;
	return w;
}

int
rt_worker_msg(void *ws, bool started, uint16_t type, uint32_t arg,
    const void *data, size_t len, int fd)
{
	struct rt_worker *w = ws;

	(void)started;
	(void)arg;
	if (fd >= 0)
		(void)close(fd);
	if (type != RT_MSG_STATE)
		log_warn("routing: unexpected message %u from the master",
		    type);
	else
		(void)edged_state_take(&w->state, data, len);
	return 0;
}

/* One state line as a sample, when it is of the family kind. */
static void
sample(FILE *out, const char *line, const char *kind)
{
	char a[EDGED_KNAME_MAX], b[64];
	int on;

	if (strcmp(kind, "vip") == 0 &&
	    sscanf(line, "vip %63s %63s %d", a, b, &on) == 3)
		fprintf(out, "edged_vip_announced{virtual_server=\"%s\","
		    "address=\"%s\"} %d\n", a, b, on != 0);
	else if (strcmp(kind, "bgp") == 0 &&
	    sscanf(line, "bgp %63s %d", a, &on) == 2)
		fprintf(out, "edged_bgp_neighbor_up{neighbor=\"%s\"} %d\n", a,
		    on != 0);
	else if (strcmp(kind, "ospf") == 0 &&
	    sscanf(line, "ospf %63s %63s %d", a, b, &on) == 3)
		fprintf(out, "edged_ospf_neighbor_up{neighbor=\"%s\","
		    "interface=\"%s\"} %d\n", a, b, on != 0);
}

static void
samples(FILE *out, const char *state, const char *kind)
{
	for (const char *line = state; line != NULL && *line != '\0';) {
		sample(out, line, kind);
		line = strchr(line, '\n');
		line = line != NULL ? line + 1 : NULL;
	}
}

int
rt_worker_metrics(void *ws, FILE *out)
{
	const struct rt_worker *w = ws;
	int zebra = 0;

	if (rt_conf_announces(w->conf)) {
		if (w->state != NULL)
			(void)sscanf(w->state, "zebra %d", &zebra);
		fprintf(out, "# HELP edged_zebra_connected Whether the "
		    "master's connection to zebra is up (announce "
		    "virtual-servers on).\n"
		    "# TYPE edged_zebra_connected gauge\n"
		    "edged_zebra_connected %d\n"
		    "# HELP edged_vip_announced Whether a virtual server's "
		    "address is announced to zebra (route health "
		    "injection).\n"
		    "# TYPE edged_vip_announced gauge\n", zebra != 0);
		samples(out, w->state, "vip");
	}
	if (w->conf->bgp.present) {
		fputs("# HELP edged_bgp_neighbor_up Whether the BGP session "
		    "with a neighbour is Established (bgpd, polled).\n"
		    "# TYPE edged_bgp_neighbor_up gauge\n", out);
		samples(out, w->state, "bgp");
	}
	if (w->conf->ospf.present) {
		fputs("# HELP edged_ospf_neighbor_up Whether the adjacency "
		    "with an OSPF neighbour is Full (ospfd, polled).\n"
		    "# TYPE edged_ospf_neighbor_up gauge\n", out);
		samples(out, w->state, "ospf");
	}
	return ferror(out) ? -1 : 0;
}

void
rt_worker_free(void *ws)
{
	struct rt_worker *w = ws;

	if (w == NULL)
		return;
	free(w->state);
	free(w);
}
