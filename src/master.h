/*
 * src/master.h - the privileged master process (see master.c).
 */
#ifndef EDGED_MASTER_H
#define EDGED_MASTER_H

#include <stdbool.h>

/* Runs edged in the foreground with the configuration at path; returns
 * the exit code. */
int master_main(const char *path, bool debug);

#endif /* EDGED_MASTER_H */
