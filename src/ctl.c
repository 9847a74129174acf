/*
 * src/ctl.c - see ctl.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_cmd.h"
#include "io.h"
#include "log.h"
#include "text.h"
#include "upgrade.h"
#include "util.h"

/*
 * A local program that connects and sends nothing, or a flood of them,
 * must not hold the master's memory or the slots edgectl needs: clients
 * are bounded, the command line must come quickly, and the line buffer
 * grows only as the line does.  Beyond the bound a client is answered
 * at once; it is then kept (without buffer) until it closes, briefly, so
 * that the command it writes meanwhile does not meet a closed socket:
 * those are bounded too, and beyond both a client is closed at once.
 */
#define CTL_CLIENTS_MAX		64
#define CTL_REFUSED_MAX		64
#define CTL_LINE_TIMEOUT	5.0	/* for the command line to come */
#define CTL_ANSWER_TIMEOUT	30.0	/* for the worker's statistics */
#define CTL_REFUSED_LINGER	1.0	/* a refused client's command */
#define CTL_LINE_FIRST		256	/* the buffer at first; doubles */
#define CTL_STR_(x)		#x
#define CTL_STR(x)		CTL_STR_(x)

struct edged_ctl {
	struct master *m;
	int fd;
	bool refused;			/* answered "too many"; lingering */
	ev_io io;
	ev_timer timer;
	char *line;			/* cap bytes, NULL until data comes */
	size_t len, cap;
	size_t scanned;			/* bytes of line checked */
	uint32_t id;			/* stats request, 0 = none */
	struct worker *waiting_on;
	char *reply;			/* stats text gathered so far */
	size_t reply_len;
	struct edged_ctl *next;
};

