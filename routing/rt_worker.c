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
	char *s;

	(void)started;
	(void)arg;
	if (fd >= 0)
		(void)close(fd);
	if (type != RT_MSG_STATE) {
		log_warn("routing: unexpected message %u from the master",
		    type);
		return 0;
	}
	if ((s = malloc(len + 1)) == NULL) {
		log_warn("routing: out of memory; the metrics keep the "
		    "older state");
		return 0;
	}
	memcpy(s, data, len);
	s[len] = '\0';
	free(w->state);
	w->state = s;
	return 0;
}

/* One "vip NAME ADDR 0|1" line as a sample. */
static void
vip_sample(FILE *out, const char *line)
{
	char name[EDGED_KNAME_MAX], addr[64];
	int on;

	if (sscanf(line, "vip %63s %63s %d", name, addr, &on) == 3)
		fprintf(out, "edged_vip_announced{virtual_server=\"%s\","
		    "address=\"%s\"} %d\n", name, addr, on != 0);
}

int
rt_worker_metrics(void *ws, FILE *out)
{
	const struct rt_worker *w = ws;
	const char *line;
	int zebra = 0;

	if (!w->conf->announce_vs)
		return 0;
	if (w->state != NULL)
		(void)sscanf(w->state, "zebra %d", &zebra);
	fprintf(out, "# HELP edged_zebra_connected Whether the master's "
	    "connection to zebra is up (announce virtual-servers on).\n"
	    "# TYPE edged_zebra_connected gauge\n"
	    "edged_zebra_connected %d\n"
	    "# HELP edged_vip_announced Whether a virtual server's address "
	    "is announced to zebra (route health injection).\n"
	    "# TYPE edged_vip_announced gauge\n", zebra != 0);
	for (line = w->state; line != NULL && *line != '\0';) {
		vip_sample(out, line);
		line = strchr(line, '\n');
		line = line != NULL ? line + 1 : NULL;
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
