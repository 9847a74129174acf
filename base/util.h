/*
 * base/util.h - small helpers every layer may use.
 */
#ifndef EDGED_UTIL_H
#define EDGED_UTIL_H

/* The number of elements of array a (an array, not a pointer). */
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

#endif /* EDGED_UTIL_H */
