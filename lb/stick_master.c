/*
 * lb/stick_master.c - the stick tables in the master and their memfds
 * (stick_master.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "module.h"
#include "stick_conf.h"
#include "stick_master.h"
#include "text.h"

struct lb_stick_shm {
	char name[LB_NAME_MAX];
	int fd;
	void *mem;
	size_t len;
	struct lb_stick view;
	unsigned refs;			/* generations holding it */
	struct lb_stick_shm *next;	/* in the registry */
};

static void
shm_free(struct lb_stick_shm *s)
{
	if (s->mem != NULL)
		(void)munmap(s->mem, s->len);
	if (s->fd >= 0)
		(void)close(s->fd);
	free(s);
}

/* A new table of shape g, called name. */
static struct lb_stick_shm *
shm_new(const char *name, const struct lb_stick_geom *g)
{
	struct lb_stick_shm *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->fd = -1;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->len = lb_stick_size(g);
	if (s->len == 0 ||
	    (s->fd = memfd_create("edged-stick", MFD_CLOEXEC)) < 0 ||
	    ftruncate(s->fd, (off_t)s->len) < 0)
		goto fail;
	s->mem = mmap(NULL, s->len, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd,
	    0);
	if (s->mem == MAP_FAILED) {
		s->mem = NULL;
		goto fail;
	}
	if (lb_stick_init(s->mem, s->len, g) < 0 ||
	    lb_stick_attach(&s->view, s->mem, s->len, g) < 0)
		goto fail;
	return s;
fail:
	shm_free(s);
	return NULL;
}

/* The registry's table called name, if its shape is g's. */
static struct lb_stick_shm *
shm_find(struct lb_stick_shm *reg, const char *name,
    const struct lb_stick_geom *g)
{
	struct lb_stick probe;

	for (; reg != NULL; reg = reg->next)
		if (strcmp(reg->name, name) == 0 &&
		    lb_stick_attach(&probe, reg->mem, reg->len, g) == 0)
			return reg;
	return NULL;
}

int
lb_sticks_take(struct lb_stick_shm **reg, const struct lb_conf *c,
    struct lb_stick_shm ***out, struct conf_diag *d)
{
	struct lb_stick_shm **v = calloc(c->nsticks + 1, sizeof(*v));
	struct lb_stick_geom g;

	if (v == NULL)
		return conf_oom(d, NULL);
	for (size_t i = 0; i < c->nsticks; i++) {
		lb_stick_geom_of(&c->sticks[i], &g);
		if ((v[i] = shm_find(*reg, c->sticks[i].name, &g)) == NULL) {
			if ((v[i] = shm_new(c->sticks[i].name, &g)) == NULL) {
				conf_error(d, &c->sticks[i].pos, "stick-table "
				    "%s: cannot make it (%zu entries): %s",
				    c->sticks[i].name, (size_t)g.size,
				    strerror(errno));
				lb_sticks_drop(reg, &v, i);
				return -1;
			}
			v[i]->next = *reg;
			*reg = v[i];
		}
		v[i]->refs++;
	}
	*out = v;
	return 0;
}

void
lb_sticks_drop(struct lb_stick_shm **reg, struct lb_stick_shm ***tables,
    size_t n)
{
	struct lb_stick_shm **v = *tables;

	for (size_t i = 0; v != NULL && i < n; i++) {
		struct lb_stick_shm **p = reg;

		if (v[i] == NULL || --v[i]->refs > 0)
			continue;
		while (*p != NULL && *p != v[i])
			p = &(*p)->next;
		if (*p != NULL)
			*p = v[i]->next;
		shm_free(v[i]);
	}
	free(v);
	*tables = NULL;
}

int
lb_stick_shm_fd(const struct lb_stick_shm *s)
{
	return s->fd;
}

