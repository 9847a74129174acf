/*
 * lb/rule_conv.h - HAProxy's converters (configuration manual, 7.3.1
 * "Converters") on a fetched sample, as in `%[hdr(host),field(1,:),lower]`:
 *
 *   lower, upper            ASCII case of every byte
 *   base64                  RFC 4648 base64, with '=' padding
 *   field(INDEX,DELIMS[,COUNT])
 *                           the INDEXth field (from 1; from -1 at the
 *                           end) split at any byte of DELIMS, and COUNT
 *                           fields from there (default 1; 0: to the end)
 *   regsub(REGEX,SUBST[,FLAGS])
 *                           sed's s/REGEX/SUBST/ (PCRE2, JIT, bytes),
 *                           \0 to \9 and \xHH in SUBST (any other byte
 *                           after '\' is itself); FLAGS i (caseless) and
 *                           g (every match, as Perl's s///g)
 *   ipmask(MASK4[,MASK6])   the address the sample spells, masked, as
 *                           text: a prefix length, or a dotted (IPv4) or
 *                           colon (IPv6) mask; an IPv4-mapped address
 *                           (::ffff:a.b.c.d) is an IPv4 one
 *   map(FILE[,DEFAULT])     (or map_str) the value of the first line of
 *                           FILE whose key is the sample, byte for byte;
 *                           one hash lookup, whatever the file's size
 *
 * A map file is read as HAProxy reads it: a line's key is its first
 * word (blanks are spaces and tabs), its value what follows the blanks
 * after the key, to a CR or the end of the line, less trailing blanks.
 * Blank lines are skipped, and so are lines whose first non-blank byte is
 * '#' (HAProxy only skips a '#' in the first column).
 *
 * Where edged differs from HAProxy: it refuses a negative COUNT (which
 * HAProxy reads as 0) and a SUBST naming a group the regex does not have
 * (HAProxy inserts nothing for it); it masks IPv4-compatible (::a.b.c.d)
 * and 6to4 (2002::/16) addresses as IPv6 (HAProxy turns them into IPv4
 * first); regsub looks for each match in the whole sample, so that a
 * lookbehind sees the bytes before it (HAProxy in the rest only).
 *
 * Arguments are HAProxy's second level of quoting: 'strong' and "weak"
 * quotes keep ',' and ')'; outside strong quotes a backslash escapes
 * '\', ' ', '"' and ''' and makes \r, \n, \t, and stays before any other
 * byte (so "\d" and "\1" reach the regex and SUBST).
 *
 * A chain is compiled once, in the master, and then only read: any
 * number of threads may run it at once, with no lock and no allocation.
 */
#ifndef EDGED_LB_RULE_CONV_H
#define EDGED_LB_RULE_CONV_H

#include <stdbool.h>
#include <stddef.h>

struct lb_rule_file;		/* rule_run.h: a file the master read */
struct lb_conv_chain;

/*
 * How many of the len bytes at text are converters: from the ',' that
 * starts them (text[0]; 0 if it is not one) to the first byte, outside
 * the parentheses and quotes of their arguments, that is not part of
 * them, such as the ']' that ends %[...]: the span that
 * lb_conv_compile and lb_conv_files then take.  Only syntax is looked
 * at; a ')' missing makes the span run to len.
 */
size_t lb_conv_span(const char *text, size_t len);

/*
 * Compiles the converters written in the len bytes at text, e.g.
 * ",lower,field(2,:)" (the text after the fetch, from its first comma;
 * "" for none), into *out, the caller's to free with lb_conv_free.  The
 * map files a chain names (lb_conv_files) are looked up by path in
 * files[0..nfiles), as the master read them: their text is copied, not
 * kept.  A file whose text is NULL could not be read, which the caller
 * has reported: its map is then empty, and no error is added for it.
 *
 * Returns 0, or -1 with *out NULL and a message in err (errsize bytes,
 * always NUL-terminated) naming the converter and what it expected,
 * e.g. "converter 'field': INDEX may not be 0 (...)", "unknown
 * converter 'lowr'; did you mean 'lower'?"; the caller adds where it
 * is (FILE:LINE:COL).
 */
int lb_conv_compile(const char *text, size_t len,
    const struct lb_rule_file *files, size_t nfiles,
    struct lb_conv_chain **out, char *err, size_t errsize);

/*
 * Runs chain c on the sample in[0..inlen) (which must not lie in buf).
 * Returns true with the result in *out and *outlen: the sample itself,
 * a part of it, a map value or DEFAULT (the chain's, valid while c is),
 * or bytes written into buf[0..bufsize), the caller's.  Returns false
 * when no sample results, as HAProxy's converter fails: map found no
 * key and has no DEFAULT, field has no INDEXth field, ipmask's sample is
 * no address (or IPv6 with no MASK6), or a result does not fit in
 * bufsize bytes.  A regsub after a converter that wrote into buf needs
 * room there for its input and its result together.  Allocates
 * nothing, except each thread's PCRE2 match data on its first regsub
 * (if that fails, the result is false).  Writes nothing past bufsize.
 */
bool lb_conv_run(const struct lb_conv_chain *c, const char *in,
    size_t inlen, char *buf, size_t bufsize, const char **out,
    size_t *outlen);

/* The number of converters in c. */
size_t lb_conv_count(const struct lb_conv_chain *c);

/* Frees *c and sets it to NULL; NULL or *c NULL do nothing.  No thread
 * may be running it any more. */
void lb_conv_free(struct lb_conv_chain **c);

/*
 * Calls fn(path, arg) for the FILE of each map converter written in the
 * len bytes at text (as lb_conv_compile takes them), in order, so that
 * the master reads them before it compiles.  Text that does not parse
 * names no more files after the error (lb_conv_compile reports it).
 * Returns 0, -1 out of memory, or the first non-zero value fn returned
 * (the walk stops there).
 */
int lb_conv_files(const char *text, size_t len,
    int (*fn)(const char *path, void *arg), void *arg);

/* A thread that ran chains with regsub frees its PCRE2 match data
 * before it exits. */
void lb_conv_thread_done(void);

#endif /* EDGED_LB_RULE_CONV_H */
