/*
 * conf/values.c - converts words into values.
 *
 * Each getter reads word i of a statement and either stores the value or
 * adds one error that names the directive, quotes the word and says what
 * was expected, at the position of the word.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"

#define DURATION_EXAMPLES	"250ms, 5s, 2m, 1h"
#define SIZE_EXAMPLES		"512, 16k, 1m, 2g"
#define ADDRESS_FORMS		"IPV4:PORT or [IPV6]:PORT"
#define NAME_MAX_LEN		63

/* A suffix and what it multiplies by. */
struct unit {
	const char *suffix;
	uint64_t mult;
};

static const struct unit duration_units[] = {
	{ "ms", 1 },
	{ "s", 1000 },
	{ "m", 60 * 1000 },
	{ "h", 60 * 60 * 1000 },
	{ "d", 24 * 60 * 60 * 1000 },
};

static const struct unit size_units[] = {
	{ "", 1 },
	{ "k", UINT64_C(1) << 10 },
	{ "m", UINT64_C(1) << 20 },
	{ "g", UINT64_C(1) << 30 },
};

enum scaled {
	SCALED_OK,
	SCALED_BAD,			/* not DIGITS[UNIT] */
	SCALED_NO_UNIT,			/* DIGITS alone, and a unit is needed */
	SCALED_TOO_BIG,			/* does not fit in 64 bits */
};

/*
 * Returns word i of n, or NULL after an error if the statement is too
 * short: a table row whose arity lets fewer words through than its setter
 * reads, which must show up as an error and not as a crash.
 */
static const char *
word_at(struct conf_diag *d, const struct conf_node *n, size_t i)
{
	if (i < n->nargs)
		return n->args[i];
	conf_error(d, &n->pos, "'%s' is missing its argument %zu", n->args[0],
	    i);
	return NULL;
}

/* Reads the decimal digits at s.  Returns how many there are; *over is
 * set when the number does not fit in 64 bits. */
static size_t
read_digits(const char *s, uint64_t *v, bool *over)
{
	uint64_t x = 0;
	unsigned digit;
	size_t k;

	*over = false;
	for (k = 0; s[k] >= '0' && s[k] <= '9'; k++) {
		digit = (unsigned)(s[k] - '0');
		if (x > (UINT64_MAX - digit) / 10)
			*over = true;
		else
			x = x * 10 + digit;
	}
	*v = x;
	return k;
}

/* DIGITS followed by one of units' suffixes. */
static enum scaled
parse_scaled(const char *w, const struct unit *units, size_t nunits,
    uint64_t *out)
{
	uint64_t v;
	size_t k;
	bool over;

	if ((k = read_digits(w, &v, &over)) == 0)
		return SCALED_BAD;
	for (size_t u = 0; u < nunits; u++) {
		if (strcasecmp(w + k, units[u].suffix) != 0)
			continue;
		if (over || v > UINT64_MAX / units[u].mult)
			return SCALED_TOO_BIG;
		*out = v * units[u].mult;
		return SCALED_OK;
	}
	return w[k] == '\0' ? SCALED_NO_UNIT : SCALED_BAD;
}

static void
fmt_decimal(char *buf, size_t size, uint64_t v)
{
	snprintf(buf, size, "%" PRIu64, v);
}

/* "'workers' expects a number from 1 to 256, got '300'", with the bounds
 * written by fmt in their normal form; name is the directive or option
 * the word i belongs to. */
static void
report_range(struct conf_diag *d, const struct conf_node *n, size_t i,
    const char *name, const char *what, uint64_t min, uint64_t max,
    void (*fmt)(char *, size_t, uint64_t))
{
	char lo[32], hi[32];

	fmt(lo, sizeof(lo), min);
	fmt(hi, sizeof(hi), max);
	if (max == UINT64_MAX && min == 0)
		conf_error(d, &n->argpos[i], "'%s' expects %s, got '%s'",
		    name, what, n->args[i]);
	else if (max == UINT64_MAX)
		conf_error(d, &n->argpos[i], "'%s' expects %s of at least %s, "
		    "got '%s'", name, what, lo, n->args[i]);
	else
		conf_error(d, &n->argpos[i], "'%s' expects %s from %s to %s, "
		    "got '%s'", name, what, lo, hi, n->args[i]);
}

