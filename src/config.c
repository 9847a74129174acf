/*
 * src/config.c - the top level of the configuration: the global block and
 * the registry of modules that own the other top-level directives.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "modules.h"
#include "text.h"
#include "util.h"

static int
set_workers(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct core_conf *c = obj;
	uint64_t v;

	if (strcmp(n->args[1], "auto") == 0) {
		c->workers = 0;
		return 0;
	}
	if (conf_get_uint(d, n, 1, 1, 256, &v) < 0)
		return -1;
	c->workers = (unsigned)v;
	return 0;
}

/* A POSIX portable user name: [A-Za-z0-9_][A-Za-z0-9_.-]* (OpenBSD's
 * daemon users start with '_'). */
static int
set_user(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct core_conf *c = obj;
	const char *u = n->args[1];
	size_t len = strlen(u);
	bool ok = len > 0 && len < sizeof(c->user) &&
	    (isalnum((unsigned char)u[0]) || u[0] == '_');

	for (size_t i = 1; ok && i < len; i++)
		ok = isalnum((unsigned char)u[i]) || strchr("_.-", u[i]);
	if (!ok) {
		conf_error(d, &n->argpos[1], "bad user name '%s' for 'user': "
		    "expected letters, digits, '_', '.' and '-', not starting "
		    "with '.' or '-', at most %zu characters", u, sizeof(c->user) - 1);
		return -1;
	}
	memcpy(c->user, u, len + 1);
	return 0;
}

/* An absolute path that fits out (control-socket, state-directory). */
static int
get_abs_path(struct conf_diag *d, const struct conf_node *n, char *out,
    size_t size)
{
	size_t len = strlen(n->args[1]);

	if (n->args[1][0] != '/' || len >= size) {
		conf_error(d, &n->argpos[1], "'%s' expects an absolute path of "
		    "at most %zu bytes, got '%s'", n->args[0], size - 1,
		    n->args[1]);
		return -1;
	}
	memcpy(out, n->args[1], len + 1);
	return 0;
}

static int
set_socket(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct core_conf *c = obj;

	return get_abs_path(d, n, c->control_socket,
	    sizeof(c->control_socket));
}

static int
set_state_dir(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct core_conf *c = obj;

	return get_abs_path(d, n, c->state_dir, sizeof(c->state_dir));
}

static int
set_maxconn(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct core_conf *c = obj;

	return conf_get_uint(d, n, 1, 1, 10000000, &c->max_connections);
}

static int
set_grace(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct core_conf *c = obj;

	return conf_get_duration(d, n, 1, 0, 24 * 3600 * 1000ULL,
	    &c->grace_ms);
}

static int
set_hard_stop(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct core_conf *c = obj;

	return conf_get_duration(d, n, 1, 1000, 7 * 24 * 3600 * 1000ULL,
	    &c->hard_stop_after_ms);
}

static int
set_ticket_rotate(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct core_conf *c = obj;

	/* a minute at least: each rotation costs every client a full
	 * handshake once its ticket's key is gone */
	return conf_get_duration(d, n, 1, 60 * 1000, 7 * 24 * 3600 * 1000ULL,
	    &c->ticket_rotate_ms);
}

static const struct conf_directive global_rows[] = {
	{ "workers", 1, 1, CONF_NO_BLOCK, set_workers, "workers N|auto" },
	{ "user", 1, 1, CONF_NO_BLOCK, set_user, "user NAME" },
	{ "control-socket", 1, 1, CONF_NO_BLOCK, set_socket,
	    "control-socket PATH" },
	{ "max-connections", 1, 1, CONF_NO_BLOCK, set_maxconn,
	    "max-connections N" },
	{ "grace", 1, 1, CONF_NO_BLOCK, set_grace, "grace DURATION" },
	{ "hard-stop-after", 1, 1, CONF_NO_BLOCK, set_hard_stop,
	    "hard-stop-after DURATION" },
	{ "tls-ticket-rotate", 1, 1, CONF_NO_BLOCK, set_ticket_rotate,
	    "tls-ticket-rotate DURATION" },
	{ "state-directory", 1, 1, CONF_NO_BLOCK, set_state_dir,
	    "state-directory PATH" },
};

static int
set_global(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	return conf_apply(d, n, "global", global_rows,
	    ARRAY_LEN(global_rows), obj) ? -1 : 0;
}

static const struct conf_directive core_rows[] = {
	{ "global", 0, 0, CONF_NEEDS_BLOCK, set_global, "global { }" },
};

/* The rows of whoever owns top-level name: the core's (obj is the
 * core's part) or a module's (obj is its part); NULL when none does. */
