/*
 * src/master.h - the privileged master process (see master.c).
 */
#ifndef EDGED_MASTER_H
#define EDGED_MASTER_H

#include <stdbool.h>

/* Runs edged in the foreground with the configuration at path; returns
 * the exit code.  upgrade_fd >= 0: this image was just executed by an
 * upgrade, which left its state there (upgrade.h); -1 otherwise. */
int master_main(const char *path, bool debug, int upgrade_fd);

#endif /* EDGED_MASTER_H */
