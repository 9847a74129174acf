/*
 * src/ctl_cmd.h - a control line as bytes: the checks it must pass and
 * the command it names, decided without the master, so that the master
 * (ctl.c) and a fuzz target (tests/fuzz/fuzz_ctl.c) run the same code.
 *
 * A control line is words separated by spaces or tabs and ended by LF
 * or CR LF, at most CTL_LINE_MAX bytes with its end.  No other control
 * byte may appear in it (NUL, ESC, a lone CR, DEL...): such a line is
 * refused at once, whatever follows.  Bytes after the LF are not read:
 * one command per connection.
 */
#ifndef EDGED_CTL_CMD_H
#define EDGED_CTL_CMD_H

#include <stdbool.h>
#include <stddef.h>

/* With its LF: edgectl builds lines up to this (group set with many
 * addresses) and says so beyond. */
#define CTL_LINE_MAX	65535

enum ctl_scan {
	CTL_SCAN_MORE,			/* no end yet: read on */
	CTL_SCAN_LINE,			/* a whole line */
	CTL_SCAN_BAD,			/* refused: the reason is in err */
};

/*
 * Scans buf[*pos..len) for the end of the line and for bytes a line must
 * not hold; the bytes before *pos were scanned already (0 at first).
 * CTL_SCAN_LINE: *pos is the line's length with its end.  CTL_SCAN_MORE:
 * *pos is where to go on once more bytes are in buf.  CTL_SCAN_BAD: err
 * (size bytes) holds the reason, ending in a newline, as the client is
 * told.
 */
enum ctl_scan ctl_line_scan(const char *buf, size_t len, size_t *pos,
    char *err, size_t size);

/* What the master does with a line; ctl.c has one handler per verb. */
enum ctl_verb {
	CTL_STATUS,
	CTL_SHOW_STATS,
	CTL_SHOW_POOL,
	CTL_SHOW_CERTIFICATES,
	CTL_SHOW_FIREWALL,
	CTL_SHOW_NAT,
	CTL_MEMBER,
	CTL_GROUP,
	CTL_FIREWALL,
	CTL_RELOAD,
	CTL_UPGRADE,
	CTL_NVERBS
};

struct ctl_cmd {
	enum ctl_verb verb;
	char **words;			/* into the parsed line; the array
					 * is owned (ctl_cmd_free) */
	size_t nwords;			/* 1 at least */
	bool json;			/* the last word (of 2 or more) is
					 * "json" */
	const char *error;		/* refused: the answer's text */
	char errbuf[96];		/* error's storage when formatted */
};

/*
 * Parses the line in buf[0..len) (len as ctl_line_scan gives it, or any
 * bytes: the line is scanned again).  buf is changed in place: each word
 * ends with a NUL.  Returns 0 with cmd->words (the caller frees them
 * with ctl_cmd_free while buf still lives), or -1 with cmd->error and
 * nothing to free.
 */
int ctl_cmd_parse(char *buf, size_t len, struct ctl_cmd *cmd);
void ctl_cmd_free(struct ctl_cmd *cmd);

#endif /* EDGED_CTL_CMD_H */
