/*
 * lb/persist_cookie.h - the cookies of cookie persistence (persist.h)
 * in heads edged has checked: found in a request's Cookie lines, marked
 * in a response's Set-Cookie lines, and the dates of max-idle and
 * max-life read.  Pure functions on buffers, fuzzed (fuzz_persist_cookie).
 */
#ifndef EDGED_LB_PERSIST_COOKIE_H
#define EDGED_LB_PERSIST_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The value of the first cookie called name (a NUL-terminated token) in
 * the Cookie lines of head[0..len) (a head with CRLF lines, its first
 * line the request line), without the blanks around it: *v, *vlen into
 * head.  False when there is none. */
bool lb_cookie_find(const char *head, size_t len, const char *name,
    const char **v, size_t *vlen);

/*
 * Each Set-Cookie line of the response head buf[0..*len) that sets the
 * cookie called name: with prefix, mark goes before its value; else its
 * value becomes mark.  cap is buf's room.  Returns how many lines
 * changed, or -1 when one did not fit (the head is whole, and those
 * before it changed).
 */
int lb_cookie_mark(char *buf, size_t *len, size_t cap, const char *name,
    bool prefix, const char *mark);

/* "LAST|FIRST", two hexadecimal Unix dates (n bytes at s): into *last
 * and *first; false when s is not that, or first > last. */
bool lb_cookie_dates(const char *s, size_t n, uint32_t *last,
    uint32_t *first);

#endif /* EDGED_LB_PERSIST_COOKIE_H */
