/*
 * lb/stick_conf.c - the stick-table directive (stick_conf.h), in
 * HAProxy's words (configuration manual 4.2 "stick-table"):
 *
 *   stick-table NAME type ip|ipv6|string [len N] size N [expire D]
 *       [store conn_cur,conn_rate(D),http_req_rate(D),http_err_rate(D),
 *       gpc0]
 *
 * Sizes take HAProxy's k, m suffixes (powers of 1024), durations
 * edged's (10s, 1m).
 */
#include <stdlib.h>
#include <string.h>

#include "stick_conf.h"
#include "util.h"

static const char *const types[] = { "ip", "ipv6", "string", NULL };

/* What `store` names: a flag, and the rate whose period follows it in
 * parentheses (-1: none). */
static const struct {
	const char *name;
	unsigned flag;
	int rate;
} stored[] = {
	{ "conn_cur", LB_STICK_CONN_CUR, -1 },
	{ "conn_rate", LB_STICK_CONN_RATE, LB_STICK_R_CONN },
	{ "http_req_rate", LB_STICK_HTTP_REQ_RATE, LB_STICK_R_HTTP_REQ },
	{ "http_err_rate", LB_STICK_HTTP_ERR_RATE, LB_STICK_R_HTTP_ERR },
	{ "gpc0", LB_STICK_GPC0, -1 },
};

/* "10s", "500ms", "1m": milliseconds, or 0 for what is not one. */
static uint64_t
period_ms(const char *s, size_t len)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
	    { "h", 3600000 }, { "d", 86400000 } };
	uint64_t v = 0;
	size_t i = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9' && v < 100000000)
		v = v * 10 + (uint64_t)(s[i++] - '0');
	if (i == 0)
		return 0;
	for (size_t u = 0; u < ARRAY_LEN(units); u++)
		if (strlen(units[u].unit) == len - i &&
		    memcmp(units[u].unit, s + i, len - i) == 0)
			return v * units[u].ms <= LB_STICK_MS_MAX ?
			    v * units[u].ms : 0;
	return 0;
}

/* One ITEM of store, len bytes at w. */
static int
store_item(struct conf_diag *d, const struct conf_pos *pos,
    struct lb_stick_conf *s, const char *w, size_t len)
{
	const char *open = memchr(w, '(', len);
	size_t n = open != NULL ? (size_t)(open - w) : len;
	uint64_t ms = 0;

	for (size_t i = 0; i < ARRAY_LEN(stored); i++) {
		if (strlen(stored[i].name) != n ||
		    memcmp(stored[i].name, w, n) != 0)
			continue;
		if ((stored[i].rate >= 0) != (open != NULL) || (open != NULL &&
		    (w[len - 1] != ')' || (ms = period_ms(open + 1,
		    len - n - 2)) == 0))) {
			conf_error(d, pos, "stick-table %s: '%.*s': %s",
			    s->name, (int)len, w, stored[i].rate >= 0 ?
			    "a rate takes "
			    "its period, as in http_req_rate(10s)" : "takes "
			    "no period");
			return -1;
		}
		s->store |= stored[i].flag;
		if (stored[i].rate >= 0)
			s->period[stored[i].rate] = (uint32_t)ms;
		return 0;
	}
	conf_error(d, pos, "stick-table %s: cannot store '%.*s' (edged "
	    "stores conn_cur, conn_rate(D), http_req_rate(D), "
	    "http_err_rate(D), gpc0)", s->name, (int)len, w);
	return -1;
}

/* store ITEM[,ITEM...] [ITEM...]: words i.. up to the next option. */
static int
parse_store(struct conf_diag *d, const struct conf_node *n, size_t *i,
    struct lb_stick_conf *s)
{
	for (; *i < n->nargs; (*i)++) {
		const char *w = n->args[*i];

		if (strcmp(w, "len") == 0 || strcmp(w, "size") == 0 ||
		    strcmp(w, "expire") == 0 || strcmp(w, "type") == 0)
			break;
		while (*w != '\0') {
			size_t len = strcspn(w, ",");

			/* a rate's period holds no comma: split at them */
			if (store_item(d, &n->argpos[*i], s, w, len) < 0)
				return -1;
			w += len + (w[len] == ',');
		}
	}
	(*i)--;
	return 0;
}

