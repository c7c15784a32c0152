// SPDX-License-Identifier: GPL-2.0
/*
 * Completion ports: an entry for every kind of event, keys, the eventfd
 * count, the ring and its overflow rule, ALPC_IOC_DEQUEUE, asynchronous
 * connect, lifetimes, poll/epoll, and a server of four threads on one
 * completion port serving 64 client processes.
 *
 * The tests of the "cp" fixture run twice: reaping entries with
 * ALPC_IOC_DEQUEUE only, and from a mapped ring.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "alpc_util.h"

#define PORT_KEY	0x1111000000000001ULL
#define CLIENT_KEY	0x2222000000000002ULL
#define COMM_KEY	0x3333000000000003ULL
#define OTHER_KEY	0x4444000000000004ULL
#define CTX		0xc0ffee0000c0ffeeULL

/* The ring of the "ring" fixture, small enough to overflow. */
#define RING_N		8

/* A completion port, its eventfd (non-blocking) and its ring, if any. */
struct cport {
	int efd;
	int fd;
	struct alpc_ring *ring;
	__u32 entries;
};

static void cport_init(struct cport *c)
{
	c->efd = -EBADF;
	c->fd = -EBADF;
	c->ring = NULL;
	c->entries = 0;
}

/* Opens a completion port with a ring of @entries (0: none), mapped. */
static int cport_open(struct cport *c, int dev, __u32 entries)
{
	c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->efd < 0)
		return -1;
	c->fd = alpc_create_completion(dev, c->efd, entries, 0);
	if (c->fd < 0)
		return -1;
	c->entries = entries;
	if (entries) {
		c->ring = alpc_ring_map(c->fd, entries);
		if (!c->ring)
			return -1;
	}
	return 0;
}

static void cport_close(struct cport *c)
{
	alpc_ring_unmap(c->ring, c->entries);
	if (c->fd >= 0)
		close(c->fd);
	if (c->efd >= 0)
		close(c->efd);
	cport_init(c);
}

/*
 * Takes the next entry, waiting up to @timeout_ms: from the ring when it
 * has one (waiting for it with poll), else with ALPC_IOC_DEQUEUE.
 */
static int cport_take(struct cport *c, struct alpc_completion *e, int timeout_ms)
{
	if (!c->ring)
		return alpc_dequeue(c->fd, e, 1, timeout_ms * ALPC_NS_PER_MS, NULL);
	if (!alpc_readable(c->fd, timeout_ms)) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (alpc_ring_reap(c->ring, e, 1) == 1)
		return 0;
	return alpc_dequeue(c->fd, e, 1, 0, NULL);
}

/* True if no entry is waiting (none in the ring, none in the kernel). */
static bool cport_empty(struct cport *c)
{
	struct alpc_completion e;

	if (c->ring && alpc_ring_ready(c->ring))
		return false;
	return alpc_dequeue(c->fd, &e, 1, 0, NULL) == -1 && errno == EAGAIN;
}

/* Checks entry @e against what it should say. */
static void expect_entry(struct __test_metadata *_metadata, const struct alpc_completion *e,
			 __u64 key, __u32 kind, __u64 msg_id)
{
	EXPECT_EQ(key, e->key);
	EXPECT_EQ(kind, e->kind);
	EXPECT_EQ(msg_id, e->msg_id);
	EXPECT_EQ(0, e->status);
	EXPECT_EQ(0, e->reserved);
}

/* Sends @n datagrams, their ids to @ids; returns how many went. */
static int send_datagrams(int fd, int n, __u64 *ids)
{
	int i;

	for (i = 0; i < n; i++)
		if (alpc_send(fd, ALPC_MSG_DATAGRAM, &i, sizeof(i), i, 0, 0, &ids[i]))
			break;
	return i;
}

FIXTURE(cp) {
	int dev;
	char name[ALPC_NAME_MAX];
	int port;
	int client;
	int comm;
	int other;
	struct cport c;
};

FIXTURE_VARIANT(cp) {
	__u32 ring_entries;
};

FIXTURE_VARIANT_ADD(cp, dequeue) {
	.ring_entries = 0,
};

FIXTURE_VARIANT_ADD(cp, ring) {
	.ring_entries = 64,
};

FIXTURE_SETUP(cp)
{
	self->port = -EBADF;
	self->client = -EBADF;
	self->comm = -EBADF;
	self->other = -EBADF;
	cport_init(&self->c);
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	alpc_port_name(self->name, "cp");
	self->port = alpc_create_port(self->dev, self->name, NULL, 0);
	ASSERT_LE(0, self->port);
	ASSERT_EQ(0, cport_open(&self->c, self->dev, variant->ring_entries));
	ASSERT_EQ(0, alpc_associate(self->port, self->c.fd, PORT_KEY));
}

FIXTURE_TEARDOWN(cp)
{
	if (self->other >= 0)
		close(self->other);
	if (self->client >= 0)
		close(self->client);
	if (self->comm >= 0)
		close(self->comm);
	if (self->port >= 0)
		close(self->port);
	cport_close(&self->c);
	if (self->dev >= 0)
		close(self->dev);
}

/*
 * Connects a client to the fixture's port and accepts it with @flags
 * (*@comm gets a communication port); takes the CONNECTION_REQUEST entry
 * and, if @key, associates the client under it. Returns the client's fd.
 * (struct _test_data_cp is what FIXTURE_DATA(cp) names.)
 */
static int cp_connect(struct _test_data_cp *self, __u32 flags, int *comm, __u64 key)
{
	struct alpc_completion e;
	int fd;

	fd = alpc_connect_accept(self->dev, self->port, self->name, CTX, flags, comm, NULL);
	if (fd < 0)
		return -1;
	if (cport_take(&self->c, &e, 5000) || e.kind != ALPC_MSG_CONNECTION_REQUEST ||
	    e.key != PORT_KEY || (key && alpc_associate(fd, self->c.fd, key))) {
		close(fd);
		errno = EPROTO;
		return -1;
	}
	return fd;
}

/* A connection request posts CONNECTION_REQUEST under the port's key, naming it. */
TEST_F(cp, connection_request_posts_entry)
{
	struct alpc_connector con;
	struct alpc_msg_info info;
	struct alpc_completion e;

	ASSERT_EQ(0, alpc_connector_start(&con, self->dev, self->name, "abc", 3, ALPC_WAIT_NS, 0));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);
	expect_entry(_metadata, &e, PORT_KEY, ALPC_MSG_CONNECTION_REQUEST, info.id);
	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, CTX, NULL, 0));
	self->client = alpc_connector_join(&con);
	ASSERT_LE(0, self->client);
	EXPECT_TRUE(cport_empty(&self->c));
}

/* A request posts REQUEST naming it; the request stays queued on the port. */
TEST_F(cp, request_posts_entry)
{
	struct alpc_msg_info info;
	struct alpc_completion e;
	__u64 id;

	self->client = cp_connect(self, 0, NULL, 0);
	ASSERT_LE(0, self->client);
	ASSERT_EQ(0, alpc_request(self->client, "q", 1, &id));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	expect_entry(_metadata, &e, PORT_KEY, ALPC_MSG_REQUEST, id);
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
	EXPECT_EQ(ALPC_MSG_REQUEST, info.type);
	EXPECT_EQ(id, info.id);
	EXPECT_TRUE(cport_empty(&self->c));
}

/* A datagram posts DATAGRAM naming it. */
TEST_F(cp, datagram_posts_entry)
{
	struct alpc_msg_info info;
	struct alpc_completion e;
	__u64 id;

	self->client = cp_connect(self, 0, NULL, 0);
	ASSERT_LE(0, self->client);
	ASSERT_EQ(0, alpc_datagram(self->client, "d", 1, &id));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	expect_entry(_metadata, &e, PORT_KEY, ALPC_MSG_DATAGRAM, id);
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
	EXPECT_EQ(id, info.id);
	EXPECT_TRUE(cport_empty(&self->c));
}

/* The reply to a request sent with SEND posts REPLY on the client port's key. */
TEST_F(cp, reply_posts_entry_on_client_port)
{
	struct alpc_msg_info info;
	struct alpc_completion e;
	__u64 req, rep;
	char buf[8];

	self->client = cp_connect(self, 0, NULL, CLIENT_KEY);
	ASSERT_LE(0, self->client);
	ASSERT_EQ(0, alpc_request(self->client, "q", 1, &req));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	expect_entry(_metadata, &e, PORT_KEY, ALPC_MSG_REQUEST, req);
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
	ASSERT_EQ(0, alpc_send(self->port, ALPC_MSG_REPLY, "ans", 3, 0, req, 0, &rep));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	expect_entry(_metadata, &e, CLIENT_KEY, ALPC_MSG_REPLY, rep);
	ASSERT_EQ(0, alpc_recv(self->client, buf, sizeof(buf), 0, &info));
	EXPECT_EQ(ALPC_MSG_REPLY, info.type);
	EXPECT_EQ(rep, info.id);
	EXPECT_EQ(req, info.ref_id);
	EXPECT_EQ(0, memcmp(buf, "ans", 3));
	EXPECT_TRUE(cport_empty(&self->c));
}

