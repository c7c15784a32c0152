// SPDX-License-Identifier: GPL-2.0
/*
 * Regressions: one test per bug that fuzzing, fault injection or the
 * soak found (or that reading the code for them found), named after the
 * behaviour that broke.
 */
#include <dirent.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <linux/io_uring.h>
#include <linux/userfaultfd.h>

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

/* CONNECT to @name with @data and @size bytes of reply room at @reply: 0 (the fd closed) or -1. */
static int reg_connect_into(int dev, const char *name, const char *data, void *reply,
			    __u32 size, __s64 timeout_ns)
{
	struct alpc_connect c;
	int fd;

	alpc_connect_init(&c, name, data, strlen(data), timeout_ns);
	c.reply_buf = (__u64)(unsigned long)reply;
	c.reply_size = size;
	fd = ioctl(dev, ALPC_IOC_CONNECT, &c);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* A server that accepts the first connection request it receives. */
struct acceptor {
	int port;
	int ret;			/* the receive's */
	struct alpc_msg_info info;	/* what it received */
	char data[16];			/* its connection data, NUL-terminated */
};

static void *acceptor_fn(void *p)
{
	struct acceptor *a = p;

	a->ret = alpc_recv(a->port, a->data, sizeof(a->data) - 1, ALPC_WAIT_NS, &a->info);
	if (!a->ret && a->info.type == ALPC_MSG_CONNECTION_REQUEST)
		alpc_accept(a->port, a->info.id, 0, 1, NULL, 0);
	return NULL;
}

/*
 * CONNECT whose reply buffer cannot be written, wholly or only at its
 * last byte, fails with EFAULT before the server hears of it. Before,
 * access_ok() let it through: the request was queued, and once the server
 * accepted it the answer could not be copied, so the connection the
 * server counted open was closed again.
 */
TEST_F(reg, connect_with_unwritable_reply_buffer_sends_nothing)
{
	struct acceptor a = { .port = self->port };
	struct alpc_msg_info info;
	int ret, err, good, step;
	pthread_t server;
	char *mem, buf[16];

	/* A writable page, then one without access. */
	mem = mmap(NULL, 2 * alpc_page_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	step = mprotect(mem + alpc_page_size(), alpc_page_size(), PROT_NONE);
	err = errno;
	if (step)
		munmap(mem, 2 * alpc_page_size());
	ASSERT_EQ(0, step) TH_LOG("mprotect: %s", strerror(err));

	/* Nobody answers: EFAULT at once, not a wait, and nothing queued. */
	ret = reg_connect_into(self->dev, self->name, "none", mem + alpc_page_size(), 64,
			       200 * ALPC_NS_PER_MS);
	err = errno;
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EFAULT, err) {
		TH_LOG("CONNECT into a PROT_NONE page: %s", strerror(err));
	}
	EXPECT_TRUE(failed_with(alpc_recv(self->port, buf, sizeof(buf), 0, &info), EAGAIN)) {
		TH_LOG("the server has a message of type %u queued", info.type);
	}
	ret = reg_connect_into(self->dev, self->name, "last", mem + alpc_page_size() - 8, 16,
			       200 * ALPC_NS_PER_MS);
	err = errno;
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EFAULT, err) {
		TH_LOG("CONNECT whose reply room ends in a PROT_NONE page: %s", strerror(err));
	}
	EXPECT_TRUE(failed_with(alpc_recv(self->port, buf, sizeof(buf), 0, &info), EAGAIN)) {
		TH_LOG("the server has a message of type %u queued", info.type);
	}

	/* A server that accepts never sees it: the first connect it gets is the next one. */
	ASSERT_EQ(0, pthread_create(&server, NULL, acceptor_fn, &a));
	ret = reg_connect_into(self->dev, self->name, "bad", mem + alpc_page_size(), 64,
			       ALPC_WAIT_NS);
	err = errno;
	good = reg_connect_into(self->dev, self->name, "good", buf, sizeof(buf),
				1000 * ALPC_NS_PER_MS);
	pthread_join(server, NULL);
	munmap(mem, 2 * alpc_page_size());
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EFAULT, err);
	ASSERT_EQ(0, a.ret);
	EXPECT_STREQ("good", a.data) {
		TH_LOG("the server accepted the connect whose answer could not be written");
	}
	EXPECT_EQ(0, good);
}

/*
 * Receives that fail once they have taken their message: the caller's
 * fd 0 stands for any fd the receive did not make.
 */
enum { FD0_RECV, FD0_REPLY_RECV, FD0_SEND_WAIT };

FIXTURE(fd0) {
	int dev;
	int port;
	int client;
	int comm;
	bool fd0_taken;		/* fd 0 holds the pipe below, not the test's own */
	int saved0;		/* the test's own fd 0 (-1: it had none), for teardown */
	int pipe_w;		/* the write end of the pipe on fd 0 */
	struct stat st0;	/* that pipe's read end */
	void *none;		/* a page without access */
	void *late;		/* a page that loses its access during a call */
	char name[ALPC_NAME_MAX];
};

FIXTURE_VARIANT(fd0) {
	int call;
};

FIXTURE_VARIANT_ADD(fd0, recv) {
	.call = FD0_RECV,
};

FIXTURE_VARIANT_ADD(fd0, reply_recv) {
	.call = FD0_REPLY_RECV,
};

FIXTURE_VARIANT_ADD(fd0, send_wait) {
	.call = FD0_SEND_WAIT,
};

