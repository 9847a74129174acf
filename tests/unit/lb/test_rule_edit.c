/*
 * tests/unit/lb/test_rule_edit.c - the changes application rules make
 * to a head (lb/rule_edit.c): fields found, deleted, added and set
 * without regard to case, the request and status lines, and the refusals:
 * a result too large, a name or value that would break the head.  The
 * same edits through the head's index (lb_edit_ix_*) give the same head,
 * and leave the index what indexing that head again gives.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rule_edit.h"

#define REQ	"GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n" \
	"Accept: */*\r\nx-a:  2 \r\n\r\n"
#define RSP	"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 0\r\n\r\n"

struct head {
	char buf[256];
	size_t len;
};

static void
head_init(struct head *h, const char *text)
{
	h->len = strlen(text);
	memcpy(h->buf, text, h->len);
}

static void
check(const struct head *h, const char *want)
{
	if (h->len != strlen(want) || memcmp(h->buf, want, h->len) != 0)
		fail_msg("got  %.*s\nwant %s", (int)h->len, h->buf, want);
}

static void
test_find(void **state)
{
	struct head h;
	size_t from = 0, v, vl, l, ll;

	(void)state;
	head_init(&h, REQ);
	assert_true(lb_edit_find(h.buf, h.len, "x-A", 3, &from, &v, &vl, &l,
	    &ll));
	assert_memory_equal(h.buf + v, "1", vl);
	assert_memory_equal(h.buf + l, "X-A: 1\r\n", ll);
	assert_true(lb_edit_find(h.buf, h.len, "x-A", 3, &from, &v, &vl, &l,
	    &ll));
	assert_int_equal(vl, 1);
	assert_memory_equal(h.buf + v, "2", 1);
	assert_false(lb_edit_find(h.buf, h.len, "x-A", 3, &from, &v, &vl, &l,
	    &ll));
	/* the request line is never a field, nor is a longer name */
	from = 0;
	assert_false(lb_edit_find(h.buf, h.len, "GET /a?b=1 HTTP/1.1", 3,
	    &from, &v, &vl, &l, &ll));
	from = 0;
	assert_false(lb_edit_find(h.buf, h.len, "X", 1, &from, &v, &vl, &l,
	    &ll));
}

