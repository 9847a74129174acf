/*
 * base/file.c - a file read whole, a file replaced whole (file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

static int
read_all(int fd, size_t size, char **data, size_t *len)
{
	char *p = malloc(size + 1);
	size_t got = 0;
	ssize_t n = 0;

	if (p == NULL)
		return -1;
	while (got < size && ((n = read(fd, p + got, size - got)) > 0 ||
	    (n < 0 && errno == EINTR)))
		got += n > 0 ? (size_t)n : 0;
	if (n < 0) {
		int e = errno;

		explicit_bzero(p, got);
		free(p);
		errno = e;
		return -1;
	}
	p[got] = '\0';
	*data = p;
	*len = got;
	return 0;
}

int
file_read(const char *path, size_t max, char **data, size_t *len,
    mode_t *mode)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), e;
	struct stat st;
	int rc = -1;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto close_fd;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto close_fd;
	}
	if ((unsigned long long)st.st_size > max) {
		errno = EFBIG;
		goto close_fd;
	}
	if (mode != NULL)
		*mode = st.st_mode;
	rc = read_all(fd, (size_t)st.st_size, data, len);
close_fd:
	e = errno;
	(void)close(fd);
	errno = e;
	return rc;
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
file_replace(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[4096];
	int fd, e;

	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    mode);
	if (fd < 0)
		return -1;
	/* the mode whatever the umask, and on disk before the rename: a
	 * crash leaves the old file or the new one, whole */
	if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 ||
	    fsync(fd) < 0) {
		e = errno;
		(void)close(fd);
		(void)unlink(tmp);
		errno = e;
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		e = errno;
		(void)unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}
