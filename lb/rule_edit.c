/*
 * lb/rule_edit.c - changing an HTTP head in place, for application
 * rules (rule_edit.h).  The head is one the HTTP path accepted and
 * rewrote: lines end in CRLF, the first line is the request or status
 * line, the last is empty.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "http_status.h"
#include "rule_edit.h"
#include "util.h"

int
lb_edit_splice(char *buf, size_t *len, size_t cap, size_t off,
    size_t oldlen, const char *src, size_t n)
{
	size_t tail = *len - off - oldlen;

	if (off + n + tail > cap) {
		errno = E2BIG;
		return -1;
	}
	memmove(buf + off + n, buf + off + oldlen, tail);
	memcpy(buf + off, src, n);
	*len = off + n + tail;
	return 0;
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

bool
lb_edit_value_ok(const char *value, size_t vlen)
{
	if (vlen > 0 && (blank(value[0]) || blank(value[vlen - 1])))
		return false;
	for (size_t i = 0; i < vlen; i++)
		if (value[i] == '\r' || value[i] == '\n' || value[i] == '\0')
			return false;
	return true;
}

static bool
name_ok(const char *name, size_t nlen)
{
	return nlen > 0 && lb_http_token_chars(name, nlen);
}

/* The end of the line starting at off (past its CRLF), or len. */
static size_t
line_end(const char *buf, size_t len, size_t off)
{
	const char *lf = memchr(buf + off, '\n', len - off);

	return lf != NULL ? (size_t)(lf - buf) + 1 : len;
}

bool
lb_edit_find(const char *buf, size_t len, const char *name, size_t nlen,
    size_t *from, size_t *voff, size_t *vlen, size_t *loff, size_t *llen)
{
	size_t off = *from != 0 ? *from : line_end(buf, len, 0);

	while (off < len) {
		size_t end = line_end(buf, len, off), v, e;

		if (end - off <= 2)		/* the empty line */
			break;
		if (end - off > nlen && buf[off + nlen] == ':' &&
		    strncasecmp(buf + off, name, nlen) == 0) {
			for (v = off + nlen + 1; v < end - 2 && blank(buf[v]);
			    v++)
				;
			for (e = end - 2; e > v && blank(buf[e - 1]); e--)
				;
			*voff = v;
			*vlen = e - v;
			*loff = off;
			*llen = end - off;
			*from = end;
			return true;
		}
		off = end;
	}
	*from = len;
	return false;
}

int
lb_edit_del(char *buf, size_t *len, const char *name, size_t nlen)
{
	size_t from = 0, voff, vlen, loff, llen;

	if (!name_ok(name, nlen)) {
		errno = EINVAL;
		return -1;
	}
	while (lb_edit_find(buf, *len, name, nlen, &from, &voff, &vlen, &loff,
	    &llen)) {
		(void)lb_edit_splice(buf, len, *len, loff, llen, "", 0);
		from = loff;		/* never 0: the first line stays */
	}
	return 0;
}

/* The line "name: value" before the empty line, both checked. */
static int
add_line(char *buf, size_t *len, size_t cap, const char *name,
    size_t nlen, const char *value, size_t vlen)
{
	size_t at = *len - 2;		/* the empty line's CRLF */

	if (*len + nlen + vlen + 4 > cap) {
		errno = E2BIG;
		return -1;
	}
	memmove(buf + at + nlen + vlen + 4, buf + at, 2);
	memcpy(buf + at, name, nlen);
	memcpy(buf + at + nlen, ": ", 2);
	memcpy(buf + at + nlen + 2, value, vlen);
	memcpy(buf + at + nlen + 2 + vlen, "\r\n", 2);
	*len += nlen + vlen + 4;
	return 0;
}

int
lb_edit_add(char *buf, size_t *len, size_t cap, const char *name,
    size_t nlen, const char *value, size_t vlen)
{
	if (!name_ok(name, nlen) || !lb_edit_value_ok(value, vlen)) {
		errno = EINVAL;
		return -1;
	}
	return add_line(buf, len, cap, name, nlen, value, vlen);
}

