/*
 * tests/integration/vici_check.c - vpn/vpn_client.c against a real
 * charon (scenario 61 starts it): vici_check CHARON-SOCKET SILENT-SOCKET
 * CLOSING-SOCKET.  Each step prints "ok WHAT" or "FAIL WHAT: WHY"; the
 * exit status is the number of failures.
 *
 *   - version answers; a command charon does not know is told apart;
 *   - an ipsec site read by vpn_conf.c and rendered by vpn_site.c is
 *     taken (load-shared, load-conn), listed (a streamed list-conn event
 *     before the answer), named by get-conns, and taken away again;
 *   - a connection charon refuses says charon's reason;
 *   - a socket that never answers fails within the time limit, one that
 *     closes says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "vpn_client.h"
#include "vpn_conf.h"
#include "vpn_site.h"

static int failures;

static void
check(int ok, const char *what, const char *why)
{
	if (ok)
		printf("ok %s\n", what);
	else {
		printf("FAIL %s: %s\n", what, why != NULL ? why : "");
		failures++;
	}
}

static uint8_t *
request(const char *cmd, const char *key, const char *value, size_t *len)
{
	struct vpn_vici_out o;
	const char *err;

	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, cmd);
	if (key != NULL)
		vpn_vici_kv(&o, key, value, -1);
	return vpn_vici_finish(&o, len, &err);
}

static void
count_event(void *arg, const struct vpn_vici_msg *ev)
{
	if (strcmp(ev->name, "list-conn") == 0 &&
	    vpn_vici_child(&ev->root, "site-b") != NULL)
		(*(int *)arg)++;
}

/* whether get-conns names site-b */
static int
has_site_b(struct vpn_client *c)
{
	struct vpn_vici_msg m;
	const struct vpn_vici_node *l;
	char err[256];
	size_t len;
	uint8_t *msg = request("get-conns", NULL, NULL, &len);
	int found = 0;

	if (vpn_client_call(c, msg, len, NULL, NULL, &m, err,
	    sizeof(err)) == 0) {
		l = vpn_vici_child(&m.root, "conns");
		for (size_t i = 0; l != NULL && i < l->n; i++)
			found |= strcmp(l->v[i].value, "site-b") == 0;
		vpn_vici_msg_free(&m);
	}
	free(msg);
	return found;
}

static void
site(struct vpn_client *c)
{
	static const char text[] = "ipsec site-b { local 192.0.2.10;"
	    " peer 198.51.100.1; authentication psk \"s3cr3t-psk\";"
	    " local-subnets 10.0.0.0/16; peer-subnets 10.1.0.0/16;"
	    " start never }\n";
	struct conf_diag d;
	struct conf_tree *t;
	struct vpn_conf conf;
	const char *why;
	char err[256];
	uint8_t *m;
	size_t len;

	vpn_conf_init(&conf);
	conf_diag_init(&d);
	t = conf_parse_string("t.conf", text, strlen(text), NULL, &d);
	if (t != NULL && t->root.nchildren == 1)
		vpn_ipsec_directive(&d, &t->root.children[0], &conf);
	vpn_conf_resolve(&conf, &d);
	check(conf.nsites == 1, "the site reads", NULL);
	if (conf.nsites == 1) {
		m = vpn_site_load_shared(&conf.sites[0], &len, &why);
		check(vpn_client_command(c, m, len, err, sizeof(err)) == 0,
		    "load-shared taken", err);
		free(m);
		m = vpn_site_load_conn(&conf.sites[0], &len, &why);
		check(vpn_client_command(c, m, len, err, sizeof(err)) == 0,
		    "load-conn taken", err);
		free(m);
	}
	vpn_conf_release(&conf);
	conf_tree_free(&t);
	conf_diag_free(&d);
}

static void
listed(struct vpn_client *c)
{
	struct vpn_vici_out o;
	struct vpn_vici_msg m;
	const char *why;
	char err[256];
	uint8_t *msg;
	size_t len;
	int events = 0;

	vpn_vici_begin(&o, VPN_VICI_EVENT_REGISTER, "list-conn");
	msg = vpn_vici_finish(&o, &len, &why);
	check(vpn_client_call(c, msg, len, NULL, NULL, &m, err,
	    sizeof(err)) == 0 && m.type == VPN_VICI_EVENT_CONFIRM,
	    "list-conn registered", err);
	vpn_vici_msg_free(&m);
	free(msg);
	msg = request("list-conns", NULL, NULL, &len);
	check(vpn_client_call(c, msg, len, count_event, &events, &m, err,
	    sizeof(err)) == 0 && m.type == VPN_VICI_CMD_RESPONSE &&
	    events == 1, "list-conns: one list-conn event for site-b, then "
	    "the answer", err);
	vpn_vici_msg_free(&m);
	free(msg);
	check(has_site_b(c), "get-conns names site-b", NULL);
}

