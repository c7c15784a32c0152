// SPDX-License-Identifier: GPL-2.0
/*
 * ALPC_IOC_BATCH: operations performed in order with a result each; a
 * failing one in the middle hides nothing; the batch's own checks.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "alpc_util.h"

#define CTX		0xc0ffee0000c0ffeeULL
#define PORT_KEY	0x1111000000000001ULL

FIXTURE(batch) {
	int dev;
	int port;
	int client;
	int comm;
};

FIXTURE_SETUP(batch)
{
	char name[ALPC_NAME_MAX];

	self->port = -EBADF;
	self->client = -EBADF;
	self->comm = -EBADF;
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	alpc_port_name(name, "batch");
	self->client = alpc_open_pair(self->dev, name, NULL, CTX, ALPC_ACCEPT_COMM_PORT,
				      &self->port, &self->comm, NULL);
	ASSERT_LE(0, self->port);
	ASSERT_LE(0, self->client);
}

FIXTURE_TEARDOWN(batch)
{
	alpc_close_pair(self->client, self->comm, self->port);
	if (self->dev >= 0)
		close(self->dev);
}

/* Receives one message on @fd, without waiting; checks its id and context. */
static void expect_msg(struct __test_metadata *_metadata, int fd, __u32 type, __u64 id,
		       __u64 context)
{
	struct alpc_msg_info info;

	ASSERT_EQ(0, alpc_recv_any(fd, 0, &info));
	EXPECT_EQ(type, info.type);
	EXPECT_EQ(id, info.id);
	EXPECT_EQ(context, info.context);
}

static void expect_nothing(struct __test_metadata *_metadata, int fd)
{
	ASSERT_EQ(-1, alpc_recv_any(fd, 0, NULL));
	EXPECT_EQ(EAGAIN, errno);
}

/* A port whose connections queue at most @max messages, and a connection to it. */
static void open_small_queue(struct __test_metadata *_metadata, int dev, __u32 max,
			     const char *tag, int *port, int *client, int *comm)
{
	struct alpc_port_attr attr;
	char name[ALPC_NAME_MAX];

	memset(&attr, 0, sizeof(attr));
	attr.max_queued_msgs = max;
	alpc_port_name(name, tag);
	*client = alpc_open_pair(dev, name, &attr, CTX, ALPC_ACCEPT_COMM_PORT, port, comm, NULL);
	ASSERT_LE(0, *port);
	ASSERT_LE(0, *client);
}

/* Sends run in order: every result 0, ids written back, done the count. */
TEST_F(batch, sends_in_order_with_ids)
{
	struct alpc_batch_op ops[4];
	struct alpc_send s[4];
	__u32 done;
	int i;

	for (i = 0; i < 4; i++) {
		alpc_send_init(&s[i], ALPC_MSG_DATAGRAM, "abcd", i + 1, 100 + i, 0);
		alpc_batch_op_init(&ops[i], ALPC_OP_SEND, &s[i]);
	}
	ASSERT_EQ(0, alpc_batch(self->client, ops, 4, &done));
	EXPECT_EQ(4, done);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0, ops[i].result);
		EXPECT_NE(0, s[i].id);
		EXPECT_EQ(ALPC_OP_SEND, ops[i].op);
	}
	for (i = 0; i < 4; i++) {
		struct alpc_msg_info info;
		char buf[8];

		ASSERT_EQ(0, alpc_recv(self->comm, buf, sizeof(buf), 0, &info));
		EXPECT_EQ(s[i].id, info.id);
		EXPECT_EQ(100 + i, info.context);
		EXPECT_EQ(i + 1, info.len);
		EXPECT_EQ(CTX, info.port_context);
		EXPECT_EQ(0, memcmp(buf, "abcd", i + 1));
	}
	expect_nothing(_metadata, self->comm);
}

