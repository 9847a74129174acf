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

#include "module.h"

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

/* The commands there are: the core's rows and each module's, with what
 * their run hooks get as ms. */
struct ctl_table {
	const struct edged_command *rows;
	size_t n;
	void *owner;
};

/* The most rows and words a command list holds (ctl_find). */
#define CTL_CANDS_MAX	64

/*
 * The row that words[0..n) name (n > 0), with the number of words the
 * command itself takes in *used (1, or 2 with its sub) and the table it
 * is in in *table.  NULL when there is none: err (size bytes) then says
 * why, without an end of line ("unknown command 'statsu'; did you mean
 * 'status'?", "'firewall' needs one of: flush"), and *helpful says
 * whether it points the way already (names the likely command, or the
 * candidates).
 */
const struct edged_command *ctl_find(const struct ctl_table *t, size_t nt,
    char **words, size_t n, size_t *used, size_t *table, char *err,
    size_t size, bool *helpful);

struct ctl_cmd {
	const struct edged_command *row;
	void *owner;			/* its table's */
	char **words;			/* into the parsed line; the array
					 * is owned (ctl_cmd_free) */
	size_t nwords;			/* 1 at least */
	char **args;			/* words after the command's own,
					 * without json */
	size_t nargs;
	bool json;			/* a json row, and "json" last */
	const char *error;		/* refused: the answer's text */
	char errbuf[1024];		/* error's storage when formatted */
};

/*
 * Parses the line in buf[0..len) (len as ctl_line_scan gives it, or any
 * bytes: the line is scanned again) against the commands of t[0..nt).
 * buf is changed in place: each word ends with a NUL.  Returns 0 with
 * cmd->row and cmd->words (the caller frees them with ctl_cmd_free while
 * buf still lives), or -1 with cmd->error and nothing to free.
 */
int ctl_cmd_parse(char *buf, size_t len, const struct ctl_table *t,
    size_t nt, struct ctl_cmd *cmd);
void ctl_cmd_free(struct ctl_cmd *cmd);

#endif /* EDGED_CTL_CMD_H */
