/*
 * lb/monitor_conf.c - the monitor block: how a pool's members are probed.
 *
 *   monitor web-check {
 *       type http               # tcp | http
 *       interval 2s
 *       timeout 1s
 *       rise 2
 *       fall 3
 *       method GET
 *       url /healthz
 *       host www.example.com
 *       expect status 200-399
 *       expect body "ok"        # or: expect body-regex "..." (PCRE2)
 *   }
 *
 * A tcp monitor connects, and with `send`/`receive` also writes and
 * expects a reply that contains receive.  A udp monitor sends `send` as
 * one datagram and expects one back (containing `receive`, when set); a
 * dns monitor asks for `query NAME`'s A record and expects an answer.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "lb.h"
#include "util.h"

/* Notes the first directive that belongs to the other monitor type. */
static void
note_type(struct lb_monitor_conf *m, const struct conf_node *n)
{
	if (m->misplaced == NULL) {
		m->misplaced = n->args[0];
		m->misplaced_pos = n->pos;
	}
}

static int
set_type(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const types[] = { "tcp", "http", "https", "udp",
	    "dns", NULL };
	struct lb_monitor_conf *m = obj;
	unsigned v;

	if (conf_get_keyword(d, n, 1, types, &v) < 0)
		return -1;
	m->type = v;
	return 0;
}

static int
set_interval(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_monitor_conf *m = obj;

	return conf_get_duration(d, n, 1, 100, 3600000, &m->interval);
}

static int
set_timeout(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_monitor_conf *m = obj;

	return conf_get_duration(d, n, 1, 10, 3600000, &m->timeout);
}

static int
set_count(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_monitor_conf *m = obj;
	uint64_t v;

	if (conf_get_uint(d, n, 1, 1, 100, &v) < 0)
		return -1;
	*(n->args[0][0] == 'r' ? &m->rise : &m->fall) = (unsigned)v;
	return 0;
}

/* A word that goes into a request line or header: no spaces or
 * control bytes. */
static int
get_token(struct conf_diag *d, const struct conf_node *n, char *out,
    size_t size, const char *what)
{
	const char *w = n->args[1];
	size_t len = strlen(w);

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)w[i] <= ' ' || w[i] == 0x7f)
			len = 0;
	if (len == 0 || len >= size || (what[0] == 'u' && w[0] != '/')) {
		conf_error(d, &n->argpos[1], "bad %s '%s' for '%s': expected %s",
		    what, w, n->args[0], what[0] == 'u' ? "a path starting "
		    "with '/', without spaces" : "one word without spaces");
		return -1;
	}
	memcpy(out, w, len + 1);
	return 0;
}

static int
set_method(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_monitor_conf *m = obj;

	note_type(m, n);
	return get_token(d, n, m->method, sizeof(m->method), "method");
}

static int
set_url(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_monitor_conf *m = obj;

	note_type(m, n);
	return get_token(d, n, m->url, sizeof(m->url), "url");
}

static int
set_host(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_monitor_conf *m = obj;

	note_type(m, n);
	return get_token(d, n, m->host, sizeof(m->host), "host");
}

static int
copy_string(struct conf_diag *d, const struct conf_node *n, size_t i,
    char *out, size_t size)
{
	size_t len = strlen(n->args[i]);

	if (len == 0 || len >= size) {
		conf_error(d, &n->argpos[i], "'%s' expects a string of 1 to "
		    "%zu bytes", n->args[0], size - 1);
		return -1;
	}
	memcpy(out, n->args[i], len + 1);
	return 0;
}

static int
check_regex(struct conf_diag *d, const struct conf_node *n, size_t i)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)n->args[i],
	    PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
	PCRE2_UCHAR msg[128];

	if (re != NULL) {
		pcre2_code_free(re);
		return 0;
	}
	pcre2_get_error_message(err, msg, sizeof(msg));
	conf_error(d, &n->argpos[i], "bad regular expression for 'expect "
	    "body-regex' at offset %zu: %s", (size_t)off, (char *)msg);
	return -1;
}