/* SEND, RECV and CANCEL mixed in one batch, each with its own result. */
TEST_F(batch, mixed_send_recv_cancel)
{
	struct alpc_batch_op ops[4];
	struct alpc_cancel cancel;
	struct alpc_send s[2];
	struct alpc_recv r;
	__u64 early, from_server;
	char buf[16];
	__u32 done;

	/* A request still queued, to cancel; a datagram for the client to receive. */
	ASSERT_EQ(0, alpc_request(self->client, "early", 5, &early));
	ASSERT_EQ(0, alpc_send(self->comm, ALPC_MSG_DATAGRAM, "srv", 3, 7, 0, 0, &from_server));

	alpc_send_init(&s[0], ALPC_MSG_DATAGRAM, "d", 1, 1, 0);
	alpc_batch_op_init(&ops[0], ALPC_OP_SEND, &s[0]);
	alpc_recv_init(&r, buf, sizeof(buf), 0);
	alpc_batch_op_init(&ops[1], ALPC_OP_RECV, &r);
	memset(&cancel, 0, sizeof(cancel));
	cancel.id = early;
	alpc_batch_op_init(&ops[2], ALPC_OP_CANCEL, &cancel);
	alpc_send_init(&s[1], ALPC_MSG_REQUEST, "q", 1, 2, 0);
	alpc_batch_op_init(&ops[3], ALPC_OP_SEND, &s[1]);

	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, alpc_batch(self->client, ops, 4, &done));
	EXPECT_EQ(4, done);
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(0, ops[1].result);
	EXPECT_EQ(0, ops[2].result);
	EXPECT_EQ(0, ops[3].result);
	EXPECT_EQ(ALPC_MSG_DATAGRAM, r.info.type);
	EXPECT_EQ(from_server, r.info.id);
	EXPECT_EQ(7, r.info.context);
	EXPECT_EQ(3, r.info.len);
	EXPECT_EQ(0, memcmp(buf, "srv", 3));

	/* The canceled request was withdrawn; the rest arrive in order. */
	expect_msg(_metadata, self->comm, ALPC_MSG_DATAGRAM, s[0].id, 1);
	expect_msg(_metadata, self->comm, ALPC_MSG_REQUEST, s[1].id, 2);
	expect_nothing(_metadata, self->comm);
	/* Canceled: it cannot be canceled again. */
	ASSERT_EQ(-1, alpc_cancel(self->client, early));
	EXPECT_EQ(ENOENT, errno);
}

/* Replies in a batch answer the requests they name. */
TEST_F(batch, replies_answer_requests)
{
	struct alpc_batch_op ops[3];
	struct alpc_msg_info info;
	static const char tag[] = "xyz";
	struct alpc_send s[3];
	__u64 req[3];
	char buf[8];
	__u32 done;
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, alpc_request(self->client, "q", 1, &req[i]));
		ASSERT_EQ(0, alpc_recv_any(self->comm, 0, &info));
		ASSERT_EQ(req[i], info.id);
	}
	/* Answered out of order. */
	for (i = 0; i < 3; i++) {
		alpc_send_init(&s[i], ALPC_MSG_REPLY, &tag[i], 1, 10 + i, req[2 - i]);
		alpc_batch_op_init(&ops[i], ALPC_OP_SEND, &s[i]);
	}
	ASSERT_EQ(0, alpc_batch(self->comm, ops, 3, &done));
	EXPECT_EQ(3, done);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, ops[i].result);
		ASSERT_EQ(0, alpc_recv(self->client, buf, sizeof(buf), 0, &info));
		EXPECT_EQ(ALPC_MSG_REPLY, info.type);
		EXPECT_EQ(s[i].id, info.id);
		EXPECT_EQ(req[2 - i], info.ref_id);
		EXPECT_EQ(tag[i], buf[0]);
	}
	/* Answered once: a second reply fails in its own result. */
	ASSERT_EQ(0, alpc_batch(self->comm, ops, 1, &done));
	EXPECT_EQ(1, done);
	EXPECT_EQ(-ENOENT, ops[0].result);
}

