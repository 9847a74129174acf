/*
 * tests/fuzz/fuzz_rule_parse.c - the lines of an application-rule block
 * (lb/rule_parse.c), as they come from a configuration file: the input is
 * the block's body, read through the parser's verbatim blocks; each line
 * with an "if" or "unless" is also read as a condition from there.
 *
 * The promises checked (a broken one aborts): every ACL and every term
 * of a condition names a group that exists; a line that failed left an
 * error; nothing leaks (the sanitizers see to it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"
#include "rule_lex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
conditions(struct lb_rule_set *rs, const struct conf_node *blk,
    struct conf_diag *d)
{
	for (size_t i = 0; i < blk->nchildren; i++) {
		const struct conf_node *n = &blk->children[i];
		struct lb_rule_words w;
		struct lb_cond c;
		unsigned col, errors = d->nerrors;
		char err[160];

		if (lb_rule_split(n->args[0], strlen(n->args[0]), &w, err,
		    sizeof(err), &col) < 0)
			continue;
		for (size_t k = 0; k < w.n; k++) {
			if (strcmp(w.w[k].text, "if") != 0 &&
			    strcmp(w.w[k].text, "unless") != 0)
				continue;
			if (lb_rule_cond_parse(rs, &w, k, &n->argpos[0], &c,
			    d) < 0) {
				if (d->nerrors == errors)
					abort();
				break;
			}
			for (size_t t = 0; t < c.nterms; t++)
				if (c.terms[t].group >= rs->ngroups)
					abort();
			lb_rule_cond_free(&c);
			break;
		}
		lb_rule_words_free(&w);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const verbatim[] = { "application-rule", NULL };
	static const char head[] = "application-rule r {\n";
	static const char tail[] = "\n}\n";
	struct lb_rule_set rs = { 0 };
	struct conf_diag d;
	struct conf_tree *t;
	char *text = malloc(sizeof(head) + size + sizeof(tail));

	if (text == NULL)
		return 0;
	memcpy(text, head, sizeof(head) - 1);
	memcpy(text + sizeof(head) - 1, data, size);
	memcpy(text + sizeof(head) - 1 + size, tail, sizeof(tail));
	conf_diag_init(&d);
	t = conf_parse_string("fuzz.conf", text, sizeof(head) - 1 + size +
	    sizeof(tail) - 1, verbatim, &d);
	if (t != NULL && t->root.nchildren > 0 &&
	    t->root.children[0].has_block) {
		(void)lb_rule_set_parse(&rs, &t->root.children[0], &d);
		for (size_t i = 0; i < rs.nacls; i++)
			if (rs.acls[i].group >= rs.ngroups)
				abort();
		conditions(&rs, &t->root.children[0], &d);
	}
	lb_rule_set_free(&rs);
	conf_tree_free(&t);
	conf_diag_free(&d);
	free(text);
	return 0;
}
