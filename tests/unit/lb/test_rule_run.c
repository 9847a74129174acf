/*
 * tests/unit/lb/test_rule_run.c - application rules compiled and run on
 * heads (lb/rule_compile.c, lb/rule_run.c): conditions (AND, OR,
 * negation, anonymous and predefined ACLs, -i, -f files, every fetch
 * family), each action's effect on the head or the verdict,
 * use_backend, and compile errors at their place.  The rules come
 * through the configuration parser, the heads are strings as the HTTP
 * path would hand them over.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rule.h"
#include "rule_run.h"

static const char *const verbatim[] = { "application-rule", NULL };

struct fx {
	struct conf_diag d;
	struct conf_tree *t;
	struct lb_rule_set rs;
	struct lb_rules *r;
	struct sockaddr_in src, dst;
	struct lb_rule_input in;
	char buf[1024];
	size_t len;
	struct lb_rule_outcome o;
	struct lb_ctr hits[32];
	struct lb_rule_var vars[LB_RULE_VARS];
};

static int
pool_index(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "api") == 0 ? 1 : strcmp(name, "static") == 0 ?
	    2 : -1;
}

static const struct lb_rule_file files[] = {
	{ "/etc/edged/blocklist.txt", "# bad ones\n203.0.113.0/24\n"
	    "198.51.100.7\n", 39 },
	{ "/etc/edged/hosts.map", "www.example.com api\nstatic.example.com "
	    "static\n", 46 },
};

/* Compiles the rules; returns the errors (0: f->r is ready). */
static unsigned
load(struct fx *f, const char *lines)
{
	char text[4096];
	int n = snprintf(text, sizeof(text), "application-rule r {\n%s}\n",
	    lines);
	const struct lb_rule_set *sets[1];

	memset(f, 0, sizeof(*f));
	conf_diag_init(&f->d);
	f->t = conf_parse_string("t.conf", text, (size_t)n, verbatim, &f->d);
	assert_non_null(f->t);
	assert_int_equal(lb_rule_set_parse(&f->rs, &f->t->root.children[0],
	    &f->d), 0);
	/* what rule_conf.c's resolve numbers */
	for (size_t i = 0; i < f->rs.nrules; i++)
		f->rs.rules[i].id = (unsigned)i;
	memset(f->hits, 0, sizeof(f->hits));
	sets[0] = &f->rs;
	f->r = lb_rules_compile(sets, 1, pool_index, NULL, files,
	    sizeof(files) / sizeof(files[0]), &f->d);
	f->src.sin_family = f->dst.sin_family = AF_INET;
	inet_pton(AF_INET, "10.1.2.3", &f->src.sin_addr);
	f->src.sin_port = htons(40000);
	inet_pton(AF_INET, "192.0.2.1", &f->dst.sin_addr);
	f->dst.sin_port = htons(443);
	f->in = (struct lb_rule_input){ .src = (struct sockaddr *)&f->src,
	    .dst = (struct sockaddr *)&f->dst, .ssl = true,
	    .sni = "www.example.com", .hits = f->hits, .vars = f->vars };
	memset(f->vars, 0, sizeof(f->vars));
	return f->d.nerrors;
}

static void
unload(struct fx *f)
{
	lb_rules_free(&f->r);
	lb_rule_set_free(&f->rs);
	conf_tree_free(&f->t);
	conf_diag_free(&f->d);
}

/* Runs the request rules on a GET of target with extra header lines. */
static void
request(struct fx *f, const char *line, const char *fields)
{
	f->len = (size_t)snprintf(f->buf, sizeof(f->buf), "%s\r\nHost: "
	    "www.example.com\r\n%s\r\n", line, fields);
	lb_rules_request(f->r, &f->in, f->buf, &f->len, sizeof(f->buf),
	    &f->o);
}

static void
check_head(const struct fx *f, const char *want)
{
	if (f->len != strlen(want) || memcmp(f->buf, want, f->len) != 0)
		fail_msg("got  %.*s\nwant %s", (int)f->len, f->buf, want);
}

