/*
 * routing/rt_conf.c - the `routing { }` block (rt_conf.h).
 */
#include <string.h>

#include "rt_conf.h"
#include "util.h"

void
rt_conf_init(struct rt_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->zebra_socket, sizeof(c->zebra_socket), "%s",
	    RT_ZEBRA_SOCKET);
}

/* zebra-socket PATH: an absolute path that fits a unix socket address */
static int
set_zebra_socket(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct rt_conf *c = obj;
	const char *path = n->args[1];

	if (path[0] != '/') {
		conf_error(d, &n->argpos[1], "'zebra-socket' expects an "
		    "absolute path, not '%s'", path);
		return -1;
	}
	if (strlen(path) >= sizeof(c->zebra_socket)) {
		conf_error(d, &n->argpos[1], "'zebra-socket': a path of at "
		    "most %zu bytes (a unix socket's)",
		    sizeof(c->zebra_socket) - 1);
		return -1;
	}
	snprintf(c->zebra_socket, sizeof(c->zebra_socket), "%s", path);
	return 0;
}

/* announce virtual-servers on|off */
static int
set_announce(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const what[] = { "virtual-servers", NULL };
	static const char *const onoff[] = { "off", "on", NULL };
	struct rt_conf *c = obj;
	unsigned w, v;

	if (conf_get_keyword(d, n, 1, what, &w) < 0 ||
	    conf_get_keyword(d, n, 2, onoff, &v) < 0)
		return -1;
	c->announce_vs = v == 1;
	return 0;
}

static const struct conf_directive routing_rows[] = {
	{ "zebra-socket", 1, 1, CONF_NO_BLOCK, set_zebra_socket,
	    "zebra-socket PATH" },
	{ "announce", 2, 2, CONF_NO_BLOCK, set_announce,
	    "announce virtual-servers on|off" },
};

int
rt_routing_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct rt_conf *c = obj;

	if (c->present) {
		conf_error(d, &n->pos, "'routing' is given twice (first at "
		    "%s:%u:%u): one block holds it all", c->pos.file,
		    c->pos.line, c->pos.col);
		return -1;
	}
	c->present = true;
	c->pos = n->pos;
	return conf_apply(d, n, "routing", routing_rows,
	    ARRAY_LEN(routing_rows), c) ? -1 : 0;
}

void
rt_conf_print(const struct rt_conf *c, FILE *out)
{
	if (!c->present)
		return;
	fputs("routing {\n    zebra-socket ", out);
	conf_print_word(out, c->zebra_socket);
	fprintf(out, "\n    announce virtual-servers %s\n}\n",
	    c->announce_vs ? "on" : "off");
}
