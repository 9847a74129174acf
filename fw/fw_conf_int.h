/*
 * fw/fw_conf_int.h - what the firewall's configuration files share among
 * themselves (fw_conf.c's directives, fw_resolve.c, fw_print.c), and
 * nobody else.
 */
#ifndef EDGED_FW_CONF_INT_H
#define EDGED_FW_CONF_INT_H

#include "fw_conf.h"

/* The protocols' words, by enum fw_proto, NULL-terminated. */
extern const char *const fw_proto_names[];

/* "80,443,8000-8080" or "echo-request,echo-reply" for proto, appended to
 * items (what names it in messages, at pos).  0, or -1 after an
 * error. */
int fw_svc_list(struct conf_diag *d, const struct conf_pos *pos,
    const char *what, enum fw_proto proto, const char *list,
    struct fw_svc_item **items, size_t *nitems);
/* Any port or type of proto, appended to items; pos for messages. */
int fw_proto_any(struct conf_diag *d, const struct conf_pos *pos,
    enum fw_proto proto, struct fw_svc_item **items, size_t *nitems);

/* `feed URL { }` in an address-group (fw_conf_feed.c): a directive
 * setter on a struct fw_group; its normal form. */
int fw_group_feed(struct conf_diag *d, const struct conf_node *n, void *obj);
void fw_feed_print(const struct fw_feed *f, bool secrets, FILE *out);

/* name, what (a "rule", a "service-chain") defined before at first:
 * true after an error at n's name; false when first is NULL. */
bool fw_name_taken(struct conf_diag *d, const struct conf_node *n,
    const char *what, const char *name, const struct conf_pos *first);
/* n's interface name into out (FW_IFNAME_MAX bytes): 0, or -1 after an
 * error. */
int fw_get_ifname(struct conf_diag *d, const struct conf_node *n, char *out);

/* Service insertion (fw_conf_steer.c): the top-level directives, a
 * rule's `steer`, the names resolved (after the rules'), the normal
 * form. */
int fw_rule_steer(struct conf_diag *d, const struct conf_node *n, void *obj);
void fw_steer_resolve(struct fw_conf *c, struct conf_diag *d);
void fw_steer_print(const struct fw_conf *c, FILE *out);
void fw_steer_release(struct fw_conf *c);

#endif /* EDGED_FW_CONF_INT_H */
