/*
 * lb/buf.h - one direction's byte buffer, and a per-thread free list.
 *
 * A session holds one buffer per direction, only while bytes are in
 * flight: idle keep-alive connections hold none.
 *
 *   0 <= off <= fwd <= parsed <= len <= LB_BUF_SIZE
 *   [off, fwd)     approved: to be written to the other side
 *   [fwd, parsed)  parsed but held back (a head not yet rewritten)
 *   [parsed, len)  read but not parsed yet (pipelined requests)
 */
#ifndef EDGED_LB_BUF_H
#define EDGED_LB_BUF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LB_BUF_SIZE	16384
/* Kept free while a head is read, so that rewriting it has room to grow
 * (HAProxy's maxrewrite); a head larger than SIZE - RESERVE gets 431. */
#define LB_BUF_RESERVE	1024
#define LB_BUF_POOL_MAX	256

struct lb_buf {
	char *data;			/* NULL when none is attached */
	uint32_t off;
	uint32_t fwd;
	uint32_t parsed;
	uint32_t len;
};

struct lb_buf_pool {
	void *free;			/* singly linked through the first word */
	unsigned nfree;
};

/* Attaches a buffer to b if it has none.  Returns 0, or -1 out of memory. */
static inline int
lb_buf_attach(struct lb_buf *b, struct lb_buf_pool *p)
{
	if (b->data != NULL)
		return 0;
	if (p->free != NULL) {
		b->data = p->free;
		p->free = *(void **)p->free;
		p->nfree--;
	} else if ((b->data = malloc(LB_BUF_SIZE)) == NULL) {
		return -1;
	}
	b->off = b->fwd = b->parsed = b->len = 0;
	return 0;
}

/* Returns b's memory to the pool; b is then empty and detached. */
static inline void
lb_buf_detach(struct lb_buf *b, struct lb_buf_pool *p)
{
	if (b->data == NULL)
		return;
	if (p->nfree < LB_BUF_POOL_MAX) {
		*(void **)b->data = p->free;
		p->free = b->data;
		p->nfree++;
	} else {
		free(b->data);
	}
	b->data = NULL;
	b->off = b->fwd = b->parsed = b->len = 0;
}

static inline void
lb_buf_pool_release(struct lb_buf_pool *p)
{
	while (p->free != NULL) {
		void *next = *(void **)p->free;

		free(p->free);
		p->free = next;
	}
	p->nfree = 0;
}

/* Bytes waiting to be written out. */
static inline uint32_t
lb_buf_pending(const struct lb_buf *b)
{
	return b->fwd - b->off;
}

/* Drops the first shift bytes (shift <= off): the rest moves to the
 * front. */
static inline void
lb_buf_shift(struct lb_buf *b, uint32_t shift)
{
	if (shift == 0)
		return;
	memmove(b->data, b->data + shift, b->len - shift);
	b->off -= shift;
	b->fwd -= shift;
	b->parsed -= shift;
	b->len -= shift;
}

/* Moves the unwritten bytes to the front.  Returns how far they moved, so
 * that callers can shift offsets of their own. */
static inline uint32_t
lb_buf_compact(struct lb_buf *b)
{
	uint32_t shift = b->off;

	lb_buf_shift(b, shift);
	return shift;
}

/* Replaces [start, end) of b with n bytes of src (a head rewritten):
 * what follows moves, and parsed and fwd point past the new bytes.
 * Returns 0, or -1 when it would not fit. */
static inline int
lb_buf_splice(struct lb_buf *b, uint32_t start, uint32_t end,
    const char *src, size_t n)
{
	uint32_t tail = b->len - end;

	if (start + n + tail > LB_BUF_SIZE)
		return -1;
	memmove(b->data + start + n, b->data + end, tail);
	memcpy(b->data + start, src, n);
	b->len = start + (uint32_t)n + tail;
	b->parsed = b->fwd = start + (uint32_t)n;
	return 0;
}

#endif /* EDGED_LB_BUF_H */
