/*
 * vpn/vpn_vici.c - VICI messages written and read (vpn_vici.h).
 */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "vpn_vici.h"

enum {
	EL_SECTION_START = 1,
	EL_SECTION_END = 2,
	EL_KEY_VALUE = 3,
	EL_LIST_START = 4,
	EL_LIST_ITEM = 5,
	EL_LIST_END = 6,
};

static const char *const type_names[] = { "CMD_REQUEST", "CMD_RESPONSE",
    "CMD_UNKNOWN", "EVENT_REGISTER", "EVENT_UNREGISTER", "EVENT_CONFIRM",
    "EVENT_UNKNOWN", "EVENT" };

const char *
vpn_vici_type_name(unsigned type)
{
	return type < 8 ? type_names[type] : "an unknown type";
}

static bool
named(unsigned type)
{
	return type == VPN_VICI_CMD_REQUEST ||
	    type == VPN_VICI_EVENT_REGISTER ||
	    type == VPN_VICI_EVENT_UNREGISTER || type == VPN_VICI_EVENT;
}

/* ---- building ---- */

static void
fail(struct vpn_vici_out *o, const char *why)
{
	if (o->error == NULL)
		o->error = why;
}

static void
put(struct vpn_vici_out *o, const void *p, size_t n)
{
	if (o->error != NULL)
		return;
	if (o->len + n > VPN_VICI_MAX + 4) {
		fail(o, "a message over VICI's 512 KiB");
		return;
	}
	if (mem_grow(&o->buf, &o->cap, o->len + n, 1) == -1) {
		fail(o, "out of memory");
		return;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void
put_u8(struct vpn_vici_out *o, unsigned v)
{
	uint8_t b = (uint8_t)v;

	put(o, &b, 1);
}

/* a name: u8 length, 1 to 255 bytes */
static void
put_name(struct vpn_vici_out *o, const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 255) {
		fail(o, "a name of 0 or more than 255 bytes");
		return;
	}
	put_u8(o, (unsigned)n);
	put(o, name, n);
}

/* a value: u16 length (network order), at most 65535 bytes */
static void
put_value(struct vpn_vici_out *o, const void *v, size_t n)
{
	uint8_t l[2] = { (uint8_t)(n >> 8), (uint8_t)n };

	if (n > 65535) {
		fail(o, "a value over 65535 bytes");
		return;
	}
	put(o, l, 2);
	put(o, v, n);
}

void
vpn_vici_begin(struct vpn_vici_out *o, enum vpn_vici_type type,
    const char *name)
{
	static const uint8_t zero[4];

	memset(o, 0, sizeof(*o));
	put(o, zero, 4);		/* the length, at finish */
	put_u8(o, type);
	if (named(type))
		put_name(o, name);
}

void
vpn_vici_section(struct vpn_vici_out *o, const char *name)
{
	if (o->in_list || o->depth >= VPN_VICI_DEPTH_MAX)
		fail(o, o->in_list ? "a section inside a list" :
		    "sections nested too deep");
	put_u8(o, EL_SECTION_START);
	put_name(o, name);
	o->depth++;
}

void
vpn_vici_end(struct vpn_vici_out *o)
{
	if (o->in_list || o->depth == 0)
		fail(o, "a section's end without its start");
	put_u8(o, EL_SECTION_END);
	if (o->depth > 0)
		o->depth--;
}

void
vpn_vici_kv(struct vpn_vici_out *o, const char *name, const void *value,
    long len)
{
	if (o->in_list)
		fail(o, "a key inside a list");
	put_u8(o, EL_KEY_VALUE);
	put_name(o, name);
	put_value(o, value, len < 0 ? strlen(value) : (size_t)len);
}

void
vpn_vici_list(struct vpn_vici_out *o, const char *name)
{
	if (o->in_list)
		fail(o, "a list inside a list");
	put_u8(o, EL_LIST_START);
	put_name(o, name);
	o->in_list = true;
}

void
vpn_vici_item(struct vpn_vici_out *o, const void *value, long len)
{
	if (!o->in_list)
		fail(o, "a list item outside a list");
	put_u8(o, EL_LIST_ITEM);
	put_value(o, value, len < 0 ? strlen(value) : (size_t)len);
}

void
vpn_vici_list_end(struct vpn_vici_out *o)
{
	if (!o->in_list)
		fail(o, "a list's end without its start");
	put_u8(o, EL_LIST_END);
	o->in_list = false;
}

uint8_t *
vpn_vici_finish(struct vpn_vici_out *o, size_t *len, const char **err)
{
	uint32_t n = (uint32_t)(o->len - 4);

	if (o->depth > 0 || o->in_list)
		fail(o, "a section or list left open");
	if (o->error != NULL) {
		*err = o->error;
		free(o->buf);
		o->buf = NULL;
		return NULL;
	}
	o->buf[0] = (uint8_t)(n >> 24);
	o->buf[1] = (uint8_t)(n >> 16);
	o->buf[2] = (uint8_t)(n >> 8);
	o->buf[3] = (uint8_t)n;
	*len = o->len;
	return o->buf;
}

/* ---- reading ---- */

long
vpn_vici_frame(const uint8_t *buf, size_t len, const uint8_t **packet,
    size_t *plen, const char **err)
{
	uint32_t n;

	if (len < 4)
		return 0;
	n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	    (uint32_t)buf[2] << 8 | buf[3];
	if (n == 0 || n > VPN_VICI_MAX) {
		*err = n == 0 ? "a message of length 0" :
		    "a message over VICI's 512 KiB";
		return -1;
	}
	if (len - 4 < n)
		return 0;
	*packet = buf + 4;
	*plen = n;
	return (long)n + 4;
}

struct rd {
	const uint8_t *p;
	size_t len, off;
	const char *err;
};

static bool
get_name(struct rd *r, char *name)
{
	size_t n;

	if (r->off >= r->len || (n = r->p[r->off]) == 0 ||
	    r->len - r->off - 1 < n) {
		r->err = "a name cut short, or of length 0";
		return false;
	}
	if (memchr(r->p + r->off + 1, '\0', n) != NULL) {
		r->err = "a name with a NUL byte in it";
		return false;
	}
	memcpy(name, r->p + r->off + 1, n);
	name[n] = '\0';
	r->off += 1 + n;
	return true;
}

static bool
get_value(struct rd *r, struct vpn_vici_node *node)
{
	size_t n;

	if (r->len - r->off < 2) {
		r->err = "a value's length cut short";
		return false;
	}
	n = (size_t)r->p[r->off] << 8 | r->p[r->off + 1];
	if (r->len - r->off - 2 < n) {
		r->err = "a value longer than what is left";
		return false;
	}
	if ((node->value = malloc(n + 1)) == NULL) {
		r->err = "out of memory";
		return false;
	}
	memcpy(node->value, r->p + r->off + 2, n);
	node->value[n] = '\0';
	node->vlen = n;
	r->off += 2 + n;
	return true;
}

static struct vpn_vici_node *
add(struct rd *r, struct vpn_vici_node *parent, enum vpn_vici_kind kind)
{
	struct vpn_vici_node *node;

	if (mem_resize(&parent->v, parent->n + 1, sizeof(*parent->v)) ==
	    -1) {
		r->err = "out of memory";
		return NULL;
	}
	node = &parent->v[parent->n++];
	memset(node, 0, sizeof(*node));
	node->kind = kind;
	return node;
}

/* A list's items, up to its end. */
static bool
read_list(struct rd *r, struct vpn_vici_node *list)
{
	struct vpn_vici_node *item;

	while (r->off < r->len) {
		uint8_t el = r->p[r->off++];

		if (el == EL_LIST_END)
			return true;
		if (el != EL_LIST_ITEM) {
			r->err = "something other than an item in a list";
			return false;
		}
		if ((item = add(r, list, VPN_VICI_ITEM)) == NULL ||
		    !get_value(r, item))
			return false;
	}
	r->err = "a list without its end";
	return false;
}

/* A section's elements, up to its end (the message's: the packet's). */
static bool
read_section(struct rd *r, struct vpn_vici_node *sec, unsigned depth)
{
	struct vpn_vici_node *node;
	uint8_t el;

	while (r->off < r->len) {
		switch ((el = r->p[r->off++])) {
		case EL_SECTION_END:
			if (depth > 0)
				return true;
			r->err = "a section's end without its start";
			return false;
		case EL_SECTION_START:
		case EL_KEY_VALUE:
		case EL_LIST_START:
			if (el == EL_SECTION_START &&
			    depth >= VPN_VICI_DEPTH_MAX) {
				r->err = "sections nested too deep";
				return false;
			}
			node = add(r, sec, el == EL_SECTION_START ?
			    VPN_VICI_SECTION : el == EL_KEY_VALUE ?
			    VPN_VICI_KEY : VPN_VICI_LIST);
			if (node == NULL || !get_name(r, node->name) ||
			    (el == EL_KEY_VALUE && !get_value(r, node)) ||
			    (el == EL_LIST_START && !read_list(r, node)) ||
			    (el == EL_SECTION_START &&
			    !read_section(r, node, depth + 1)))
				return false;
			break;
		default:
			r->err = "an element of an unknown type";
			return false;
		}
	}
	if (depth == 0)
		return true;
	r->err = "a section without its end";
	return false;
}

static void
release(struct vpn_vici_node *node)
{
	for (size_t i = 0; i < node->n; i++)
		release(&node->v[i]);
	free(node->v);
	free(node->value);
}

void
vpn_vici_msg_free(struct vpn_vici_msg *m)
{
	release(&m->root);
	memset(m, 0, sizeof(*m));
}

int
vpn_vici_parse(const uint8_t *packet, size_t len, struct vpn_vici_msg *m,
    const char **err)
{
	struct rd r = { packet, len, 0, NULL };

	memset(m, 0, sizeof(*m));
	if (len == 0 || packet[0] > VPN_VICI_EVENT) {
		*err = len == 0 ? "an empty packet" : "a packet of an unknown "
		    "type";
		return -1;
	}
	m->type = packet[0];
	r.off = 1;
	if ((named(m->type) && !get_name(&r, m->name)) ||
	    !read_section(&r, &m->root, 0)) {
		*err = r.err;
		vpn_vici_msg_free(m);
		return -1;
	}
	return 0;
}

const struct vpn_vici_node *
vpn_vici_child(const struct vpn_vici_node *sec, const char *name)
{
	for (size_t i = 0; sec != NULL && sec->kind == VPN_VICI_SECTION &&
	    i < sec->n; i++)
		if (strcmp(sec->v[i].name, name) == 0)
			return &sec->v[i];
	return NULL;
}

const char *
vpn_vici_value(const struct vpn_vici_node *sec, const char *name)
{
	const struct vpn_vici_node *k = vpn_vici_child(sec, name);

	return k != NULL && k->kind == VPN_VICI_KEY ? k->value : NULL;
}
