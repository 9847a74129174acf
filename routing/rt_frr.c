/*
 * routing/rt_frr.c - edged's section of frr.conf put in force (rt_frr.h):
 * merged into the operator's file, checked with vtysh -C, applied with
 * frr-reload.py, which has the daemons change only what differs.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "file.h"
#include "proc.h"
#include "rt_frr.h"

/* frr.conf's size edged reads at most */
#define FRR_CONF_MAX	(64 * 1024 * 1024)
/* what vtysh and frr-reload.py may take (a bgpd busy with a full table
 * answers slowly) */
#define CHECK_TIMEOUT	30.0
#define RELOAD_TIMEOUT	120.0

/* ---- the section ---- */

static bool
line_starts(const char *line, const char *end, const char *with)
{
	size_t n = strlen(with);

	return (size_t)(end - line) >= n && memcmp(line, with, n) == 0;
}

char *
rt_frr_merge(const char *text, size_t len, const char *section, char *err,
    size_t errsize)
{
	size_t slen = section != NULL ? strlen(section) : 0, olen = 0;
	char *out = malloc(len + slen + 2);
	const char *p = text, *end = text + len;
	bool inside = false;
	unsigned line = 0, began = 0;

	if (out == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl + 1 : end;

		line++;
		if (!inside && line_starts(p, eol, RT_FRR_BEGIN)) {
			inside = true;
			began = line;
		} else if (inside && line_starts(p, eol, RT_FRR_END))
			inside = false;
		else if (!inside) {
			memcpy(out + olen, p, (size_t)(eol - p));
			olen += (size_t)(eol - p);
		}
		p = eol;
	}
	if (inside) {
		snprintf(err, errsize, "line %u begins edged's section (\"%s\")"
		    " but no line ends it (\"%s\"): mend the file by hand",
		    began, RT_FRR_BEGIN, RT_FRR_END);
		free(out);
		return NULL;
	}
	if (olen > 0 && out[olen - 1] != '\n')
		out[olen++] = '\n';
	memcpy(out + olen, section != NULL ? section : "", slen);
	out[olen + slen] = '\0';
	return out;
}

void
rt_frr_redact(char *text, const struct rt_conf *c)
{
	for (size_t i = 0; i < c->bgp.nnb; i++) {
		const char *pw = c->bgp.nb[i].password;
		size_t n = strlen(pw);
		char *p = text;

		while (n > 0 && (p = strstr(p, pw)) != NULL) {
			memset(p, '*', n);
			p += n;
		}
	}
}

/* ---- files ---- */

/* frr-config's text, "" when there is none yet; NULL with err. */
static char *
read_conf(const struct rt_conf *c, size_t *len, char *err, size_t errsize)
{
	char *text;

	if (file_read(c->frr_config, FRR_CONF_MAX, &text, len, NULL) == 0)
		return text;
	if (errno == ENOENT && (text = calloc(1, 1)) != NULL) {
		*len = 0;
		return text;
	}
	snprintf(err, errsize, "cannot read %s: %s", c->frr_config,
	    strerror(errno));
	return NULL;
}

/* Writes text to a new file beside frr-config, with its owner and mode
 * (or its directory's owner, mode 0640: FRR's own); its name into tmp.
 * 0, or -1 with err. */
