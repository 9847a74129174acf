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
