/*
 * conf/format.c - values and words in their normal form, for the printer.
 *
 * Everything written here reads back, through the lexer and the conf_get_*
 * functions, as the value it was made from.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <inttypes.h>
#include <string.h>

#include "lexer.h"

struct unit {
	const char *suffix;
	uint64_t mult;
};

/* Largest first: the first that divides the value exactly is used. */
static const struct unit duration_units[] = {
	{ "d", 24 * 60 * 60 * 1000 },
	{ "h", 60 * 60 * 1000 },
	{ "m", 60 * 1000 },
	{ "s", 1000 },
	{ "ms", 1 },
};

static const struct unit size_units[] = {
	{ "g", UINT64_C(1) << 30 },
	{ "m", UINT64_C(1) << 20 },
	{ "k", UINT64_C(1) << 10 },
	{ "", 1 },
};

static void
fmt_scaled(char *buf, size_t size, uint64_t v, const struct unit *units,
    size_t nunits)
{
	for (size_t u = 0; u < nunits; u++) {
		if (v % units[u].mult == 0) {
			snprintf(buf, size, "%" PRIu64 "%s", v / units[u].mult,
			    units[u].suffix);
			return;
		}
	}
}

void
conf_fmt_duration(char *buf, size_t size, uint64_t ms)
{
	/* Zero divides by every unit; "0s" reads best. */
	if (ms == 0)
		snprintf(buf, size, "0s");
	else
		fmt_scaled(buf, size, ms, duration_units,
		    sizeof(duration_units) / sizeof(duration_units[0]));
}

void
conf_fmt_size(char *buf, size_t size, uint64_t bytes)
{
	if (bytes == 0)
		snprintf(buf, size, "0");
	else
		fmt_scaled(buf, size, bytes, size_units,
		    sizeof(size_units) / sizeof(size_units[0]));
}

void
conf_fmt_sockaddr(char *buf, size_t size, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET &&
	    inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host)) != NULL)
		snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
	else if (ss->ss_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host)) != NULL)
		snprintf(buf, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
	else
		snprintf(buf, size, "(address family %d)", ss->ss_family);
}

/* Whether word would lex back as itself without quotes.  Control bytes
 * would, but are quoted anyway so the printed file shows them. */
static bool
is_bare(const char *word)
{
	const unsigned char *p = (const unsigned char *)word;

	if (*p == '\0' || *p == '#')
		return false;
	for (; *p != '\0'; p++)
		if (!conf_lex_bare_byte(*p) || *p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* Writes byte c as it goes between quotes. */
static void
put_quoted_byte(FILE *out, unsigned char c)
{
	static const char from[] = "\"\\\n\t\r", to[] = "\"\\ntr";
	const char *p;

	if (c != '\0' && (p = strchr(from, c)) != NULL)
		fprintf(out, "\\%c", to[p - from]);
	else if (c < 0x20 || c == 0x7f)
		fprintf(out, "\\x%02x", c);
	else
		fputc(c, out);
}

void
conf_print_word(FILE *out, const char *word)
{
	if (is_bare(word)) {
		fputs(word, out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)word; *p != '\0';
	    p++)
		put_quoted_byte(out, *p);
	fputc('"', out);
}

void
conf_print_secret(FILE *out, const char *secret, bool show)
{
	if (show)
		conf_print_word(out, secret);
	else
		fputs(CONF_HIDDEN, out);
}

bool
conf_secret_hidden(const char *secret)
{
	return strcmp(secret, CONF_HIDDEN) == 0;
}
