/*
 * tests/fuzz/capture/nft-capture.c - records the kernel's nfnetlink
 * answers to what fw/fw_netlink.c asks, one file per datagram, as seeds
 * for fuzz_nft_reply: a dump of table inet edged's counter objects, the
 * dump of a table that is not there, and set element batches that are
 * accepted and refused.  Run by nft-capture.sh, in a network namespace
 * of its own; not part of the build.
 *
 * usage: nft-capture OUTDIR
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

static uint8_t msg[65536], rbuf[65536];
static size_t mlen;
static uint32_t seq = 1000;

static size_t
put(const void *p, size_t n)
{
	size_t off = mlen;

	memset(msg + mlen, 0, NLMSG_ALIGN(n));
	if (p != NULL)
		memcpy(msg + mlen, p, n);
	mlen += NLMSG_ALIGN(n);
	return off;
}

static size_t
start(uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id)
{
	struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = flags,
	    .nlmsg_seq = seq++ };
	struct nfgenmsg g = { .nfgen_family = family,
	    .version = NFNETLINK_V0, .res_id = htons(res_id) };
	size_t off = put(&h, sizeof(h));

	put(&g, sizeof(g));
	return off;
}

static void
end(size_t off)
{
	((struct nlmsghdr *)(msg + off))->nlmsg_len = (uint32_t)(mlen - off);
}

static void
attr(uint16_t type, const void *data, size_t n)
{
	struct nlattr a = { .nla_type = type,
	    .nla_len = (uint16_t)(NLA_HDRLEN + n) };

	put(&a, sizeof(a));
	mlen -= NLA_ALIGN(sizeof(a));
	mlen += NLA_HDRLEN;
	put(data, n);
}

static size_t
nest(uint16_t type)
{
	struct nlattr a = { .nla_type = type | NLA_F_NESTED };

	return put(&a, sizeof(a));
}

static void
nest_end(size_t off)
{
	((struct nlattr *)(msg + off))->nla_len = (uint16_t)(mlen - off);
}

static void
elems(uint16_t type, const char *set, const char *const *addrs)
{
	uint16_t flags = NLM_F_REQUEST | NLM_F_ACK |
	    (type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0);
	size_t off = start((NFNL_SUBSYS_NFTABLES << 8) | type, flags,
	    NFPROTO_INET, 0);

	attr(NFTA_SET_ELEM_LIST_TABLE, "edged", 6);
	attr(NFTA_SET_ELEM_LIST_SET, set, strlen(set) + 1);
	if (addrs != NULL && addrs[0] != NULL) {
		size_t list = nest(NFTA_SET_ELEM_LIST_ELEMENTS);

		for (size_t i = 0; addrs[i] != NULL; i++) {
			uint8_t a[16];
			int v6 = strchr(addrs[i], ':') != NULL;
			size_t el = nest(NFTA_LIST_ELEM);
			size_t key = nest(NFTA_SET_ELEM_KEY);

			if (inet_pton(v6 ? AF_INET6 : AF_INET, addrs[i], a) != 1)
				abort();
			attr(NFTA_DATA_VALUE, a, v6 ? 16 : 4);
			nest_end(key);
			nest_end(el);
		}
		nest_end(list);
	}
	end(off);
}

static void
batch_edge(uint16_t type)
{
	end(start(type, NLM_F_REQUEST, AF_UNSPEC, NFNL_SUBSYS_NFTABLES));
}

static void
dump_request(const char *table)
{
	uint32_t type = htonl(NFT_OBJECT_COUNTER);
	size_t off = start((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETOBJ,
	    NLM_F_REQUEST | NLM_F_DUMP, NFPROTO_INET, 0);

	attr(NFTA_OBJ_TABLE, table, strlen(table) + 1);
	attr(NFTA_OBJ_TYPE, &type, sizeof(type));
	end(off);
}

/* Sends msg, writes each answer datagram to OUTDIR/NAME-N.bin until
 * none comes for a while, or a DONE. */
static void
exchange(int fd, const char *dir, const char *name)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	char path[512];
	int n = 0;

	if (sendto(fd, msg, mlen, 0, (struct sockaddr *)&to,
	    sizeof(to)) != (ssize_t)mlen) {
		perror("sendto");
		exit(1);
	}
	for (;;) {
		ssize_t r = recv(fd, rbuf, sizeof(rbuf), 0);
		FILE *f;

		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r < 0) {
			perror("recv");
			exit(1);
		}
		snprintf(path, sizeof(path), "%s/%s-%d.bin", dir, name, ++n);
		if ((f = fopen(path, "wb")) == NULL ||
		    fwrite(rbuf, 1, (size_t)r, f) != (size_t)r ||
		    fclose(f) != 0) {
			perror(path);
			exit(1);
		}
		printf("%s: %zd bytes\n", path, r);
	}
	mlen = 0;
}

int
main(int argc, char **argv)
{
	static const char *const add4[] = { "192.0.2.1", "192.0.2.2", NULL };
	static const char *const absent4[] = { "198.51.100.9", NULL };
	static const char *const add6[] = { "2001:db8::1", NULL };
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_usec = 300000 };
	int one = 1, fd;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("netlink");
		return 1;
	}
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	dump_request("edged");
	exchange(fd, argv[1], "dump");
	dump_request("nosuchtable");
	exchange(fd, argv[1], "dump-notable");

	batch_edge(NFNL_MSG_BATCH_BEGIN);
	elems(NFT_MSG_NEWSETELEM, "blocklist", add4);
	elems(NFT_MSG_NEWSETELEM, "blocklist6", add6);
	elems(NFT_MSG_DELSETELEM, "blocklist", add4);
	batch_edge(NFNL_MSG_BATCH_END);
	exchange(fd, argv[1], "batch-ok");

	batch_edge(NFNL_MSG_BATCH_BEGIN);
	elems(NFT_MSG_NEWSETELEM, "blocklist", add4);
	elems(NFT_MSG_DELSETELEM, "blocklist", absent4);
	elems(NFT_MSG_NEWSETELEM, "nosuchset", add4);
	batch_edge(NFNL_MSG_BATCH_END);
	exchange(fd, argv[1], "batch-refused");

	batch_edge(NFNL_MSG_BATCH_BEGIN);
	elems(NFT_MSG_DELSETELEM, "blocklist", NULL);
	elems(NFT_MSG_DELSETELEM, "blocklist6", NULL);
	batch_edge(NFNL_MSG_BATCH_END);
	exchange(fd, argv[1], "batch-flush");
	close(fd);
	return 0;
}
