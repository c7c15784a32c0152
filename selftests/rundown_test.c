// SPDX-License-Identifier: GPL-2.0
/*
 * Rundown: what each side sees when the other closes, exits or dies, and
 * what fork does to a connection.
 *
 * Every test runs twice: with the server receiving on its connection port,
 * and with the server holding a communication port for the connection.
 */
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "alpc_util.h"

#define CTX		0xdeadc0de00000001ULL
#define CHILD_CTX	0xdeadc0de00000002ULL
/* A woken waiter returns at once; this is the bound for "at once" under emulation. */
#define PROMPT_NS	(2000 * ALPC_NS_PER_MS)

FIXTURE(rd) {
	int dev;
	int port;
	int comm;
	int client;
	int srv;	/* port or comm: where the client's messages arrive */
	pid_t tid;	/* the thread that connected the client */
	char name[ALPC_NAME_MAX];
	pid_t child;
	int child_srv;	/* the child's comm port, if any */
};

FIXTURE_VARIANT(rd) {
	bool comm_port;
};

FIXTURE_VARIANT_ADD(rd, on_connection_port) {
	.comm_port = false,
};

FIXTURE_VARIANT_ADD(rd, on_comm_port) {
	.comm_port = true,
};

FIXTURE_SETUP(rd)
{
	self->port = -EBADF;
	self->comm = -EBADF;
	self->client = -EBADF;
	self->child_srv = -EBADF;
	self->child = 0;
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	alpc_port_name(self->name, "rundown");
	self->client = alpc_open_pair(self->dev, self->name, NULL, CTX,
				      variant->comm_port ? ALPC_ACCEPT_COMM_PORT : 0,
				      &self->port, &self->comm, &self->tid);
	ASSERT_LE(0, self->port);
	ASSERT_LE(0, self->client);
	self->srv = variant->comm_port ? self->comm : self->port;
}

FIXTURE_TEARDOWN(rd)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (self->child_srv >= 0 && self->child_srv != self->port)
		close(self->child_srv);
	alpc_close_pair(self->client, self->comm, self->port);
	if (self->dev >= 0)
		close(self->dev);
}

/* Closes the server's side: the connection port and, if taken, the comm port. */
static void close_server(int *port, int *comm)
{
	if (*comm >= 0)
		close(*comm);
	close(*port);
	*comm = -EBADF;
	*port = -EBADF;
}

enum child_action {
	CHILD_EXIT,		/* _exit() holding the client fd */
	CHILD_CLOSE_EXIT,	/* close() it, then _exit() */
	CHILD_PAUSE,		/* wait to be killed */
	CHILD_SEND_WAIT,	/* wait for a reply that never comes, until killed */
};

struct child_args {
	int dev;
	const char *name;
	enum child_action action;
	int ready;	/* write end of a pipe: one byte once connected */
};

static int child_main(void *p)
{
	struct child_args *a = p;
	struct alpc_send_wait sw;
	char buf[8];
	int fd;

	fd = alpc_connect(a->dev, a->name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL);
	if (fd < 0)
		return 10;
	switch (a->action) {
	case CHILD_EXIT:
		_exit(0);
	case CHILD_CLOSE_EXIT:
		close(fd);
		_exit(0);
	case CHILD_PAUSE:
		if (write(a->ready, "r", 1) != 1)
			return 11;
		for (;;)
			pause();
	case CHILD_SEND_WAIT:
		if (write(a->ready, "r", 1) != 1)
			return 11;
		alpc_send_wait_init(&sw, "q", 1, buf, sizeof(buf), -1);
		alpc_send_wait(fd, &sw);
		return 12;
	}
	return 13;
}

/*
 * Forks a child that connects to @name and then does @action; accepts it
 * on @port with CHILD_CTX and, for the actions that wait, returns once it
 * is connected. Sets *@child, and *@srv to where its messages arrive.
 */