/* A client closing its port posts PORT_CLOSED on the server's key. */
TEST_F(cp, port_closed_posts_entry)
{
	struct alpc_msg_info info;
	struct alpc_completion e;

	self->client = cp_connect(self, 0, NULL, 0);
	ASSERT_LE(0, self->client);
	close(self->client);
	self->client = -EBADF;
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
	EXPECT_EQ(ALPC_MSG_PORT_CLOSED, info.type);
	EXPECT_EQ(CTX, info.port_context);
	expect_entry(_metadata, &e, PORT_KEY, ALPC_MSG_PORT_CLOSED, info.id);
	EXPECT_TRUE(cport_empty(&self->c));
}

static int connect_and_exit(void *arg)
{
	const char *name = arg;
	int dev = alpc_open();

	if (dev < 0)
		return 1;
	/* Exits holding the client port. */
	return alpc_connect(dev, name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL) < 0 ? 2 : 0;
}

/* A client process exiting with its port open posts CLIENT_DIED. */
TEST_F(cp, client_died_posts_entry)
{
	struct alpc_msg_info info;
	struct alpc_completion e;
	pid_t pid;

	pid = alpc_fork(connect_and_exit, self->name);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
	expect_entry(_metadata, &e, PORT_KEY, ALPC_MSG_CONNECTION_REQUEST, info.id);
	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, CTX, NULL, 0));
	ASSERT_EQ(0, alpc_wait_child(pid));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
	EXPECT_EQ(ALPC_MSG_CLIENT_DIED, info.type);
	expect_entry(_metadata, &e, PORT_KEY, ALPC_MSG_CLIENT_DIED, info.id);
	EXPECT_TRUE(cport_empty(&self->c));
}

/* Canceling a request the server has posts CANCELED, naming the CANCELED message. */
TEST_F(cp, canceled_posts_entry)
{
	struct alpc_msg_info info;
	struct alpc_completion e;
	__u64 req;

	self->client = cp_connect(self, 0, NULL, 0);
	ASSERT_LE(0, self->client);
	ASSERT_EQ(0, alpc_request(self->client, "q", 1, &req));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
	ASSERT_EQ(0, alpc_cancel(self->client, req));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
	EXPECT_EQ(ALPC_MSG_CANCELED, info.type);
	EXPECT_EQ(req, info.ref_id);
	expect_entry(_metadata, &e, PORT_KEY, ALPC_MSG_CANCELED, info.id);
	EXPECT_TRUE(cport_empty(&self->c));
}

/* With a server communication port, the client's messages post under its key. */
TEST_F(cp, comm_port_posts_under_its_own_key)
{
	struct alpc_msg_info info;
	struct alpc_completion e;
	__u64 id;

	self->client = cp_connect(self, ALPC_ACCEPT_COMM_PORT, &self->comm, 0);
	ASSERT_LE(0, self->client);
	ASSERT_EQ(0, alpc_associate(self->comm, self->c.fd, COMM_KEY));
	ASSERT_EQ(0, alpc_datagram(self->client, "d", 1, &id));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	expect_entry(_metadata, &e, COMM_KEY, ALPC_MSG_DATAGRAM, id);
	ASSERT_EQ(0, alpc_recv_any(self->comm, 0, &info));
	EXPECT_EQ(id, info.id);
	EXPECT_TRUE(cport_empty(&self->c));
}

/* An accepted asynchronous connect posts CONNECT, naming the REPLY with the server's data. */
TEST_F(cp, async_connect_accepted_posts_connect_entry)
{
	struct alpc_msg_info info;
	struct alpc_completion e;
	char buf[16];
	__u64 id;

	self->client = alpc_connect_async(self->dev, self->name, "hi", 2, self->c.fd, CLIENT_KEY);
	ASSERT_LE(0, self->client);
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, alpc_recv(self->port, buf, sizeof(buf), 0, &info));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);
	EXPECT_EQ(0, memcmp(buf, "hi", 2));
	expect_entry(_metadata, &e, PORT_KEY, ALPC_MSG_CONNECTION_REQUEST, info.id);

	/* Not connected yet: sends fail, receives find nothing. */
	ASSERT_EQ(-1, alpc_datagram(self->client, "x", 1, NULL));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(-1, alpc_recv(self->client, buf, sizeof(buf), 0, NULL));
	ASSERT_EQ(EAGAIN, errno);
	EXPECT_TRUE(cport_empty(&self->c));

	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, CTX, "hello", 5));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	EXPECT_EQ(CLIENT_KEY, e.key);
	EXPECT_EQ(ALPC_COMPLETION_CONNECT, e.kind);
	EXPECT_EQ(0, e.status);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, alpc_recv(self->client, buf, sizeof(buf), 0, &info));
	EXPECT_EQ(ALPC_MSG_REPLY, info.type);
	EXPECT_EQ(e.msg_id, info.id);
	EXPECT_EQ(5, info.len);
	EXPECT_EQ(0, memcmp(buf, "hello", 5));

	/* Connected: the client's messages flow, with the port context. */
	ASSERT_EQ(0, alpc_datagram(self->client, "x", 1, &id));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	expect_entry(_metadata, &e, PORT_KEY, ALPC_MSG_DATAGRAM, id);
	ASSERT_EQ(0, alpc_recv(self->port, buf, sizeof(buf), 0, &info));
	EXPECT_EQ(CTX, info.port_context);
	EXPECT_TRUE(cport_empty(&self->c));
}

/* A rejected asynchronous connect posts CONNECT with -ECONNREFUSED and the server's data. */
TEST_F(cp, async_connect_rejected_posts_econnrefused)
{
	struct alpc_msg_info info;
	struct alpc_completion e;
	char buf[16];

	self->client = alpc_connect_async(self->dev, self->name, NULL, 0, self->c.fd, CLIENT_KEY);
	ASSERT_LE(0, self->client);
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
	ASSERT_EQ(0, alpc_accept(self->port, info.id, ALPC_ACCEPT_REJECT, 0, "no", 2));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	EXPECT_EQ(CLIENT_KEY, e.key);
	EXPECT_EQ(ALPC_COMPLETION_CONNECT, e.kind);
	EXPECT_EQ(-ECONNREFUSED, e.status);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, alpc_recv(self->client, buf, sizeof(buf), 0, &info));
	EXPECT_EQ(ALPC_MSG_REPLY, info.type);
	EXPECT_EQ(e.msg_id, info.id);
	EXPECT_EQ(0, memcmp(buf, "no", 2));
	ASSERT_EQ(-1, alpc_datagram(self->client, "x", 1, NULL));
	EXPECT_TRUE(cport_empty(&self->c));
}

/* A connection port closed before answering posts CONNECT with -ECONNRESET. */
TEST_F(cp, async_connect_to_closed_port_posts_econnreset)
{
	struct alpc_completion e;

	self->client = alpc_connect_async(self->dev, self->name, NULL, 0, self->c.fd, CLIENT_KEY);
	ASSERT_LE(0, self->client);
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	EXPECT_EQ(ALPC_MSG_CONNECTION_REQUEST, e.kind);
	close(self->port);
	self->port = -EBADF;
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	EXPECT_EQ(CLIENT_KEY, e.key);
	EXPECT_EQ(ALPC_COMPLETION_CONNECT, e.kind);
	EXPECT_EQ(-ECONNRESET, e.status);
	ASSERT_EQ(-1, alpc_recv_any(self->client, 0, NULL));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_TRUE(cport_empty(&self->c));
}

/* A client that closes its asynchronous connect's fd gives up: the accept fails. */
TEST_F(cp, async_connect_closed_by_client_fails_accept)
{
	struct alpc_msg_info info;
	struct alpc_completion e;

	self->client = alpc_connect_async(self->dev, self->name, NULL, 0, self->c.fd, CLIENT_KEY);
	ASSERT_LE(0, self->client);
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);
	close(self->client);
	self->client = -EBADF;
	ASSERT_EQ(-1, alpc_accept(self->port, info.id, 0, CTX, NULL, 0));
	ASSERT_EQ(ENOENT, errno);
}

/* An asynchronous connect given up by closing its fd posts nothing more under its key. */
TEST_F(cp, closed_async_connect_posts_nothing)
{
	struct alpc_completion e[8];
	struct alpc_msg_info info;
	__u32 n = 0, i;

	self->client = alpc_connect_async(self->dev, self->name, NULL, 0, self->c.fd, CLIENT_KEY);
	ASSERT_LE(0, self->client);
	ASSERT_EQ(0, cport_take(&self->c, &e[0], 5000));
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
	close(self->client);
	self->client = -EBADF;
	if (alpc_dequeue(self->c.fd, e, 8, 0, &n))
		n = 0;
	for (i = 0; i < n; i++) {
		EXPECT_NE(CLIENT_KEY, e[i].key) {
			TH_LOG("entry kind %u status %d after the close", e[i].kind, e[i].status);
		}
	}
}

/* Associating an asynchronous connect's port again moves its CONNECT entry to the new key. */
TEST_F(cp, async_connect_reassociated_posts_under_new_key)
{
	struct alpc_msg_info info;
	struct alpc_completion e;

	self->client = alpc_connect_async(self->dev, self->name, NULL, 0, self->c.fd, CLIENT_KEY);
	ASSERT_LE(0, self->client);
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
	ASSERT_EQ(0, alpc_associate(self->client, self->c.fd, OTHER_KEY));
	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, CTX, NULL, 0));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	EXPECT_EQ(OTHER_KEY, e.key);
	EXPECT_EQ(ALPC_COMPLETION_CONNECT, e.kind);
	EXPECT_EQ(0, e.status);
	ASSERT_EQ(0, alpc_recv_any(self->client, 0, &info));
	EXPECT_EQ(e.msg_id, info.id);
	EXPECT_TRUE(cport_empty(&self->c));
}

