/*
 * vpn/vpn_vici.h - strongSwan's VICI protocol (5.9.8), edged's own codec:
 * Debian ships no libvici header.  Private to vpn/.
 *
 * A message on the socket is a 32-bit length (network order, not
 * counting itself; at most VPN_VICI_MAX) and a packet: its type, for the
 * named types (CMD_REQUEST, EVENT_REGISTER, EVENT_UNREGISTER, EVENT) a
 * name of 1 to 255 bytes, then the message: a sequence of elements,
 *   1 SECTION_START  u8 length, name        2 SECTION_END
 *   3 KEY_VALUE      u8 length, name, u16 length (network order), value
 *   4 LIST_START     u8 length, name        5 LIST_ITEM  u16 length, value
 *   6 LIST_END
 * Values are bytes, not NUL-ended (numbers as decimal text).  charon
 * answers one command at a time; events come only to a connection that
 * registered for them, and a streamed answer's events (list-sa,
 * list-conn) come before the CMD_RESPONSE that ends it.
 */
#ifndef EDGED_VPN_VICI_H
#define EDGED_VPN_VICI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VPN_VICI_MAX		(512 * 1024)	/* charon's own limit */
#define VPN_VICI_DEPTH_MAX	32	/* sections within sections */

enum vpn_vici_type {
	VPN_VICI_CMD_REQUEST = 0,
	VPN_VICI_CMD_RESPONSE = 1,
	VPN_VICI_CMD_UNKNOWN = 2,
	VPN_VICI_EVENT_REGISTER = 3,
	VPN_VICI_EVENT_UNREGISTER = 4,
	VPN_VICI_EVENT_CONFIRM = 5,
	VPN_VICI_EVENT_UNKNOWN = 6,
	VPN_VICI_EVENT = 7,
};

/* ---- building ---- */

/* A message being written: each call appends, the first error sticks
 * (finish then says it). */
struct vpn_vici_out {
	uint8_t *buf;
	size_t len, cap;
	unsigned depth;			/* sections open */
	bool in_list;
	const char *error;		/* the first one, or NULL */
};

/* Starts a message of type (with name, for the named types). */
void vpn_vici_begin(struct vpn_vici_out *o, enum vpn_vici_type type,
    const char *name);
void vpn_vici_section(struct vpn_vici_out *o, const char *name);
void vpn_vici_end(struct vpn_vici_out *o);
/* name = value (len bytes; -1: strlen) */
void vpn_vici_kv(struct vpn_vici_out *o, const char *name,
    const void *value, long len);
void vpn_vici_list(struct vpn_vici_out *o, const char *name);
/* an item of value (len bytes; -1: strlen) */
void vpn_vici_item(struct vpn_vici_out *o, const void *value, long len);
void vpn_vici_list_end(struct vpn_vici_out *o);
/* The whole message, length first, in *len bytes (o's buffer, the
 * caller's to free); NULL when a call failed (*err: why) or a section
 * or list is still open. */
uint8_t *vpn_vici_finish(struct vpn_vici_out *o, size_t *len,
    const char **err);

/* ---- reading ---- */

enum vpn_vici_kind {
	VPN_VICI_SECTION,
	VPN_VICI_KEY,
	VPN_VICI_LIST,
	VPN_VICI_ITEM,			/* a list's */
};

struct vpn_vici_node {
	enum vpn_vici_kind kind;
	char name[256];			/* "" for the message and items */
	char *value;			/* KEY, ITEM: vlen bytes and a NUL */
	size_t vlen;
	struct vpn_vici_node *v;	/* SECTION, LIST: what is inside */
	size_t n;
};

struct vpn_vici_msg {
	enum vpn_vici_type type;
	char name[256];			/* the named types' */
	struct vpn_vici_node root;	/* a SECTION: the elements */
};

/*
 * One message off a stream of len bytes: 0 when it is not whole yet,
 * the bytes it takes (the length's 4 and the packet) with the packet in
 * *packet and *plen, or -1 when the length is 0 or over VPN_VICI_MAX
 * (*err says so: nothing after it can be trusted).
 */
long vpn_vici_frame(const uint8_t *buf, size_t len, const uint8_t **packet,
    size_t *plen, const char **err);
/* A packet into *m: 0, or -1 with *err (m is then empty).  Free with
 * vpn_vici_msg_free. */
int vpn_vici_parse(const uint8_t *packet, size_t len, struct vpn_vici_msg *m,
    const char **err);
void vpn_vici_msg_free(struct vpn_vici_msg *m);

/* In a section: the member called name (of any kind); NULL if none. */
const struct vpn_vici_node *vpn_vici_child(const struct vpn_vici_node *sec,
    const char *name);
/* In a section: key name's value, NUL-ended; NULL if no such key. */
const char *vpn_vici_value(const struct vpn_vici_node *sec,
    const char *name);
/* A type's name, for messages ("CMD_RESPONSE"). */
const char *vpn_vici_type_name(unsigned type);

#endif /* EDGED_VPN_VICI_H */
