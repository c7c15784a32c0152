// SPDX-License-Identifier: GPL-2.0
/*
 * Short messages on an accepted connection: datagrams, requests and
 * replies, SEND_WAIT and REPLY_RECV, cancel, timeouts and signals, queue
 * limits, and poll/epoll.
 *
 * Every test runs twice: with the server receiving on its connection port,
 * and with the server holding a communication port for the connection.
 */
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "alpc_util.h"

#define CTX		0xc0ffee0000c0ffeeULL
#define MSG_CTX		0x1234567890abcdefULL
#define REPLY_CTX	0xfedcba0987654321ULL

/* A connection: the client's fd and the fd the server receives it on. */
struct link {
	int port;
	int client;
	int comm;
	int srv;	/* port or comm */
};

static void link_init(struct link *l)
{
	l->port = -EBADF;
	l->client = -EBADF;
	l->comm = -EBADF;
	l->srv = -EBADF;
}

/* A new port with @attr (NULL: defaults) and one client accepted with port context CTX. */
static int link_open(struct link *l, int dev, struct alpc_port_attr *attr, bool comm_port)
{
	char name[ALPC_NAME_MAX];

	alpc_port_name(name, "msg");
	l->client = alpc_open_pair(dev, name, attr, CTX, comm_port ? ALPC_ACCEPT_COMM_PORT : 0,
				   &l->port, &l->comm, NULL);
	if (l->client < 0)
		return -1;
	l->srv = comm_port ? l->comm : l->port;
	return 0;
}

static void link_close(struct link *l)
{
	alpc_close_pair(l->client, l->comm, l->port);
	link_init(l);
}

FIXTURE(conn) {
	int dev;
	struct link c;	/* default limits */
	struct link q;	/* tests' own limits */
};

FIXTURE_VARIANT(conn) {
	bool comm_port;
};

FIXTURE_VARIANT_ADD(conn, on_connection_port) {
	.comm_port = false,
};

FIXTURE_VARIANT_ADD(conn, on_comm_port) {
	.comm_port = true,
};

FIXTURE_SETUP(conn)
{
	link_init(&self->c);
	link_init(&self->q);
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, link_open(&self->c, self->dev, NULL, variant->comm_port));
}

FIXTURE_TEARDOWN(conn)
{
	link_close(&self->q);
	link_close(&self->c);
	if (self->dev >= 0)
		close(self->dev);
}

static void *bad_page(int prot)
{
	return mmap(NULL, sysconf(_SC_PAGESIZE), prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* A datagram arrives once, with its payload, context, port context and sender. */
TEST_F(conn, datagram_round_trip)
{
	struct alpc_msg_info info;
	char out[100], in[128];
	__u64 id = 0;

	alpc_fill(out, sizeof(out), 1);
	ASSERT_EQ(0, alpc_send(self->c.client, ALPC_MSG_DATAGRAM, out, sizeof(out), MSG_CTX, 0,
			       0, &id));
	EXPECT_NE(0, id);
	memset(in, 0, sizeof(in));
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_DATAGRAM, info.type);
	EXPECT_EQ(id, info.id);
	EXPECT_EQ(0, info.ref_id);
	EXPECT_EQ(MSG_CTX, info.context);
	EXPECT_EQ(CTX, info.port_context);
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(sizeof(out), info.len);
	EXPECT_EQ(getpid(), info.pid);
	EXPECT_EQ(gettid(), info.tid);
	EXPECT_EQ(getuid(), info.uid);
	EXPECT_EQ(getgid(), info.gid);
	EXPECT_EQ(0, info.nfds);
	EXPECT_TRUE(alpc_check_fill(in, sizeof(out), 1));
	EXPECT_EQ(0, in[sizeof(out)]);
	ASSERT_EQ(-1, alpc_recv(self->c.srv, in, sizeof(in), 0, &info));
	EXPECT_EQ(EAGAIN, errno);
}

/* A request is answered by one reply that names it in ref_id. */
TEST_F(conn, request_reply_round_trip)
{
	struct alpc_msg_info info;
	char out[40], in[64];
	__u64 id, rid;

	alpc_fill(out, sizeof(out), 2);
	ASSERT_EQ(0, alpc_send(self->c.client, ALPC_MSG_REQUEST, out, sizeof(out), MSG_CTX, 0,
			       0, &id));
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_REQUEST, info.type);
	EXPECT_EQ(id, info.id);
	EXPECT_EQ(MSG_CTX, info.context);
	EXPECT_EQ(CTX, info.port_context);
	EXPECT_EQ(sizeof(out), info.len);
	EXPECT_TRUE(alpc_check_fill(in, sizeof(out), 2));

	alpc_fill(out, sizeof(out), 3);
	ASSERT_EQ(0, alpc_send(self->c.srv, ALPC_MSG_REPLY, out, 33, REPLY_CTX, id, 0, &rid));
	EXPECT_NE(0, rid);
	EXPECT_NE(id, rid);
	ASSERT_EQ(0, alpc_recv(self->c.client, in, sizeof(in), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_REPLY, info.type);
	EXPECT_EQ(rid, info.id);
	EXPECT_EQ(id, info.ref_id);
	EXPECT_EQ(REPLY_CTX, info.context);
	EXPECT_EQ(0, info.port_context);
	EXPECT_EQ(33, info.len);
	EXPECT_TRUE(alpc_check_fill(in, 33, 3));
	ASSERT_EQ(-1, alpc_recv(self->c.client, in, sizeof(in), 0, &info));
	EXPECT_EQ(EAGAIN, errno);
}

/* Message ids are never 0, never repeat, and the receiver sees the sender's. */
TEST_F(conn, message_ids_are_nonzero_and_unique)
{
	enum { N = 30 };
	__u64 ids[3 * N];
	struct alpc_msg_info info;
	int i, j, n = 0;
	char buf[8];

	for (i = 0; i < N; i++) {
		__u32 type = i % 2 ? ALPC_MSG_REQUEST : ALPC_MSG_DATAGRAM;

		ASSERT_EQ(0, alpc_send(self->c.client, type, &i, sizeof(i), 0, 0, 0, &ids[n]));
		ASSERT_NE(0, ids[n]);
		ASSERT_EQ(0, alpc_recv(self->c.srv, buf, sizeof(buf), ALPC_WAIT_NS, &info));
		ASSERT_EQ(ids[n], info.id);
		n++;
		if (type == ALPC_MSG_REQUEST) {
			ASSERT_EQ(0, alpc_send(self->c.srv, ALPC_MSG_REPLY, NULL, 0, 0, info.id, 0,
					       &ids[n]));
			ASSERT_EQ(0, alpc_recv(self->c.client, buf, sizeof(buf), ALPC_WAIT_NS,
					       &info));
			ASSERT_EQ(ids[n], info.id);
			n++;
		}
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			ASSERT_NE(ids[i], ids[j]);
}

/* An empty message is a message: it arrives with len 0. */
TEST_F(conn, zero_length_message_is_delivered)
{
	struct alpc_msg_info info;

	ASSERT_EQ(0, alpc_datagram(self->c.client, NULL, 0, NULL));
	ASSERT_EQ(0, alpc_recv(self->c.srv, NULL, 0, ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_DATAGRAM, info.type);
	EXPECT_EQ(0, info.len);
}

/* A payload over the inline limit fails with EMSGSIZE and queues nothing. */
TEST_F(conn, payload_over_limit_is_emsgsize_and_nothing_queued)
{
	char buf[ALPC_MSG_DEFAULT_MAX + 1];
	struct alpc_msg_info info;

	alpc_fill(buf, sizeof(buf), 4);
	ASSERT_EQ(-1, alpc_datagram(self->c.client, buf, sizeof(buf), NULL));
	EXPECT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(-1, alpc_request(self->c.client, buf, sizeof(buf), NULL));
	EXPECT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(-1, alpc_recv(self->c.srv, buf, sizeof(buf), 0, &info));
	EXPECT_EQ(EAGAIN, errno);

	/* The limit itself is fine. */
	ASSERT_EQ(0, alpc_datagram(self->c.client, buf, ALPC_MSG_DEFAULT_MAX, NULL));
	ASSERT_EQ(0, alpc_recv(self->c.srv, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_DEFAULT_MAX, info.len);
}

/* A reply over the limit fails with EMSGSIZE; the request stays outstanding. */
TEST_F(conn, reply_over_limit_is_emsgsize)
{
	char buf[ALPC_MSG_DEFAULT_MAX + 1];
	struct alpc_msg_info info;
	__u64 id;

	ASSERT_EQ(0, alpc_request(self->c.client, "q", 1, &id));
	ASSERT_EQ(0, alpc_recv(self->c.srv, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	ASSERT_EQ(-1, alpc_reply(self->c.srv, id, buf, sizeof(buf)));
	EXPECT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(-1, alpc_recv(self->c.client, buf, sizeof(buf), 0, &info));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, alpc_reply(self->c.srv, id, buf, ALPC_MSG_DEFAULT_MAX));
	ASSERT_EQ(0, alpc_recv(self->c.client, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_REPLY, info.type);
	EXPECT_EQ(ALPC_MSG_DEFAULT_MAX, info.len);
}

/* A port whose max_msg_len is ALPC_MSG_LIMIT carries messages of that size. */
TEST_F(conn, max_msg_len_65536_carries_65536_bytes)
{
	struct alpc_port_attr attr = { .max_msg_len = ALPC_MSG_LIMIT };
	char *out = malloc(ALPC_MSG_LIMIT + 1), *in = malloc(ALPC_MSG_LIMIT + 1);
	struct alpc_msg_info info;
	__u64 id;

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	ASSERT_EQ(0, link_open(&self->q, self->dev, &attr, variant->comm_port));
	alpc_fill(out, ALPC_MSG_LIMIT + 1, 6);
	ASSERT_EQ(-1, alpc_datagram(self->q.client, out, ALPC_MSG_LIMIT + 1, NULL));
	EXPECT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(0, alpc_request(self->q.client, out, ALPC_MSG_LIMIT, &id));
	ASSERT_EQ(0, alpc_recv(self->q.srv, in, ALPC_MSG_LIMIT, ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_LIMIT, info.len);
	EXPECT_EQ(0, memcmp(in, out, ALPC_MSG_LIMIT));
	alpc_fill(out, ALPC_MSG_LIMIT, 7);
	ASSERT_EQ(0, alpc_reply(self->q.srv, id, out, ALPC_MSG_LIMIT));
	ASSERT_EQ(0, alpc_recv(self->q.client, in, ALPC_MSG_LIMIT, ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_LIMIT, info.len);
	EXPECT_EQ(0, memcmp(in, out, ALPC_MSG_LIMIT));
	free(out);
	free(in);
}

/* A receive buffer too small fails with EMSGSIZE, reports the size and keeps the message. */
TEST_F(conn, recv_buffer_too_small_is_emsgsize_and_keeps_message)
{
	struct alpc_msg_info info;
	char out[100], in[100];
	__u64 id;

	alpc_fill(out, sizeof(out), 8);
	ASSERT_EQ(0, alpc_datagram(self->c.client, out, sizeof(out), &id));
	memset(in, 0x5a, sizeof(in));
	ASSERT_EQ(-1, alpc_recv(self->c.srv, in, 10, ALPC_WAIT_NS, &info));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(sizeof(out), info.len);
	ASSERT_EQ(-1, alpc_recv(self->c.srv, NULL, 0, ALPC_WAIT_NS, &info));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(sizeof(out), info.len);
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), 0, &info));
	EXPECT_EQ(id, info.id);
	EXPECT_EQ(sizeof(out), info.len);
	EXPECT_EQ(0, memcmp(in, out, sizeof(out)));
}

/* A receive into memory it cannot write fails with EFAULT and keeps the message. */
TEST_F(conn, recv_into_bad_buffer_is_efault_and_keeps_message)
{
	void *none = bad_page(PROT_NONE), *ro = bad_page(PROT_READ);
	struct alpc_msg_info info;
	char in[16];
	__u64 id;

	ASSERT_NE(MAP_FAILED, none);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(0, alpc_datagram(self->c.client, "payload", 7, &id));
	ASSERT_EQ(-1, alpc_recv(self->c.srv, none, 16, ALPC_WAIT_NS, &info));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, alpc_recv(self->c.srv, ro, 16, ALPC_WAIT_NS, &info));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), 0, &info));
	EXPECT_EQ(id, info.id);
	EXPECT_EQ(7, info.len);
	EXPECT_EQ(0, memcmp(in, "payload", 7));
	munmap(none, sysconf(_SC_PAGESIZE));
	munmap(ro, sysconf(_SC_PAGESIZE));
}

/* Arguments or payloads that cannot be read fail with EFAULT and queue nothing. */
TEST_F(conn, bad_pointer_is_efault)
{
	void *none = bad_page(PROT_NONE);
	struct alpc_send_wait sw;
	struct alpc_msg_info info;

	ASSERT_NE(MAP_FAILED, none);
	ASSERT_EQ(-1, ioctl(self->c.client, ALPC_IOC_SEND, NULL));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->c.client, ALPC_IOC_RECV, NULL));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->c.client, ALPC_IOC_SEND_WAIT, NULL));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->c.srv, ALPC_IOC_REPLY_RECV, NULL));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->c.client, ALPC_IOC_CANCEL, NULL));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->c.client, ALPC_IOC_SEND, none));
	EXPECT_EQ(EFAULT, errno);

	ASSERT_EQ(-1, alpc_datagram(self->c.client, none, 8, NULL));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, alpc_request(self->c.client, none, 8, NULL));
	EXPECT_EQ(EFAULT, errno);
	alpc_send_wait_init(&sw, none, 8, NULL, 0, ALPC_WAIT_NS);
	ASSERT_EQ(-1, alpc_send_wait(self->c.client, &sw));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, alpc_recv(self->c.srv, NULL, 0, 0, &info));
	EXPECT_EQ(EAGAIN, errno);
	munmap(none, sysconf(_SC_PAGESIZE));
}