/* Word i as a number in [min, max]; errors name it as name's. */
static int
get_uint(struct conf_diag *d, const struct conf_node *n, size_t i,
    const char *name, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *w;
	uint64_t v;
	size_t k;
	bool over;

	if ((w = word_at(d, n, i)) == NULL)
		return -1;
	k = read_digits(w, &v, &over);
	if (k == 0 || w[k] != '\0' || over || v < min || v > max) {
		report_range(d, n, i, name, "a number", min, max, fmt_decimal);
		return -1;
	}
	*out = v;
	return 0;
}

int
conf_get_uint(struct conf_diag *d, const struct conf_node *n, size_t i,
    uint64_t min, uint64_t max, uint64_t *out)
{
	return get_uint(d, n, i, n->args[0], min, max, out);
}

int
conf_get_option_uint(struct conf_diag *d, const struct conf_node *n,
    size_t i, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *name = i > 1 && i < n->nargs ? n->args[i - 1] : n->args[0];

	return get_uint(d, n, i, name, min, max, out);
}

/* What a scaled word is: its units, and how its errors name it. */
struct scaled_kind {
	const char *what;		/* "duration", "size" */
	const struct unit *units;
	size_t nunits;
	const char *examples;
	bool missing_unit;		/* a number alone is said apart */
	void (*fmt)(char *, size_t, uint64_t);
};

static const struct scaled_kind duration_kind = { "duration", duration_units,
	sizeof(duration_units) / sizeof(duration_units[0]), DURATION_EXAMPLES,
	true, conf_fmt_duration };
static const struct scaled_kind size_kind = { "size", size_units,
	sizeof(size_units) / sizeof(size_units[0]), SIZE_EXAMPLES, false,
	conf_fmt_size };

/* Word i as a k in [min, max], in k's base unit (ms, bytes). */
static int
get_scaled(struct conf_diag *d, const struct conf_node *n, size_t i,
    const struct scaled_kind *k, uint64_t min, uint64_t max, uint64_t *out)
{
	const struct conf_pos *pos;
	const char *w;
	char what[32];
	uint64_t v;
	enum scaled r;

	if ((w = word_at(d, n, i)) == NULL)
		return -1;
	pos = &n->argpos[i];
	r = parse_scaled(w, k->units, k->nunits, &v);
	if (r == SCALED_NO_UNIT && k->missing_unit) {
		conf_error(d, pos, "bad %s '%s' for '%s': missing unit; "
		    "expected a %s such as %s", k->what, w, n->args[0],
		    k->what, k->examples);
		return -1;
	}
	if (r == SCALED_TOO_BIG) {
		conf_error(d, pos, "bad %s '%s' for '%s': too large", k->what,
		    w, n->args[0]);
		return -1;
	}
	if (r != SCALED_OK) {
		conf_error(d, pos, "bad %s '%s' for '%s': expected a %s such "
		    "as %s", k->what, w, n->args[0], k->what, k->examples);
		return -1;
	}
	if (v < min || v > max) {
		snprintf(what, sizeof(what), "a %s", k->what);
		report_range(d, n, i, n->args[0], what, min, max, k->fmt);
		return -1;
	}
	*out = v;
	return 0;
}

int
conf_get_duration(struct conf_diag *d, const struct conf_node *n,
    size_t i, uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms)
{
	return get_scaled(d, n, i, &duration_kind, min_ms, max_ms, out_ms);
}

int
conf_get_size(struct conf_diag *d, const struct conf_node *n, size_t i,
    uint64_t min, uint64_t max, uint64_t *out)
{
	return get_scaled(d, n, i, &size_kind, min, max, out);
}

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static bool
is_name_byte(char c)
{
	return is_alnum(c) || c == '_' || c == '.' || c == '-';
}

