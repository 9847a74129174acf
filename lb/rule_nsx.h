/*
 * lb/rule_nsx.h - the rule lines HAProxy removed in 2.1 that NSX Edge
 * application rules still hold (reqadd, rspadd, reqdel, rspdel, reqrep,
 * reqirep, rsprep, rspirep, block, and redirect without http-request),
 * read as the modern line that does the same (issue 16).
 *
 * The parser reads the modern line in their place and warns with it, so
 * that the operator can paste it; edged -T prints it, and the rule's hits
 * are counted under it, so a counter goes on once the line is replaced.
 */
#ifndef EDGED_LB_RULE_NSX_H
#define EDGED_LB_RULE_NSX_H

#include <stdbool.h>
#include <stddef.h>

#include "rule_lex.h"

/* Whether a line whose first word is word is one of them. */
bool lb_rule_nsx_keyword(const char *word);
/* What the warning says of it: "was removed from HAProxy in 2.1", or,
 * for redirect, "is the older form of the line". */
const char *lb_rule_nsx_why(const char *word);

/*
 * The modern line for the old one in w (its first word one of them):
 * out gets its words (owning their text until lb_rule_words_free; each
 * at the column of the old word it comes from), *text the line to print
 * (malloc'd, the caller's).  Returns 0; or -1 with what is wrong in err
 * (errsize bytes) and the column it concerns in *col (from 1; 0 out of
 * memory): a line whose regex edged cannot read as a header's.
 */
int lb_rule_nsx_translate(const struct lb_rule_words *w,
    struct lb_rule_words *out, char **text, char *err, size_t errsize,
    unsigned *col);

#endif /* EDGED_LB_RULE_NSX_H */