FIXTURE_SETUP(fd0)
{
	int p[2];

	self->port = -EBADF;
	self->client = -EBADF;
	self->comm = -EBADF;
	self->pipe_w = -EBADF;
	self->none = MAP_FAILED;
	self->late = MAP_FAILED;
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	alpc_port_name(self->name, "fd0");
	self->client = alpc_open_pair(self->dev, self->name, NULL, 1, ALPC_ACCEPT_COMM_PORT,
				      &self->port, &self->comm, NULL);
	ASSERT_LE(0, self->port);
	ASSERT_LE(0, self->client);
	self->none = mmap(NULL, alpc_page_size(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->none);
	self->late = mmap(NULL, alpc_page_size(), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->late);

	/* On fd 0, a pipe that nothing else holds: its inode tells it apart. */
	self->saved0 = fcntl(0, F_DUPFD_CLOEXEC, 3);
	self->fd0_taken = true;
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	if (p[0] != 0) {
		ASSERT_EQ(0, dup2(p[0], 0));
		close(p[0]);
	}
	self->pipe_w = p[1];
	ASSERT_EQ(0, fstat(0, &self->st0));
}

FIXTURE_TEARDOWN(fd0)
{
	if (self->fd0_taken) {
		if (self->saved0 >= 0) {
			dup2(self->saved0, 0);
			close(self->saved0);
		} else {
			close(0);
		}
	}
	if (self->pipe_w >= 0)
		close(self->pipe_w);
	if (self->late != MAP_FAILED)
		munmap(self->late, alpc_page_size());
	if (self->none != MAP_FAILED)
		munmap(self->none, alpc_page_size());
	alpc_close_pair(self->client, self->comm, self->port);
	if (self->dev >= 0)
		close(self->dev);
}

/*
 * A receive without an extra that fails after taking its message (EFAULT
 * on the payload buffer) closes no fd of the caller's: before, it undid
 * a pidfd it never made, fd 0, which the memset left in the pidfd slot.
 * RECV, REPLY_RECV's receive, and SEND_WAIT whose reply buffer is made
 * unwritable while it waits, so that the failure comes after the reply
 * is taken.
 */
TEST_F(fd0, failed_receive_leaves_fd_0_alone)
{
	struct alpc_reply_recv rr;
	struct alpc_msg_info info;
	struct alpc_send_wait sw;
	struct alpc_call call;
	int ret = 0, err = 0, got;
	char buf[64];
	struct stat st;

	switch (variant->call) {
	case FD0_RECV:
		ASSERT_EQ(0, alpc_datagram(self->client, "hello", 5, NULL));
		ret = alpc_recv(self->comm, self->none, 64, 0, &info);
		err = errno;
		break;
	case FD0_REPLY_RECV:
		ASSERT_EQ(0, alpc_request(self->client, "q", 1, NULL));
		ASSERT_EQ(0, alpc_recv(self->comm, buf, sizeof(buf), 0, &info));
		ASSERT_EQ(0, alpc_datagram(self->client, "hello", 5, NULL));
		alpc_reply_recv_init(&rr, info.id, "a", 1, self->none, 64, 0);
		ret = alpc_reply_recv(self->comm, &rr);
		err = errno;
		break;
	case FD0_SEND_WAIT:
		alpc_send_wait_init(&sw, "q", 1, self->late, 64, ALPC_WAIT_NS);
		ASSERT_EQ(0, alpc_call_start(&call, self->client, ALPC_IOC_SEND_WAIT, &sw));
		got = alpc_recv(self->comm, buf, sizeof(buf), ALPC_WAIT_NS, &info);
		if (!got)
			got = mprotect(self->late, alpc_page_size(), PROT_NONE);
		if (!got)
			got = alpc_reply(self->comm, info.id, "a", 1);
		err = errno;
		/* Joined before any ASSERT: the call writes to this frame until it returns. */
		ret = alpc_call_join(&call);
		ASSERT_EQ(0, got) TH_LOG("could not answer the request: %s", strerror(err));
		err = call.err;
		break;
	}
	ASSERT_EQ(-1, ret);
	ASSERT_EQ(EFAULT, err);

	EXPECT_NE(-1, fcntl(0, F_GETFD)) {
		TH_LOG("fd 0 was closed by the failed receive: %s", strerror(errno));
	}
	ASSERT_EQ(0, fstat(0, &st));
	EXPECT_EQ(self->st0.st_dev, st.st_dev);
	EXPECT_EQ(self->st0.st_ino, st.st_ino);
}

/* A connection whose server took a communication port; fds may travel. */
FIXTURE(pair) {
	int dev;
	int port;
	int client;
	int comm;
	void *none;		/* a page without access */
	char name[ALPC_NAME_MAX];
};

FIXTURE_SETUP(pair)
{
	struct alpc_port_attr attr = { .flags = ALPC_PORT_ALLOW_FDS };

	self->port = -EBADF;
	self->client = -EBADF;
	self->comm = -EBADF;
	self->none = MAP_FAILED;
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	alpc_port_name(self->name, "pair");
	self->client = alpc_open_pair(self->dev, self->name, &attr, 1, ALPC_ACCEPT_COMM_PORT,
				      &self->port, &self->comm, NULL);
	ASSERT_LE(0, self->port);
	ASSERT_LE(0, self->client);
	self->none = mmap(NULL, alpc_page_size(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->none);
}

FIXTURE_TEARDOWN(pair)
{
	if (self->none != MAP_FAILED)
		munmap(self->none, alpc_page_size());
	alpc_close_pair(self->client, self->comm, self->port);
	if (self->dev >= 0)
		close(self->dev);
}

/* A server that answers the first request it receives. */
struct answerer {
	int fd;
	int ret;			/* the receive's */
	int reply;			/* the reply's, if it was a request */
	struct alpc_msg_info info;	/* what it received */
};

static void *answerer_fn(void *p)
{
	struct answerer *a = p;
	char buf[64];

	a->ret = alpc_recv(a->fd, buf, sizeof(buf), ALPC_WAIT_NS, &a->info);
	if (!a->ret && a->info.type == ALPC_MSG_REQUEST)
		a->reply = alpc_reply(a->fd, a->info.id, "answer", 6);
	return NULL;
}

/*
 * SEND_WAIT whose reply buffer cannot be written fails with EFAULT before
 * it sends anything. Before, access_ok() let it through, the request was
 * delivered and answered, and only the copy of the answer failed: the
 * server's reply succeeded and the answer was gone.
 */
TEST_F(pair, send_wait_with_unwritable_reply_buffer_sends_nothing)
{
	struct answerer a = { .fd = self->comm };
	struct alpc_send_wait sw;
	struct alpc_msg_info info;
	pthread_t server;
	char buf[64];
	int ret, err;

	/* Nobody answers: EFAULT at once, not a wait, and nothing queued. */
	alpc_send_wait_init(&sw, "q", 1, self->none, 64, 200 * ALPC_NS_PER_MS);
	EXPECT_EQ(-1, alpc_send_wait(self->client, &sw));
	EXPECT_EQ(EFAULT, errno) {
		TH_LOG("SEND_WAIT: %s", strerror(errno));
	}
	EXPECT_TRUE(failed_with(alpc_recv(self->comm, buf, sizeof(buf), 0, &info), EAGAIN)) {
		TH_LOG("the request was sent: a message of type %u is queued", info.type);
	}

	/* A server that answers never sees the request. */
	ASSERT_EQ(0, pthread_create(&server, NULL, answerer_fn, &a));
	alpc_send_wait_init(&sw, "q", 1, self->none, 64, ALPC_WAIT_NS);
	ret = alpc_send_wait(self->client, &sw);
	err = errno;
	/* What the server receives if the request did not go out. */
	EXPECT_EQ(0, alpc_datagram(self->client, "done", 4, NULL));
	pthread_join(server, NULL);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EFAULT, err);
	ASSERT_EQ(0, a.ret);
	EXPECT_EQ(ALPC_MSG_DATAGRAM, a.info.type) {
		TH_LOG("the server got request %llu and answered it (reply: %d)",
		       (unsigned long long)a.info.id, a.reply);
		TH_LOG("and the caller got %s and no answer", strerror(err));
	}
}

/*
 * A reply that SEND_WAIT cannot deliver, because another thread made its
 * extra read-only while it waited, is not lost: the call fails with
 * EFAULT and the reply waits at the head of the caller's queue for RECV,
 * its ref_id the request's id. Before, the failed delivery dropped it.
 */
TEST_F(pair, send_wait_reply_kept_when_extra_turns_unwritable)
{
	struct alpc_recv_extra *ex;
	struct alpc_msg_info info, got;
	struct alpc_send_wait sw;
	struct alpc_call call;
	char reply[64], buf[64];
	int ret, err, step;

	memset(&info, 0, sizeof(info));
	ex = mmap(NULL, alpc_page_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, ex);
	alpc_send_wait_init(&sw, "q", 1, reply, sizeof(reply), ALPC_WAIT_NS);
	sw.extra = (__u64)(unsigned long)ex;
	step = alpc_call_start(&call, self->client, ALPC_IOC_SEND_WAIT, &sw);
	if (!step)
		step = alpc_recv(self->comm, buf, sizeof(buf), ALPC_WAIT_NS, &info);
	if (!step)
		step = mprotect(ex, alpc_page_size(), PROT_READ);
	if (!step)
		step = alpc_reply(self->comm, info.id, "answer", 6);
	err = errno;
	/* Joined before any ASSERT: the call writes to this frame until it returns. */
	ret = alpc_call_join(&call);
	munmap(ex, alpc_page_size());
	ASSERT_EQ(0, step) TH_LOG("could not answer the request: %s", strerror(err));
	ASSERT_EQ(-1, ret);
	ASSERT_EQ(EFAULT, call.err) {
		TH_LOG("SEND_WAIT: %s", strerror(call.err));
	}
	EXPECT_EQ(info.id, sw.id);

	/* The answer is the caller's still. */
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, alpc_recv(self->client, buf, sizeof(buf), 0, &got)) {
		TH_LOG("no reply waits for RECV: %s", strerror(errno));
	}
	EXPECT_EQ(ALPC_MSG_REPLY, got.type);
	EXPECT_EQ(info.id, got.ref_id);
	EXPECT_EQ(6, got.len);
	EXPECT_EQ(0, memcmp(buf, "answer", 6));
}