/* A server without a communication port batches receives and replies on the connection port. */
TEST_F(batch, works_on_connection_port)
{
	struct alpc_batch_op ops[3];
	struct alpc_recv r[2];
	struct alpc_send s;
	char name[ALPC_NAME_MAX], buf[2][8];
	int port, client;
	__u64 d, q;
	__u32 done;

	alpc_port_name(name, "batchcp");
	port = alpc_create_port(self->dev, name, NULL, 0);
	ASSERT_LE(0, port);
	client = alpc_connect_accept(self->dev, port, name, CTX, 0, NULL, NULL);
	ASSERT_LE(0, client);
	ASSERT_EQ(0, alpc_datagram(client, "d", 1, &d));
	ASSERT_EQ(0, alpc_request(client, "q", 1, &q));
	alpc_recv_init(&r[0], buf[0], sizeof(buf[0]), 0);
	alpc_batch_op_init(&ops[0], ALPC_OP_RECV, &r[0]);
	alpc_recv_init(&r[1], buf[1], sizeof(buf[1]), 0);
	alpc_batch_op_init(&ops[1], ALPC_OP_RECV, &r[1]);
	alpc_send_init(&s, ALPC_MSG_REPLY, NULL, 0, 0, q);
	alpc_batch_op_init(&ops[2], ALPC_OP_SEND, &s);
	ASSERT_EQ(0, alpc_batch(port, ops, 3, &done));
	EXPECT_EQ(3, done);
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(0, ops[1].result);
	EXPECT_EQ(0, ops[2].result);
	EXPECT_EQ(d, r[0].info.id);
	EXPECT_EQ(q, r[1].info.id);
	EXPECT_EQ(CTX, r[1].info.port_context);
	expect_msg(_metadata, client, ALPC_MSG_REPLY, s.id, 0);
	close(client);
	close(port);
}

/* An oversized send in the middle fails alone with EMSGSIZE; the others are delivered in order. */
TEST_F(batch, emsgsize_in_middle_hides_nothing)
{
	static char big[ALPC_MSG_DEFAULT_MAX + 1];
	struct alpc_batch_op ops[3];
	struct alpc_send s[3];
	__u32 done;
	int i;

	for (i = 0; i < 3; i++) {
		alpc_send_init(&s[i], ALPC_MSG_DATAGRAM, big, i == 1 ? sizeof(big) : 1, i, 0);
		alpc_batch_op_init(&ops[i], ALPC_OP_SEND, &s[i]);
	}
	ASSERT_EQ(0, alpc_batch(self->client, ops, 3, &done));
	EXPECT_EQ(3, done);
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(-EMSGSIZE, ops[1].result);
	EXPECT_EQ(0, ops[2].result);
	/* No id for the one that failed. */
	EXPECT_EQ(0, s[1].id);
	expect_msg(_metadata, self->comm, ALPC_MSG_DATAGRAM, s[0].id, 0);
	expect_msg(_metadata, self->comm, ALPC_MSG_DATAGRAM, s[2].id, 2);
	expect_nothing(_metadata, self->comm);
}

