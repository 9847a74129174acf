/*
 * conf/parse.c - builds the statement tree from tokens.
 *
 * A statement is the words up to a newline, a ';', a '{' (which opens its
 * block) or a '}' (which closes the enclosing block).  `include "PATTERN"`
 * is replaced, where it stands, by the statements of every file the glob
 * matches, so the tree a module sees has no includes left in it.
 *
 * All parser state lives in struct parser on the caller's stack: a reload
 * can parse the new file while the old tree is still in use.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lexer.h"
#include "mem.h"

#define CONF_INCLUDE_MAX	16

/* Tells whether a file is already open further up the include chain. */
struct file_id {
	dev_t dev;
	ino_t ino;
};

struct parser {
	struct conf_tree *tree;
	struct conf_diag *d;
	unsigned depth;			/* includes above the current file */
	struct file_id open[CONF_INCLUDE_MAX + 1];
	size_t nopen;
	const char *const *verbatim;	/* conf_parse_file's; may be NULL */
	bool oom;			/* stop, free, return NULL */
};

/* A file (or string) being read. */
struct source {
	struct conf_lexer lx;
	const char *dir;		/* includes are relative to it: "" or
					 * a path ending in '/' */
};

struct nodevec {
	struct conf_node *v;
	size_t n;
	size_t cap;
};

/* The words of the statement being read. */
struct stmt {
	char **args;
	struct conf_pos *pos;
	size_t n;
	size_t cap;
};

static void parse_verbatim(struct parser *, struct source *,
    struct nodevec *, const struct conf_pos *);
static void parse_block(struct parser *, struct source *, struct nodevec *,
    const struct conf_pos *);
static void include_path(struct parser *, const char *,
    const struct conf_pos *, struct nodevec *);

/* ---- ownership ---- */

static void
node_free(struct conf_node *n)
{
	for (size_t i = 0; i < n->nargs; i++)
		free(n->args[i]);
	free(n->args);
	free(n->argpos);
	for (size_t i = 0; i < n->nchildren; i++)
		node_free(&n->children[i]);
	free(n->children);
	memset(n, 0, sizeof(*n));
}

static void
nodevec_free(struct nodevec *vec)
{
	for (size_t i = 0; i < vec->n; i++)
		node_free(&vec->v[i]);
	free(vec->v);
	memset(vec, 0, sizeof(*vec));
}

/* Appends node (taking what it owns) to vec. */
static void
nodevec_push(struct parser *p, struct nodevec *vec, struct conf_node *node)
{
	if (mem_grow(&vec->v, &vec->cap, vec->n + 1, sizeof(*vec->v)) == -1) {
		node_free(node);
		p->oom = true;
		return;
	}
	vec->v[vec->n++] = *node;
}

static void
stmt_clear(struct stmt *st)
{
	for (size_t i = 0; i < st->n; i++)
		free(st->args[i]);
	free(st->args);
	free(st->pos);
	memset(st, 0, sizeof(*st));
}

/* Appends the word of tok (taking it) to st. */
static void
stmt_push(struct parser *p, struct stmt *st, struct conf_token *tok)
{
	size_t cap = st->cap;

	/* one capacity for both: st->cap moves once pos has followed */
	if (st->n == st->cap &&
	    (mem_grow(&st->args, &cap, st->n + 1, sizeof(*st->args)) == -1 ||
	    mem_resize(&st->pos, cap, sizeof(*st->pos)) == -1)) {
		free(tok->word);
		p->oom = true;
		return;
	}
	st->cap = cap;
	st->args[st->n] = tok->word;
	st->pos[st->n++] = tok->pos;
}

/* Moves the words of st into a new node, leaving st empty. */
static void
stmt_to_node(struct stmt *st, struct conf_node *node)
{
	memset(node, 0, sizeof(*node));
	node->pos = st->pos[0];
	node->nargs = st->n;
	node->args = st->args;
	node->argpos = st->pos;
	memset(st, 0, sizeof(*st));
}

/* Keeps a copy of name for the positions that point to it. */
static const char *
tree_add_file(struct parser *p, const char *name)
{
	struct conf_tree *t = p->tree;
	char *copy;

	if ((copy = strdup(name)) == NULL ||
	    mem_resize(&t->files, t->nfiles + 1, sizeof(*t->files)) == -1) {
		free(copy);
		p->oom = true;
		return NULL;
	}
	t->files[t->nfiles++] = copy;
	return copy;
}

/* ---- reading files ---- */