/*
 * The CANCELED notice of a request its receiver had carries nothing of
 * the request: no view, so the receive that takes it maps nothing. Before,
 * it kept the request's view and mapped it into the receiver once more,
 * behind the back of a server that had already unmapped it, once for
 * every request canceled.
 */
TEST_F(pair, canceled_notice_carries_no_view)
{
	struct alpc_msg_info info;
	int sfd, before, i;
	__u64 id;

	sfd = alpc_create_section(self->client, alpc_page_size(), 0);
	ASSERT_LE(0, sfd);

	/* Once, in detail. */
	ASSERT_EQ(0, alpc_send_view(self->client, ALPC_MSG_REQUEST, 0, sfd, 0, 100, 0, &id));
	ASSERT_EQ(0, alpc_recv(self->comm, NULL, 0, 0, &info));
	ASSERT_EQ(ALPC_MSG_REQUEST, info.type);
	ASSERT_EQ(ALPC_MSGF_VIEW, info.flags & ALPC_MSGF_VIEW);
	ASSERT_NE(0, info.view_addr);
	ASSERT_EQ(0, alpc_view_unmap(&info));
	before = alpc_section_maps();
	ASSERT_LE(0, before);
	ASSERT_EQ(0, alpc_cancel(self->client, id));
	ASSERT_EQ(0, alpc_recv(self->comm, NULL, 0, 0, &info));
	ASSERT_EQ(ALPC_MSG_CANCELED, info.type);
	EXPECT_EQ(id, info.ref_id);
	EXPECT_EQ(0, info.flags & ALPC_MSGF_VIEW);
	EXPECT_EQ(0, info.view_addr);
	EXPECT_EQ(0, info.view_len);
	EXPECT_EQ(before, alpc_section_maps());
	if (info.view_addr)
		alpc_view_unmap(&info);

	/* Fifty times, to a server that expects no view in a notice: it maps no more. */
	before = alpc_section_maps();
	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, alpc_send_view(self->client, ALPC_MSG_REQUEST, 0, sfd, 0, 100, 0,
					    &id));
		ASSERT_EQ(0, alpc_recv(self->comm, NULL, 0, 0, &info));
		ASSERT_EQ(ALPC_MSG_REQUEST, info.type);
		ASSERT_EQ(0, alpc_view_unmap(&info));
		ASSERT_EQ(0, alpc_cancel(self->client, id));
		ASSERT_EQ(0, alpc_recv(self->comm, NULL, 0, 0, &info));
		ASSERT_EQ(ALPC_MSG_CANCELED, info.type);
	}
	EXPECT_EQ(before, alpc_section_maps()) {
		TH_LOG("the server has %d mappings of sections more after 50 canceled requests",
		       alpc_section_maps() - before);
	}
	close(sfd);
}

