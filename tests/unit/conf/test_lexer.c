/*
 * tests/unit/conf/test_lexer.c - tokens, their positions, quoting and
 * lexical errors; conf_print_word output lexes back to the same word.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "lexer.h"

#define MAXTOK	64

/* What one token should be: type, line, col and, for words, the text. */
struct want {
	enum conf_tok type;
	unsigned line;
	unsigned col;
	const char *word;
};

struct lexed {
	struct conf_token tok[MAXTOK];
	size_t n;
	struct conf_diag d;
};

/* Lexes text (len bytes) through EOF into lx. */
static void
lex_all(struct lexed *lx, const char *text, size_t len)
{
	struct conf_lexer l;

	memset(lx, 0, sizeof(*lx));
	conf_diag_init(&lx->d);
	conf_lex_init(&l, "t.conf", text, len, &lx->d);
	do {
		assert_true(lx->n < MAXTOK);
		assert_int_equal(conf_lex_next(&l, &lx->tok[lx->n]), 0);
	} while (lx->tok[lx->n++].type != CONF_TOK_EOF);
}

static void
lexed_free(struct lexed *lx)
{
	for (size_t i = 0; i < lx->n; i++)
		free(lx->tok[i].word);
	conf_diag_free(&lx->d);
}

static bool
token_is(const struct conf_token *t, const struct want *w)
{
	if (t->type != w->type || t->pos.line != w->line ||
	    t->pos.col != w->col || strcmp(t->pos.file, "t.conf") != 0)
		return false;
	if (w->word == NULL)
		return t->word == NULL;
	return t->word != NULL && t->len == strlen(w->word) &&
	    memcmp(t->word, w->word, t->len + 1) == 0;
}

static void
check_tokens(const struct lexed *lx, const struct want *want, size_t n)
{
	for (size_t i = 0; i < n && i < lx->n; i++) {
		const struct conf_token *t = &lx->tok[i];

		if (!token_is(t, &want[i]))
			fail_msg("token %zu: type %d at %u:%u, want type %d "
			    "at %u:%u", i, t->type, t->pos.line, t->pos.col,
			    want[i].type, want[i].line, want[i].col);
	}
	assert_int_equal(lx->n, n);
}

/* The diag holds exactly the lines in want. */
static void
check_errors(const struct conf_diag *d, const char *const *want, size_t n)
{
	bool same = d->nerrors == n && d->nmsgs == n;

	for (size_t i = 0; same && i < n; i++)
		same = strcmp(d->msgs[i], want[i]) == 0;
	if (same)
		return;
	conf_diag_print(d, stderr);
	fail_msg("the errors above are not the ones expected");
}

#define LEX(lx, s)	lex_all((lx), (s), sizeof(s) - 1)
#define NWANT(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_tokens_and_positions(void **state)
{
	static const struct want want[] = {
		{ CONF_TOK_WORD, 1, 1, "pool" },
		{ CONF_TOK_WORD, 1, 6, "web" },
		{ CONF_TOK_LBRACE, 1, 10, NULL },
		{ CONF_TOK_NEWLINE, 1, 11, NULL },
		{ CONF_TOK_WORD, 2, 3, "member" },
		{ CONF_TOK_WORD, 2, 10, "a" },
		{ CONF_TOK_WORD, 2, 12, "10.0.0.1:80" },
		{ CONF_TOK_SEMI, 2, 23, NULL },
		{ CONF_TOK_WORD, 2, 25, "weight" },
		{ CONF_TOK_WORD, 2, 32, "2" },
		{ CONF_TOK_NEWLINE, 2, 33, NULL },
		{ CONF_TOK_RBRACE, 3, 1, NULL },
		{ CONF_TOK_NEWLINE, 3, 2, NULL },
		{ CONF_TOK_EOF, 4, 1, NULL },
	};
	struct lexed lx;

	(void)state;
	LEX(&lx, "pool web {\n  member a 10.0.0.1:80; weight 2\n}\n");
	check_tokens(&lx, want, NWANT(want));
	assert_int_equal(lx.d.nerrors, 0);
	lexed_free(&lx);
}

