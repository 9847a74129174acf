/*
 * tests/bench/timed.c - runs one command and appends its wall time, in
 * microseconds, to a file: from before its process is made to after it
 * has been reaped, so the figure holds the command's whole life (process
 * start, libraries, its work, exit) and nothing of the script timing it.
 *
 *     timed FILE COMMAND [ARG...]
 *
 * Exits with the command's status (127 when it could not be run).
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
main(int argc, char **argv)
{
	long long t0;
	FILE *out;
	pid_t pid;
	int st, rc;

	if (argc < 3) {
		fprintf(stderr, "usage: timed FILE COMMAND [ARG...]\n");
		return 2;
	}
	if ((out = fopen(argv[1], "a")) == NULL) {
		fprintf(stderr, "timed: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	/* posix_spawn: glibc's vfork does not copy this process first, so
	 * the figure is the command's start rather than timed's copy */
	t0 = now_us();
	if ((rc = posix_spawnp(&pid, argv[2], NULL, NULL, argv + 2,
	    environ)) != 0) {
		fprintf(stderr, "timed: %s: %s\n", argv[2], strerror(rc));
		return 127;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			perror("timed: waitpid");
			return 2;
		}
	fprintf(out, "%lld\n", now_us() - t0);
	if (fclose(out) != 0) {
		perror("timed: writing the time");
		return 2;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
