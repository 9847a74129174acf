/*
 * fw/fw_feed_json.c - a feed's text, format json (fw_feed.h): the text
 * read whole into a tree (base/json.c), then each path walked from the
 * top, step by step, and the strings where it ends taken as a list's
 * lines are.  Cloud providers publish their ranges this way (AWS:
 * .prefixes[].ip_prefix and .ipv6_prefixes[].ipv6_prefix), as do
 * threat-intelligence services.
 */
#include <stdio.h>
#include <string.h>

#include "fw_feed.h"
#include "json.h"

#define STEPS_MAX	(FW_FEED_JSON_PATH_MAX / 2)

/* one step of a path: into an object's member key (klen bytes), or, key
 * NULL, into each element of an array or value of an object ("[]") */
struct step {
	const char *key;
	size_t klen;
};

struct walk {
	struct fw_feed_list *l;
	uint64_t max;
	unsigned long values;		/* reached */
	unsigned long astray;		/* steps that found nothing to take */
	int oom;
};

/* path into s[0..*n): 0, or -1 with why */
static int
path_steps(const char *p, struct step *s, size_t *n, const char **why)
{
	size_t i = 0;

	*n = 0;
	if (p[0] != '.') {
		*why = "a path starts with '.'";
		return -1;
	}
	if (strcmp(p, ".") == 0)
		return 0;
	while (p[i] != '\0') {
		if (*n == STEPS_MAX) {
			*why = "too many steps";
			return -1;
		}
		if (p[i] == '.' && p[i + 1] != '[') {
			size_t k = strcspn(p + i + 1, ".[]");

			if (k == 0) {
				*why = "a '.' with no key after it";
				return -1;
			}
			s[(*n)++] = (struct step){ p + i + 1, k };
			i += 1 + k;
			continue;
		}
		i += p[i] == '.';
		if (p[i] != '[' || p[i + 1] != ']') {
			*why = "expected .KEY or []";
			return -1;
		}
		s[(*n)++] = (struct step){ NULL, 0 };
		i += 2;
	}
	return 0;
}

int
fw_feed_json_path_check(const char *path, const char **why)
{
	struct step s[STEPS_MAX];
	size_t n;

	return path_steps(path, s, &n, why);
}

static const char *
type_name(enum json_type t)
{
	switch (t) {
	case JSON_NULL:
		return "null";
	case JSON_FALSE:
	case JSON_TRUE:
		return "a boolean";
	case JSON_NUMBER:
		return "a number";
	case JSON_ARRAY:
		return "an array";
	case JSON_OBJECT:
		return "an object";
	default:
		return "a string";
	}
}

/* a value where a path ends */
static void
value(struct walk *w, const struct json *j)
{
	unsigned long no = ++w->values;

	if (w->oom)
		return;
	if (j->type != JSON_STRING) {
		fw_feed_list_refuse(w->l, "value", no, type_name(j->type),
		    "not a string");
		return;
	}
	if (strlen(j->str) >= FW_FEED_WORD_MAX)
		fw_feed_list_refuse(w->l, "value", no, "...",
		    "a string too long");
	else if (fw_feed_list_word(w->l, j->str, w->max, "value", no) < 0)
		w->oom = 1;
}

static void
walk(struct walk *w, const struct json *j, const struct step *s, size_t n)
{
	if (n == 0) {
		if (j->type != JSON_ARRAY)
			value(w, j);
		for (size_t i = 0; j->type == JSON_ARRAY && i < j->n; i++)
			value(w, &j->v[i]);
		return;
	}
	if (s->key == NULL && (j->type == JSON_ARRAY ||
	    j->type == JSON_OBJECT)) {
		for (size_t i = 0; i < j->n; i++)
			walk(w, &j->v[i], s + 1, n - 1);
		return;
	}
	if (s->key != NULL && j->type == JSON_OBJECT)
		for (size_t i = 0; i < j->n; i++)
			if (strlen(j->v[i].key) == s->klen &&
			    memcmp(j->v[i].key, s->key, s->klen) == 0) {
				walk(w, &j->v[i], s + 1, n - 1);
				return;
			}
	w->astray++;
}

int
fw_feed_parse_json(const char *text, size_t len,
    const char (*paths)[FW_FEED_JSON_PATH_MAX], size_t npaths, uint64_t max,
    struct fw_feed_list *l, char *err, size_t errsize)
{
	struct walk w = { .l = l, .max = max };
	char jerr[200];
	struct json *top;
	struct step s[STEPS_MAX];
	const char *why;
	size_t n;

	memset(l, 0, sizeof(*l));
	if ((top = json_parse(text, len, NULL, jerr, sizeof(jerr))) == NULL) {
		snprintf(err, errsize, "not JSON: %s", jerr);
		return strstr(jerr, "out of memory") != NULL ? -1 : -2;
	}
	for (size_t i = 0; i < (npaths > 0 ? npaths : 1); i++) {
		if (path_steps(npaths > 0 ? paths[i] : ".", s, &n, &why) < 0) {
			json_free(&top);
			fw_feed_list_free(l);
			snprintf(err, errsize, "path %s: %s", paths[i], why);
			return -2;
		}
		walk(&w, top, s, n);
	}
	json_free(&top);
	l->lines = w.values;
	if (w.oom) {
		fw_feed_list_free(l);
		return -1;
	}
	if (w.values == 0 && w.astray > 0) {
		fw_feed_list_free(l);
		snprintf(err, errsize, "its paths (%s%s) lead to no value: a "
		    "key missing, or an array or object not where a step "
		    "expects one", npaths > 0 ? paths[0] : ".", npaths > 1 ?
		    ", ..." : "");
		return -2;
	}
	return 0;
}

int
fw_feed_parse(const struct fw_feed *f, const char *text, size_t len,
    struct fw_feed_list *l, char *err, size_t errsize)
{
	if (f->format == FW_FEED_JSON)
		return fw_feed_parse_json(text, len, f->json, f->njson,
		    f->max_entries, l, err, errsize);
	if (fw_feed_parse_list(text, len, f->max_entries, l) < 0) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	return 0;
}
