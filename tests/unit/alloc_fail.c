/*
 * tests/unit/alloc_fail.c - see alloc_fail.h.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_fail.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
FILE *__real_open_memstream(char **buf, size_t *len);
int __real_glob(const char *pattern, int flags,
    int (*errfunc)(const char *, int), glob_t *g);

void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);
FILE *__wrap_open_memstream(char **buf, size_t *len);
int __wrap_glob(const char *pattern, int flags,
    int (*errfunc)(const char *, int), glob_t *g);

/* One test thread: plain globals. */
static struct {
	bool armed;
	bool sticky;
	bool fired;
	unsigned long fail_at;		/* 0: never */
	unsigned long count;
} af;

void
alloc_fail_arm(unsigned long n, bool sticky)
{
	af.armed = true;
	af.sticky = sticky;
	af.fired = false;
	af.fail_at = n;
	af.count = 0;
}

bool
alloc_fail_disarm(void)
{
	af.armed = false;
	return af.fired;
}

unsigned long
alloc_fail_count(void)
{
	return af.count;
}

/* Whether this call is the one to fail. */
static bool
should_fail(void)
{
	if (!af.armed)
		return false;
	af.count++;
	if (af.fail_at == 0 || af.count < af.fail_at ||
	    (af.count > af.fail_at && !af.sticky))
		return false;
	af.fired = true;
	errno = ENOMEM;
	return true;
}

void *
__wrap_malloc(size_t size)
{
	return should_fail() ? NULL : __real_malloc(size);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	return should_fail() ? NULL : __real_calloc(n, size);
}

/* realloc(p, 0) frees in glibc: no allocation, nothing to fail. */
void *
__wrap_realloc(void *p, size_t size)
{
	if (size != 0 && should_fail())
		return NULL;
	return __real_realloc(p, size);
}

char *
__wrap_strdup(const char *s)
{
	return should_fail() ? NULL : __real_strdup(s);
}

FILE *
__wrap_open_memstream(char **buf, size_t *len)
{
	return should_fail() ? NULL : __real_open_memstream(buf, len);
}

/* glob allocates its list: out of memory there is GLOB_NOSPACE. */
int
__wrap_glob(const char *pattern, int flags,
    int (*errfunc)(const char *, int), glob_t *g)
{
	if (!should_fail())
		return __real_glob(pattern, flags, errfunc, g);
	memset(g, 0, sizeof(*g));
	return GLOB_NOSPACE;
}