/* An asynchronous connect must not wait, and needs a completion port. */
TEST_F(cp, async_connect_bad_arguments)
{
	struct alpc_connect c;
	char reply[8];
	int efd;

	alpc_connect_init(&c, self->name, NULL, 0, 0);
	c.flags = ALPC_CONNECT_ASYNC;
	c.completion_fd = self->c.fd;
	ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_CONNECT, &c));
	EXPECT_EQ(EINVAL, errno);
	c.timeout_ns = ALPC_WAIT_NS;
	ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_CONNECT, &c));
	EXPECT_EQ(EINVAL, errno);
	c.timeout_ns = -1;
	c.reply_buf = (__u64)(uintptr_t)reply;
	c.reply_size = sizeof(reply);
	ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_CONNECT, &c));
	EXPECT_EQ(EINVAL, errno);

	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(-1, alpc_connect_async(self->dev, self->name, NULL, 0, efd, CLIENT_KEY));
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(-1, alpc_connect_async(self->dev, self->name, NULL, 0, self->port, CLIENT_KEY));
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(-1, alpc_connect_async(self->dev, self->name, NULL, 0, -1, CLIENT_KEY));
	EXPECT_EQ(EBADF, errno);
	close(efd);

	self->name[0] ^= 1;
	ASSERT_EQ(-1, alpc_connect_async(self->dev, self->name, NULL, 0, self->c.fd, CLIENT_KEY));
	EXPECT_EQ(ENOENT, errno);
	/* None of these reached the server. */
	EXPECT_TRUE(cport_empty(&self->c));
}

/* Ports on one completion port post under their own keys. */
TEST_F(cp, each_port_posts_under_its_own_key)
{
	struct alpc_msg_info info;
	struct alpc_completion e;
	__u64 id, req;

	self->client = cp_connect(self, 0, NULL, CLIENT_KEY);
	ASSERT_LE(0, self->client);
	self->other = cp_connect(self, ALPC_ACCEPT_COMM_PORT, &self->comm, OTHER_KEY);
	ASSERT_LE(0, self->other);
	ASSERT_EQ(0, alpc_associate(self->comm, self->c.fd, COMM_KEY));

	ASSERT_EQ(0, alpc_datagram(self->client, "a", 1, &id));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	expect_entry(_metadata, &e, PORT_KEY, ALPC_MSG_DATAGRAM, id);

	ASSERT_EQ(0, alpc_datagram(self->other, "b", 1, &id));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	expect_entry(_metadata, &e, COMM_KEY, ALPC_MSG_DATAGRAM, id);

	ASSERT_EQ(0, alpc_datagram(self->comm, "c", 1, &id));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	expect_entry(_metadata, &e, OTHER_KEY, ALPC_MSG_DATAGRAM, id);

	ASSERT_EQ(0, alpc_request(self->client, "r", 1, &req));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	expect_entry(_metadata, &e, PORT_KEY, ALPC_MSG_REQUEST, req);
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
	ASSERT_EQ(req, info.id);
	ASSERT_EQ(0, alpc_send(self->port, ALPC_MSG_REPLY, NULL, 0, 0, req, 0, &id));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	expect_entry(_metadata, &e, CLIENT_KEY, ALPC_MSG_REPLY, id);
	EXPECT_TRUE(cport_empty(&self->c));
}

/* Associating again replaces the key. */
TEST_F(cp, reassociate_replaces_key)
{
	struct alpc_completion e;
	__u64 id;

	self->client = cp_connect(self, 0, NULL, 0);
	ASSERT_LE(0, self->client);
	ASSERT_EQ(0, alpc_associate(self->port, self->c.fd, OTHER_KEY));
	ASSERT_EQ(0, alpc_datagram(self->client, "a", 1, &id));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	expect_entry(_metadata, &e, OTHER_KEY, ALPC_MSG_DATAGRAM, id);
	ASSERT_EQ(0, alpc_associate(self->port, self->c.fd, 0));
	ASSERT_EQ(0, alpc_datagram(self->client, "b", 1, &id));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	expect_entry(_metadata, &e, 0, ALPC_MSG_DATAGRAM, id);
	EXPECT_TRUE(cport_empty(&self->c));
}

/* Associating with another completion port moves the port's entries there. */
TEST_F(cp, reassociate_moves_to_other_completion_port)
{
	struct alpc_completion e;
	struct cport c2;
	__u64 id;

	self->client = cp_connect(self, 0, NULL, 0);
	ASSERT_LE(0, self->client);
	alpc_eventfd_take(self->c.efd);
	cport_init(&c2);
	ASSERT_EQ(0, cport_open(&c2, self->dev, 0));
	ASSERT_EQ(0, alpc_associate(self->port, c2.fd, OTHER_KEY));
	ASSERT_EQ(0, alpc_datagram(self->client, "a", 1, &id));
	ASSERT_EQ(0, alpc_dequeue(c2.fd, &e, 1, 0, NULL));
	expect_entry(_metadata, &e, OTHER_KEY, ALPC_MSG_DATAGRAM, id);
	EXPECT_TRUE(cport_empty(&self->c));
	EXPECT_EQ(0, alpc_eventfd_take(self->c.efd));
	EXPECT_EQ(1, alpc_eventfd_take(c2.efd));
	cport_close(&c2);
}

/* completion_fd -1 ends the association: messages post nothing, and still arrive. */
TEST_F(cp, dissociate_stops_entries)
{
	struct alpc_msg_info info;
	__u64 id;

	self->client = cp_connect(self, 0, NULL, 0);
	ASSERT_LE(0, self->client);
	alpc_eventfd_take(self->c.efd);
	ASSERT_EQ(0, alpc_associate(self->port, -1, 0));
	ASSERT_EQ(0, alpc_datagram(self->client, "a", 1, &id));
	EXPECT_TRUE(cport_empty(&self->c));
	EXPECT_EQ(0, alpc_eventfd_take(self->c.efd));
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
	EXPECT_EQ(id, info.id);
	/* Ending an association that is not there is fine too. */
	ASSERT_EQ(0, alpc_associate(self->port, -1, 0));
}

/* Messages queued before the association post nothing; later ones do. */
TEST_F(cp, messages_queued_before_association_post_nothing)
{
	struct alpc_completion e;
	__u64 before, after;

	self->client = cp_connect(self, 0, NULL, 0);
	ASSERT_LE(0, self->client);
	ASSERT_EQ(0, alpc_associate(self->port, -1, 0));
	ASSERT_EQ(0, alpc_datagram(self->client, "a", 1, &before));
	ASSERT_EQ(0, alpc_associate(self->port, self->c.fd, PORT_KEY));
	EXPECT_TRUE(cport_empty(&self->c));
	ASSERT_EQ(0, alpc_datagram(self->client, "b", 1, &after));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	expect_entry(_metadata, &e, PORT_KEY, ALPC_MSG_DATAGRAM, after);
	EXPECT_TRUE(cport_empty(&self->c));
}

/* The eventfd's count grows by one per entry posted. */
TEST_F(cp, eventfd_counts_entries)
{
	struct alpc_completion e;
	int i;

	self->client = cp_connect(self, 0, NULL, CLIENT_KEY);
	ASSERT_LE(0, self->client);
	EXPECT_EQ(1, alpc_eventfd_take(self->c.efd));
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, alpc_datagram(self->client, "a", 1, NULL));
	EXPECT_EQ(10, alpc_eventfd_take(self->c.efd));
	EXPECT_EQ(0, alpc_eventfd_take(self->c.efd));
	/* An entry on another key counts the same. */
	ASSERT_EQ(0, alpc_request(self->client, "r", 1, NULL));
	EXPECT_EQ(1, alpc_eventfd_take(self->c.efd));
	for (i = 0; i < 11; i++)
		ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	EXPECT_TRUE(cport_empty(&self->c));
	/* Taking entries leaves the count alone. */
	EXPECT_EQ(0, alpc_eventfd_take(self->c.efd));
}

/* The completion port keeps its own reference to the eventfd. */
TEST_F(cp, eventfd_closed_by_caller_keeps_working)
{
	struct alpc_completion e;
	__u64 id;

	self->client = cp_connect(self, 0, NULL, 0);
	ASSERT_LE(0, self->client);
	close(self->c.efd);
	self->c.efd = -EBADF;
	ASSERT_EQ(0, alpc_datagram(self->client, "a", 1, &id));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	expect_entry(_metadata, &e, PORT_KEY, ALPC_MSG_DATAGRAM, id);
}

/* Several ports' entries come out in the order they were posted. */
TEST_F(cp, entries_keep_posting_order)
{
	struct alpc_completion e;
	__u64 ids[12];
	int i;

	self->client = cp_connect(self, 0, NULL, 0);
	ASSERT_LE(0, self->client);
	self->other = cp_connect(self, ALPC_ACCEPT_COMM_PORT, &self->comm, 0);
	ASSERT_LE(0, self->other);
	ASSERT_EQ(0, alpc_associate(self->comm, self->c.fd, COMM_KEY));
	for (i = 0; i < 12; i++)
		ASSERT_EQ(0, alpc_datagram(i % 2 ? self->other : self->client, "a", 1, &ids[i]));
	for (i = 0; i < 12; i++) {
		ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
		expect_entry(_metadata, &e, i % 2 ? COMM_KEY : PORT_KEY, ALPC_MSG_DATAGRAM, ids[i]);
	}
	EXPECT_TRUE(cport_empty(&self->c));
}