static int spawn_client(int dev, const char *name, int port, bool comm_port,
			enum child_action action, pid_t *child, int *srv)
{
	struct child_args a = { dev, name, action, -1 };
	struct alpc_msg_info info;
	int pipefd[2], ret;
	char c;

	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	a.ready = pipefd[1];
	*child = alpc_fork(child_main, &a);
	close(pipefd[1]);
	if (*child < 0)
		goto fail;
	if (alpc_recv(port, NULL, 0, ALPC_WAIT_NS, &info) ||
	    info.type != ALPC_MSG_CONNECTION_REQUEST || info.pid != *child)
		goto fail;
	ret = alpc_accept(port, info.id, comm_port ? ALPC_ACCEPT_COMM_PORT : 0, CHILD_CTX,
			  NULL, 0);
	if (ret < 0)
		goto fail;
	*srv = comm_port ? ret : port;
	if (action != CHILD_EXIT && action != CHILD_CLOSE_EXIT && read(pipefd[0], &c, 1) != 1)
		goto fail;
	close(pipefd[0]);
	return 0;
fail:
	close(pipefd[0]);
	return -1;
}

/* Reaps *@child; returns how it ended, as alpc_wait_child() does. */
static int reap_child(pid_t *child)
{
	int ret = alpc_wait_child(*child);

	*child = 0;
	return ret;
}

