/*
 * tests/fuzz/fuzz_ctl.c - the control socket's command line
 * (src/ctl_cmd.c): the input is what a local client sends the master.
 *
 * It is parsed as the master parses a line (ctl_cmd_parse), and scanned
 * again as the master reads it, one byte more at a time
 * (ctl_line_scan): both must reach the same verdict at the same place,
 * and a command that passes must name one of the rows, with words the
 * master can use that fit the row's grammar.
 *
 * An input whose first byte is 0xff stands for a long line: the rest is
 * repeated to past CTL_LINE_MAX, which the fuzzer's own lengths never
 * reach, so that the limit is exercised too.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_cmd.h"

#define LONG_MARK	0xff
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Commands of each shape the rows' grammar has (module.h), and words
 * shared between rows ("show"): the parser is the target, not the
 * daemon's rows. */
static const struct edged_command rows[] = {
	{ "status", NULL, "", true, "", NULL },
	{ "show", "stats", "", true, "", NULL },
	{ "show", "pool", "[POOL]", true, "", NULL },
	{ "member", "weight", "POOL MEMBER N", false, "", NULL },
	{ "member", "reset", "POOL MEMBER | --all", false, "", NULL },
	{ "group", "add", "NAME ADDR...", false, "", NULL },
	{ "group", "set", "NAME [ADDR...]", false, "", NULL },
	{ "group", "show", "NAME", true, "", NULL },
	{ "firewall", "flush", "", false, "", NULL },
	{ "reload", NULL, "", false, "", NULL },
};
static const struct ctl_table table = { rows, NELEM(rows), NULL };
#define LONG_SIZE	(CTL_LINE_MAX + 16)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant broken: the fuzzer reports the input. */
static void
check(bool ok)
{
	if (!ok)
		abort();
}

/* The bytes to parse, in a buffer of their own size (so that a read
 * past them is caught); NULL when there is nothing to parse. */
static char *
input(const uint8_t *data, size_t size, size_t *len)
{
	char *buf;

	if (size == 0 || data[0] != LONG_MARK || size == 1) {
		*len = size;
		if ((buf = malloc(size ? size : 1)) != NULL && size > 0)
			memcpy(buf, data, size);
		return buf;
	}
	*len = LONG_SIZE;
	if ((buf = malloc(LONG_SIZE)) == NULL)
		return NULL;
	for (size_t i = 0; i < LONG_SIZE; i++)
		buf[i] = (char)data[1 + i % (size - 1)];
	return buf;
}

static bool
word_ok(const char *w, const char *buf, size_t len)
{
	size_t n = strlen(w);

	if (w < buf || w + n >= buf + len || n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)w[i] < 0x21 || w[i] == 0x7f)
			return false;
	return true;
}

static void
check_command(const struct ctl_cmd *cmd, const char *buf, size_t len)
{
	check(cmd->row >= rows && cmd->row < rows + NELEM(rows) &&
	    cmd->nwords >= 1 && cmd->words != NULL && cmd->error == NULL);
	for (size_t i = 0; i < cmd->nwords; i++)
		check(word_ok(cmd->words[i], buf, len));
	check(strcmp(cmd->words[0], cmd->row->word) == 0);
	check(cmd->json == (cmd->row->json && cmd->nwords > 1 &&
	    strcmp(cmd->words[cmd->nwords - 1], "json") == 0));
	check(cmd->args + cmd->nargs + cmd->json ==
	    cmd->words + cmd->nwords);
	check(edged_command_fits(cmd->row, cmd->args, cmd->nargs));
}

static void
check_refusal(const struct ctl_cmd *cmd)
{
	size_t n;

	check(cmd->error != NULL && cmd->words == NULL);
	n = strlen(cmd->error);
	check(n > 0 && cmd->error[n - 1] == '\n');
}

/* The master's way: the bytes arrive a few at a time (one at a time
 * but for the long lines, where that would take too long). */
static void
check_scan(const char *buf, size_t len)
{
	char err_one[128], err_inc[128];
	size_t pos_one = 0, pos_inc = 0, step = 1 + len / 1024, got = 0;
	enum ctl_scan one, inc = CTL_SCAN_MORE;

	one = ctl_line_scan(buf, len, &pos_one, err_one, sizeof(err_one));
	while (got < len && inc == CTL_SCAN_MORE) {
		got = got + step < len ? got + step : len;
		inc = ctl_line_scan(buf, got, &pos_inc, err_inc,
		    sizeof(err_inc));
		check(pos_inc <= got);
	}
	check(one == inc);
	if (one == CTL_SCAN_LINE)
		check(pos_one == pos_inc && pos_one <= CTL_LINE_MAX &&
		    buf[pos_one - 1] == '\n');
	if (one == CTL_SCAN_BAD)
		check(strcmp(err_one, err_inc) == 0);
	if (one == CTL_SCAN_MORE)
		check(len < CTL_LINE_MAX);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_cmd cmd;
	size_t len;
	char *buf = input(data, size, &len);

	if (buf == NULL)
		return 0;
	check_scan(buf, len);
	if (ctl_cmd_parse(buf, len, &table, 1, &cmd) == 0) {
		check_command(&cmd, buf, len);
		ctl_cmd_free(&cmd);
	} else
		check_refusal(&cmd);
	free(buf);
	return 0;
}