static int
set_expect_status(struct conf_diag *d, const struct conf_node *n,
    struct lb_monitor_conf *m)
{
	m->expect.n = 0;
	for (size_t i = 2; i < n->nargs; i++)
		if (lb_expect_status_add(&m->expect, n->args[i]) < 0) {
			conf_error(d, &n->argpos[i], "bad status '%s' for "
			    "'expect status': expected codes or ranges such as "
			    "200 or 200-399 within 100-599, at most %d",
			    n->args[i], LB_EXPECT_MAX);
			return -1;
		}
	return 0;
}

/* expect status CODES... | expect body STRING | expect body-regex RE */
static int
set_expect(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	static const char *const kinds[] = { "status", "body", "body-regex",
	    NULL };
	struct lb_monitor_conf *m = obj;
	unsigned k;

	note_type(m, n);
	if (conf_get_keyword(d, n, 1, kinds, &k) < 0)
		return -1;
	if (k == 0)
		return set_expect_status(d, n, m);
	if (n->nargs != 3) {
		conf_error(d, &n->pos, "'expect %s' takes one string", kinds[k]);
		return -1;
	}
	if (k == 2 && check_regex(d, n, 2) < 0)
		return -1;
	m->body_regex = k == 2;
	return copy_string(d, n, 2, m->body, sizeof(m->body));
}

static int
set_send(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_monitor_conf *m = obj;
	bool recv = n->args[0][0] == 'r';

	/* on an http monitor: reported by lb_monitor_check */
	return copy_string(d, n, 1, recv ? m->receive : m->send,
	    sizeof(m->send));
}

/* query NAME: what a dns monitor asks for. */
static int
set_query(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_monitor_conf *m = obj;

	m->query_written = true;
	if (!lb_dns_name_ok(n->args[1])) {
		conf_error(d, &n->argpos[1], "bad name '%s' for 'query': "
		    "expected a host name, dot-separated labels of letters, "
		    "digits, '-' and '_'", n->args[1]);
		return -1;
	}
	return copy_string(d, n, 1, m->query, sizeof(m->query));
}

static const struct conf_directive monitor_rows[] = {
	{ "type", 1, 1, CONF_NO_BLOCK, set_type,
	    "type tcp|http|https|udp|dns" },
	{ "interval", 1, 1, CONF_NO_BLOCK, set_interval, "interval DURATION" },
	{ "timeout", 1, 1, CONF_NO_BLOCK, set_timeout, "timeout DURATION" },
	{ "rise", 1, 1, CONF_NO_BLOCK, set_count, "rise N" },
	{ "fall", 1, 1, CONF_NO_BLOCK, set_count, "fall N" },
	{ "method", 1, 1, CONF_NO_BLOCK, set_method, "method GET" },
	{ "url", 1, 1, CONF_NO_BLOCK, set_url, "url /PATH" },
	{ "host", 1, 1, CONF_NO_BLOCK, set_host, "host NAME" },
	{ "expect", 2, 1 + LB_EXPECT_MAX, CONF_NO_BLOCK, set_expect,
	    "expect status CODE|LO-HI...|body STRING|body-regex REGEX" },
	{ "send", 1, 1, CONF_NO_BLOCK, set_send, "send STRING" },
	{ "receive", 1, 1, CONF_NO_BLOCK, set_send, "receive STRING" },
	{ "query", 1, 1, CONF_NO_BLOCK, set_query, "query NAME" },
};

static void
monitor_defaults(struct lb_monitor_conf *m)
{
	m->type = LB_MONITOR_TCP;
	m->interval = 5000;
	m->timeout = 2000;
	m->rise = 2;
	m->fall = 3;
	snprintf(m->method, sizeof(m->method), "GET");
	snprintf(m->url, sizeof(m->url), "/");
}

