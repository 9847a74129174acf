/*
 * base/slots.c - two slot files written in turn (slots.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "slots.h"

#define SLOT_STEP	16384		/* a slot's size: a multiple of it */
#define HEAD_MAX	96

static uint64_t
fnv1a(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The header line of a slot holding data: its length. */
static int
head(char *buf, uint64_t gen, const char *data, size_t len)
{
	return snprintf(buf, HEAD_MAX, "# edged state: generation %" PRIu64
	    ", %zu bytes, check %016" PRIx64 "\n", gen, len,
	    fnv1a(data, len));
}

static void
slot_path(char *buf, const char *path, uint64_t gen)
{
	snprintf(buf, SLOTS_PATH_MAX + 8, "%s.%u", path, (unsigned)(gen % 2));
}

int
slots_parse(char *buf, size_t flen, size_t *len, uint64_t *gen)
{
	char want[HEAD_MAX], *nl;
	size_t hlen, dlen;
	uint64_t g;

	/* the header as head() writes it, byte for byte: sscanf alone
	 * would take spaces, signs and leading zeros */
	if ((nl = memchr(buf, '\n', flen < HEAD_MAX ? flen : HEAD_MAX)) ==
	    NULL || sscanf(buf, "# edged state: generation %" SCNu64 ", %zu "
	    "bytes", &g, &dlen) != 2)
		return 1;
	hlen = (size_t)(nl - buf) + 1;
	if (dlen > flen - hlen || (size_t)head(want, g, buf + hlen, dlen) !=
	    hlen || memcmp(want, buf, hlen) != 0)
		return 1;
	memmove(buf, buf + hlen, dlen);
	buf[dlen] = '\0';
	*len = dlen;
	*gen = g;
	return 0;
}

/* The slot at p, whole: 0 (its text in *buf), 1 torn or not there, -1
 * unreadable. */
static int
slot_read(const char *p, size_t max, char **buf, size_t *len, uint64_t *gen)
{
	size_t flen;

	*buf = NULL;
	if (file_read(p, max, buf, &flen, NULL) < 0)
		return errno == ENOENT ? 1 : -1;
	if (slots_parse(*buf, flen, len, gen) == 0)
		return 0;
	free(*buf);
	*buf = NULL;
	return 1;
}

int
slots_read(const char *path, size_t max, char **data, size_t *len,
    uint64_t *gen)
{
	char p[SLOTS_PATH_MAX + 8], *text[2];
	size_t tlen[2] = { 0, 0 };
	uint64_t g[2] = { 0, 0 };
	int r[2], e = 0;

	for (unsigned i = 0; i < 2; i++) {
		slot_path(p, path, i);
		/* the first slot's error, not what reading the second left */
		if ((r[i] = slot_read(p, max, &text[i], &tlen[i], &g[i])) < 0 &&
		    e == 0)
			e = errno;
	}
	if (r[0] < 0 || r[1] < 0) {
		free(text[0]);
		free(text[1]);
		errno = e;
		return -1;
	}
	*data = NULL;
	*gen = 0;
	for (unsigned i = 0; i < 2; i++)
		if (r[i] == 0 && (*data == NULL || g[i] > *gen)) {
			free(*data);
			*data = text[i];
			*len = tlen[i];
			*gen = g[i];
		} else {
			free(text[i]);
		}
	return *data != NULL ? 0 : 1;
}

static int
pwrite_all(int fd, const char *p, size_t len)
{
	off_t off = 0;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A new file's name on disk: its directory fsynced. */
static int
sync_dir(const char *p)
{
	char copy[SLOTS_PATH_MAX + 8];
	int fd, rc, e;

	snprintf(copy, sizeof(copy), "%s", p);
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	e = errno;
	(void)close(fd);
	errno = e;
	return rc;
}

int
slots_write(const char *path, uint64_t gen, const void *data, size_t len)
{
	char p[SLOTS_PATH_MAX + 8], h[HEAD_MAX], *buf;
	size_t hlen, need, size;
	bool created = false;
	struct stat st;
	int fd, rc = -1, e;

	if (strlen(path) >= SLOTS_PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	slot_path(p, path, gen);
	hlen = (size_t)head(h, gen, data, len);
	need = hlen + len;
	if ((fd = open(p, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno != ENOENT || (fd = open(p, O_RDWR | O_CREAT |
		    O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
			return -1;
		created = true;
	}
	if (fstat(fd, &st) < 0)
		goto close_fd;
	size = (size_t)st.st_size;
	if (need > size)		/* with room for half as much again */
		size = (need + need / 2 + SLOT_STEP - 1) / SLOT_STEP *
		    SLOT_STEP;
	if ((buf = malloc(size)) == NULL)
		goto close_fd;
	memcpy(buf, h, hlen);
	memcpy(buf + hlen, data, len);
	memset(buf + need, '\n', size - need);
	rc = pwrite_all(fd, buf, size);
	free(buf);
	/* into room the file had: its data alone to disk; grown: its size
	 * (and blocks) too */
	if (rc == 0)
		rc = size == (size_t)st.st_size ? fdatasync(fd) : fsync(fd);
close_fd:
	e = errno;
	(void)close(fd);
	if (rc == 0 && created && (rc = sync_dir(p)) < 0)
		e = errno;
	if (rc < 0 && created)
		(void)unlink(p);
	errno = e;
	return rc;
}
