/*
 * base/json.c - a recursive-descent JSON reader (json.h): each value
 * into a node, members into a growing array of nodes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mem.h"

struct rd {
	const char *s;
	size_t len, pos;
	unsigned depth;
	char *err;
	size_t errsize;
};

static int parse_value(struct rd *r, struct json *out);

static int
fail(struct rd *r, const char *what)
{
	if (r->err[0] == '\0')
		snprintf(r->err, r->errsize, "at byte %zu: %s", r->pos, what);
	return -1;
}

static void
skip_space(struct rd *r)
{
	while (r->pos < r->len && (r->s[r->pos] == ' ' ||
	    r->s[r->pos] == '\t' || r->s[r->pos] == '\n' ||
	    r->s[r->pos] == '\r'))
		r->pos++;
}

static bool
take(struct rd *r, const char *word)
{
	size_t n = strlen(word);

	if (r->len - r->pos < n || memcmp(r->s + r->pos, word, n) != 0)
		return false;
	r->pos += n;
	return true;
}

/* ---- strings ---- */

static int
hex4(struct rd *r, unsigned *cp)
{
	*cp = 0;
	for (int i = 0; i < 4; i++, r->pos++) {
		char c = r->pos < r->len ? r->s[r->pos] : '\0';

		*cp <<= 4;
		if (c >= '0' && c <= '9')
			*cp |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*cp |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*cp |= (unsigned)(c - 'A' + 10);
		else
			return fail(r, "\\u needs four hex digits");
	}
	return 0;
}

static size_t
put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* \uXXXX, and its low surrogate when it is a high one */
static int
unicode_escape(struct rd *r, char *o, size_t *olen)
{
	unsigned cp, lo;

	if (hex4(r, &cp) < 0)
		return -1;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(r, "a lone low surrogate");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (!take(r, "\\u") || hex4(r, &lo) < 0 || lo < 0xdc00 ||
		    lo > 0xdfff)
			return fail(r, "a high surrogate without its low one");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	*olen += put_utf8(o + *olen, cp);
	return 0;
}

static int
escape(struct rd *r, char *o, size_t *olen)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *p;
	char c;

	if (r->pos >= r->len)
		return fail(r, "a string that does not end");
	c = r->s[r->pos++];
	if (c == 'u')
		return unicode_escape(r, o, olen);
	if (c == '\0' || (p = strchr(from, c)) == NULL)
		return fail(r, "an unknown escape");
	o[(*olen)++] = to[p - from];
	return 0;
}

/* After the opening quote: the string into *out (malloc'd). */
static int
parse_string(struct rd *r, char **out)
{
	size_t raw = r->pos, olen = 0;
	char *o;

	/* its source up to the closing quote: never shorter than what it
	 * reads as (\uXXXX, 6 bytes, gives at most 3; a pair, 12, 4) */
	while (raw < r->len && r->s[raw] != '"')
		raw += r->s[raw] == '\\' ? 2 : 1;
	if ((o = malloc(raw - r->pos + 1)) == NULL)
		return fail(r, "out of memory");
	for (;;) {
		unsigned char c;

		if (r->pos >= r->len) {
			free(o);
			return fail(r, "a string that does not end");
		}
		c = (unsigned char)r->s[r->pos++];
		if (c == '"')
			break;
		if (c < 0x20 || (c == '\\' && escape(r, o, &olen) < 0)) {
			free(o);
			return fail(r, "a control character in a string");
		}
		if (c != '\\')
			o[olen++] = (char)c;
	}
	o[olen] = '\0';
	*out = o;
	return 0;
}

/* ---- numbers ---- */