static void
test_conditions(void **state)
{
	struct fx f;

	(void)state;
	assert_int_equal(load(&f,
	    "acl is_api path_beg /api/\n"
	    "acl is_static path_end .css .js\n"
	    "acl admin hdr(host) -i ADMIN.example.com\n"
	    "acl internal src 10.0.0.0/8\n"
	    "acl blocked src -f /etc/edged/blocklist.txt\n"
	    "acl agent hdr_sub(user-agent) -i sqlmap\n"
	    "acl foo hdr_dom(x-site) foo\n"
	    "acl v1 path_reg ^/v1/\n"
	    "acl many hdr_cnt(x-n) gt 2\n"
	    "http-request deny deny_status 429 if agent || blocked\n"
	    "http-request deny if admin !internal\n"
	    "http-request deny deny_status 451 if many\n"
	    "http-request return status 200 string pong if { path /ping } "
	    "METH_GET\n"
	    "use_backend api if is_api\n"
	    "use_backend static if is_static || foo\n"), 0);
	request(&f, "GET /api/x HTTP/1.1", "");
	assert_int_equal(f.o.verdict, LB_RULES_PASS);
	assert_int_equal(f.o.pool, 1);
	request(&f, "GET /a.css HTTP/1.1", "");
	assert_int_equal(f.o.pool, 2);
	request(&f, "GET /b HTTP/1.1", "X-Site: a.foo.com\r\n");
	assert_int_equal(f.o.pool, 2);
	request(&f, "GET /b HTTP/1.1", "X-Site: afoo.com\r\n");
	assert_int_equal(f.o.pool, -1);
	request(&f, "GET / HTTP/1.1", "User-Agent: x SQLMap/1.0\r\n");
	assert_int_equal(f.o.verdict, LB_RULES_DENY);
	assert_int_equal(f.o.status, 429);
	/* any occurrence of a header, comma-split, counts */
	request(&f, "GET / HTTP/1.1", "X-N: 1\r\nX-N: 2, 3\r\n");
	assert_int_equal(f.o.status, 451);
	request(&f, "GET /ping HTTP/1.1", "");
	assert_int_equal(f.o.verdict, LB_RULES_RETURN);
	assert_string_equal(f.o.body, "pong");
	request(&f, "POST /ping HTTP/1.1", "Content-Length: 0\r\n");
	assert_int_equal(f.o.verdict, LB_RULES_PASS);
	/* admin from inside passes; from outside is denied; a blocked
	 * address is refused whatever it asks */
	request(&f, "GET /x HTTP/1.1", "X-A: 1\r\n");
	assert_int_equal(f.o.verdict, LB_RULES_PASS);
	inet_pton(AF_INET, "203.0.113.9", &f.src.sin_addr);
	request(&f, "GET /x HTTP/1.1", "");
	assert_int_equal(f.o.status, 429);
	inet_pton(AF_INET, "192.0.2.99", &f.src.sin_addr);
	f.len = (size_t)snprintf(f.buf, sizeof(f.buf), "GET / HTTP/1.1\r\n"
	    "Host: admin.EXAMPLE.com\r\n\r\n");
	lb_rules_request(f.r, &f.in, f.buf, &f.len, sizeof(f.buf), &f.o);
	assert_int_equal(f.o.verdict, LB_RULES_DENY);
	assert_int_equal(f.o.status, 403);
	unload(&f);
}

