/*
 * lb/rule_lex.h - the words of an application-rule line, split as
 * HAProxy splits its configuration lines (configuration manual, 2.2
 * "Quoting and escaping"), so that lines pasted from an HAProxy file or
 * an NSX Edge application rule mean here what they meant there.
 *
 *   - blanks (space, tab) separate words;
 *   - '#' outside quotes starts a comment, to the end of the line;
 *   - "weak quotes" keep blanks, '#' and ' in a word and still take the
 *     escapes below; 'strong quotes' keep everything as it is;
 *   - a backslash outside strong quotes escapes: "\ " a blank, "\#",
 *     "\\", "\'", "\"", "\r", "\n", "\t", "\xHH", and "\$" in weak quotes;
 *     before any other byte it stays, with that byte (so regexes keep
 *     "\d", "\.", "\1");
 *   - quoted and unquoted parts next to each other make one word.
 *
 * HAProxy expands environment variables ("$NAME", "${NAME}") in weak
 * quotes; edged does not (the configuration file says all there is):
 * one is an error that says to write the value, or "\$" for a dollar.
 */
#ifndef EDGED_LB_RULE_LEX_H
#define EDGED_LB_RULE_LEX_H

#include <stdbool.h>
#include <stddef.h>

#define LB_RULE_WORDS_MAX	64	/* HAProxy's MAX_LINE_ARGS */

struct lb_rule_word {
	const char *text;		/* unescaped, NUL-terminated */
	size_t len;			/* may hold NULs ("\x00") */
	unsigned col;			/* where it starts in the line, from 1 */
	bool quoted;			/* a part of it was quoted: a quoted
					 * "{" or "!" is a word, not syntax */
};

struct lb_rule_words {
	struct lb_rule_word w[LB_RULE_WORDS_MAX];
	size_t n;
	char *buf;			/* holds the words' text */
};

/*
 * Splits line (len bytes, without its newline) into out, which owns its
 * words until lb_rule_words_free (after a failure it holds nothing).
 * Returns 0; or -1 with a message in
 * err (errsize bytes) and, in *col, the column it concerns (from 1): an
 * unterminated quote, a bad "\x" escape, an environment variable, more
 * than LB_RULE_WORDS_MAX words, or out of memory (col 0).
 */
int lb_rule_split(const char *line, size_t len, struct lb_rule_words *out,
    char *err, size_t errsize, unsigned *col);
void lb_rule_words_free(struct lb_rule_words *out);

#endif /* EDGED_LB_RULE_LEX_H */
