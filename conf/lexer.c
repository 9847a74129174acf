/*
 * conf/lexer.c - turns configuration text into tokens.
 *
 * The lexer never stops at an error: it reports it with its line and
 * column and goes on with the most likely reading, so that one run of the
 * parser shows every mistake in a file.
 */
#include <stdlib.h>
#include <string.h>

#include "lexer.h"
#include "util.h"

/* Blanks separate words; a newline is a token of its own. */
static bool
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

bool
conf_lex_bare_byte(unsigned char c)
{
	if (c == '\0' || c == '\n' || is_blank(c))
		return false;
	return c != '{' && c != '}' && c != ';' && c != '"';
}

void
conf_lex_init(struct conf_lexer *lx, const char *file, const char *src,
    size_t len, struct conf_diag *d)
{
	lx->src = src;
	lx->len = len;
	lx->off = 0;
	lx->line = 1;
	lx->col = 1;
	lx->file = file;
	lx->d = d;
}

static bool
at_end(const struct conf_lexer *lx)
{
	return lx->off >= lx->len;
}

/* The byte ahead of the cursor by ahead, or -1 past the end. */
static int
peek(const struct conf_lexer *lx, size_t ahead)
{
	if (lx->len - lx->off <= ahead)
		return -1;
	return (unsigned char)lx->src[lx->off + ahead];
}

static void
advance(struct conf_lexer *lx)
{
	if (lx->src[lx->off] == '\n') {
		lx->line++;
		lx->col = 1;
	} else
		lx->col++;
	lx->off++;
}

static struct conf_pos
here(const struct conf_lexer *lx)
{
	struct conf_pos pos = { lx->file, lx->line, lx->col };

	return pos;
}

/* Skips blanks and comments, stopping at a newline or a token. */
static void
skip_space(struct conf_lexer *lx)
{
	while (!at_end(lx)) {
		if (is_blank((unsigned char)lx->src[lx->off]))
			advance(lx);
		else if (lx->src[lx->off] == '#')
			while (!at_end(lx) && lx->src[lx->off] != '\n')
				advance(lx);
		else
			break;
	}
}

static int
lex_bare(struct conf_lexer *lx, struct conf_token *tok)
{
	size_t start = lx->off, n;

	while (!at_end(lx) && conf_lex_bare_byte(lx->src[lx->off]))
		advance(lx);
	n = lx->off - start;
	if ((tok->word = malloc(n + 1)) == NULL)
		return -1;
	memcpy(tok->word, lx->src + start, n);
	tok->word[n] = '\0';
	tok->len = n;
	return 0;
}

/* \xHH, with the cursor on the backslash.  Returns the byte, or -1 after
 * reporting an error (the cursor is then past the "\x" only). */
static int
lex_hex_escape(struct conf_lexer *lx)
{
	struct conf_pos pos = here(lx);
	int hi = hex_value(peek(lx, 2)), lo = hex_value(peek(lx, 3));

	advance(lx);
	advance(lx);
	if (hi < 0 || lo < 0) {
		conf_error(lx->d, &pos, "bad escape '\\x' in quoted string: "
		    "expected two hex digits");
		return -1;
	}
	advance(lx);
	advance(lx);
	if (hi == 0 && lo == 0) {
		conf_error(lx->d, &pos, "'\\x00' in quoted string: a word "
		    "cannot hold a NUL byte");
		return -1;
	}
	return hi << 4 | lo;
}

/* An escape, with the cursor on the backslash.  Returns the byte it
 * stands for, or -1 when it stands for nothing (after an error). */
static int
lex_escape(struct conf_lexer *lx)
{
	static const char from[] = "\"\\ntr", to[] = "\"\\\n\t\r";
	struct conf_pos pos = here(lx);
	int c = peek(lx, 1);
	const char *p;

	if (c == 'x')
		return lex_hex_escape(lx);
	advance(lx);
	/* A backslash at the end of the line or text: the caller reports
	 * the string as unterminated. */
	if (c == -1 || c == '\n')
		return -1;
	advance(lx);
	if (c != '\0' && (p = strchr(from, c)) != NULL)
		return to[p - from];
	if (c >= 0x20 && c < 0x7f)
		conf_error(lx->d, &pos, "unknown escape '\\%c' in quoted "
		    "string", c);
	else
		conf_error(lx->d, &pos, "unknown escape in quoted string: "
		    "backslash before byte 0x%02x", (unsigned)c);
	return -1;
}

/* Reports why a quoted string ended without its closing quote; the
 * cursor is on the newline or at the end of the text. */
static void
lex_unterminated(struct conf_lexer *lx, const struct conf_pos *open)
{
	struct conf_pos pos = here(lx);

	if (at_end(lx))
		conf_error(lx->d, open, "unterminated string: missing '\"'");
	else
		conf_error(lx->d, &pos, "newline inside quoted string "
		    "started at %u:%u", open->line, open->col);
}

/* Decodes the string body into out, which has room for the rest of the
 * line.  Returns the number of bytes written. */
static size_t
lex_quoted_body(struct conf_lexer *lx, char *out,
    const struct conf_pos *open)
{
	size_t n = 0;
	int c;

	while ((c = peek(lx, 0)) != '"') {
		if (c == -1 || c == '\n') {
			lex_unterminated(lx, open);
			return n;
		}
		if (c == '\\') {
			if ((c = lex_escape(lx)) >= 0)
				out[n++] = (char)c;
			continue;
		}
		if (c == '\0') {
			struct conf_pos pos = here(lx);

			conf_error(lx->d, &pos, "NUL byte in quoted string");
		} else
			out[n++] = (char)c;
		advance(lx);
	}
	advance(lx);
	return n;
}

static int
lex_quoted(struct conf_lexer *lx, struct conf_token *tok)
{
	const char *nl;
	size_t room;

	advance(lx);
	/* A string ends at the latest at the end of its line, and escapes
	 * only shrink it, so the rest of the line bounds its size. */
	nl = memchr(lx->src + lx->off, '\n', lx->len - lx->off);
	room = (nl != NULL ? (size_t)(nl - lx->src) : lx->len) - lx->off;
	if ((tok->word = malloc(room + 1)) == NULL)
		return -1;
	tok->len = lex_quoted_body(lx, tok->word, &tok->pos);
	tok->word[tok->len] = '\0';
	tok->quoted = true;
	return 0;
}

/* The single-byte tokens; CONF_TOK_EOF when c is none of them. */
static enum conf_tok
punct_type(int c)
{
	switch (c) {
	case '{':
		return CONF_TOK_LBRACE;
	case '}':
		return CONF_TOK_RBRACE;
	case ';':
		return CONF_TOK_SEMI;
	case '\n':
		return CONF_TOK_NEWLINE;
	default:
		return CONF_TOK_EOF;
	}
}

int
conf_lex_next(struct conf_lexer *lx, struct conf_token *tok)
{
	int c;

	memset(tok, 0, sizeof(*tok));
	for (;;) {
		skip_space(lx);
		tok->pos = here(lx);
		if ((c = peek(lx, 0)) != '\0')
			break;
		conf_error(lx->d, &tok->pos, "NUL byte in configuration text");
		advance(lx);
	}
	if (c == -1) {
		tok->type = CONF_TOK_EOF;
		return 0;
	}
	if ((tok->type = punct_type(c)) != CONF_TOK_EOF) {
		advance(lx);
		return 0;
	}
	tok->type = CONF_TOK_WORD;
	return c == '"' ? lex_quoted(lx, tok) : lex_bare(lx, tok);
}
