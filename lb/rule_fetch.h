/*
 * lb/rule_fetch.h - the samples that application rules read from an HTTP
 * head ("fetches", HAProxy configuration manual 7.3.6, "Fetching HTTP
 * samples (Layer 7)").
 *
 * A head is indexed once per message (lb_head_index for a request,
 * lb_head_index_response for a response) into a fixed-size struct the
 * caller embeds: no allocation, and no fetch rescans the request line or
 * splits a line at its colon again.  Every fetch returns a span inside the
 * head itself (nothing is copied, decoded or NUL-terminated), so the head
 * must stay in place, unmodified, while the index is used.
 *
 * Index only a head that lb_http_rewrite_request/response accepted: the
 * index trusts that grammar (one SP between the request line's parts, no
 * obs-fold, field names that are tokens) and only refuses what it cannot
 * represent.
 *
 * HAProxy's rules, followed here:
 * - hdr(NAME[,OCC]) splits each field value on every comma, even a comma
 *   inside a quoted string or a date (use fhdr for those): each element,
 *   trimmed of SP and HTAB, is one occurrence, an empty one included.
 *   Field names match case-insensitively.
 * - OCC 1 is the first occurrence, -1 the last, -2 the one before it;
 *   0 selects none.  An ACL on hdr() matches if ANY occurrence matches:
 *   it iterates (lb_fetch_iter_*) instead.  A sample expression without
 *   OCC (%[hdr(x)], set-header) takes the LAST occurrence, -1; and so
 *   does cook(NAME).  The compiler chooses; these functions do not guess.
 * - hdr_len is hdr() matched by length, hdr_cnt counts hdr() occurrences
 *   (lb_fetch_hdr_cnt), fhdr_cnt whole field lines (lb_fetch_fhdr_cnt).
 */
#ifndef EDGED_LB_RULE_FETCH_H
#define EDGED_LB_RULE_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Field lines one head may have: LB_MAX_HEADERS of lb_int.h (which
 * drags the data path in), as HAProxy's tune.http.maxhdr (101) refuses
 * more.  A head with more is refused by the index, not cut short: a rule
 * that denies on a header must not be bypassed by sending it as field 101.
 */
#define LB_FETCH_MAX_FIELDS	100

/* A span of the head; off is LB_FETCH_NONE when the part is absent (a
 * query may be present and empty: "/p?"). */
#define LB_FETCH_NONE		UINT32_MAX

struct lb_fetch_span {
	uint32_t off;
	uint32_t len;
};

struct lb_fetch_field {
	struct lb_fetch_span name;
	struct lb_fetch_span value;	/* trimmed of OWS */
};

struct lb_head_index {
	const char *head;		/* not owned */
	size_t len;
	bool response;
	/* request line */
	struct lb_fetch_span method, url, path, query, version;
	/* status line */
	struct lb_fetch_span reason;
	unsigned status;		/* 100..999, 0 for a request */
	unsigned nfields;
	struct lb_fetch_field field[LB_FETCH_MAX_FIELDS];
};

/*
 * Indexes the request head head[0..len), request line through the empty
 * line.  ix keeps a pointer to head.  Returns 0, -431 when the head has
 * more than LB_FETCH_MAX_FIELDS field lines (the caller answers 431: its
 * rules cannot be evaluated safely), or -400 when the head is not one
 * lb_http_rewrite_request accepts the shape of (no CRLF-terminated
 * request line or field lines, no empty line, a field without a colon or
 * folded).  On error ix must not be fetched from.
 *
 * The target: url is all of it.  path is origin-form up to '?' or '#'
 * (lb_key_uri's path), or, for absolute-form "http://host/p?q", "/p";
 * absent for "*", authority-form and "http://host" without a path.
 * query is after the first '?' up to '#', absent without '?'.
 */
int lb_head_index(struct lb_head_index *ix, const char *head, size_t len);

/*
 * The same for a response head; status is the status code, reason the
 * reason phrase (empty when missing).  Returns 0, or -502 (too many
 * fields, or a head in no shape to index).
 */
int lb_head_index_response(struct lb_head_index *ix, const char *head,
    size_t len);

/*
 * Request-line fetches: method, url, path, query, and req.ver (the
 * version without "HTTP/").  Each returns true and sets *p and *len to a
 * span of the head, or false when the part is absent or ix is a response.
 */
bool lb_fetch_method(const struct lb_head_index *ix, const char **p,
    size_t *len);
