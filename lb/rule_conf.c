/*
 * lb/rule_conf.c - application rules in the configuration (rule_conf.h).
 *
 * The block is read verbatim (conf.h): each line is a statement of one
 * word, which rule_parse.c splits the HAProxy way and parses.  The lines
 * are kept as written, for the printer; the parsed set, for the checks
 * and the compiler.  Pattern files are the master's to read: the worker
 * reads no file, so it is handed their text (lb_master.c).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "mem.h"
#include "rule_conf.h"
#include "rule_conv.h"
#include "util.h"

/* A pattern file no rule set needs more of: 100,000 lines of prefixes
 * are about 2 MB. */
#define RULE_FILE_MAX	(64u << 20)

/* ---- the block ---- */

static int
keep_lines(struct lb_rule_block *b, const struct conf_node *n)
{
	if (n->nchildren == 0)
		return 0;
	b->lines = mem_array(n->nchildren, sizeof(*b->lines));
	b->line_pos = mem_array(n->nchildren, sizeof(*b->line_pos));
	if (b->lines == NULL || b->line_pos == NULL)
		return -1;
	for (size_t i = 0; i < n->nchildren; i++) {
		if ((b->lines[i] = strdup(n->children[i].args[0])) == NULL)
			return -1;
		b->line_pos[i] = n->children[i].argpos[0];
		b->nlines++;
	}
	return 0;
}

int
lb_rule_block_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct lb_conf *c = obj;
	struct lb_rule_block *b;
	char name[LB_NAME_MAX];

	if (conf_get_name(d, n, 1, name, sizeof(name)) < 0)
		return -1;
	for (size_t i = 0; i < c->nrule_blocks; i++)
		if (lb_conf_check_dup(d, n, "application-rule", name,
		    c->rule_blocks[i].set.name, &c->rule_blocks[i].set.pos) <
		    0)
			return -1;
	if ((b = conf_push(&c->rule_blocks, &c->nrule_blocks,
	    sizeof(*b))) == NULL)
		return conf_oom(d, &n->pos);
	memcpy(b->set.name, name, sizeof(name));
	b->set.pos = n->argpos[1];
	if (keep_lines(b, n) < 0)
		return conf_oom(d, &n->pos);
	return lb_rule_set_parse(&b->set, n, d) > 0 ? -1 : 0;
}

int
lb_vs_rules(struct conf_diag *d, const struct conf_node *n, void *obj)
{
	struct lb_vs_conf *vs = obj;
	struct lb_rules_ref *r;

	for (size_t i = 1; i < n->nargs; i++) {
		char name[LB_NAME_MAX];

		if (conf_get_name(d, n, i, name, sizeof(name)) < 0)
			return -1;
		for (size_t k = 0; k < vs->nrules; k++)
			if (strcmp(vs->rules[k].name, name) == 0) {
				conf_error(d, &n->argpos[i], "virtual-server "
				    "%s: rules '%s' named twice", vs->name,
				    name);
				return -1;
			}
		if ((r = conf_push(&vs->rules, &vs->nrules,
		    sizeof(*r))) == NULL)
			return conf_oom(d, &n->pos);
		memcpy(r->name, name, sizeof(name));
		r->pos = n->argpos[i];
	}
	return 0;
}

/* ---- checks across blocks ---- */

/* What an ssl-passthrough or tcp connection shows before a member is
 * picked: addresses, ports, and (ssl-passthrough) the ClientHello's
 * SNI. */
static bool
seen_by_l4(enum lb_sample what, bool sni)
{
	return what == LB_SAMPLE_ALWAYS || what == LB_SAMPLE_NEVER ||
	    what == LB_SAMPLE_SRC || what == LB_SAMPLE_DST ||
	    what == LB_SAMPLE_SRC_PORT || what == LB_SAMPLE_DST_PORT ||
	    (sni && what == LB_SAMPLE_REQ_SSL_SNI);
}

/* An ssl-passthrough or tcp virtual server reads no HTTP: its blocks
 * may only choose the pool, from what it sees. */