/* SEND of @type from @fd carrying the @nfds fds at @fds; *@id (if given) gets its id. */
static int reg_send_fds(int fd, __u32 type, const int *fds, __u32 nfds, __u64 *id)
{
	struct alpc_msg_attrs a;

	memset(&a, 0, sizeof(a));
	a.flags = ALPC_ATTR_FDS;
	a.fds = (__u64)(unsigned long)fds;
	a.nfds = nfds;
	return alpc_send_attrs(fd, type, "m", 1, 0, 0, 0, &a, id);
}

/*
 * Receives, without waiting, what is queued on @fd until nothing is,
 * closing the fds that came with it.
 */
static void reg_drain(int fd)
{
	struct alpc_recv_extra ex;
	struct alpc_msg_info info;
	int fds[ALPC_FDS_MAX];
	char buf[ALPC_MSG_DEFAULT_MAX];
	__u32 i;

	for (;;) {
		memset(&ex, 0, sizeof(ex));
		ex.fds = (__u64)(unsigned long)fds;
		ex.fds_size = ALPC_FDS_MAX;
		if (alpc_recv_extra(fd, 0, buf, sizeof(buf), 0, &ex, &info))
			return;
		for (i = 0; i < ex.nfds; i++)
			close(fds[i]);
	}
}

/* A new io_uring instance: its fd, or -1 (where the kernel has no io_uring, say). */
static int reg_io_uring(void)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	return syscall(__NR_io_uring_setup, 4, &p);
}

/* Registers @fd with @ring, which then holds its file until the ring is released. */
static int reg_ring_hold(int ring, int fd)
{
	return syscall(__NR_io_uring_register, ring, IORING_REGISTER_FILES, &fd, 1);
}

/*
 * CREATE_PORT @name, retried while the name is taken, for up to @ms
 * milliseconds: a released port's name is freed by a deferred fput.
 */
static int reg_create_port_within(int dev, const char *name, unsigned int ms)
{
	__s64 end = alpc_now_ns() + ms * ALPC_NS_PER_MS;
	int fd;

	for (;;) {
		fd = alpc_create_port(dev, name, NULL, 0);
		if (fd >= 0 || errno != EEXIST || alpc_now_ns() > end)
			return fd;
		alpc_sleep_ms(20);
	}
}

/*
 * A port whose server takes no communication port: its clients' messages
 * queue on the connection port itself. Fds may travel.
 */
FIXTURE(ring) {
	int dev;
	int port;
	int client;
	int ring;
	char name[ALPC_NAME_MAX];
};

FIXTURE_SETUP(ring)
{
	struct alpc_port_attr attr = { .flags = ALPC_PORT_ALLOW_FDS };

	self->port = -EBADF;
	self->client = -EBADF;
	self->ring = -EBADF;
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	alpc_port_name(self->name, "ring");
	self->client = alpc_open_pair(self->dev, self->name, &attr, 1, 0, &self->port, NULL,
				      NULL);
	ASSERT_LE(0, self->port);
	ASSERT_LE(0, self->client);
}

FIXTURE_TEARDOWN(ring)
{
	/* A ring that went out is taken back: nothing keeps the port then. */
	if (self->port >= 0)
		reg_drain(self->port);
	if (self->ring >= 0)
		close(self->ring);
	alpc_close_pair(self->client, -EBADF, self->port);
	if (self->dev >= 0)
		close(self->dev);
}

/*
 * An io_uring fd may not travel in a message (EINVAL, as alpc ports and
 * UNIX sockets may not): a ring holds the files registered with it, so
 * one queued on the port whose fd it holds would keep that port alive,
 * and nothing would ever release either. Before, any user could so leak
 * a port, its name and a reference to the module for good.
 */
TEST_F(ring, io_uring_fd_in_a_message_is_einval)
{
	struct alpc_msg_info info;
	char buf[16];

	self->ring = reg_io_uring();
	if (self->ring < 0)
		SKIP(return, "no io_uring here (io_uring_setup: %s)", strerror(errno));
	ASSERT_EQ(0, reg_ring_hold(self->ring, self->port));

	ASSERT_EQ(-1, reg_send_fds(self->client, ALPC_MSG_DATAGRAM, &self->ring, 1, NULL));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, reg_send_fds(self->client, ALPC_MSG_REQUEST, &self->ring, 1, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(failed_with(alpc_recv(self->port, buf, sizeof(buf), 0, &info), EAGAIN));
}

/*
 * A port is released once its fds are closed, even where a ring holding
 * it was offered to it in a message: that send failed. The message is a
 * request, and the client keeps its fd, only so that the test can cancel
 * it and let the port go if it was sent after all: a datagram, or a
 * request of a client gone too, would keep the port, its name and the
 * module for the life of the system.
 */
TEST_F(ring, io_uring_cannot_keep_a_closed_port_alive)
{
	bool sent;
	__u64 id;
	int fd;

	self->ring = reg_io_uring();
	if (self->ring < 0)
		SKIP(return, "no io_uring here (io_uring_setup: %s)", strerror(errno));
	ASSERT_EQ(0, reg_ring_hold(self->ring, self->port));

	sent = !reg_send_fds(self->client, ALPC_MSG_REQUEST, &self->ring, 1, &id);
	close(self->ring);
	self->ring = -EBADF;
	close(self->port);
	self->port = -EBADF;

	fd = reg_create_port_within(self->dev, self->name, 5000);
	EXPECT_LE(0, fd) {
		TH_LOG("the name is still taken 5 s after the port's fds were closed: %s",
		       strerror(errno));
		if (sent)
			TH_LOG("the request queued on it holds the ring, which holds the port");
	}
	if (fd < 0 && sent) {
		/* Let it go: the canceled request drops the ring, which drops the port. */
		EXPECT_EQ(0, alpc_cancel(self->client, id));
		fd = reg_create_port_within(self->dev, self->name, 5000);
		if (fd < 0)
			TH_LOG("the port is leaked: the module cannot be unloaded");
	}
	if (fd >= 0)
		close(fd);
}

/*
 * A message whose fds the receiver has no fd numbers for does not stop
 * the receiver for good. Before, every receive failed with EMFILE and put
 * the message back at the head, so nothing behind it was ever received.
 *
 * The test assumes only what any fix must give: under the same limit, the
 * receiver gets through to the plain message behind within a few
 * receives. The first message may come back without the fds that found
 * no number (extra.nfds then counts those that did: none here), or be
 * passed over; that is the fix's to choose.
 */
TEST_F(pair, message_with_fds_past_rlimit_does_not_block_the_queue)
{
	int p[2], fds[4], ret[4], err[4], n, lowest, next = -1;
	struct alpc_recv_extra ex;
	struct alpc_msg_info info;
	struct rlimit old, rl;
	__u32 nfds = 0, j;
	char buf[16];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, reg_send_fds(self->client, ALPC_MSG_DATAGRAM, p, 1, NULL));
	ASSERT_EQ(0, alpc_datagram(self->client, "next", 4, NULL));

	/* No fd number left: the limit is the lowest free one. */
	lowest = fcntl(self->dev, F_DUPFD_CLOEXEC, 0);
	ASSERT_LE(0, lowest);
	close(lowest);
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	rl = old;
	rl.rlim_cur = lowest;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	for (n = 0; n < (int)ARRAY_SIZE(ret) && next < 0; n++) {
		memset(buf, 0, sizeof(buf));
		memset(&ex, 0, sizeof(ex));
		ex.fds = (__u64)(unsigned long)fds;
		ex.fds_size = ARRAY_SIZE(fds);
		ret[n] = alpc_recv_extra(self->comm, 0, buf, sizeof(buf), 0, &ex, &info);
		err[n] = errno;
		if (ret[n])
			continue;
		if (!strcmp(buf, "next")) {
			next = n;
			continue;
		}
		/* The first message: what it says it installed is open. */
		nfds = ex.nfds;
		for (j = 0; j < ex.nfds && j < ARRAY_SIZE(fds); j++)
			EXPECT_EQ(0, close(fds[j]));
	}
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));

	EXPECT_LE(0, next) {
		for (j = 0; j < (__u32)n; j++)
			TH_LOG("receive %u under the limit: %s", j,
			       ret[j] ? strerror(err[j]) : "the message with fds");
		TH_LOG("the plain message behind the one with fds never arrived");
	}
	EXPECT_EQ(0, nfds);
	close(p[0]);
	close(p[1]);
}