static void
client_free(struct master *m, struct edged_ctl *c)
{
	struct edged_ctl **pp;

	for (pp = &m->clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (m->reload_client == c)
		m->reload_client = NULL;
	if (m->upgrade_client == c)
		m->upgrade_client = NULL;
	ev_io_stop(m->loop, &c->io);
	ev_timer_stop(m->loop, &c->timer);
	(void)close(c->fd);
	free(c->line);
	free(c->reply);
	free(c);
}

void
ctl_reply(struct master *m, struct edged_ctl *c, bool ok, const char *text)
{
	/* blocking, with a send timeout: an edgectl that does not read
	 * cannot hold the master for long */
	if (io_write_all(c->fd, ok ? "OK\n" : "ERROR\n", ok ? 3 : 6))
		(void)io_write_all(c->fd, text, strlen(text));
	client_free(m, c);
}

static void
status_text(struct master *m, bool json, FILE *f)
{
	const struct edged_conf *c = m->gen->conf;
	int wpid = m->worker ? (int)m->worker->pid : 0;
	bool ready = m->worker && m->worker->ready;
	double up = ev_now(m->loop) - m->started;
	bool first = true;

	if (json) {
		fprintf(f, "{\"master_pid\":%d,\"worker_pid\":%d,\"ready\":%s,"
		    "\"uptime_s\":%.0f,\"threads\":%u,\"config\":\"%s\",",
		    (int)getpid(), wpid, ready ? "true" : "false", up,
		    edged_conf_threads(c), m->path);
		for (size_t i = 0; i < EDGED_NMODULES; i++)
			if (edged_modules[i]->status != NULL)
				edged_modules[i]->status(m->mods[i], true, f);
		fprintf(f, "\"draining_pids\":[");
		for (struct worker *w = m->draining; w != NULL; w = w->next)
			fprintf(f, "%d%s", (int)w->pid, w->next ? "," : "");
		fprintf(f, "]}\n");
		return;
	}
	fprintf(f, "edged is running\nmaster pid %d, up %.0fs\n", (int)getpid(),
	    up);
	fprintf(f, "worker pid %d (%s), %u thread%s\n", wpid,
	    ready ? "serving" : "starting", edged_conf_threads(c),
	    edged_conf_threads(c) == 1 ? "" : "s");
	fprintf(f, "configuration %s", m->path);
	for (size_t i = 0; i < EDGED_NMODULES; i++) {
		char *part = NULL;
		size_t len = 0;
		FILE *pf;

		/* a module with nothing to say gets no separator */
		if (edged_modules[i]->status == NULL ||
		    (pf = open_memstream(&part, &len)) == NULL)
			continue;
		edged_modules[i]->status(m->mods[i], false, pf);
		if (fclose(pf) == 0 && len > 0) {
			fputs(first ? ": " : ", ", f);
			fputs(part, f);
			first = false;
		}
		free(part);
	}
	fputc('\n', f);
	if (m->draining != NULL) {
		fprintf(f, "older workers draining:");
		for (struct worker *w = m->draining; w != NULL; w = w->next)
			fprintf(f, " %d", (int)w->pid);
		fputc('\n', f);
	}
}

static void
cmd_text(struct master *m, struct edged_ctl *c, bool json,
    void (*fn)(struct master *, bool, FILE *))
{
	struct text t;
	FILE *f = text_open(&t);
	char *buf;

	if (f != NULL)
		fn(m, json, f);
	if (f == NULL || (buf = text_close(&t, NULL)) == NULL) {
		ctl_reply(m, c, false, "out of memory\n");
		return;
	}
	ctl_reply(m, c, true, buf);
	free(buf);
}

/* host->ask: a question for the serving worker; its answer comes back
 * as STATS_DATA/END (ctl_stats_reply). */
void
ctl_host_ask(const struct edged_host *h, struct edged_ctl *c,
    const struct edged_module *mod, uint16_t type, bool json,
    const char *arg)
{
	struct master *m = h->core;
	struct worker *w = m->worker;
	char buf[IPC_MAX_PAYLOAD];
	size_t len = strlen(arg);

	if (w == NULL || !w->ready) {
		ctl_reply(m, c, false, "the worker is not running; try again "
		    "in a moment\n");
		return;
	}
	if (len >= sizeof(buf)) {
		ctl_reply(m, c, false, "the question is too long\n");
		return;
	}
	buf[0] = json ? '1' : '0';
	memcpy(buf + 1, arg, len);
	c->id = ++m->next_id ? m->next_id : ++m->next_id;
	c->waiting_on = w;
	if (ipc_send(w->ipc, IPC_ASK, IPC_MODULE_ARG(edged_module_index(mod),
	    type), c->id, buf, len + 1, -1) < 0)
		ctl_reply(m, c, false, "cannot reach the worker\n");
}

void
ctl_stats_reply(struct master *m, struct worker *w, const struct ipc_msg *msg)
{
	struct edged_ctl *c;
	char *p;

	for (c = m->clients; c != NULL; c = c->next)
		if (c->waiting_on == w && c->id == msg->hdr.arg0)
			break;
	if (c == NULL)
		return;			/* that client left */
	if (msg->hdr.type == IPC_STATS_END) {
		c->waiting_on = NULL;
		ctl_reply(m, c, true, c->reply ? c->reply : "");
		return;
	}
	if ((p = realloc(c->reply, c->reply_len + msg->hdr.len + 1)) == NULL) {
		ctl_reply(m, c, false, "out of memory\n");
		return;
	}
	memcpy(p + c->reply_len, msg->data, msg->hdr.len);
	c->reply_len += msg->hdr.len;
	p[c->reply_len] = '\0';
	c->reply = p;
}

void
ctl_worker_gone(struct master *m, struct worker *w)
{
	struct edged_ctl *c, *next;

	for (c = m->clients; c != NULL; c = next) {
		next = c->next;
		if (c->waiting_on == w)
			ctl_reply(m, c, false, "the worker went away\n");
	}
}

/* ---- the commands ---- */

static void
run_status(void *ms, struct edged_ctl *c, char **args, size_t n, bool json)
{
	(void)args;
	(void)n;
	cmd_text(ms, c, json, status_text);
}

static void
run_reload(void *ms, struct edged_ctl *c, char **args, size_t n, bool json)
{
	(void)args;
	(void)n;
	(void)json;
	(void)master_reload(ms, c);
}

static void
run_upgrade(void *ms, struct edged_ctl *c, char **args, size_t n, bool json)
{
	(void)args;
	(void)n;
	(void)json;
	(void)master_upgrade(ms, c);
}

/* The core's commands, before and after the modules' (so that the usage
 * reads status, what the modules show and change, then reload and
 * upgrade). */
static const struct edged_command core_first[] = {
	{ "status", NULL, "", true, "is edged running, with what",
	    run_status },
};

static const struct edged_command core_last[] = {
	{ "reload", NULL, "", false, "reload the file; errors change nothing",
	    run_reload },
	{ "upgrade", NULL, "", false,
	    "run the installed binary, keeping connections", run_upgrade },
};

size_t
ctl_tables(struct ctl_table *t, void *core, void *const *mods)
{
	size_t n = 0;

	t[n++] = (struct ctl_table){ core_first, ARRAY_LEN(core_first), core };
	for (size_t i = 0; i < EDGED_NMODULES; i++)
		if (edged_modules[i]->ncommands > 0)
			t[n++] = (struct ctl_table){ edged_modules[i]->commands,
			    edged_modules[i]->ncommands,
			    mods != NULL ? mods[i] : NULL };
	t[n++] = (struct ctl_table){ core_last, ARRAY_LEN(core_last), core };
	return n;
}

/* c's whole line is in: the answer may take longer than the line did
 * (the worker's statistics; a reload or an upgrade has no limit). */
static void
dispatch(struct master *m, struct edged_ctl *c)
{
	struct ctl_table t[CTL_TABLES_MAX];
	size_t nt = ctl_tables(t, m, m->mods);
	struct ctl_cmd cmd;

	ev_io_stop(m->loop, &c->io);
	ev_timer_stop(m->loop, &c->timer);
	ev_timer_set(&c->timer, CTL_ANSWER_TIMEOUT, 0);
	ev_timer_start(m->loop, &c->timer);
	if (ctl_cmd_parse(c->line, c->scanned, t, nt, &cmd) < 0) {
		ctl_reply(m, c, false, cmd.error);
		return;
	}
	/* the words point into c->line: freed with c, after their use */
	cmd.row->run(cmd.owner, c, cmd.args, cmd.nargs, cmd.json);
	ctl_cmd_free(&cmd);
}

void
ctl_host_reply(struct edged_ctl *c, bool ok, const char *text)
{
	ctl_reply(c->m, c, ok, text);
}

/* Room for more of the line: the buffer doubles up to CTL_LINE_MAX.
 * false when it is that long already, or out of memory (answered). */
static bool
line_room(struct master *m, struct edged_ctl *c)
{
	size_t cap = c->cap ? c->cap * 2 : CTL_LINE_FIRST;
	char *p;

	if (c->len < c->cap)
		return true;
	if (c->cap == CTL_LINE_MAX) {
		edged_replyf(&m->host, c, false, "the command line is longer "
		    "than %d bytes; give the addresses in several commands\n",
		    CTL_LINE_MAX);
		return false;
	}
	if ((p = realloc(c->line, cap < CTL_LINE_MAX ? cap :
	    CTL_LINE_MAX)) == NULL) {
		ctl_reply(m, c, false, "out of memory\n");
		return false;
	}
	c->line = p;
	c->cap = cap < CTL_LINE_MAX ? cap : CTL_LINE_MAX;
	return true;
}

static void
client_read_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct edged_ctl *c = io->data;
	struct master *m = c->m;
	char err[128];
	ssize_t n;

	(void)loop;
	(void)revents;
	if (!line_room(m, c))
		return;
	n = recv(c->fd, c->line + c->len, c->cap - c->len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_free(m, c);
		return;
	}
	c->len += (size_t)n;
	switch (ctl_line_scan(c->line, c->len, &c->scanned, err,
	    sizeof(err))) {
	case CTL_SCAN_MORE:
		return;
	case CTL_SCAN_BAD:
		ctl_reply(m, c, false, err);
		return;
	case CTL_SCAN_LINE:
		dispatch(m, c);
		return;
	}
}

