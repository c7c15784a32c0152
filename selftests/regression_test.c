// SPDX-License-Identifier: GPL-2.0
/*
 * Regressions: one test per bug that fuzzing, fault injection or the
 * soak found (or that reading the code for them found), named after the
 * behaviour that broke.
 */
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>

#include "kselftest_harness.h"
#include "alpc_util.h"

FIXTURE(reg) {
	int dev;
	int port;
	int efd;
	int cp;
	char name[ALPC_NAME_MAX];
};

FIXTURE_SETUP(reg)
{
	self->port = -EBADF;
	self->efd = -EBADF;
	self->cp = -EBADF;
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	alpc_port_name(self->name, "reg");
	self->port = alpc_create_port(self->dev, self->name, NULL, 0);
	ASSERT_LE(0, self->port);
	self->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
	self->cp = alpc_create_completion(self->dev, self->efd, 16, 0);
	ASSERT_LE(0, self->cp);
}

FIXTURE_TEARDOWN(reg)
{
	if (self->cp >= 0)
		close(self->cp);
	if (self->efd >= 0)
		close(self->efd);
	if (self->port >= 0)
		close(self->port);
	if (self->dev >= 0)
		close(self->dev);
}

/*
 * An asynchronous connect whose connection request its client cancels
 * ends like any connect given up: the connection is closed, so sends and
 * receives fail with ECONNRESET and poll reports EPOLLHUP, instead of
 * sends failing with ENOTCONN and receives waiting, for ever, for an
 * answer that cannot come. (Or, if a connection request is not a request
 * CANCEL takes, the cancel fails and the connect can still be accepted.)
 */
TEST_F(reg, canceled_async_connect_closes_the_connection)
{
	struct alpc_completion e[2];
	struct alpc_msg_info info;
	struct pollfd pfd;
	char buf[16];
	__u32 n = 0;
	int client;
	__u64 id;

	client = alpc_connect_async(self->dev, self->name, NULL, 0, self->cp, 1);
	ASSERT_LE(0, client);
	ASSERT_EQ(0, alpc_recv(self->port, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);

	if (alpc_cancel(client, info.id)) {
		ASSERT_EQ(ENOENT, errno);
		ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, 1, NULL, 0));
		close(client);
		return;
	}
	/* The server hears of it, and cannot accept any more. */
	id = info.id;
	EXPECT_EQ(0, alpc_recv(self->port, buf, sizeof(buf), 0, &info)) {
		TH_LOG("no CANCELED for the connection request: %s", strerror(errno));
	}
	EXPECT_EQ(ALPC_MSG_CANCELED, info.type);
	EXPECT_EQ(-1, alpc_accept(self->port, id, 0, 1, NULL, 0));
	EXPECT_EQ(ENOENT, errno);
	/* The connect completes, not successfully. */
	EXPECT_EQ(0, alpc_dequeue(self->cp, e, 2, ALPC_WAIT_NS, &n));
	EXPECT_EQ(1, n);
	EXPECT_EQ(ALPC_COMPLETION_CONNECT, e[0].kind);
	EXPECT_NE(0, e[0].status);
	TH_LOG("completion status %d", e[0].status);

	/* And the connection is gone, as after any connect given up. */
	pfd.fd = client;
	pfd.events = POLLIN | POLLOUT;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLHUP) {
		TH_LOG("poll: 0x%x", pfd.revents);
	}
	EXPECT_EQ(-1, alpc_datagram(client, "x", 1, NULL));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(-1, alpc_recv(client, buf, sizeof(buf), 100 * ALPC_NS_PER_MS, &info));
	EXPECT_EQ(ECONNRESET, errno);
	close(client);
}

TEST_HARNESS_MAIN
