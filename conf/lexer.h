/*
 * conf/lexer.h - private to conf/: the tokenizer of the configuration
 * language, and the lexical rules the printer must agree with.
 *
 * Tokens: bare words (a run of bytes other than blanks, newline, '{', '}',
 * ';' and '"'), quoted words "..." with the escapes \" \\ \n \t \r \xHH,
 * '{', '}', ';' and newline.  A '#' where a word would start begins a
 * comment that runs to the end of the line.
 */
#ifndef EDGED_CONF_LEXER_H
#define EDGED_CONF_LEXER_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

enum conf_tok {
	CONF_TOK_EOF,
	CONF_TOK_WORD,
	CONF_TOK_LBRACE,
	CONF_TOK_RBRACE,
	CONF_TOK_SEMI,
	CONF_TOK_NEWLINE,
};

struct conf_token {
	enum conf_tok type;
	struct conf_pos pos;		/* first byte of the token */
	char *word;			/* CONF_TOK_WORD only, else NULL */
	size_t len;			/* bytes in word */
	bool quoted;			/* the word was written "..." */
};

/* A cursor over one buffer; holds no memory of its own. */
struct conf_lexer {
	const char *src;		/* not owned */
	size_t len;
	size_t off;
	unsigned line;
	unsigned col;
	const char *file;		/* for positions; not owned */
	struct conf_diag *d;		/* lexical errors go here */
};

/* Starts a lexer at line 1, column 1 of src (len bytes, need not be
 * NUL-terminated).  file and src must outlive the lexer. */
void conf_lex_init(struct conf_lexer *lx, const char *file, const char *src,
    size_t len, struct conf_diag *d);

/*
 * Reads the next token into tok.  Returns 0, or -1 when out of memory.
 * A lexical error (bad escape, unterminated string, NUL byte) is added to
 * the diag and lexing goes on with the best reading of the text, so that
 * later errors are reported too.  tok->word, when set, is malloc'd and
 * belongs to the caller (free it, or keep it).
 */
int conf_lex_next(struct conf_lexer *lx, struct conf_token *tok);

/* Whether byte c may appear in a bare word. */
bool conf_lex_bare_byte(unsigned char c);

#endif /* EDGED_CONF_LEXER_H */
