/*
 * tests/bench/rule_bench.c - what application rules cost a request on
 * one core, without the network: tests/bench/rules.sh's 21 lines
 * (routing by path and Host, header rewrites with %[src], a
 * replace-path, three denies, one of them `src -f` a blocklist, response
 * header rewrites), run as the worker runs them: the request head copied
 * and the request rules run on it, then the response rules on a head
 * such as nginx sends, for the five requests rules.sh's wrk sends, in
 * turn, from 4093 client addresses in turn.  Built with the tests, not
 * run by them (timings): run it by hand,
 *     build/tests/rule_bench [ROUNDS]
 * It prints ns per request with a 10-line blocklist and with a
 * 100,000-line one, and their ratio (issue 16: within 5%), medians of
 * five alternating runs of each.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rule.h"
#include "rule_run.h"

#define UA "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 " \
	"(KHTML, like Gecko) Chrome/120.0 Safari/537.36"
#define REQ(path, host, extra) "GET " path " HTTP/1.1\r\nHost: " host \
	"\r\nUser-Agent: " UA "\r\nAccept: */*\r\n" extra "\r\n"

static const char *const requests[] = {
	REQ("/api/users?id=7", "www.example.com", ""),
	REQ("/static/app.css", "www.example.com", ""),
	REQ("/v1/items/42", "www.example.com", "X-Debug: 1\r\n"),
	REQ("/", "www.example.com", ""),
	REQ("/favicon.ico", "static.example.com", ""),
};
#define NREQ	(sizeof(requests) / sizeof(requests[0]))
#define NSRC	4093		/* client addresses, in turn */
#define REPEAT	5		/* runs of each, medians */

static const char response[] = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
    "Date: Sun, 06 Dec 2026 19:00:00 GMT\r\nContent-Type: "
    "application/octet-stream\r\nContent-Length: 60\r\nConnection: "
    "keep-alive\r\n\r\n";

static const char rules[] = "application-rule bench {\n"
    "acl is_api      path_beg /api/\n"
    "acl is_static   path_end .css .js .png .jpg .woff2\n"
    "acl static_host hdr(host) -i static.example.com cdn.example.com\n"
    "acl is_v1       path_reg ^/v1/\n"
    "acl is_admin    path_beg /admin\n"
    "acl internal    src 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16\n"
    "acl bad_agent   hdr_sub(user-agent) -i sqlmap nikto nmap masscan "
    "zgrab\n"
    "acl blocked     src -f /bench/blocklist.txt\n"
    "http-request deny if bad_agent\n"
    "http-request deny deny_status 403 if blocked\n"
    "http-request deny if is_admin !internal\n"
    "http-request del-header X-Debug\n"
    "http-request set-header X-Edge bench\n"
    "http-request add-header X-Client %[src]\n"
    "http-request replace-path ^/v1/(.*)$ /v2/\\1 if is_v1\n"
    "http-request set-header X-Forwarded-Proto http\n"
    "http-response set-header X-Frame-Options DENY\n"
    "http-response set-header X-Content-Type-Options nosniff\n"
    "http-response del-header Server\n"
    "use_backend api if is_api\n"
    "use_backend static if is_static || static_host\n"
    "}\n";

static const char *const verbatim[] = { "application-rule", NULL };

static int
pool_index(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "api") == 0 ? 1 : strcmp(name, "static") == 0 ?
	    2 : -1;
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A blocklist of n addresses in 198.18.0.0/15, none of them 127.0.0.1. */
static char *
blocklist(unsigned n, size_t *len)
{
	char *t = malloc((size_t)n * 24 + 1);
	size_t off = 0;

	if (t == NULL)
		exit(1);
	for (unsigned i = 0; i < n; i++)
		off += (size_t)sprintf(t + off, "198.%u.%u.%u\n",
		    18 + ((i * 7u) >> 16) % 2, ((i * 7u) >> 8) & 255,
		    (i * 7u) & 255);
	*len = off;
	return t;
}

