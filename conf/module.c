/*
 * conf/module.c - see module.h.
 */
#include <stdlib.h>
#include <string.h>

#include "module.h"

int
edged_endpoints_add(struct edged_endpoints *eps,
    const struct sockaddr_storage *addr, int proto, const char *what)
{
	struct edged_endpoint *e;

	if (eps->n == eps->cap) {
		size_t cap = eps->cap ? eps->cap * 2 : 8;

		if ((e = realloc(eps->v, cap * sizeof(*e))) == NULL)
			return -1;
		eps->v = e;
		eps->cap = cap;
	}
	e = &eps->v[eps->n++];
	memset(e, 0, sizeof(*e));
	e->addr = *addr;
	e->proto = proto;
	snprintf(e->what, sizeof(e->what), "%s", what);
	return 0;
}

void
edged_endpoints_release(struct edged_endpoints *eps)
{
	free(eps->v);
	memset(eps, 0, sizeof(*eps));
}
