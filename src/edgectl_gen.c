/*
 * src/edgectl_gen.c - writes edgectl_rows.c to stdout (edgectl_rows.h):
 * the daemon's command rows and verbatim blocks as C data, run at build
 * time.  Exit status 1 when the output could not be written.
 */
#include <stdio.h>

#include "ctl.h"
#include "edgectl_rows.h"
#include "modules.h"

_Static_assert(CTL_TABLES_MAX + 1 <= EDGECTL_TABLES_MAX,
    "edgectl's tables: the daemon's and check");

/* s as a C string literal, or NULL. */
static void
put_str(const char *s)
{
	if (s == NULL) {
		fputs("NULL", stdout);
		return;
	}
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\%03o", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void
put_rows(size_t i, const struct ctl_table *t)
{
	printf("static const struct edged_command rows%zu[] = {\n", i);
	for (size_t j = 0; j < t->n; j++) {
		const struct edged_command *c = &t->rows[j];

		fputs("\t{ ", stdout);
		put_str(c->word);
		fputs(", ", stdout);
		put_str(c->sub);
		fputs(", ", stdout);
		put_str(c->args);
		printf(", %s, ", c->json ? "true" : "false");
		put_str(c->help);
		fputs(", NULL },\n", stdout);
	}
	fputs("};\n\n", stdout);
}

int
main(void)
{
	struct ctl_table t[CTL_TABLES_MAX];
	const char *v[EDGED_VERBATIM_MAX + 1];
	size_t nt = ctl_tables(t, NULL, NULL);

	edged_verbatim_blocks(v, EDGED_VERBATIM_MAX);
	fputs("/* Written by edgectl_gen from the daemon's tables: "
	    "do not edit. */\n#include \"edgectl_rows.h\"\n\n", stdout);
	for (size_t i = 0; i < nt; i++)
		put_rows(i, &t[i]);
	fputs("const struct ctl_table edgectl_tables[] = {\n", stdout);
	for (size_t i = 0; i < nt; i++)
		printf("\t{ rows%zu, %zu, NULL },\n", i, t[i].n);
	printf("};\n\nconst size_t edgectl_ntables = %zu;\n\n", nt);
	fputs("const char *const edgectl_verbatim[] = {\n", stdout);
	for (size_t i = 0; v[i] != NULL; i++) {
		putchar('\t');
		put_str(v[i]);
		fputs(",\n", stdout);
	}
	fputs("\tNULL,\n};\n", stdout);
	return fflush(stdout) != 0 || ferror(stdout) ? 1 : 0;
}