static unsigned
check_l4(const struct lb_vs_conf *vs, enum lb_profile_type type,
    const struct lb_rule_set *rs, struct conf_diag *d)
{
	bool pass = type == LB_PROFILE_PASSTHROUGH;
	const char *tname = pass ? "ssl-passthrough" : "tcp";
	unsigned errors = 0;

	for (size_t i = 0; i < rs->nrules; i++)
		if (rs->rules[i].act != LB_ACT_USE_BACKEND) {
			conf_error(d, &rs->rules[i].pos, "virtual-server %s is "
			    "%s: it sees no HTTP, and runs only use_backend "
			    "rules", vs->name, tname);
			errors++;
		}
	for (size_t i = 0; i < rs->nacls; i++)
		if (!seen_by_l4(rs->acls[i].fetch, pass) ||
		    rs->acls[i].conv != NULL) {
			conf_error(d, &rs->acls[i].pos, "virtual-server %s is "
			    "%s: its ACLs read src, dst, src_port, dst_port%s "
			    "(without converters)", vs->name, tname, pass ?
			    " and req.ssl_sni" : "");
			errors++;
		}
	return errors;
}

static unsigned
resolve_vs(struct lb_conf *c, struct lb_vs_conf *vs, struct conf_diag *d)
{
	enum lb_profile_type type = vs->profile_idx < c->nprofiles ?
	    c->profiles[vs->profile_idx].type : LB_PROFILE_HTTP;
	unsigned errors = 0;

	for (size_t k = 0; k < vs->nrules; k++) {
		struct lb_rules_ref *r = &vs->rules[k];

		if ((r->idx = lb_conf_ref(d, &r->pos, "application-rule",
		    r->name, c->rule_blocks, c->nrule_blocks,
		    sizeof(*c->rule_blocks))) == c->nrule_blocks)
			errors++;
		else if (type == LB_PROFILE_UDP || type == LB_PROFILE_KERNEL) {
			conf_error(d, &r->pos, "virtual-server %s: application "
			    "rules do not apply to a%s %s virtual server",
			    vs->name, type == LB_PROFILE_UDP ? "" : "n",
			    lb_profile_type_name(type));
			errors++;
		} else if (lb_profile_l4(type))
			errors += check_l4(vs, type,
			    &c->rule_blocks[r->idx].set, d);
	}
	return errors;
}

/* use_backend's pools and track-sc's tables, with did-you-mean. */
static unsigned
resolve_pools(const struct lb_conf *c, struct lb_rule_set *rs,
    struct conf_diag *d)
{
	unsigned errors = 0;

	for (size_t i = 0; i < rs->nrules; i++) {
		struct lb_rule *r = &rs->rules[i];

		if (r->act == LB_ACT_USE_BACKEND && lb_conf_ref(d, &r->pos,
		    "pool", r->a, c->pools, c->npools, sizeof(*c->pools)) ==
		    c->npools)
			errors++;
		if (r->act == LB_ACT_TRACK && (r->table = lb_conf_ref(d,
		    &r->pos, "stick-table", r->a, c->sticks, c->nsticks,
		    sizeof(*c->sticks))) == c->nsticks)
			errors++;
	}
	return errors;
}

static int
add_file(struct lb_conf *c, const char *path)
{
	if (path[0] == '\0')
		return 0;
	char **slot;

	for (size_t i = 0; i < c->nrule_files; i++)
		if (strcmp(c->rule_files[i], path) == 0)
			return 0;
	if ((slot = conf_push(&c->rule_files, &c->nrule_files,
	    sizeof(*slot))) == NULL)
		return -1;
	if ((*slot = strdup(path)) == NULL) {
		c->nrule_files--;
		return -1;
	}
	return 0;
}

static int
add_file_cb(const char *path, void *arg)
{
	return add_file(arg, path);
}

/* The -f pattern files, the maps of converters, the bodies of return
 * ... file. */
static int
list_files(struct lb_conf *c, const struct lb_rule_set *rs)
{
	for (size_t i = 0; i < rs->nacls; i++) {
		const struct lb_acl *a = &rs->acls[i];

		for (size_t k = 0; k < a->nfiles; k++)
			if (add_file(c, a->files[k]) < 0)
				return -1;
		if (a->conv != NULL && lb_conv_files(a->conv, strlen(a->conv),
		    add_file_cb, c) != 0)
			return -1;
	}
	for (size_t i = 0; i < rs->nrules; i++)
		if (lb_rule_files_of(&rs->rules[i], add_file_cb, c) != 0)
			return -1;
	return 0;
}

