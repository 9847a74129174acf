/*
 * conf/module.c - see module.h.
 */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "mem.h"
#include "module.h"
#include "text.h"

int
edged_endpoints_add(struct edged_endpoints *eps,
    const struct sockaddr_storage *addr, int proto, const char *what)
{
	struct edged_endpoint *e;

	if (mem_grow(&eps->v, &eps->cap, eps->n + 1, sizeof(*eps->v)) == -1)
		return -1;
	e = &eps->v[eps->n++];
	memset(e, 0, sizeof(*e));
	e->addr = *addr;
	e->proto = proto;
	snprintf(e->what, sizeof(e->what), "%s", what);
	return 0;
}

void
edged_kservice_release(struct edged_kservice *ks)
{
	free(ks->addrs);
	free(ks->members);
	memset(ks, 0, sizeof(*ks));
}

int
edged_kservice_copy(struct edged_kservice *out,
    const struct edged_kservice *ks)
{
	*out = *ks;
	out->addrs = mem_array(ks->naddrs, sizeof(*ks->addrs));
	out->members = mem_array(ks->nmembers, sizeof(*ks->members));
	if (out->addrs == NULL || out->members == NULL) {
		edged_kservice_release(out);
		return -1;
	}
	memcpy(out->addrs, ks->addrs, ks->naddrs * sizeof(*ks->addrs));
	memcpy(out->members, ks->members,
	    ks->nmembers * sizeof(*ks->members));
	return 0;
}

int
edged_kservice_add(struct edged_endpoints *eps,
    const struct edged_kservice *ks)
{
	if (mem_grow(&eps->ks, &eps->kscap, eps->nks + 1,
	    sizeof(*eps->ks)) == -1 ||
	    edged_kservice_copy(&eps->ks[eps->nks], ks) < 0)
		return -1;
	eps->nks++;
	return 0;
}

int
edged_vip_add(struct edged_endpoints *eps, const char *service,
    const struct sockaddr_storage *addr)
{
	struct edged_vip v = { .addr = *addr };

	if (addr_wildcard(addr) || (addr->ss_family != AF_INET &&
	    addr->ss_family != AF_INET6))
		return 0;
	if (addr->ss_family == AF_INET)
		((struct sockaddr_in *)&v.addr)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&v.addr)->sin6_port = 0;
	snprintf(v.service, sizeof(v.service), "%s", service);
	for (size_t i = 0; i < eps->nvips; i++)
		if (strcmp(eps->vips[i].service, v.service) == 0 &&
		    addr_same(&eps->vips[i].addr, &v.addr))
			return 0;
	if (mem_grow(&eps->vips, &eps->vipcap, eps->nvips + 1,
	    sizeof(*eps->vips)) == -1)
		return -1;
	eps->vips[eps->nvips++] = v;
	return 0;
}

int
edged_nat_exempt_add(struct edged_endpoints *eps,
    const struct edged_nat_exempt *x)
{
	if (mem_grow(&eps->nx, &eps->nxcap, eps->nnx + 1,
	    sizeof(*eps->nx)) == -1)
		return -1;
	eps->nx[eps->nnx++] = *x;
	return 0;
}

void
edged_endpoints_release(struct edged_endpoints *eps)
{
	for (size_t i = 0; i < eps->nks; i++)
		edged_kservice_release(&eps->ks[i]);
	free(eps->vips);
	free(eps->nx);
	free(eps->ks);
	free(eps->v);
	memset(eps, 0, sizeof(*eps));
}

int
edged_listens_add(struct edged_listens *ls,
    const struct sockaddr_storage *addr, socklen_t addrlen, int socktype,
    const struct conf_pos *pos)
{
	struct edged_listen *l;

	if (mem_grow(&ls->v, &ls->cap, ls->n + 1, sizeof(*ls->v)) == -1)
		return -1;
	l = &ls->v[ls->n++];
	memset(l, 0, sizeof(*l));
	memcpy(&l->addr, addr, sizeof(l->addr));
	l->addrlen = addrlen;
	l->socktype = socktype;
	l->pos = pos;
	return 0;
}

void
edged_listens_release(struct edged_listens *ls)
{
	free(ls->v);
	memset(ls, 0, sizeof(*ls));
}

void
edged_replyf(const struct edged_host *h, struct edged_ctl *c, bool ok,
    const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	h->reply(c, ok, text != NULL ? text : "out of memory\n");
	free(text);
}

void
edged_reply_text(const struct edged_host *h, struct edged_ctl *c, bool ok,
    struct text *t)
{
	char *text = text_close(t, NULL);

