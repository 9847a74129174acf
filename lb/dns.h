/*
 * lb/dns.h - the DNS messages of a dns monitor (RFC 1035): the query a
 * probe sends, and the check of what comes back.  Private to lb/.
 */
#ifndef EDGED_LB_DNS_H
#define EDGED_LB_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A query for a name of up to 253 bytes fits. */
#define LB_DNS_QUERY_MAX	512

/* Whether name is a host name a query may ask for: dot-separated
 * labels of 1 to 63 letters, digits, '-' or '_', 253 bytes at most, a
 * trailing dot allowed. */
bool lb_dns_name_ok(const char *name);

/* A standard query (recursion desired) with id for name's A record
 * into out (LB_DNS_QUERY_MAX bytes): its length, 0 for a name that is
 * not lb_dns_name_ok. */
size_t lb_dns_query(const char *name, uint16_t id, unsigned char *out);

/*
 * Whether reply (len bytes, from the member) answers the query of id:
 * a response with that id, RCODE NOERROR, and at least one answer
 * record that lies whole within it (its question, names and
 * compression pointers read with bounds).  0, or -1 with *why saying
 * what is wrong (a static string).
 */
int lb_dns_answered(const unsigned char *reply, size_t len, uint16_t id,
    const char **why);

#endif