/* DEQUEUE with nothing waiting and timeout 0 fails with EAGAIN. */
TEST_F(cp, dequeue_empty_nonblocking_is_eagain)
{
	struct alpc_completion e;
	__u32 n = 99;

	ASSERT_EQ(-1, alpc_dequeue(self->c.fd, &e, 1, 0, &n));
	EXPECT_EQ(EAGAIN, errno);
}

/* DEQUEUE with nothing waiting times out with ETIMEDOUT, after the timeout. */
TEST_F(cp, dequeue_empty_times_out)
{
	struct alpc_completion e;
	__s64 start = alpc_now_ns();

	ASSERT_EQ(-1, alpc_dequeue(self->c.fd, &e, 1, 100 * ALPC_NS_PER_MS, NULL));
	EXPECT_EQ(ETIMEDOUT, errno);
	EXPECT_LE(90 * ALPC_NS_PER_MS, alpc_now_ns() - start);
}

/* A signal ends a waiting DEQUEUE with EINTR. */
TEST_F(cp, dequeue_interrupted_by_signal_is_eintr)
{
	struct alpc_completion e;
	struct alpc_dequeue d;
	struct alpc_call call;

	ASSERT_EQ(0, alpc_install_noop_handler(SIGUSR1));
	memset(&d, 0, sizeof(d));
	d.entries = (__u64)(uintptr_t)&e;
	d.max = 1;
	d.timeout_ns = -1;
	ASSERT_EQ(0, alpc_call_start(&call, self->c.fd, ALPC_IOC_DEQUEUE, &d));
	ASSERT_EQ(-1, alpc_call_interrupt(&call, SIGUSR1));
	EXPECT_EQ(EINTR, errno);
}

/* A waiting DEQUEUE returns when an entry is posted. */
TEST_F(cp, dequeue_wakes_on_post)
{
	struct alpc_completion e;
	struct alpc_dequeue d;
	struct alpc_call call;
	__u64 id;

	self->client = cp_connect(self, 0, NULL, 0);
	ASSERT_LE(0, self->client);
	memset(&d, 0, sizeof(d));
	d.entries = (__u64)(uintptr_t)&e;
	d.max = 1;
	d.timeout_ns = -1;
	ASSERT_EQ(0, alpc_call_start(&call, self->c.fd, ALPC_IOC_DEQUEUE, &d));
	EXPECT_TRUE(alpc_call_still_waits(&call, 100));
	ASSERT_EQ(0, alpc_datagram(self->client, "a", 1, &id));
	ASSERT_EQ(0, alpc_call_join(&call));
	EXPECT_EQ(1, d.count);
	expect_entry(_metadata, &e, PORT_KEY, ALPC_MSG_DATAGRAM, id);
}

/* DEQUEUE takes at most max entries, oldest first. */
TEST_F(cp, dequeue_takes_at_most_max)
{
	struct alpc_completion e[8];
	__u64 ids[5];
	__u32 n;
	int i;

	self->client = cp_connect(self, 0, NULL, 0);
	ASSERT_LE(0, self->client);
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, alpc_datagram(self->client, "a", 1, &ids[i]));
	memset(e, 0xff, sizeof(e));
	ASSERT_EQ(0, alpc_dequeue(self->c.fd, e, 2, 0, &n));
	ASSERT_EQ(2, n);
	expect_entry(_metadata, &e[0], PORT_KEY, ALPC_MSG_DATAGRAM, ids[0]);
	expect_entry(_metadata, &e[1], PORT_KEY, ALPC_MSG_DATAGRAM, ids[1]);
	/* Room for more than wait: the rest, without waiting. */
	ASSERT_EQ(0, alpc_dequeue(self->c.fd, e, 8, ALPC_WAIT_NS, &n));
	ASSERT_EQ(3, n);
	for (i = 0; i < 3; i++)
		expect_entry(_metadata, &e[i], PORT_KEY, ALPC_MSG_DATAGRAM, ids[i + 2]);
	EXPECT_TRUE(cport_empty(&self->c));
}

/* max 0 or over 1024 fails with EINVAL. */
TEST_F(cp, dequeue_bad_max_is_einval)
{
	static struct alpc_completion e[1025];

	ASSERT_EQ(-1, alpc_dequeue(self->c.fd, e, 0, 0, NULL));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, alpc_dequeue(self->c.fd, e, 1025, 0, NULL));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, alpc_dequeue(self->c.fd, e, 1024, 0, NULL));
	EXPECT_EQ(EAGAIN, errno);
}

/* Non-zero flags or reserved fail with EINVAL and take nothing. */
TEST_F(cp, dequeue_flags_or_reserved_is_einval)
{
	struct alpc_completion e;
	struct alpc_dequeue d;

	self->client = cp_connect(self, 0, NULL, 0);
	ASSERT_LE(0, self->client);
	ASSERT_EQ(0, alpc_datagram(self->client, "a", 1, NULL));
	memset(&d, 0, sizeof(d));
	d.entries = (__u64)(uintptr_t)&e;
	d.max = 1;
	d.flags = ALPC_UNKNOWN_FLAG;
	ASSERT_EQ(-1, ioctl(self->c.fd, ALPC_IOC_DEQUEUE, &d));
	EXPECT_EQ(EINVAL, errno);
	d.flags = 0;
	d.reserved = 1;
	ASSERT_EQ(-1, ioctl(self->c.fd, ALPC_IOC_DEQUEUE, &d));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	EXPECT_EQ(ALPC_MSG_DATAGRAM, e.kind);
}

/* An entries pointer that cannot be written fails with EFAULT, and loses no entry. */
TEST_F(cp, dequeue_bad_entries_pointer_is_efault_and_keeps_entry)
{
	long page = sysconf(_SC_PAGESIZE);
	struct alpc_completion e;
	char *ro, *edge;
	__u64 id;

	self->client = cp_connect(self, 0, NULL, 0);
	ASSERT_LE(0, self->client);
	ASSERT_EQ(0, alpc_datagram(self->client, "a", 1, &id));
	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	edge = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, edge);
	ASSERT_EQ(0, mprotect(edge + page, page, PROT_NONE));

	ASSERT_EQ(-1, alpc_dequeue(self->c.fd, NULL, 1, 0, NULL));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, alpc_dequeue(self->c.fd, (void *)ro, 1, 0, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* Room for one, but not for the two asked. */
	ASSERT_EQ(-1, alpc_dequeue(self->c.fd, (void *)(edge + page - sizeof(e)), 2, 0, NULL));
	EXPECT_EQ(EFAULT, errno);
	if (self->c.ring)
		EXPECT_EQ(1, alpc_ring_ready(self->c.ring));

	ASSERT_EQ(0, alpc_dequeue(self->c.fd, &e, 1, 0, NULL));
	expect_entry(_metadata, &e, PORT_KEY, ALPC_MSG_DATAGRAM, id);
	munmap(ro, page);
	munmap(edge, 2 * page);
}

/* An argument pointer that cannot be read fails with EFAULT. */
TEST_F(cp, dequeue_bad_arg_pointer_is_efault)
{
	ASSERT_EQ(-1, ioctl(self->c.fd, ALPC_IOC_DEQUEUE, NULL));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->c.fd, ALPC_IOC_DEQUEUE, (void *)1));
	EXPECT_EQ(EFAULT, errno);
}

#define WAITERS	4

/* Four threads wait; one entry wakes exactly one of them and the others time out. */
TEST_F(cp, one_entry_wakes_one_waiter)
{
	struct alpc_completion e[WAITERS];
	struct alpc_dequeue d[WAITERS];
	struct alpc_call call[WAITERS];
	int i, got = 0, timed_out = 0;
	__s64 posted;
	__u64 id;

	self->client = cp_connect(self, 0, NULL, 0);
	ASSERT_LE(0, self->client);
	for (i = 0; i < WAITERS; i++) {
		memset(&d[i], 0, sizeof(d[i]));
		d[i].entries = (__u64)(uintptr_t)&e[i];
		d[i].max = 1;
		d[i].timeout_ns = 3000 * ALPC_NS_PER_MS;
		ASSERT_EQ(0, alpc_call_start(&call[i], self->c.fd, ALPC_IOC_DEQUEUE, &d[i]));
	}
	alpc_sleep_ms(300);
	posted = alpc_now_ns();
	ASSERT_EQ(0, alpc_datagram(self->client, "a", 1, &id));
	for (i = 0; i < WAITERS; i++) {
		if (alpc_call_join(&call[i]) == 0) {
			got++;
			EXPECT_EQ(1, d[i].count);
			expect_entry(_metadata, &e[i], PORT_KEY, ALPC_MSG_DATAGRAM, id);
			/* Woken by the post, well before its timeout. */
			EXPECT_GT(2000 * ALPC_NS_PER_MS, call[i].end_ns - posted);
		} else {
			EXPECT_EQ(ETIMEDOUT, call[i].err);
			timed_out += call[i].err == ETIMEDOUT;
		}
	}
	EXPECT_EQ(1, got);
	EXPECT_EQ(WAITERS - 1, timed_out);
}