/* An op whose argument cannot be read fails alone with EFAULT. */
TEST_F(batch, bad_arg_pointer_in_middle_is_efault_in_its_result)
{
	struct alpc_batch_op ops[5];
	struct alpc_send s[2];
	__u32 done;

	alpc_send_init(&s[0], ALPC_MSG_DATAGRAM, "a", 1, 1, 0);
	alpc_batch_op_init(&ops[0], ALPC_OP_SEND, &s[0]);
	alpc_batch_op_init(&ops[1], ALPC_OP_SEND, (void *)1);
	alpc_batch_op_init(&ops[2], ALPC_OP_RECV, NULL);
	alpc_batch_op_init(&ops[3], ALPC_OP_CANCEL, (void *)8);
	alpc_send_init(&s[1], ALPC_MSG_DATAGRAM, "b", 1, 2, 0);
	alpc_batch_op_init(&ops[4], ALPC_OP_SEND, &s[1]);
	ASSERT_EQ(0, alpc_batch(self->client, ops, 5, &done));
	EXPECT_EQ(5, done);
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(-EFAULT, ops[1].result);
	EXPECT_EQ(-EFAULT, ops[2].result);
	EXPECT_EQ(-EFAULT, ops[3].result);
	EXPECT_EQ(0, ops[4].result);
	expect_msg(_metadata, self->comm, ALPC_MSG_DATAGRAM, s[0].id, 1);
	expect_msg(_metadata, self->comm, ALPC_MSG_DATAGRAM, s[1].id, 2);
	expect_nothing(_metadata, self->comm);

	/* A payload pointer that faults is the send's own EFAULT too. */
	alpc_send_init(&s[0], ALPC_MSG_DATAGRAM, (void *)1, 1, 3, 0);
	alpc_batch_op_init(&ops[0], ALPC_OP_SEND, &s[0]);
	alpc_send_init(&s[1], ALPC_MSG_DATAGRAM, "c", 1, 4, 0);
	alpc_batch_op_init(&ops[1], ALPC_OP_SEND, &s[1]);
	ASSERT_EQ(0, alpc_batch(self->client, ops, 2, &done));
	EXPECT_EQ(2, done);
	EXPECT_EQ(-EFAULT, ops[0].result);
	EXPECT_EQ(0, ops[1].result);
	expect_msg(_metadata, self->comm, ALPC_MSG_DATAGRAM, s[1].id, 4);
	expect_nothing(_metadata, self->comm);
}

/* A send of an unknown message type, or with bad fields, fails alone with EINVAL. */
TEST_F(batch, invalid_send_in_middle_is_einval_in_its_result)
{
	struct alpc_batch_op ops[5];
	struct alpc_send s[5];
	__u32 done;
	int i;

	for (i = 0; i < 5; i++) {
		alpc_send_init(&s[i], ALPC_MSG_DATAGRAM, "x", 1, i, 0);
		alpc_batch_op_init(&ops[i], ALPC_OP_SEND, &s[i]);
	}
	s[1].type = 99;
	s[2].flags = ALPC_UNKNOWN_FLAG;
	s[3].reserved[1] = 1;
	ASSERT_EQ(0, alpc_batch(self->client, ops, 5, &done));
	EXPECT_EQ(5, done);
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(-EINVAL, ops[1].result);
	EXPECT_EQ(-EINVAL, ops[2].result);
	EXPECT_EQ(-EINVAL, ops[3].result);
	EXPECT_EQ(0, ops[4].result);
	expect_msg(_metadata, self->comm, ALPC_MSG_DATAGRAM, s[0].id, 0);
	expect_msg(_metadata, self->comm, ALPC_MSG_DATAGRAM, s[4].id, 4);
	expect_nothing(_metadata, self->comm);
}

/* A receive that finds nothing, or a message too big, fails alone; the message stays queued. */
TEST_F(batch, recv_failures_are_per_op)
{
	struct alpc_batch_op ops[3];
	struct alpc_recv r[3];
	char small[2], buf[16];
	__u64 id;
	__u32 done;

	alpc_recv_init(&r[0], NULL, 0, 0);
	alpc_batch_op_init(&ops[0], ALPC_OP_RECV, &r[0]);
	ASSERT_EQ(0, alpc_batch(self->client, ops, 1, &done));
	EXPECT_EQ(1, done);
	EXPECT_EQ(-EAGAIN, ops[0].result);

	ASSERT_EQ(0, alpc_send(self->comm, ALPC_MSG_DATAGRAM, "hello", 5, 5, 0, 0, &id));
	alpc_recv_init(&r[1], small, sizeof(small), 0);
	alpc_batch_op_init(&ops[1], ALPC_OP_RECV, &r[1]);
	alpc_recv_init(&r[2], buf, sizeof(buf), 0);
	alpc_batch_op_init(&ops[2], ALPC_OP_RECV, &r[2]);
	ASSERT_EQ(0, alpc_batch(self->client, &ops[1], 2, &done));
	EXPECT_EQ(2, done);
	EXPECT_EQ(-EMSGSIZE, ops[1].result);
	EXPECT_EQ(5, r[1].info.len);
	EXPECT_EQ(0, ops[2].result);
	EXPECT_EQ(id, r[2].info.id);
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
}