/* A receive that must not wait fails with EAGAIN on an empty queue. */
TEST_F(conn, recv_timeout_zero_on_empty_is_eagain)
{
	struct alpc_msg_info info;

	ASSERT_EQ(-1, alpc_recv(self->c.srv, NULL, 0, 0, &info));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(-1, alpc_recv(self->c.client, NULL, 0, 0, &info));
	EXPECT_EQ(EAGAIN, errno);
}

/* A receive with a timeout fails with ETIMEDOUT once it has passed. */
TEST_F(conn, recv_timeout_is_etimedout)
{
	struct alpc_msg_info info;
	__s64 t0 = alpc_now_ns(), dt;

	ASSERT_EQ(-1, alpc_recv(self->c.srv, NULL, 0, 100 * ALPC_NS_PER_MS, &info));
	EXPECT_EQ(ETIMEDOUT, errno);
	dt = alpc_now_ns() - t0;
	EXPECT_LE(ALPC_MIN_WAIT_NS(100 * ALPC_NS_PER_MS), dt);
	EXPECT_GT(ALPC_WAIT_NS, dt);
}

struct sender {
	int fd;
	unsigned int count;
	unsigned int delay_ms;
	int failed_at;	/* -1: all sent */
	int err;
};

static void *send_sequence(void *arg)
{
	struct sender *s = arg;
	unsigned int i;

	alpc_sleep_ms(s->delay_ms);
	s->failed_at = -1;
	for (i = 0; i < s->count; i++) {
		if (alpc_send(s->fd, ALPC_MSG_DATAGRAM, &i, sizeof(i), i, 0, ALPC_WAIT_NS, NULL)) {
			s->failed_at = i;
			s->err = errno;
			break;
		}
	}
	return NULL;
}

/* Messages on one connection arrive in the order they were sent. */
TEST_F(conn, messages_arrive_in_order)
{
	struct sender s = { .fd = self->c.client, .count = 200 };
	struct alpc_msg_info info;
	unsigned int i, seq;
	pthread_t thr;

	/* More than the queue holds: the sender waits for room now and then. */
	ASSERT_EQ(0, pthread_create(&thr, NULL, send_sequence, &s));
	for (i = 0; i < s.count; i++) {
		ASSERT_EQ(0, alpc_recv(self->c.srv, &seq, sizeof(seq), ALPC_WAIT_NS, &info));
		ASSERT_EQ(i, seq);
		ASSERT_EQ(i, info.context);
	}
	pthread_join(thr, NULL);
	EXPECT_EQ(-1, s.failed_at) {
		TH_LOG("send %d failed: %s", s.failed_at, strerror(s.err));
	}
}

