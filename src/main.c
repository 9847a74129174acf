/*
 * src/main.c - edged's command line.
 *
 *   edged [-d] [-c FILE]     run in the foreground (master + worker)
 *   edged -t [-c FILE]       check the configuration; exit 0 or 1
 *   edged -T [-c FILE]       print it in normal form
 *   edged -n [-c FILE]       print the nftables table it compiles to
 *
 * Each option has a long form too (--config, --check, --print, --nft,
 * --debug, --version, --help).
 *
 * Internal: "edged --worker FD" is the worker; "-U FD" is a master that
 * an upgrade just executed (src/upgrade.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "master.h"
#include "worker.h"

static void
usage(FILE *out)
{
	fprintf(out, "usage: edged [-d] [-t | -T | -n] [-c FILE]\n"
	    "       edged -v | -h\n"
	    "  -c, --config FILE  the configuration file (default\n"
	    "                     " EDGED_DEFAULT_CONF ")\n"
	    "  -t, --check        check the configuration and exit: 0 when "
	    "valid\n"
	    "  -T, --print        print the configuration in normal form "
	    "and exit\n"
	    "      --show-secrets with -T: print pre-shared keys and passwords "
	    "(hidden as\n"
	    "                     <hidden> otherwise)\n"
	    "  -n, --nft          print what the modules hand the kernel and "
	    "FRR (the\n"
	    "                     nftables table, edged's section of "
	    "frr.conf), and exit\n"
	    "  -d, --debug        log debug messages too\n"
	    "  -v, --version      print the version and exit\n"
	    "  -h, --help         print this help and exit\n"
	    "Without -t, -T or -n, edged runs in the foreground: a privileged "
	    "master and an\nunprivileged worker; edgectl controls it.\n");
}

/* -t, -T and -n: parse, report every error, maybe print. */
static int
check(const char *path, int mode, unsigned flags)
{
	struct edged_conf *c = edged_conf_check(path, stderr);
	int rc = 0;

	if (c == NULL)
		return 1;
	if (mode == 'T') {
		edged_conf_print(c, stdout, flags);
	} else if (mode == 'n') {
		if (edged_conf_print_compiled(c, stdout) < 0) {
			fprintf(stderr, "%s: out of memory\n", path);
			rc = 1;
		}
	} else {
		printf("configuration file %s is valid\n", path);
	}
	edged_conf_free(&c);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 't' },
		{ "print", no_argument, NULL, 'T' },
		{ "show-secrets", no_argument, NULL, 'S' },
		{ "nft", no_argument, NULL, 'n' },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = EDGED_DEFAULT_CONF;
	bool debug = false;
	int mode = 0, opt, upgrade_fd = -1;
	unsigned flags = 0;

	/* internal: the master starts the worker as "edged --worker FD" */
	if (argc >= 3 && strcmp(argv[1], "--worker") == 0)
		return worker_main(atoi(argv[2]), argc > 3 &&
		    strcmp(argv[3], "-d") == 0);
	/* -U FD is internal (upgrade.c): not in the usage */
	while ((opt = getopt_long(argc, argv, "c:dtTnvhU:", longopts,
	    NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case 't':
		case 'T':
		case 'n':
			mode = opt;
			break;
		case 'S':
			flags |= EDGED_PRINT_SECRETS;
			break;
		case 'U':
			upgrade_fd = atoi(optarg);
			break;
		case 'v':
			printf("edged %s\n", EDGED_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (flags != 0 && mode != 'T')) {
		usage(stderr);
		return 2;
	}
	if (mode != 0)
		return check(path, mode, flags);
	return master_main(path, debug, upgrade_fd);
}