/* A cancel of an unknown id fails alone with ENOENT. */
TEST_F(batch, cancel_unknown_id_is_enoent_in_its_result)
{
	struct alpc_batch_op ops[3];
	struct alpc_cancel c;
	struct alpc_send s[2];
	__u32 done;

	alpc_send_init(&s[0], ALPC_MSG_DATAGRAM, "a", 1, 1, 0);
	alpc_batch_op_init(&ops[0], ALPC_OP_SEND, &s[0]);
	memset(&c, 0, sizeof(c));
	c.id = ~0ULL;
	alpc_batch_op_init(&ops[1], ALPC_OP_CANCEL, &c);
	alpc_send_init(&s[1], ALPC_MSG_DATAGRAM, "b", 1, 2, 0);
	alpc_batch_op_init(&ops[2], ALPC_OP_SEND, &s[1]);
	ASSERT_EQ(0, alpc_batch(self->client, ops, 3, &done));
	EXPECT_EQ(3, done);
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(-ENOENT, ops[1].result);
	EXPECT_EQ(0, ops[2].result);
	expect_msg(_metadata, self->comm, ALPC_MSG_DATAGRAM, s[0].id, 1);
	expect_msg(_metadata, self->comm, ALPC_MSG_DATAGRAM, s[1].id, 2);
}

/* Ops run in order, as separate ioctls would: a send reads its payload after an earlier receive. */
TEST_F(batch, send_sees_earlier_recv)
{
	struct alpc_batch_op ops[2];
	struct alpc_msg_info info;
	struct alpc_send s;
	struct alpc_recv r;
	char buf[8], out[8];
	__u32 done;

	/* Relay: receive into buf, then send buf on. */
	memcpy(buf, "stale", 5);
	ASSERT_EQ(0, alpc_send(self->comm, ALPC_MSG_DATAGRAM, "fresh", 5, 0, 0, 0, NULL));
	alpc_recv_init(&r, buf, sizeof(buf), 0);
	alpc_batch_op_init(&ops[0], ALPC_OP_RECV, &r);
	alpc_send_init(&s, ALPC_MSG_DATAGRAM, buf, 5, 0, 0);
	alpc_batch_op_init(&ops[1], ALPC_OP_SEND, &s);
	ASSERT_EQ(0, alpc_batch(self->client, ops, 2, &done));
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(0, ops[1].result);
	memset(out, 0, sizeof(out));
	ASSERT_EQ(0, alpc_recv(self->comm, out, sizeof(out), 0, &info));
	EXPECT_EQ(0, memcmp(out, "fresh", 5));
}

