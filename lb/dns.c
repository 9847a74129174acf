/*
 * lb/dns.c - the DNS messages of a dns monitor (dns.h).
 */
#include <ctype.h>
#include <string.h>

#include "dns.h"

#define HEADER		12
#define TYPE_A		1
#define CLASS_IN	1

bool
lb_dns_name_ok(const char *name)
{
	size_t len = strlen(name), label = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.' && (label == 0 || i + 1 == len))
			return false;
		if (c == '.') {
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return false;
		if (++label > 63)
			return false;
	}
	return true;
}

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

size_t
lb_dns_query(const char *name, uint16_t id, unsigned char *out)
{
	size_t n = HEADER;
	const char *p = name;

	if (!lb_dns_name_ok(name))
		return 0;
	memset(out, 0, HEADER);
	put16(out, id);
	out[2] = 0x01;			/* RD */
	put16(out + 4, 1);		/* QDCOUNT */
	while (*p != '\0') {
		size_t l = strcspn(p, ".");

		out[n++] = (unsigned char)l;
		memcpy(out + n, p, l);
		n += l;
		p += l;
		if (*p == '.')
			p++;
	}
	out[n++] = 0;
	put16(out + n, TYPE_A);
	put16(out + n + 2, CLASS_IN);
	return n + 4;
}

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* The offset just past the name at off (labels, ending at a zero
 * length or a compression pointer, which is not followed), or 0 when
 * it does not lie within len. */
static size_t
skip_name(const unsigned char *m, size_t len, size_t off)
{
	while (off < len) {
		unsigned l = m[off];

		if (l == 0)
			return off + 1;
		if ((l & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		if (l & 0xc0)			/* 0x40, 0x80: reserved */
			return 0;
		off += 1 + l;
	}
	return 0;
}

static const char *
rcode_name(unsigned rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR",
	    "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED" };

	return rcode < 6 ? names[rcode] : "an error RCODE";
}

static int
refuse(const char **why, const char *what)
{
	*why = what;
	return -1;
}

int
lb_dns_answered(const unsigned char *m, size_t len, uint16_t id,
    const char **why)
{
	size_t off = HEADER;
	unsigned qd, an;

	*why = NULL;
	if (len < HEADER)
		return refuse(why, "a reply shorter than a DNS header");
	if (get16(m) != id || !(m[2] & 0x80))
		return refuse(why, "not a response to the query");
	if ((m[3] & 0x0f) != 0)
		return refuse(why, rcode_name(m[3] & 0x0f));
	qd = get16(m + 4);
	an = get16(m + 6);
	if (an == 0)
		return refuse(why, "no answer record");
	for (unsigned i = 0; i < qd; i++)
		if ((off = skip_name(m, len, off)) == 0 || (off += 4) > len)
			return refuse(why, "a question cut short");
	/* the first answer: name, type, class, TTL, RDLENGTH, RDATA */
	if ((off = skip_name(m, len, off)) == 0 || off + 10 > len ||
	    off + 10 + get16(m + off + 8) > len)
		return refuse(why, "an answer record cut short");
	return 0;
}
