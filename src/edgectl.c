/*
 * src/edgectl.c - edged's control client.
 *
 *   edgectl [-s SOCKET | -c FILE] [-j] COMMAND [ARG...] [--json]
 *
 * The commands are the rows the daemon dispatches by (ctl.h: the core's
 * and each module's): each turns into one control line that the master
 * answers.  `check` needs no daemon: it runs `edged -t` (edged beside
 * edgectl, else the installed one), whose parser knows every module.
 * edgectl itself links only base/ and conf/, with the rows written at
 * build time (edgectl_rows.h): a command costs a process start of a
 * millisecond, not the daemon's libraries'.
 *
 * The socket is -s, else the control-socket of -c FILE, else the
 * default.  Only that one setting of FILE is read: runtime commands must
 * work while the rest of the file is being edited (and is broken).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "ctl_cmd.h"
#include "edgectl_rows.h"

#define WORD_MAX	64		/* a name on a control line */
#define SOCK_MAX	sizeof(((struct sockaddr_un *)0)->sun_path)

/* The one command edgectl runs itself, without a daemon. */
static const struct edged_command check_row = {
	"check", NULL, "FILE", false, "check a configuration file (no daemon)",
	NULL
};

/* Every command: the daemon's (ctl.h), then check. */
static size_t
tables(struct ctl_table *t)
{
	size_t n = edgectl_ntables;

	memcpy(t, edgectl_tables, n * sizeof(*t));
	t[n++] = (struct ctl_table){ &check_row, 1, NULL };
	return n;
}

/* "member weight POOL MEMBER N [--json]", as the usage lists it. */
static void
synopsis(const struct edged_command *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s%s", c->word, c->sub ? " " : "",
	    c->sub ? c->sub : "", c->args[0] ? " " : "", c->args,
	    c->json ? " [--json]" : "");
}

static void
usage(FILE *out)
{
	char syn[128];

	fprintf(out, "usage: edgectl [-s SOCKET | -c FILE] [-j] COMMAND "
	    "[ARG...] [--json]\n"
	    "options:\n"
	    "  -s, --socket SOCKET  edged's control socket (default "
	    EDGED_DEFAULT_SOCKET ")\n"
	    "  -c, --config FILE    the control-socket named in FILE's global "
	    "block\n"
	    "  -j, --json           JSON output, for the commands marked "
	    "[--json]\n"
	    "  -v, --version        print the version and exit\n"
	    "  -h, --help           print this help and exit\n"
	    "commands:\n");
	struct ctl_table t[EDGECTL_TABLES_MAX];
	size_t nt = tables(t);

	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i].n; j++) {
			const struct edged_command *c = &t[i].rows[j];

			synopsis(c, syn, sizeof(syn));
			if (strlen(syn) <= 28)
				fprintf(out, "  %-28s %s\n", syn, c->help);
			else
				fprintf(out, "  %s\n  %-28s %s\n", syn, "",
				    c->help);
		}
}

/* Runs edged -t -c path: edged in edgectl's own directory (a build
 * directory, or the installed pair), else in the configured sbindir.
 * Returns only when neither could be run. */
static int
cmd_check(char *path)
{
	char self[PATH_MAX], prog[PATH_MAX + 8];
	char *argv[] = { "edged", "-t", "-c", path, NULL };
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	fflush(stdout);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(prog, sizeof(prog), "%s/edged", self);
			execv(prog, argv);
		}
	}
	execv(EDGED_SBINDIR "/edged", argv);
	fprintf(stderr, "edgectl: cannot run %s to check %s: %s\n",
	    EDGED_SBINDIR "/edged", path, strerror(errno));
	return 1;
}

/* ---- the control socket named by a file ---- */

/* The last control-socket statement of a top-level global block, or
 * NULL. */
static struct conf_node *
socket_node(const struct conf_tree *t)
{
	struct conf_node *found = NULL;

	for (size_t i = 0; i < t->root.nchildren; i++) {
		const struct conf_node *g = &t->root.children[i];

		if (g->nargs == 0 || strcmp(g->args[0], "global") != 0)
			continue;
		for (size_t j = 0; j < g->nchildren; j++)
			if (strcmp(g->children[j].args[0],
			    "control-socket") == 0)
				found = &g->children[j];
	}
	return found;
}