/* One receive on the connection port serves several clients, told apart by port context. */
TEST_F(conn, one_connection_port_serves_several_clients)
{
	enum { N = 4 };
	char name[ALPC_NAME_MAX];
	struct alpc_msg_info info;
	int fds[N], seen[N] = { 0 };
	int i, port;
	__u32 v;

	alpc_port_name(name, "many");
	port = alpc_create_port(self->dev, name, NULL, 0);
	ASSERT_LE(0, port);
	for (i = 0; i < N; i++) {
		fds[i] = alpc_connect_accept(self->dev, port, name, 100 + i, 0, NULL, NULL);
		ASSERT_LE(0, fds[i]);
	}
	for (i = N - 1; i >= 0; i--) {
		v = i;
		ASSERT_EQ(0, alpc_datagram(fds[i], &v, sizeof(v), NULL));
	}
	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, alpc_recv(port, &v, sizeof(v), ALPC_WAIT_NS, &info));
		ASSERT_GT(N, v);
		EXPECT_EQ(100 + v, info.port_context);
		/* One queue: the oldest message first. */
		EXPECT_EQ(N - 1 - i, v);
		seen[v]++;
	}
	for (i = 0; i < N; i++) {
		EXPECT_EQ(1, seen[i]);
		close(fds[i]);
	}
	close(port);
}

static void recv_args_init(struct alpc_recv *r, void *buf, __u32 size, __s64 timeout_ns)
{
	memset(r, 0, sizeof(*r));
	r->buf = (__u64)(unsigned long)buf;
	r->size = size;
	r->timeout_ns = timeout_ns;
}

/* Of two receivers waiting on one fd, one message wakes exactly one. */
TEST_F(conn, one_message_wakes_one_receiver)
{
	struct alpc_call call[2];
	struct alpc_recv r[2];
	char buf[2][8];
	int i, got = 0, timed_out = 0;

	for (i = 0; i < 2; i++) {
		recv_args_init(&r[i], buf[i], sizeof(buf[i]), 1000 * ALPC_NS_PER_MS);
		ASSERT_EQ(0, alpc_call_start(&call[i], self->c.srv, ALPC_IOC_RECV, &r[i]));
	}
	alpc_sleep_ms(50);
	ASSERT_EQ(0, alpc_datagram(self->c.client, "one", 3, NULL));
	for (i = 0; i < 2; i++) {
		if (alpc_call_join(&call[i]) == 0)
			got++;
		else if (errno == ETIMEDOUT)
			timed_out++;
	}
	EXPECT_EQ(1, got);
	EXPECT_EQ(1, timed_out);
}

/* A negative timeout, or the largest one, waits until a message comes. */
TEST_F(conn, negative_or_huge_timeout_waits_without_limit)
{
	static const __s64 timeouts[] = { -1, INT64_MIN, INT64_MAX };
	struct alpc_call call;
	struct alpc_recv r;
	unsigned int i;
	char buf[8];

	for (i = 0; i < ARRAY_SIZE(timeouts); i++) {
		recv_args_init(&r, buf, sizeof(buf), timeouts[i]);
		ASSERT_EQ(0, alpc_call_start(&call, self->c.srv, ALPC_IOC_RECV, &r));
		EXPECT_TRUE(alpc_call_still_waits(&call, 200));
		ASSERT_EQ(0, alpc_datagram(self->c.client, "x", 1, NULL));
		ASSERT_EQ(0, alpc_call_join(&call)) {
			TH_LOG("timeout %lld: %s", (long long)timeouts[i], strerror(errno));
		}
		EXPECT_EQ(1, r.info.len);
	}
}

/* The reply to a SEND_WAIT goes to that call, never to a RECV waiting on the same fd. */
TEST_F(conn, send_wait_reply_is_not_received_by_recv)
{
	struct alpc_call waiter, receiver;
	struct alpc_msg_info info;
	struct alpc_send_wait sw;
	struct alpc_recv r;
	char in[8], reply[8], other[8];

	recv_args_init(&r, other, sizeof(other), 1000 * ALPC_NS_PER_MS);
	ASSERT_EQ(0, alpc_call_start(&receiver, self->c.client, ALPC_IOC_RECV, &r));
	alpc_send_wait_init(&sw, "q", 1, reply, sizeof(reply), ALPC_WAIT_NS);
	ASSERT_EQ(0, alpc_call_start(&waiter, self->c.client, ALPC_IOC_SEND_WAIT, &sw));
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	ASSERT_EQ(0, alpc_reply(self->c.srv, info.id, "mine", 4));
	ASSERT_EQ(0, alpc_call_join(&waiter));
	EXPECT_EQ(4, sw.reply.len);
	EXPECT_EQ(0, memcmp(reply, "mine", 4));
	ASSERT_EQ(-1, alpc_call_join(&receiver));
	EXPECT_EQ(ETIMEDOUT, errno);
}

/* Two SEND_WAITs on one fd, answered in reverse order, each get their own reply. */
TEST_F(conn, concurrent_send_waits_get_their_own_replies)
{
	struct alpc_msg_info info[2];
	struct alpc_send_wait sw[2];
	struct alpc_call call[2];
	char in[2][8], reply[2][8];
	int i;

	for (i = 0; i < 2; i++) {
		memset(reply[i], 0, sizeof(reply[i]));
		alpc_send_wait_init(&sw[i], i ? "two" : "one", 3, reply[i], sizeof(reply[i]),
				    ALPC_WAIT_NS);
		ASSERT_EQ(0, alpc_call_start(&call[i], self->c.client, ALPC_IOC_SEND_WAIT, &sw[i]));
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, alpc_recv(self->c.srv, in[i], sizeof(in[i]), ALPC_WAIT_NS, &info[i]));
	for (i = 1; i >= 0; i--)
		ASSERT_EQ(0, alpc_reply(self->c.srv, info[i].id, in[i], 3));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, alpc_call_join(&call[i]));
		EXPECT_EQ(sw[i].id, sw[i].reply.ref_id);
		EXPECT_EQ(0, memcmp(reply[i], i ? "two" : "one", 3));
	}
}

/* SEND_WAIT sends a request and returns its reply in one call. */
TEST_F(conn, send_wait_round_trip)
{
	struct alpc_send_wait sw;
	struct alpc_msg_info info;
	struct alpc_call call;
	char reply[32], in[32];

	memset(reply, 0, sizeof(reply));
	alpc_send_wait_init(&sw, "ping", 4, reply, sizeof(reply), ALPC_WAIT_NS);
	sw.context = MSG_CTX;
	ASSERT_EQ(0, alpc_call_start(&call, self->c.client, ALPC_IOC_SEND_WAIT, &sw));
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_REQUEST, info.type);
	EXPECT_EQ(MSG_CTX, info.context);
	EXPECT_EQ(CTX, info.port_context);
	EXPECT_EQ(call.tid, info.tid);
	EXPECT_EQ(4, info.len);
	EXPECT_EQ(0, memcmp(in, "ping", 4));
	ASSERT_EQ(0, alpc_send(self->c.srv, ALPC_MSG_REPLY, "pong!", 5, REPLY_CTX, info.id, 0,
			       NULL));
	ASSERT_EQ(0, alpc_call_join(&call));
	EXPECT_EQ(info.id, sw.id);
	EXPECT_EQ(ALPC_MSG_REPLY, sw.reply.type);
	EXPECT_EQ(sw.id, sw.reply.ref_id);
	EXPECT_NE(0, sw.reply.id);
	EXPECT_EQ(REPLY_CTX, sw.reply.context);
	EXPECT_EQ(5, sw.reply.len);
	EXPECT_EQ(0, memcmp(reply, "pong!", 5));
	/* The reply went to SEND_WAIT, not to the queue. */
	ASSERT_EQ(-1, alpc_recv(self->c.client, in, sizeof(in), 0, &info));
	EXPECT_EQ(EAGAIN, errno);
}