/* Pages of which the first is watched by a userfaultfd for missing pages. */
struct uffd_area {
	int uffd;		/* until a handler thread takes it */
	void *addr;
	size_t len;
};

/*
 * A connection whose server took a communication port, on a port that
 * lets fds travel and requests lend memory, and a userfaultfd: a call
 * whose user memory is behind it waits in the fault, while the test acts.
 */
FIXTURE(uffd) {
	int dev;
	int port;
	int client;
	int comm;
	struct uffd_area u;
	char name[ALPC_NAME_MAX];
};

FIXTURE_SETUP(uffd)
{
	struct alpc_port_attr attr = { .flags = ALPC_PORT_ALLOW_FDS | ALPC_PORT_DIRECT_ACCESS };

	self->port = -EBADF;
	self->client = -EBADF;
	self->comm = -EBADF;
	self->u.uffd = -EBADF;
	self->u.addr = MAP_FAILED;
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	alpc_port_name(self->name, "uffd");
	self->client = alpc_open_pair(self->dev, self->name, &attr, 1, ALPC_ACCEPT_COMM_PORT,
				      &self->port, &self->comm, NULL);
	ASSERT_LE(0, self->port);
	ASSERT_LE(0, self->client);
}

FIXTURE_TEARDOWN(uffd)
{
	if (self->u.uffd >= 0)
		close(self->u.uffd);
	if (self->u.addr != MAP_FAILED)
		munmap(self->u.addr, self->u.len);
	alpc_close_pair(self->client, self->comm, self->port);
	if (self->dev >= 0)
		close(self->dev);
}

/*
 * Maps @pages pages at @u and a userfaultfd watching the first for
 * missing pages: 0, or -1 with errno (*@unavailable: the userfaultfd
 * itself could not be had).
 */
static int uffd_area_open(struct uffd_area *u, size_t pages, bool *unavailable)
{
	struct uffdio_register reg;
	struct uffdio_api api;

	*unavailable = false;
	u->len = pages * alpc_page_size();
	u->addr = mmap(NULL, u->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (u->addr == MAP_FAILED)
		return -1;
	memset(&api, 0, sizeof(api));
	api.api = UFFD_API;
	u->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (u->uffd < 0 || ioctl(u->uffd, UFFDIO_API, &api)) {
		*unavailable = true;
		return -1;
	}
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (unsigned long)u->addr;
	reg.range.len = alpc_page_size();
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	return ioctl(u->uffd, UFFDIO_REGISTER, &reg);
}

/*
 * A userfaultfd's handler thread. It waits for the first fault on the
 * page it watches, lets the test act while the faulting call waits
 * (@during), and then resolves the fault with the page at @src
 * (UFFDIO_COPY) or, without @src, makes it fail: it unmaps the page and
 * closes the userfaultfd, which wakes the fault to find no page there.
 * (Closing alone would not fail it: the fault is retried unwatched and
 * gets a zero page.) It closes the userfaultfd in any case, so nothing
 * waits on it past the test.
 */
struct fault {
	int uffd;
	void *page;
	const void *src;
	void (*during)(struct fault *f);
	void *arg;		/* the test's, for @during */
	atomic_int go;		/* for @during: the test is ready */
	atomic_int stop;	/* the test waits for no fault any more */
	atomic_int seen;	/* a fault came, at @addr */
	__u64 addr;
	__s64 end_ns;		/* when it was resolved or made to fail */
	int err;		/* errno of UFFDIO_COPY or munmap, if it failed */
	bool unmapped;		/* @page is gone */
	pthread_t thread;
};

static void *fault_fn(void *p)
{
	struct pollfd pfd = { .events = POLLIN };
	struct uffdio_copy copy;
	struct fault *f = p;
	struct uffd_msg msg;
	int i;

	pfd.fd = f->uffd;
	/* At most 5 s, or until the test's call is over without a fault. */
	for (i = 0; i < 500 && !atomic_load(&f->stop); i++)
		if (poll(&pfd, 1, 10) == 1)
			break;
	if (pfd.revents & POLLIN && read(f->uffd, &msg, sizeof(msg)) == sizeof(msg) &&
	    msg.event == UFFD_EVENT_PAGEFAULT) {
		f->addr = msg.arg.pagefault.address;
		atomic_store(&f->seen, 1);
		if (f->during)
			f->during(f);
		f->end_ns = alpc_now_ns();
		if (f->src) {
			memset(&copy, 0, sizeof(copy));
			copy.dst = (unsigned long)f->page;
			copy.src = (unsigned long)f->src;
			copy.len = alpc_page_size();
			if (ioctl(f->uffd, UFFDIO_COPY, &copy))
				f->err = errno;
		} else if (munmap(f->page, alpc_page_size())) {
			f->err = errno;
		} else {
			f->unmapped = true;
		}
	}
	close(f->uffd);
	return NULL;
}

/* Hands @u's userfaultfd to a new handler thread for @f. 0, or an error number. */
static int fault_start(struct fault *f, struct uffd_area *u)
{
	int err;

	f->uffd = u->uffd;
	f->page = u->addr;
	err = pthread_create(&f->thread, NULL, fault_fn, f);
	if (!err)
		u->uffd = -EBADF;
	return err;
}

/* Waits for the handler; the page it unmapped, if it did, is no longer @u's. */
static void fault_join(struct fault *f, struct uffd_area *u)
{
	atomic_store(&f->stop, 1);
	pthread_join(f->thread, NULL);
	if (f->unmapped && f->page == u->addr) {
		if (u->len > alpc_page_size())
			munmap((char *)u->addr + alpc_page_size(), u->len - alpc_page_size());
		u->addr = MAP_FAILED;
	}
}

#define REG_FDS		1024

/* Marks in @open the fds below REG_FDS this process has open, as /proc/self/fd lists them. */
static int reg_fds_open(bool open[REG_FDS])
{
	struct dirent *e;
	DIR *d;
	int fd;

	memset(open, 0, REG_FDS * sizeof(*open));
	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		fd = atoi(e->d_name);
		if (fd != dirfd(d) && fd >= 0 && fd < REG_FDS)
			open[fd] = true;
	}
	closedir(d);
	return 0;
}