/* Each rule's counter and line (rule.h). */
static void
number_rules(struct lb_conf *c)
{
	c->nrule_ctrs = 0;
	for (size_t i = 0; i < c->nrule_blocks; i++) {
		struct lb_rule_block *b = &c->rule_blocks[i];

		for (size_t k = 0; k < b->set.nrules; k++) {
			struct lb_rule *r = &b->set.rules[k];

			r->id = (unsigned)c->nrule_ctrs++;
			r->text = r->modern != NULL ? r->modern : "";
			for (size_t l = 0; r->modern == NULL &&
			    l < b->nlines; l++)
				if (b->line_pos[l].line == r->pos.line &&
				    b->line_pos[l].file == r->pos.file)
					r->text = b->lines[l];
		}
	}
}

unsigned
lb_rules_conf_resolve(struct lb_conf *c, struct conf_diag *d)
{
	unsigned errors = 0;

	number_rules(c);
	for (size_t i = 0; i < c->nvservers; i++)
		errors += resolve_vs(c, &c->vservers[i], d);
	for (size_t i = 0; i < c->nrule_blocks; i++) {
		errors += resolve_pools(c, &c->rule_blocks[i].set, d);
		if (list_files(c, &c->rule_blocks[i].set) < 0) {
			conf_oom(d, &c->rule_blocks[i].set.pos);
			errors++;
		}
	}
	return errors;
}

/* ---- counters ---- */

void
lb_rule_key(const struct lb_rule_block *b, size_t k, char *out, size_t size)
{
	const char *text = b->set.rules[k].text;
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */
	unsigned same = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	for (size_t i = 0; i < k; i++)
		same += strcmp(b->set.rules[i].text, text) == 0;
	snprintf(out, size, "%016llx.%u", (unsigned long long)h, same);
}

/* ---- printing ---- */

/* Line i of b as printed: the modern line read in place of an old one
 * (rule_nsx.h), else as written. */
static const char *
modern_of(const struct lb_rule_block *b, size_t i)
{
	for (size_t k = 0; k < b->set.nrules; k++) {
		const struct lb_rule *r = &b->set.rules[k];

		if (r->modern != NULL && r->pos.line == b->line_pos[i].line)
			return r->modern;
	}
	return b->lines[i];
}

/* The blank lines between the written ones are printed too: a rule's
 * line in its block (lb_rule_line) is the same in the text printed, which
 * is what the worker reads. */
void
lb_rule_block_print(const struct lb_rule_block *b, FILE *out)
{
	unsigned at = b->set.pos.line;

	fprintf(out, "application-rule %s {\n", b->set.name);
	for (size_t i = 0; i < b->nlines; i++) {
		while (++at < b->line_pos[i].line)
			fputc('\n', out);
		fprintf(out, "    %s\n", modern_of(b, i));
	}
	fprintf(out, "}\n");
}

unsigned
lb_rule_line(const struct lb_rule_block *b, size_t k)
{
	return b->set.rules[k].pos.line - b->set.pos.line;
}

void
lb_vs_rules_print(const struct lb_vs_conf *vs, FILE *out)
{
	if (vs->nrules == 0)
		return;
	fprintf(out, "    rules");
	for (size_t i = 0; i < vs->nrules; i++)
		fprintf(out, " %s", vs->rules[i].name);
	fputc('\n', out);
}

void
lb_rule_blocks_release(struct lb_conf *c)
{
	for (size_t i = 0; i < c->nrule_blocks; i++) {
		struct lb_rule_block *b = &c->rule_blocks[i];

		lb_rule_set_free(&b->set);
		for (size_t k = 0; k < b->nlines; k++)
			free(b->lines[k]);
		free(b->lines);
		free(b->line_pos);
	}
	free(c->rule_blocks);
	for (size_t i = 0; i < c->nrule_files; i++)
		free(c->rule_files[i]);
	free(c->rule_files);
	for (size_t i = 0; i < c->nvservers; i++)
		free(c->vservers[i].rules);
}