/* The most ops a batch takes, sends on a queue of four: the rest fail alone with EAGAIN. */
TEST_F(batch, full_queue_fails_sends_alone)
{
	struct alpc_batch_op ops[ALPC_BATCH_MAX];
	static struct alpc_send s[ALPC_BATCH_MAX];
	int port, client, comm, i, ok = 0, full = 0;
	__u32 done;

	open_small_queue(_metadata, self->dev, 4, "batchq", &port, &client, &comm);
	for (i = 0; i < ALPC_BATCH_MAX; i++) {
		alpc_send_init(&s[i], ALPC_MSG_DATAGRAM, "a", 1, i, 0);
		alpc_batch_op_init(&ops[i], ALPC_OP_SEND, &s[i]);
	}
	ASSERT_EQ(0, alpc_batch(client, ops, ALPC_BATCH_MAX, &done));
	EXPECT_EQ(ALPC_BATCH_MAX, done);
	for (i = 0; i < ALPC_BATCH_MAX; i++) {
		ok += ops[i].result == 0;
		full += ops[i].result == -EAGAIN;
	}
	EXPECT_EQ(4, ok);
	EXPECT_EQ(ALPC_BATCH_MAX - 4, full);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0, ops[i].result);
		expect_msg(_metadata, comm, ALPC_MSG_DATAGRAM, s[i].id, i);
	}
	expect_nothing(_metadata, comm);
	close(client);
	close(comm);
	close(port);
}

/* Whether thread @tid of this process sleeps (state S), polled for up to 10 s. */
static bool thread_sleeps(pid_t tid)
{
	char path[64], stat[512], *p;
	int i, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	for (i = 0; i < 1000; i++) {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return false;
		n = read(fd, stat, sizeof(stat) - 1);
		close(fd);
		if (n <= 0)
			return false;
		stat[n] = 0;
		p = strrchr(stat, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * A receiver thread: @n receives on @fd, each waiting up to 10 s. A
 * receive whose wake-up was lost still ends well, once its wait runs
 * out and it finds the queue full, so the tests check how long after
 * the batch the last receive ended (done_ns): a wake-up takes
 * milliseconds, a lost one close to 10 s.
 */
#define RECV_WAIT_NS	(10000 * ALPC_NS_PER_MS)
#define WOKEN_WITHIN_NS	(5000 * ALPC_NS_PER_MS)

struct receiver {
	pthread_t thread;
	int fd;
	int n;
	atomic_int tid;		/* set by the thread, polled by its creator */
	int got;		/* received */
	int err;		/* errno of the first failure */
	__s64 done_ns;		/* when the last receive ended */
	__u64 ctx[ALPC_BATCH_MAX];
};

static void *receiver_main(void *arg)
{
	struct receiver *r = arg;
	struct alpc_msg_info info;

	r->tid = gettid();
	for (; r->got < r->n; r->got++) {
		if (alpc_recv_any(r->fd, RECV_WAIT_NS, &info)) {
			r->err = errno;
			break;
		}
		r->ctx[r->got] = info.context;
	}
	r->done_ns = alpc_now_ns();
	return NULL;
}

static bool receiver_start(struct receiver *r, int fd, int n)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->n = n;
	if (pthread_create(&r->thread, NULL, receiver_main, r))
		return false;
	while (!r->tid)
		usleep(1000);
	/* Asleep in its receive: what wakes it is the batch's doing. */
	return thread_sleeps(r->tid);
}

/*
 * A run of N sends wakes N receivers waiting on the port, one message
 * each: the run's wake-ups, made once at its end, are not one for all.
 */
TEST_F(batch, run_of_sends_wakes_as_many_waiting_receivers)
{
	struct alpc_batch_op ops[4];
	struct alpc_send s[4];
	struct receiver r[4];
	__s64 start;
	__u32 done;
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_TRUE(receiver_start(&r[i], self->comm, 1));
	for (i = 0; i < 4; i++) {
		alpc_send_init(&s[i], ALPC_MSG_DATAGRAM, "w", 1, i, 0);
		alpc_batch_op_init(&ops[i], ALPC_OP_SEND, &s[i]);
	}
	start = alpc_now_ns();
	ASSERT_EQ(0, alpc_batch(self->client, ops, 4, &done));
	EXPECT_EQ(4, done);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0, ops[i].result);
		pthread_join(r[i].thread, NULL);
		EXPECT_EQ(1, r[i].got);
		EXPECT_EQ(0, r[i].err);
		EXPECT_GT(WOKEN_WITHIN_NS, r[i].done_ns - start);
	}
	expect_nothing(_metadata, self->comm);
}