/* What the fd-swapping handler did while the receive waited. */
struct fd_swap {
	int n;			/* the fd number the receive would install */
	bool was_open;		/* @n was open during the fault */
	int efd;		/* the handler's own file, which took @n */
	struct stat st;		/* its identity */
};

/* While the receive waits: puts a file of the handler's own on the number it would install. */
static void fd_swap_during(struct fault *f)
{
	struct fd_swap *s = f->arg;

	s->was_open = fcntl(s->n, F_GETFD) != -1;
	if (s->was_open)
		close(s->n);
	s->efd = eventfd(0, EFD_CLOEXEC);
	if (s->efd >= 0 && fstat(s->efd, &s->st))
		s->efd = -1;
}

/*
 * A receive that fails before it has installed anything (EFAULT on its
 * payload buffer) closes no fd: not the number it would have installed
 * on, which another thread may have taken meanwhile. Before, it
 * installed the message's fd first and closed that number on the late
 * EFAULT: by then it was another thread's file. The payload buffer is
 * behind a userfaultfd, whose handler takes number N while the receive
 * waits, then fails the fault.
 */
TEST_F(uffd, failed_receive_never_closes_a_reused_fd)
{
	bool before[REG_FDS], after[REG_FDS], mine = false;
	struct fd_swap s = { .efd = -1 };
	struct fault f = { .arg = &s };
	struct alpc_recv_extra ex;
	struct alpc_msg_info info;
	int p[2], fds[4], ret, err, uffd, i, odd = 0;
	bool unavailable;
	struct stat st, sp;
	char buf[16];

	ret = uffd_area_open(&self->u, 1, &unavailable);
	if (ret && unavailable)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ret) TH_LOG("a userfaultfd for the area: %s", strerror(errno));
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, fstat(p[0], &sp));
	ASSERT_EQ(0, reg_send_fds(self->client, ALPC_MSG_DATAGRAM, p, 1, NULL));

	/* The number the receive would install on: the lowest free one. */
	s.n = fcntl(self->dev, F_DUPFD_CLOEXEC, 0);
	ASSERT_LE(0, s.n);
	close(s.n);
	uffd = self->u.uffd;
	f.during = fd_swap_during;
	ASSERT_EQ(0, reg_fds_open(before));
	ASSERT_EQ(0, fault_start(&f, &self->u));

	memset(&ex, 0, sizeof(ex));
	ex.fds = (__u64)(unsigned long)fds;
	ex.fds_size = ARRAY_SIZE(fds);
	ret = alpc_recv_extra(self->comm, 0, self->u.addr, 64, ALPC_WAIT_NS, &ex, &info);
	err = errno;
	fault_join(&f, &self->u);
	if (s.efd >= 0 && !fstat(s.n, &st))
		mine = st.st_dev == s.st.st_dev && st.st_ino == s.st.st_ino;
	/* Before the next receive, which may install on it: the file is the handler's. */
	if (mine)
		close(s.n);

	ASSERT_TRUE(atomic_load(&f.seen)) {
		TH_LOG("the receive did not wait in the fault: %d (%s)", ret, strerror(err));
	}
	ASSERT_EQ(0, f.err) TH_LOG("could not fail the fault: %s", strerror(f.err));
	ASSERT_EQ(s.n, s.efd) TH_LOG("the handler's eventfd is not on fd %d", s.n);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EFAULT, err) {
		TH_LOG("the receive: %d (%s)", ret, strerror(err));
	}
	EXPECT_FALSE(s.was_open) {
		TH_LOG("fd %d was installed before the payload was written", s.n);
	}
	EXPECT_TRUE(mine) {
		TH_LOG("fd %d, the handler's eventfd, was closed by the failed receive", s.n);
	}
	/* No other fd came or went. */
	ASSERT_EQ(0, reg_fds_open(after));
	for (i = 0; i < REG_FDS; i++) {
		if (i == s.n || i == uffd || before[i] == after[i])
			continue;
		odd++;
		TH_LOG("fd %d %s", i, before[i] ? "was closed" : "appeared");
	}
	EXPECT_EQ(0, odd);

	/* The message is still queued, fd and all. */
	memset(&ex, 0, sizeof(ex));
	ex.fds = (__u64)(unsigned long)fds;
	ex.fds_size = ARRAY_SIZE(fds);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, alpc_recv_extra(self->comm, 0, buf, sizeof(buf), 0, &ex, &info)) {
		TH_LOG("the message is gone: %s", strerror(errno));
	}
	EXPECT_EQ(ALPC_MSG_DATAGRAM, info.type);
	EXPECT_EQ(0, memcmp(buf, "m", 2));
	EXPECT_EQ(ALPC_MSGF_FDS, info.flags & (ALPC_MSGF_FDS | ALPC_MSGF_FDS_LOST));
	ASSERT_EQ(1, ex.nfds);
	ASSERT_EQ(0, fstat(fds[0], &st));
	EXPECT_EQ(sp.st_dev, st.st_dev);
	EXPECT_EQ(sp.st_ino, st.st_ino);
	close(fds[0]);
	close(p[0]);
	close(p[1]);
}