static void
test_edits(void **state)
{
	struct fx f;
	char big[1200];

	(void)state;
	assert_int_equal(load(&f,
	    "acl old path_reg ^/v1/(.*)$\n"
	    "http-request set-header X-Edge edged\n"
	    "http-request add-header X-Client %[src]:%[src_port]\n"
	    "http-request del-header X-Debug\n"
	    "http-request replace-path ^/v1/(.*)$ /v2/\\1 if old\n"
	    "http-request replace-header X-Auth ^Basic\\ (.*)$ Token\\ \\1\n"
	    "http-request set-query a=%[url_param(b)]&c=100%% unless old\n"
	    "http-request set-method PUT if { hdr(x-put) -m found }\n"), 0);
	/* each rule reads the head as the rules before it left it: the
	 * path is no longer /v1/ when set-query's condition is read */
	request(&f, "GET /v1/items?x=1 HTTP/1.1",
	    "X-Debug: 1\r\nX-Auth: Basic abc\r\n");
	assert_int_equal(f.o.verdict, LB_RULES_PASS);
	check_head(&f, "GET /v2/items?a=&c=100% HTTP/1.1\r\n"
	    "Host: www.example.com\r\nX-Auth: Token abc\r\n"
	    "X-Edge: edged\r\nX-Client: 10.1.2.3:40000\r\n\r\n");
	request(&f, "GET /p?b=7 HTTP/1.1", "X-Put: yes\r\n");
	check_head(&f, "PUT /p?a=7&c=100% HTTP/1.1\r\n"
	    "Host: www.example.com\r\nX-Put: yes\r\nX-Edge: edged\r\n"
	    "X-Client: 10.1.2.3:40000\r\n\r\n");
	unload(&f);
	/* a literal value is checked once, at compile: one that a head
	 * cannot carry as it is (a blank at an end) changes nothing, as a
	 * value built at run time that way; one that can, with %% for a
	 * percent sign, is used as it is */
	assert_int_equal(load(&f,
	    "http-request set-header X-A \" a\"\n"
	    "http-request add-header X-B \"b \"\n"
	    "http-request set-header X-C %[hdr(x-in)]\n"
	    "http-request add-header X-D 5%%\n"
	    "http-request set-header Host h\n"), 0);
	request(&f, "GET / HTTP/1.1", "X-A: 1\r\nX-In:  \r\n");
	assert_int_equal(f.o.verdict, LB_RULES_PASS);
	check_head(&f, "GET / HTTP/1.1\r\nX-A: 1\r\nX-In:  \r\n"
	    "X-C: \r\nX-D: 5%\r\nHost: h\r\n\r\n");
	unload(&f);
	/* nor is a literal longer than a built value may be: refused as
	 * such a value is, not sent */
	memset(big, 'v', sizeof(big));
	snprintf(big, sizeof(big), "http-request add-header X-Big ");
	big[strlen(big)] = 'v';
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(load(&f, big), 0);
	request(&f, "GET / HTTP/1.1", "");
	assert_int_equal(f.o.verdict, LB_RULES_PASS);	/* not too big */
	check_head(&f, "GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n");
	unload(&f);
}

static void
test_redirects_and_response(void **state)
{
	struct fx f;

	(void)state;
	assert_int_equal(load(&f,
	    "http-request redirect scheme https code 301 if !{ ssl_fc }\n"
	    "http-request redirect prefix https://new.example.com drop-query "
	    "if { path_beg /old }\n"
	    "http-request redirect location /login?from=%[path] if "
	    "{ path /secret }\n"
	    "http-response set-header Strict-Transport-Security "
	    "max-age=31536000\n"
	    "http-response del-header Server\n"
	    "http-response set-status 503 if { status 500 }\n"
	    "http-response deny if { res.hdr(x-leak) -m found }\n"), 0);
	f.in.ssl = false;
	request(&f, "GET /a?b=1 HTTP/1.1", "");
	assert_int_equal(f.o.verdict, LB_RULES_REDIRECT);
	assert_int_equal(f.o.status, 301);
	assert_string_equal(f.o.location, "https://www.example.com/a?b=1");
	f.in.ssl = true;
	request(&f, "GET /old/x?b=1 HTTP/1.1", "");
	assert_int_equal(f.o.status, 302);
	assert_string_equal(f.o.location, "https://new.example.com/old/x");
	request(&f, "GET /secret HTTP/1.1", "");
	assert_string_equal(f.o.location, "/login?from=/secret");
	f.len = (size_t)snprintf(f.buf, sizeof(f.buf), "HTTP/1.1 500 Oops\r\n"
	    "Server: nginx\r\nContent-Length: 0\r\n\r\n");
	lb_rules_response(f.r, &f.in, f.buf, &f.len, sizeof(f.buf), &f.o);
	assert_int_equal(f.o.verdict, LB_RULES_PASS);
	check_head(&f, "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Length: 0\r\n"
	    "Strict-Transport-Security: max-age=31536000\r\n\r\n");
	f.len = (size_t)snprintf(f.buf, sizeof(f.buf), "HTTP/1.1 200 OK\r\n"
	    "X-Leak: 1\r\n\r\n");
	lb_rules_response(f.r, &f.in, f.buf, &f.len, sizeof(f.buf), &f.o);
	assert_int_equal(f.o.verdict, LB_RULES_DENY);
	assert_int_equal(f.o.status, 502);
	unload(&f);
}