int
lb_edit_set(char *buf, size_t *len, size_t cap, const char *name,
    size_t nlen, const char *value, size_t vlen)
{
	size_t from = 0, voff, vlen0, loff, llen, freed = 0;

	if (!name_ok(name, nlen) || !lb_edit_value_ok(value, vlen)) {
		errno = EINVAL;
		return -1;
	}
	/* fits once the old lines are gone: checked before any change */
	while (lb_edit_find(buf, *len, name, nlen, &from, &voff, &vlen0,
	    &loff, &llen))
		freed += llen;
	if (*len - freed + nlen + vlen + 4 > cap) {
		errno = E2BIG;
		return -1;
	}
	(void)lb_edit_del(buf, len, name, nlen);
	return lb_edit_add(buf, len, cap, name, nlen, value, vlen);
}

/* ---- the same through the head's index ---- */

/* Whether field f of ix is named name. */
static bool
ix_named(const struct lb_head_index *ix, const struct lb_fetch_field *f,
    const char *name, size_t nlen)
{
	return f->name.len == nlen &&
	    strncasecmp(ix->head + f->name.off, name, nlen) == 0;
}

/* The length of field f's line, CRLF included (its value was trimmed:
 * blanks may follow it). */
static size_t
ix_line_len(const struct lb_head_index *ix, const struct lb_fetch_field *f)
{
	size_t vend = (size_t)f->value.off + f->value.len;

	return line_end(ix->head, ix->len, vend) - f->name.off;
}

int
lb_edit_ix_del(struct lb_head_index *ix, char *buf, size_t *len,
    const char *name, size_t nlen)
{
	unsigned j = 0;

	while (j < ix->nfields) {
		struct lb_fetch_field *f = &ix->field[j];
		size_t off = f->name.off, llen;

		if (!ix_named(ix, f, name, nlen)) {
			j++;
			continue;
		}
		llen = ix_line_len(ix, f);
		(void)lb_edit_splice(buf, len, *len, off, llen, "", 0);
		ix->len = *len;
		memmove(f, f + 1, (ix->nfields - j - 1) * sizeof(*f));
		ix->nfields--;
		for (unsigned k = j; k < ix->nfields; k++) {
			ix->field[k].name.off -= (uint32_t)llen;
			ix->field[k].value.off -= (uint32_t)llen;
		}
	}
	return 0;
}

/* add-header with a value checked. */
static int
ix_add(struct lb_head_index *ix, char *buf, size_t *len, size_t cap,
    const char *name, size_t nlen, const char *value, size_t vlen)
{
	size_t at = *len - 2;
	struct lb_fetch_field *f;

	if (ix->nfields == LB_FETCH_MAX_FIELDS ||
	    *len + nlen + vlen + 4 >= LB_FETCH_NONE) {
		errno = E2BIG;
		return -1;
	}
	if (add_line(buf, len, cap, name, nlen, value, vlen) < 0)
		return -1;
	ix->len = *len;
	f = &ix->field[ix->nfields++];
	f->name = (struct lb_fetch_span){ (uint32_t)at, (uint32_t)nlen };
	f->value = (struct lb_fetch_span){ (uint32_t)(at + nlen + 2),
	    (uint32_t)vlen };
	return 0;
}

/* set-header with a value checked. */
static int
ix_set(struct lb_head_index *ix, char *buf, size_t *len, size_t cap,
    const char *name, size_t nlen, const char *value, size_t vlen)
{
	size_t freed = 0;
	unsigned n = 0;

	/* fits once the old lines are gone: checked before any change */
	for (unsigned j = 0; j < ix->nfields; j++)
		if (ix_named(ix, &ix->field[j], name, nlen)) {
			freed += ix_line_len(ix, &ix->field[j]);
			n++;
		}
	if (*len - freed + nlen + vlen + 4 > cap ||
	    (n == 0 && ix->nfields == LB_FETCH_MAX_FIELDS)) {
		errno = E2BIG;
		return -1;
	}
	if (n > 0)
		(void)lb_edit_ix_del(ix, buf, len, name, nlen);
	return ix_add(ix, buf, len, cap, name, nlen, value, vlen);
}

