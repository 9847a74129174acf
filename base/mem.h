/*
 * base/mem.h - arrays allocated with their multiplication checked, and
 * grown in one way.
 *
 * The growing functions take vp, the address of the caller's array
 * pointer (a T ** passed as void *, e.g. &st->args), and replace that
 * pointer only on success: out of memory, or when count * size would not
 * fit in a size_t, they return -1 with errno ENOMEM (as calloc and
 * reallocarray do) and leave the array and its capacity as they were,
 * still the caller's to free.
 *
 *	struct item *v = NULL;
 *	size_t n = 0, cap = 0;
 *
 *	if (mem_grow(&v, &cap, n + 1, sizeof(*v)) == -1)
 *		return -1;		(v and cap as they were)
 *	v[n++] = item;
 *
 * A count or size of 0 is taken as 1: success always hands back a
 * pointer to free, never realloc(p, 0)'s NULL that has freed p.
 */
#ifndef EDGED_MEM_H
#define EDGED_MEM_H

#include <stddef.h>

/*
 * Makes the array *vp of *cap elements of size bytes hold at least need:
 * nothing when it does already, else *cap is doubled (from 8 when 0)
 * until it does and the array reallocated to it, so that an array grown
 * from 0 only ever has a power of two for capacity.  The elements past
 * the old capacity are not initialised.  Returns 0, or -1 with errno
 * ENOMEM and *vp and *cap unchanged.
 */
int mem_grow(void *vp, size_t *cap, size_t need, size_t size);

/*
 * Reallocates the array *vp to exactly n elements of size bytes: for an
 * array that grows one element at a time and keeps no capacity, or one
 * that follows another's (mem_grow the first, then this to its new
 * capacity).  The elements past the old length are not initialised.
 * Returns 0, or -1 with errno ENOMEM and *vp unchanged.
 */
int mem_resize(void *vp, size_t n, size_t size);

/*
 * A new zeroed array of n elements of size bytes, the caller's to free;
 * NULL (errno ENOMEM) out of memory or when n * size overflows.  n == 0
 * gives room for one element, so that NULL only ever means failure.
 */
void *mem_array(size_t n, size_t size);

#endif /* EDGED_MEM_H */