static void
test_bare_words(void **state)
{
	static const struct want want[] = {
		{ CONF_TOK_WORD, 1, 1, "listen" },
		{ CONF_TOK_WORD, 1, 8, "[2001:db8::10]:80" },
		{ CONF_TOK_NEWLINE, 1, 25, NULL },
		{ CONF_TOK_WORD, 2, 1, "socket" },
		/* a tab is one column: columns count bytes */
		{ CONF_TOK_WORD, 2, 8, "/run/edged/edged.sock" },
		{ CONF_TOK_NEWLINE, 2, 29, NULL },
		{ CONF_TOK_WORD, 3, 1, "a\\b" },
		{ CONF_TOK_WORD, 3, 5, "x" },
		{ CONF_TOK_WORD, 3, 6, "y" },
		{ CONF_TOK_LBRACE, 3, 9, NULL },
		{ CONF_TOK_RBRACE, 3, 10, NULL },
		{ CONF_TOK_WORD, 3, 11, "z" },
		{ CONF_TOK_NEWLINE, 3, 13, NULL },
		{ CONF_TOK_WORD, 4, 1, "end" },
		{ CONF_TOK_EOF, 4, 4, NULL },
	};
	struct lexed lx;

	(void)state;
	/* '"' ends a bare word; CR before LF is a blank */
	LEX(&lx, "listen [2001:db8::10]:80\nsocket\t/run/edged/edged.sock\n"
	    "a\\b x\"y\"{}z\r\nend");
	check_tokens(&lx, want, NWANT(want));
	assert_true(lx.tok[6].quoted == false);
	assert_true(lx.tok[8].quoted == true);
	assert_int_equal(lx.d.nerrors, 0);
	lexed_free(&lx);
}

static void
test_comments(void **state)
{
	static const struct want want[] = {
		{ CONF_TOK_NEWLINE, 1, 12, NULL },
		{ CONF_TOK_WORD, 2, 1, "workers" },
		{ CONF_TOK_WORD, 2, 9, "4" },
		{ CONF_TOK_NEWLINE, 2, 23, NULL },
		{ CONF_TOK_WORD, 3, 1, "a#b" },
		{ CONF_TOK_SEMI, 3, 4, NULL },
		{ CONF_TOK_NEWLINE, 3, 11, NULL },
		{ CONF_TOK_WORD, 4, 3, "#x" },
		{ CONF_TOK_LBRACE, 4, 8, NULL },
		{ CONF_TOK_EOF, 4, 16, NULL },
	};
	struct lexed lx;

	(void)state;
	LEX(&lx, "# full line\nworkers 4 # trailing {\na#b;# semi\n"
	    "  \"#x\" {# no NL");
	check_tokens(&lx, want, NWANT(want));
	assert_int_equal(lx.d.nerrors, 0);
	lexed_free(&lx);
}

static void
test_quoted_escapes(void **state)
{
	static const struct want want[] = {
		{ CONF_TOK_WORD, 1, 1, "a b;{}#" },
		{ CONF_TOK_WORD, 1, 11, "q\"\\\n\t\rA\xff" },
		{ CONF_TOK_WORD, 1, 33, "" },
		{ CONF_TOK_WORD, 1, 36, "\xc3\xa9" },
		{ CONF_TOK_EOF, 1, 40, NULL },
	};
	struct lexed lx;

	(void)state;
	LEX(&lx, "\"a b;{}#\" \"q\\\"\\\\\\n\\t\\r\\x41\\xfF\" \"\" "
	    "\"\xc3\xa9\"");
	check_tokens(&lx, want, NWANT(want));
	assert_true(lx.tok[2].quoted);
	assert_int_equal(lx.tok[2].len, 0);
	assert_int_equal(lx.d.nerrors, 0);
	lexed_free(&lx);
}

static void
test_escape_errors(void **state)
{
	static const char *const errs[] = {
		"t.conf:1:7: error: unknown escape '\\q' in quoted string",
		"t.conf:2:4: error: bad escape '\\x' in quoted string: "
		    "expected two hex digits",
		"t.conf:2:9: error: '\\x00' in quoted string: a word cannot "
		    "hold a NUL byte",
	};
	static const struct want want[] = {
		{ CONF_TOK_WORD, 1, 1, "a" },
		{ CONF_TOK_WORD, 1, 3, "bad\\q" },
		{ CONF_TOK_NEWLINE, 1, 13, NULL },
		{ CONF_TOK_WORD, 2, 1, "x" },
		{ CONF_TOK_WORD, 2, 3, "zzy" },
		{ CONF_TOK_EOF, 2, 14, NULL },
	};
	struct lexed lx;

	(void)state;
	/* The lexer keeps going: the bad escape is dropped, not the word. */
	LEX(&lx, "a \"bad\\q\\\\q\"\nx \"\\xzzy\\x00\"");
	check_errors(&lx.d, errs, NWANT(errs));
	check_tokens(&lx, want, NWANT(want));
	lexed_free(&lx);
}

