/*
 * src/ctl_cmd.c - see ctl_cmd.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_cmd.h"
#include "util.h"

/* TAB separates words; CR and LF end the line and are judged apart. */
static bool
forbidden(unsigned char b)
{
	return (b < 0x20 && b != '\t') || b == 0x7f;
}

static enum ctl_scan
refuse_byte(unsigned char b, size_t off, char *err, size_t size)
{
	if (b == '\0')
		snprintf(err, size, "the command holds a NUL byte at offset "
		    "%zu\n", off);
	else
		snprintf(err, size, "the command holds control byte 0x%02x "
		    "at offset %zu\n", b, off);
	return CTL_SCAN_BAD;
}

enum ctl_scan
ctl_line_scan(const char *buf, size_t len, size_t *pos, char *err,
    size_t size)
{
	size_t i;

	for (i = *pos; i < len && i < CTL_LINE_MAX; i++) {
		unsigned char b = (unsigned char)buf[i];

		if (b == '\n') {
			*pos = i + 1;
			return CTL_SCAN_LINE;
		}
		if (b == '\r' && i + 1 == len)
			break;			/* its LF may come next */
		if (b == '\r' && buf[i + 1] == '\n')
			continue;
		if (forbidden(b))
			return refuse_byte(b, i, err, size);
	}
	*pos = i;
	if (i < CTL_LINE_MAX)
		return CTL_SCAN_MORE;
	snprintf(err, size, "the command line is longer than %d bytes; give "
	    "the addresses in several commands\n", CTL_LINE_MAX);
	return CTL_SCAN_BAD;
}

static bool
separator(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* The words of line[0..len), each ended by a NUL written over its
 * separator (the line ends with one), into words when not NULL.
 * Returns how many. */
static size_t
split(char *line, size_t len, char **words)
{
	bool in_word = false;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (separator(line[i])) {
			if (words != NULL)
				line[i] = '\0';
			in_word = false;
			continue;
		}
		if (!in_word && words != NULL)
			words[n] = &line[i];
		n += !in_word;
		in_word = true;
	}
	return n;
}

/* The distinct first words of t's rows, or the subs of word, into
 * cands; their number. */
static size_t
candidates(const struct ctl_table *t, size_t nt, const char *word,
    const char **cands)
{
	size_t n = 0;

	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i].n; j++) {
			const struct edged_command *r = &t[i].rows[j];
			const char *w = word == NULL ? r->word : r->sub;
			bool seen = false;

			if (word != NULL && (strcmp(r->word, word) != 0 ||
			    w == NULL))
				continue;
			for (size_t k = 0; k < n && !seen; k++)
				seen = strcmp(cands[k], w) == 0;
			if (!seen && n < CTL_CANDS_MAX)
				cands[n++] = w;
		}
	return n;
}

/* "a, b, c" */
static void
list(char *buf, size_t size, const char **cands, size_t n)
{
	size_t used = strlen(buf);

	for (size_t i = 0; i < n && used < size; i++) {
		int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
		    cands[i]);

		if (w < 0)
			return;
		used += (size_t)w;
	}
}

const struct edged_command *
ctl_find(const struct ctl_table *t, size_t nt, char **words, size_t n,
    size_t *used, size_t *table, char *err, size_t size, bool *helpful)
{
	const char *cands[CTL_CANDS_MAX];
	bool known = false;
	char hint[128];
	size_t nc;

	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i].n; j++) {
			const struct edged_command *r = &t[i].rows[j];

			if (strcmp(words[0], r->word) != 0)
				continue;
			known = true;
			if (r->sub != NULL && (n < 2 ||
			    strcmp(words[1], r->sub) != 0))
				continue;
			*used = r->sub != NULL ? 2 : 1;
			*table = i;
			return r;
		}
	if (!known) {
		nc = candidates(t, nt, NULL, cands);
		snprintf(err, size, "unknown command '%s'%s", words[0],
		    conf_hint(words[0], cands, nc, hint, sizeof(hint)));
		*helpful = hint[0] != '\0';
		return NULL;
	}
	*helpful = true;
	nc = candidates(t, nt, words[0], cands);
	if (n < 2) {
		snprintf(err, size, "'%s' needs one of: ", words[0]);
		list(err, size, cands, nc);
		return NULL;
	}
	snprintf(err, size, "unknown %s command '%s'%s", words[0], words[1],
	    conf_hint(words[1], cands, nc, hint, sizeof(hint)));
	if (hint[0] == '\0') {
		snprintf(err + strlen(err), size - strlen(err), "; one of: ");
		list(err, size, cands, nc);
	}
	return NULL;
}