/* Reads all of fd into a malloc'd *text.  Returns 0, or -1 with errno. */
static int
read_all(int fd, char **text, size_t *len)
{
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0;
	ssize_t r;

	do {
		if (n == cap) {
			cap = cap != 0 ? cap * 2 : 4096;
			if ((nb = realloc(buf, cap)) == NULL)
				goto free_buf;
			buf = nb;
		}
		if ((r = read(fd, buf + n, cap - n)) > 0)
			n += (size_t)r;
	} while (r > 0 || (r == -1 && errno == EINTR));
	if (r == -1)
		goto free_buf;
	*text = buf;
	*len = n;
	return 0;
free_buf:
	free(buf);
	return -1;
}

/* Reads the file at path.  Returns 0, or -1 with errno. */
static int
read_file(const char *path, char **text, size_t *len, struct file_id *id)
{
	struct stat sb;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1 || read_all(fd, text, len) == -1)
		goto close_fd;
	id->dev = sb.st_dev;
	id->ino = sb.st_ino;
	close(fd);
	return 0;
close_fd:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* The directory part of path with its '/', or "" for none; malloc'd. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash != NULL ? (size_t)(slash - path) + 1 : 0;
	char *dir;

	if ((dir = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return dir;
}

/* ---- statements and blocks ---- */

/* Parses text as one file named name into out. */
static void
parse_text(struct parser *p, const char *name, const char *dir,
    const char *text, size_t len, struct nodevec *out)
{
	struct source s = { .dir = dir };
	const char *file;

	if ((file = tree_add_file(p, name)) == NULL)
		return;
	conf_lex_init(&s.lx, file, text, len, p->d);
	parse_block(p, &s, out, NULL);
}

static bool
has_wildcard(const char *pattern)
{
	return strpbrk(pattern, "*?[") != NULL;
}

/* dir, with what glob would take for wildcards escaped, then pattern. */
static char *
glob_pattern(const char *dir, const char *pattern)
{
	size_t j = 0, plen = strlen(pattern);
	char *out;

	if ((out = malloc(2 * strlen(dir) + plen + 1)) == NULL)
		return NULL;
	for (const char *c = dir; *c != '\0'; c++) {
		if (strchr("*?[\\", *c) != NULL)
			out[j++] = '\\';
		out[j++] = *c;
	}
	memcpy(out + j, pattern, plen + 1);
	return out;
}

static int
cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Parses, in order, every file that pattern (relative to dir) matches. */
static void
include_glob(struct parser *p, const char *dir, const char *pattern,
    const struct conf_pos *pos, struct nodevec *out)
{
	char *gpat;
	glob_t g;
	int rc;

	if ((gpat = glob_pattern(dir, pattern)) == NULL) {
		p->oom = true;
		return;
	}
	rc = glob(gpat, GLOB_NOSORT, NULL, &g);
	free(gpat);
	if (rc == GLOB_NOMATCH && !has_wildcard(pattern))
		conf_error(p->d, pos, "include: no such file '%s%s'", dir,
		    pattern);
	else if (rc == GLOB_NOSPACE)
		p->oom = true;
	else if (rc != 0 && rc != GLOB_NOMATCH)
		conf_error(p->d, pos, "include: cannot read '%s%s'", dir,
		    pattern);
	if (rc != 0)
		return;
	qsort(g.gl_pathv, g.gl_pathc, sizeof(*g.gl_pathv), cmp_path);
	p->depth++;
	for (size_t i = 0; i < g.gl_pathc && !p->oom; i++)
		include_path(p, g.gl_pathv[i], pos, out);
	p->depth--;
	globfree(&g);
}

/* `include "PATTERN"`: splices the matching files into out. */
static void
include_stmt(struct parser *p, struct source *s, const struct stmt *st,
    struct nodevec *out)
{
	const char *pattern, *dir;

	if (st->n != 2) {
		conf_error(p->d, &st->pos[0], "directive 'include' takes 1 "
		    "argument, got %zu; usage: include \"PATTERN\"", st->n - 1);
		return;
	}
	if (p->depth >= CONF_INCLUDE_MAX) {
		conf_error(p->d, &st->pos[1], "include: nested more than %d "
		    "deep", CONF_INCLUDE_MAX);
		return;
	}
	pattern = st->args[1];
	dir = pattern[0] == '/' ? "" : s->dir;
	include_glob(p, dir, pattern, &st->pos[1], out);
}

/* Ends the statement in st, if any, adding it to out. */
static void
end_stmt(struct parser *p, struct source *s, struct stmt *st,
    struct nodevec *out)
{
	struct conf_node node;

	if (st->n == 0)
		return;
	if (strcmp(st->args[0], "include") == 0) {
		include_stmt(p, s, st, out);
		stmt_clear(st);
		return;
	}
	stmt_to_node(st, &node);
	nodevec_push(p, out, &node);
}

/* ---- verbatim blocks: lines of another language, kept whole ---- */

static bool
is_verbatim(const struct parser *p, const char *word)
{
	for (const char *const *v = p->verbatim; v != NULL && *v != NULL; v++)
		if (strcmp(word, *v) == 0)
			return true;
	return false;
}

static bool
is_blank_byte(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * The rest of the line the lexer is on, without the blanks around it:
 * *text, *len, and the position of its first byte.  Moves the lexer to
 * the start of the next line.  Returns false at the end of the text.
 */
static bool
take_line(struct conf_lexer *lx, struct conf_pos *pos, const char **text,
    size_t *len)
{
	const char *line = lx->src + lx->off, *end;
	const char *nl = memchr(line, '\n', lx->len - lx->off);
	size_t n = nl != NULL ? (size_t)(nl - line) : lx->len - lx->off;
	size_t lead = 0;

	if (lx->off >= lx->len)
		return false;
	while (lead < n && is_blank_byte(line[lead]))
		lead++;
	end = line + n;
	while (end > line + lead && is_blank_byte(end[-1]))
		end--;
	*pos = (struct conf_pos){ lx->file, lx->line, lx->col +
	    (unsigned)lead };
	*text = line + lead;
	*len = (size_t)(end - *text);
	lx->off += n + (nl != NULL);
	if (nl != NULL) {
		lx->line++;
		lx->col = 1;
	} else
		lx->col += (unsigned)n;
	return true;
}

/* '}' alone, or followed by a comment: the end of a verbatim block. */
static bool
closes_verbatim(const char *text, size_t len)
{
	size_t i = 1;

	if (len == 0 || text[0] != '}')
		return false;
	while (i < len && is_blank_byte(text[i]))
		i++;
	return i == len || text[i] == '#';
}

/* One line of a verbatim block becomes a statement of one word. */
static void
push_line(struct parser *p, struct nodevec *out, const struct conf_pos *pos,
    const char *text, size_t len)
{
	struct conf_node node = { .pos = *pos, .nargs = 1 };

	if (memchr(text, '\0', len) != NULL) {
		conf_error(p->d, pos, "NUL byte in the line");
		return;
	}
	node.args = malloc(sizeof(*node.args));
	node.argpos = malloc(sizeof(*node.argpos));
	if (node.args == NULL || node.argpos == NULL ||
	    (node.args[0] = strndup(text, len)) == NULL) {
		free(node.args);
		free(node.argpos);
		p->oom = true;
		return;
	}
	node.argpos[0] = *pos;
	nodevec_push(p, out, &node);
}

/* Reads the lines of the verbatim block opened at brace into out, up to
 * the line that closes it. */
static void
parse_verbatim(struct parser *p, struct source *s, struct nodevec *out,
    const struct conf_pos *brace)
{
	struct conf_pos pos;
	const char *text;
	size_t len;

	/* what follows the '{' on its line: nothing, or a comment */
	if (take_line(&s->lx, &pos, &text, &len) && len > 0 &&
	    text[0] != '#') {
		if (closes_verbatim(text, len))
			return;		/* "{ }": an empty block */
		conf_error(p->d, &pos, "the lines of this block start on the "
		    "line after its '{'");
	}
	while (!p->oom) {
		if (!take_line(&s->lx, &pos, &text, &len)) {
			conf_error(p->d, brace, "block opened here is never "
			    "closed");
			return;
		}
		if (closes_verbatim(text, len))
			return;
		if (len > 0)
			push_line(p, out, &pos, text, len);
	}
}

/* A '{' at brace: the words in st are the statement that owns it. */
static void
open_block(struct parser *p, struct source *s, struct stmt *st,
    struct nodevec *out, const struct conf_pos *brace)
{
	struct nodevec kids = { 0 };
	struct conf_node node;

	if (st->n == 0) {
		conf_error(p->d, brace, "'{' without a directive before it "
		    "(a block opens on the line of its directive)");
		parse_block(p, s, &kids, brace);
		nodevec_free(&kids);
		return;
	}
	stmt_to_node(st, &node);
	node.has_block = true;
	if (is_verbatim(p, node.args[0]))
		parse_verbatim(p, s, &kids, brace);
	else
		parse_block(p, s, &kids, brace);
	node.children = kids.v;
	node.nchildren = kids.n;
	if (strcmp(node.args[0], "include") == 0) {
		conf_error(p->d, &node.pos, "directive 'include' takes no "
		    "block");
		node_free(&node);
		return;
	}
	nodevec_push(p, out, &node);
}

/* Handles one token; returns true when it ends the block. */
static bool
parse_token(struct parser *p, struct source *s, struct stmt *st,
    struct nodevec *out, const struct conf_pos *open,
    struct conf_token *tok)
{
	switch (tok->type) {
	case CONF_TOK_WORD:
		stmt_push(p, st, tok);
		return false;
	case CONF_TOK_SEMI:
	case CONF_TOK_NEWLINE:
		end_stmt(p, s, st, out);
		return false;
	case CONF_TOK_LBRACE:
		open_block(p, s, st, out, &tok->pos);
		return false;
	case CONF_TOK_RBRACE:
		end_stmt(p, s, st, out);
		if (open != NULL)
			return true;
		conf_error(p->d, &tok->pos, "'}' without a matching '{'");
		return false;
	case CONF_TOK_EOF:
		end_stmt(p, s, st, out);
		if (open != NULL)
			conf_error(p->d, open, "block opened here is never "
			    "closed");
		return true;
	}
	return true;
}

/*
 * Reads statements into out up to the '}' that closes the block opened at
 * open, or to the end of the text when open is NULL.
 */
static void
parse_block(struct parser *p, struct source *s, struct nodevec *out,
    const struct conf_pos *open)
{
	struct stmt st = { 0 };
	struct conf_token tok;
	bool done = false;

	while (!done && !p->oom) {
		if (conf_lex_next(&s->lx, &tok) == -1) {
			p->oom = true;
			break;
		}
		done = parse_token(p, s, &st, out, open, &tok);
	}
	stmt_clear(&st);
}

static bool
is_open(const struct parser *p, const struct file_id *id)
{
	for (size_t i = 0; i < p->nopen; i++)
		if (p->open[i].dev == id->dev && p->open[i].ino == id->ino)
			return true;
	return false;
}

/* Parses the file at path into out; from is the include that names it,
 * NULL for the top file. */
static void
include_path(struct parser *p, const char *path, const struct conf_pos *from,
    struct nodevec *out)
{
	const char *what = from != NULL ? "include: " : "";
	struct file_id id;
	char *text, *dir;
	size_t len;

	if (read_file(path, &text, &len, &id) == -1) {
		if (errno == ENOMEM)
			p->oom = true;
		else
			conf_error(p->d, from, "%scannot read '%s': %s", what,
			    path, strerror(errno));
		return;
	}
	if (is_open(p, &id))
		conf_error(p->d, from, "include: '%s' is already being read "
		    "(include cycle)", path);
	else if ((dir = dir_of(path)) == NULL)
		p->oom = true;
	else {
		p->open[p->nopen++] = id;
		parse_text(p, path, dir, text, len, out);
		p->nopen--;
		free(dir);
	}
	free(text);
}

/* ---- the API ---- */

/* Hands the statements in top to the tree, or frees all after OOM. */
static struct conf_tree *
finish(struct parser *p, struct nodevec *top)
{
	if (p->oom) {
		nodevec_free(top);
		conf_tree_free(&p->tree);
		/* Counted even when its text cannot be kept: the caller
		 * must not take the missing tree for an empty file. */
		conf_oom(p->d, NULL);
		return NULL;
	}
	p->tree->root.children = top->v;
	p->tree->root.nchildren = top->n;
	return p->tree;
}

struct conf_tree *
conf_parse_file(const char *path, const char *const *verbatim,
    struct conf_diag *d)
{
	struct parser p = { .d = d, .verbatim = verbatim };
	struct nodevec top = { 0 };

	if ((p.tree = calloc(1, sizeof(*p.tree))) == NULL) {
		conf_oom(d, NULL);
		return NULL;
	}
	include_path(&p, path, NULL, &top);
	return finish(&p, &top);
}

struct conf_tree *
conf_parse_string(const char *name, const char *text, size_t len,
    const char *const *verbatim, struct conf_diag *d)
{
	struct parser p = { .d = d, .verbatim = verbatim };
	struct nodevec top = { 0 };

	if ((p.tree = calloc(1, sizeof(*p.tree))) == NULL) {
		conf_oom(d, NULL);
		return NULL;
	}
	parse_text(&p, name, "", text, len, &top);
	return finish(&p, &top);
}

void
conf_tree_free(struct conf_tree **tree)
{
	struct conf_tree *t;

	if (tree == NULL || (t = *tree) == NULL)
		return;
	node_free(&t->root);
	for (size_t i = 0; i < t->nfiles; i++)
		free(t->files[i]);
	free(t->files);
	free(t);
	*tree = NULL;
}