static void
test_limits(void **state)
{
	struct fx f;

	(void)state;
	/* what a fetch finds is copied as it is (url-encoded bytes stay
	 * encoded: a raw CR never reaches a head, and rule_edit.c would
	 * refuse it); a head grown past its room is TOO_BIG */
	assert_int_equal(load(&f,
	    "http-request set-header X-Copy %[url_param(v)]\n"
	    "http-request add-header X-Big "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    " if { path /big }\n"), 0);
	request(&f, "GET /?v=a%0db HTTP/1.1", "");
	assert_int_equal(f.o.verdict, LB_RULES_PASS);
	check_head(&f, "GET /?v=a%0db HTTP/1.1\r\nHost: www.example.com\r\n"
	    "X-Copy: a%0db\r\n\r\n");
	f.len = (size_t)snprintf(f.buf, sizeof(f.buf), "GET /big HTTP/1.1\r\n"
	    "Host: x\r\n\r\n");
	lb_rules_request(f.r, &f.in, f.buf, &f.len, f.len + 40, &f.o);
	assert_int_equal(f.o.verdict, LB_RULES_TOO_BIG);
	unload(&f);
}

static void
check_compile_error(const char *lines, const char *want)
{
	struct fx f;

	assert_int_equal(load(&f, lines), 1);
	assert_null(f.r);
	if (strcmp(f.d.msgs[0], want) != 0)
		fail_msg("got  %s\nwant %s", f.d.msgs[0], want);
	unload(&f);
}

static void
test_compile_errors(void **state)
{
	(void)state;
	check_compile_error("acl a src 10.0.0.300\n", "t.conf:2:7: error: "
	    "\"10.0.0.300\" is not an IP address or prefix");
	check_compile_error("acl a path_reg ^(x\n", "t.conf:2:7: error: "
	    "\"^(x\" is not a valid regex: missing closing parenthesis (at "
	    "byte 3)");
	check_compile_error("http-request replace-path ^(x y\n", "t.conf:2:1: "
	    "error: \"^(x\" is not a valid regex: missing closing "
	    "parenthesis (at byte 3)");
	check_compile_error("http-request replace-path ^/(.*) /%[src]/\\1\n",
	    "t.conf:2:1: error: in the replacement '/%[src]/\\1': edged "
	    "takes \\0 to \\9 (no %[...] yet)");
	check_compile_error("use_backend nope\n", "t.conf:2:1: error: "
	    "use_backend: no pool 'nope'");
	check_compile_error("acl a src -f /none\n", "t.conf:2:7: error: "
	    "pattern file /none was not read");
	check_compile_error("http-request set-header X %[src,lowr]\n",
	    "t.conf:2:1: error: in '%[src,lowr]': unknown converter 'lowr'; "
	    "did you mean 'lower'?");
	check_compile_error("http-request set-header X %[srcx]\n",
	    "t.conf:2:1: error: in '%[srcx]': 'srcx' is not a fetch edged "
	    "has here: src, dst, src_port, dst_port, path, query, url, "
	    "method, req.ver, hdr(NAME), res.hdr(NAME), url_param(NAME), "
	    "cook(NAME), ssl_fc_sni, req.ssl_sni, status, var(NAME)");
	check_compile_error("http-request set-header X %[src\n",
	    "t.conf:2:1: error: in '%[src': %[ is never closed");
	check_compile_error("http-request set-header X 5%\n",
	    "t.conf:2:1: error: in '5%': a '%' starts %[FETCH] or %% (a "
	    "percent sign)");
	check_compile_error("acl a src,lower 10.0.0.1\n", "t.conf:2:7: "
	    "error: converters after this criterion: edged converts text "
	    "samples matched as text (not yet addresses, ports or numbers)");
}

/* A rule counts a hit when its condition holds and it runs; rules after
 * a verdict do not run. */
