/*
 * lb/proxy_proto.h - the PROXY protocol header edged sends a member
 * before anything else on a connection (`member ... send-proxy v1|v2`):
 * the client's address and port, and the address and port it connected
 * to, as HAProxy's proxy-protocol.txt defines them (version 1: one text
 * line; version 2: a binary block, command PROXY, TCP).  Private to lb/.
 */
#ifndef EDGED_LB_PROXY_PROTO_H
#define EDGED_LB_PROXY_PROTO_H

#include <stddef.h>
#include <sys/socket.h>

/* The longest header: version 1 with two IPv6 addresses is 104 bytes
 * and its CRLF (the text's limit is 107). */
#define LB_PROXY_MAX	108

/*
 * The header of version (1 or 2) for a connection from src to dst into
 * out (LB_PROXY_MAX bytes): its length.  Two addresses of different
 * families (an IPv4 client on an IPv6 listener is IPv4-mapped there)
 * are both sent as IPv6; a family that is neither gives "UNKNOWN" (v1)
 * or the LOCAL command (v2), which tell the member to use the
 * connection's own addresses.
 */
size_t lb_proxy_header(int version, const struct sockaddr *src,
    const struct sockaddr *dst, unsigned char *out);

/* That header sent on fd, a connection just made (its socket buffer
 * takes it whole): 0, or -1 with errno (EIO: it did not). */
int lb_proxy_send(int fd, int version, const struct sockaddr *src,
    const struct sockaddr *dst);

#endif