/* A reply larger than SEND_WAIT's room is cut: EMSGSIZE, with its full length. */
TEST_F(conn, send_wait_cut_reply_is_emsgsize)
{
	struct alpc_send_wait sw;
	struct alpc_msg_info info;
	struct alpc_call call;
	char reply[8], out[20];

	memset(reply, 0, sizeof(reply));
	alpc_fill(out, sizeof(out), 10);
	alpc_send_wait_init(&sw, "x", 1, reply, 4, ALPC_WAIT_NS);
	ASSERT_EQ(0, alpc_call_start(&call, self->c.client, ALPC_IOC_SEND_WAIT, &sw));
	ASSERT_EQ(0, alpc_recv(self->c.srv, out, sizeof(out), ALPC_WAIT_NS, &info));
	alpc_fill(out, sizeof(out), 10);
	ASSERT_EQ(0, alpc_reply(self->c.srv, info.id, out, sizeof(out)));
	ASSERT_EQ(-1, alpc_call_join(&call));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(sizeof(out), sw.reply.len);
	EXPECT_EQ(0, memcmp(reply, out, 4));
	EXPECT_EQ(0, reply[4]);
	ASSERT_EQ(-1, alpc_recv(self->c.client, NULL, 0, 0, &info));
	EXPECT_EQ(EAGAIN, errno);
}

/* REPLY_RECV answers one request and returns the next message in one call. */
TEST_F(conn, reply_recv_replies_and_receives_next)
{
	struct alpc_reply_recv rr;
	struct alpc_msg_info info;
	__u64 req, dgram;
	char in[16];

	ASSERT_EQ(0, alpc_request(self->c.client, "req", 3, &req));
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	ASSERT_EQ(req, info.id);
	ASSERT_EQ(0, alpc_datagram(self->c.client, "next", 4, &dgram));

	memset(in, 0, sizeof(in));
	alpc_reply_recv_init(&rr, req, "answer", 6, in, sizeof(in), ALPC_WAIT_NS);
	rr.context = REPLY_CTX;
	rr.reply_status = 1;
	ASSERT_EQ(0, alpc_reply_recv(self->c.srv, &rr));
	EXPECT_EQ(0, rr.reply_status);
	EXPECT_NE(0, rr.reply_id);
	EXPECT_EQ(dgram, rr.recv.info.id);
	EXPECT_EQ(ALPC_MSG_DATAGRAM, rr.recv.info.type);
	EXPECT_EQ(CTX, rr.recv.info.port_context);
	EXPECT_EQ(4, rr.recv.info.len);
	EXPECT_EQ(0, memcmp(in, "next", 4));

	ASSERT_EQ(0, alpc_recv(self->c.client, in, sizeof(in), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_REPLY, info.type);
	EXPECT_EQ(rr.reply_id, info.id);
	EXPECT_EQ(req, info.ref_id);
	EXPECT_EQ(REPLY_CTX, info.context);
	EXPECT_EQ(6, info.len);
	EXPECT_EQ(0, memcmp(in, "answer", 6));
}

/* REPLY_RECV to a bogus request reports -ENOENT in reply_status and still receives. */
TEST_F(conn, reply_recv_bogus_ref_id_reports_enoent_and_receives)
{
	struct alpc_reply_recv rr;
	struct alpc_msg_info info;
	char in[16];
	__u64 id;

	ASSERT_EQ(0, alpc_datagram(self->c.client, "d", 1, &id));
	alpc_reply_recv_init(&rr, 0x7eadbeefULL, "r", 1, in, sizeof(in), ALPC_WAIT_NS);
	ASSERT_EQ(0, alpc_reply_recv(self->c.srv, &rr));
	EXPECT_EQ(-ENOENT, rr.reply_status);
	EXPECT_EQ(id, rr.recv.info.id);
	EXPECT_EQ(ALPC_MSG_DATAGRAM, rr.recv.info.type);
	ASSERT_EQ(-1, alpc_recv(self->c.client, in, sizeof(in), 0, &info));
	EXPECT_EQ(EAGAIN, errno);
}

/* REPLY_RECV with ref_id 0 only receives. */
TEST_F(conn, reply_recv_zero_ref_id_only_receives)
{
	struct alpc_reply_recv rr;
	struct alpc_msg_info info;
	char in[16];
	__u64 id;

	ASSERT_EQ(0, alpc_request(self->c.client, "q", 1, &id));
	alpc_reply_recv_init(&rr, 0, NULL, 0, in, sizeof(in), ALPC_WAIT_NS);
	ASSERT_EQ(0, alpc_reply_recv(self->c.srv, &rr));
	EXPECT_EQ(0, rr.reply_status);
	EXPECT_EQ(id, rr.recv.info.id);
	ASSERT_EQ(-1, alpc_recv(self->c.client, in, sizeof(in), 0, &info));
	EXPECT_EQ(EAGAIN, errno);
	/* The request is still outstanding: a REPLY_RECV answers it. */
	alpc_reply_recv_init(&rr, id, "a", 1, in, sizeof(in), 0);
	ASSERT_EQ(-1, alpc_reply_recv(self->c.srv, &rr));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, alpc_recv(self->c.client, in, sizeof(in), ALPC_WAIT_NS, &info));
	EXPECT_EQ(id, info.ref_id);
}

/* REPLY_RECV into a small buffer sends the reply, then fails with EMSGSIZE; the message stays. */
TEST_F(conn, reply_recv_small_buffer_sends_reply_and_keeps_message)
{
	struct alpc_reply_recv rr;
	struct alpc_msg_info info;
	__u64 req, dgram;
	char in[16];

	ASSERT_EQ(0, alpc_request(self->c.client, "q", 1, &req));
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	ASSERT_EQ(0, alpc_datagram(self->c.client, "12345678", 8, &dgram));
	alpc_reply_recv_init(&rr, req, "a", 1, in, 2, ALPC_WAIT_NS);
	ASSERT_EQ(-1, alpc_reply_recv(self->c.srv, &rr));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(8, rr.recv.info.len);
	ASSERT_EQ(0, alpc_recv(self->c.client, in, sizeof(in), ALPC_WAIT_NS, &info));
	EXPECT_EQ(req, info.ref_id);
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), 0, &info));
	EXPECT_EQ(dgram, info.id);
	ASSERT_EQ(-1, alpc_reply(self->c.srv, req, "b", 1));
	EXPECT_EQ(ENOENT, errno);
}

/* A reply part REPLY_RECV cannot read fails the call before anything is sent or received. */
TEST_F(conn, reply_recv_bad_reply_buffer_is_efault_and_changes_nothing)
{
	void *none = bad_page(PROT_NONE);
	struct alpc_reply_recv rr;
	struct alpc_msg_info info;
	__u64 req, dgram;
	char in[16];

	ASSERT_NE(MAP_FAILED, none);
	ASSERT_EQ(0, alpc_request(self->c.client, "q", 1, &req));
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	ASSERT_EQ(0, alpc_datagram(self->c.client, "d", 1, &dgram));
	alpc_reply_recv_init(&rr, req, none, 8, in, sizeof(in), ALPC_WAIT_NS);
	ASSERT_EQ(-1, alpc_reply_recv(self->c.srv, &rr));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, alpc_recv(self->c.client, in, sizeof(in), 0, &info));
	EXPECT_EQ(EAGAIN, errno);
	/* Both the request and the datagram are as they were. */
	alpc_reply_recv_init(&rr, req, "ok", 2, in, sizeof(in), ALPC_WAIT_NS);
	ASSERT_EQ(0, alpc_reply_recv(self->c.srv, &rr));
	EXPECT_EQ(0, rr.reply_status);
	EXPECT_EQ(dgram, rr.recv.info.id);
	ASSERT_EQ(0, alpc_recv(self->c.client, in, sizeof(in), ALPC_WAIT_NS, &info));
	EXPECT_EQ(req, info.ref_id);
	munmap(none, sysconf(_SC_PAGESIZE));
}