/* ns per request (request and response rules) with an n-line blocklist. */
static double
run(unsigned n, unsigned rounds)
{
	struct conf_diag d;
	struct conf_tree *t;
	struct lb_rule_set rs = { 0 };
	const struct lb_rule_set *sets[1] = { &rs };
	struct lb_rule_file file = { "/bench/blocklist.txt", NULL, 0 };
	char *text;
	struct lb_rules *r;
	static struct sockaddr_in src[NSRC];
	struct lb_rule_input in = { 0 };
	struct lb_rule_outcome o;
	static char buf[16384];
	size_t len, reqlen[NREQ];
	unsigned pools = 0;
	double t0, ns;

	file.text = text = blocklist(n, &file.len);
	conf_diag_init(&d);
	t = conf_parse_string("bench.conf", rules, sizeof(rules) - 1,
	    verbatim, &d);
	if (t == NULL || lb_rule_set_parse(&rs, &t->root.children[0], &d))
		exit((fprintf(stderr, "rules do not parse\n"), 1));
	for (size_t i = 0; i < rs.nrules; i++)
		rs.rules[i].id = (unsigned)i;
	r = lb_rules_compile(sets, 1, pool_index, NULL, &file, 1, &d);
	if (r == NULL)
		exit((fprintf(stderr, "rules do not compile\n"), 1));
	/* clients in 100.64.0.0/10, none in the blocklist, each request
	 * from the next: the set is not read at one place only */
	for (unsigned i = 0; i < NSRC; i++) {
		src[i].sin_family = AF_INET;
		src[i].sin_addr.s_addr = htonl(0x64400000u + i * 2654435u %
		    (1u << 22));
	}
	for (size_t k = 0; k < NREQ; k++)
		reqlen[k] = strlen(requests[k]);
	t0 = now_ns();
	for (unsigned i = 0; i < rounds; i++)
		for (size_t k = 0; k < NREQ; k++) {
			in.src = (struct sockaddr *)&src[(i * NREQ + k) %
			    NSRC];
			len = reqlen[k];
			memcpy(buf, requests[k], len);
			lb_rules_request(r, &in, buf, &len, sizeof(buf), &o);
			if (o.verdict != LB_RULES_PASS)
				exit((fprintf(stderr, "denied\n"), 1));
			pools += (unsigned)(o.pool + 1);
			len = sizeof(response) - 1;
			memcpy(buf, response, len);
			lb_rules_response(r, &in, buf, &len, sizeof(buf), &o);
		}
	ns = (now_ns() - t0) / ((double)rounds * NREQ);
	if (pools != rounds * (2 + 3 + 3))	/* api, static twice */
		exit((fprintf(stderr, "routed wrong: %u\n", pools), 1));
	lb_rules_free(&r);
	lb_rule_set_free(&rs);
	conf_tree_free(&t);
	conf_diag_free(&d);
	free(text);
	return ns;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 100000;
	double small[REPEAT], big[REPEAT], ratio[REPEAT];

	/* alternating, so that a noisy moment costs both the same */
	for (int i = 0; i < REPEAT; i++) {
		small[i] = run(10, rounds);
		big[i] = run(100000, rounds);
		ratio[i] = big[i] / small[i];
	}
	qsort(small, REPEAT, sizeof(double), cmp_double);
	qsort(big, REPEAT, sizeof(double), cmp_double);
	qsort(ratio, REPEAT, sizeof(double), cmp_double);
	printf("ns per request, rules.sh's 21 lines, request and response "
	    "rules\n(medians of %d alternating runs of %u requests):\n"
	    "  10-line blocklist       %8.1f\n"
	    "  100,000-line blocklist  %8.1f\n"
	    "  ratio                   %8.3f\n", REPEAT,
	    rounds * (unsigned)NREQ, small[REPEAT / 2], big[REPEAT / 2],
	    ratio[REPEAT / 2]);
	return 0;
}