/* As many entries as waiters: every waiter gets one. */
TEST_F(cp, entries_wake_as_many_waiters)
{
	struct alpc_completion e[WAITERS];
	struct alpc_dequeue d[WAITERS];
	struct alpc_call call[WAITERS];
	__u64 ids[WAITERS];
	int i, j, matched = 0;

	self->client = cp_connect(self, 0, NULL, 0);
	ASSERT_LE(0, self->client);
	for (i = 0; i < WAITERS; i++) {
		memset(&d[i], 0, sizeof(d[i]));
		d[i].entries = (__u64)(uintptr_t)&e[i];
		d[i].max = 1;
		d[i].timeout_ns = ALPC_WAIT_NS;
		ASSERT_EQ(0, alpc_call_start(&call[i], self->c.fd, ALPC_IOC_DEQUEUE, &d[i]));
	}
	alpc_sleep_ms(200);
	ASSERT_EQ(WAITERS, send_datagrams(self->client, WAITERS, ids));
	for (i = 0; i < WAITERS; i++) {
		ASSERT_EQ(0, alpc_call_join(&call[i]));
		EXPECT_EQ(1, d[i].count);
		EXPECT_EQ(ALPC_MSG_DATAGRAM, e[i].kind);
		for (j = 0; j < WAITERS; j++)
			matched += e[i].msg_id == ids[j];
	}
	/* Each entry went to exactly one waiter. */
	EXPECT_EQ(WAITERS, matched);
}

/* The completion fd polls readable exactly while entries wait. */
TEST_F(cp, completion_fd_polls_readable_while_entries_wait)
{
	struct alpc_completion e;

	self->client = cp_connect(self, 0, NULL, 0);
	ASSERT_LE(0, self->client);
	EXPECT_FALSE(alpc_readable(self->c.fd, 0));
	ASSERT_EQ(0, alpc_datagram(self->client, "a", 1, NULL));
	ASSERT_EQ(0, alpc_datagram(self->client, "b", 1, NULL));
	EXPECT_TRUE(alpc_readable(self->c.fd, 0));
	EXPECT_TRUE(alpc_readable(self->c.efd, 0));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	EXPECT_TRUE(alpc_readable(self->c.fd, 0));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	EXPECT_FALSE(alpc_readable(self->c.fd, 0));
}

struct delayed_send {
	pthread_t thread;
	int fd;
};

static void *delayed_datagram(void *arg)
{
	struct delayed_send *ds = arg;

	alpc_sleep_ms(100);
	alpc_datagram(ds->fd, "a", 1, NULL);
	return NULL;
}

/* epoll reports EPOLLIN on the completion fd, and a waiting epoll_wait wakes on a post. */
TEST_F(cp, epoll_wakes_on_entry)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct delayed_send ds;
	int ep;

	self->client = cp_connect(self, 0, NULL, 0);
	ASSERT_LE(0, self->client);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ev.data.u64 = 42;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->c.fd, &ev));
	ASSERT_EQ(0, epoll_wait(ep, &out, 1, 0));
	ds.fd = self->client;
	ASSERT_EQ(0, pthread_create(&ds.thread, NULL, delayed_datagram, &ds));
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, 5000));
	pthread_join(ds.thread, NULL);
	EXPECT_EQ(42, out.data.u64);
	EXPECT_TRUE(out.events & EPOLLIN);
	close(ep);
}

/* Closing the completion port leaves its ports working, posting nowhere. */
TEST_F(cp, closed_completion_port_leaves_ports_working)
{
	struct alpc_send_wait sw;
	struct alpc_msg_info info;
	struct alpc_call call;
	char in[8], out[8];
	int efd;

	self->client = cp_connect(self, 0, NULL, CLIENT_KEY);
	ASSERT_LE(0, self->client);
	/* Entries still waiting go with it. */
	ASSERT_EQ(0, alpc_datagram(self->client, "a", 1, NULL));
	efd = dup(self->c.efd);
	ASSERT_LE(0, efd);
	cport_close(&self->c);
	alpc_eventfd_take(efd);

	ASSERT_EQ(0, alpc_recv(self->port, in, sizeof(in), 0, &info));
	EXPECT_EQ(ALPC_MSG_DATAGRAM, info.type);
	alpc_send_wait_init(&sw, "req", 3, out, sizeof(out), ALPC_WAIT_NS);
	ASSERT_EQ(0, alpc_call_start(&call, self->client, ALPC_IOC_SEND_WAIT, &sw));
	ASSERT_EQ(0, alpc_recv(self->port, in, sizeof(in), ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_REQUEST, info.type);
	ASSERT_EQ(0, alpc_reply(self->port, info.id, "rep", 3));
	ASSERT_EQ(0, alpc_call_join(&call));
	EXPECT_EQ(0, memcmp(out, "rep", 3));
	ASSERT_EQ(0, alpc_datagram(self->client, "b", 1, NULL));
	ASSERT_EQ(0, alpc_recv(self->port, in, sizeof(in), 0, &info));
	EXPECT_EQ(0, alpc_eventfd_take(efd));
	close(self->client);
	self->client = -EBADF;
	ASSERT_EQ(0, alpc_recv(self->port, in, sizeof(in), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_PORT_CLOSED, info.type);
	EXPECT_EQ(0, alpc_eventfd_take(efd));
	close(efd);
}

/* A port closed while associated leaves the completion port working for the others. */
TEST_F(cp, closed_port_leaves_completion_port_working)
{
	struct alpc_completion e;
	struct alpc_msg_info info;
	__u64 id, req;
	bool closed = false;
	int i;

	self->client = cp_connect(self, 0, NULL, CLIENT_KEY);
	ASSERT_LE(0, self->client);
	self->other = cp_connect(self, ALPC_ACCEPT_COMM_PORT, &self->comm, OTHER_KEY);
	ASSERT_LE(0, self->other);
	ASSERT_EQ(0, alpc_associate(self->comm, self->c.fd, COMM_KEY));
	/* The other client's port has an entry waiting when it goes. */
	ASSERT_EQ(0, alpc_datagram(self->comm, "a", 1, &id));
	close(self->other);
	self->other = -EBADF;
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	expect_entry(_metadata, &e, OTHER_KEY, ALPC_MSG_DATAGRAM, id);
	/* Its server side hears of it, maybe under its key. */
	for (i = 0; i < 2 && !closed; i++) {
		if (cport_take(&self->c, &e, 1000))
			break;
		closed = e.key == COMM_KEY && e.kind == ALPC_MSG_PORT_CLOSED;
	}
	EXPECT_TRUE(closed);
	close(self->comm);
	self->comm = -EBADF;

	ASSERT_EQ(0, alpc_request(self->client, "r", 1, &req));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	expect_entry(_metadata, &e, PORT_KEY, ALPC_MSG_REQUEST, req);
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
	ASSERT_EQ(0, alpc_send(self->port, ALPC_MSG_REPLY, NULL, 0, 0, req, 0, &id));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	expect_entry(_metadata, &e, CLIENT_KEY, ALPC_MSG_REPLY, id);
	EXPECT_TRUE(cport_empty(&self->c));
}

/* The completion port closed during an asynchronous connect: the connect still completes. */
TEST_F(cp, async_connect_survives_closed_completion_port)
{
	struct alpc_msg_info info;
	char buf[8];

	self->client = alpc_connect_async(self->dev, self->name, NULL, 0, self->c.fd, CLIENT_KEY);
	ASSERT_LE(0, self->client);
	cport_close(&self->c);
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);
	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, CTX, "ok", 2));
	ASSERT_EQ(0, alpc_recv(self->client, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_REPLY, info.type);
	EXPECT_EQ(0, memcmp(buf, "ok", 2));
	ASSERT_EQ(0, alpc_datagram(self->client, "x", 1, NULL));
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
	EXPECT_EQ(ALPC_MSG_DATAGRAM, info.type);
}

/* ASSOCIATE with an fd that is not a completion port fails with EBADF. */
TEST_F(cp, associate_non_completion_fd_is_ebadf)
{
	int fd;

	ASSERT_EQ(-1, alpc_associate(self->port, self->c.efd, 1));
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(-1, alpc_associate(self->port, self->port, 1));
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(-1, alpc_associate(self->port, self->dev, 1));
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(-1, alpc_associate(self->port, -2, 1));
	EXPECT_EQ(EBADF, errno);
	/* A completion port already closed. */
	fd = dup(self->c.fd);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(-1, alpc_associate(self->port, fd, 1));
	EXPECT_EQ(EBADF, errno);
}

/* ASSOCIATE with flags or reserved fields fails with EINVAL and keeps the old key. */
TEST_F(cp, associate_flags_or_reserved_is_einval)
{
	struct alpc_associate a;
	struct alpc_completion e;
	int i;

	self->client = cp_connect(self, 0, NULL, 0);
	ASSERT_LE(0, self->client);
	for (i = 0; i < 3; i++) {
		memset(&a, 0, sizeof(a));
		a.completion_fd = self->c.fd;
		a.key = OTHER_KEY;
		if (i == 2)
			a.flags = ALPC_UNKNOWN_FLAG;
		else
			a.reserved[i] = 1;
		ASSERT_EQ(-1, ioctl(self->port, ALPC_IOC_ASSOCIATE, &a));
		EXPECT_EQ(EINVAL, errno);
	}
	ASSERT_EQ(-1, ioctl(self->port, ALPC_IOC_ASSOCIATE, NULL));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, alpc_datagram(self->client, "a", 1, NULL));
	ASSERT_EQ(0, cport_take(&self->c, &e, 5000));
	EXPECT_EQ(PORT_KEY, e.key);
}