static const struct conf_directive *
find_owner(struct edged_conf *c, const char *name, size_t *nrows, void **obj)
{
	for (size_t j = 0; j < ARRAY_LEN(core_rows); j++)
		if (strcmp(core_rows[j].name, name) == 0) {
			*nrows = ARRAY_LEN(core_rows);
			*obj = &c->core;
			return core_rows;
		}
	for (size_t i = 0; i < EDGED_NMODULES; i++) {
		const struct edged_module *m = edged_modules[i];

		for (size_t j = 0; j < m->ndirectives; j++)
			if (strcmp(m->directives[j].name, name) == 0) {
				*nrows = m->ndirectives;
				*obj = c->parts[i];
				return m->directives;
			}
	}
	return NULL;
}

static void
unknown_top(struct conf_diag *d, const struct conf_node *n)
{
	const char *cands[32];
	size_t nc = 0;
	char hint[256];

	for (size_t j = 0; j < ARRAY_LEN(core_rows); j++)
		cands[nc++] = core_rows[j].name;
	for (size_t i = 0; i < EDGED_NMODULES; i++)
		for (size_t j = 0; j < edged_modules[i]->ndirectives &&
		    nc < ARRAY_LEN(cands); j++)
			cands[nc++] = edged_modules[i]->directives[j].name;
	/* HAProxy's frontend, backend, listen: a translation, not a typo */
	if (conf_haproxy_directive(n, "top level", hint, sizeof(hint)) == NULL)
		conf_hint(n->args[0], cands, nc, hint, sizeof(hint));
	conf_error(d, &n->pos, "unknown directive '%s' at top level%s",
	    n->args[0], hint);
}

/* Hands each top-level statement to the owner of its name. */
static void
apply_top(struct edged_conf *c, const struct conf_node *root,
    struct conf_diag *d)
{
	for (size_t i = 0; i < root->nchildren; i++) {
		const struct conf_node *n = &root->children[i];
		struct conf_node one = { .pos = n->pos, .has_block = true,
		    .children = root->children + i, .nchildren = 1 };
		const struct conf_directive *rows;
		size_t nrows;
		void *obj;

		if ((rows = find_owner(c, n->args[0], &nrows, &obj)) == NULL) {
			unknown_top(d, n);
			continue;
		}
		conf_apply(d, &one, "top level", rows, nrows, obj);
	}
}

static void
core_conf_init(struct core_conf *c)
{
	c->workers = 1;
	snprintf(c->user, sizeof(c->user), "edged");
	snprintf(c->control_socket, sizeof(c->control_socket), "%s",
	    EDGED_DEFAULT_SOCKET);
	c->max_connections = 50000;
	c->grace_ms = 30 * 1000;
	c->hard_stop_after_ms = 5 * 60 * 1000;
	c->ticket_rotate_ms = 3600 * 1000;
	snprintf(c->state_dir, sizeof(c->state_dir), "%s",
	    EDGED_DEFAULT_STATE_DIR);
}

/* Every module's certificate blocks, to the modules that use them. */
static void
share_certs(struct edged_conf *c, struct conf_diag *d)
{
	struct edged_certs certs = { 0 };

	for (size_t i = 0; i < EDGED_NMODULES; i++)
		if (edged_modules[i]->certificates != NULL &&
		    edged_modules[i]->certificates(c->parts[i], &certs) < 0) {
			conf_oom(d, NULL);
			free(certs.v);
			return;
		}
	for (size_t i = 0; i < EDGED_NMODULES; i++)
		if (edged_modules[i]->use_certificates != NULL)
			edged_modules[i]->use_certificates(c->parts[i], &certs,
			    d);
	free(certs.v);
}

struct edged_conf *
edged_conf_load(const char *path, const char *text, size_t len,
    struct conf_diag *d)
{
	struct edged_conf *c = calloc(1, sizeof(*c));
	const char *verbatim[EDGED_VERBATIM_MAX + 1];
	struct conf_tree *t;

	if (c == NULL) {
		conf_oom(d, NULL);
		return NULL;
	}
	core_conf_init(&c->core);
	for (size_t i = 0; i < EDGED_NMODULES; i++)
		if ((c->parts[i] = edged_modules[i]->conf_new()) == NULL) {
			conf_oom(d, NULL);
			edged_conf_free(&c);
			return NULL;
		}
	edged_verbatim_blocks(verbatim, EDGED_VERBATIM_MAX);
	t = text ? conf_parse_string(path, text, len, verbatim, d) :
	    conf_parse_file(path, verbatim, d);
	/* After a syntax error the tree's shape is a guess: checking what
	 * its directives mean would report what is not wrong. */
	if (t != NULL && d->nerrors == 0) {
		apply_top(c, &t->root, d);
		/* Nor after out of memory: a block that could not be kept
		 * would be called unknown wherever it is named. */
		for (size_t i = 0; !d->oom && i < EDGED_NMODULES; i++)
			if (edged_modules[i]->conf_resolve != NULL)
				edged_modules[i]->conf_resolve(c->parts[i],
				    d);
		if (!d->oom)
			share_certs(c, d);
	}
	if (t != NULL) {
		c->files = t->files;
		c->nfiles = t->nfiles;
		t->files = NULL;
		t->nfiles = 0;
	}
	conf_tree_free(&t);
	if (d->nerrors > 0)
		edged_conf_free(&c);
	return c;
}