/* Closing the client sends PORT_CLOSED with its port context and connect-time ids. */
TEST_F(rd, client_close_sends_port_closed)
{
	struct alpc_msg_info info;

	close(self->client);
	self->client = -EBADF;
	ASSERT_EQ(0, alpc_recv(self->srv, NULL, 0, ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_PORT_CLOSED, info.type);
	EXPECT_NE(0, info.id);
	EXPECT_EQ(0, info.ref_id);
	EXPECT_EQ(0, info.context);
	EXPECT_EQ(CTX, info.port_context);
	EXPECT_EQ(0, info.len);
	EXPECT_EQ(getpid(), info.pid);
	EXPECT_EQ(self->tid, info.tid);
	/* Exactly one. */
	ASSERT_EQ(-1, alpc_recv(self->port, NULL, 0, 0, &info));
	EXPECT_EQ(EAGAIN, errno);
}

/* A dup keeps the connection: PORT_CLOSED comes only when the last client fd closes. */
TEST_F(rd, port_closed_only_after_last_client_fd_closes)
{
	struct alpc_msg_info info;
	int dup_fd = dup(self->client);

	ASSERT_LE(0, dup_fd);
	close(self->client);
	self->client = dup_fd;
	ASSERT_EQ(-1, alpc_recv(self->srv, NULL, 0, 100 * ALPC_NS_PER_MS, &info));
	EXPECT_EQ(ETIMEDOUT, errno);
	ASSERT_EQ(0, alpc_datagram(dup_fd, NULL, 0, NULL));
	ASSERT_EQ(0, alpc_recv(self->srv, NULL, 0, ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_DATAGRAM, info.type);
	close(dup_fd);
	self->client = -EBADF;
	ASSERT_EQ(0, alpc_recv(self->srv, NULL, 0, ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_PORT_CLOSED, info.type);
}

/* A client that exits holding its fd is reported as CLIENT_DIED. */
TEST_F(rd, client_exit_sends_client_died)
{
	struct alpc_msg_info info;
	pid_t pid;

	ASSERT_EQ(0, spawn_client(self->dev, self->name, self->port, variant->comm_port,
				  CHILD_EXIT, &self->child, &self->child_srv));
	pid = self->child;
	ASSERT_EQ(0, reap_child(&self->child));
	ASSERT_EQ(0, alpc_recv(self->child_srv, NULL, 0, ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_CLIENT_DIED, info.type);
	EXPECT_EQ(CHILD_CTX, info.port_context);
	EXPECT_EQ(0, info.context);
	EXPECT_EQ(pid, info.pid);
	EXPECT_EQ(pid, info.tid);
}

/* A client killed by a signal is reported as CLIENT_DIED. */
TEST_F(rd, killed_client_sends_client_died)
{
	struct alpc_msg_info info;
	pid_t pid;

	ASSERT_EQ(0, spawn_client(self->dev, self->name, self->port, variant->comm_port,
				  CHILD_PAUSE, &self->child, &self->child_srv));
	pid = self->child;
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, reap_child(&self->child));
	ASSERT_EQ(0, alpc_recv(self->child_srv, NULL, 0, ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_CLIENT_DIED, info.type);
	EXPECT_EQ(CHILD_CTX, info.port_context);
	EXPECT_EQ(pid, info.pid);
}

/* A client that closes its fd before it exits is reported as PORT_CLOSED. */
TEST_F(rd, client_close_before_exit_is_port_closed)
{
	struct alpc_msg_info info;

	ASSERT_EQ(0, spawn_client(self->dev, self->name, self->port, variant->comm_port,
				  CHILD_CLOSE_EXIT, &self->child, &self->child_srv));
	ASSERT_EQ(0, reap_child(&self->child));
	ASSERT_EQ(0, alpc_recv(self->child_srv, NULL, 0, ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_PORT_CLOSED, info.type);
	EXPECT_EQ(CHILD_CTX, info.port_context);
}

/* A client killed in SEND_WAIT: its request's reply fails, and the server sees it die. */
TEST_F(rd, client_killed_in_send_wait_sends_client_died)
{
	struct alpc_msg_info info, req;
	char buf[8];

	ASSERT_EQ(0, spawn_client(self->dev, self->name, self->port, variant->comm_port,
				  CHILD_SEND_WAIT, &self->child, &self->child_srv));
	ASSERT_EQ(0, alpc_recv(self->child_srv, buf, sizeof(buf), ALPC_WAIT_NS, &req));
	ASSERT_EQ(ALPC_MSG_REQUEST, req.type);
	ASSERT_EQ(0, kill(self->child, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, reap_child(&self->child));
	ASSERT_EQ(-1, alpc_reply(self->child_srv, req.id, "late", 4));
	EXPECT_EQ(ENOENT, errno);
	/* The request may be reported canceled first. */
	ASSERT_EQ(0, alpc_recv(self->child_srv, NULL, 0, ALPC_WAIT_NS, &info));
	if (info.type == ALPC_MSG_CANCELED) {
		EXPECT_EQ(req.id, info.ref_id);
		ASSERT_EQ(0, alpc_recv(self->child_srv, NULL, 0, ALPC_WAIT_NS, &info));
	}
	EXPECT_EQ(ALPC_MSG_CLIENT_DIED, info.type);
	EXPECT_EQ(CHILD_CTX, info.port_context);
}

static int connect_and_hang(void *p)
{
	struct child_args *a = p;

	alpc_connect(a->dev, a->name, NULL, 0, -1, NULL, 0, NULL);
	return 10;
}

/* A client killed while it waits in CONNECT is withdrawn: the accept fails with ENOENT. */
TEST_F(rd, client_killed_while_connecting_is_withdrawn)
{
	struct child_args a = { self->dev, self->name, CHILD_EXIT, -1 };
	struct alpc_msg_info info, next;

	self->child = alpc_fork(connect_and_hang, &a);
	ASSERT_LT(0, self->child);
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);
	ASSERT_EQ(self->child, info.pid);
	ASSERT_EQ(0, kill(self->child, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, reap_child(&self->child));
	ASSERT_EQ(-1, alpc_accept(self->port, info.id, 0, CHILD_CTX, NULL, 0));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, alpc_accept(self->port, info.id, ALPC_ACCEPT_COMM_PORT, CHILD_CTX, NULL, 0));
	EXPECT_EQ(ENOENT, errno);
	/*
	 * It never connected: there is nothing to run down. (The header does
	 * not say whether a withdrawn connect is reported CANCELED; allow it.)
	 */
	if (alpc_recv(self->port, NULL, 0, 0, &next) == 0) {
		EXPECT_EQ(ALPC_MSG_CANCELED, next.type);
		EXPECT_EQ(info.id, next.ref_id);
	}
	ASSERT_EQ(-1, alpc_recv(self->port, NULL, 0, 0, &next));
	EXPECT_EQ(EAGAIN, errno);
}

/* Requests a closing client had outstanding are dropped: their reply fails with ENOENT. */
TEST_F(rd, client_close_drops_received_requests)
{
	struct alpc_reply_recv rr;
	struct alpc_msg_info info;
	char buf[8];
	__u64 id;

	ASSERT_EQ(0, alpc_request(self->client, "q", 1, &id));
	ASSERT_EQ(0, alpc_recv(self->srv, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	close(self->client);
	self->client = -EBADF;
	alpc_reply_recv_init(&rr, id, "a", 1, buf, sizeof(buf), ALPC_WAIT_NS);
	ASSERT_EQ(0, alpc_reply_recv(self->srv, &rr));
	EXPECT_EQ(-ENOENT, rr.reply_status);
	EXPECT_EQ(ALPC_MSG_PORT_CLOSED, rr.recv.info.type);
	EXPECT_EQ(CTX, rr.recv.info.port_context);
}

/* Requests a closing client left queued are dropped: the server sees only PORT_CLOSED. */
TEST_F(rd, client_close_withdraws_queued_requests)
{
	struct alpc_msg_info info;
	char buf[8];
	__u64 id;

	ASSERT_EQ(0, alpc_request(self->client, "q", 1, &id));
	close(self->client);
	self->client = -EBADF;
	ASSERT_EQ(0, alpc_recv(self->srv, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_PORT_CLOSED, info.type);
	ASSERT_EQ(-1, alpc_reply(self->srv, id, "a", 1));
	EXPECT_EQ(ENOENT, errno);
}

/* Closing the server wakes clients waiting in SEND_WAIT at once with ECONNRESET. */
TEST_F(rd, server_close_wakes_send_wait_with_econnreset)
{
	struct alpc_send_wait sw_recv, sw_queued;
	struct alpc_call received, queued;
	struct alpc_msg_info info;
	int other;
	char buf[8], buf2[8];
	__s64 t0;

	other = alpc_connect_accept(self->dev, self->port, self->name, 2, 0, NULL, NULL);
	ASSERT_LE(0, other);
	/* One request the server holds, one still queued. */
	alpc_send_wait_init(&sw_recv, "a", 1, buf, sizeof(buf), ALPC_WAIT_NS);
	ASSERT_EQ(0, alpc_call_start(&received, self->client, ALPC_IOC_SEND_WAIT, &sw_recv));
	ASSERT_EQ(0, alpc_recv(self->srv, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	alpc_send_wait_init(&sw_queued, "b", 1, buf2, sizeof(buf2), ALPC_WAIT_NS);
	ASSERT_EQ(0, alpc_call_start(&queued, other, ALPC_IOC_SEND_WAIT, &sw_queued));
	ASSERT_TRUE(alpc_call_still_waits(&queued, 50));

	t0 = alpc_now_ns();
	close_server(&self->port, &self->comm);
	ASSERT_EQ(-1, alpc_call_join(&received));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_GT(PROMPT_NS, received.end_ns - t0);
	ASSERT_EQ(-1, alpc_call_join(&queued));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_GT(PROMPT_NS, queued.end_ns - t0);
	close(other);
}

/* After the server closed, every send fails with ECONNRESET. */
TEST_F(rd, send_after_server_close_is_econnreset)
{
	struct alpc_send_wait sw;
	char buf[8];

	close_server(&self->port, &self->comm);
	ASSERT_EQ(-1, alpc_datagram(self->client, "d", 1, NULL));
	EXPECT_EQ(ECONNRESET, errno);
	ASSERT_EQ(-1, alpc_request(self->client, "q", 1, NULL));
	EXPECT_EQ(ECONNRESET, errno);
	alpc_send_wait_init(&sw, "w", 1, buf, sizeof(buf), ALPC_WAIT_NS);
	ASSERT_EQ(-1, alpc_send_wait(self->client, &sw));
	EXPECT_EQ(ECONNRESET, errno);
}

/* Closing the connection port frees the name even while clients are connected. */
TEST_F(rd, server_close_frees_name_with_clients_connected)
{
	int fd, client2;

	close_server(&self->port, &self->comm);
	fd = alpc_create_port(self->dev, self->name, NULL, 0);
	ASSERT_LE(0, fd);
	/* The old client is not connected to the new port. */
	ASSERT_EQ(-1, alpc_datagram(self->client, "d", 1, NULL));
	EXPECT_EQ(ECONNRESET, errno);
	client2 = alpc_connect_accept(self->dev, fd, self->name, 3, 0, NULL, NULL);
	ASSERT_LE(0, client2);
	close(client2);
	close(fd);
}

/* Once the server is gone, the client drains what is queued, then gets ECONNRESET. */
TEST_F(rd, client_recv_after_server_gone_drains_then_econnreset)
{
	struct alpc_msg_info info;
	char buf[8];
	__u64 id;

	ASSERT_EQ(0, alpc_request(self->client, "q", 1, &id));
	ASSERT_EQ(0, alpc_recv(self->srv, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	ASSERT_EQ(0, alpc_reply(self->srv, id, "a", 1));
	if (variant->comm_port)
		ASSERT_EQ(0, alpc_datagram(self->comm, "d", 1, NULL));
	close_server(&self->port, &self->comm);

	ASSERT_EQ(0, alpc_recv(self->client, buf, sizeof(buf), 0, &info));
	EXPECT_EQ(ALPC_MSG_REPLY, info.type);
	EXPECT_EQ(id, info.ref_id);
	if (variant->comm_port) {
		ASSERT_EQ(0, alpc_recv(self->client, buf, sizeof(buf), 0, &info));
		EXPECT_EQ(ALPC_MSG_DATAGRAM, info.type);
	}
	ASSERT_EQ(-1, alpc_recv(self->client, buf, sizeof(buf), 0, &info));
	EXPECT_EQ(ECONNRESET, errno);
	ASSERT_EQ(-1, alpc_recv(self->client, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ECONNRESET, errno);
}

/* Closing the server wakes a client waiting in RECV with ECONNRESET. */
TEST_F(rd, server_close_wakes_client_recv)
{
	struct alpc_call call;
	struct alpc_recv r;
	__s64 t0;

	memset(&r, 0, sizeof(r));
	r.timeout_ns = ALPC_WAIT_NS;
	ASSERT_EQ(0, alpc_call_start(&call, self->client, ALPC_IOC_RECV, &r));
	ASSERT_TRUE(alpc_call_still_waits(&call, 50));
	t0 = alpc_now_ns();
	close_server(&self->port, &self->comm);
	ASSERT_EQ(-1, alpc_call_join(&call));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_GT(PROMPT_NS, call.end_ns - t0);
}

/* Closing the server wakes a client waiting for queue space with ECONNRESET. */
TEST_F(rd, server_close_wakes_sender_waiting_for_room)
{
	struct alpc_port_attr attr = { .max_queued_msgs = 1 };
	char name[ALPC_NAME_MAX];
	struct alpc_call call;
	struct alpc_send s;
	int port, client;
	__s64 t0;

	alpc_port_name(name, "room");
	port = alpc_create_port(self->dev, name, &attr, 0);
	ASSERT_LE(0, port);
	client = alpc_connect_accept(self->dev, port, name, 4, 0, NULL, NULL);
	ASSERT_LE(0, client);
	ASSERT_EQ(0, alpc_datagram(client, "1", 1, NULL));
	memset(&s, 0, sizeof(s));
	s.type = ALPC_MSG_DATAGRAM;
	s.timeout_ns = ALPC_WAIT_NS;
	ASSERT_EQ(0, alpc_call_start(&call, client, ALPC_IOC_SEND, &s));
	ASSERT_TRUE(alpc_call_still_waits(&call, 50));
	t0 = alpc_now_ns();
	close(port);
	ASSERT_EQ(-1, alpc_call_join(&call));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_GT(PROMPT_NS, call.end_ns - t0);
	close(client);
}

/* Closing the connection port wakes a client waiting in CONNECT with ECONNRESET. */
TEST_F(rd, server_close_wakes_connecting_client)
{
	struct alpc_connector c;
	struct alpc_msg_info info;
	__s64 t0;

	ASSERT_EQ(0, alpc_connector_start(&c, self->dev, self->name, NULL, 0, ALPC_WAIT_NS, 0));
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);
	t0 = alpc_now_ns();
	close_server(&self->port, &self->comm);
	ASSERT_EQ(-1, alpc_connector_join(&c));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_GT(PROMPT_NS, c.call.end_ns - t0);
}

static int use_inherited_fd(void *p)
{
	int fd = *(int *)p;
	struct alpc_send_wait sw;
	char buf[8];

	if (alpc_datagram(fd, "child", 5, NULL))
		return 10;
	alpc_send_wait_init(&sw, "q", 1, buf, sizeof(buf), ALPC_WAIT_NS);
	if (alpc_send_wait(fd, &sw))
		return 11;
	if (sw.reply.len != 5 || memcmp(buf, "reply", 5))
		return 12;
	return 0;
}

/* A child inheriting the client fd uses the connection; its exit is no rundown. */
TEST_F(rd, forked_child_uses_inherited_client_fd)
{
	struct alpc_msg_info info;
	char buf[8];
	pid_t pid;

	pid = alpc_fork(use_inherited_fd, &self->client);
	ASSERT_LT(0, pid);
	self->child = pid;
	ASSERT_EQ(0, alpc_recv(self->srv, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_DATAGRAM, info.type);
	EXPECT_EQ(pid, info.pid);
	EXPECT_EQ(CTX, info.port_context);
	EXPECT_EQ(0, memcmp(buf, "child", 5));
	ASSERT_EQ(0, alpc_recv(self->srv, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_REQUEST, info.type);
	EXPECT_EQ(pid, info.pid);
	ASSERT_EQ(0, alpc_reply(self->srv, info.id, "reply", 5));
	EXPECT_EQ(0, reap_child(&self->child));
	/* The parent still holds the fd: no PORT_CLOSED, no CLIENT_DIED. */
	ASSERT_EQ(-1, alpc_recv(self->srv, buf, sizeof(buf), 0, &info));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, alpc_datagram(self->client, "parent", 6, NULL));
	ASSERT_EQ(0, alpc_recv(self->srv, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	EXPECT_EQ(getpid(), info.pid);
}

/* A port closed with messages and requests still queued frees them (kmemleak checks). */
TEST_F(rd, server_close_with_queued_messages)
{
	struct alpc_msg_info info;
	char buf[ALPC_MSG_DEFAULT_MAX];
	__u64 id;
	int i;

	ASSERT_EQ(0, alpc_request(self->client, "held", 4, &id));
	ASSERT_EQ(0, alpc_recv(self->srv, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, alpc_datagram(self->client, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, alpc_request(self->client, "queued", 6, NULL));
	close_server(&self->port, &self->comm);
	ASSERT_EQ(-1, alpc_recv(self->client, buf, sizeof(buf), 0, &info));
	EXPECT_EQ(ECONNRESET, errno);
}

/* The server takes a communication port for its client. */
FIXTURE(comm) {
	int dev;
	int port;
	int comm;
	int client;
	char name[ALPC_NAME_MAX];
};

FIXTURE_SETUP(comm)
{
	self->port = -EBADF;
	self->comm = -EBADF;
	self->client = -EBADF;
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	alpc_port_name(self->name, "rundown");
	self->client = alpc_open_pair(self->dev, self->name, NULL, CTX, ALPC_ACCEPT_COMM_PORT,
				      &self->port, &self->comm, NULL);
	ASSERT_LE(0, self->port);
	ASSERT_LE(0, self->client);
}

FIXTURE_TEARDOWN(comm)
{
	alpc_close_pair(self->client, self->comm, self->port);
	if (self->dev >= 0)
		close(self->dev);
}

/* After PORT_CLOSED a server communication port fails with ECONNRESET. */
TEST_F(comm, server_comm_port_is_reset_after_client_close)
{
	struct alpc_msg_info info;

	close(self->client);
	self->client = -EBADF;
	ASSERT_EQ(0, alpc_recv(self->comm, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_PORT_CLOSED, info.type);
	ASSERT_EQ(-1, alpc_recv(self->comm, NULL, 0, ALPC_WAIT_NS, &info));
	EXPECT_EQ(ECONNRESET, errno);
	ASSERT_EQ(-1, alpc_datagram(self->comm, "d", 1, NULL));
	EXPECT_EQ(ECONNRESET, errno);
}

/* Closing the client fails the requests the server sent to it with ECONNRESET. */
TEST_F(comm, client_close_fails_server_send_wait)
{
	struct alpc_send_wait sw;
	struct alpc_msg_info info;
	struct alpc_call call;
	char buf[8];
	__s64 t0;

	alpc_send_wait_init(&sw, "s", 1, buf, sizeof(buf), ALPC_WAIT_NS);
	ASSERT_EQ(0, alpc_call_start(&call, self->comm, ALPC_IOC_SEND_WAIT, &sw));
	ASSERT_EQ(0, alpc_recv(self->client, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_REQUEST, info.type);
	t0 = alpc_now_ns();
	close(self->client);
	self->client = -EBADF;
	ASSERT_EQ(-1, alpc_call_join(&call));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_GT(PROMPT_NS, call.end_ns - t0);
}

/* Closing only the connection port resets clients whose server holds a comm port, too. */
TEST_F(comm, connection_port_close_resets_clients_with_comm_ports)
{
	close(self->port);
	self->port = -EBADF;
	ASSERT_EQ(-1, alpc_datagram(self->client, "d", 1, NULL));
	EXPECT_EQ(ECONNRESET, errno);
	ASSERT_EQ(-1, alpc_datagram(self->comm, "d", 1, NULL));
	EXPECT_EQ(ECONNRESET, errno);
}

/* Closing the server communication port resets its client, and only that client. */
TEST_F(comm, closing_server_comm_port_resets_client)
{
	struct pollfd pfd = { .events = POLLIN | POLLOUT };
	struct alpc_msg_info info;
	char buf[8];
	int other;

	close(self->comm);
	self->comm = -EBADF;
	ASSERT_EQ(-1, alpc_datagram(self->client, "d", 1, NULL));
	EXPECT_EQ(ECONNRESET, errno);
	ASSERT_EQ(-1, alpc_recv(self->client, NULL, 0, ALPC_WAIT_NS, &info));
	EXPECT_EQ(ECONNRESET, errno);
	pfd.fd = self->client;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLHUP);

	/* The connection port still serves other clients. */
	other = alpc_connect_accept(self->dev, self->port, self->name, 5, 0, NULL, NULL);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, alpc_datagram(other, "o", 1, NULL));
	ASSERT_EQ(0, alpc_recv(self->port, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	EXPECT_EQ(5, info.port_context);
	close(other);
}

TEST_HARNESS_MAIN
