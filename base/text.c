/*
 * base/text.c - see text.h.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "text.h"

FILE *
text_open(struct text *t)
{
	t->buf = NULL;
	t->len = 0;
	t->f = open_memstream(&t->buf, &t->len);
	return t->f;
}

char *
text_close(struct text *t, size_t *len)
{
	bool bad = ferror(t->f) != 0;

	if (fclose(t->f) != 0 || bad) {
		free(t->buf);
		return NULL;
	}
	if (len != NULL)
		*len = t->len;
	return t->buf;
}

void
text_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}
