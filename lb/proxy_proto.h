/*
 * lb/proxy_proto.h - the PROXY protocol, as HAProxy's proxy-protocol.txt
 * defines it: the header edged sends a member before anything else on a
 * connection (`member ... send-proxy v1|v2`), and the one it reads from
 * a client on a listener that takes it (`listen ... accept-proxy`):
 * the client's address and port, and the address and port it connected
 * to (version 1: one text line; version 2: a binary block, which may
 * carry TLVs).  Private to lb/.
 */
#ifndef EDGED_LB_PROXY_PROTO_H
#define EDGED_LB_PROXY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* The longest header edged sends: version 2 with two IPv6 addresses and
 * every TLV at its longest (authority and ALPN of 255 bytes, the SSL
 * TLV with version and cipher); version 1 takes at most 107. */
#define LB_PROXY_MAX	768

/* The longest header edged reads: a version 2 header may carry TLVs up
 * to 64 KiB; beyond this, one is refused. */
#define LB_PROXY_IN_MAX	4096

/* What a version 2 header edged sends carries besides the addresses:
 * what the client's TLS said, where edged knows it.  NULL or 0 leaves a
 * TLV out. */
struct lb_proxy_tlvs {
	const char *authority;		/* the name the client asked for
					 * (SNI) */
	const char *alpn;		/* the protocol agreed */
	bool ssl;			/* the client spoke TLS: PP2_TYPE_SSL */
	const char *ssl_version;	/* "TLSv1.3" (edged terminated it) */
	const char *ssl_cipher;
	bool ssl_cert;			/* ... and sent a certificate edged
					 * verified */
};

/*
 * The header of version (1 or 2) for a connection from src to dst into
 * out (LB_PROXY_MAX bytes): its length.  Two addresses of different
 * families (an IPv4 client on an IPv6 listener is IPv4-mapped there)
 * are both sent as IPv6; a family that is neither gives "UNKNOWN" (v1)
 * or the LOCAL command (v2), which tell the member to use the
 * connection's own addresses.  tlvs (NULL: none) go in version 2 only.
 */
size_t lb_proxy_header(int version, const struct sockaddr *src,
    const struct sockaddr *dst, const struct lb_proxy_tlvs *tlvs,
    unsigned char *out);

/* That header sent on fd, a connection just made (its socket buffer
 * takes it whole): 0, or -1 with errno (EIO: it did not). */
int lb_proxy_send(int fd, int version, const struct sockaddr *src,
    const struct sockaddr *dst, const struct lb_proxy_tlvs *tlvs);

/* What a client's header said (lb_proxy_parse). */
struct lb_proxy_info {
	int version;			/* 1 or 2 */
	/* false: LOCAL, UNKNOWN or a family without an address edged
	 * uses (UNIX, UNSPEC): the connection's own addresses stand */
	bool addresses;
	struct sockaddr_storage src, dst;
	char authority[256];		/* PP2_TYPE_AUTHORITY, "" none */
	bool ssl;			/* PP2_TYPE_SSL: the client spoke TLS
					 * to the proxy in front */
};

/*
 * Reads a header at the start of in[0..len): its length (> 0) with
 * *out filled, 0 when the len bytes may still begin one (more must
 * come: a caller that consumes them loses nothing), or -1 when they
 * cannot, with *why saying why.  Version 1 ends at its CRLF, within 107
 * bytes; version 2's length is in its first 16 bytes, and is refused
 * beyond LB_PROXY_IN_MAX.  A version 2 header's TLVs must fill it
 * exactly; a CRC32C TLV must match; unknown ones are skipped, as the
 * protocol asks.  Only TCP (STREAM) addresses are taken.
 */
long lb_proxy_parse(const unsigned char *in, size_t len,
    struct lb_proxy_info *out, const char **why);

#endif
