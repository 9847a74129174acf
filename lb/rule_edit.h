/*
 * lb/rule_edit.h - the changes application rules make to an HTTP head
 * (issue 16): a request or status line, field lines and the empty line,
 * each ending in CRLF, held in buf[0..*len) with room for cap bytes (the
 * head rewritten for the member or the client, before it goes out).
 *
 * Each returns 0, or -1 with the head as it was and errno:
 *   E2BIG   the result would not fit in cap (a request is answered 431,
 *           a response 502, as a head too large is);
 *   EINVAL  a name that is not a token, or a value with CR, LF or NUL
 *           (which would split the head: header injection), or leading
 *           or trailing blanks that the field grammar does not allow.
 * Names compare without regard to case; values are written as given.
 */
#ifndef EDGED_LB_RULE_EDIT_H
#define EDGED_LB_RULE_EDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "rule_fetch.h"

/* Replaces buf[off..off+oldlen) with n bytes of src. */
int lb_edit_splice(char *buf, size_t *len, size_t cap, size_t off,
    size_t oldlen, const char *src, size_t n);
/*
 * The next field line named name at or after byte *from (start at 0):
 * the offsets of its value (without the blanks around it) and of its
 * whole line (CRLF included).  Moves *from past the line.  Returns
 * false when there is none.
 */
bool lb_edit_find(const char *buf, size_t len, const char *name,
    size_t nlen, size_t *from, size_t *voff, size_t *vlen, size_t *loff,
    size_t *llen);
/* del-header: every field line named name (none is not an error). */
int lb_edit_del(char *buf, size_t *len, const char *name, size_t nlen);
/* add-header: a field line "name: value" before the empty line. */
int lb_edit_add(char *buf, size_t *len, size_t cap, const char *name,
    size_t nlen, const char *value, size_t vlen);
/* set-header: del, then add (one line, at the end). */
int lb_edit_set(char *buf, size_t *len, size_t cap, const char *name,
    size_t nlen, const char *value, size_t vlen);
/*
 * The same three on a head whose index ix (rule_fetch.h) is of it as it
 * is (ix->head == buf, ix->len == *len): the lines are found through the
 * index rather than by a scan of the head, and the index is kept so
 * (what lb_head_index of the result would give).  name must be a token:
 * rule_compile.c checked it.  EINVAL for a value as above; E2BIG also
 * when the index would hold more than LB_FETCH_MAX_FIELDS fields.
 */
int lb_edit_ix_del(struct lb_head_index *ix, char *buf, size_t *len,
    const char *name, size_t nlen);
int lb_edit_ix_add(struct lb_head_index *ix, char *buf, size_t *len,
    size_t cap, const char *name, size_t nlen, const char *value,
    size_t vlen);
int lb_edit_ix_set(struct lb_head_index *ix, char *buf, size_t *len,
    size_t cap, const char *name, size_t nlen, const char *value,
    size_t vlen);
/* set-header (replace) or add-header with a value lb_edit_value_ok has
 * passed already: a rule's literal value, checked once at compile. */
int lb_edit_ix_put(struct lb_head_index *ix, char *buf, size_t *len,
    size_t cap, const char *name, size_t nlen, const char *value,
    size_t vlen, bool replace);
/* A request line's method and target (NULL: keep it). */
int lb_edit_request_line(char *buf, size_t *len, size_t cap,
    const char *method, size_t mlen, const char *target, size_t tlen);
/* A status line's status (100-599) and reason (NULL: the status's
 * usual one, or "Other" for one edged has no name for, as HAProxy). */
int lb_edit_status(char *buf, size_t *len, size_t cap, int status,
    const char *reason, size_t rlen);
/* Whether value may stand in a field line as it is. */
bool lb_edit_value_ok(const char *value, size_t vlen);

#endif /* EDGED_LB_RULE_EDIT_H */