/* A refused client wrote its command, or went: it can go now. */
static void
refused_read_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct edged_ctl *c = io->data;
	char sink[512];
	ssize_t n;

	(void)loop;
	(void)revents;
	n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		client_free(c->m, c);
}

static void
client_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct edged_ctl *c = t->data;

	(void)loop;
	(void)revents;
	if (c->refused) {
		client_free(c->m, c);
		return;
	}
	if (c->m->reload_client == c || c->m->upgrade_client == c)
		return;			/* a reload takes what it takes */
	if (ev_is_active(&c->io))
		edged_replyf(&c->m->host, c, false, "no command line within "
		    "%.0f seconds\n", CTL_LINE_TIMEOUT);
	else
		ctl_reply(c->m, c, false, "timed out\n");
}

/* A client on fd (taken: closed when out of memory), its watchers set
 * but not started.  NULL out of memory. */
static struct edged_ctl *
client_new(struct master *m, int fd)
{
	struct edged_ctl *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		(void)close(fd);
		return NULL;
	}
	c->m = m;
	c->fd = fd;
	c->next = m->clients;
	m->clients = c;
	ev_io_init(&c->io, client_read_cb, fd, EV_READ);
	c->io.data = c;
	ev_timer_init(&c->timer, client_timeout_cb, CTL_LINE_TIMEOUT, 0);
	c->timer.data = c;
	return c;
}

