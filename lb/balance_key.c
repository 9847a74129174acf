/*
 * lb/balance_key.c - the keys that the uri and url-param algorithms hash.
 *
 * The url is the request target as received: not NUL-terminated, not
 * decoded, possibly malformed.  Nothing here reads past urllen, and a key
 * is always a span of the url itself, so nothing is allocated.  A key
 * that would be empty counts as absent: hashing it would send every such
 * request to one member, so the caller falls back to round-robin instead.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <netinet/in.h>

#include "balance.h"

/* Length of the path: up to the query ('?') or the fragment ('#'). */
static size_t
key_path_len(const char *url, size_t urllen)
{
	size_t i;

	for (i = 0; i < urllen; i++) {
		if (url[i] == '?' || url[i] == '#')
			break;
	}
	return i;
}

/*
 * Length of the first depth segments of path: up to the depth-th '/'
 * after the first character, so depth 2 of "/a/b/c" is "/a/b" and of
 * "a/b/c" is "a/b".  A path with fewer segments is kept whole.
 */
static size_t
key_depth_len(const char *path, size_t len, unsigned depth)
{
	unsigned slashes = 0;

	for (size_t i = 1; i < len; i++) {
		if (path[i] == '/' && ++slashes == depth)
			return i;
	}
	return len;
}

/*
 * The path ends at '?' or '#' (a fragment is not sent by clients, but
 * a malformed target may hold one).  Depth is applied first, then
 * length.  Returns 0 when the path is empty.
 */
int
lb_key_uri(const char *url, size_t urllen, unsigned length, unsigned depth,
    const char **key, size_t *len)
{
	size_t n;

	if (url == NULL)
		return 0;
	n = key_path_len(url, urllen);
	if (depth > 0)
		n = key_depth_len(url, n, depth);
	if (length > 0 && n > length)
		n = length;
	if (n == 0)
		return 0;
	*key = url;
	*len = n;
	return 1;
}

/*
 * The query string of url: after the first '?' of the request target,
 * up to a fragment ('#'), which may hold '?' itself.  NULL when the url
 * has no query.
 */
static const char *
key_query(const char *url, size_t urllen, size_t *qlen)
{
	size_t p = key_path_len(url, urllen);
	const char *q, *hash;

	if (p == urllen || url[p] != '?')
		return NULL;
	q = url + p + 1;
	*qlen = urllen - p - 1;
	hash = memchr(q, '#', *qlen);
	if (hash != NULL)
		*qlen = (size_t)(hash - q);
	return q;
}

/* Whether the pair [pair, end) is "name=...", name matched exactly. */
static bool
key_pair_is(const char *pair, const char *end, const char *name,
    size_t namelen)
{
	return (size_t)(end - pair) > namelen &&
	    memcmp(pair, name, namelen) == 0 && pair[namelen] == '=';
}

/*
 * The value of the first "name=value" among the '&'-separated pairs of
 * the query [q, q + qlen).  A bare "name" has no value and does not
 * count.  Returns 1 and the span of the value, possibly empty, or 0.
 */
static int
key_param(const char *q, size_t qlen, const char *name,
    const char **val, size_t *vlen)
{
	const char *end = q + qlen;
	size_t namelen = strlen(name);

	while (q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *pend = amp != NULL ? amp : end;

		if (key_pair_is(q, pend, name, namelen)) {
			*val = q + namelen + 1;
			*vlen = (size_t)(pend - *val);
			return 1;
		}
		q = amp != NULL ? amp + 1 : end;
	}
	return 0;
}

/*
 * Only "name=value" counts as an occurrence; the first decides, and an
 * empty value there returns 0.  name is NUL-terminated and matched
 * exactly, case included, without percent-decoding.
 */
int
lb_key_url_param(const char *url, size_t urllen, const char *name,
    const char **key, size_t *len)
{
	const char *q, *val;
	size_t qlen, vlen;

	if (url == NULL || name == NULL || name[0] == '\0')
		return 0;
	q = key_query(url, urllen, &qlen);
	if (q == NULL || !key_param(q, qlen, name, &val, &vlen))
		return 0;
	if (vlen == 0)
		return 0;
	*key = val;
	*len = vlen;
	return 1;
}

void
lb_key_addr(const struct sockaddr *sa, const char **key, size_t *len)
{
	if (sa->sa_family == AF_INET6) {
		*key = (const char *)&((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr;
		*len = 16;
	} else {
		*key = (const char *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr;
		*len = 4;
	}
}
