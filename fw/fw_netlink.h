/*
 * fw/fw_netlink.h - the two things the master does to table inet edged
 * often, spoken to the kernel directly in nfnetlink: changing a set's
 * elements (edgectl group) and reading the named counters (edgectl show
 * firewall, the metrics).
 *
 * libnftables would do both, but first reads the table into its cache,
 * every set element included: next to a 100,000-member group that is
 * hundreds of milliseconds for a one-address change.  These messages
 * name the set or the table and nothing else.  The master's only.
 */
#ifndef EDGED_FW_NETLINK_H
#define EDGED_FW_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw_conf.h"

struct fw_nl;
struct fw_range;

#define FW_NL_ELEM_MAX	20		/* an IPv6 address and a port */

/* A NETLINK_NETFILTER socket (close-on-exec), or NULL with err. */
struct fw_nl *fw_nl_open(char *err, size_t errsize);
void fw_nl_close(struct fw_nl **nl);

/*
 * The kernel's nftables change notices (what `nft monitor` reads), for
 * the master to notice its table changed by something else:
 * fw_nl_watch_open gives a non-blocking, close-on-exec socket subscribed
 * to them, or -1 with err (subscribing needs CAP_NET_ADMIN).
 *
 * The kernel sends each committed transaction (a generation) as the
 * messages of its changes, each naming its table, then NEWGEN with the
 * pid and name of the process that committed it.  fw_nl_parse_notices
 * reads one datagram of them: a generation that changed table inet
 * `table` and was not committed by self gives FW_NL_CHANGED, or
 * FW_NL_REMOVED when it deleted the table; g carries a generation's
 * messages over to the datagram that ends it.  fw_nl_watch_drain reads
 * what is queued (a bounded number of datagrams a call) and gives the
 * worst verdict, FW_NL_LOST when the socket's queue overflowed (notices
 * were lost: whether the table changed cannot be told).
 */
enum fw_nl_verdict {
	FW_NL_NONE,
	FW_NL_CHANGED,
	FW_NL_REMOVED,
	FW_NL_LOST,
};
struct fw_nl_self {
	uint32_t pid;
	char name[16];			/* the process's name (comm) */
};
struct fw_nl_gen {
	bool touched;			/* named the table */
	bool deleted;			/* deleted it */
};
int fw_nl_watch_open(char *err, size_t errsize);
enum fw_nl_verdict fw_nl_watch_drain(int fd, const char *table,
    const struct fw_nl_self *self, struct fw_nl_gen *g);
enum fw_nl_verdict fw_nl_parse_notices(const void *buf, size_t len,
    const char *table, const struct fw_nl_self *self, struct fw_nl_gen *g);

/*
 * A transaction on set elements of table inet `table`: begin, then any
 * number of changes, then commit, which sends them as one batch (the
 * kernel applies all or none) and waits for the kernel's answer.
 *
 * fw_nl_elems queues adding (add) or deleting (!add) the addresses of
 * family (AF_INET, AF_INET6) among a[0..n) to or from set `set`; the
 * kernel refuses to delete an element that is not there, and adding one
 * that is changes nothing.  fw_nl_flush queues emptying the set.  Both
 * return 0, or -1 out of memory (the transaction is then dropped).
 * fw_nl_commit returns 0, or -1 with the kernel's reason in err.
 */
void fw_nl_begin(struct fw_nl *nl, const char *table);
int fw_nl_elems(struct fw_nl *nl, const char *set, bool add, int family,
    const struct fw_prefix *a, size_t n);
int fw_nl_flush(struct fw_nl *nl, const char *set);
/* Queues adding (add) or deleting (!add) the ranges r[0..n) of family
 * (sorted, disjoint: fw_interval.c) to or from interval set `set`: the
 * kernel refuses a range that overlaps one it has (EEXIST), and deleting
 * one it has not (ENOENT).  0, or -1 out of memory. */
int fw_nl_ranges(struct fw_nl *nl, const char *set, bool add, int family,
    const struct fw_range *r, size_t n);

/* One element of a set or a map as the kernel keeps it: the key's bytes
 * and, in a map, the data's (each field of a concatenation padded to 4
 * bytes, in the order of its type). */
struct fw_nl_elem {
	uint8_t key[FW_NL_ELEM_MAX], data[FW_NL_ELEM_MAX];
	uint8_t keylen, datalen;	/* datalen 0: a set's element */
};
/* Queues adding (add) or deleting (!add) the elements e[0..n) to or from
 * set or map `set`; a map's element is replaced by deleting it and then
 * adding it in the same transaction.  0, or -1 out of memory. */
int fw_nl_elems_raw(struct fw_nl *nl, const char *set, bool add,
    const struct fw_nl_elem *e, size_t n);
int fw_nl_commit(struct fw_nl *nl, char *err, size_t errsize);

/*
 * Calls fn for each named counter of table inet `table` (for none when
 * there is no such table).  Returns 0, or -1 with err.
 */
typedef void fw_nl_counter_fn(const char *name, uint64_t packets,
    uint64_t bytes, void *arg);
int fw_nl_counters(struct fw_nl *nl, const char *table, fw_nl_counter_fn *fn,
    void *arg, char *err, size_t errsize);

/*
 * The readers of the kernel's answers, one received datagram (buf, len
 * bytes) at a time; the receive paths above call them, and so does the
 * fuzzer (tests/fuzz/fuzz_nft_reply.c), without a socket.  Messages cut
 * short or with lengths that do not fit are skipped, never read past
 * len; buf need only be 4-byte aligned.
 */

/* A change message of a batch, to name it in an error. */
struct fw_nl_sent {
	uint32_t seq;
	bool add;
	unsigned line;			/* a table's: its line, or 0 */
	bool table;			/* a table's message (fw_build.h) */
	char set[FW_NAME_MAX + 24];	/* the set; a table's: what */
};

/* What a batch sent: its change messages, and the sequence numbers of
 * all its messages, first_seq to last_seq (both in, BATCH_BEGIN and
 * BATCH_END too); ack_seq, when not 0, the only change message that
 * asked for an acknowledgement (the others are answered when refused:
 * a table's tens of thousands of acknowledgements cost the kernel and
 * edged more than the rest of the batch's answers). */
struct fw_nl_batch {
	const struct fw_nl_sent *sent;
	size_t nsent;
	uint32_t first_seq, last_seq;
	uint32_t ack_seq;
};

/*
 * Counts in *acked the acknowledgements of b's change messages among
 * the answers in buf (of ack_seq's alone when b has one); the first refusal of a message of b sets *failed
 * and err (not overwritten by later ones).  Answers to anything else
 * are ignored.
 */
void fw_nl_parse_acks(const void *buf, size_t len, const struct fw_nl_batch *b,
    size_t *acked, bool *failed, char *err, size_t errsize);

/*
 * Calls fn for each counter object among the answers with sequence
 * number seq (the dump request's) in buf.  Returns 0 when the dump goes
 * on in the next datagram, 1 when it ended well (NLMSG_DONE, or an
 * acknowledgement), -1 with err when the kernel refused it.
 */
int fw_nl_parse_counters(const void *buf, size_t len, uint32_t seq,
    fw_nl_counter_fn *fn, void *arg, char *err, size_t errsize);

#endif /* EDGED_FW_NETLINK_H */
