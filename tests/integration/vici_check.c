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
#include <ev.h>

#include "vpn_client.h"
#include "vpn_conf.h"
#include "vpn_master.h"
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

/* text's ipsec blocks read into c, with the VICI socket at path */
static int
read_conf(struct vpn_conf *c, struct conf_tree **t, const char *text,
    const char *path)
{
	struct conf_diag d;

	vpn_conf_init(c);
	snprintf(c->vici_socket, sizeof(c->vici_socket), "%s", path);
	conf_diag_init(&d);
	*t = conf_parse_string("t.conf", text, strlen(text), NULL, &d);
	for (size_t i = 0; *t != NULL && i < (*t)->root.nchildren; i++)
		vpn_ipsec_directive(&d, &(*t)->root.children[i], c);
	vpn_conf_resolve(c, &d);
	conf_diag_free(&d);
	return d.nerrors == 0 ? 0 : -1;
}

/* what list-conns says of conn: its remote_ts in buf ("" when charon
 * has no such connection) */
static void
conn_ts(void *arg, const struct vpn_vici_msg *ev)
{
	char **want = arg;	/* [0] the connection, [1] the buffer */
	const struct vpn_vici_node *conn = vpn_vici_child(&ev->root, want[0]);
	const struct vpn_vici_node *ch, *ts;

	if (conn == NULL || (ch = vpn_vici_child(conn, "children")) == NULL ||
	    (ch = vpn_vici_child(ch, want[0])) == NULL ||
	    (ts = vpn_vici_child(ch, "remote-ts")) == NULL || ts->n == 0)
		return;
	snprintf(want[1], 64, "%s", ts->v[0].value);
}

static void
remote_ts(struct vpn_client *c, const char *conn, char *buf)
{
	struct vpn_vici_out o;
	struct vpn_vici_msg m;
	char err[256], name[VPN_NAME_MAX], *want[2] = { name, buf };
	const char *why;
	uint8_t *msg;
	size_t len;

	buf[0] = '\0';
	snprintf(name, sizeof(name), "%s", conn);
	vpn_vici_begin(&o, VPN_VICI_EVENT_REGISTER, "list-conn");
	msg = vpn_vici_finish(&o, &len, &why);
	if (vpn_client_call(c, msg, len, NULL, NULL, &m, err,
	    sizeof(err)) == 0)
		vpn_vici_msg_free(&m);
	free(msg);
	msg = request("list-conns", NULL, NULL, &len);
	if (vpn_client_call(c, msg, len, conn_ts, want, &m, err,
	    sizeof(err)) == 0)
		vpn_vici_msg_free(&m);
	free(msg);
}

#define SITE(name, peer, ts) "ipsec " name " { local 192.0.2.10; peer " \
	peer "; authentication psk k-" name "; local-subnets 10.0.0.0/16; " \
	"peer-subnets " ts "; start never }\n"

/*
 * The module's commit against charon: a commit charon refuses a site of
 * fails at the site's line with charon's words, and what it had changed
 * before is put back (a changed site as it was, a new one taken away);
 * the commit that undoes it (the core's, with the generation in force)
 * and one without the sites take them away.
 */
/* the host's workers: none here */
static void
no_workers(const struct edged_host *h, const struct edged_module *mod,
    unsigned which, void (*fn)(void *arg, void *gd,
    const struct edged_channel *ch), void *arg)
{
	(void)h;
	(void)mod;
	(void)which;
	(void)fn;
	(void)arg;
}

static void
commit(struct vpn_client *c, const char *path)
{
	struct edged_host host = { .loop = ev_default_loop(0),
	    .each_worker = no_workers };
	struct conf_tree *t1, *t2, *t3;
	struct vpn_conf c1, c2, c3;
	struct conf_diag d;
	void *vm = vpn_master_new(&host, NULL), *g1 = NULL, *g2 = NULL;
	void *g3 = NULL;
	char err[512] = "", ts[64];

	conf_diag_init(&d);
	check(read_conf(&c1, &t1, SITE("x", "198.51.100.7", "10.7.0.0/16")
	    SITE("y", "198.51.100.8", "10.8.0.0/16"), path) == 0 &&
	    read_conf(&c2, &t2, SITE("x", "198.51.100.7", "10.77.0.0/16")
	    SITE("z", "198.51.100.9", "10.9.0.0/16")
	    SITE("y", "198.51.100.8", "10.8.0.0/16"), path) == 0 &&
	    read_conf(&c3, &t3, "", path) == 0, "three generations read",
	    NULL);
	/* past edged's checks: charon refuses AEAD and not in one */
	snprintf(c2.sites[2].esp[0], VPN_PROPOSAL_LEN,
	    "aes256gcm16-aes256-sha256");
	g1 = vpn_master_gen_new(vm, &c1, NULL, NULL, &d);
	g2 = vpn_master_gen_new(vm, &c2, NULL, NULL, &d);
	g3 = vpn_master_gen_new(vm, &c3, NULL, NULL, &d);
	check(g1 != NULL && g2 != NULL && g3 != NULL, "their sites render",
	    NULL);
	check(g1 != NULL && vpn_master_commit(vm, g1, err, sizeof(err)) ==
	    0, "commit: charon takes x and y", err);
	remote_ts(c, "x", ts);
	check(strcmp(ts, "10.7.0.0/16") == 0, "charon has x", ts);
	check(g2 != NULL && vpn_master_commit(vm, g2, err, sizeof(err)) ==
	    -1 && strcmp(err, "t.conf:3: ipsec y: charon refuses it: invalid "
	    "value for: esp_proposals, config discarded") == 0,
	    "a site charon refuses fails the commit, at its line, in "
	    "charon's words", err);
	remote_ts(c, "x", ts);
	check(strcmp(ts, "10.7.0.0/16") == 0, "x, changed before, is put "
	    "back as it was", ts);
	remote_ts(c, "z", ts);
	check(ts[0] == '\0', "z, new, is taken away", ts);
	check(vpn_master_commit(vm, g1, err, sizeof(err)) == 0,
	    "the core's undo: the generation in force again", err);
	check(g3 != NULL && vpn_master_commit(vm, g3, err, sizeof(err)) ==
	    0, "a generation without sites", err);
	remote_ts(c, "x", ts);
	check(ts[0] == '\0' && !has_site_b(c), "takes them away", ts);
	vpn_master_stop(vm);
	vpn_master_gen_free(vm, g1);
	vpn_master_gen_free(vm, g2);
	vpn_master_gen_free(vm, g3);
	vpn_master_free(vm);
	vpn_conf_release(&c1);
	vpn_conf_release(&c2);
	vpn_conf_release(&c3);
	conf_tree_free(&t1);
	conf_tree_free(&t2);
	conf_tree_free(&t3);
	conf_diag_free(&d);
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
	commit(&c, argv[1]);
	vpn_client_close(&c);
	broken(argv[2], argv[3]);
	return failures;
}