static int
write_beside(const struct rt_conf *c, const char *text, char *tmp,
    size_t tmpsize, char *err, size_t errsize)
{
	struct stat st;
	size_t len = strlen(text), off = 0;
	char dir[PATH_MAX];
	int fd;

	if ((size_t)snprintf(tmp, tmpsize, "%s.edged-XXXXXX",
	    c->frr_config) >= tmpsize) {
		snprintf(err, errsize, "%s: too long a path", c->frr_config);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", c->frr_config);
	if (stat(c->frr_config, &st) < 0 && stat(dirname(dir), &st) == 0)
		st.st_mode = 0640;
	if ((fd = mkstemp(tmp)) < 0) {
		snprintf(err, errsize, "cannot write beside %s: %s",
		    c->frr_config, strerror(errno));
		return -1;
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (off < len || fchmod(fd, st.st_mode & 0777) < 0 ||
	    fchown(fd, st.st_uid, st.st_gid) < 0 || fsync(fd) < 0) {
		snprintf(err, errsize, "cannot write %s: %s", tmp,
		    strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	return 0;
}

/* frr-config as it would be with section, written beside it (tmp). */
static int
merged_beside(const struct rt_conf *c, const char *section, char *tmp,
    size_t tmpsize, char *err, size_t errsize)
{
	size_t len;
	char *text = read_conf(c, &len, err, errsize), *merged;
	int rc;

	if (text == NULL)
		return -1;
	merged = rt_frr_merge(text, len, section, err, errsize);
	free(text);
	if (merged == NULL)
		return -1;
	rc = write_beside(c, merged, tmp, tmpsize, err, errsize);
	free(merged);
	return rc;
}

/* ---- FRR's programs ---- */

/* The config directory frr-reload.py and vtysh read vtysh.conf in. */
static void
conf_dir(const struct rt_conf *c, char *dir, size_t size)
{
	char copy[PATH_MAX];

	snprintf(copy, sizeof(copy), "%s", c->frr_config);
	snprintf(dir, size, "%s", dirname(copy));
}

/* Its last lines fit err: what a program said, secrets hidden. */
static void
said(const struct rt_conf *c, const char *what, char *out, char *err,
    size_t errsize)
{
	size_t len;

	rt_frr_redact(out, c);
	len = strlen(out);
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
	for (char *p = out; *p != '\0'; p++)
		if (*p == '\n')
			*p = ';';
	if (len + 64 > errsize)
		out += len + 64 - errsize;
	snprintf(err, errsize, "%s: %s", what, len > 0 ? out :
	    "(it said nothing)");
}

int
rt_frr_check(const struct rt_conf *c, const char *section, char *err,
    size_t errsize)
{
	char tmp[PATH_MAX + 16], dir[PATH_MAX], out[4096];
	const char *argv[] = { RT_VTYSH, "--config_dir", dir, "-C", "-f",
	    tmp, NULL };
	int rc;

	if (merged_beside(c, section, tmp, sizeof(tmp), err, errsize) < 0)
		return -1;
	conf_dir(c, dir, sizeof(dir));
	rc = proc_run(argv, CHECK_TIMEOUT, out, sizeof(out));
	unlink(tmp);
	if (rc == 0)
		return 0;
	said(c, "FRR's vtysh -C refuses it", out, err, errsize);
	return -1;
}

/* Whether zebra answers on its vty socket: FRR runs. */
static bool
frr_running(const struct rt_conf *c)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool up;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/zebra.vty",
	    c->vty_socket);
	up = fd >= 0 && connect(fd, (struct sockaddr *)&sun,
	    sizeof(sun)) == 0;
	if (fd >= 0)
		close(fd);
	return up;
}

/* frr-reload.py --reload FILE: 0, or -1 with what it said in out */
static int
frr_reload(const struct rt_conf *c, const char *file, char *out,
    size_t size)
{
	char dir[PATH_MAX];
	const char *argv[] = { RT_FRR_RELOAD, "--reload", "--stdout",
	    "--log-level", "error", "--confdir", dir, "--vty_socket",
	    c->vty_socket, "--rundir", c->vty_socket, file, NULL };

	conf_dir(c, dir, sizeof(dir));
	return proc_run(argv, RELOAD_TIMEOUT, out, size) == 0 ? 0 : -1;
}

int
rt_frr_apply(const struct rt_conf *c, const char *section, char *err,
    size_t errsize)
{
	char tmp[PATH_MAX + 16], out[4096], back[4096];

	if (merged_beside(c, section, tmp, sizeof(tmp), err, errsize) < 0)
		return -1;
	if (frr_reload(c, tmp, out, sizeof(out)) < 0) {
		if (!frr_running(c) && rename(tmp, c->frr_config) == 0)
			return 1;
		said(c, "FRR's frr-reload.py refuses it", out, err, errsize);
		unlink(tmp);
		/* it may have applied a part: the file in force again */
		if (access(c->frr_config, F_OK) == 0 &&
		    frr_reload(c, c->frr_config, back, sizeof(back)) < 0)
			snprintf(err + strlen(err), errsize - strlen(err),
			    "; and FRR could not be put back to %s",
			    c->frr_config);
		return -1;
	}
	if (rename(tmp, c->frr_config) < 0) {
		snprintf(err, errsize, "cannot replace %s: %s",
		    c->frr_config, strerror(errno));
		unlink(tmp);
		if (frr_reload(c, c->frr_config, back, sizeof(back)) < 0)
			snprintf(err + strlen(err), errsize - strlen(err),
			    "; and FRR could not be put back to it");
		return -1;
	}
	return 0;
}

bool
rt_frr_has_section(const struct rt_conf *c)
{
	size_t len;
	char err[64], *text = read_conf(c, &len, err, sizeof(err));
	bool has = false;

	for (const char *p = text; p != NULL && !has &&
	    (p = strstr(p, RT_FRR_BEGIN)) != NULL; p++)
		has = p == text || p[-1] == '\n';
	free(text);
	return has;
}