/* A reply from another connection, client or server side, fails with ENOENT. */
TEST_F(conn, reply_from_other_connection_is_enoent)
{
	struct alpc_msg_info info;
	struct link other;
	__u64 id;
	char in[16];

	link_init(&other);
	ASSERT_EQ(0, link_open(&other, self->dev, NULL, variant->comm_port));
	ASSERT_EQ(0, alpc_request(self->c.client, "mine", 4, &id));
	/* Before and after the server received it. */
	ASSERT_EQ(-1, alpc_reply(other.client, id, "fake", 4));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	ASSERT_EQ(-1, alpc_reply(other.client, id, "fake", 4));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, alpc_reply(other.srv, id, "fake", 4));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, alpc_recv(self->c.client, in, sizeof(in), 0, &info));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, alpc_reply(self->c.srv, id, "real", 4));
	ASSERT_EQ(0, alpc_recv(self->c.client, in, sizeof(in), ALPC_WAIT_NS, &info));
	EXPECT_EQ(id, info.ref_id);
	EXPECT_EQ(0, memcmp(in, "real", 4));
	ASSERT_EQ(-1, alpc_recv(self->c.client, in, sizeof(in), 0, &info));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(-1, alpc_recv(other.client, in, sizeof(in), 0, &info));
	EXPECT_EQ(EAGAIN, errno);
	link_close(&other);
}

/* A client replying to its own request fails with EPERM. */
TEST_F(conn, reply_to_own_request_is_eperm)
{
	struct alpc_msg_info info;
	char in[16];
	__u64 id;

	ASSERT_EQ(0, alpc_request(self->c.client, "q", 1, &id));
	ASSERT_EQ(-1, alpc_reply(self->c.client, id, "self", 4));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	ASSERT_EQ(-1, alpc_reply(self->c.client, id, "self", 4));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(-1, alpc_recv(self->c.client, in, sizeof(in), 0, &info));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, alpc_reply(self->c.srv, id, "a", 1));
}

/* A second reply to the same request fails with ENOENT. */
TEST_F(conn, double_reply_is_enoent)
{
	struct alpc_msg_info info;
	char in[16];
	__u64 id;

	ASSERT_EQ(0, alpc_request(self->c.client, "q", 1, &id));
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	ASSERT_EQ(0, alpc_reply(self->c.srv, id, "1", 1));
	ASSERT_EQ(-1, alpc_reply(self->c.srv, id, "2", 1));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, alpc_recv(self->c.client, in, sizeof(in), ALPC_WAIT_NS, &info));
	EXPECT_EQ(0, memcmp(in, "1", 1));
	ASSERT_EQ(-1, alpc_reply(self->c.srv, id, "3", 1));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, alpc_recv(self->c.client, in, sizeof(in), 0, &info));
	EXPECT_EQ(EAGAIN, errno);
}

/* A reply to a datagram, or to a request not yet received, fails with ENOENT. */
TEST_F(conn, reply_to_datagram_or_unreceived_request_is_enoent)
{
	struct alpc_msg_info info;
	__u64 dgram, req;
	char in[16];

	ASSERT_EQ(0, alpc_datagram(self->c.client, "d", 1, &dgram));
	ASSERT_EQ(0, alpc_request(self->c.client, "q", 1, &req));
	ASSERT_EQ(-1, alpc_reply(self->c.srv, req, "a", 1));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	ASSERT_EQ(-1, alpc_reply(self->c.srv, dgram, "a", 1));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	ASSERT_EQ(0, alpc_reply(self->c.srv, req, "a", 1));
}

/* After the sender cancels, the reply fails with ENOENT and the server sees CANCELED. */
TEST_F(conn, reply_after_cancel_is_enoent_and_server_sees_canceled)
{
	struct alpc_msg_info info;
	char in[16];
	__u64 id;

	ASSERT_EQ(0, alpc_request(self->c.client, "q", 1, &id));
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	ASSERT_EQ(0, alpc_cancel(self->c.client, id));
	ASSERT_EQ(-1, alpc_reply(self->c.srv, id, "late", 4));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_CANCELED, info.type);
	EXPECT_EQ(id, info.ref_id);
	EXPECT_NE(0, info.id);
	EXPECT_NE(id, info.id);
	EXPECT_EQ(0, info.context);
	EXPECT_EQ(CTX, info.port_context);
	EXPECT_EQ(0, info.len);
	ASSERT_EQ(-1, alpc_recv(self->c.client, in, sizeof(in), 0, &info));
	EXPECT_EQ(EAGAIN, errno);
	/* Canceled once is canceled: a second cancel finds nothing. */
	ASSERT_EQ(-1, alpc_cancel(self->c.client, id));
	EXPECT_EQ(ENOENT, errno);
}

/* Canceling a request still queued withdraws it: the server never sees it. */
TEST_F(conn, cancel_of_queued_request_withdraws_it)
{
	struct alpc_msg_info info;
	char in[16];
	__u64 id;

	ASSERT_EQ(0, alpc_request(self->c.client, "q", 1, &id));
	ASSERT_EQ(0, alpc_cancel(self->c.client, id));
	ASSERT_EQ(-1, alpc_recv(self->c.srv, in, sizeof(in), 0, &info));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(-1, alpc_reply(self->c.srv, id, "a", 1));
	EXPECT_EQ(ENOENT, errno);
}

/* Cancel of an id that is not an outstanding request of this fd fails with ENOENT. */
TEST_F(conn, cancel_unknown_id_is_enoent)
{
	struct alpc_msg_info info;
	__u64 dgram, req;
	char in[16];

	ASSERT_EQ(-1, alpc_cancel(self->c.client, 0x7fffffff0001ULL));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, alpc_cancel(self->c.client, 0));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, alpc_datagram(self->c.client, "d", 1, &dgram));
	ASSERT_EQ(-1, alpc_cancel(self->c.client, dgram));
	EXPECT_EQ(ENOENT, errno);
	/* An answered request, */
	ASSERT_EQ(0, alpc_request(self->c.client, "q", 1, &req));
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	ASSERT_EQ(0, alpc_reply(self->c.srv, req, "a", 1));
	ASSERT_EQ(0, alpc_recv(self->c.client, in, sizeof(in), ALPC_WAIT_NS, &info));
	ASSERT_EQ(-1, alpc_cancel(self->c.client, req));
	EXPECT_EQ(ENOENT, errno);
	/* and a request the other side sent. */
	if (variant->comm_port) {
		ASSERT_EQ(0, alpc_request(self->c.srv, "s", 1, &req));
		ASSERT_EQ(-1, alpc_cancel(self->c.client, req));
		EXPECT_EQ(ENOENT, errno);
	}
}

/* Only the fd that sent a request can cancel it: any other gets ENOENT. */
TEST_F(conn, cancel_from_other_fd_is_enoent)
{
	struct alpc_msg_info info;
	struct link other;
	char in[8];
	__u64 id;

	link_init(&other);
	ASSERT_EQ(0, link_open(&other, self->dev, NULL, variant->comm_port));
	ASSERT_EQ(0, alpc_request(self->c.client, "q", 1, &id));
	ASSERT_EQ(-1, alpc_cancel(other.client, id));
	EXPECT_EQ(ENOENT, errno);
	if (variant->comm_port) {
		ASSERT_EQ(-1, alpc_cancel(self->c.comm, id));
		EXPECT_EQ(ENOENT, errno);
	}
	/* Not canceled: the server gets it and answers it. */
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	ASSERT_EQ(id, info.id);
	ASSERT_EQ(0, alpc_reply(self->c.srv, id, "a", 1));
	link_close(&other);
}

/* Cancel wakes a SEND_WAIT waiting for that request with ECANCELED. */
TEST_F(conn, cancel_wakes_send_wait_with_ecanceled)
{
	struct alpc_msg_info info, req;
	struct alpc_send_wait sw;
	struct alpc_call call;
	char in[16];

	alpc_send_wait_init(&sw, "q", 1, in, sizeof(in), ALPC_WAIT_NS);
	ASSERT_EQ(0, alpc_call_start(&call, self->c.client, ALPC_IOC_SEND_WAIT, &sw));
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &req));
	ASSERT_EQ(0, alpc_cancel(self->c.client, req.id));
	ASSERT_EQ(-1, alpc_call_join(&call));
	EXPECT_EQ(ECANCELED, errno);
	EXPECT_GT(ALPC_WAIT_NS, call.end_ns - call.start_ns);
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_CANCELED, info.type);
	EXPECT_EQ(req.id, info.ref_id);
	ASSERT_EQ(-1, alpc_reply(self->c.srv, req.id, "late", 4));
	EXPECT_EQ(ENOENT, errno);
}