void
edged_conf_free(struct edged_conf **c)
{
	if (*c == NULL)
		return;
	for (size_t i = 0; i < EDGED_NMODULES; i++)
		edged_modules[i]->conf_free((*c)->parts[i]);
	for (size_t i = 0; i < (*c)->nfiles; i++)
		free((*c)->files[i]);
	free((*c)->files);
	free(*c);
	*c = NULL;
}

void
edged_conf_print(const struct edged_conf *c, FILE *out, unsigned flags)
{
	char d[32];

	fprintf(out, "global {\n");
	if (c->core.workers == 0)
		fprintf(out, "    workers auto\n");
	else
		fprintf(out, "    workers %u\n", c->core.workers);
	fprintf(out, "    user %s\n", c->core.user);
	fprintf(out, "    control-socket ");
	conf_print_word(out, c->core.control_socket);
	fprintf(out, "\n    max-connections %llu\n",
	    (unsigned long long)c->core.max_connections);
	conf_fmt_duration(d, sizeof(d), c->core.grace_ms);
	fprintf(out, "    grace %s\n", d);
	conf_fmt_duration(d, sizeof(d), c->core.hard_stop_after_ms);
	fprintf(out, "    hard-stop-after %s\n", d);
	conf_fmt_duration(d, sizeof(d), c->core.ticket_rotate_ms);
	fprintf(out, "    tls-ticket-rotate %s\n", d);
	fprintf(out, "    state-directory ");
	conf_print_word(out, c->core.state_dir);
	fprintf(out, "\n}\n");
	for (size_t i = 0; i < EDGED_NMODULES; i++)
		edged_modules[i]->conf_print(c->parts[i], out, flags);
}

int
edged_conf_endpoints(const struct edged_conf *c,
    struct edged_endpoints *eps)
{
	for (size_t i = 0; i < EDGED_NMODULES; i++)
		if (edged_modules[i]->endpoints != NULL &&
		    edged_modules[i]->endpoints(c->parts[i], eps) < 0)
			return -1;
	return 0;
}

int
edged_conf_print_compiled(const struct edged_conf *c, FILE *out)
{
	struct edged_endpoints eps = { 0 };

	if (edged_conf_endpoints(c, &eps) < 0) {
		edged_endpoints_release(&eps);
		return -1;
	}
	for (size_t i = 0; i < EDGED_NMODULES; i++)
		if (edged_modules[i]->print_compiled != NULL)
			edged_modules[i]->print_compiled(c->parts[i], &eps,
			    out);
	edged_endpoints_release(&eps);
	return 0;
}

char *
edged_conf_to_text(const struct edged_conf *c, size_t *len)
{
	struct text t;
	FILE *f = text_open(&t);

	if (f == NULL)
		return NULL;
	edged_conf_print(c, f, 0);	/* the worker's: no secrets */
	return text_close(&t, len);
}

unsigned
edged_conf_check_files(const struct edged_conf *c, struct conf_diag *d)
{
	unsigned errors = 0;

	for (size_t i = 0; i < EDGED_NMODULES; i++)
		if (edged_modules[i]->check_files != NULL)
			errors += edged_modules[i]->check_files(c->parts[i], d);
	return errors;
}

struct edged_conf *
edged_conf_check(const char *path, FILE *err)
{
	struct conf_diag d;
	struct edged_conf *c;

	conf_diag_init(&d);
	c = edged_conf_load(path, NULL, 0, &d);
	if (c != NULL && edged_conf_check_files(c, &d) > 0)
		edged_conf_free(&c);
	conf_diag_print(&d, err);
	if (c == NULL)
		fprintf(err, "%s: %u error%s\n", path, d.nerrors,
		    d.nerrors == 1 ? "" : "s");
	conf_diag_free(&d);
	return c;
}

unsigned
edged_conf_threads(const struct edged_conf *c)
{
	long n;

	if (c->core.workers > 0)
		return c->core.workers;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 256 ? 256 : (unsigned)n;
}

void
log_conf_diag(const struct conf_diag *d)
{
	for (size_t i = 0; i < d->nmsgs; i++)
		log_msg(d->warning[i] ? LOG_LVL_WARN : LOG_LVL_ERR, "%s",
		    d->msgs[i]);
}