int
lb_stick_map(const struct lb_conf *c, size_t i, int fd, struct lb_stick *t,
    void **mem, size_t *len)
{
	struct lb_stick_geom g;
	struct stat st;
	void *p;

	lb_stick_geom_of(&c->sticks[i], &g);
	if (fstat(fd, &st) < 0 || st.st_size <= 0) {
		(void)close(fd);
		return -1;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	(void)close(fd);
	if (p == MAP_FAILED)
		return -1;
	if (lb_stick_attach(t, p, (size_t)st.st_size, &g) < 0) {
		(void)munmap(p, (size_t)st.st_size);
		return -1;
	}
	*mem = p;
	*len = (size_t)st.st_size;
	return 0;
}

/* ---- edgectl show table, clear table ---- */

struct show {
	const struct lb_stick_conf *sc;
	FILE *out;
	bool json;
	bool first;
};

static const struct {
	unsigned flag;
	const char *name;
	size_t off;
} columns[] = {
	{ LB_STICK_CONN_CUR, "conn_cur",
	    offsetof(struct lb_stick_vals, conn_cur) },
	{ LB_STICK_CONN_RATE, "conn_rate",
	    offsetof(struct lb_stick_vals, conn_rate) },
	{ LB_STICK_HTTP_REQ_RATE, "http_req_rate",
	    offsetof(struct lb_stick_vals, http_req_rate) },
	{ LB_STICK_HTTP_ERR_RATE, "http_err_rate",
	    offsetof(struct lb_stick_vals, http_err_rate) },
	{ LB_STICK_GPC0, "gpc0", offsetof(struct lb_stick_vals, gpc0) },
};

static int
show_entry(const void *key, size_t keylen, const struct lb_stick_vals *v,
    void *arg)
{
	struct show *sh = arg;
	char k[LB_STICK_KEY_MAX * 4 + 8];

	(void)lb_stick_key_format(sh->sc->type, key, keylen, k, sizeof(k));
	if (sh->json) {
		fprintf(sh->out, "%s{\"key\":", sh->first ? "" : ",");
		text_json_string(sh->out, k);
		fprintf(sh->out, ",\"exp_ms\":%lld",
		    v->exp_ms == LB_STICK_NEVER ? -1LL :
		    (long long)v->exp_ms);
	} else {
		fprintf(sh->out, "key=%s exp=", k);
		if (v->exp_ms == LB_STICK_NEVER)
			fprintf(sh->out, "never");
		else
			fprintf(sh->out, "%ums", v->exp_ms);
	}
	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++)
		if (sh->sc->store & columns[i].flag)
			fprintf(sh->out, sh->json ? ",\"%s\":%u" : " %s=%u",
			    columns[i].name, *(const uint32_t *)(const void *)
			    ((const char *)v + columns[i].off));
	fputs(sh->json ? "}" : "\n", sh->out);
	sh->first = false;
	return 0;
}

/* Table name of c, or NULL with why written to out. */
static struct lb_stick_shm *
table_of(struct lb_stick_shm *const *tables, const struct lb_conf *c,
    const char *name, FILE *out, const struct lb_stick_conf **sc)
{
	size_t i;

	if ((*sc = lb_stick_find(c, name, &i)) != NULL)
		return tables[i];
	fprintf(out, "no stick-table '%s'", name);
	for (size_t k = 0; k < c->nsticks; k++)
		fprintf(out, "%s%s", k == 0 ? " (there are: " : ", ",
		    c->sticks[k].name);
	fprintf(out, "%s\n", c->nsticks > 0 ? ")" : "");
	return NULL;
}

/* KEY as table s keys it: an address's 16 bytes, or the string. */
static bool
parse_key(const struct lb_stick_shm *s, const char *text,
    unsigned char *key, size_t *klen, FILE *out)
{
	if (lb_stick_key_text(&s->view.geom, text, strlen(text), key,
	    klen) == 0)
		return true;
	fprintf(out, "stick-table %s holds addresses: '%s' is not one\n",
	    s->name, text);
	return false;
}

static int
show_one(struct lb_stick *t, const unsigned char *key, size_t klen,
    struct show *sh)
{
	struct lb_stick_vals v;
	int found = lb_stick_get(t, key, klen, clock_ms(), &v);

	return found == 1 ? show_entry(key, klen, &v, sh) : 0;
}