int
lb_monitor_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct lb_conf *c = obj;
	struct lb_monitor_conf *m;
	char name[LB_NAME_MAX], ctx[LB_NAME_MAX + 16];

	if (conf_get_name(d, n, 1, name, sizeof(name)) < 0)
		return -1;
	for (size_t i = 0; i < c->nmonitors; i++)
		if (lb_conf_check_dup(d, n, "monitor", name,
		    c->monitors[i].name, &c->monitors[i].pos) < 0)
			return -1;
	if ((m = conf_push(&c->monitors, &c->nmonitors, sizeof(*m))) == NULL)
		return conf_oom(d, &n->pos);
	monitor_defaults(m);
	memcpy(m->name, name, sizeof(name));
	m->pos = n->argpos[1];
	snprintf(ctx, sizeof(ctx), "monitor %s", name);
	return conf_apply(d, n, ctx, monitor_rows, ARRAY_LEN(monitor_rows),
	    m) ? -1 : 0;
}

static const char *const types[] = { "tcp", "http", "https", "udp", "dns" };

unsigned
lb_monitor_check(const struct lb_monitor_conf *m, struct conf_diag *d)
{
	bool http = m->type == LB_MONITOR_HTTP || m->type == LB_MONITOR_HTTPS;
	unsigned errors = 0;

	if (m->timeout > m->interval) {
		conf_error(d, &m->pos, "monitor %s: timeout must not be longer "
		    "than interval", m->name);
		errors++;
	}
	if (!http && m->misplaced != NULL) {
		conf_error(d, &m->misplaced_pos, "monitor %s: '%s' applies to "
		    "http monitors, and this one is %s%s", m->name,
		    m->misplaced, types[m->type], m->type == LB_MONITOR_TCP ?
		    " (add 'type http')" : "");
		errors++;
	}
	if ((http || m->type == LB_MONITOR_DNS) &&
	    (m->send[0] || m->receive[0])) {
		conf_error(d, &m->pos, "monitor %s: send and receive apply to "
		    "tcp and udp monitors, and this one is %s", m->name,
		    types[m->type]);
		errors++;
	}
	if (m->type == LB_MONITOR_UDP && m->send[0] == '\0') {
		conf_error(d, &m->pos, "monitor %s is udp and has no 'send "
		    "STRING' (a datagram must go for one to come back)",
		    m->name);
		errors++;
	}
	if ((m->type == LB_MONITOR_DNS) != m->query_written) {
		conf_error(d, &m->pos, m->query[0] ? "monitor %s: 'query' "
		    "applies to dns monitors" : "monitor %s is dns and has "
		    "no 'query NAME'", m->name);
		errors++;
	}
	return errors;
}

static void
print_string(FILE *out, const char *name, const char *value)
{
	if (value[0] == '\0')
		return;
	fprintf(out, "    %s ", name);
	conf_print_word(out, value);
	fputc('\n', out);
}

void
lb_monitor_print(const struct lb_monitor_conf *m, FILE *out)
{
	char buf[256];

	fprintf(out, "monitor %s {\n    type %s\n", m->name, types[m->type]);
	conf_fmt_duration(buf, sizeof(buf), m->interval);
	fprintf(out, "    interval %s\n", buf);
	conf_fmt_duration(buf, sizeof(buf), m->timeout);
	fprintf(out, "    timeout %s\n    rise %u\n    fall %u\n", buf,
	    m->rise, m->fall);
	if (m->type == LB_MONITOR_HTTP || m->type == LB_MONITOR_HTTPS) {
		fprintf(out, "    method %s\n    url ", m->method);
		conf_print_word(out, m->url);
		fputc('\n', out);
		print_string(out, "host", m->host);
		lb_expect_status_fmt(&m->expect, buf, sizeof(buf));
		fprintf(out, "    expect status %s\n", buf);
		print_string(out, m->body_regex ? "expect body-regex" :
		    "expect body", m->body);
	}
	print_string(out, "send", m->send);
	print_string(out, "receive", m->receive);
	print_string(out, "query", m->query);
	fprintf(out, "}\n");
}
