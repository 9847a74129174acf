/*
 * base/io.h - writing a whole buffer to a blocking descriptor (a file, or
 * a socket with a send timeout).  Both processes ignore SIGPIPE, so a
 * peer that went away is an error here, not a signal.
 */
#ifndef EDGED_IO_H
#define EDGED_IO_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>

/* Returns true when all len bytes went out. */
static inline bool
io_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

#endif /* EDGED_IO_H */