/* A SEND_WAIT that times out fails with ETIMEDOUT; the server then sees CANCELED. */
TEST_F(conn, send_wait_timeout_is_etimedout_and_server_sees_canceled)
{
	struct alpc_send_wait sw;
	struct alpc_msg_info info;
	struct alpc_call srv;
	struct alpc_recv r;
	__s64 t0, dt;
	char in[16];

	/* A receiver already waiting takes the request at once. */
	memset(&r, 0, sizeof(r));
	r.buf = (__u64)(unsigned long)in;
	r.size = sizeof(in);
	r.timeout_ns = ALPC_WAIT_NS;
	ASSERT_EQ(0, alpc_call_start(&srv, self->c.srv, ALPC_IOC_RECV, &r));
	alpc_sleep_ms(20);

	alpc_send_wait_init(&sw, "q", 1, in, sizeof(in), 300 * ALPC_NS_PER_MS);
	t0 = alpc_now_ns();
	ASSERT_EQ(-1, alpc_send_wait(self->c.client, &sw));
	EXPECT_EQ(ETIMEDOUT, errno);
	dt = alpc_now_ns() - t0;
	EXPECT_LE(ALPC_MIN_WAIT_NS(300 * ALPC_NS_PER_MS), dt);
	EXPECT_GT(ALPC_WAIT_NS, dt);

	ASSERT_EQ(0, alpc_call_join(&srv));
	ASSERT_EQ(ALPC_MSG_REQUEST, r.info.type);
	ASSERT_EQ(-1, alpc_reply(self->c.srv, r.info.id, "late", 4));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_CANCELED, info.type);
	EXPECT_EQ(r.info.id, info.ref_id);
	EXPECT_EQ(CTX, info.port_context);
}

/* A SEND_WAIT whose request was never received is withdrawn at the timeout. */
TEST_F(conn, send_wait_timeout_withdraws_unreceived_request)
{
	struct alpc_send_wait sw;
	struct alpc_msg_info info;
	char in[16];

	alpc_send_wait_init(&sw, "q", 1, in, sizeof(in), 100 * ALPC_NS_PER_MS);
	ASSERT_EQ(-1, alpc_send_wait(self->c.client, &sw));
	EXPECT_EQ(ETIMEDOUT, errno);
	ASSERT_EQ(-1, alpc_recv(self->c.srv, in, sizeof(in), 0, &info));
	EXPECT_EQ(EAGAIN, errno);
}

/* A signal ends SEND_WAIT with EINTR and cancels the request. */
TEST_F(conn, send_wait_interrupted_by_signal_is_eintr)
{
	struct alpc_send_wait sw;
	struct alpc_msg_info info, req;
	struct alpc_call call;
	char in[16];

	ASSERT_EQ(0, alpc_install_noop_handler(SIGUSR1));
	alpc_send_wait_init(&sw, "q", 1, in, sizeof(in), ALPC_WAIT_NS);
	ASSERT_EQ(0, alpc_call_start(&call, self->c.client, ALPC_IOC_SEND_WAIT, &sw));
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &req));
	ASSERT_EQ(-1, alpc_call_interrupt(&call, SIGUSR1));
	EXPECT_EQ(EINTR, errno);
	EXPECT_GT(ALPC_WAIT_NS, call.end_ns - call.start_ns);
	ASSERT_EQ(-1, alpc_reply(self->c.srv, req.id, "late", 4));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_CANCELED, info.type);
	EXPECT_EQ(req.id, info.ref_id);
}

/* A signal ends a waiting RECV with EINTR. */
TEST_F(conn, recv_interrupted_by_signal_is_eintr)
{
	struct alpc_call call;
	struct alpc_recv r;

	ASSERT_EQ(0, alpc_install_noop_handler(SIGUSR1));
	memset(&r, 0, sizeof(r));
	r.timeout_ns = ALPC_WAIT_NS;
	ASSERT_EQ(0, alpc_call_start(&call, self->c.srv, ALPC_IOC_RECV, &r));
	ASSERT_EQ(-1, alpc_call_interrupt(&call, SIGUSR1));
	EXPECT_EQ(EINTR, errno);
	EXPECT_GT(ALPC_WAIT_NS, call.end_ns - call.start_ns);
}

/* Waits are never restarted, even under a SA_RESTART handler. */
TEST_F(conn, recv_is_not_restarted_after_sa_restart_handler)
{
	struct sigaction sa;
	struct alpc_call call;
	struct alpc_recv r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = alpc_noop_handler;
	sa.sa_flags = SA_RESTART;
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	memset(&r, 0, sizeof(r));
	r.timeout_ns = 3000 * ALPC_NS_PER_MS;
	ASSERT_EQ(0, alpc_call_start(&call, self->c.client, ALPC_IOC_RECV, &r));
	ASSERT_EQ(-1, alpc_call_interrupt(&call, SIGUSR1));
	EXPECT_EQ(EINTR, errno);
}

/* Opens self->q with room for four queued messages. */
static int open_small_queue(int dev, struct link *q, bool comm_port)
{
	struct alpc_port_attr attr = { .max_queued_msgs = 4 };

	return link_open(q, dev, &attr, comm_port);
}

/* A full queue fails a send that must not wait with EAGAIN. */
TEST_F(conn, full_queue_send_timeout_zero_is_eagain)
{
	struct alpc_msg_info info;
	unsigned int i;

	ASSERT_EQ(0, open_small_queue(self->dev, &self->q, variant->comm_port));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, alpc_datagram(self->q.client, &i, sizeof(i), NULL));
	ASSERT_EQ(-1, alpc_datagram(self->q.client, &i, sizeof(i), NULL));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(-1, alpc_request(self->q.client, &i, sizeof(i), NULL));
	EXPECT_EQ(EAGAIN, errno);
	/* Nothing extra was queued, and the rest is intact. */
	for (i = 0; i < 4; i++) {
		unsigned int v;

		ASSERT_EQ(0, alpc_recv(self->q.srv, &v, sizeof(v), 0, &info));
		EXPECT_EQ(i, v);
	}
	ASSERT_EQ(-1, alpc_recv(self->q.srv, NULL, 0, 0, &info));
	EXPECT_EQ(EAGAIN, errno);
}

/* A send waiting for room on a full queue fails with ETIMEDOUT at its timeout. */
TEST_F(conn, full_queue_send_times_out)
{
	unsigned int i;
	__s64 t0, dt;

	ASSERT_EQ(0, open_small_queue(self->dev, &self->q, variant->comm_port));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, alpc_datagram(self->q.client, &i, sizeof(i), NULL));
	t0 = alpc_now_ns();
	ASSERT_EQ(-1, alpc_send(self->q.client, ALPC_MSG_DATAGRAM, &i, sizeof(i), 0, 0,
				100 * ALPC_NS_PER_MS, NULL));
	EXPECT_EQ(ETIMEDOUT, errno);
	dt = alpc_now_ns() - t0;
	EXPECT_LE(ALPC_MIN_WAIT_NS(100 * ALPC_NS_PER_MS), dt);
	EXPECT_GT(ALPC_WAIT_NS, dt);
}

/* A sender waiting on a full queue proceeds once the server receives a message. */
TEST_F(conn, blocked_sender_proceeds_when_server_receives)
{
	struct alpc_msg_info info;
	struct alpc_call call;
	struct alpc_send s;
	unsigned int i, v;

	ASSERT_EQ(0, open_small_queue(self->dev, &self->q, variant->comm_port));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, alpc_datagram(self->q.client, &i, sizeof(i), NULL));
	memset(&s, 0, sizeof(s));
	s.type = ALPC_MSG_DATAGRAM;
	s.buf = (__u64)(unsigned long)&i;
	s.len = sizeof(i);
	s.timeout_ns = ALPC_WAIT_NS;
	ASSERT_EQ(0, alpc_call_start(&call, self->q.client, ALPC_IOC_SEND, &s));
	ASSERT_TRUE(alpc_call_still_waits(&call, 100));
	ASSERT_EQ(0, alpc_recv(self->q.srv, &v, sizeof(v), 0, &info));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, alpc_call_join(&call));
	for (v = 1; v <= 4; v++) {
		unsigned int got;

		ASSERT_EQ(0, alpc_recv(self->q.srv, &got, sizeof(got), ALPC_WAIT_NS, &info));
		EXPECT_EQ(v, got);
	}
}

