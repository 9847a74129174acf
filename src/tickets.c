/*
 * src/tickets.c - see tickets.h.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "tickets.h"

int
tickets_rotate(struct tickets *t)
{
	unsigned char fresh[EDGED_TICKET_KEY];

	if (RAND_priv_bytes(fresh, sizeof(fresh)) != 1)
		return -1;
	memmove(t->keys[1], t->keys[0],
	    (EDGED_TICKET_KEYS - 1) * sizeof(t->keys[0]));
	memcpy(t->keys[0], fresh, sizeof(fresh));
	OPENSSL_cleanse(fresh, sizeof(fresh));
	if (t->n < EDGED_TICKET_KEYS)
		t->n++;
	OPENSSL_cleanse(t->keys[t->n], (EDGED_TICKET_KEYS - t->n) *
	    sizeof(t->keys[0]));
	return 0;
}

void
tickets_wipe(struct tickets *t)
{
	OPENSSL_cleanse(t, sizeof(*t));
}

void
tickets_save(const struct tickets *t, FILE *f)
{
	fprintf(f, "tickets");
	for (size_t i = 0; i < t->n; i++) {
		fputc(' ', f);
		for (size_t k = 0; k < EDGED_TICKET_KEY; k++)
			fprintf(f, "%02x", t->keys[i][k]);
	}
	fputc('\n', f);
}

static int
hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
tickets_load_line(struct tickets *t, const char *line)
{
	struct tickets in = { .n = 0 };
	const char *p = line + 7;

	if (strncmp(line, "tickets", 7) != 0)
		return 0;
	while (*p == ' ' && in.n < EDGED_TICKET_KEYS) {
		p++;
		for (size_t k = 0; k < EDGED_TICKET_KEY; k++, p += 2) {
			int hi = hex(p[0]), lo = hi < 0 ? -1 : hex(p[1]);

			if (lo < 0) {
				tickets_wipe(&in);
				return -1;
			}
			in.keys[in.n][k] = (unsigned char)(hi << 4 | lo);
		}
		in.n++;
	}
	if (in.n == 0 || (*p != '\0' && *p != '\n')) {
		tickets_wipe(&in);
		return -1;
	}
	*t = in;
	tickets_wipe(&in);
	return 1;
}
