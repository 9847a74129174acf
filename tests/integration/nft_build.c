/*
 * tests/integration/nft_build.c - fw/fw_build.c against the kernel
 * (scenario 67 runs it): nft_build FILE applies FILE, the nft text of
 * table inet edged as `edged -n` prints it ("-": standard input), in the
 * current network namespace as the master does without libnftables:
 * fw_build_table into one nfnetlink transaction, committed whole.
 *
 * nft_build OLD FILE applies OLD, then the change from OLD to FILE as a
 * reload sends it (fw_build_update: what changed only).
 *
 * Exit status: 0 applied; 1 the builder or the kernel refused it, said
 * on stderr as "nft_build: WHY"; 2 a usage or I/O error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fw_build.h"
#include "fw_netlink.h"
#include "fw_nft.h"

#define READ_CHUNK	65536

/*
 * Reads fd to its end into a buffer of its own, a NUL after the bytes:
 * the text (the caller's to free), or NULL with errno (read's, ENOMEM).
 */
static char *
read_all(int fd, size_t *len)
{
	size_t cap = 0;
	char *buf = NULL, *p;
	ssize_t n;
	int e;

	*len = 0;
	for (;;) {
		/* room for at least one byte and the NUL */
		if (cap - *len < 2) {
			cap = cap == 0 ? READ_CHUNK : cap * 2;
			if ((p = realloc(buf, cap)) == NULL)
				goto fail_buf;
			buf = p;
		}
		n = read(fd, buf + *len, cap - *len - 1);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail_buf;
		*len += (size_t)n;
	}
	buf[*len] = '\0';
	return buf;

fail_buf:
	e = errno;
	free(buf);
	errno = e;
	return NULL;
}

/*
 * The text of path ("-": standard input) in *text, the caller's to free:
 * 0, or -1 said on stderr.  A NUL byte in it is refused: the builder
 * reads a C string, and would quietly take only the part before it.
 */
static int
read_text(const char *path, char **text)
{
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = STDIN_FILENO, e;
	size_t len;

	if (!is_stdin && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		goto fail;
	*text = read_all(fd, &len);
	e = errno;
	/* read-only: close has nothing left to lose */
	if (!is_stdin)
		(void)close(fd);
	errno = e;
	if (*text == NULL)
		goto fail;
	if (strlen(*text) != len) {
		fprintf(stderr, "nft_build: %s: a NUL byte in the text\n",
		    path);
		free(*text);
		return -1;
	}
	return 0;

fail:
	fprintf(stderr, "nft_build: %s: %s\n", path, strerror(errno));
	return -1;
}

/* One transaction: text whole, or (old != NULL) the change from old,
 * which st describes.  0, or -1 said on stderr. */
static int
send_one(struct fw_nl *nl, const char *old, const char *text,
    struct fw_build_state *st)
{
	char err[512] = "";
	size_t changes = 0;
	int rc = 1;

	fw_nl_begin(nl, FW_TABLE);
	if (old != NULL)
		rc = fw_build_update(nl, old, text, st, &changes, err,
		    sizeof(err));
	if (rc == 1) {
		fw_nl_begin(nl, FW_TABLE);
		rc = fw_build_table(nl, text, st, err, sizeof(err));
	}
	if (rc < 0) {
		fprintf(stderr, "nft_build: cannot build: %s\n", err);
		return -1;
	}
	if (fw_nl_commit(nl, err, sizeof(err)) < 0) {
		fprintf(stderr, "nft_build: kernel refused: %s\n", err);
		return -1;
	}
	if (old != NULL)
		printf("%s %zu\n", changes > 0 ? "changed" : "whole",
		    changes);
	return 0;
}

/*
 * The master's apply, step for step: nothing is committed unless the
 * whole text was built, and the kernel takes all of the batch or none;
 * with old, old whole first, then what changed from it to text, as a
 * reload sends it (on stdout: "changed N", N messages; "whole 0" when
 * the builder sent the whole table instead).  0, or -1 said on stderr.
 */
static int
apply(const char *old, const char *text)
{
	char err[512] = "";
	struct fw_build_state *st = fw_build_state_new();
	struct fw_nl *nl;
	int rc = -1;

	if (st == NULL || (nl = fw_nl_open(err, sizeof(err))) == NULL) {
		fprintf(stderr, "nft_build: %s\n", st == NULL ?
		    "out of memory" : err);
		fw_build_state_free(&st);
		return -1;
	}
	if (old == NULL || send_one(nl, NULL, old, st) == 0)
		rc = send_one(nl, old, text, st);
	fw_nl_close(&nl);
	fw_build_state_free(&st);
	return rc;
}

int
main(int argc, char **argv)
{
	char *text, *old = NULL;
	int rc;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: nft_build [OLD] FILE (\"-\": "
		    "stdin)\n");
		return 2;
	}
	if (argc == 3 && read_text(argv[1], &old) < 0)
		return 2;
	if (read_text(argv[argc - 1], &text) < 0) {
		free(old);
		return 2;
	}
	rc = apply(old, text) == 0 ? 0 : 1;
	free(old);
	free(text);
	return rc;
}
