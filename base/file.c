/*
 * base/file.c - a file read whole (file.h).
 */
#include <errno.h>
#include <fcntl.h>
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
