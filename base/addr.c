/*
 * base/addr.c - see addr.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>

#include "addr.h"

void
addr_fmt(char *buf, size_t size, const struct sockaddr *sa)
{
	const void *a = sa->sa_family == AF_INET6 ?
	    (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr :
	    (const void *)&((const struct sockaddr_in *)sa)->sin_addr;

	if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
	    inet_ntop(sa->sa_family, a, buf, (socklen_t)size) == NULL)
		snprintf(buf, size, "unknown");
}
