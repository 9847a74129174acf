/*
 * src/worker.h - entry point of the worker process (see worker.c).
 */
#ifndef EDGED_WORKER_H
#define EDGED_WORKER_H

#include <stdbool.h>

/* Runs the worker on the master's socket ipc; returns the exit code. */
int worker_main(int ipc, bool debug);

#endif /* EDGED_WORKER_H */
