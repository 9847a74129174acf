/*
 * base/util.h - small helpers every layer may use.
 */
#ifndef EDGED_UTIL_H
#define EDGED_UTIL_H

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

#endif /* EDGED_UTIL_H */