static int
refuse(struct ctl_cmd *cmd, const char *text)
{
	ctl_cmd_free(cmd);
	cmd->error = text;
	return -1;
}

/* why, then every command: "unknown command; commands: status, show
 * stats, ...\n" */
static int
refuse_unknown(struct ctl_cmd *cmd, const struct ctl_table *t, size_t nt,
    const char *why)
{
	size_t size = sizeof(cmd->errbuf), used;
	bool first = true;

	snprintf(cmd->errbuf, size, "%s; commands:", why);
	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i].n; j++) {
			const struct edged_command *r = &t[i].rows[j];

			used = strlen(cmd->errbuf);
			snprintf(cmd->errbuf + used, size - used, "%s %s%s%s",
			    first ? "" : ",", r->word, r->sub ? " " : "",
			    r->sub ? r->sub : "");
			first = false;
		}
	/* the answer ends with its line's end, even cut short */
	used = strlen(cmd->errbuf);
	if (used + 1 >= size)
		used = size - 2;
	snprintf(cmd->errbuf + used, size - used, "\n");
	return refuse(cmd, cmd->errbuf);
}

/* The row of cmd's words, its arguments and json, or -1 with the
 * reason. */
static int
decide(struct ctl_cmd *cmd, const struct ctl_table *t, size_t nt)
{
	char why[512];
	size_t used, table;
	bool helpful;
	const struct edged_command *r = ctl_find(t, nt, cmd->words,
	    cmd->nwords, &used, &table, why, sizeof(why), &helpful);

	/* an unknown word with no likely one: every command, then */
	if (r == NULL && !helpful)
		return refuse_unknown(cmd, t, nt, why);
	if (r == NULL) {
		snprintf(cmd->errbuf, sizeof(cmd->errbuf), "%s\n", why);
		return refuse(cmd, cmd->errbuf);
	}
	cmd->row = r;
	cmd->owner = t[table].owner;
	cmd->args = cmd->words + used;
	cmd->nargs = cmd->nwords - used;
	cmd->json = r->json && cmd->nargs > 0 &&
	    strcmp(cmd->args[cmd->nargs - 1], "json") == 0;
	cmd->nargs -= cmd->json;
	if (!edged_command_fits(r, cmd->args, cmd->nargs)) {
		edged_command_usage(r, false, why, sizeof(why));
		snprintf(cmd->errbuf, sizeof(cmd->errbuf), "usage: %s\n", why);
		return refuse(cmd, cmd->errbuf);
	}
	return 0;
}

int
ctl_cmd_parse(char *buf, size_t len, const struct ctl_table *t, size_t nt,
    struct ctl_cmd *cmd)
{
	size_t end = 0;

	memset(cmd, 0, sizeof(*cmd));
	switch (ctl_line_scan(buf, len, &end, cmd->errbuf,
	    sizeof(cmd->errbuf))) {
	case CTL_SCAN_BAD:
		return refuse(cmd, cmd->errbuf);
	case CTL_SCAN_MORE:
		return refuse(cmd, "the command line has no end (LF)\n");
	case CTL_SCAN_LINE:
		break;
	}
	if ((cmd->nwords = split(buf, end, NULL)) == 0)
		return refuse_unknown(cmd, t, nt, "unknown command");
	if ((cmd->words = calloc(cmd->nwords, sizeof(char *))) == NULL)
		return refuse(cmd, "out of memory\n");
	(void)split(buf, end, cmd->words);
	return decide(cmd, t, nt);
}

void
ctl_cmd_free(struct ctl_cmd *cmd)
{
	free(cmd->words);
	cmd->words = NULL;
	cmd->nwords = 0;
}
