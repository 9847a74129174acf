/*
 * src/edgectl.c - edged's control client.
 *
 *   edgectl [-s SOCKET | -c FILE] [--json] status
 *   edgectl [-s SOCKET | -c FILE] [--json] show stats
 *   edgectl [-s SOCKET | -c FILE] [--json] show pool [POOL]
 *   edgectl [-s SOCKET | -c FILE] [--json] show certificates
 *   edgectl [-s SOCKET | -c FILE] member enable|disable|drain POOL MEMBER
 *   edgectl [-s SOCKET | -c FILE] member weight POOL MEMBER N
 *   edgectl [-s SOCKET | -c FILE] [--json] show firewall|nat
 *   edgectl [-s SOCKET | -c FILE] group add|del|set NAME ADDR...
 *   edgectl [-s SOCKET | -c FILE] group set|show NAME
 *   edgectl [-s SOCKET | -c FILE] reload
 *   edgectl [-s SOCKET | -c FILE] upgrade
 *   edgectl check FILE
 *
 * The socket is -s, else the control-socket of -c FILE, else the
 * default.  `check` needs no daemon: it parses the file here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"

static void
usage(FILE *out)
{
	fprintf(out, "usage: edgectl [-s SOCKET | -c FILE] [--json] COMMAND\n"
	    "commands:\n"
	    "  status            is edged running, with what\n"
	    "  show stats        counters per virtual server, pool, member\n"
	    "  show pool [POOL]  members: state, weight, requests, errors\n"
	    "  show certificates names, expiry, key and chain of each\n"
	    "  member enable|disable|drain POOL MEMBER\n"
	    "                    take a member in or out, without a reload\n"
	    "  member weight POOL MEMBER N\n"
	    "                    change a member's weight (1-256)\n"
	    "  show firewall     packets and bytes per rule and default policy\n"
	    "  show nat          packets and bytes per NAT rule\n"
	    "  group add|del|set NAME ADDR...\n"
	    "                    change a dynamic address group's members at\n"
	    "                    once, without a reload (set: replace them)\n"
	    "  group show NAME   a dynamic group's members\n"
	    "  reload            reload the configuration file\n"
	    "  upgrade           re-execute the installed edged binary,\n"
	    "                    keeping sockets, state and connections\n"
	    "  check FILE        check a configuration file (no daemon)\n");
}

static int
cmd_check(const char *path)
{
	struct conf_diag d;
	struct edged_conf *c;

	conf_diag_init(&d);
	c = edged_conf_load(path, NULL, 0, &d);
	if (c != NULL && edged_conf_check_files(c, &d, NULL) > 0)
		edged_conf_free(&c);
	conf_diag_print(&d, stderr);
	if (c != NULL)
		printf("configuration file %s is valid\n", path);
	else
		fprintf(stderr, "%s: %u error%s\n", path, d.nerrors,
		    d.nerrors == 1 ? "" : "s");
	conf_diag_free(&d);
	if (c == NULL)
		return 1;
	edged_conf_free(&c);
	return 0;
}

/* The control-socket named by a configuration file. */
static int
socket_from_conf(const char *path, char *out, size_t size)
{
	struct conf_diag d;
	struct edged_conf *c;

	conf_diag_init(&d);
	c = edged_conf_load(path, NULL, 0, &d);
	if (c == NULL) {
		conf_diag_print(&d, stderr);
		fprintf(stderr, "edgectl: cannot read the control socket from "
		    "%s\n", path);
		conf_diag_free(&d);
		return -1;
	}
	snprintf(out, size, "%s", c->core.control_socket);
	edged_conf_free(&c);
	conf_diag_free(&d);
	return 0;
}

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
	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
		fprintf(stderr, "edgectl: sending to %s: %s\n", sock,
		    strerror(errno));
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

/* Words go into one command line: no spaces or newlines inside. */
static bool
words_ok(char **argv, int argc)
{
	for (int i = 0; i < argc; i++)
		if (argv[i][0] == '\0' || strpbrk(argv[i], " \t\r\n") != NULL ||
		    strlen(argv[i]) > 64)
			return false;
	return true;
}

/* "group OP NAME ADDR...": every word checked, the line within the
 * control socket's limit (64 KiB); -1 when not a command, -2 (said on
 * stderr) when too long. */
static int
group_line(int argc, char **argv, char *cmd, size_t size)
{
	size_t len = 0;

	for (int i = 0; i < argc; i++) {
		size_t w = strlen(argv[i]);

		if (w == 0 || w > 64 || strpbrk(argv[i], " \t\r\n") != NULL)
			return -1;
		if (len + w + 2 > size) {
			fprintf(stderr, "edgectl: group: the command is longer "
			    "than the control socket takes (%zu KiB); give "
			    "the addresses in several group add commands\n",
			    size / 1024);
			return -2;
		}
		memcpy(cmd + len, argv[i], w);
		len += w;
		cmd[len++] = i + 1 < argc ? ' ' : '\n';
	}
	cmd[len] = '\0';
	return 0;
}

/* The control socket's command line for argv; -1 when it is not one. */
static int
command_line(int argc, char **argv, bool json, char *cmd, size_t size)
{
	const char *j = json ? " json" : "";

	if (argc >= 3 && strcmp(argv[0], "group") == 0)
		return group_line(argc, argv, cmd, size);
	if (argc == 2 && strcmp(argv[0], "show") == 0 &&
	    (strcmp(argv[1], "firewall") == 0 || strcmp(argv[1], "nat") == 0))
		snprintf(cmd, size, "show %s%s\n", argv[1], j);
	else if (argc == 1 && strcmp(argv[0], "status") == 0)
		snprintf(cmd, size, "status%s\n", j);
	else if (argc == 2 && strcmp(argv[0], "show") == 0 &&
	    strcmp(argv[1], "stats") == 0)
		snprintf(cmd, size, "show stats%s\n", j);
	else if (argc == 2 && strcmp(argv[0], "show") == 0 &&
	    strcmp(argv[1], "certificates") == 0)
		snprintf(cmd, size, "show certificates%s\n", j);
	else if (argc >= 2 && argc <= 3 && strcmp(argv[0], "show") == 0 &&
	    strcmp(argv[1], "pool") == 0 && words_ok(argv, argc))
		snprintf(cmd, size, "show pool %s%s\n", argc == 3 ? argv[2] :
		    "", j);
	else if ((argc == 4 || argc == 5) && strcmp(argv[0], "member") == 0 &&
	    words_ok(argv, argc))
		snprintf(cmd, size, "member %s %s %s%s%s\n", argv[1], argv[2],
		    argv[3], argc == 5 ? " " : "", argc == 5 ? argv[4] : "");
	else if (argc == 1 && strcmp(argv[0], "reload") == 0)
		snprintf(cmd, size, "reload\n");
	else if (argc == 1 && strcmp(argv[0], "upgrade") == 0)
		snprintf(cmd, size, "upgrade\n");
	else
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char sock[108] = EDGED_DEFAULT_SOCKET;
	static char cmd[65536];
	const char *conf = NULL;
	bool json = false, have_sock = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "+s:c:jh", longopts, NULL)) != -1) {
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
	if (argc == 2 && strcmp(argv[0], "check") == 0)
		return cmd_check(argv[1]);
	if (!have_sock && conf != NULL &&
	    socket_from_conf(conf, sock, sizeof(sock)) < 0)
		return 1;
	switch (command_line(argc, argv, json, cmd, sizeof(cmd))) {
	case 0:
		break;
	case -2:
		return 2;
	default:
		usage(stderr);
		return 2;
	}
	return run(sock, cmd);
}
