/*
 * base/file.h - a file read whole, for what the master reads on behalf
 * of an unprivileged worker (certificates, keys, pattern files); a file
 * replaced whole, for what the master writes for another program.
 */
#ifndef EDGED_FILE_H
#define EDGED_FILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Reads the regular file path, of at most max bytes, whole: *data gets
 * its bytes with a NUL after them (the caller's to free), *len their
 * number, *mode (when not NULL) the file's mode.  Returns 0, or -1 with
 * errno: open's and read's, EINVAL for what is not a regular file, EFBIG
 * for a file over max.  Nothing is left allocated after an error, and
 * the bytes read so far are wiped first (a key's among them).
 */
int file_read(const char *path, size_t max, char **data, size_t *len,
    mode_t *mode);

/*
 * Replaces path with len bytes of data, of the given mode, whole or not
 * at all: written beside it (path and ".new"), on disk, then renamed
 * over it.  Returns 0, or -1 with errno (the file left as it was).
 */
int file_replace(const char *path, const void *data, size_t len,
    mode_t mode);

#endif /* EDGED_FILE_H */