/* Explains what is wrong with a name that is not one. */
static void
report_name(struct conf_diag *d, const struct conf_node *n, size_t i)
{
	const char *w = n->args[i], *what = n->args[0];
	const struct conf_pos *pos = &n->argpos[i];
	size_t k, len = strlen(w);

	for (k = 0; k < len && is_name_byte(w[k]); k++)
		;
	if (len == 0 || len > NAME_MAX_LEN)
		conf_error(d, pos, "bad name '%s' for '%s': expected 1 to %d "
		    "characters", w, what, NAME_MAX_LEN);
	else if (k < len && w[k] >= 0x20 && w[k] < 0x7f)
		conf_error(d, pos, "bad name '%s' for '%s': '%c' is not "
		    "allowed; use letters, digits, '_', '.' and '-'", w, what,
		    w[k]);
	else if (k < len)
		conf_error(d, pos, "bad name '%s' for '%s': byte 0x%02x is not "
		    "allowed; use letters, digits, '_', '.' and '-'", w, what,
		    (unsigned char)w[k]);
	else
		conf_error(d, pos, "bad name '%s' for '%s': must start with a "
		    "letter or digit", w, what);
}

static bool
is_name(const char *w)
{
	size_t len = strlen(w);

	if (len == 0 || len > NAME_MAX_LEN || !is_alnum(w[0]))
		return false;
	for (size_t k = 1; k < len; k++)
		if (!is_name_byte(w[k]))
			return false;
	return true;
}

int
conf_get_name(struct conf_diag *d, const struct conf_node *n, size_t i,
    char *out, size_t size)
{
	const char *w;
	size_t len;

	if ((w = word_at(d, n, i)) == NULL)
		return -1;
	if (!is_name(w)) {
		report_name(d, n, i);
		return -1;
	}
	if ((len = strlen(w)) >= size) {
		conf_error(d, &n->argpos[i], "name '%s' for '%s' does not fit "
		    "in %zu bytes (a bug: the buffer must hold %d)", w,
		    n->args[0], size, NAME_MAX_LEN + 1);
		return -1;
	}
	memcpy(out, w, len + 1);
	return 0;
}

/* "a, b, c" in a malloc'd string, or NULL out of memory. */
static char *
join_choices(const char *const *choices, size_t nchoices)
{
	size_t len = 1, off = 0;
	char *list;

	for (size_t k = 0; k < nchoices; k++)
		len += strlen(choices[k]) + 2;
	if ((list = malloc(len)) == NULL)
		return NULL;
	list[0] = '\0';
	for (size_t k = 0; k < nchoices; k++)
		off += (size_t)snprintf(list + off, len - off, "%s%s",
		    k != 0 ? ", " : "", choices[k]);
	return list;
}

/* Finds word in choices: 0 with its index in *out, else -1 with the
 * number of choices in *out. */
static int
find_choice(const char *w, const char *const *choices, unsigned *out)
{
	unsigned k;

	for (k = 0; choices[k] != NULL; k++) {
		if (strcmp(w, choices[k]) == 0) {
			*out = k;
			return 0;
		}
	}
	*out = k;
	return -1;
}

/* The end of a message about the unknown word i: HAProxy's translation
 * when it is one of HAProxy's words, else "did you mean". */
static const char *
value_hint(const struct conf_node *n, size_t i, const char *const *choices,
    size_t nchoices, char *buf, size_t size)
{
	if (conf_haproxy_value(n, i, buf, size) != NULL)
		return buf;
	return conf_hint(n->args[i], choices, nchoices, buf, size);
}

/* A word of choices (a keyword value, or an option name when option):
 * its index, or -1 after an error listing the choices, with a hint. */
static int
get_choice(struct conf_diag *d, const struct conf_node *n, size_t i,
    const char *const *choices, bool option, unsigned *out)
{
	const char *w;
	char hint[256];
	unsigned k;
	char *list;

	if ((w = word_at(d, n, i)) == NULL)
		return -1;
	if (find_choice(w, choices, &k) == 0) {
		*out = k;
		return 0;
	}
	value_hint(n, i, choices, k, hint, sizeof(hint));
	list = join_choices(choices, k);
	if (option)
		conf_error(d, &n->argpos[i], "unknown option '%s' for '%s' "
		    "(options: %s)%s", w, n->args[0], list != NULL ? list :
		    "(out of memory)", hint);
	else
		conf_error(d, &n->argpos[i], "'%s' expects one of %s; got "
		    "'%s'%s", n->args[0], list != NULL ? list :
		    "(out of memory)", w, hint);
	free(list);
	return -1;
}

int
conf_get_keyword(struct conf_diag *d, const struct conf_node *n,
    size_t i, const char *const *choices, unsigned *out)
{
	return get_choice(d, n, i, choices, false, out);
}