/*
 * A run that must wait for queue space first wakes the receiver of what
 * it has queued so far, or neither would ever move: 8 blocking sends
 * through a queue of 2 all arrive, in order.
 */
TEST_F(batch, run_blocked_on_full_queue_first_wakes_its_receiver)
{
	struct alpc_batch_op ops[8];
	int port, client, comm, i;
	struct alpc_send s[8];
	struct receiver r;
	__s64 start;
	__u32 done;

	open_small_queue(_metadata, self->dev, 2, "batchw", &port, &client, &comm);
	ASSERT_TRUE(receiver_start(&r, comm, 8));
	for (i = 0; i < 8; i++) {
		alpc_send_init(&s[i], ALPC_MSG_DATAGRAM, "b", 1, i, 0);
		s[i].timeout_ns = 2 * RECV_WAIT_NS;
		alpc_batch_op_init(&ops[i], ALPC_OP_SEND, &s[i]);
	}
	start = alpc_now_ns();
	ASSERT_EQ(0, alpc_batch(client, ops, 8, &done));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(0, ops[i].result);
	pthread_join(r.thread, NULL);
	EXPECT_EQ(0, r.err);
	EXPECT_GT(WOKEN_WITHIN_NS, r.done_ns - start);
	ASSERT_EQ(8, r.got);
	for (i = 0; i < 8; i++)
		EXPECT_EQ(i, r.ctx[i]);
	close(client);
	close(comm);
	close(port);
}

/* count 0 or over ALPC_BATCH_MAX fails with EINVAL. */
TEST_F(batch, bad_count_is_einval)
{
	static struct alpc_batch_op ops[ALPC_BATCH_MAX + 1];
	static struct alpc_recv r;
	int i;

	alpc_recv_init(&r, NULL, 0, 0);
	for (i = 0; i <= ALPC_BATCH_MAX; i++)
		alpc_batch_op_init(&ops[i], ALPC_OP_RECV, &r);
	ASSERT_EQ(-1, alpc_batch(self->client, ops, 0, NULL));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, alpc_batch(self->client, ops, ALPC_BATCH_MAX + 1, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0x7eadbeef, ops[0].result);
}

/* An unknown op code fails the whole batch with EINVAL, and nothing is performed. */
TEST_F(batch, unknown_op_is_einval_and_nothing_performed)
{
	static const __u32 bad[] = { 0, ALPC_OP_CANCEL + 1, 0x80000000U };
	struct alpc_batch_op ops[3];
	struct alpc_send s[2];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		alpc_send_init(&s[0], ALPC_MSG_DATAGRAM, "a", 1, 0, 0);
		alpc_batch_op_init(&ops[0], ALPC_OP_SEND, &s[0]);
		alpc_batch_op_init(&ops[1], bad[i], &s[1]);
		alpc_send_init(&s[1], ALPC_MSG_DATAGRAM, "b", 1, 0, 0);
		alpc_batch_op_init(&ops[2], ALPC_OP_SEND, &s[1]);
		ASSERT_EQ(-1, alpc_batch(self->client, ops, 3, NULL));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(0, s[0].id);
		EXPECT_EQ(0, s[1].id);
		expect_nothing(_metadata, self->comm);
	}
}

/* Non-zero flags or reserved fail with EINVAL, and nothing is performed. */
TEST_F(batch, flags_or_reserved_is_einval)
{
	struct alpc_batch_op op;
	struct alpc_batch b;
	struct alpc_send s;
	int i;

	alpc_send_init(&s, ALPC_MSG_DATAGRAM, "a", 1, 0, 0);
	alpc_batch_op_init(&op, ALPC_OP_SEND, &s);
	for (i = 0; i < 2; i++) {
		memset(&b, 0, sizeof(b));
		b.ops = (__u64)(uintptr_t)&op;
		b.count = 1;
		if (i)
			b.reserved = 1;
		else
			b.flags = ALPC_UNKNOWN_FLAG;
		ASSERT_EQ(-1, ioctl(self->client, ALPC_IOC_BATCH, &b));
		EXPECT_EQ(EINVAL, errno);
	}
	expect_nothing(_metadata, self->comm);
}