#define REG_MAPS_SECS	8

/* What /proc/self/maps lists, but for a range the test made itself. */
struct reg_maps {
	int lines;				/* mappings outside that range */
	int secs;				/* mappings of alpc sections among them */
	unsigned long sec[REG_MAPS_SECS][2];	/* the first of those: start, end */
};

/*
 * Reads /proc/self/maps into @m, leaving out mappings that overlap
 * [@lo, @hi). No stdio and no malloc: in a thread, they would map an
 * arena of their own. 0 or -1.
 */
static int reg_maps_read(struct reg_maps *m, unsigned long lo, unsigned long hi)
{
	unsigned long start, end;
	char buf[65536], *line, *nl, *p;
	size_t used = 0;
	ssize_t n = 1;
	int fd;

	memset(m, 0, sizeof(*m));
	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (n > 0 && used < sizeof(buf) - 1) {
		n = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (n > 0)
			used += n;
	}
	close(fd);
	if (n || used >= sizeof(buf) - 1)
		return -1;
	buf[used] = 0;
	for (line = buf; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = 0;
		start = strtoul(line, &p, 16);
		end = strtoul(p + 1, NULL, 16);
		if (start < hi && lo < end)
			continue;
		m->lines++;
		if (!strstr(line, "alpc_section"))
			continue;
		if (m->secs < REG_MAPS_SECS) {
			m->sec[m->secs][0] = start;
			m->sec[m->secs][1] = end;
		}
		m->secs++;
	}
	return 0;
}

/* What the mapping-swapping handler did while the receive waited. */
struct map_swap {
	struct reg_maps before;	/* the mappings before the receive */
	int secs;		/* mappings of sections during the fault, or -1 */
	bool view;		/* one was new: the view, mapped already */
	void *own;		/* the handler's own mapping, where that view was */
	size_t own_len;
};

/*
 * While the receive waits: a view it mapped already is unmapped, and a
 * mapping of the handler's own takes its place. With no view mapped, the
 * handler maps a page anywhere, to find it intact afterwards all the same.
 */
static void map_swap_during(struct fault *f)
{
	struct map_swap *s = f->arg;
	unsigned long lo = 0, hi = 0;
	int i, j, known = s->before.secs < REG_MAPS_SECS ? s->before.secs : REG_MAPS_SECS;
	struct reg_maps m;

	s->secs = reg_maps_read(&m, 0, 0) ? -1 : m.secs;
	for (i = 0; i < m.secs && i < REG_MAPS_SECS && !hi; i++) {
		for (j = 0; j < known; j++)
			if (s->before.sec[j][0] == m.sec[i][0])
				break;
		if (j == known) {
			lo = m.sec[i][0];
			hi = m.sec[i][1];
		}
	}
	s->own_len = hi ? hi - lo : alpc_page_size();
	if (hi) {
		s->view = true;
		munmap((void *)lo, s->own_len);
	}
	/* Shared: it merges with no neighbour, so it stays one line of maps. */
	s->own = mmap((void *)lo, s->own_len, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS | (hi ? MAP_FIXED_NOREPLACE : 0), -1, 0);
	if (s->own != MAP_FAILED)
		memset(s->own, 0x5a, s->own_len);
}

/* True if the @len bytes at @addr are mapped. */
static bool reg_mapped(void *addr, size_t len)
{
	unsigned char vec[16];

	return len <= sizeof(vec) * alpc_page_size() && !mincore(addr, len, vec);
}

/*
 * A receive that fails before it has mapped anything (EFAULT on its
 * payload buffer) unmaps nothing: not the address it would have mapped
 * the view at, which another thread may have mapped meanwhile. Before,
 * it mapped the view first and unmapped that address on the late EFAULT.
 * The payload buffer is behind a userfaultfd, whose handler puts its own
 * mapping where a view mapped already would be, then fails the fault.
 */