/* The completion fd answers DEQUEUE only; port ioctls on it, and DEQUEUE elsewhere, are ENOTTY. */
TEST_F(cp, ioctls_on_wrong_objects_are_enotty)
{
	struct alpc_completion e;
	struct alpc_associate a;
	struct alpc_batch b;
	struct alpc_send s;

	memset(&a, 0, sizeof(a));
	a.completion_fd = self->c.fd;
	ASSERT_EQ(-1, ioctl(self->c.fd, ALPC_IOC_ASSOCIATE, &a));
	EXPECT_EQ(ENOTTY, errno);
	alpc_send_init(&s, ALPC_MSG_DATAGRAM, "a", 1, 0, 0);
	ASSERT_EQ(-1, ioctl(self->c.fd, ALPC_IOC_SEND, &s));
	EXPECT_EQ(ENOTTY, errno);
	memset(&b, 0, sizeof(b));
	ASSERT_EQ(-1, ioctl(self->c.fd, ALPC_IOC_BATCH, &b));
	EXPECT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, alpc_dequeue(self->port, &e, 1, 0, NULL));
	EXPECT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, alpc_dequeue(self->dev, &e, 1, 0, NULL));
	EXPECT_EQ(ENOTTY, errno);
}

/* Completion ports made without a fixture. */
FIXTURE(create) {
	int dev;
	int efd;
};

FIXTURE_SETUP(create)
{
	self->efd = -EBADF;
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	self->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(create)
{
	if (self->efd >= 0)
		close(self->efd);
	if (self->dev >= 0)
		close(self->dev);
}

/* The completion feature is advertised. */
TEST_F(create, feature_is_advertised)
{
	struct alpc_features f;

	memset(&f, 0, sizeof(f));
	ASSERT_EQ(0, alpc_get_features(self->dev, &f));
	EXPECT_TRUE(f.features & ALPC_FEAT_COMPLETION);
}

/* An fd that is not an eventfd fails with EBADF. */
TEST_F(create, non_eventfd_is_ebadf)
{
	int p[2], fd;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(-1, alpc_create_completion(self->dev, p[0], 0, 0));
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(-1, alpc_create_completion(self->dev, self->dev, 0, 0));
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(-1, alpc_create_completion(self->dev, -1, 0, 0));
	EXPECT_EQ(EBADF, errno);
	close(p[0]);
	close(p[1]);
	/* A completion port is not an eventfd either. */
	fd = alpc_create_completion(self->dev, self->efd, 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, alpc_create_completion(self->dev, fd, 0, 0));
	EXPECT_EQ(EBADF, errno);
	close(fd);
}

/* ring_entries not a power of two, or over ALPC_RING_MAX, fails with EINVAL. */
TEST_F(create, bad_ring_entries_is_einval)
{
	static const __u32 bad[] = { 3, 6, 100, 65535, 2 * ALPC_RING_MAX, 0x80000000U };
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(-1, alpc_create_completion(self->dev, self->efd, bad[i], 0));
		EXPECT_EQ(EINVAL, errno);
	}
	fd = alpc_create_completion(self->dev, self->efd, 1, 0);
	ASSERT_LE(0, fd);
	close(fd);
	fd = alpc_create_completion(self->dev, self->efd, ALPC_RING_MAX, 0);
	ASSERT_LE(0, fd);
	close(fd);
}

/* Unknown flags or reserved fields fail with EINVAL. */
TEST_F(create, flags_or_reserved_is_einval)
{
	struct alpc_create_completion c;
	int i;

	for (i = 0; i < 4; i++) {
		memset(&c, 0, sizeof(c));
		c.eventfd = self->efd;
		if (i == 0)
			c.flags = ALPC_UNKNOWN_FLAG;
		else if (i == 1)
			c.reserved = 1;
		else
			c.reserved2[i - 2] = 1;
		ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_CREATE_COMPLETION, &c));
		EXPECT_EQ(EINVAL, errno);
	}
	ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_CREATE_COMPLETION, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/* The fd is close-on-exec unless ALPC_FD_INHERIT. */
