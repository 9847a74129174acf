/*
 * lb/cert_conf.c - the certificate block: a certificate and its private
 * key, named, for TLS profiles to use.
 *
 *   certificate www {
 *       cert /etc/edged/tls/www.crt     # PEM, leaf first, chain after it
 *       key  /etc/edged/tls/www.key     # PEM, unencrypted
 *       chain /etc/edged/tls/ca.crt     # optional: the chain apart
 *   }
 *
 * Here only the words are checked; the files are read and checked by
 * lb_certs_load (tls_cert.c), in the master and by `edged -t`: the
 * worker never opens them.  A relative path is relative to the working
 * directory (the root directory under systemd): use absolute paths.
 */
#include <stdlib.h>
#include <string.h>

#include "lb.h"
#include "util.h"

/* pos is set even when the path is bad: the statement is there, and
 * lb_cert_check must not call it missing as well. */
static int
set_path(struct conf_diag *d, const struct conf_node *n, char *out,
    size_t size, struct conf_pos *pos)
{
	*pos = n->argpos[1];
	return lb_conf_get_word(d, n, "a file path", out, size, pos);
}

static int
set_cert(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_cert_conf *c = obj;

	return set_path(d, n, c->cert, sizeof(c->cert), &c->cert_pos);
}

static int
set_key(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_cert_conf *c = obj;

	return set_path(d, n, c->key, sizeof(c->key), &c->key_pos);
}

static int
set_chain(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_cert_conf *c = obj;

	return set_path(d, n, c->chain, sizeof(c->chain), &c->chain_pos);
}

static const struct conf_directive cert_rows[] = {
	{ "cert", 1, 1, CONF_NO_BLOCK, set_cert, "cert FILE" },
	{ "key", 1, 1, CONF_NO_BLOCK, set_key, "key FILE" },
	{ "chain", 1, 1, CONF_NO_BLOCK, set_chain, "chain FILE" },
};

int
lb_cert_directive(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_conf *c = obj;
	struct lb_cert_conf *cert;
	char name[LB_NAME_MAX], ctx[LB_NAME_MAX + 16];

	if (conf_get_name(d, n, 1, name, sizeof(name)) < 0)
		return -1;
	for (size_t i = 0; i < c->ncerts; i++)
		if (lb_conf_check_dup(d, n, "certificate", name,
		    c->certs[i].name, &c->certs[i].pos) < 0)
			return -1;
	if ((cert = conf_push(&c->certs, &c->ncerts, sizeof(*cert))) == NULL)
		return conf_oom(d, &n->pos);
	memcpy(cert->name, name, sizeof(name));
	cert->pos = n->argpos[1];
	snprintf(ctx, sizeof(ctx), "certificate %s", name);
	return conf_apply(d, n, ctx, cert_rows, ARRAY_LEN(cert_rows), cert) ?
	    -1 : 0;
}

unsigned
lb_cert_check(const struct lb_cert_conf *c, struct conf_diag *d)
{
	unsigned errors = 0;

	if (c->cert_pos.file == NULL) {
		conf_error(d, &c->pos, "certificate %s has no 'cert FILE'",
		    c->name);
		errors++;
	}
	if (c->key_pos.file == NULL) {
		conf_error(d, &c->pos, "certificate %s has no 'key FILE'",
		    c->name);
		errors++;
	}
	return errors;
}

void
lb_cert_print(const struct lb_cert_conf *c, FILE *out)
{
	fprintf(out, "certificate %s {\n    cert ", c->name);
	conf_print_word(out, c->cert);
	fprintf(out, "\n    key ");
	conf_print_word(out, c->key);
	if (c->chain[0] != '\0') {
		fprintf(out, "\n    chain ");
		conf_print_word(out, c->chain);
	}
	fprintf(out, "\n}\n");
}
