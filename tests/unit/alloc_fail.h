/*
 * tests/unit/alloc_fail.h - a test allocator that fails the Nth
 * allocation, to show that a parser meets out of memory with a clear
 * error: no crash, no leak, no half-built object.
 *
 * The test executable is linked with
 *     -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,
 *     --wrap=open_memstream,--wrap=glob
 * so that every call the code under test makes to one of these (from its
 * own objects, not from inside libc) goes through alloc_fail.c first,
 * which counts it and fails the one chosen; the others go on to the real
 * function.  --wrap rather than a malloc of our own: ASan and valgrind
 * replace malloc themselves, and a wrapper leaves theirs in place.
 *
 * What --wrap cannot reach: allocations inside libc (the buffer stdio
 * grows behind an open_memstream stream, glob's list) and inside other
 * shared libraries (PCRE2).  open_memstream and glob themselves are
 * counted: the injected failure is theirs returning NULL or
 * GLOB_NOSPACE.
 */
#ifndef EDGED_TEST_ALLOC_FAIL_H
#define EDGED_TEST_ALLOC_FAIL_H

#include <stdbool.h>

/*
 * Starts counting: the nth call from now (1-based) fails, and with
 * sticky every call after it too; n == 0 fails none (a count only).
 */
void alloc_fail_arm(unsigned long n, bool sticky);
/* Stops counting; returns whether a failure was injected. */
bool alloc_fail_disarm(void);
/* The calls counted since alloc_fail_arm. */
unsigned long alloc_fail_count(void);

#endif /* EDGED_TEST_ALLOC_FAIL_H */
