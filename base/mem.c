/*
 * base/mem.c - see mem.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* The capacity an empty array grows to first. */
#define MEM_GROW_MIN	8

/*
 * The bytes of n elements of size bytes into *len, a 0 of either taken
 * as 1 (mem.h).  false with errno ENOMEM, as calloc and reallocarray set
 * it, when they do not fit in a size_t: checked here rather than left to
 * calloc, whose overflow under ASan is a report and an abort, not NULL.
 */
static bool
array_len(size_t n, size_t size, size_t *len)
{
	n = n != 0 ? n : 1;
	size = size != 0 ? size : 1;
	if (n > SIZE_MAX / size) {
		errno = ENOMEM;
		return false;
	}
	*len = n * size;
	return true;
}

int
mem_grow(void *vp, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap != 0 ? *cap : MEM_GROW_MIN;

	if (need <= *cap)
		return 0;
	/* past half of SIZE_MAX doubling would wrap: ask for need, which
	 * mem_resize then refuses for any size above 1 */
	while (ncap < need)
		ncap = ncap <= SIZE_MAX / 2 ? ncap * 2 : need;
	if (mem_resize(vp, ncap, size) == -1)
		return -1;
	*cap = ncap;
	return 0;
}

int
mem_resize(void *vp, size_t n, size_t size)
{
	size_t len;
	void *p;

	if (!array_len(n, size, &len))
		return -1;
	/*
	 * *vp is a T *, not a void *: copied as bytes rather than read
	 * through a void ** that the aliasing rules do not allow.  Plain
	 * realloc, not reallocarray: the out-of-memory tests wrap realloc
	 * to make it fail.
	 */
	memcpy(&p, vp, sizeof(p));
	if ((p = realloc(p, len)) == NULL)
		return -1;
	memcpy(vp, &p, sizeof(p));
	return 0;
}

void *
mem_array(size_t n, size_t size)
{
	size_t len;

	return array_len(n, size, &len) ? calloc(1, len) : NULL;
}
