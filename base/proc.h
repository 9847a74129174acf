/*
 * base/proc.h - running a program and reading what it says, with a time
 * limit: for the master, which has FRR's vtysh and frr-reload.py check
 * and apply a configuration.
 */
#ifndef EDGED_PROC_H
#define EDGED_PROC_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Runs argv[0] (a path, not looked up in PATH) with argv (NULL-ended),
 * its standard input /dev/null, its standard output and error together
 * into out (NUL-terminated; what does not fit in size - 1 bytes is read
 * and dropped), and waits for it at most timeout seconds, then kills it
 * (SIGKILL).  No descriptor of the caller's but those three reaches it;
 * its signals are the defaults, its umask 077.  Returns its exit status
 * (0 to 255), or -1 when it could not run, was killed or ran out of
 * time: out then says why.  Blocks the caller while it runs.
 */
int proc_run(const char *const argv[], double timeout, char *out,
    size_t size);

/*
 * Starts argv[0] as proc_run does, without waiting: its standard output
 * and error go to a pipe whose reading end (close-on-exec, blocking) is
 * put in *rfd.  Returns its pid, the caller's to reap; -1 with err.
 */
pid_t proc_spawn(const char *const argv[], int *rfd, char *err,
    size_t errsize);

#endif /* EDGED_PROC_H */