static void
test_hits(void **state)
{
	struct fx f;

	(void)state;
	assert_int_equal(load(&f,
	    "http-request set-header X-A 1\n"
	    "http-request deny if { path /deny }\n"
	    "http-request set-header X-B 2 if { path_beg /b }\n"
	    "use_backend api if { path_beg /b/api }\n"
	    "use_backend static if { path_beg /b }\n"), 0);
	request(&f, "GET /b/api HTTP/1.1", "");
	request(&f, "GET /b/x HTTP/1.1", "");
	request(&f, "GET /deny HTTP/1.1", "");
	request(&f, "GET /c HTTP/1.1", "");
	assert_int_equal(f.hits[0].requests, 4);
	assert_int_equal(f.hits[1].requests, 1);
	assert_int_equal(f.hits[2].requests, 2);
	/* the first use_backend that holds is the only one that runs */
	assert_int_equal(f.hits[3].requests, 1);
	assert_int_equal(f.hits[4].requests, 1);
	unload(&f);
}

/* set-var keeps a value for the transaction's later rules: its
 * response rules, an ACL, a log-format. */
static void
test_vars(void **state)
{
	struct fx f;

	(void)state;
	assert_int_equal(load(&f,
	    "http-request set-var(txn.host) req.hdr(host)\n"
	    "http-request set-var(txn.tag) str(blue)\n"
	    "http-request set-var-fmt(txn.both) %[var(txn.tag)]-%[path]\n"
	    "http-request unset-var(txn.tag) if { path /untag }\n"
	    "http-request set-header X-Tag %[var(txn.tag)]\n"
	    "use_backend api if { var(txn.host) -m end example.com }\n"
	    "http-response set-header X-Both %[var(txn.both)]\n"
	    "http-response set-header X-Path %[var(req.both)]\n"), 0);
	assert_int_equal(lb_rules_nvars(f.r), 3);
	request(&f, "GET /a HTTP/1.1", "");
	assert_int_equal(f.o.pool, 1);
	check_head(&f, "GET /a HTTP/1.1\r\nHost: www.example.com\r\n"
	    "X-Tag: blue\r\n\r\n");
	f.len = (size_t)snprintf(f.buf, sizeof(f.buf), "HTTP/1.1 200 OK\r\n"
	    "\r\n");
	lb_rules_response(f.r, &f.in, f.buf, &f.len, sizeof(f.buf), &f.o);
	/* req. and txn. name the same transaction's variable */
	check_head(&f, "HTTP/1.1 200 OK\r\nX-Both: blue-/a\r\n"
	    "X-Path: blue-/a\r\n\r\n");
	/* unset: a value with nothing from it */
	request(&f, "GET /untag HTTP/1.1", "");
	check_head(&f, "GET /untag HTTP/1.1\r\nHost: www.example.com\r\n"
	    "X-Tag: \r\n\r\n");
	/* without storage, set-var does nothing and var() finds nothing */
	f.in.vars = NULL;
	request(&f, "GET /b HTTP/1.1", "");
	assert_int_equal(f.o.pool, -1);
	unload(&f);
	check_compile_error("http-request set-var(txn.x) hdr(host),lowr\n",
	    "t.conf:2:1: error: set-var: unknown converter 'lowr'; did you "
	    "mean 'lower'? (an expression is str(TEXT), int(N), or a fetch "
	    "and its converters)");
}

/* Converters in values, in set-var and after ACL criteria; a map read
 * from the files the master read. */
static void
test_converters(void **state)
{
	struct fx f;

	(void)state;
	assert_int_equal(load(&f,
	    "acl www hdr(host),lower,field(1,.) -m str www\n"
	    "acl mapped hdr(host),map(/etc/edged/hosts.map) -m found\n"
	    "http-request set-var(txn.site) req.hdr(host),field(2,.),upper\n"
	    "http-request set-header X-Site %[var(txn.site)]\n"
	    "http-request set-header X-Pool %[hdr(host),lower,"
	    "map(/etc/edged/hosts.map,none)]\n"
	    "http-request set-header X-Net %[src,ipmask(24)]\n"
	    "use_backend api if www mapped\n"), 0);
	request(&f, "GET /a HTTP/1.1", "");
	assert_int_equal(f.o.pool, 1);
	check_head(&f, "GET /a HTTP/1.1\r\nHost: www.example.com\r\n"
	    "X-Site: EXAMPLE\r\nX-Pool: api\r\nX-Net: 10.1.2.0\r\n\r\n");
	f.len = (size_t)snprintf(f.buf, sizeof(f.buf), "GET / HTTP/1.1\r\n"
	    "Host: WWW.Other.ORG\r\n\r\n");
	lb_rules_request(f.r, &f.in, f.buf, &f.len, sizeof(f.buf), &f.o);
	/* www matches (lowered), mapped does not: no use_backend */
	assert_int_equal(f.o.pool, -1);
	check_head(&f, "GET / HTTP/1.1\r\nHost: WWW.Other.ORG\r\n"
	    "X-Site: OTHER\r\nX-Pool: none\r\nX-Net: 10.1.2.0\r\n\r\n");
	unload(&f);
}