/* The daemon's own rule (src/config.c): an absolute path that fits
 * sun_path. */
static int
set_socket(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	char *out = obj;
	size_t len = strlen(n->args[1]);

	if (n->args[1][0] != '/' || len >= SOCK_MAX) {
		conf_error(d, &n->argpos[1], "'%s' expects an absolute path of "
		    "at most %zu bytes, got '%s'", n->args[0], SOCK_MAX - 1,
		    n->args[1]);
		return -1;
	}
	memcpy(out, n->args[1], len + 1);
	return 0;
}

static const struct conf_directive socket_row[] = {
	{ "control-socket", 1, 1, CONF_NO_BLOCK, set_socket,
	    "control-socket PATH" },
};

/*
 * The control-socket of the file at path into out (SOCK_MAX bytes): the
 * default when the file parses and names none.  The file's other errors
 * are not ours to report; when they hide the setting, they are printed
 * with the reason.  Returns 0, or -1 after saying why on stderr.
 */
static int
socket_from_conf(const char *path, char *out)
{
	struct conf_tree *t;
	struct conf_node *n, blk = { .nchildren = 1 };
	struct conf_diag d, own;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "edgectl: cannot read %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	(void)close(fd);
	conf_diag_init(&d);
	conf_diag_init(&own);
	if ((t = conf_parse_file(path, edgectl_verbatim, &d)) == NULL) {
		fprintf(stderr, "edgectl: out of memory\n");
		goto free_diag;
	}
	if ((n = socket_node(t)) != NULL) {
		blk.children = n;
		if (conf_apply(&own, &blk, "global", socket_row, 1, out) == 0)
			rc = 0;
		else {
			conf_diag_print(&own, stderr);
			fprintf(stderr, "edgectl: no control socket to reach: "
			    "fix control-socket in %s, or use -s SOCKET\n",
			    path);
		}
	} else if (d.nerrors == 0) {
		snprintf(out, SOCK_MAX, "%s", EDGED_DEFAULT_SOCKET);
		rc = 0;
	} else {
		conf_diag_print(&d, stderr);
		fprintf(stderr, "edgectl: the control socket could not be "
		    "found in %s past %s error%s; use -s SOCKET\n", path,
		    d.nerrors == 1 ? "this" : "these",
		    d.nerrors == 1 ? "" : "s");
	}
	conf_tree_free(&t);
free_diag:
	conf_diag_free(&own);
	conf_diag_free(&d);
	return rc;
}

/* ---- talking to the daemon ---- */

static int
connect_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "edgectl: socket path too long: %s\n", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int err = errno;

		fprintf(stderr, "edgectl: cannot connect to %s: %s%s\n", path,
		    strerror(err), err == ENOENT || err == ECONNREFUSED ?
		    " (is edged running?)" : err == EACCES ?
		    " (run edgectl as root)" : "");
		if (fd >= 0)
			(void)close(fd);
		return -1;
	}
	return fd;
}

/* Sends the command and copies the answer: "OK"/"ERROR" then text. */
static int
run(const char *sock, const char *cmd)
{
	char buf[65536];
	size_t got = 0;
	ssize_t n;
	int fd = connect_socket(sock), ok;

	if (fd < 0)
		return 1;
	/* edged may answer and close before it has read all of a command
	 * (too many control clients, a refused line): no SIGPIPE, and its
	 * answer is still read and shown */
	n = send(fd, cmd, strlen(cmd), MSG_NOSIGNAL);
	if (n != (ssize_t)strlen(cmd) && !(n < 0 && (errno == EPIPE ||
	    errno == ECONNRESET))) {
		fprintf(stderr, "edgectl: sending to %s: %s\n", sock,
		    n < 0 ? strerror(errno) : "short write");
		(void)close(fd);
		return 1;
	}
	while (got < 6 && (n = read(fd, buf + got, sizeof(buf) - got)) > 0)
		got += (size_t)n;
	ok = got >= 3 && memcmp(buf, "OK\n", 3) == 0;
	if (!ok && !(got >= 6 && memcmp(buf, "ERROR\n", 6) == 0)) {
		fprintf(stderr, "edgectl: no answer from edged\n");
		(void)close(fd);
		return 1;
	}
	FILE *out = ok ? stdout : stderr;
	fwrite(buf + (ok ? 3 : 6), 1, got - (ok ? 3 : 6), out);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, out);
	(void)close(fd);
	return ok ? 0 : 1;
}

