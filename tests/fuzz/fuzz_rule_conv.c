/*
 * tests/fuzz/fuzz_rule_conv.c - the converters of application rules
 * (lb/rule_conv.c) on any chain and any sample.  The input is
 * "CHAIN\nSAMPLE\nMAP": the chain's text, the sample it runs on, and the
 * text every map file it names has (lb_conv_files), but for one in two,
 * which the master "could not read" (NULL text).
 *
 * The promises of its contract (lb/rule_conv.h) it checks: a refused
 * chain leaves no chain and a message; a chain that compiles is all
 * converters (lb_conv_span covers it whole); a run writes nothing past
 * the buffer it is given (each buffer is malloc'd to its exact size, for
 * ASan), and its result lies in the buffer or outside it whole; a run
 * with a small buffer that gives a result gives the one a large buffer
 * gives, and the same run twice gives the same.  A broken promise
 * aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule_conv.h"
#include "rule_run.h"

#define ERR_MAX		512
#define FILES_MAX	8
#define BIG_BUF		4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct named {
	struct lb_rule_file f[FILES_MAX];
	char path[FILES_MAX][256];
	size_t n;
	const char *text;
	size_t len;
};

static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_rule_conv: %s (%s)\n", what, detail);
	abort();
}

/* Each map file the chain names, with the input's map text, or none
 * for every second one. */
static int
name_file(const char *path, void *arg)
{
	struct named *nm = arg;
	size_t i = nm->n;

	if (i == FILES_MAX || strlen(path) >= sizeof(nm->path[0]))
		return 0;
	memcpy(nm->path[i], path, strlen(path) + 1);
	nm->f[i].path = nm->path[i];
	nm->f[i].text = i % 2 == 0 ? nm->text : NULL;
	nm->f[i].len = i % 2 == 0 ? nm->len : 0;
	nm->n++;
	return 0;
}

/* One run with a buffer of exactly size bytes; the result copied into
 * res (BIG_BUF bytes), its length returned, or -1 for none. */
static long
run(const struct lb_conv_chain *c, const char *in, size_t inlen,
    size_t size, char *res)
{
	char *buf = malloc(size > 0 ? size : 1);
	const char *out = NULL;
	size_t n = 0;
	long rc = -1;

	if (buf == NULL)
		abort();
	if (lb_conv_run(c, in, inlen, buf, size, &out, &n)) {
		if (out >= buf && out < buf + size && n > size -
		    (size_t)(out - buf))
			fail("a result runs past the buffer", "");
		if (n > BIG_BUF && (out < buf || out >= buf + size))
			n = BIG_BUF;	/* a long sample, or map value */
		memcpy(res, out, n);
		rc = (long)n;
	}
	free(buf);
	return rc;
}

static void
runs(const struct lb_conv_chain *c, const char *in, size_t inlen)
{
	static char big[BIG_BUF], again[BIG_BUF], small[BIG_BUF];
	long nb = run(c, in, inlen, BIG_BUF, big);
	long na = run(c, in, inlen, BIG_BUF, again);
	long ns = run(c, in, inlen, 16, small);

	if (nb != na || (nb >= 0 && memcmp(big, again, (size_t)nb) != 0))
		fail("the same run twice differs", "");
	if (ns >= 0 && (ns != nb || memcmp(big, small, (size_t)ns) != 0))
		fail("a small buffer gave another result", "");
	(void)run(c, in, inlen, 0, small);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *t = (const char *)data, *nl, *in, *sep;
	struct named nm = { .n = 0 };
	struct lb_conv_chain *c = NULL;
	size_t tlen, inlen;
	char err[ERR_MAX];

	nl = memchr(t, '\n', size);
	tlen = nl != NULL ? (size_t)(nl - t) : size;
	in = nl != NULL ? nl + 1 : t + size;
	inlen = size - (size_t)(in - t);
	if ((sep = memchr(in, '\n', inlen)) != NULL) {
		nm.text = sep + 1;
		nm.len = inlen - (size_t)(sep + 1 - in);
		inlen = (size_t)(sep - in);
	}
	if (lb_conv_span(t, tlen) > tlen)
		fail("span past the text", "");
	if (lb_conv_files(t, tlen, name_file, &nm) != 0)
		fail("lb_conv_files failed", "");
	memset(err, 'x', sizeof(err));
	if (lb_conv_compile(t, tlen, nm.f, nm.n, &c, err, sizeof(err)) < 0) {
		if (c != NULL || memchr(err, '\0', sizeof(err)) == NULL ||
		    err[0] == '\0')
			fail("a refused chain without its message", "");
		return 0;
	}
	if (c == NULL)
		fail("a chain compiled to nothing", "");
	if (lb_conv_span(t, tlen) != tlen)
		fail("a chain that compiled is not all converters", "");
	runs(c, in, inlen);
	lb_conv_free(&c);
	lb_conv_thread_done();
	return 0;
}