static void
test_del_add_set(void **state)
{
	struct head h;

	(void)state;
	head_init(&h, REQ);
	assert_int_equal(lb_edit_del(h.buf, &h.len, "X-a", 3), 0);
	check(&h, "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
	assert_int_equal(lb_edit_del(h.buf, &h.len, "X-None", 6), 0);
	assert_int_equal(lb_edit_add(h.buf, &h.len, sizeof(h.buf), "X-Edge",
	    6, "edged", 5), 0);
	check(&h, "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n"
	    "X-Edge: edged\r\n\r\n");
	head_init(&h, REQ);
	assert_int_equal(lb_edit_set(h.buf, &h.len, sizeof(h.buf), "x-a", 3,
	    "3", 1), 0);
	check(&h, "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n"
	    "x-a: 3\r\n\r\n");
	/* an empty value is a field all the same */
	head_init(&h, RSP);
	assert_int_equal(lb_edit_set(h.buf, &h.len, sizeof(h.buf), "Server",
	    6, "", 0), 0);
	check(&h, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nServer: \r\n\r\n");
}

static void
test_refusals(void **state)
{
	struct head h;

	(void)state;
	head_init(&h, RSP);
	errno = 0;
	assert_int_equal(lb_edit_add(h.buf, &h.len, sizeof(h.buf), "X-A", 3,
	    "a\r\nX-Injected: 1", 16), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(lb_edit_add(h.buf, &h.len, sizeof(h.buf), "X A", 3,
	    "a", 1), -1);
	assert_int_equal(lb_edit_add(h.buf, &h.len, sizeof(h.buf), "X-A", 3,
	    " a", 2), -1);
	assert_int_equal(lb_edit_set(h.buf, &h.len, sizeof(h.buf), "X-A", 3,
	    "a\0b", 3), -1);
	assert_int_equal(lb_edit_del(h.buf, &h.len, "", 0), -1);
	check(&h, RSP);
	/* no room: nothing changes, set included (its delete comes after
	 * the check) */
	errno = 0;
	assert_int_equal(lb_edit_add(h.buf, &h.len, h.len + 8, "X-Long", 6,
	    "value", 5), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(lb_edit_set(h.buf, &h.len, h.len + 8, "Server", 6,
	    "a much longer server name", 25), -1);
	check(&h, RSP);
	/* set may use the room its old line leaves */
	assert_int_equal(lb_edit_set(h.buf, &h.len, h.len, "Server", 6,
	    "edged", 5), 0);
	check(&h, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nServer: edged\r\n"
	    "\r\n");
}

static void
test_lines(void **state)
{
	struct head h;

	(void)state;
	head_init(&h, REQ);
	assert_int_equal(lb_edit_request_line(h.buf, &h.len, sizeof(h.buf),
	    NULL, 0, "/v2/a?b=1", 9), 0);
	assert_int_equal(lb_edit_request_line(h.buf, &h.len, sizeof(h.buf),
	    "POST", 4, NULL, 0), 0);
	assert_memory_equal(h.buf, "POST /v2/a?b=1 HTTP/1.1\r\nHost:", 30);
	assert_int_equal(lb_edit_request_line(h.buf, &h.len, sizeof(h.buf),
	    NULL, 0, "/a b", 4), -1);
	assert_int_equal(lb_edit_request_line(h.buf, &h.len, sizeof(h.buf),
	    "G T", 3, NULL, 0), -1);
	assert_int_equal(lb_edit_request_line(h.buf, &h.len, sizeof(h.buf),
	    NULL, 0, "", 0), -1);
	head_init(&h, RSP);
	assert_int_equal(lb_edit_status(h.buf, &h.len, sizeof(h.buf), 503,
	    "Go away", 7), 0);
	assert_memory_equal(h.buf, "HTTP/1.1 503 Go away\r\nServer:", 29);
	assert_int_equal(lb_edit_status(h.buf, &h.len, sizeof(h.buf), 404,
	    NULL, 0), 0);
	assert_memory_equal(h.buf, "HTTP/1.1 404 Not Found\r\n", 24);
	assert_int_equal(lb_edit_status(h.buf, &h.len, sizeof(h.buf), 299,
	    NULL, 0), 0);
	assert_memory_equal(h.buf, "HTTP/1.1 299 Other\r\n", 20);
	assert_int_equal(lb_edit_status(h.buf, &h.len, sizeof(h.buf), 600,
	    NULL, 0), -1);
	assert_int_equal(lb_edit_status(h.buf, &h.len, sizeof(h.buf), 200,
	    "a\nb", 3), -1);
}

/* The index as indexing h again makes it: same fields, same spans. */
static void
check_index(const struct lb_head_index *ix, const struct head *h,
    bool response)
{
	struct lb_head_index again;

	assert_int_equal(response ? lb_head_index_response(&again, h->buf,
	    h->len) : lb_head_index(&again, h->buf, h->len), 0);
	assert_ptr_equal(ix->head, h->buf);
	assert_int_equal(ix->len, h->len);
	assert_int_equal(ix->nfields, again.nfields);
	for (unsigned j = 0; j < ix->nfields; j++) {
		assert_int_equal(ix->field[j].name.off,
		    again.field[j].name.off);
		assert_int_equal(ix->field[j].name.len,
		    again.field[j].name.len);
		assert_int_equal(ix->field[j].value.off,
		    again.field[j].value.off);
		assert_int_equal(ix->field[j].value.len,
		    again.field[j].value.len);
	}
}

/* The edits of test_del_add_set through the index, heads and indexes
 * checked after each; trailing blanks and empty values included. */
static void
test_ix_edits(void **state)
{
	struct lb_head_index ix;
	struct head h;

	(void)state;
	head_init(&h, REQ);
	assert_int_equal(lb_head_index(&ix, h.buf, h.len), 0);
	assert_int_equal(lb_edit_ix_del(&ix, h.buf, &h.len, "X-a", 3), 0);
	check(&h, "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
	check_index(&ix, &h, false);
	assert_int_equal(lb_edit_ix_del(&ix, h.buf, &h.len, "X-None", 6), 0);
	assert_int_equal(lb_edit_ix_add(&ix, h.buf, &h.len, sizeof(h.buf),
	    "X-Edge", 6, "edged", 5), 0);
	check(&h, "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n"
	    "X-Edge: edged\r\n\r\n");
	check_index(&ix, &h, false);
	head_init(&h, REQ);
	assert_int_equal(lb_head_index(&ix, h.buf, h.len), 0);
	assert_int_equal(lb_edit_ix_set(&ix, h.buf, &h.len, sizeof(h.buf),
	    "x-a", 3, "3", 1), 0);
	check(&h, "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n"
	    "x-a: 3\r\n\r\n");
	check_index(&ix, &h, false);
	/* the first field, then all of them, then an empty value */
	head_init(&h, RSP);
	assert_int_equal(lb_head_index_response(&ix, h.buf, h.len), 0);
	assert_int_equal(lb_edit_ix_set(&ix, h.buf, &h.len, sizeof(h.buf),
	    "Server", 6, "", 0), 0);
	check(&h, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nServer: \r\n\r\n");
	check_index(&ix, &h, true);
	assert_int_equal(lb_edit_ix_del(&ix, h.buf, &h.len, "content-length",
	    14), 0);
	assert_int_equal(lb_edit_ix_del(&ix, h.buf, &h.len, "server", 6), 0);
	check(&h, "HTTP/1.1 200 OK\r\n\r\n");
	check_index(&ix, &h, true);
	assert_int_equal(lb_edit_ix_add(&ix, h.buf, &h.len, sizeof(h.buf),
	    "A", 1, "", 0), 0);
	assert_int_equal(lb_edit_ix_set(&ix, h.buf, &h.len, sizeof(h.buf),
	    "a", 1, "b", 1), 0);
	check(&h, "HTTP/1.1 200 OK\r\na: b\r\n\r\n");
	check_index(&ix, &h, true);
}

static void
test_ix_refusals(void **state)
{
	struct lb_head_index ix;
	struct head h;
	char big[4096];
	size_t len = 0;

	(void)state;
	head_init(&h, RSP);
	assert_int_equal(lb_head_index_response(&ix, h.buf, h.len), 0);
	errno = 0;
	assert_int_equal(lb_edit_ix_add(&ix, h.buf, &h.len, sizeof(h.buf),
	    "X-A", 3, "a\r\nX-Injected: 1", 16), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(lb_edit_ix_set(&ix, h.buf, &h.len, sizeof(h.buf),
	    "X-A", 3, " a", 2), -1);
	errno = 0;
	assert_int_equal(lb_edit_ix_set(&ix, h.buf, &h.len, h.len + 8,
	    "Server", 6, "a much longer server name", 25), -1);
	assert_int_equal(errno, E2BIG);
	check(&h, RSP);
	check_index(&ix, &h, true);
	/* set may use the room its old line leaves */
	assert_int_equal(lb_edit_ix_set(&ix, h.buf, &h.len, h.len, "Server",
	    6, "edged", 5), 0);
	check_index(&ix, &h, true);
	/* no more fields than the index holds: a head indexing would
	 * refuse (431) is not made */
	len += (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\n");
	for (int i = 0; i < LB_FETCH_MAX_FIELDS; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len,
		    "F%d: v\r\n", i);
	len += (size_t)snprintf(big + len, sizeof(big) - len, "\r\n");
	assert_int_equal(lb_head_index(&ix, big, len), 0);
	errno = 0;
	assert_int_equal(lb_edit_ix_add(&ix, big, &len, sizeof(big), "X", 1,
	    "v", 1), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(lb_edit_ix_set(&ix, big, &len, sizeof(big), "X", 1,
	    "v", 1), -1);
	assert_int_equal(lb_edit_ix_set(&ix, big, &len, sizeof(big), "f7", 2,
	    "w", 1), 0);
	assert_int_equal(ix.nfields, LB_FETCH_MAX_FIELDS);
	assert_int_equal(lb_head_index(&ix, big, len), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_del_add_set),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_ix_edits),
		cmocka_unit_test(test_ix_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
