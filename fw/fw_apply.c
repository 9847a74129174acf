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

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fw_apply.h"
#include "fw_nft.h"

/*
 * Runs cmds in a libnftables context made for them and freed after:
 * no cache outlives a call (a refused batch leaves one believing what
 * it evaluated), and no netlink socket either (libnftables opens its
 * own without close-on-exec; nft_ctx_free closes it, so it never
 * reaches the worker or an upgraded binary).  With out, nft's output
 * is copied there (malloc'd, the caller's).  0, or -1 with nft's error
 * in err.
 */
static int
run(const char *cmds, char **out, char *err, size_t errsize)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	const char *text;
	int rc;

	if (nft == NULL) {
		snprintf(err, errsize, "cannot make a libnftables context");
		return -1;
	}
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	rc = nft_run_cmd_from_buffer(nft, cmds) == 0 ? 0 : -1;
	if (rc < 0) {
		size_t len;

		text = nft_ctx_get_error_buffer(nft);
		snprintf(err, errsize, "%s", text != NULL && *text != '\0' ?
		    text : "nft failed without a message");
		len = strlen(err);
		while (len > 0 && err[len - 1] == '\n')
			err[--len] = '\0';
	} else if (out != NULL) {
		text = nft_ctx_get_output_buffer(nft);
		if ((*out = strdup(text != NULL ? text : "")) == NULL) {
			snprintf(err, errsize, "out of memory");
			rc = -1;
		}
	}
	nft_ctx_free(nft);
	return rc;
}

int
fw_kernel_has_table(void)
{
	char err[256], *out = NULL;
	int rc = -1;

	if (run("list tables", &out, err, sizeof(err)) == 0)
		rc = strstr(out, "table inet " FW_TABLE "\n") != NULL;
	free(out);
	return rc;
}

/*
 * One pass is the check and the apply: libnftables parses and evaluates
 * the whole batch before it sends anything (an error there sends
 * nothing), and the kernel validates every message of the batch before
 * it commits any (an error there aborts the whole transaction).  A dry
 * run first would only do both twice, for no more safety: a batch the
 * dry run accepts can still be refused, and a refused one changes
 * nothing either way.
 */
int
fw_kernel_replace(const char *text, const char *extra, char *err,
    size_t errsize)
{
	char *batch = NULL;
	int rc;

	if (asprintf(&batch, "table inet %s\ndelete table inet %s\n%s%s",
	    FW_TABLE, FW_TABLE, text, extra != NULL ? extra : "") < 0) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	rc = run(batch, NULL, err, errsize);
	free(batch);
	return rc;
}

int
fw_kernel_remove(char *err, size_t errsize)
{
	/* the replacement idiom with nothing after the delete */
	return fw_kernel_replace("", NULL, err, errsize);
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

int
fw_sysctl_write(const char *path, const char *value, char *err,
    size_t errsize)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(value);
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = write(fd, value, len);
	if (n < 0 || (size_t)n != len) {
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
	if (fw_sysctl_write("/proc/sys/net/ipv4/ip_forward", "1\n", err,
	    errsize) < 0)
		return -1;
	/* a kernel without IPv6 has no such file: IPv4 is enough then */
	if (access("/proc/sys/net/ipv6/conf/all/forwarding", F_OK) == 0 &&
	    fw_sysctl_write("/proc/sys/net/ipv6/conf/all/forwarding", "1\n",
	    err, errsize) < 0)
		return -1;
	return 0;
}
