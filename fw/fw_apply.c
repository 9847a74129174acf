/*
 * fw/fw_apply.c - the table into the kernel through libnftables.
 *
 * nftables 1.0.6 has no "delete if it exists", so a replacement is the
 * usual idiom in one buffer, which nft sends as one netlink batch, one
 * kernel transaction:
 *
 *     table inet edged            (creates it if missing: a no-op else)
 *     delete table inet edged     (its chains, sets and counters)
 *     table inet edged { ... }    (the new one)
 *
 * Other tables are never named, so never touched.
 */
#include <nftables/libnftables.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fw_apply.h"
#include "fw_nft.h"

#define FDS_WORDS	64		/* descriptors 0-4095 are watched */

struct fw_kernel {
	struct nft_ctx *nft;
	uint64_t known[FDS_WORDS];	/* descriptors open before libnftables
					 * ran: not its to mark */
};

/*
 * libnftables opens its netlink socket without close-on-exec.  A root
 * netlink socket must not reach the worker, nor pile up in the master
 * across binary upgrades (which exec): every descriptor that appears
 * while libnftables runs is marked close-on-exec.
 */
static void
fds_open(uint64_t *set)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;

	memset(set, 0, FDS_WORDS * sizeof(*set));
	if (dir == NULL)
		return;
	while ((e = readdir(dir)) != NULL) {
		long fd = strtol(e->d_name, NULL, 10);

		if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd >= 0 &&
		    fd < FDS_WORDS * 64 && fd != dirfd(dir))
			set[fd / 64] |= 1ULL << (fd % 64);
	}
	closedir(dir);
}

static void
mark_new_fds(const uint64_t *before)
{
	uint64_t now[FDS_WORDS];

	fds_open(now);
	for (int fd = 0; fd < FDS_WORDS * 64; fd++) {
		uint64_t bit = 1ULL << (fd % 64);

		if ((now[fd / 64] & bit) && !(before[fd / 64] & bit)) {
			int fl = fcntl(fd, F_GETFD);

			if (fl >= 0 && !(fl & FD_CLOEXEC))
				(void)fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
		}
	}
}

struct fw_kernel *
fw_kernel_open(void)
{
	struct fw_kernel *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return NULL;
	fds_open(k->known);
	k->nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (k->nft == NULL) {
		free(k);
		return NULL;
	}
	nft_ctx_buffer_output(k->nft);
	nft_ctx_buffer_error(k->nft);
	mark_new_fds(k->known);
	return k;
}

void
fw_kernel_close(struct fw_kernel **k)
{
	if (*k == NULL)
		return;
	nft_ctx_free((*k)->nft);
	free(*k);
	*k = NULL;
}

/* nft's error text, trimmed to what fits, on one line per message line */
static void
take_error(struct fw_kernel *k, char *err, size_t errsize)
{
	const char *e = nft_ctx_get_error_buffer(k->nft);
	size_t len;

	if (e == NULL || *e == '\0')
		e = "nft failed without a message";
	snprintf(err, errsize, "%s", e);
	len = strlen(err);
	while (len > 0 && err[len - 1] == '\n')
		err[--len] = '\0';
}

static int
run(struct fw_kernel *k, const char *cmds, bool dry, char *err,
    size_t errsize)
{
	int rc;

	nft_ctx_set_dry_run(k->nft, dry);
	rc = nft_run_cmd_from_buffer(k->nft, cmds);
	nft_ctx_set_dry_run(k->nft, false);
	/* it may have reopened its socket */
	mark_new_fds(k->known);
	if (rc != 0) {
		take_error(k, err, errsize);
		return -1;
	}
	return 0;
}

int
fw_kernel_run(struct fw_kernel *k, const char *cmds, char *err,
    size_t errsize)
{
	return run(k, cmds, false, err, errsize);
}

const char *
fw_kernel_query(struct fw_kernel *k, const char *cmds, char *err,
    size_t errsize)
{
	if (run(k, cmds, false, err, errsize) < 0)
		return NULL;
	return nft_ctx_get_output_buffer(k->nft);
}

/*
 * A replacement runs in a context of its own, made for it: a dry run
 * leaves nft's cache believing what it evaluated (our table deleted)
 * while the kernel's generation has not moved, and the long-lived
 * context, which group updates use for their speed, must not inherit
 * that.  It refreshes its cache by itself once the kernel's generation
 * moves.
 */
int
fw_kernel_replace(const char *text, const char *extra, char *err,
    size_t errsize)
{
	struct fw_kernel *once;
	char *batch = NULL;
	int rc;

	if (asprintf(&batch, "table inet %s\ndelete table inet %s\n%s%s",
	    FW_TABLE, FW_TABLE, text, extra != NULL ? extra : "") < 0) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	if ((once = fw_kernel_open()) == NULL) {
		free(batch);
		snprintf(err, errsize, "cannot make a libnftables context");
		return -1;
	}
	/* the check first: the kernel sees the batch, nothing changes */
	rc = run(once, batch, true, err, errsize);
	if (rc == 0)
		rc = run(once, batch, false, err, errsize);
	fw_kernel_close(&once);
	free(batch);
	return rc;
}

bool
fw_wants_forwarding(const struct fw_conf *c)
{
	if (c->nnats > 0)
		return true;
	for (size_t i = 0; i < c->nrules; i++)
		if (!c->rules[i].sel.dst.self)
			return true;
	return false;
}

static int
write_one(const char *path, char *err, size_t errsize)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = write(fd, "1\n", 2);
	if (n != 2) {
		snprintf(err, errsize, "%s: %s", path, n < 0 ?
		    strerror(errno) : "short write");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
fw_enable_forwarding(char *err, size_t errsize)
{
	if (write_one("/proc/sys/net/ipv4/ip_forward", err, errsize) < 0)
		return -1;
	/* a kernel without IPv6 has no such file: IPv4 is enough then */
	if (access("/proc/sys/net/ipv6/conf/all/forwarding", F_OK) == 0 &&
	    write_one("/proc/sys/net/ipv6/conf/all/forwarding", err,
	    errsize) < 0)
		return -1;
	return 0;
}
