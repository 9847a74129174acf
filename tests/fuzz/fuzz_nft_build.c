/*
 * tests/fuzz/fuzz_nft_build.c - the table builder (fw/fw_build.c,
 * fw_build_rule.c, fw_build_diff.c): the input is a table's text as
 * fw_nft.c writes it, built whole into a batch; when it holds a NUL
 * byte, the text before it is built whole and the text after it as the
 * change from it, as a reload sends it.  Nothing is sent: the batch is
 * only made (the socket is opened once, for the builder's buffer).
 *
 * What the builder does not know it must refuse with a message, never
 * read past a word or a line; what it builds must fit its messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_build.h"
#include "fw_netlink.h"
#include "fw_nft.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
text_of(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fw_nl *nl;
	const uint8_t *nul = memchr(data, '\0', size);
	size_t n1 = nul != NULL ? (size_t)(nul - data) : size, changes;
	char *old = text_of(data, n1), *new = NULL, err[512] = "";
	struct fw_build_state *st = fw_build_state_new();
	int rc;

	if (nl == NULL && (nl = fw_nl_open(err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_nft_build: %s\n", err);
		abort();
	}
	if (st == NULL)
		abort();
	fw_nl_begin(nl, FW_TABLE);
	rc = fw_build_table(nl, old, st, err, sizeof(err));
	if (rc < 0 && err[0] == '\0')
		abort();
	if (rc == 0 && nul != NULL) {
		new = text_of(nul + 1, size - n1 - 1);
		err[0] = '\0';
		fw_nl_begin(nl, FW_TABLE);
		rc = fw_build_update(nl, old, new, st, &changes, err,
		    sizeof(err));
		if ((rc < 0 && err[0] == '\0') || rc > 1)
			abort();
	}
	fw_build_state_free(&st);
	free(old);
	free(new);
	return 0;
}