static void
refused(struct vpn_client *c)
{
	struct vpn_vici_out o;
	const char *why;
	char err[256] = "";
	uint8_t *msg;
	size_t len;

	vpn_vici_begin(&o, VPN_VICI_CMD_REQUEST, "load-conn");
	vpn_vici_section(&o, "bad");
	vpn_vici_kv(&o, "local_addrs", "192.0.2.10", -1);
	vpn_vici_end(&o);
	msg = vpn_vici_finish(&o, &len, &why);
	check(vpn_client_command(c, msg, len, err, sizeof(err)) == 1 &&
	    strstr(err, "unknown option: local_addrs") != NULL,
	    "a refused connection says charon's reason", err);
	free(msg);
	msg = request("no-such-command", NULL, NULL, &len);
	check(vpn_client_command(c, msg, len, err, sizeof(err)) == -1 &&
	    strstr(err, "CMD_UNKNOWN") != NULL,
	    "an unknown command is told apart", err);
	free(msg);
}

static void
taken_away(struct vpn_client *c)
{
	const char *why;
	char err[256];
	uint8_t *msg;
	size_t len;

	msg = vpn_site_unload_conn("site-b", &len, &why);
	check(vpn_client_command(c, msg, len, err, sizeof(err)) == 0,
	    "unload-conn", err);
	free(msg);
	msg = vpn_site_unload_shared("site-b", &len, &why);
	check(vpn_client_command(c, msg, len, err, sizeof(err)) == 0,
	    "unload-shared", err);
	free(msg);
	check(!has_site_b(c), "get-conns no longer names site-b", NULL);
}

/* a socket that never answers, one that closes */
static void
broken(const char *silent, const char *closing)
{
	struct vpn_client c;
	struct vpn_vici_msg m;
	char err[256] = "";
	size_t len;
	uint8_t *msg = request("version", NULL, NULL, &len);

	if (vpn_client_open(&c, silent, 1.0, err, sizeof(err)) == 0)
		check(vpn_client_call(&c, msg, len, NULL, NULL, &m, err,
		    sizeof(err)) == -1 && strstr(err, "no answer from charon "
		    "within 1 s") != NULL, "a silent socket times out", err);
	else
		check(0, "a silent socket times out", err);
	vpn_client_close(&c);
	if (vpn_client_open(&c, closing, 1.0, err, sizeof(err)) == 0)
		check(vpn_client_call(&c, msg, len, NULL, NULL, &m, err,
		    sizeof(err)) == -1 && (strstr(err, "closed") != NULL ||
		    strstr(err, "cannot write") != NULL),
		    "a closing socket says so", err);
	else
		check(0, "a closing socket says so", err);
	vpn_client_close(&c);
	free(msg);
}

int
main(int argc, char **argv)
{
	struct vpn_client c;
	struct vpn_vici_msg m;
	char err[256] = "";
	size_t len;
	uint8_t *msg;

	if (argc != 4) {
		fprintf(stderr, "usage: vici_check CHARON SILENT CLOSING\n");
		return 2;
	}
	if (vpn_client_open(&c, argv[1], 5.0, err, sizeof(err)) < 0) {
		printf("FAIL connect: %s\n", err);
		return 1;
	}
	msg = request("version", NULL, NULL, &len);
	check(vpn_client_call(&c, msg, len, NULL, NULL, &m, err,
	    sizeof(err)) == 0 && m.type == VPN_VICI_CMD_RESPONSE &&
	    vpn_vici_value(&m.root, "daemon") != NULL &&
	    strcmp(vpn_vici_value(&m.root, "daemon"), "charon") == 0,
	    "version: charon answers", err);
	vpn_vici_msg_free(&m);
	free(msg);
	site(&c);
	listed(&c);
	refused(&c);
	taken_away(&c);
	vpn_client_close(&c);
	broken(argv[2], argv[3]);
	return failures;
}