/* ---- the files, and the compiled rules ---- */

/* The first acl or return that names path: where its errors are
 * reported. */
static const struct conf_pos *
file_pos(const struct lb_conf *c, const char *path)
{
	for (size_t i = 0; i < c->nrule_blocks; i++) {
		const struct lb_rule_set *rs = &c->rule_blocks[i].set;

		for (size_t a = 0; a < rs->nacls; a++)
			for (size_t k = 0; k < rs->acls[a].nfiles; k++)
				if (strcmp(rs->acls[a].files[k], path) == 0)
					return &rs->acls[a].pos;
		for (size_t a = 0; a < rs->nacls; a++)
			if (rs->acls[a].conv != NULL &&
			    strstr(rs->acls[a].conv, path) != NULL)
				return &rs->acls[a].pos;
		for (size_t k = 0; k < rs->nrules; k++)
			if ((rs->rules[k].c != NULL &&
			    strstr(rs->rules[k].c, path) != NULL) ||
			    (rs->rules[k].b != NULL &&
			    strstr(rs->rules[k].b, path) != NULL))
				return &rs->rules[k].pos;
	}
	return NULL;
}

unsigned
lb_rule_files_load(const struct lb_conf *c, struct conf_diag *d,
    struct lb_rule_files *out)
{
	unsigned errors = 0;

	out->n = 0;
	if ((out->v = mem_array(c->nrule_files + 1, sizeof(*out->v))) ==
	    NULL)
	{
		conf_oom(d, NULL);
		return 1;
	}
	for (size_t i = 0; i < c->nrule_files; i++) {
		struct lb_rule_file *f = &out->v[out->n];
		char *text;

		if (file_read(c->rule_files[i], RULE_FILE_MAX, &text,
		    &f->len, NULL) < 0) {
			conf_error(d, file_pos(c, c->rule_files[i]),
			    "cannot read file %s: %s",
			    c->rule_files[i], errno == EFBIG ? "larger than "
			    "64 MB" : errno == EINVAL ? "not a regular file" :
			    strerror(errno));
			errors++;
			text = NULL;	/* the compiler passes it over */
			f->len = 0;
		}
		f->path = c->rule_files[i];
		f->text = text;
		out->n++;
	}
	return errors;
}

void
lb_rule_files_release(struct lb_rule_files *f)
{
	for (size_t i = 0; i < f->n; i++)
		free((void *)(uintptr_t)f->v[i].text);	/* the holder's */
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

static int
pool_index(const char *name, void *arg)
{
	const struct lb_conf *c = arg;

	for (size_t i = 0; i < c->npools; i++)
		if (strcmp(c->pools[i].name, name) == 0)
			return (int)i;
	return -1;
}

unsigned
lb_rules_conf_check(const struct lb_conf *c, const struct lb_rule_files *f,
    struct conf_diag *d)
{
	unsigned before = d->nerrors;

	for (size_t i = 0; i < c->nrule_blocks; i++) {
		const struct lb_rule_set *set = &c->rule_blocks[i].set;
		struct lb_rules *r = lb_rules_compile(&set, 1, pool_index,
		    (void *)(uintptr_t)c, f->v, f->n, d);

		lb_rules_free(&r);
	}
	return d->nerrors - before;
}

struct lb_rules *
lb_rules_of_vs(const struct lb_conf *c, const struct lb_vs_conf *vs,
    const struct lb_rule_files *f, struct conf_diag *d)
{
	const struct lb_rule_set **sets;
	struct lb_rules *r;

	if (vs->nrules == 0)
		return NULL;
	if ((sets = mem_array(vs->nrules, sizeof(*sets))) == NULL) {
		conf_oom(d, NULL);
		return NULL;
	}
	for (size_t i = 0; i < vs->nrules; i++)
		sets[i] = &c->rule_blocks[vs->rules[i].idx].set;
	r = lb_rules_compile(sets, vs->nrules, pool_index,
	    (void *)(uintptr_t)c, f->v, f->n, d);
	free(sets);
	return r;
}
