/*
 * base/slots.h - state kept on disk as two slot files written in turn,
 * PATH.0 and PATH.1, for what must be on disk before edged answers and
 * is saved at every change (the members of dynamic address groups).
 *
 * Generation g goes into slot g % 2, over the older of the two: one write
 * into room the file already has, then fdatasync, which asks nothing of
 * the file system's journal.  A new file written and renamed over the
 * old one costs a journal commit for the new file and another for the
 * rename, each a millisecond or more on a VM's disk.  A crash or a power
 * loss during a write leaves that slot torn, and the other one, the
 * previous generation, whole: a header line holds the generation, the
 * length and an FNV-1a check of the text, and a slot whose check fails
 * is not read.  A slot grows (in 16 KiB steps, with room to spare) only
 * when the text outgrows it, and then is fsynced, with its directory when
 * it was new: so a full disk refuses a save only when the text grew.
 */
#ifndef EDGED_SLOTS_H
#define EDGED_SLOTS_H

#include <stddef.h>
#include <stdint.h>

/* Room for PATH and ".0" in the callers' buffers. */
#define SLOTS_PATH_MAX	1024

/*
 * Reads the newer whole slot of path: *data gets its text with a NUL
 * after it (the caller's to free), *len its length, *gen its generation.
 * Returns 0; 1 when neither slot is there whole (*data NULL, *gen 0);
 * -1 with errno when a slot could not be read (not there is not an
 * error; a torn one is skipped).
 */
int slots_read(const char *path, size_t max, char **data, size_t *len,
    uint64_t *gen);

/*
 * One slot file's bytes (buf, flen of them, a NUL after them) read in
 * place: when its header is whole and its check holds, its text is moved
 * to the front of buf (NUL ended), its length in *len, its generation
 * in *gen, and 0 is returned; 1 for a torn slot (buf as it was, or
 * moved: not to be read again).
 */
int slots_parse(char *buf, size_t flen, size_t *len, uint64_t *gen);

/*
 * Writes data (len bytes) as generation gen of path, into slot gen % 2
 * (mode 0600).  Returns 0 once it is on disk, or -1 with errno: the
 * other slot, the previous generation, is untouched either way.
 */
int slots_write(const char *path, uint64_t gen, const void *data,
    size_t len);

#endif /* EDGED_SLOTS_H */
