/*
 * base/proc.c - a program run to its end, its output read (proc.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* In the child: the pipe as stdout and stderr, /dev/null as stdin,
 * nothing else open, default signals, umask 077 (what it writes may hold
 * secrets: frr-reload.py's files do); then argv.  Never returns. */
static void
child(const char *const argv[], int wfd)
{
	sigset_t all;
	int null = open("/dev/null", O_RDONLY);
	char *const *av;

	memcpy(&av, &argv, sizeof(av));	/* execv's type, not its promise */

	umask(077);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	if (null < 0 || dup2(null, 0) < 0 || dup2(wfd, 1) < 0 ||
	    dup2(wfd, 2) < 0)
		_exit(127);
	close_range(3, ~0U, 0);
	execv(argv[0], av);
	dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Reads what the child writes until it closes the pipe or the deadline;
 * 0 at the end of its output, -1 out of time. */
static int
drain(int fd, double deadline, char *out, size_t size, size_t *len)
{
	char scratch[4096];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double left = deadline - now();
		ssize_t n;

		if (left <= 0)
			return -1;
		if (poll(&p, 1, (int)(left * 1000) + 1) < 0 && errno != EINTR)
			return -1;
		if (p.revents == 0)
			continue;
		if (*len + 1 < size)
			n = read(fd, out + *len, size - 1 - *len);
		else
			n = read(fd, scratch, sizeof(scratch));
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -1;
		if (n > 0 && *len + 1 < size)
			*len += (size_t)n;
	}
}

/* Waits for pid until the deadline, then kills it; its status, or -1. */
static int
reap(pid_t pid, double deadline, bool *killed)
{
	int status;
	pid_t r;

	*killed = false;
	while ((r = waitpid(pid, &status, WNOHANG)) == 0 && now() < deadline)
		usleep(2000);
	if (r == 0) {
		kill(pid, SIGKILL);
		*killed = true;
		r = waitpid(pid, &status, 0);
	}
	if (r < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

pid_t
proc_spawn(const char *const argv[], int *rfd, char *err, size_t errsize)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(err, errsize, "cannot run %s: %s", argv[0],
		    strerror(errno));
		return -1;
	}
	if ((pid = fork()) == 0)
		child(argv, fds[1]);
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		snprintf(err, errsize, "cannot run %s: %s", argv[0],
		    strerror(errno));
		return -1;
	}
	*rfd = fds[0];
	return pid;
}

int
proc_run(const char *const argv[], double timeout, char *out, size_t size)
{
	double deadline = now() + timeout;
	size_t len = 0;
	int fd, rc, late;
	bool killed;
	pid_t pid;

	out[0] = '\0';
	if ((pid = proc_spawn(argv, &fd, out, size)) < 0)
		return -1;
	late = drain(fd, deadline, out, size, &len);
	close(fd);
	out[len] = '\0';
	rc = reap(pid, late < 0 ? now() : deadline, &killed);
	if (killed || rc < 0)
		snprintf(out, size, "%s %s", argv[0], killed ? "took more "
		    "than its time and was stopped" : "was killed");
	return killed ? -1 : rc;
}