/* The byte limit fills the queue too: a send over it fails with EAGAIN. */
TEST_F(conn, full_byte_quota_is_eagain)
{
	struct alpc_port_attr attr = { .max_queued_bytes = 4 * ALPC_MSG_DEFAULT_MAX };
	char buf[ALPC_MSG_DEFAULT_MAX];
	struct alpc_msg_info info;
	int i;

	ASSERT_EQ(0, link_open(&self->q, self->dev, &attr, variant->comm_port));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, alpc_datagram(self->q.client, buf, sizeof(buf), NULL));
	ASSERT_EQ(-1, alpc_datagram(self->q.client, buf, 1, NULL));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, alpc_recv(self->q.srv, buf, sizeof(buf), 0, &info));
	ASSERT_EQ(0, alpc_datagram(self->q.client, buf, sizeof(buf), NULL));
}

/* Requests count against the sender's queue until their reply has been received. */
TEST_F(conn, unanswered_requests_count_against_queue_limit)
{
	struct alpc_msg_info info;
	__u64 ids[4];
	char in[8];
	int i;

	ASSERT_EQ(0, open_small_queue(self->dev, &self->q, variant->comm_port));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, alpc_request(self->q.client, "q", 1, &ids[i]));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, alpc_recv(self->q.srv, in, sizeof(in), 0, &info));
	/* The queue is empty, but four requests await their replies. */
	ASSERT_EQ(-1, alpc_datagram(self->q.client, "d", 1, NULL));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, alpc_reply(self->q.srv, ids[0], "a", 1));
	ASSERT_EQ(-1, alpc_datagram(self->q.client, "d", 1, NULL));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, alpc_recv(self->q.client, in, sizeof(in), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ids[0], info.ref_id);
	ASSERT_EQ(0, alpc_datagram(self->q.client, "d", 1, NULL));
	for (i = 1; i < 4; i++)
		ASSERT_EQ(0, alpc_reply(self->q.srv, ids[i], "a", 1));
}

/* Queue limits are per connection: one client's full queue does not block another. */
TEST_F(conn, full_queue_of_one_client_does_not_block_another)
{
	struct alpc_port_attr attr = { .max_queued_msgs = 2 };
	struct alpc_msg_info info;
	char name[ALPC_NAME_MAX];
	int port, a, b;

	alpc_port_name(name, "perconn");
	port = alpc_create_port(self->dev, name, &attr, 0);
	ASSERT_LE(0, port);
	a = alpc_connect_accept(self->dev, port, name, 1, 0, NULL, NULL);
	ASSERT_LE(0, a);
	b = alpc_connect_accept(self->dev, port, name, 2, 0, NULL, NULL);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, alpc_datagram(a, NULL, 0, NULL));
	ASSERT_EQ(0, alpc_datagram(a, NULL, 0, NULL));
	ASSERT_EQ(-1, alpc_datagram(a, NULL, 0, NULL));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, alpc_datagram(b, NULL, 0, NULL));
	ASSERT_EQ(0, alpc_datagram(b, NULL, 0, NULL));
	ASSERT_EQ(0, alpc_recv(port, NULL, 0, 0, &info));
	EXPECT_EQ(1, info.port_context);
	close(a);
	close(b);
	close(port);
}

/* A canceled request stops counting against its sender's queue. */
TEST_F(conn, cancel_releases_queue_room)
{
	struct alpc_msg_info info;
	__u64 ids[4];
	char in[8];
	int i;

	ASSERT_EQ(0, open_small_queue(self->dev, &self->q, variant->comm_port));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, alpc_request(self->q.client, "q", 1, &ids[i]));
	ASSERT_EQ(0, alpc_recv(self->q.srv, in, sizeof(in), 0, &info));
	ASSERT_EQ(-1, alpc_datagram(self->q.client, "d", 1, NULL));
	EXPECT_EQ(EAGAIN, errno);
	/* One the server holds, one still queued. */
	ASSERT_EQ(0, alpc_cancel(self->q.client, ids[0]));
	ASSERT_EQ(0, alpc_datagram(self->q.client, "d", 1, NULL));
	ASSERT_EQ(-1, alpc_datagram(self->q.client, "d", 1, NULL));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, alpc_cancel(self->q.client, ids[3]));
	ASSERT_EQ(0, alpc_datagram(self->q.client, "d", 1, NULL));
}

/* A connection port sends replies only: REQUEST and DATAGRAM fail with EOPNOTSUPP. */
TEST_F(conn, request_or_datagram_on_connection_port_is_eopnotsupp)
{
	ASSERT_EQ(-1, alpc_datagram(self->c.port, "d", 1, NULL));
	EXPECT_EQ(EOPNOTSUPP, errno);
	ASSERT_EQ(-1, alpc_request(self->c.port, "q", 1, NULL));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

/* SEND with an unknown or kernel-only type, flags, reserved words or a stray ref_id: EINVAL. */
TEST_F(conn, send_bad_type_flags_or_reserved_is_einval)
{
	static const __u32 types[] = {
		0, ALPC_MSG_CONNECTION_REQUEST, ALPC_MSG_PORT_CLOSED,
		ALPC_MSG_CLIENT_DIED, ALPC_MSG_CANCELED, 8, 0xffffffff,
	};
	struct alpc_msg_info info;
	struct alpc_send s;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(types) + 5; i++) {
		memset(&s, 0, sizeof(s));
		s.type = ALPC_MSG_DATAGRAM;
		s.buf = (__u64)(unsigned long)"x";
		s.len = 1;
		if (i < ARRAY_SIZE(types))
			s.type = types[i];
		else if (i == ARRAY_SIZE(types))
			s.flags = ALPC_UNKNOWN_FLAG;
		else if (i == ARRAY_SIZE(types) + 1)
			s.reserved0 = 1;
		else if (i == ARRAY_SIZE(types) + 4)
			s.ref_id = 1;
		else
			s.reserved[i - ARRAY_SIZE(types) - 2] = 1;
		ASSERT_EQ(-1, ioctl(self->c.client, ALPC_IOC_SEND, &s)) {
			TH_LOG("case %u", i);
		}
		EXPECT_EQ(EINVAL, errno) {
			TH_LOG("case %u", i);
		}
	}
	ASSERT_EQ(-1, alpc_recv(self->c.srv, NULL, 0, 0, &info));
	EXPECT_EQ(EAGAIN, errno);
}

/*
 * RECV, SEND_WAIT, REPLY_RECV and CANCEL with flags, reserved words, or an
 * alpc_recv_extra with reserved words, fail with EINVAL.
 */