TEST_F(uffd, failed_receive_never_unmaps_a_reused_address)
{
	struct map_swap s = { .secs = -1, .own = MAP_FAILED };
	struct fault f = { .arg = &s };
	struct alpc_msg_attrs a;
	struct alpc_msg_info info;
	unsigned long lo, hi;
	struct reg_maps m;
	int sfd, ret, err;
	bool unavailable, intact = false;
	char buf[16];

	ret = uffd_area_open(&self->u, 1, &unavailable);
	if (ret && unavailable)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ret) TH_LOG("a userfaultfd for the area: %s", strerror(errno));
	sfd = alpc_create_section(self->client, alpc_page_size(), 0);
	ASSERT_LE(0, sfd);
	alpc_view_attrs(&a, sfd, 0, 100, 0);
	ASSERT_EQ(0, alpc_send_attrs(self->client, ALPC_MSG_DATAGRAM, "v", 2, 0, 0, 0, &a, NULL));

	/* The thread first: its stack is among the mappings before. */
	f.during = map_swap_during;
	lo = (unsigned long)self->u.addr;
	hi = lo + self->u.len;
	ASSERT_EQ(0, fault_start(&f, &self->u));
	ret = reg_maps_read(&s.before, lo, hi);
	if (!ret)
		ret = alpc_recv(self->comm, self->u.addr, 64, ALPC_WAIT_NS, &info);
	err = errno;
	fault_join(&f, &self->u);
	if (s.own != MAP_FAILED) {
		intact = reg_mapped(s.own, s.own_len) && alpc_all(s.own, s.own_len, 0x5a);
		munmap(s.own, s.own_len);
	}

	ASSERT_TRUE(atomic_load(&f.seen)) {
		TH_LOG("the receive did not wait in the fault: %d (%s)", ret, strerror(err));
	}
	ASSERT_EQ(0, f.err) TH_LOG("could not fail the fault: %s", strerror(f.err));
	ASSERT_NE(MAP_FAILED, s.own) TH_LOG("the handler could not map its own page");
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EFAULT, err) {
		TH_LOG("the receive: %d (%s)", ret, strerror(err));
	}
	EXPECT_EQ(s.before.secs, s.secs) {
		TH_LOG("the view was mapped before the payload was written");
	}
	EXPECT_TRUE(intact) {
		TH_LOG("the handler's mapping at %p, where the view had been, was %s",
		       s.own, s.view ? "unmapped by the failed receive" : "lost");
	}
	/* The mappings are as they were. */
	ASSERT_EQ(0, reg_maps_read(&m, lo, hi));
	EXPECT_EQ(s.before.lines, m.lines);
	EXPECT_EQ(s.before.secs, m.secs);

	/* The message is still queued, and a receive maps its view. */
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, alpc_recv(self->comm, buf, sizeof(buf), 0, &info)) {
		TH_LOG("the message is gone: %s", strerror(errno));
	}
	EXPECT_EQ(0, memcmp(buf, "v", 2));
	EXPECT_EQ(ALPC_MSGF_VIEW, info.flags & (ALPC_MSGF_VIEW | ALPC_MSGF_VIEW_LOST));
	ASSERT_NE(0, info.view_addr);
	EXPECT_EQ(100, info.view_len);
	EXPECT_EQ(s.before.secs + 1, alpc_section_maps());
	EXPECT_EQ(0, alpc_view_unmap(&info));
	close(sfd);
}

/* While the access waits: until the test is closing the lender's port, and 300 ms more. */
static void resolve_late_during(struct fault *f)
{
	int i;

	for (i = 0; i < 500 && !atomic_load(&f->go); i++)
		alpc_sleep_ms(10);
	alpc_sleep_ms(300);
}

/*
 * Closing a communication port whose request lent memory waits until no
 * ALPC_IOC_ACCESS to that memory is under way, even one that waits for a
 * fault of the lender's page (here, behind a userfaultfd whose handler
 * resolves it 300 ms after the close began): close() returns no earlier
 * than the fault's resolution, and the access returns. Before, ACCESS
 * failed at once with EFAULT on such a page, and close waited for no
 * access.
 */
TEST_F(uffd, lender_close_waits_for_access_in_progress)
{
	struct fault f = { .during = resolve_late_during };
	struct alpc_msg_attrs a;
	struct alpc_msg_info info;
	struct alpc_access acc;
	struct alpc_call call;
	unsigned char *src, *got;
	__s64 t0, t1;
	bool unavailable;
	int i, ret;
	char buf[16];
	__u64 id;

	ret = uffd_area_open(&self->u, 2, &unavailable);
	if (ret && unavailable)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ret) TH_LOG("a userfaultfd for the area: %s", strerror(errno));
	src = malloc(2 * alpc_page_size());
	ASSERT_NE(NULL, src);
	got = src + alpc_page_size();
	alpc_pat_fill(src, alpc_page_size(), 3, 0);
	memset(got, 0, alpc_page_size());

	alpc_region_attrs(&a, self->u.addr, self->u.len, ALPC_REGION_READ);
	ASSERT_EQ(0, alpc_send_attrs(self->client, ALPC_MSG_REQUEST, "r", 1, 0, 0, 0, &a, &id));
	ASSERT_EQ(0, alpc_recv(self->comm, buf, sizeof(buf), 0, &info));
	ASSERT_EQ(id, info.id);
	ASSERT_EQ(ALPC_MSGF_REGION_READ, info.flags & ALPC_MSGF_REGION_READ);

	f.src = src;
	ASSERT_EQ(0, fault_start(&f, &self->u));
	memset(&acc, 0, sizeof(acc));
	acc.id = id;
	acc.op = ALPC_ACCESS_READ;
	acc.len = alpc_page_size();
	acc.buf = (__u64)(unsigned long)got;
	ret = alpc_call_start(&call, self->comm, ALPC_IOC_ACCESS, &acc);
	for (i = 0; !ret && i < 500 && !atomic_load(&f.seen) && !atomic_load(&call.done); i++)
		alpc_sleep_ms(10);

	/* The lender closes its port while the access waits in the fault. */
	atomic_store(&f.go, 1);
	t0 = alpc_now_ns();
	close(self->client);
	t1 = alpc_now_ns();
	self->client = -EBADF;
	if (!ret)
		alpc_call_join(&call);
	fault_join(&f, &self->u);

	ASSERT_EQ(0, ret);
	EXPECT_TRUE(atomic_load(&f.seen)) {
		TH_LOG("ACCESS did not wait for the lent page: %d (%s) after %llu bytes",
		       call.ret, strerror(call.err), (unsigned long long)acc.done);
	}
	EXPECT_EQ(0, f.err) TH_LOG("UFFDIO_COPY: %s", strerror(f.err));
	if (atomic_load(&f.seen))
		EXPECT_LE(f.end_ns, t1) {
			TH_LOG("close() returned %lld ms before the access's fault was resolved",
			       (f.end_ns - t1) / ALPC_NS_PER_MS);
		}
	TH_LOG("close() took %lld ms; ACCESS: %d (%s), %llu bytes", (t1 - t0) / ALPC_NS_PER_MS,
	       call.ret, call.ret ? strerror(call.err) : "ok", (unsigned long long)acc.done);
	if (call.ret == 0) {
		EXPECT_EQ(alpc_page_size(), acc.done);
		EXPECT_EQ(0, memcmp(got, src, alpc_page_size()));
	} else {
		EXPECT_TRUE(call.err == ENOENT || call.err == ESRCH) {
			TH_LOG("ACCESS: %s", strerror(call.err));
		}
	}
	free(src);
}

TEST_HARNESS_MAIN