static size_t
digits(struct rd *r)
{
	size_t start = r->pos;

	while (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9')
		r->pos++;
	return r->pos - start;
}

static int
parse_number(struct rd *r, double *out)
{
	size_t start = r->pos, n;
	char buf[64];

	take(r, "-");
	if (take(r, "0"))
		n = 1;
	else if ((n = digits(r)) == 0)
		return fail(r, "not a value");
	if (take(r, ".") && digits(r) == 0)
		return fail(r, "a number with no digit after its point");
	if ((take(r, "e") || take(r, "E")) &&
	    (take(r, "+") || take(r, "-") || true) && digits(r) == 0)
		return fail(r, "a number with no digit in its exponent");
	if ((n = r->pos - start) >= sizeof(buf))
		return fail(r, "a number too long");
	memcpy(buf, r->s + start, n);
	buf[n] = '\0';
	*out = strtod(buf, NULL);
	return 0;
}

/* ---- arrays and objects ---- */

static int
add_member(struct rd *r, struct json *j, size_t *cap, struct json *m)
{
	if (mem_grow(&j->v, cap, j->n + 1, sizeof(*j->v)) == -1) {
		json_free(&m);
		return fail(r, "out of memory");
	}
	j->v[j->n++] = *m;
	free(m);
	return 0;
}

/* One member of an array or object (with its key), into *m. */
static int
parse_member(struct rd *r, bool object, struct json **m)
{
	char *key = NULL;

	skip_space(r);
	if (object && (!take(r, "\"") || parse_string(r, &key) < 0))
		return fail(r, "an object member without its name");
	skip_space(r);
	if (object && !take(r, ":")) {
		free(key);
		return fail(r, "a name without ':'");
	}
	if ((*m = calloc(1, sizeof(**m))) == NULL) {
		free(key);
		return fail(r, "out of memory");
	}
	(*m)->key = key;
	if (parse_value(r, *m) < 0) {
		json_free(m);
		return -1;
	}
	return 0;
}

static int
parse_container(struct rd *r, struct json *j, char close)
{
	size_t cap = 0;
	struct json *m;

	if (++r->depth > JSON_DEPTH_MAX)
		return fail(r, "nested too deep");
	skip_space(r);
	if (take(r, close == '}' ? "}" : "]")) {
		r->depth--;
		return 0;
	}
	for (;;) {
		if (parse_member(r, close == '}', &m) < 0 ||
		    add_member(r, j, &cap, m) < 0)
			return -1;
		skip_space(r);
		if (take(r, ","))
			continue;
		if (take(r, close == '}' ? "}" : "]"))
			break;
		return fail(r, close == '}' ? "expected ',' or '}'" :
		    "expected ',' or ']'");
	}
	r->depth--;
	return 0;
}

static int
parse_value(struct rd *r, struct json *out)
{
	skip_space(r);
	if (take(r, "{")) {
		out->type = JSON_OBJECT;
		return parse_container(r, out, '}');
	}
	if (take(r, "[")) {
		out->type = JSON_ARRAY;
		return parse_container(r, out, ']');
	}
	if (take(r, "\"")) {
		out->type = JSON_STRING;
		return parse_string(r, &out->str);
	}
	if (take(r, "true"))
		out->type = JSON_TRUE;
	else if (take(r, "false"))
		out->type = JSON_FALSE;
	else if (take(r, "null"))
		out->type = JSON_NULL;
	else {
		out->type = JSON_NUMBER;
		return parse_number(r, &out->num);
	}
	return 0;
}

struct json *
json_parse(const char *text, size_t len, size_t *used, char *err,
    size_t errsize)
{
	struct rd r = { text, len, 0, 0, err, errsize };
	struct json *j = calloc(1, sizeof(*j));

	err[0] = '\0';
	if (j == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	if (parse_value(&r, j) == 0) {
		skip_space(&r);
		if (used != NULL)
			*used = r.pos;
		if (used != NULL || r.pos == len)
			return j;
		fail(&r, "something after the value");
	}
	json_free(&j);
	return NULL;
}

static void
release(struct json *j)
{
	for (size_t i = 0; i < j->n; i++)
		release(&j->v[i]);
	free(j->v);
	free(j->key);
	free(j->str);
}

void
json_free(struct json **j)
{
	if (*j == NULL)
		return;
	release(*j);
	free(*j);
	*j = NULL;
}

const struct json *
json_get(const struct json *j, const char *key)
{
	if (j == NULL || j->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < j->n; i++)
		if (strcmp(j->v[i].key, key) == 0)
			return &j->v[i];
	return NULL;
}

const char *
json_str(const struct json *j, const char *key)
{
	const struct json *m = json_get(j, key);

	return m != NULL && m->type == JSON_STRING ? m->str : NULL;
}

double
json_num(const struct json *j, const char *key, double dflt)
{
	const struct json *m = json_get(j, key);

	return m != NULL && m->type == JSON_NUMBER ? m->num : dflt;
}