int
lb_edit_ix_put(struct lb_head_index *ix, char *buf, size_t *len,
    size_t cap, const char *name, size_t nlen, const char *value,
    size_t vlen, bool replace)
{
	return (replace ? ix_set : ix_add)(ix, buf, len, cap, name, nlen,
	    value, vlen);
}

/* lb_edit_ix_put of a value not checked yet. */
static int
checked_put(struct lb_head_index *ix, char *buf, size_t *len, size_t cap,
    const char *name, size_t nlen, const char *value, size_t vlen,
    bool replace)
{
	if (!lb_edit_value_ok(value, vlen)) {
		errno = EINVAL;
		return -1;
	}
	return lb_edit_ix_put(ix, buf, len, cap, name, nlen, value, vlen,
	    replace);
}

int
lb_edit_ix_add(struct lb_head_index *ix, char *buf, size_t *len,
    size_t cap, const char *name, size_t nlen, const char *value,
    size_t vlen)
{
	return checked_put(ix, buf, len, cap, name, nlen, value, vlen, false);
}

int
lb_edit_ix_set(struct lb_head_index *ix, char *buf, size_t *len,
    size_t cap, const char *name, size_t nlen, const char *value,
    size_t vlen)
{
	return checked_put(ix, buf, len, cap, name, nlen, value, vlen, true);
}

/* Whether p[0..n) is 1*VCHAR: a request target. */
static bool
vchars(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			return false;
	return n > 0;
}

int
lb_edit_request_line(char *buf, size_t *len, size_t cap,
    const char *method, size_t mlen, const char *target, size_t tlen)
{
	size_t cr = line_end(buf, *len, 0) - 2;
	const char *sp1 = memchr(buf, ' ', cr), *sp2 = memrchr(buf, ' ', cr);
	size_t m0, t0, t1;

	if (sp1 == NULL || sp1 == sp2 ||
	    (method != NULL && !name_ok(method, mlen)) ||
	    (target != NULL && !vchars(target, tlen))) {
		errno = EINVAL;
		return -1;
	}
	m0 = (size_t)(sp1 - buf);
	t0 = m0 + 1;
	t1 = (size_t)(sp2 - buf);
	if (method == NULL) {
		method = buf;
		mlen = m0;
	}
	if (target == NULL) {
		target = buf + t0;
		tlen = t1 - t0;
	}
	if (*len - t1 + mlen + 1 + tlen > cap) {
		errno = E2BIG;
		return -1;
	}
	/* the target first: the method's offsets stay as they are */
	if (target != buf + t0)
		(void)lb_edit_splice(buf, len, cap, t0, t1 - t0, target, tlen);
	if (method != buf)
		(void)lb_edit_splice(buf, len, cap, 0, m0, method, mlen);
	return 0;
}

int
lb_edit_status(char *buf, size_t *len, size_t cap, int status,
    const char *reason, size_t rlen)
{
	size_t cr = line_end(buf, *len, 0) - 2;
	const char *sp = memchr(buf, ' ', cr);
	char line[160];
	int n;

	if (reason == NULL) {
		reason = lb_http_reason(status);
		rlen = strlen(reason);
	}
	if (sp == NULL || status < 100 || status > 599 ||
	    !lb_edit_value_ok(reason, rlen) || rlen > 128) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(line, sizeof(line), "%d %.*s", status, (int)rlen,
	    reason);
	return lb_edit_splice(buf, len, cap, (size_t)(sp - buf) + 1,
	    cr - (size_t)(sp - buf) - 1, line, (size_t)n);
}