bool
lb_sticks_show(struct lb_stick_shm *const *tables, const struct lb_conf *c,
    const char *name, const char *key, bool json, FILE *out)
{
	struct show sh = { .out = out, .json = json, .first = true };
	unsigned char k[LB_STICK_KEY_MAX];
	struct lb_stick_shm *s = table_of(tables, c, name, out, &sh.sc);
	size_t klen;

	if (s == NULL || (key != NULL && !parse_key(s, key, k, &klen, out)))
		return false;
	if (json)
		fprintf(out, "{\"table\":\"%s\",\"size\":%llu,\"used\":%ld,"
		    "\"entries\":[", sh.sc->name,
		    (unsigned long long)sh.sc->size, lb_stick_used(&s->view));
	else
		fprintf(out, "# table %s: size %llu, used %ld\n", sh.sc->name,
		    (unsigned long long)sh.sc->size, lb_stick_used(&s->view));
	if (key != NULL)
		(void)show_one(&s->view, k, klen, &sh);
	else
		(void)lb_stick_walk(&s->view, clock_ms(), show_entry, &sh);
	if (json)
		fprintf(out, "]}\n");
	return true;
}

bool
lb_sticks_clear(struct lb_stick_shm *const *tables, const struct lb_conf *c,
    const char *name, const char *key, FILE *out)
{
	const struct lb_stick_conf *sc;
	unsigned char k[LB_STICK_KEY_MAX];
	struct lb_stick_shm *s = table_of(tables, c, name, out, &sc);
	size_t klen = 0;
	int n;

	if (s == NULL || (key != NULL && !parse_key(s, key, k, &klen, out)))
		return false;
	if ((n = lb_stick_clear(&s->view, key != NULL ? k : NULL, klen)) < 0) {
		fprintf(out, "stick-table %s: %s\n", name, strerror(errno));
		return false;
	}
	fprintf(out, "%d entr%s cleared\n", n, n == 1 ? "y" : "ies");
	return true;
}

/* ---- upgrades ---- */

void
lb_sticks_save(struct lb_stick_shm *reg, FILE *out,
    const struct edged_carry *carry)
{
	for (; reg != NULL; reg = reg->next)
		if (reg->refs > 0 && carry->pass(carry, reg->fd) == 0)
			fprintf(out, "stick %s %d\n", reg->name, reg->fd);
}

/* A table an upgrade brought: the generation loaded before the state
 * came made a new, empty one of that name; if it has the same shape, it
 * takes the old one's memory instead (no worker of it runs yet), else
 * the old one waits in the registry for a generation that wants it. */
static void
adopt(struct lb_stick_shm **reg, struct lb_stick_shm *s)
{
	struct lb_stick probe;

	for (struct lb_stick_shm *e = *reg; e != NULL; e = e->next) {
		if (strcmp(e->name, s->name) != 0 || lb_stick_attach(&probe,
		    s->mem, s->len, &e->view.geom) < 0)
			continue;
		(void)munmap(e->mem, e->len);
		(void)close(e->fd);
		e->fd = s->fd;
		e->mem = s->mem;
		e->len = s->len;
		e->view = s->view;
		free(s);
		return;
	}
	s->next = *reg;
	*reg = s;
}

int
lb_sticks_load_line(struct lb_stick_shm **reg, const char *line)
{
	struct lb_stick_shm *s = calloc(1, sizeof(*s));
	struct stat st;
	int fd;

	if (s == NULL || sscanf(line, "stick %63s %d", s->name, &fd) != 2 ||
	    fd < 0) {
		free(s);
		return -1;
	}
	s->fd = fd;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (fstat(fd, &st) < 0 || st.st_size <= 0)
		goto fail;
	s->len = (size_t)st.st_size;
	s->mem = mmap(NULL, s->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (s->mem == MAP_FAILED) {
		s->mem = NULL;
		goto fail;
	}
	/* its own header says its shape */
	if (lb_stick_attach(&s->view, s->mem, s->len, NULL) < 0)
		goto fail;
	adopt(reg, s);
	return 0;
fail:
	shm_free(s);
	return -1;
}

void
lb_sticks_prune(struct lb_stick_shm **reg)
{
	while (*reg != NULL) {
		struct lb_stick_shm *s = *reg;

		if (s->refs > 0) {
			reg = &s->next;
			continue;
		}
		*reg = s->next;
		shm_free(s);
	}
}