/* HAProxy's rate-limit idiom: track-sc0 src in a stick table, deny
 * when its request rate goes over; sc-inc-gpc0 and sc0_ names. */
static void
test_stick_tables(void **state)
{
	struct lb_stick_geom g = { .type = LB_STICK_IP, .size = 64,
	    .store = LB_STICK_HTTP_REQ_RATE | LB_STICK_CONN_CUR |
	    LB_STICK_GPC0 | LB_STICK_HTTP_ERR_RATE,
	    .period = { 0, 10000, 10000 } };
	size_t size = lb_stick_size(&g);
	void *mem = aligned_alloc(64, (size + 63) / 64 * 64);
	struct lb_stick t, *sticks[1] = { &t };
	struct lb_rule_track tracks[LB_TRACKERS] = { 0 };
	struct lb_stick_vals v;
	unsigned char key[16];
	struct fx f;

	(void)state;
	assert_non_null(mem);
	assert_int_equal(lb_stick_init(mem, size, &g), 0);
	assert_int_equal(lb_stick_attach(&t, mem, size, &g), 0);
	assert_int_equal(load(&f,
	    "http-request track-sc0 src table t\n"
	    "http-request deny deny_status 429 if "
	    "{ sc_http_req_rate(0) gt 3 }\n"
	    "http-request sc-inc-gpc0(0) if { path /bad }\n"
	    "http-request deny if { sc0_get_gpc0 ge 2 }\n"), 0);
	assert_true(lb_rules_track(f.r));
	f.in.sticks = sticks;
	f.in.tracks = tracks;
	f.in.now_ms = 1000;
	for (int i = 0; i < 3; i++) {
		request(&f, "GET / HTTP/1.1", "");
		assert_int_equal(f.o.verdict, LB_RULES_PASS);
	}
	assert_int_equal(tracks[0].vals.http_req_rate, 3);
	assert_int_equal(tracks[0].vals.conn_cur, 1);	/* once: one
							 * connection */
	request(&f, "GET / HTTP/1.1", "");
	assert_int_equal(f.o.verdict, LB_RULES_DENY);
	assert_int_equal(f.o.status, 429);
	/* a 4xx counts in http_err_rate */
	lb_rule_tracks_status(&f.in, 404);
	assert_int_equal(tracks[0].vals.http_err_rate, 1);
	/* the connection ends: its conn_cur is given back */
	lb_rule_tracks_end(sticks, tracks);
	assert_false(tracks[0].on);
	assert_int_equal(lb_stick_key_ip((struct sockaddr *)&f.src, key), 0);
	assert_int_equal(lb_stick_get(&t, key, 16, 1000, &v), 1);
	assert_int_equal(v.conn_cur, 0);
	assert_int_equal(v.http_req_rate, 4);
	/* 20 s later the rate is gone; gpc0 counts /bad twice */
	f.in.now_ms = 21000;
	request(&f, "GET /bad HTTP/1.1", "");
	assert_int_equal(f.o.verdict, LB_RULES_PASS);
	request(&f, "GET /bad HTTP/1.1", "");
	assert_int_equal(f.o.verdict, LB_RULES_DENY);
	assert_int_equal(f.o.status, 403);
	/* untracked: sc fetches find nothing, so no deny */
	f.in.tracks = NULL;
	request(&f, "GET /bad HTTP/1.1", "");
	assert_int_equal(f.o.verdict, LB_RULES_PASS);
	unload(&f);
	free(mem);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_edits),
		cmocka_unit_test(test_redirects_and_response),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_hits),
		cmocka_unit_test(test_vars),
		cmocka_unit_test(test_converters),
		cmocka_unit_test(test_stick_tables),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	lb_rules_thread_done();
	return rc;
}
