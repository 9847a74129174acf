/*
 * base/util.h - small helpers every layer may use.
 */
#ifndef EDGED_UTIL_H
#define EDGED_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The number of elements of array a (an array, not a pointer). */
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* The value of the hexadecimal digit c (either case), or -1. */
static inline int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A decimal int64, all of s[0, n): an optional sign and digits.  False
 * for anything else, and for what does not fit. */
static inline bool
decimal_i64(const char *s, size_t n, int64_t *out)
{
	bool neg = n > 0 && s[0] == '-';
	size_t i = n > 0 && (s[0] == '-' || s[0] == '+') ? 1 : 0;
	uint64_t v = 0, max = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;

	if (i == n)
		return false;
	for (; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9 || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

#endif /* EDGED_UTIL_H */