/* ---- command lines ---- */

/* Appends word and a space to line (len bytes so far); -1 after saying
 * why when the word cannot go on a control line or the line is full. */
static int
append_word(const char *word, char *line, size_t *len, size_t size)
{
	size_t w = strlen(word);

	if (w == 0 || w > WORD_MAX || strpbrk(word, " \t\r\n") != NULL) {
		fprintf(stderr, "edgectl: '%s': a name or address is 1 to %d "
		    "characters without spaces\n", word, WORD_MAX);
		return -1;
	}
	if (*len + w + 2 > size) {
		fprintf(stderr, "edgectl: the command is longer than the "
		    "control socket takes (%zu KiB); give the addresses in "
		    "several commands\n", size / 1024);
		return -1;
	}
	memcpy(line + *len, word, w);
	*len += w;
	line[(*len)++] = ' ';
	line[*len] = '\0';
	return 0;
}

/* "WORD [SUB] ARGS... [json]\n" */
static int
join_line(const struct edged_command *cmd, int argc, char **args,
    bool json, char *line, size_t size)
{
	size_t len = 0;
	int rc = append_word(cmd->word, line, &len, size);

	if (rc == 0 && cmd->sub != NULL)
		rc = append_word(cmd->sub, line, &len, size);
	for (int i = 0; rc == 0 && i < argc; i++)
		rc = append_word(args[i], line, &len, size);
	if (rc == 0 && json && cmd->json)
		rc = append_word("json", line, &len, size);
	if (rc == 0)
		line[len - 1] = '\n';	/* the last space */
	return rc;
}

/* The row for argv (its arguments after *used words), or NULL after
 * saying why, with the usage. */
static const struct edged_command *
find_command(int argc, char **argv, int *used)
{
	struct ctl_table t[EDGECTL_TABLES_MAX];
	size_t nt = tables(t), u, ti;
	const struct edged_command *c;
	char err[512];
	bool helpful;

	if (argc == 0) {
		usage(stderr);
		return NULL;
	}
	c = ctl_find(t, nt, argv, (size_t)argc, &u, &ti, err, sizeof(err),
	    &helpful);
	if (c == NULL) {
		fprintf(stderr, "edgectl: %s\n", err);
		usage(stderr);
		return NULL;
	}
	*used = (int)u;
	return c;
}

static bool
arity_ok(const struct edged_command *c, int nargs, char **args)
{
	char syn[256];

	if (edged_command_fits(c, args, (size_t)nargs))
		return true;
	edged_command_usage(c, true, syn, sizeof(syn));
	fprintf(stderr, "edgectl: usage: edgectl %s\n", syn);
	return false;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char sock[SOCK_MAX] = EDGED_DEFAULT_SOCKET;
	static char line[65536];
	const struct edged_command *cmd;
	const char *conf = NULL;
	bool json = false, have_sock = false;
	int opt, used;

	while ((opt = getopt_long(argc, argv, "+s:c:jvh", longopts,
	    NULL)) != -1) {
		switch (opt) {
		case 's':
			snprintf(sock, sizeof(sock), "%s", optarg);
			have_sock = true;
			break;
		case 'c':
			conf = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'v':
			printf("edgectl %s\n", EDGED_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	/* --json may also come after the command */
	if (argc > 0 && strcmp(argv[argc - 1], "--json") == 0) {
		json = true;
		argc--;
	}
	if ((cmd = find_command(argc, argv, &used)) == NULL ||
	    !arity_ok(cmd, argc - used, argv + used))
		return 2;
	if (cmd == &check_row)
		return cmd_check(argv[used]);
	if (join_line(cmd, argc - used, argv + used, json, line,
	    sizeof(line)) < 0)
		return 2;
	if (!have_sock && conf != NULL && socket_from_conf(conf, sock) < 0)
		return 1;
	return run(sock, line);
}