static void
test_unterminated(void **state)
{
	static const char *const errs[] = {
		"t.conf:1:13: error: newline inside quoted string started at "
		    "1:6",
		"t.conf:3:5: error: unterminated string: missing '\"'",
	};
	static const struct want want[] = {
		{ CONF_TOK_WORD, 1, 1, "name" },
		{ CONF_TOK_WORD, 1, 6, "hello " },
		{ CONF_TOK_NEWLINE, 1, 13, NULL },
		{ CONF_TOK_WORD, 2, 1, "next" },
		{ CONF_TOK_SEMI, 2, 5, NULL },
		{ CONF_TOK_NEWLINE, 2, 6, NULL },
		{ CONF_TOK_WORD, 3, 1, "end" },
		{ CONF_TOK_WORD, 3, 5, "open" },
		{ CONF_TOK_EOF, 3, 10, NULL },
	};
	struct lexed lx;

	(void)state;
	LEX(&lx, "name \"hello \nnext;\nend \"open");
	check_errors(&lx.d, errs, NWANT(errs));
	check_tokens(&lx, want, NWANT(want));
	lexed_free(&lx);
}

static void
test_nul_byte(void **state)
{
	static const char *const errs[] = {
		"t.conf:1:2: error: NUL byte in configuration text",
	};
	static const struct want want[] = {
		{ CONF_TOK_WORD, 1, 1, "a" },
		{ CONF_TOK_WORD, 1, 3, "b" },
		{ CONF_TOK_EOF, 1, 4, NULL },
	};
	struct lexed lx;

	(void)state;
	lex_all(&lx, "a\0b", 3);
	check_errors(&lx.d, errs, NWANT(errs));
	check_tokens(&lx, want, NWANT(want));
	lexed_free(&lx);
}

/* Prints word, checks the text, and lexes it back. */
static void
round_trip(const char *word, const char *printed)
{
	struct lexed lx;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_non_null(f = open_memstream(&buf, &len));
	conf_print_word(f, word);
	assert_int_equal(fclose(f), 0);
	if (printed != NULL)
		assert_string_equal(buf, printed);
	lex_all(&lx, buf, len);
	assert_int_equal(lx.d.nerrors, 0);
	assert_int_equal(lx.n, 2);
	assert_int_equal(lx.tok[0].type, CONF_TOK_WORD);
	assert_int_equal(lx.tok[0].len, strlen(word));
	assert_memory_equal(lx.tok[0].word, word, strlen(word) + 1);
	lexed_free(&lx);
	free(buf);
}

static void
test_print_word(void **state)
{
	(void)state;
	round_trip("plain", "plain");
	round_trip("[2001:db8::1]:80", "[2001:db8::1]:80");
	round_trip("/run/edged/edged.sock", "/run/edged/edged.sock");
	round_trip("a#b", "a#b");
	round_trip("a\\b", "a\\b");
	round_trip("\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9");
	round_trip("", "\"\"");
	round_trip("#x", "\"#x\"");
	round_trip("a b", "\"a b\"");
	round_trip("x{", "\"x{\"");
	round_trip("}", "\"}\"");
	round_trip("a;b", "\"a;b\"");
	round_trip("say \"hi\"", "\"say \\\"hi\\\"\"");
	round_trip("back\\slash and space", "\"back\\\\slash and space\"");
	round_trip("l1\nl2\tx\ry", "\"l1\\nl2\\tx\\ry\"");
	round_trip("\x01\x1f\x7f", "\"\\x01\\x1f\\x7f\"");
	round_trip("bell\x07", "\"bell\\x07\"");
	round_trip("v\x0b" "f\x0c", "\"v\\x0bf\\x0c\"");
}

/* Every byte value on its own, and in the middle of a word. */
static void
test_print_word_all_bytes(void **state)
{
	char w[4];

	(void)state;
	for (int c = 1; c < 256; c++) {
		w[0] = (char)c;
		w[1] = '\0';
		round_trip(w, NULL);
		w[0] = 'a';
		w[1] = (char)c;
		w[2] = 'b';
		w[3] = '\0';
		round_trip(w, NULL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens_and_positions),
		cmocka_unit_test(test_bare_words),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_quoted_escapes),
		cmocka_unit_test(test_escape_errors),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_print_word),
		cmocka_unit_test(test_print_word_all_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
