/*
 * base/json.h - JSON read into a tree: for what other programs answer
 * (FRR's vtysh with `json`).  Read whole, checked against RFC 8259, with
 * a depth limit; nothing of the input is kept.
 */
#ifndef EDGED_JSON_H
#define EDGED_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define JSON_DEPTH_MAX	64

enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json {
	enum json_type type;
	char *key;			/* its name in an object; else NULL */
	char *str;			/* JSON_STRING: UTF-8, NUL-ended (a
					 * \u0000 in it ends it early) */
	double num;			/* JSON_NUMBER */
	struct json *v;			/* JSON_ARRAY, JSON_OBJECT: the
					 * members, in order */
	size_t n;
};

/*
 * Reads one JSON value from the len bytes of text, after and before
 * white space; *used (when not NULL) gets the bytes it took, so that
 * values written one after the other (vtysh's answers to several -c)
 * are read in turn, and when used is NULL anything after the value is
 * an error.  Returns the tree (free with json_free), or NULL with a
 * message in err ("at byte N: ...").
 */
struct json *json_parse(const char *text, size_t len, size_t *used,
    char *err, size_t errsize);
void json_free(struct json **j);

/* Member key of object j; NULL when j is not an object or has none. */
const struct json *json_get(const struct json *j, const char *key);
/* Member key's string; NULL when it is missing or not a string. */
const char *json_str(const struct json *j, const char *key);
/* Member key's number; dflt when it is missing or not a number. */
double json_num(const struct json *j, const char *key, double dflt);

#endif /* EDGED_JSON_H */
