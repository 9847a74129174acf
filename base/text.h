/*
 * base/text.h - text built with stdio into memory (open_memstream), with
 * its one way to fail: a write that runs out of memory only sets the
 * stream's error flag, and fclose alone would hand back what fit.
 *
 *	struct text t;
 *	FILE *f = text_open(&t);	(NULL: out of memory)
 *	fprintf(f, ...);
 *	char *s = text_close(&t, &len);	(NULL: out of memory; else the
 *					 caller frees s)
 */
#ifndef EDGED_TEXT_H
#define EDGED_TEXT_H

#include <stddef.h>
#include <stdio.h>

struct text {
	FILE *f;
	char *buf;
	size_t len;
};

/* A stream writing into t; NULL out of memory (nothing to close). */
FILE *text_open(struct text *t);
/* Ends t: its text, NUL-terminated, the caller's to free, with its
 * length in *len (may be NULL); NULL when any write ran out of memory
 * (nothing to free). */
char *text_close(struct text *t, size_t *len);

/* Writes s to f as a JSON string: in quotes, with quotes, backslashes
 * and control bytes escaped. */
void text_json_string(FILE *f, const char *s);

#endif /* EDGED_TEXT_H */