	h->reply(c, text != NULL && ok, text != NULL ? text :
	    "out of memory\n");
	free(text);
}

/* ---- the grammar of a command's args ---- */

enum token {
	TOK_LITERAL,			/* the word itself: --all */
	TOK_ONE,			/* NAME */
	TOK_MANY,			/* NAME... */
	TOK_MAYBE,			/* [NAME] */
	TOK_ANY,			/* [NAME...] */
};

static bool
is_name(const char *t, size_t len)
{
	bool upper = false;

	for (size_t i = 0; i < len; i++) {
		if (t[i] >= 'a' && t[i] <= 'z')
			return false;
		upper |= t[i] >= 'A' && t[i] <= 'Z';
	}
	return upper;
}

static enum token
token_kind(const char *t, size_t len)
{
	bool many = len > 3 && memcmp(t + len - 3, "...", 3) == 0;

	if (len > 2 && t[0] == '[' && t[len - 1] == ']')
		return len > 5 && memcmp(t + len - 4, "...]", 4) == 0 ?
		    TOK_ANY : TOK_MAYBE;
	if (many)
		return TOK_MANY;
	return is_name(t, len) ? TOK_ONE : TOK_LITERAL;
}

/* Whether words[0..n) fit the alternative alt[0..len). */
static bool
fits_alt(const char *alt, size_t len, char **words, size_t n)
{
	size_t j = 0, i = 0;

	while (i < len) {
		size_t tl = strcspn(alt + i, " ");

		if (tl > len - i)
			tl = len - i;
		switch (token_kind(alt + i, tl)) {
		case TOK_LITERAL:
			if (j == n || strlen(words[j]) != tl ||
			    memcmp(words[j], alt + i, tl) != 0)
				return false;
			j++;
			break;
		case TOK_ONE:
			if (j++ == n)
				return false;
			break;
		case TOK_MANY:
			if (j == n)
				return false;
			j = n;
			break;
		case TOK_MAYBE:
			j += j < n;
			break;
		case TOK_ANY:
			j = n;
			break;
		}
		i += tl;
		while (i < len && alt[i] == ' ')
			i++;
	}
	return j == n;
}

bool
edged_command_fits(const struct edged_command *cmd, char **words, size_t n)
{
	const char *a = cmd->args;

	for (;;) {
		const char *bar = strstr(a, " | ");
		size_t len = bar != NULL ? (size_t)(bar - a) : strlen(a);

		if (fits_alt(a, len, words, n))
			return true;
		if (bar == NULL)
			return false;
		a = bar + 3;
	}
}

void
edged_command_usage(const struct edged_command *cmd, bool cli, char *buf,
    size_t size)
{
	const char *a = cmd->args;
	size_t used = 0;

	buf[0] = '\0';
	for (bool first = true;; first = false) {
		const char *bar = strstr(a, " | ");
		int len = bar != NULL ? (int)(bar - a) : (int)strlen(a);
		int n = snprintf(buf + used, size - used, "%s%s%s%s%s%.*s%s",
		    first ? "" : ", or ", cmd->word, cmd->sub ? " " : "",
		    cmd->sub ? cmd->sub : "", len > 0 ? " " : "", len, a,
		    !cmd->json ? "" : cli ? " [--json]" : " [json]");

		if (n < 0 || (size_t)n >= size - used || bar == NULL)
			return;
		used += (size_t)n;
		a = bar + 3;
	}
}

struct publish {
	const struct edged_module *mod;
	uint16_t type;
	const char *text;
	size_t len;
};

static void
publish_one(void *arg, void *gd, const struct edged_channel *ch)
{
	const struct publish *p = arg;

	(void)gd;
	if (ch->send(ch, p->type, 0, p->text, p->len, -1) < 0)
		log_debug("%s: a worker missed the state for its metrics",
		    p->mod->name);
}

void
edged_publish_text(const struct edged_host *h,
    const struct edged_module *mod, uint16_t type, const char *text,
    size_t len)
{
	struct publish p = { mod, type, text, len };

	h->each_worker(h, mod, EDGED_W_SERVING | EDGED_W_STARTING |
	    EDGED_W_DRAINING, publish_one, &p);
}

int
edged_state_take(char **state, const void *data, size_t len)
{
	char *s = malloc(len + 1);

	if (s == NULL) {
		log_warn("out of memory: the metrics keep the older state");
		return -1;
	}
	memcpy(s, data, len);
	s[len] = '\0';
	free(*state);
	*state = s;
	return 0;
}