/* An ops array that cannot be read, or an argument that cannot, fails with EFAULT. */
TEST_F(batch, bad_ops_pointer_is_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	struct alpc_batch_op *op;
	struct alpc_send s;
	char *edge;

	ASSERT_EQ(-1, alpc_batch(self->client, NULL, 1, NULL));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, alpc_batch(self->client, (void *)8, 1, NULL));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->client, ALPC_IOC_BATCH, NULL));
	EXPECT_EQ(EFAULT, errno);

	/* The array runs into an unmapped page. */
	edge = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, edge);
	ASSERT_EQ(0, mprotect(edge + page, page, PROT_NONE));
	op = (struct alpc_batch_op *)(edge + page - sizeof(*op));
	alpc_send_init(&s, ALPC_MSG_DATAGRAM, "a", 1, 0, 0);
	alpc_batch_op_init(op, ALPC_OP_SEND, &s);
	ASSERT_EQ(-1, alpc_batch(self->client, op, 2, NULL));
	EXPECT_EQ(EFAULT, errno);
	expect_nothing(_metadata, self->comm);
	munmap(edge, 2 * page);
}

/* A batch on a communication port whose connection is gone: each op fails alone. */
TEST_F(batch, ops_on_closed_connection_fail_alone)
{
	struct alpc_batch_op ops[2];
	struct alpc_send s;
	struct alpc_recv r;
	__u32 done;

	close(self->comm);
	self->comm = -EBADF;
	alpc_send_init(&s, ALPC_MSG_DATAGRAM, "a", 1, 0, 0);
	alpc_batch_op_init(&ops[0], ALPC_OP_SEND, &s);
	alpc_recv_init(&r, NULL, 0, 0);
	alpc_batch_op_init(&ops[1], ALPC_OP_RECV, &r);
	ASSERT_EQ(0, alpc_batch(self->client, ops, 2, &done));
	EXPECT_EQ(2, done);
	EXPECT_EQ(-ECONNRESET, ops[0].result);
	EXPECT_EQ(-ECONNRESET, ops[1].result);
}

/* Batched sends to an associated port post one completion entry each, in order. */
TEST_F(batch, batched_sends_post_an_entry_each)
{
	struct alpc_completion e[8];
	struct alpc_batch_op ops[6];
	struct alpc_send s[6];
	__u32 done, n;
	__u64 count = 0;
	int efd, cp, i;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	cp = alpc_create_completion(self->dev, efd, 0, 0);
	ASSERT_LE(0, cp);
	ASSERT_EQ(0, alpc_associate(self->comm, cp, PORT_KEY));
	for (i = 0; i < 6; i++) {
		alpc_send_init(&s[i], i % 2 ? ALPC_MSG_REQUEST : ALPC_MSG_DATAGRAM, "a", 1, i, 0);
		alpc_batch_op_init(&ops[i], ALPC_OP_SEND, &s[i]);
	}
	ASSERT_EQ(0, alpc_batch(self->client, ops, 6, &done));
	EXPECT_EQ(6, done);
	ASSERT_EQ(sizeof(count), read(efd, &count, sizeof(count)));
	EXPECT_EQ(6, count);
	ASSERT_EQ(0, alpc_dequeue(cp, e, 8, 0, &n));
	ASSERT_EQ(6, n);
	for (i = 0; i < 6; i++) {
		EXPECT_EQ(PORT_KEY, e[i].key);
		EXPECT_EQ(s[i].id, e[i].msg_id);
		EXPECT_EQ(s[i].type, e[i].kind);
	}
	close(cp);
	close(efd);
}

TEST_HARNESS_MAIN
