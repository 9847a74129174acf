/*
 * src/ctl_cmd.c - see ctl_cmd.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_cmd.h"
#include "util.h"

#define WORDS_ANY	0

/* One command: its first words, and how many words its line may have
 * in all (the handler checks the exact forms). */
static const struct verb_row {
	const char *word;
	const char *sub;		/* the second word, or NULL */
	enum ctl_verb verb;
	size_t max;			/* WORDS_ANY: the handler decides */
} verbs[] = {
	{ "status", NULL, CTL_STATUS, 6 },
	{ "show", "stats", CTL_SHOW_STATS, 6 },
	{ "show", "pool", CTL_SHOW_POOL, 6 },
	{ "show", "certificates", CTL_SHOW_CERTIFICATES, 6 },
	{ "show", "firewall", CTL_SHOW_FIREWALL, WORDS_ANY },
	{ "show", "nat", CTL_SHOW_NAT, WORDS_ANY },
	{ "member", NULL, CTL_MEMBER, 6 },
	{ "group", NULL, CTL_GROUP, WORDS_ANY },
	{ "firewall", NULL, CTL_FIREWALL, WORDS_ANY },
	{ "reload", NULL, CTL_RELOAD, 1 },
	{ "upgrade", NULL, CTL_UPGRADE, 1 },
};

static const char unknown_text[] = "unknown command; commands: status, "
    "show stats, show pool [POOL], show certificates, show firewall, "
    "show nat, member enable|disable|drain POOL MEMBER, member weight "
    "POOL MEMBER N, member reset POOL MEMBER, member reset-all, "
    "group add|del|set|show NAME [ADDR...], firewall flush, reload, "
    "upgrade\n";

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

static const struct verb_row *
find_verb(char **words, size_t n)
{
	for (size_t i = 0; i < ARRAY_LEN(verbs); i++) {
		const struct verb_row *r = &verbs[i];

		if (strcmp(words[0], r->word) != 0)
			continue;
		if (r->sub == NULL || (n > 1 && strcmp(words[1], r->sub) == 0))
			return r;
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

/* The verb of cmd's words, or -1 with the reason. */
static int
decide(struct ctl_cmd *cmd)
{
	const struct verb_row *r = find_verb(cmd->words, cmd->nwords);

	if (r == NULL)
		return refuse(cmd, unknown_text);
	if (r->max != WORDS_ANY && cmd->nwords > r->max)
		return refuse(cmd, "too many words in the command\n");
	cmd->verb = r->verb;
	cmd->json = cmd->nwords > 1 &&
	    strcmp(cmd->words[cmd->nwords - 1], "json") == 0;
	return 0;
}

int
ctl_cmd_parse(char *buf, size_t len, struct ctl_cmd *cmd)
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
		return refuse(cmd, unknown_text);
	if ((cmd->words = calloc(cmd->nwords, sizeof(char *))) == NULL)
		return refuse(cmd, "out of memory\n");
	(void)split(buf, end, cmd->words);
	return decide(cmd);
}

void
ctl_cmd_free(struct ctl_cmd *cmd)
{
	free(cmd->words);
	cmd->words = NULL;
	cmd->nwords = 0;
}