static size_t
count_clients(const struct master *m, bool refused)
{
	size_t n = 0;

	for (const struct edged_ctl *c = m->clients; c != NULL; c = c->next)
		n += c->refused == refused;
	return n;
}

/* One warning a second at most, with the count since the last: a flood
 * must not flood the log as well.  (The master is one per process.) */
static void
warn_refused(struct master *m)
{
	m->ctl_refused++;
	if (ev_now(m->loop) - m->ctl_refused_logged < 1.0)
		return;
	log_warn("control socket: %lu client%s refused: too many control "
	    "clients (%d) at a time", m->ctl_refused,
	    m->ctl_refused == 1 ? "" : "s", CTL_CLIENTS_MAX);
	m->ctl_refused_logged = ev_now(m->loop);
	m->ctl_refused = 0;
}

/* Answers fd that there are too many clients; keeps it a moment while
 * there is room for that, so that its command meets an open socket,
 * else closes it. */
static void
refuse_client(struct master *m, int fd)
{
	static const char text[] = "ERROR\ntoo many control clients "
	    "(" CTL_STR(CTL_CLIENTS_MAX) "); try again\n";
	struct edged_ctl *c;

	warn_refused(m);
	(void)io_write_all(fd, text, sizeof(text) - 1);
	if (count_clients(m, true) >= CTL_REFUSED_MAX ||
	    shutdown(fd, SHUT_WR) < 0 || (c = client_new(m, fd)) == NULL) {
		(void)close(fd);
		return;
	}
	c->refused = true;
	ev_set_cb(&c->io, refused_read_cb);
	ev_timer_set(&c->timer, CTL_REFUSED_LINGER, 0);
	ev_io_start(m->loop, &c->io);
	ev_timer_start(m->loop, &c->timer);
}

static void
accept_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct master *m = io->data;
	struct timeval tv = { 2, 0 };
	struct edged_ctl *c;
	int fd;

	(void)loop;
	(void)revents;
	fd = accept4(m->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (count_clients(m, false) >= CTL_CLIENTS_MAX) {
		refuse_client(m, fd);
		return;
	}
	if ((c = client_new(m, fd)) == NULL)
		return;
	ev_io_start(m->loop, &c->io);
	ev_timer_start(m->loop, &c->timer);
}

/* Accepts edgectl clients on the listening socket fd. */
static void
serve(struct master *m, int fd)
{
	m->ctl_fd = fd;
	ev_io_init(&m->ctl_io, accept_cb, fd, EV_READ);
	m->ctl_io.data = m;
	ev_io_start(m->loop, &m->ctl_io);
}

static int
make_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		log_err("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* A socket file whose daemon still answers belongs to a running edged. */
static bool
in_use(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool used;

	if (fd < 0)
		return false;
	used = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	(void)close(fd);
	return used;
}

int
ctl_open(struct master *m, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (make_dir(path) < 0)
		return -1;
	if (in_use(&sun)) {
		log_err("control socket %s is in use: is edged already "
		    "running?", path);
		return -1;
	}
	(void)unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	old = umask(0117);		/* srw-rw----: never world-writable */
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, 16) < 0) {
		umask(old);
		log_err("control socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			(void)close(fd);
		return -1;
	}
	umask(old);
	serve(m, fd);
	return 0;
}

void
ctl_close(struct master *m)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);

	while (m->clients != NULL)
		client_free(m, m->clients);
	if (m->ctl_fd < 0)
		return;
	ev_io_stop(m->loop, &m->ctl_io);
	if (getsockname(m->ctl_fd, (struct sockaddr *)&sun, &len) == 0)
		(void)unlink(sun.sun_path);
	(void)close(m->ctl_fd);
	m->ctl_fd = -1;
}

void
ctl_adopt(struct master *m, int fd)
{
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	serve(m, fd);
}

struct edged_ctl *
ctl_adopt_client(struct master *m, int fd)
{
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	/* its command was read by the old image: only the answer is due,
	 * so its watchers stay stopped */
	return client_new(m, fd);
}

int
ctl_client_fd(const struct edged_ctl *c)
{
	return c->fd;
}