bool lb_fetch_url(const struct lb_head_index *ix, const char **p,
    size_t *len);
bool lb_fetch_path(const struct lb_head_index *ix, const char **p,
    size_t *len);
bool lb_fetch_query(const struct lb_head_index *ix, const char **p,
    size_t *len);
bool lb_fetch_req_ver(const struct lb_head_index *ix, const char **p,
    size_t *len);

/*
 * url_param(NAME[,,i]): the value of the first parameter NAME of the
 * query, parameters being delimited by '&' and ';' (HAProxy's
 * delimiters), name and value by '='.  "NAME" without '=' is no match;
 * "NAME=" matches with an empty value.  namelen 0 matches the first
 * parameter that has a '='.  name is compared byte for byte (case
 * ignored with icase), neither side percent-decoded.
 */
bool lb_fetch_url_param(const struct lb_head_index *ix, const char *name,
    size_t namelen, bool icase, const char **p, size_t *len);

/* status: the response's status code; false for a request. */
bool lb_fetch_status(const struct lb_head_index *ix, unsigned *status);

/*
 * hdr(NAME,OCC) / res.hdr: occurrence OCC (see above) of the
 * comma-separated elements of the fields named NAME (namelen bytes, case
 * ignored).  fhdr: occurrence OCC of the whole field values, commas
 * kept.  cook(NAME): occurrence OCC of the cookies named NAME (case
 * kept) in every Cookie field, cookies delimited by ';' and ',' as
 * HAProxy does; a cookie without '=' is no match.  namelen 0 matches
 * every field (hdr, fhdr) or every cookie (cook), as HAProxy without a
 * name.  Each returns true and the span of the value, possibly empty, or
 * false.
 */
bool lb_fetch_hdr(const struct lb_head_index *ix, const char *name,
    size_t namelen, int occ, const char **p, size_t *len);
bool lb_fetch_fhdr(const struct lb_head_index *ix, const char *name,
    size_t namelen, int occ, const char **p, size_t *len);
bool lb_fetch_cook(const struct lb_head_index *ix, const char *name,
    size_t namelen, int occ, const char **p, size_t *len);

/* hdr_cnt: hdr() occurrences of NAME; fhdr_cnt: fields named NAME;
 * namelen 0 counts every field (as HAProxy without a name). */
unsigned lb_fetch_hdr_cnt(const struct lb_head_index *ix, const char *name,
    size_t namelen);
unsigned lb_fetch_fhdr_cnt(const struct lb_head_index *ix, const char *name,
    size_t namelen);

/*
 * Every occurrence in order, for ACLs (a match on any one is a match):
 *
 *	struct lb_fetch_iter it;
 *
 *	lb_fetch_iter_hdr(&it, ix, "host", 4);
 *	while (lb_fetch_next(&it, &p, &len))
 *		if (match(p, len))
 *			...
 *
 * The iterator is plain data on the caller's stack; it holds ix and name
 * (not owned) and is valid while they are.  A copy continues on its own.
 */
enum lb_fetch_split {
	LB_FETCH_COMMAS,		/* hdr: comma-separated elements */
	LB_FETCH_WHOLE,			/* fhdr: whole field values */
	LB_FETCH_COOKIES,		/* cook: values of cookie NAME */
};

struct lb_fetch_iter {
	const struct lb_head_index *ix;
	const char *name;
	size_t namelen;
	enum lb_fetch_split split;
	unsigned field;			/* the field being read */
	uint32_t pos;			/* where its next element starts */
	bool in_field;			/* field has elements left */
};

void lb_fetch_iter_init(struct lb_fetch_iter *it,
    const struct lb_head_index *ix, enum lb_fetch_split split,
    const char *name, size_t namelen);
void lb_fetch_iter_hdr(struct lb_fetch_iter *it,
    const struct lb_head_index *ix, const char *name, size_t namelen);
void lb_fetch_iter_cook(struct lb_fetch_iter *it,
    const struct lb_head_index *ix, const char *name, size_t namelen);
/* The next occurrence: true and its span, or false at the end. */
bool lb_fetch_next(struct lb_fetch_iter *it, const char **p, size_t *len);
/* Occurrence occ (1 first, -1 last, 0 none) from a fresh iterator. */
bool lb_fetch_occ(const struct lb_fetch_iter *it, int occ, const char **p,
    size_t *len);

#endif /* EDGED_LB_RULE_FETCH_H */