TEST_F(conn, bad_flags_or_reserved_is_einval_and_changes_nothing)
{
	struct alpc_recv_extra bad_extra;
	struct alpc_reply_recv rr;
	struct alpc_send_wait sw;
	struct alpc_msg_info info;
	struct alpc_cancel c;
	struct alpc_recv r;
	char in[8];
	__u64 id;
	int i;

	memset(&bad_extra, 0, sizeof(bad_extra));
	bad_extra.reserved[2] = 1;
	ASSERT_EQ(0, alpc_request(self->c.client, "q", 1, &id));
	for (i = 0; i < 4; i++) {
		memset(&r, 0, sizeof(r));
		r.buf = (__u64)(unsigned long)in;
		r.size = sizeof(in);
		if (i == 0)
			r.flags = ALPC_UNKNOWN_FLAG;
		else if (i == 1)
			r.flags = ALPC_RECV_FD_INHERIT << 1;
		else if (i == 2)
			r.reserved = 1;
		else
			r.extra = (__u64)(unsigned long)&bad_extra;
		ASSERT_EQ(-1, ioctl(self->c.srv, ALPC_IOC_RECV, &r)) {
			TH_LOG("case %d", i);
		}
		EXPECT_EQ(EINVAL, errno) {
			TH_LOG("case %d", i);
		}
	}
	for (i = 0; i < 2; i++) {
		memset(&c, 0, sizeof(c));
		c.id = id;
		if (i == 0)
			c.flags = ALPC_UNKNOWN_FLAG;
		else
			c.reserved = 1;
		ASSERT_EQ(-1, ioctl(self->c.client, ALPC_IOC_CANCEL, &c));
		EXPECT_EQ(EINVAL, errno);
	}
	for (i = 0; i < 4; i++) {
		alpc_send_wait_init(&sw, "w", 1, in, sizeof(in), 0);
		if (i == 0)
			sw.flags = ALPC_UNKNOWN_FLAG;
		else if (i == 1)
			sw.reserved0 = 1;
		else if (i == 2)
			sw.reserved = 1;
		else
			sw.extra = (__u64)(unsigned long)&bad_extra;
		ASSERT_EQ(-1, ioctl(self->c.client, ALPC_IOC_SEND_WAIT, &sw)) {
			TH_LOG("case %d", i);
		}
		EXPECT_EQ(EINVAL, errno) {
			TH_LOG("case %d", i);
		}
	}
	/* The request is still queued, and not canceled. */
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), 0, &info));
	ASSERT_EQ(id, info.id);
	ASSERT_EQ(0, alpc_datagram(self->c.client, "d", 1, NULL));

	for (i = 0; i < 5; i++) {
		alpc_reply_recv_init(&rr, id, "a", 1, in, sizeof(in), 0);
		if (i == 0)
			rr.flags = ALPC_UNKNOWN_FLAG;
		else if (i == 1)
			rr.reserved0 = 1;
		else if (i == 2)
			rr.recv.flags = ALPC_UNKNOWN_FLAG;
		else if (i == 3)
			rr.recv.reserved = 1;
		else
			rr.recv.extra = (__u64)(unsigned long)&bad_extra;
		ASSERT_EQ(-1, ioctl(self->c.srv, ALPC_IOC_REPLY_RECV, &rr)) {
			TH_LOG("case %d", i);
		}
		EXPECT_EQ(EINVAL, errno);
		/* No reply went out. */
		ASSERT_EQ(-1, alpc_recv(self->c.client, in, sizeof(in), 0, &info)) {
			TH_LOG("case %d sent the reply", i);
		}
		EXPECT_EQ(EAGAIN, errno);
	}
	alpc_reply_recv_init(&rr, id, "a", 1, in, sizeof(in), 0);
	ASSERT_EQ(0, alpc_reply_recv(self->c.srv, &rr));
	EXPECT_EQ(0, rr.reply_status);
	EXPECT_EQ(ALPC_MSG_DATAGRAM, rr.recv.info.type);
}

/* The server's fd polls readable exactly while a message is queued. */
TEST_F(conn, server_fd_polls_in_while_message_queued)
{
	struct pollfd pfd = { .fd = self->c.srv, .events = POLLIN };
	struct alpc_msg_info info;

	ASSERT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, alpc_datagram(self->c.client, NULL, 0, NULL));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN, pfd.revents);
	ASSERT_EQ(0, alpc_recv(self->c.srv, NULL, 0, 0, &info));
	ASSERT_EQ(0, poll(&pfd, 1, 0));
}

/* A client communication port polls writable, and readable once a reply is queued. */
TEST_F(conn, client_fd_polls_out_and_in)
{
	struct pollfd pfd = { .fd = self->c.client, .events = POLLIN | POLLOUT };
	struct alpc_msg_info info;
	__u64 id;

	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
	ASSERT_EQ(0, alpc_request(self->c.client, NULL, 0, &id));
	ASSERT_EQ(0, alpc_recv(self->c.srv, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(0, alpc_reply(self->c.srv, id, NULL, 0));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT, pfd.revents);
}

/* A client whose queue is full does not poll writable until room is made. */
TEST_F(conn, full_queue_clears_pollout)
{
	struct pollfd pfd = { .events = POLLOUT };
	struct alpc_msg_info info;
	int i;

	ASSERT_EQ(0, open_small_queue(self->dev, &self->q, variant->comm_port));
	pfd.fd = self->q.client;
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, alpc_datagram(self->q.client, NULL, 0, NULL));
	ASSERT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, alpc_recv(self->q.srv, NULL, 0, 0, &info));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
}

/* epoll_wait on the server's fd wakes when a message arrives. */
TEST_F(conn, epoll_wakes_when_message_arrives)
{
	struct sender s = { .fd = self->c.client, .count = 1, .delay_ms = 100 };
	struct epoll_event ev = { .events = EPOLLIN };
	pthread_t thr;
	int ep;

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->c.srv, &ev));
	ASSERT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	ASSERT_EQ(0, pthread_create(&thr, NULL, send_sequence, &s));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 5000));
	EXPECT_EQ(EPOLLIN, ev.events);
	pthread_join(thr, NULL);
	EXPECT_EQ(-1, s.failed_at);
	close(ep);
}

/* After the server closes, the client's fd reports EPOLLHUP. */
TEST_F(conn, client_fd_polls_hup_after_server_closes)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };
	struct pollfd pfd = { .fd = self->c.client, .events = POLLIN | POLLOUT };
	int ep;

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->c.client, &ev));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_FALSE(pfd.revents & POLLHUP);

	if (self->c.comm >= 0)
		close(self->c.comm);
	close(self->c.port);
	self->c.comm = -EBADF;
	self->c.port = -EBADF;
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 5000));
	EXPECT_TRUE(ev.events & EPOLLHUP);
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLHUP);
	close(ep);
}

/* The server holds a communication port, so it can send datagrams and requests too. */
FIXTURE(comm) {
	int dev;
	struct link c;
	struct link q;
};

FIXTURE_SETUP(comm)
{
	link_init(&self->c);
	link_init(&self->q);
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, link_open(&self->c, self->dev, NULL, true));
}

FIXTURE_TEARDOWN(comm)
{
	link_close(&self->q);
	link_close(&self->c);
	if (self->dev >= 0)
		close(self->dev);
}

/* A server communication port sends datagrams to its client. */
TEST_F(comm, server_datagram_reaches_client)
{
	struct alpc_msg_info info;
	char in[16];
	__u64 id;

	ASSERT_EQ(0, alpc_send(self->c.srv, ALPC_MSG_DATAGRAM, "to client", 9, MSG_CTX, 0, 0,
			       &id));
	ASSERT_EQ(0, alpc_recv(self->c.client, in, sizeof(in), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_DATAGRAM, info.type);
	EXPECT_EQ(id, info.id);
	EXPECT_EQ(MSG_CTX, info.context);
	EXPECT_EQ(0, info.port_context);
	EXPECT_EQ(9, info.len);
	EXPECT_EQ(0, memcmp(in, "to client", 9));
}

/* A server communication port sends requests, and the client replies. */
TEST_F(comm, server_request_client_reply_round_trip)
{
	struct alpc_msg_info info;
	char in[16];
	__u64 id;

	ASSERT_EQ(0, alpc_request(self->c.srv, "question", 8, &id));
	ASSERT_EQ(0, alpc_recv(self->c.client, in, sizeof(in), ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_REQUEST, info.type);
	ASSERT_EQ(id, info.id);
	ASSERT_EQ(0, alpc_reply(self->c.client, id, "answer", 6));
	ASSERT_EQ(0, alpc_recv(self->c.srv, in, sizeof(in), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_REPLY, info.type);
	EXPECT_EQ(id, info.ref_id);
	EXPECT_EQ(CTX, info.port_context);
	EXPECT_EQ(6, info.len);
	EXPECT_EQ(0, memcmp(in, "answer", 6));
}

/* A reply never waits for queue space, even when the other direction is full. */
TEST_F(comm, reply_never_waits_for_queue_space)
{
	struct alpc_msg_info info;
	char in[8];
	__u64 id;
	int i;

	ASSERT_EQ(0, open_small_queue(self->dev, &self->q, true));
	ASSERT_EQ(0, alpc_request(self->q.client, "q", 1, &id));
	ASSERT_EQ(0, alpc_recv(self->q.srv, in, sizeof(in), 0, &info));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, alpc_datagram(self->q.srv, "s", 1, NULL));
	ASSERT_EQ(-1, alpc_datagram(self->q.srv, "s", 1, NULL));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, alpc_reply(self->q.srv, id, "a", 1));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, alpc_recv(self->q.client, in, sizeof(in), 0, &info));
	EXPECT_EQ(ALPC_MSG_REPLY, info.type);
	EXPECT_EQ(id, info.ref_id);
}

TEST_HARNESS_MAIN