TEST_F(create, fd_is_cloexec_unless_inherit)
{
	int fd;

	fd = alpc_create_completion(self->dev, self->efd, 0, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	fd = alpc_create_completion(self->dev, self->efd, 0, ALPC_FD_INHERIT);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

/* A completion port without a ring cannot be mapped. */
TEST_F(create, mmap_without_ring_is_einval)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd;

	fd = alpc_create_completion(self->dev, self->efd, 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(MAP_FAILED, mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

/* The ring maps at offset 0 only, and no larger than it is. */
TEST_F(create, mmap_offset_or_oversize_is_einval)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = alpc_ring_bytes(1024);
	size_t pages = (len + page - 1) / page;
	void *p;
	int fd;

	fd = alpc_create_completion(self->dev, self->efd, 1024, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(MAP_FAILED, mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, page));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(MAP_FAILED, mmap(NULL, (pages + 1) * page, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0));
	EXPECT_EQ(EINVAL, errno);
	/* The ring's own size, rounded to pages, maps. */
	p = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, pages * page);
	close(fd);
}

#define BACKLOG_MAX	65536

/* Sends @n empty datagrams on @fd in batches; returns how many went. */
static int send_empty_datagrams(int fd, int n)
{
	static struct alpc_batch_op ops[ALPC_BATCH_MAX];
	static struct alpc_send s[ALPC_BATCH_MAX];
	int sent = 0, i, k;
	__u32 done;

	while (sent < n) {
		k = n - sent < ALPC_BATCH_MAX ? n - sent : ALPC_BATCH_MAX;
		for (i = 0; i < k; i++) {
			alpc_send_init(&s[i], ALPC_MSG_DATAGRAM, NULL, 0, 0, 0);
			alpc_batch_op_init(&ops[i], ALPC_OP_SEND, &s[i]);
		}
		if (alpc_batch(fd, ops, k, &done) || done != k)
			return sent;
		for (i = 0; i < k; i++)
			if (ops[i].result)
				return sent + i;
		sent += k;
	}
	return sent;
}

/* Past 64Ki waiting entries one is dropped and counted; the rest come out in order. */
TEST_F_TIMEOUT(create, backlog_limit_counts_dropped_entries, 300)
{
	static struct alpc_completion got[1024];
	struct alpc_port_attr attr;
	char name[ALPC_NAME_MAX];
	int port, a, b, cp, received = 0;
	struct alpc_ring *ring;
	__u64 last = 0, taken = 0;
	bool ordered = true;
	__u32 n, i;

	memset(&attr, 0, sizeof(attr));
	attr.max_queued_msgs = BACKLOG_MAX;
	alpc_port_name(name, "drop");
	port = alpc_create_port(self->dev, name, &attr, 0);
	ASSERT_LE(0, port);
	a = alpc_connect_accept(self->dev, port, name, 1, 0, NULL, NULL);
	ASSERT_LE(0, a);
	b = alpc_connect_accept(self->dev, port, name, 2, 0, NULL, NULL);
	ASSERT_LE(0, b);
	cp = alpc_create_completion(self->dev, self->efd, 1, 0);
	ASSERT_LE(0, cp);
	ring = alpc_ring_map(cp, 1);
	ASSERT_NE(NULL, ring);
	ASSERT_EQ(0, alpc_associate(port, cp, PORT_KEY));

	/* One in the ring, 64Ki waiting, and one too many. */
	ASSERT_EQ(BACKLOG_MAX, send_empty_datagrams(a, BACKLOG_MAX));
	EXPECT_EQ(ALPC_RING_OVERFLOW, alpc_ring_flags(ring));
	ASSERT_EQ(2, send_empty_datagrams(b, 2));
	EXPECT_EQ(ALPC_RING_OVERFLOW | ALPC_RING_DROPPED, alpc_ring_flags(ring));
	EXPECT_EQ(1, ring->dropped);

	taken = alpc_ring_reap(ring, got, 1);
	ASSERT_EQ(1, taken);
	last = got[0].msg_id;
	while (!alpc_dequeue(cp, got, 1024, 0, &n)) {
		for (i = 0; i < n; i++) {
			ordered &= got[i].msg_id > last && got[i].key == PORT_KEY;
			last = got[i].msg_id;
		}
		taken += n;
	}
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(BACKLOG_MAX + 1, taken);
	EXPECT_TRUE(ordered);
	EXPECT_FALSE(alpc_ring_flags(ring) & ALPC_RING_OVERFLOW);

	/* Recovery: receive from the port until EAGAIN. */
	while (!alpc_recv_any(port, 0, NULL))
		received++;
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(BACKLOG_MAX + 2, received);
	alpc_ring_unmap(ring, 1);
	close(cp);
	close(b);
	close(a);
	close(port);
}

/* The ring fixture: a small ring, a connected client, the port associated. */
FIXTURE(ring) {
	int dev;
	int port;
	int client;
	struct cport c;
};

FIXTURE_SETUP(ring)
{
	char name[ALPC_NAME_MAX];

	self->port = -EBADF;
	self->client = -EBADF;
	cport_init(&self->c);
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	alpc_port_name(name, "ring");
	self->port = alpc_create_port(self->dev, name, NULL, 0);
	ASSERT_LE(0, self->port);
	self->client = alpc_connect_accept(self->dev, self->port, name, CTX, 0, NULL, NULL);
	ASSERT_LE(0, self->client);
	ASSERT_EQ(0, cport_open(&self->c, self->dev, RING_N));
	ASSERT_EQ(0, alpc_associate(self->port, self->c.fd, PORT_KEY));
}

FIXTURE_TEARDOWN(ring)
{
	if (self->client >= 0)
		close(self->client);
	if (self->port >= 0)
		close(self->port);
	cport_close(&self->c);
	if (self->dev >= 0)
		close(self->dev);
}

/* A new ring is empty, with mask ring_entries - 1. */
TEST_F(ring, starts_empty)
{
	struct alpc_ring *r = self->c.ring;

	EXPECT_EQ(0, r->head);
	EXPECT_EQ(0, r->tail);
	EXPECT_EQ(RING_N - 1, r->mask);
	EXPECT_EQ(0, r->flags);
	EXPECT_EQ(0, r->dropped);
}

/* An entry lands in the slot after the header, and tail moves by one. */
TEST_F(ring, entry_lands_after_header)
{
	struct alpc_completion *slots = alpc_ring_slots(self->c.ring);
	__u64 id;

	ASSERT_EQ(0, alpc_datagram(self->client, "a", 1, &id));
	ASSERT_EQ(1, __atomic_load_n(&self->c.ring->tail, __ATOMIC_ACQUIRE));
	expect_entry(_metadata, &slots[0], PORT_KEY, ALPC_MSG_DATAGRAM, id);
	EXPECT_EQ(0, self->c.ring->head);
	EXPECT_EQ(0, self->c.ring->flags);
}

/* Reaping the ring by hand and DEQUEUE see one sequence, in order. */
TEST_F(ring, ring_and_dequeue_agree)
{
	struct alpc_completion got[2 * RING_N];
	__u64 ids[2 * RING_N];
	__u32 n = 0, m;
	int i, round;

	for (round = 0; round < 3; round++) {
		ASSERT_EQ(6, send_datagrams(self->client, 6, ids));
		/* By hand first, then the kernel: where the hand stopped. */
		n = alpc_ring_reap(self->c.ring, got, round);
		ASSERT_EQ(round, n);
		ASSERT_EQ(0, alpc_dequeue(self->c.fd, got + n, 2 * RING_N - n, 0, &m));
		ASSERT_EQ(6 - n, m);
		for (i = 0; i < 6; i++)
			expect_entry(_metadata, &got[i], PORT_KEY, ALPC_MSG_DATAGRAM, ids[i]);
		EXPECT_EQ(0, alpc_ring_ready(self->c.ring));
		for (i = 0; i < 6; i++)
			ASSERT_EQ(0, alpc_recv_any(self->port, 0, NULL));
	}
	/* Across the ring's wrap, by hand only. */
	ASSERT_EQ(6, send_datagrams(self->client, 6, ids));
	ASSERT_EQ(6, alpc_ring_reap(self->c.ring, got, 2 * RING_N));
	for (i = 0; i < 6; i++)
		expect_entry(_metadata, &got[i], PORT_KEY, ALPC_MSG_DATAGRAM, ids[i]);
	EXPECT_EQ(24, self->c.ring->tail);
	EXPECT_EQ(-1, alpc_dequeue(self->c.fd, got, 1, 0, NULL));
}

/* 3N entries on a ring of N, none reaped: nothing lost, order kept, then the ring again. */
TEST_F(ring, overflow_recovers_without_loss)
{
	struct alpc_completion got[4 * RING_N];
	__u64 ids[3 * RING_N + 1];
	__u32 n, m;
	int i;

	ASSERT_EQ(3 * RING_N, send_datagrams(self->client, 3 * RING_N, ids));
	EXPECT_EQ(RING_N, __atomic_load_n(&self->c.ring->tail, __ATOMIC_ACQUIRE));
	EXPECT_EQ(0, self->c.ring->head);
	EXPECT_EQ(ALPC_RING_OVERFLOW, alpc_ring_flags(self->c.ring));
	EXPECT_EQ(0, self->c.ring->dropped);
	EXPECT_EQ(3 * RING_N, alpc_eventfd_take(self->c.efd));
	EXPECT_TRUE(alpc_readable(self->c.fd, 0));

	/* Drain the ring, then DEQUEUE until it returns fewer than asked. */
	n = alpc_ring_reap(self->c.ring, got, 4 * RING_N);
	ASSERT_EQ(RING_N, n);
	ASSERT_EQ(0, alpc_dequeue(self->c.fd, got + n, RING_N, 0, &m));
	ASSERT_EQ(RING_N, m);
	n += m;
	EXPECT_EQ(ALPC_RING_OVERFLOW, alpc_ring_flags(self->c.ring));
	ASSERT_EQ(0, alpc_dequeue(self->c.fd, got + n, 2 * RING_N, 0, &m));
	ASSERT_EQ(RING_N, m);
	n += m;
	EXPECT_EQ(0, alpc_ring_flags(self->c.ring));
	for (i = 0; i < 3 * RING_N; i++)
		expect_entry(_metadata, &got[i], PORT_KEY, ALPC_MSG_DATAGRAM, ids[i]);
	EXPECT_FALSE(alpc_readable(self->c.fd, 0));

	/* The ring takes entries again. */
	ASSERT_EQ(1, send_datagrams(self->client, 1, &ids[3 * RING_N]));
	EXPECT_EQ(RING_N + 1, __atomic_load_n(&self->c.ring->tail, __ATOMIC_ACQUIRE));
	EXPECT_EQ(0, alpc_ring_flags(self->c.ring));
	ASSERT_EQ(1, alpc_ring_reap(self->c.ring, got, 1));
	expect_entry(_metadata, &got[0], PORT_KEY, ALPC_MSG_DATAGRAM, ids[3 * RING_N]);
	/* And every message is there to receive. */
	for (i = 0; i <= 3 * RING_N; i++) {
		struct alpc_msg_info info;

		ASSERT_EQ(0, alpc_recv_any(self->port, 0, &info));
		EXPECT_EQ(ids[i], info.id);
	}
}

/* DEQUEUE takes the ring's entries first, then the waiting ones. */
TEST_F(ring, dequeue_takes_ring_entries_first)
{
	struct alpc_completion got[3 * RING_N];
	__u64 ids[3 * RING_N];
	__u32 n = 0, m;
	int i;

	ASSERT_EQ(2 * RING_N, send_datagrams(self->client, 2 * RING_N, ids));
	ASSERT_EQ(ALPC_RING_OVERFLOW, alpc_ring_flags(self->c.ring));
	/* Five at a time: first the ring's, the head moving with them. */
	ASSERT_EQ(0, alpc_dequeue(self->c.fd, got, 5, 0, &m));
	ASSERT_EQ(5, m);
	EXPECT_EQ(5, __atomic_load_n(&self->c.ring->head, __ATOMIC_ACQUIRE));
	n += m;
	while (!alpc_dequeue(self->c.fd, got + n, 5, 0, &m)) {
		n += m;
		if (m < 5)
			break;
	}
	ASSERT_EQ(2 * RING_N, n);
	for (i = 0; i < 2 * RING_N; i++)
		expect_entry(_metadata, &got[i], PORT_KEY, ALPC_MSG_DATAGRAM, ids[i]);
	EXPECT_EQ(0, alpc_ring_flags(self->c.ring));
	EXPECT_EQ(0, alpc_ring_ready(self->c.ring));
}

/* While entries wait in the kernel, new ones wait behind them even if the ring has room. */
TEST_F(ring, new_entries_wait_behind_overflow)
{
	struct alpc_completion got[2 * RING_N];
	__u64 ids[RING_N + 2];
	__u32 m;
	int i;

	ASSERT_EQ(RING_N + 1, send_datagrams(self->client, RING_N + 1, ids));
	ASSERT_EQ(RING_N, alpc_ring_reap(self->c.ring, got, 2 * RING_N));
	/* The ring is empty now, but one entry waits: the next goes behind it. */
	ASSERT_EQ(1, send_datagrams(self->client, 1, &ids[RING_N + 1]));
	EXPECT_EQ(RING_N, __atomic_load_n(&self->c.ring->tail, __ATOMIC_ACQUIRE));
	EXPECT_EQ(ALPC_RING_OVERFLOW, alpc_ring_flags(self->c.ring));
	EXPECT_TRUE(alpc_readable(self->c.fd, 0));
	ASSERT_EQ(0, alpc_dequeue(self->c.fd, got + RING_N, RING_N, 0, &m));
	ASSERT_EQ(2, m);
	for (i = 0; i < RING_N + 2; i++)
		expect_entry(_metadata, &got[i], PORT_KEY, ALPC_MSG_DATAGRAM, ids[i]);
	EXPECT_EQ(0, alpc_ring_flags(self->c.ring));
}

/* Reaping the ring by hand leaves the completion fd not readable. */
TEST_F(ring, reaping_by_hand_clears_readable)
{
	struct alpc_completion got[RING_N];
	__u64 ids[3];

	ASSERT_EQ(3, send_datagrams(self->client, 3, ids));
	EXPECT_TRUE(alpc_readable(self->c.fd, 0));
	ASSERT_EQ(3, alpc_ring_reap(self->c.ring, got, RING_N));
	EXPECT_FALSE(alpc_readable(self->c.fd, 0));
	ASSERT_EQ(-1, alpc_dequeue(self->c.fd, got, 1, 0, NULL));
	EXPECT_EQ(EAGAIN, errno);
}

/* A ring still mapped after its fd is closed stays valid memory. */
TEST_F(ring, mapping_outlives_fd)
{
	struct alpc_ring *r = self->c.ring;

	close(self->c.fd);
	self->c.fd = -EBADF;
	EXPECT_EQ(RING_N - 1, r->mask);
	__atomic_store_n(&r->head, __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
	ASSERT_EQ(0, alpc_datagram(self->client, "a", 1, NULL));
	ASSERT_EQ(0, alpc_recv_any(self->port, 0, NULL));
}

/*
 * One server, four threads on one completion port, 64 client processes
 * each sending MT_REQUESTS requests with SEND_WAIT: every request answered
 * exactly once, with its own reply.
 */
#define MT_CLIENTS	64
#define MT_THREADS	4
#define MT_REQUESTS	50
#define MT_HANG_NS	(60000 * ALPC_NS_PER_MS)

struct mt_msg {
	__u32 client;
	__u32 seq;
	__u32 check;
};

static __u32 mt_check(__u32 client, __u32 seq)
{
	return (seq * 2654435761U) ^ (client << 20) ^ 0x5a5a;
}

struct mt_server {
	int port;
	int cp;
	atomic_int stop;
	atomic_int errors;
	atomic_int accepted;
	atomic_int rundowns;
	atomic_int entries;
	atomic_int answered[MT_CLIENTS][MT_REQUESTS];
	char first_error[128];
};

static void mt_error(struct mt_server *s, const char *what, long a, long b)
{
	if (atomic_fetch_add(&s->errors, 1) == 0)
		snprintf(s->first_error, sizeof(s->first_error), "%s (%ld, %ld)", what, a, b);
}

/* Receives the message an entry stands for, and handles it. */
static void mt_handle(struct mt_server *s, const struct alpc_completion *e)
{
	struct alpc_msg_info info;
	struct mt_msg in, out;

	if (e->key != PORT_KEY || e->status) {
		mt_error(s, "bad entry: key, status", (long)e->key, e->status);
		return;
	}
	memset(&in, 0, sizeof(in));
	if (alpc_recv(s->port, &in, sizeof(in), 0, &info)) {
		mt_error(s, "entry without a message: errno, kind", errno, e->kind);
		return;
	}
	switch (info.type) {
	case ALPC_MSG_CONNECTION_REQUEST:
		if (info.len != sizeof(__u32) || in.client >= MT_CLIENTS) {
			mt_error(s, "bad connection data", info.len, in.client);
			break;
		}
		if (alpc_accept(s->port, info.id, 0, in.client + 1, NULL, 0))
			mt_error(s, "accept failed", errno, in.client);
		else
			atomic_fetch_add(&s->accepted, 1);
		break;
	case ALPC_MSG_REQUEST:
		if (info.len != sizeof(in) || in.client >= MT_CLIENTS ||
		    in.seq >= MT_REQUESTS || info.port_context != in.client + 1) {
			mt_error(s, "malformed request", info.len, (long)info.port_context);
			break;
		}
		if (atomic_fetch_add(&s->answered[in.client][in.seq], 1))
			mt_error(s, "request seen twice", in.client, in.seq);
		out.client = in.client;
		out.seq = in.seq;
		out.check = mt_check(in.client, in.seq);
		if (alpc_reply(s->port, info.id, &out, sizeof(out)))
			mt_error(s, "reply failed", errno, in.client);
		break;
	case ALPC_MSG_PORT_CLOSED:
	case ALPC_MSG_CLIENT_DIED:
		atomic_fetch_add(&s->rundowns, 1);
		break;
	default:
		mt_error(s, "unexpected message type", info.type, 0);
	}
}

static void *mt_server_thread(void *arg)
{
	struct alpc_completion e[8];
	struct mt_server *s = arg;
	__u32 n, i;

	while (!atomic_load(&s->stop)) {
		if (alpc_dequeue(s->cp, e, 8, 100 * ALPC_NS_PER_MS, &n)) {
			if (errno == ETIMEDOUT)
				continue;
			mt_error(s, "DEQUEUE failed", errno, 0);
			break;
		}
		atomic_fetch_add(&s->entries, n);
		for (i = 0; i < n; i++)
			mt_handle(s, &e[i]);
	}
	return NULL;
}

struct mt_client {
	const char *name;
	__u32 index;
};

static int mt_client_run(void *arg)
{
	const struct mt_client *c = arg;
	struct alpc_send_wait sw;
	struct mt_msg in, out;
	__u32 seq;
	int dev, fd;

	dev = alpc_open();
	if (dev < 0)
		return 1;
	fd = alpc_connect(dev, c->name, &c->index, sizeof(c->index), MT_HANG_NS, NULL, 0, NULL);
	if (fd < 0)
		return 2;
	for (seq = 0; seq < MT_REQUESTS; seq++) {
		out.client = c->index;
		out.seq = seq;
		out.check = 0;
		memset(&in, 0, sizeof(in));
		alpc_send_wait_init(&sw, &out, sizeof(out), &in, sizeof(in), MT_HANG_NS);
		if (alpc_send_wait(fd, &sw))
			return 3;
		if (sw.reply.type != ALPC_MSG_REPLY || sw.reply.ref_id != sw.id ||
		    sw.reply.len != sizeof(in))
			return 4;
		if (in.client != c->index || in.seq != seq || in.check != mt_check(c->index, seq))
			return 5;
	}
	close(fd);
	close(dev);
	return 0;
}

FIXTURE(mt) {
	int dev;
	char name[ALPC_NAME_MAX];
	struct cport c;
	struct mt_server *s;
	pid_t pids[MT_CLIENTS];
};

FIXTURE_SETUP(mt)
{
	int i;

	cport_init(&self->c);
	for (i = 0; i < MT_CLIENTS; i++)
		self->pids[i] = 0;
	self->s = calloc(1, sizeof(*self->s));
	ASSERT_NE(NULL, self->s);
	self->s->port = -EBADF;
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	alpc_port_name(self->name, "mt");
	self->s->port = alpc_create_port(self->dev, self->name, NULL, 0);
	ASSERT_LE(0, self->s->port);
	ASSERT_EQ(0, cport_open(&self->c, self->dev, 0));
	self->s->cp = self->c.fd;
	ASSERT_EQ(0, alpc_associate(self->s->port, self->c.fd, PORT_KEY));
}

FIXTURE_TEARDOWN(mt)
{
	int i;

	for (i = 0; i < MT_CLIENTS; i++) {
		if (self->pids[i] > 0) {
			kill(self->pids[i], SIGKILL);
			alpc_wait_child(self->pids[i]);
		}
	}
	if (self->s && self->s->port >= 0)
		close(self->s->port);
	free(self->s);
	cport_close(&self->c);
	if (self->dev >= 0)
		close(self->dev);
}

/* 64 clients on one server of 4 threads on a completion port: every request answered once. */
TEST_F_TIMEOUT(mt, every_request_answered_exactly_once, 500)
{
	struct mt_client clients[MT_CLIENTS];
	pthread_t threads[MT_THREADS];
	struct mt_server *s = self->s;
	int i, j, failed = 0, missing = 0;
	__s64 deadline;

	for (i = 0; i < MT_CLIENTS; i++) {
		clients[i].name = self->name;
		clients[i].index = i;
		self->pids[i] = alpc_fork(mt_client_run, &clients[i]);
		ASSERT_LT(0, self->pids[i]);
	}
	for (i = 0; i < MT_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, mt_server_thread, s));
	for (i = 0; i < MT_CLIENTS; i++) {
		int status = alpc_wait_child(self->pids[i]);

		self->pids[i] = 0;
		if (status) {
			if (!failed)
				TH_LOG("client %d exited with %d", i, status);
			failed++;
		}
	}
	/* Every client's rundown reaches the server before it stops. */
	deadline = alpc_now_ns() + MT_HANG_NS;
	while (atomic_load(&s->rundowns) < MT_CLIENTS && alpc_now_ns() < deadline &&
	       !atomic_load(&s->errors))
		alpc_sleep_ms(10);
	atomic_store(&s->stop, 1);
	for (i = 0; i < MT_THREADS; i++)
		pthread_join(threads[i], NULL);

	if (atomic_load(&s->errors))
		TH_LOG("%d server errors, the first: %s", atomic_load(&s->errors), s->first_error);
	EXPECT_EQ(0, atomic_load(&s->errors));
	EXPECT_EQ(0, failed);
	EXPECT_EQ(MT_CLIENTS, atomic_load(&s->accepted));
	EXPECT_EQ(MT_CLIENTS, atomic_load(&s->rundowns));
	for (i = 0; i < MT_CLIENTS; i++)
		for (j = 0; j < MT_REQUESTS; j++)
			missing += atomic_load(&s->answered[i][j]) != 1;
	EXPECT_EQ(0, missing);
	/* One entry per message: connects, requests and rundowns. */
	EXPECT_EQ(MT_CLIENTS * (MT_REQUESTS + 2), atomic_load(&s->entries));
	EXPECT_TRUE(cport_empty(&self->c));
	EXPECT_EQ(-1, alpc_recv_any(s->port, 0, NULL));
}

TEST_HARNESS_MAIN
