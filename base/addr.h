/*
 * base/addr.h - socket addresses as text, for log lines and headers.
 */
#ifndef EDGED_ADDR_H
#define EDGED_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Writes the address alone, without port or brackets, into buf (size
 * bytes, always NUL-terminated): "192.0.2.1", "2001:db8::1" ("unknown"
 * for another family). */
void addr_fmt(char *buf, size_t size, const struct sockaddr *sa);

/* The port of an IPv4 or IPv6 address; -1 for NULL or another family. */
int addr_port(const struct sockaddr *sa);

/* Whether a is 0.0.0.0 or :: (any address of its family: a listen may
 * take it, a member or a route must name one). */
bool addr_wildcard(const struct sockaddr_storage *a);

/* Whether a and b are the same IPv4 or IPv6 address, ports aside (false
 * for another family). */
bool addr_same(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b);

#endif /* EDGED_ADDR_H */