int
conf_get_option(struct conf_diag *d, const struct conf_node *n, size_t i,
    const char *const *names, unsigned *out)
{
	return get_choice(d, n, i, names, true, out);
}

/* ---- addresses ---- */

/* Reads a port, 1..65535, that makes up all of s. */
static int
parse_port(const char *s, in_port_t *port)
{
	uint64_t v;
	size_t k;
	bool over;

	k = read_digits(s, &v, &over);
	if (k == 0 || s[k] != '\0' || over || v < 1 || v > 65535)
		return -1;
	*port = htons((uint16_t)v);
	return 0;
}

/* Where a textual address went wrong. */
enum addr_err {
	ADDR_OK,
	ADDR_BAD,
	ADDR_NO_PORT,
	ADDR_BAD_PORT,
	ADDR_PORT_ALONE,		/* "8080" or ":8080" */
};

/*
 * Splits buf, in place, into host and port text and says which family the
 * host is written for.  "[v6]:port", else "v4:port" at the last colon.
 */
static enum addr_err
split_host_port(char *buf, char **host, char **port, int *family)
{
	char *end;

	if (buf[0] == '[') {
		if ((end = strchr(buf, ']')) == NULL)
			return ADDR_BAD;
		*end++ = '\0';
		*host = buf + 1;
		*family = AF_INET6;
	} else {
		if ((end = strrchr(buf, ':')) == NULL)
			return ADDR_NO_PORT;
		*host = buf;
		*family = AF_INET;
	}
	if (*end == '\0' || (end[0] == ':' && end[1] == '\0'))
		return ADDR_NO_PORT;
	if (*end != ':')
		return ADDR_BAD;
	*end = '\0';
	*port = end + 1;
	return ADDR_OK;
}

/* Fills ss from host and port text; returns ADDR_OK or what is wrong. */
static enum addr_err
parse_sockaddr(const char *w, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char buf[INET6_ADDRSTRLEN + 16], *host, *port;
	enum addr_err err;
	in_port_t alone;
	int family;

	if (strlen(w) >= sizeof(buf))
		return ADDR_BAD;
	/* HAProxy's "bind :80"; or the address simply forgotten. */
	if (parse_port(w + (w[0] == ':'), &alone) == 0)
		return ADDR_PORT_ALONE;
	memcpy(buf, w, strlen(w) + 1);
	if ((err = split_host_port(buf, &host, &port, &family)) != ADDR_OK)
		return err;
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		*len = sizeof(*sin6);
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return ADDR_BAD;
		return parse_port(port, &sin6->sin6_port) ? ADDR_BAD_PORT :
		    ADDR_OK;
	}
	sin->sin_family = AF_INET;
	*len = sizeof(*sin);
	if (strcmp(host, "*") == 0)
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return ADDR_BAD;
	return parse_port(port, &sin->sin_port) ? ADDR_BAD_PORT : ADDR_OK;
}

int
conf_get_sockaddr(struct conf_diag *d, const struct conf_node *n,
    size_t i, struct sockaddr_storage *out, socklen_t *outlen)
{
	struct sockaddr_storage ss;
	const char *w, *port;
	socklen_t len = 0;

	if ((w = word_at(d, n, i)) == NULL)
		return -1;
	switch (parse_sockaddr(w, &ss, &len)) {
	case ADDR_OK:
		*out = ss;
		*outlen = len;
		return 0;
	case ADDR_NO_PORT:
		conf_error(d, &n->argpos[i], "bad address '%s' for '%s': "
		    "missing port; expected " ADDRESS_FORMS, w, n->args[0]);
		return -1;
	case ADDR_PORT_ALONE:
		port = w + (w[0] == ':');
		conf_error(d, &n->argpos[i], "bad address '%s' for '%s': an "
		    "address is missing before the port; did you mean "
		    "'127.0.0.1:%s'?", w, n->args[0], port);
		return -1;
	case ADDR_BAD_PORT:
		port = strrchr(w, ':') + 1;
		conf_error(d, &n->argpos[i], "bad port '%s' in '%s' for '%s': "
		    "expected 1 to 65535", port, w, n->args[0]);
		return -1;
	case ADDR_BAD:
		break;
	}
	conf_error(d, &n->argpos[i], "bad address '%s' for '%s': expected "
	    ADDRESS_FORMS, w, n->args[0]);
	return -1;
}