static int
parse_option(struct conf_diag *d, const struct conf_node *n, size_t *i,
    struct lb_stick_conf *s, bool *sized)
{
	static const char *const opts[] = { "type", "len", "size", "expire",
	    "store", NULL };
	unsigned o, t;
	uint64_t v;

	if (conf_get_option(d, n, *i, opts, &o) < 0)
		return -1;
	if (o != 4 && *i + 1 >= n->nargs) {
		conf_error(d, &n->argpos[*i], "stick-table %s: '%s' takes a "
		    "value", s->name, opts[o]);
		return -1;
	}
	(*i)++;
	switch (o) {
	case 0:
		if (conf_get_keyword(d, n, *i, types, &t) < 0)
			return -1;
		s->type = t == 2 ? LB_STICK_STRING : LB_STICK_IP;
		s->ipv6 = t == 1;
		return 0;
	case 1:
		if (conf_get_option_uint(d, n, *i, 1, LB_STICK_KEY_MAX,
		    &v) < 0)
			return -1;
		s->key_len = (unsigned)v;
		return 0;
	case 2:
		*sized = true;
		return conf_get_size(d, n, *i, 1, LB_STICK_SIZE_MAX, &s->size);
	case 3:
		return conf_get_duration(d, n, *i, 1, LB_STICK_MS_MAX,
		    &s->expire);
	default:
		return parse_store(d, n, i, s);
	}
}

int
lb_stick_directive(struct conf_diag *d, const struct conf_node *n,
    void *obj)
{
	struct lb_conf *c = obj;
	struct lb_stick_conf s = { .type = 0, .key_len = LB_STICK_STRING_LEN,
	    .pos = n->argpos[1] }, *slot;
	bool sized = false;

	if (conf_get_name(d, n, 1, s.name, sizeof(s.name)) < 0)
		return -1;
	for (size_t i = 0; i < c->nsticks; i++)
		if (lb_conf_check_dup(d, n, "stick-table", s.name,
		    c->sticks[i].name, &c->sticks[i].pos) < 0)
			return -1;
	for (size_t i = 2; i < n->nargs; i++)
		if (parse_option(d, n, &i, &s, &sized) < 0)
			return -1;
	if (s.type == 0 || !sized) {
		conf_error(d, &n->argpos[1], "stick-table %s: needs %s", s.name,
		    s.type == 0 ? "a type: type ip|ipv6|string" : "a size: "
		    "size N (entries)");
		return -1;
	}
	if ((slot = conf_push(&c->sticks, &c->nsticks, sizeof(s))) == NULL)
		return conf_oom(d, &n->pos);
	*slot = s;
	return 0;
}

void
lb_stick_print(const struct lb_stick_conf *s, FILE *out)
{
	char buf[32];
	bool first = true;

	fprintf(out, "stick-table %s type %s", s->name, s->type ==
	    LB_STICK_STRING ? "string" : s->ipv6 ? "ipv6" : "ip");
	if (s->type == LB_STICK_STRING)
		fprintf(out, " len %u", s->key_len);
	fprintf(out, " size %llu", (unsigned long long)s->size);
	if (s->expire > 0) {
		conf_fmt_duration(buf, sizeof(buf), s->expire);
		fprintf(out, " expire %s", buf);
	}
	for (size_t i = 0; i < ARRAY_LEN(stored); i++) {
		if (!(s->store & stored[i].flag))
			continue;
		fprintf(out, "%s%s", first ? " store " : ",", stored[i].name);
		if (stored[i].rate >= 0) {
			conf_fmt_duration(buf, sizeof(buf),
			    s->period[stored[i].rate]);
			fprintf(out, "(%s)", buf);
		}
		first = false;
	}
	fputc('\n', out);
}

void
lb_stick_geom_of(const struct lb_stick_conf *s, struct lb_stick_geom *g)
{
	*g = (struct lb_stick_geom){ .type = s->type, .key_len =
	    s->type == LB_STICK_STRING ? s->key_len : 16,
	    .size = (uint32_t)s->size, .store = s->store,
	    .expire_ms = (uint32_t)s->expire };
	for (size_t i = 0; i < LB_STICK_RATES; i++)
		g->period[i] = s->period[i];
}

const struct lb_stick_conf *
lb_stick_find(const struct lb_conf *c, const char *name, size_t *idx)
{
	for (size_t i = 0; i < c->nsticks; i++)
		if (strcmp(c->sticks[i].name, name) == 0) {
			if (idx != NULL)
				*idx = i;
			return &c->sticks[i];
		}
	return NULL;
}
