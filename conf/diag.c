/*
 * conf/diag.c - the list of configuration errors.
 *
 * Each error is one line "FILE:LINE:COL: error: MESSAGE".  Messages quote
 * words from the file, and a quoted word may hold any byte; control bytes
 * are shown as \xHH so that one error stays one line of a log.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "mem.h"

void
conf_diag_init(struct conf_diag *d)
{
	memset(d, 0, sizeof(*d));
}

void
conf_diag_free(struct conf_diag *d)
{
	for (size_t i = 0; i < d->nmsgs; i++)
		free(d->msgs[i]);
	free(d->msgs);
	free(d->warning);
	memset(d, 0, sizeof(*d));
}

static bool
is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* Returns a malloc'd copy of s with control bytes written \xHH. */
static char *
escape_controls(const char *s)
{
	size_t n = 0, j = 0;
	char *out;

	for (const char *p = s; *p != '\0'; p++)
		n += is_control((unsigned char)*p) ? 4 : 1;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (const char *p = s; *p != '\0'; p++) {
		if (is_control((unsigned char)*p)) {
			snprintf(out + j, 5, "\\x%02x", (unsigned char)*p);
			j += 4;
		} else
			out[j++] = *p;
	}
	out[j] = '\0';
	return out;
}

/* Returns the malloc'd line for one message of kind ("error",
 * "warning"), or NULL out of memory. */
static char *format_line(const char *kind, const struct conf_pos *pos,
    const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

static char *
format_line(const char *kind, const struct conf_pos *pos, const char *fmt,
    va_list ap)
{
	char prefix[64], *body, *line = NULL;
	const char *file = "";
	va_list ap2;
	int n, pn;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || (body = malloc((size_t)n + 1)) == NULL)
		return NULL;
	vsnprintf(body, (size_t)n + 1, fmt, ap);
	prefix[0] = '\0';
	if (pos != NULL) {
		/* Never NULL by contract; a bug must not become a crash. */
		file = pos->file != NULL ? pos->file : "(unknown file)";
		snprintf(prefix, sizeof(prefix), ":%u:%u: ", pos->line,
		    pos->col);
	}
	pn = snprintf(NULL, 0, "%s%s%s: %s", file, prefix, kind, body);
	if (pn >= 0 && (line = malloc((size_t)pn + 1)) != NULL)
		snprintf(line, (size_t)pn + 1, "%s%s%s: %s", file, prefix, kind,
		    body);
	free(body);
	return line;
}

/* Keeps line (taking it) in d; drops it when out of memory. */
static void
diag_push(struct conf_diag *d, char *line, bool warning)
{
	size_t cap = d->cap;

	/* one capacity for both: d->cap moves once msgs has followed */
	if (d->nmsgs == d->cap &&
	    (mem_grow(&d->warning, &cap, d->nmsgs + 1,
	    sizeof(*d->warning)) == -1 ||
	    mem_resize(&d->msgs, cap, sizeof(*d->msgs)) == -1)) {
		free(line);
		return;
	}
	d->cap = cap;
	d->warning[d->nmsgs] = warning;
	d->msgs[d->nmsgs++] = line;
}

/* Formats one message of kind, escapes its control bytes, keeps it. */
static void diag_add(struct conf_diag *d, const char *kind,
    const struct conf_pos *pos, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void
diag_add(struct conf_diag *d, const char *kind, const struct conf_pos *pos,
    const char *fmt, va_list ap)
{
	char *raw = format_line(kind, pos, fmt, ap), *line;

	if (raw == NULL)
		return;
	line = escape_controls(raw);
	free(raw);
	if (line != NULL)
		diag_push(d, line, strcmp(kind, "warning") == 0);
}

void
conf_error(struct conf_diag *d, const struct conf_pos *pos,
    const char *fmt, ...)
{
	va_list ap;

	/* The count is what callers trust, so it goes up even when there
	 * is no memory left to keep the text. */
	d->nerrors++;
	va_start(ap, fmt);
	diag_add(d, "error", pos, fmt, ap);
	va_end(ap);
}

void
conf_warning(struct conf_diag *d, const struct conf_pos *pos,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_add(d, "warning", pos, fmt, ap);
	va_end(ap);
}

int
conf_oom(struct conf_diag *d, const struct conf_pos *pos)
{
	d->oom = true;
	conf_error(d, pos, "out of memory");
	return -1;
}

void
conf_diag_print(const struct conf_diag *d, FILE *out)
{
	for (size_t i = 0; i < d->nmsgs; i++)
		fprintf(out, "%s\n", d->msgs[i]);
}
