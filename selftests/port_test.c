// SPDX-License-Identifier: GPL-2.0
/*
 * Connection ports: creating and naming them, connecting, accepting and
 * rejecting, and what a server learns of its clients.
 */
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "alpc_util.h"

#define CTX_A	0xa11ce0000000000aULL
#define CTX_B	0xb0b000000000000bULL

FIXTURE(port) {
	int dev;
	int port;
	char name[ALPC_NAME_MAX];
};

FIXTURE_SETUP(port)
{
	self->port = -EBADF;
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	alpc_port_name(self->name, "port");
	self->port = alpc_create_port(self->dev, self->name, NULL, 0);
	ASSERT_LE(0, self->port);
}

FIXTURE_TEARDOWN(port)
{
	if (self->port >= 0)
		close(self->port);
	if (self->dev >= 0)
		close(self->dev);
}

static int is_cloexec(int fd)
{
	return !!(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

static void *bad_page(void)
{
	return mmap(NULL, sysconf(_SC_PAGESIZE), PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* A new connection port is an fd with close-on-exec set. */
TEST_F(port, create_port_returns_cloexec_fd)
{
	ASSERT_LE(0, fcntl(self->port, F_GETFD));
	EXPECT_TRUE(is_cloexec(self->port));
}

/* ALPC_FD_INHERIT creates the port without close-on-exec. */
TEST_F(port, fd_inherit_clears_cloexec)
{
	char name[ALPC_NAME_MAX];
	int fd;

	alpc_port_name(name, "inherit");
	fd = alpc_create_port(self->dev, name, NULL, ALPC_FD_INHERIT);
	ASSERT_LE(0, fd);
	EXPECT_FALSE(is_cloexec(fd));
	close(fd);
}

/* Zero limits come back as defaults: 256, 64, 64 KiB, 1024, no fds, 64 sections, no view cap. */
TEST_F(port, zero_attr_is_filled_with_defaults)
{
	struct alpc_port_attr attr;
	char name[ALPC_NAME_MAX];
	int fd;

	memset(&attr, 0, sizeof(attr));
	alpc_port_name(name, "defaults");
	fd = alpc_create_port(self->dev, name, &attr, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(ALPC_MSG_DEFAULT_MAX, attr.max_msg_len);
	EXPECT_EQ(64, attr.max_queued_msgs);
	EXPECT_EQ(65536, attr.max_queued_bytes);
	EXPECT_EQ(1024, attr.max_connections);
	EXPECT_EQ(0, attr.max_fds);
	EXPECT_EQ(64, attr.max_sections);
	EXPECT_EQ(0, attr.max_views);
	EXPECT_EQ(0, attr.flags);
	close(fd);
}

/* With ALPC_PORT_ALLOW_FDS, a zero max_fds comes back as 16. */
TEST_F(port, allow_fds_defaults_max_fds_to_16)
{
	struct alpc_port_attr attr;
	char name[ALPC_NAME_MAX];
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.flags = ALPC_PORT_ALLOW_FDS;
	alpc_port_name(name, "fds");
	fd = alpc_create_port(self->dev, name, &attr, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(ALPC_PORT_ALLOW_FDS, attr.flags);
	EXPECT_EQ(16, attr.max_fds);
	EXPECT_EQ(64, attr.max_sections);
	close(fd);
}

/* Limits given explicitly come back unchanged, the highest allowed included. */
TEST_F(port, explicit_attr_is_kept)
{
	struct alpc_port_attr attr = {
		.max_msg_len = 1000, .max_queued_msgs = 8,
		.max_queued_bytes = 4096, .max_connections = 2,
		.flags = ALPC_PORT_ALLOW_FDS, .max_fds = 1, .max_sections = 1,
	};
	char name[ALPC_NAME_MAX];
	int fd;

	alpc_port_name(name, "explicit");
	fd = alpc_create_port(self->dev, name, &attr, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1000, attr.max_msg_len);
	EXPECT_EQ(8, attr.max_queued_msgs);
	EXPECT_EQ(4096, attr.max_queued_bytes);
	EXPECT_EQ(2, attr.max_connections);
	EXPECT_EQ(1, attr.max_fds);
	EXPECT_EQ(1, attr.max_sections);
	close(fd);

	memset(&attr, 0, sizeof(attr));
	attr.max_msg_len = ALPC_MSG_LIMIT;
	attr.max_queued_msgs = 65536;
	attr.max_queued_bytes = ALPC_MSG_LIMIT;
	attr.max_connections = 1;
	attr.flags = ALPC_PORT_ALLOW_FDS;
	attr.max_fds = ALPC_FDS_MAX;
	attr.max_sections = 4096;
	fd = alpc_create_port(self->dev, name, &attr, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(ALPC_MSG_LIMIT, attr.max_msg_len);
	EXPECT_EQ(65536, attr.max_queued_msgs);
	EXPECT_EQ(ALPC_MSG_LIMIT, attr.max_queued_bytes);
	EXPECT_EQ(1, attr.max_connections);
	EXPECT_EQ(ALPC_FDS_MAX, attr.max_fds);
	EXPECT_EQ(4096, attr.max_sections);
	close(fd);
}

/* Limits out of range fail with EINVAL and leave the name free. */
TEST_F(port, attr_out_of_range_is_einval)
{
	static const struct alpc_port_attr bad[] = {
		{ .max_msg_len = ALPC_MSG_LIMIT + 1 },
		{ .max_msg_len = 0xffffffff },
		{ .max_queued_msgs = 65537 },
		{ .max_msg_len = 1024, .max_queued_bytes = 1023 },
		{ .max_msg_len = ALPC_MSG_LIMIT, .max_queued_bytes = 4096 },
		/* The default max_msg_len, 256, is over this byte limit. */
		{ .max_queued_bytes = 100 },
		{ .max_connections = 65537 },
		{ .flags = ALPC_UNKNOWN_FLAG },
		/* max_fds without ALPC_PORT_ALLOW_FDS, or over ALPC_FDS_MAX. */
		{ .max_fds = 1 },
		{ .flags = ALPC_PORT_ALLOW_FDS, .max_fds = ALPC_FDS_MAX + 1 },
		{ .flags = ALPC_PORT_ALLOW_FDS, .max_fds = 0xffffffff },
		{ .max_sections = 4097 },
		{ .max_sections = 0xffffffff },
	};
	struct alpc_port_attr attr;
	char name[ALPC_NAME_MAX];
	unsigned int i;
	int fd;

	alpc_port_name(name, "range");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		attr = bad[i];
		ASSERT_EQ(-1, alpc_create_port(self->dev, name, &attr, 0)) {
			TH_LOG("case %u", i);
		}
		EXPECT_EQ(EINVAL, errno) {
			TH_LOG("case %u", i);
		}
	}
	fd = alpc_create_port(self->dev, name, NULL, 0);
	ASSERT_LE(0, fd);
	close(fd);
}

/* Unknown flags, mode bits outside 0777 or non-zero reserved words fail with EINVAL. */
TEST_F(port, create_unknown_flags_mode_or_reserved_is_einval)
{
	static const __u32 bad_modes[] = { 01000, 02600, 04600, 0170600, 1U << 31 };
	struct alpc_create_port cp;
	unsigned int i;

	for (i = 0; i < 4 + ARRAY_SIZE(bad_modes); i++) {
		memset(&cp, 0, sizeof(cp));
		alpc_port_name(cp.name, "flags");
		if (i == 0)
			cp.flags = ALPC_UNKNOWN_FLAG;
		else if (i == 1)
			cp.flags = ALPC_FD_INHERIT >> 1;
		else if (i < 4)
			cp.reserved[i - 2] = 1;
		else
			cp.mode = bad_modes[i - 4];
		ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_CREATE_PORT, &cp)) {
			TH_LOG("case %u", i);
		}
		EXPECT_EQ(EINVAL, errno) {
			TH_LOG("case %u", i);
		}
		/* Nothing was created under the name. */
		ASSERT_EQ(-1, alpc_connect(self->dev, cp.name, NULL, 0, 0, NULL, 0, NULL));
		EXPECT_EQ(ENOENT, errno);
	}
}

/* An empty name fails with EINVAL. */
TEST_F(port, empty_name_is_einval)
{
	ASSERT_EQ(-1, alpc_create_port(self->dev, "", NULL, 0));
	EXPECT_EQ(EINVAL, errno);
}

/* A name that fills all ALPC_NAME_MAX bytes without a NUL fails with EINVAL. */
TEST_F(port, unterminated_name_is_einval)
{
	struct alpc_create_port cp;

	memset(&cp, 0, sizeof(cp));
	memset(cp.name, 'u', sizeof(cp.name));
	ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_CREATE_PORT, &cp));
	EXPECT_EQ(EINVAL, errno);
}

/* A name of ALPC_NAME_MAX - 1 bytes is accepted, and clients reach it. */
TEST_F(port, longest_name_is_accepted)
{
	char name[ALPC_NAME_MAX];
	int fd, client;
	size_t n;

	alpc_port_name(name, "long");
	n = strlen(name);
	memset(name + n, 'x', ALPC_NAME_MAX - 1 - n);
	name[ALPC_NAME_MAX - 1] = '\0';
	fd = alpc_create_port(self->dev, name, NULL, 0);
	ASSERT_LE(0, fd);
	client = alpc_connect_accept(self->dev, fd, name, 1, 0, NULL, NULL);
	ASSERT_LE(0, client);
	close(client);
	close(fd);
}

/* Creating a name that is taken fails with EEXIST. */
TEST_F(port, duplicate_name_is_eexist)
{
	ASSERT_EQ(-1, alpc_create_port(self->dev, self->name, NULL, 0));
	EXPECT_EQ(EEXIST, errno);
	ASSERT_EQ(-1, alpc_create_port(self->dev, self->name, NULL, ALPC_FD_INHERIT));
	EXPECT_EQ(EEXIST, errno);
}

/* Closing the port frees its name: creating it again succeeds. */
TEST_F(port, name_is_freed_on_close)
{
	close(self->port);
	self->port = alpc_create_port(self->dev, self->name, NULL, 0);
	ASSERT_LE(0, self->port);
}

/* The name stays taken while any fd of the port, a dup, is open. */
TEST_F(port, name_is_held_until_last_fd_closes)
{
	int dup_fd = dup(self->port);

	ASSERT_LE(0, dup_fd);
	close(self->port);
	self->port = -EBADF;
	ASSERT_EQ(-1, alpc_create_port(self->dev, self->name, NULL, 0));
	EXPECT_EQ(EEXIST, errno);
	close(dup_fd);
	self->port = alpc_create_port(self->dev, self->name, NULL, 0);
	ASSERT_LE(0, self->port);
}

/* Names live in an IPC namespace: a new one neither sees nor blocks the old names. */
TEST_F(port, names_are_per_ipc_namespace)
{
	int dev, fd;

	if (unshare(CLONE_NEWIPC))
		SKIP(return, "unshare(CLONE_NEWIPC): %s", strerror(errno));
	dev = alpc_open();
	ASSERT_LE(0, dev);
	ASSERT_EQ(-1, alpc_connect(dev, self->name, NULL, 0, 0, NULL, 0, NULL));
	EXPECT_EQ(ENOENT, errno);
	fd = alpc_create_port(dev, self->name, NULL, 0);
	ASSERT_LE(0, fd);
	close(fd);
	close(dev);
}

/* Connecting to a name nobody created fails with ENOENT. */
TEST_F(port, connect_unknown_name_is_enoent)
{
	char name[ALPC_NAME_MAX];

	alpc_port_name(name, "nobody");
	ASSERT_EQ(-1, alpc_connect(self->dev, name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL));
	EXPECT_EQ(ENOENT, errno);
	/* Nor does a closed port's name lead anywhere. */
	close(self->port);
	self->port = -EBADF;
	ASSERT_EQ(-1, alpc_connect(self->dev, self->name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL));
	EXPECT_EQ(ENOENT, errno);
}

/*
 * Unknown connect flags, reserved words, an unterminated name, or a
 * server_uid or pidfd without the flag that gives it meaning fail with
 * EINVAL.
 */
TEST_F(port, connect_bad_flags_reserved_or_name_is_einval)
{
	struct alpc_msg_info info;
	struct alpc_connect c;
	int i, pidfd;

	pidfd = alpc_pidfd_open(getpid());
	ASSERT_LE(0, pidfd);
	for (i = 0; i < 8; i++) {
		alpc_connect_init(&c, self->name, NULL, 0, ALPC_WAIT_NS);
		if (i == 0)
			c.flags = ALPC_UNKNOWN_FLAG;
		else if (i == 1)
			c.flags = ALPC_FD_INHERIT >> 1;
		else if (i == 2)
			memset(c.name, 'u', sizeof(c.name));
		else if (i == 3)
			c.reserved = 1;
		else if (i == 4)
			c.reserved0 = 1;
		else if (i == 5)
			c.server_uid = getuid() ?: 1;	/* no ALPC_CONNECT_SERVER_UID */
		else if (i == 6)
			c.pidfd = pidfd;		/* no ALPC_CONNECT_PIDFD */
		else
			c.flags = ALPC_CONNECT_PIDFD << 1;
		ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_CONNECT, &c)) {
			TH_LOG("case %d", i);
		}
		EXPECT_EQ(EINVAL, errno) {
			TH_LOG("case %d", i);
		}
	}
	/* The server heard of none of them. */
	ASSERT_EQ(-1, alpc_recv(self->port, NULL, 0, 0, &info));
	EXPECT_EQ(EAGAIN, errno);
	close(pidfd);
}

/* Arguments or connection data that cannot be read fail with EFAULT. */
TEST_F(port, bad_pointer_is_efault)
{
	struct alpc_msg_info info;
	struct alpc_connect c;
	void *bad = bad_page();

	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_CREATE_PORT, NULL));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_CREATE_PORT, bad));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_CONNECT, NULL));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->port, ALPC_IOC_ACCEPT, NULL));
	EXPECT_EQ(EFAULT, errno);

	alpc_connect_init(&c, self->name, bad, 8, ALPC_WAIT_NS);
	ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_CONNECT, &c));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, alpc_recv(self->port, NULL, 0, 0, &info));
	EXPECT_EQ(EAGAIN, errno);
	munmap(bad, sysconf(_SC_PAGESIZE));
}

/* Accept data that cannot be read fails with EFAULT; the request stays pending. */
TEST_F(port, accept_bad_buffer_is_efault)
{
	struct alpc_connector c;
	struct alpc_msg_info info;
	void *bad = bad_page();
	int fd;

	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(0, alpc_connector_start(&c, self->dev, self->name, NULL, 0, ALPC_WAIT_NS, 0));
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);
	ASSERT_EQ(-1, alpc_accept(self->port, info.id, 0, 1, bad, 8));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, 1, "ok", 2));
	fd = alpc_connector_join(&c);
	ASSERT_LE(0, fd);
	EXPECT_EQ(2, c.con.reply_len);
	EXPECT_EQ(0, memcmp(c.reply, "ok", 2));
	close(fd);
	munmap(bad, sysconf(_SC_PAGESIZE));
}

/* An ioctl the fd's kind of object does not know fails with ENOTTY. */
TEST_F(port, ioctl_on_wrong_fd_type_is_enotty)
{
	struct alpc_features f;
	struct alpc_create_port cp;
	struct alpc_connect c;
	struct alpc_accept a;
	struct alpc_send s;
	struct alpc_recv r;
	int client, comm = -1;

	memset(&f, 0, sizeof(f));
	memset(&cp, 0, sizeof(cp));
	alpc_port_name(cp.name, "enotty");
	alpc_connect_init(&c, self->name, NULL, 0, 0);
	memset(&a, 0, sizeof(a));
	memset(&s, 0, sizeof(s));
	s.type = ALPC_MSG_DATAGRAM;
	memset(&r, 0, sizeof(r));

	/* A connection port is not the device, */
	ASSERT_EQ(-1, ioctl(self->port, ALPC_IOC_CREATE_PORT, &cp));
	EXPECT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(self->port, ALPC_IOC_CONNECT, &c));
	EXPECT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(self->port, ALPC_IOC_GET_FEATURES, &f));
	EXPECT_EQ(ENOTTY, errno);
	/* the device is not a port, */
	ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_ACCEPT, &a));
	EXPECT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_SEND, &s));
	EXPECT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_RECV, &r));
	EXPECT_EQ(ENOTTY, errno);

	/* and communication ports take no connections. */
	client = alpc_connect_accept(self->dev, self->port, self->name, 1,
				     ALPC_ACCEPT_COMM_PORT, &comm, NULL);
	ASSERT_LE(0, client);
	ASSERT_LE(0, comm);
	ASSERT_EQ(-1, ioctl(client, ALPC_IOC_ACCEPT, &a));
	EXPECT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(comm, ALPC_IOC_ACCEPT, &a));
	EXPECT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(client, ALPC_IOC_CREATE_PORT, &cp));
	EXPECT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(comm, ALPC_IOC_CONNECT, &c));
	EXPECT_EQ(ENOTTY, errno);
	close(comm);
	close(client);
}

/* Connect and accept carry data both ways; the request looks as documented. */
TEST_F(port, connect_and_accept_exchange_data)
{
	static const char hello[] = "hello, server";
	static const char welcome[] = "welcome aboard";
	struct alpc_connector c;
	struct alpc_msg_info info;
	char buf[64];
	int fd;

	ASSERT_EQ(0, alpc_connector_start(&c, self->dev, self->name, hello, sizeof(hello),
					  ALPC_WAIT_NS, 0));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, alpc_recv(self->port, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);
	EXPECT_NE(0, info.id);
	EXPECT_EQ(0, info.ref_id);
	EXPECT_EQ(0, info.port_context);
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(sizeof(hello), info.len);
	EXPECT_EQ(0, memcmp(buf, hello, sizeof(hello)));

	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, CTX_A, welcome, sizeof(welcome)));
	fd = alpc_connector_join(&c);
	ASSERT_LE(0, fd);
	EXPECT_TRUE(is_cloexec(fd));
	EXPECT_EQ(sizeof(welcome), c.con.reply_len);
	EXPECT_EQ(0, memcmp(c.reply, welcome, sizeof(welcome)));
	close(fd);
}

/* The CONNECTION_REQUEST names the connecting thread: its pid and tid. */
TEST_F(port, connection_request_carries_pid_and_tid)
{
	struct alpc_connector c;
	struct alpc_msg_info info;
	int fd;

	ASSERT_EQ(0, alpc_connector_start(&c, self->dev, self->name, NULL, 0, ALPC_WAIT_NS, 0));
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);
	EXPECT_EQ(getpid(), info.pid);
	EXPECT_EQ(c.call.tid, info.tid);
	EXPECT_NE(getpid(), info.tid);
	EXPECT_EQ(getuid(), info.uid);
	EXPECT_EQ(getgid(), info.gid);
	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, 1, NULL, 0));
	fd = alpc_connector_join(&c);
	ASSERT_LE(0, fd);
	close(fd);
}

struct cred_child {
	int dev;
	const char *name;
	uid_t uid;
	gid_t gid;
};

static int connect_as(void *arg)
{
	struct cred_child *cc = arg;
	int fd;

	if (setresgid(cc->gid, cc->gid, cc->gid) || setresuid(cc->uid, cc->uid, cc->uid))
		return 10;
	fd = alpc_connect(cc->dev, cc->name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL);
	if (fd < 0)
		return 11;
	close(fd);
	return 0;
}

/* The CONNECTION_REQUEST carries the connecting process's uid and gid. */
TEST_F(port, connection_request_carries_uid_and_gid)
{
	struct cred_child cc = { self->dev, self->name, getuid(), getgid() };
	struct alpc_msg_info info;
	pid_t pid;

	/* As root, make them differ from ours and from each other. */
	if (geteuid() == 0) {
		cc.uid = 4321;
		cc.gid = 8765;
	}
	/* A port another uid may connect to: the default mode, 0600, would refuse it. */
	close(self->port);
	self->port = alpc_create_port_mode(self->dev, self->name, NULL, 0, 0666);
	ASSERT_LE(0, self->port);
	pid = alpc_fork(connect_as, &cc);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);
	EXPECT_EQ(pid, info.pid);
	EXPECT_EQ(pid, info.tid);
	EXPECT_EQ(cc.uid, info.uid);
	EXPECT_EQ(cc.gid, info.gid);
	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, 1, NULL, 0));
	EXPECT_EQ(0, alpc_wait_child(pid));
}

/* What a server in a namespace of its own saw of a client, for the test to check. */
struct ns_report {
	int pid;
	int tid;
	__u32 uid;
	__u32 gid;
};

struct ns_server {
	int dev;
	char name[ALPC_NAME_MAX];
	int clone_flag;	/* CLONE_NEWPID or CLONE_NEWUSER */
	int report;	/* write end of a pipe */
};

/*
 * Serves one connection on a port of its own: writes 'r' once the port
 * exists, then the ns_report of the CONNECTION_REQUEST, and accepts it.
 */
static int ns_serve(struct ns_server *a)
{
	struct alpc_msg_info info;
	struct ns_report r;
	int port;

	port = alpc_create_port(a->dev, a->name, NULL, 0);
	if (port < 0)
		return 10;
	if (write(a->report, "r", 1) != 1)
		return 11;
	if (alpc_recv(port, NULL, 0, ALPC_WAIT_NS, &info))
		return 12;
	r = (struct ns_report){ info.pid, info.tid, info.uid, info.gid };
	if (write(a->report, &r, sizeof(r)) != sizeof(r))
		return 13;
	if (alpc_accept(port, info.id, 0, 1, NULL, 0))
		return 14;
	close(port);
	return 0;
}

/* Enters a new namespace (writes 'u' if it cannot), then serves one connection. */
static int ns_server_main(void *p)
{
	struct ns_server *a = p;
	pid_t pid;

	if (unshare(a->clone_flag))
		return write(a->report, "u", 1) == 1 ? 0 : 20;
	if (a->clone_flag != CLONE_NEWPID)
		return ns_serve(a);
	/* Only the children of the caller of unshare() live in the new pid namespace. */
	pid = fork();
	if (pid == 0)
		_exit(ns_serve(a));
	return pid < 0 ? 21 : alpc_wait_child(pid);
}

/* Connects to a server that entered a new @clone_flag namespace; fills @r with what it saw. */
static int connect_to_ns_server(int dev, int clone_flag, struct ns_report *r, pid_t *child)
{
	struct ns_server a = { .dev = dev, .clone_flag = clone_flag };
	int pipefd[2], fd, ret = -1;
	char c = 0;

	alpc_port_name(a.name, "ns");
	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	a.report = pipefd[1];
	*child = alpc_fork(ns_server_main, &a);
	close(pipefd[1]);
	if (*child < 0 || read(pipefd[0], &c, 1) != 1)
		goto out;
	if (c == 'u') {
		ret = 1;
		goto out;
	}
	fd = alpc_connect(dev, a.name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL);
	if (fd < 0)
		goto out;
	close(fd);
	if (read(pipefd[0], r, sizeof(*r)) == sizeof(*r))
		ret = 0;
out:
	close(pipefd[0]);
	return ret;
}

/* A server in a child pid namespace sees a client outside it as pid and tid 0. */
TEST_F(port, client_outside_server_pid_namespace_is_pid_0)
{
	struct ns_report r;
	pid_t child;
	int ret;

	ret = connect_to_ns_server(self->dev, CLONE_NEWPID, &r, &child);
	if (ret == 1) {
		alpc_wait_child(child);
		SKIP(return, "cannot unshare(CLONE_NEWPID)");
	}
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, r.pid);
	EXPECT_EQ(0, r.tid);
	EXPECT_EQ(getuid(), r.uid);
	EXPECT_EQ(0, alpc_wait_child(child));
}

/* A server in a user namespace that does not map the client's ids sees the overflow ids. */
TEST_F(port, unmapped_client_ids_are_overflow_ids)
{
	struct ns_report r;
	pid_t child;
	int ret;

	ret = connect_to_ns_server(self->dev, CLONE_NEWUSER, &r, &child);
	if (ret == 1) {
		alpc_wait_child(child);
		SKIP(return, "cannot unshare(CLONE_NEWUSER)");
	}
	ASSERT_EQ(0, ret);
	EXPECT_EQ(alpc_read_uint("/proc/sys/kernel/overflowuid"), r.uid);
	EXPECT_EQ(alpc_read_uint("/proc/sys/kernel/overflowgid"), r.gid);
	EXPECT_EQ(getpid(), r.pid);
	EXPECT_EQ(0, alpc_wait_child(child));
}

struct pidns_client {
	int dev;
	const char *name;
	int report;
};

/* In a new pid namespace, forks a client that connects; reports its pid as we see it. */
static int pidns_client_main(void *p)
{
	struct pidns_client *a = p;
	pid_t pid;
	int fd;

	if (unshare(CLONE_NEWPID)) {
		pid = 0;
		return write(a->report, &pid, sizeof(pid)) == sizeof(pid) ? 0 : 20;
	}
	pid = fork();
	if (pid == 0) {
		fd = alpc_connect(a->dev, a->name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL);
		_exit(fd < 0 ? 10 : getpid() == 1 ? 0 : 11);
	}
	if (pid < 0 || write(a->report, &pid, sizeof(pid)) != sizeof(pid))
		return 21;
	return alpc_wait_child(pid);
}

/* A client in a child pid namespace is seen with its pid in the server's namespace. */
TEST_F(port, client_in_child_pid_namespace_is_seen_with_server_pid)
{
	struct pidns_client a = { self->dev, self->name, -1 };
	struct alpc_msg_info info;
	int pipefd[2];
	pid_t child, client = -1;

	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	a.report = pipefd[1];
	child = alpc_fork(pidns_client_main, &a);
	ASSERT_LT(0, child);
	close(pipefd[1]);
	ASSERT_EQ(sizeof(client), read(pipefd[0], &client, sizeof(client)));
	close(pipefd[0]);
	if (client == 0) {
		alpc_wait_child(child);
		SKIP(return, "cannot unshare(CLONE_NEWPID)");
	}
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);
	EXPECT_EQ(client, info.pid);
	EXPECT_EQ(client, info.tid);
	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, 1, NULL, 0));
	EXPECT_EQ(0, alpc_wait_child(child));
}

/* A reject gives the client ECONNREFUSED and the server's reply data. */
TEST_F(port, reject_is_econnrefused_with_reply_data)
{
	static const char no[] = "go away";
	struct alpc_connector c;
	struct alpc_msg_info info;
	char buf[8];

	ASSERT_EQ(0, alpc_connector_start(&c, self->dev, self->name, "hi", 2, ALPC_WAIT_NS, 0));
	ASSERT_EQ(0, alpc_recv(self->port, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);
	EXPECT_EQ(2, info.len);
	ASSERT_EQ(0, alpc_accept(self->port, info.id, ALPC_ACCEPT_REJECT, 0, no, sizeof(no)));
	ASSERT_EQ(-1, alpc_connector_join(&c));
	EXPECT_EQ(ECONNREFUSED, errno);
	EXPECT_EQ(sizeof(no), c.con.reply_len);
	EXPECT_EQ(0, memcmp(c.reply, no, sizeof(no)));
	/* A rejected request is answered: it cannot be accepted after all. */
	ASSERT_EQ(-1, alpc_accept(self->port, info.id, 0, 1, NULL, 0));
	EXPECT_EQ(ENOENT, errno);
}

/* The client gets the full length of the server's data but at most reply_size bytes of it. */
TEST_F(port, accept_data_is_cut_to_reply_size)
{
	struct alpc_connector c;
	struct alpc_msg_info info;
	char data[32];
	int fd;

	alpc_fill(data, sizeof(data), 3);
	memset(c.reply, 0, sizeof(c.reply));
	alpc_connect_init(&c.con, self->name, NULL, 0, ALPC_WAIT_NS);
	c.con.reply_buf = (__u64)(unsigned long)c.reply;
	c.con.reply_size = 5;
	ASSERT_EQ(0, alpc_call_start(&c.call, self->dev, ALPC_IOC_CONNECT, &c.con));
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, 1, data, sizeof(data)));
	fd = alpc_connector_join(&c);
	ASSERT_LE(0, fd);
	EXPECT_EQ(sizeof(data), c.con.reply_len);
	EXPECT_EQ(0, memcmp(c.reply, data, 5));
	EXPECT_EQ(0, c.reply[5]);
	close(fd);
}

/* A connect nobody answers fails with ETIMEDOUT at its timeout. */
TEST_F(port, unanswered_connect_times_out)
{
	__s64 t0, dt;

	t0 = alpc_now_ns();
	ASSERT_EQ(-1, alpc_connect(self->dev, self->name, NULL, 0, 200 * ALPC_NS_PER_MS,
				   NULL, 0, NULL));
	EXPECT_EQ(ETIMEDOUT, errno);
	dt = alpc_now_ns() - t0;
	EXPECT_LE(ALPC_MIN_WAIT_NS(200 * ALPC_NS_PER_MS), dt);
	EXPECT_GT(ALPC_WAIT_NS, dt);
}

/* An accept after the client timed out fails with ENOENT. */
TEST_F(port, accept_after_client_timed_out_is_enoent)
{
	struct alpc_connector c;
	struct alpc_msg_info info;

	ASSERT_EQ(0, alpc_connector_start(&c, self->dev, self->name, NULL, 0,
					  300 * ALPC_NS_PER_MS, 0));
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);
	ASSERT_EQ(-1, alpc_connector_join(&c));
	ASSERT_EQ(ETIMEDOUT, errno);
	ASSERT_EQ(-1, alpc_accept(self->port, info.id, 0, 1, NULL, 0));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, alpc_accept(self->port, info.id, ALPC_ACCEPT_REJECT, 0, NULL, 0));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, alpc_accept(self->port, info.id, ALPC_ACCEPT_COMM_PORT, 1, NULL, 0));
	EXPECT_EQ(ENOENT, errno);
}

/* A connect interrupted by a signal fails with EINTR and is withdrawn. */
TEST_F(port, connect_interrupted_by_signal_is_eintr)
{
	struct alpc_connector c;
	struct alpc_msg_info info;

	ASSERT_EQ(0, alpc_install_noop_handler(SIGUSR1));
	ASSERT_EQ(0, alpc_connector_start(&c, self->dev, self->name, NULL, 0, ALPC_WAIT_NS, 0));
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);
	ASSERT_EQ(-1, alpc_call_interrupt(&c.call, SIGUSR1));
	EXPECT_EQ(EINTR, errno);
	ASSERT_EQ(-1, alpc_accept(self->port, info.id, 0, 1, NULL, 0));
	EXPECT_EQ(ENOENT, errno);
}

/* Accepting an unknown id, or a request already answered, fails with ENOENT. */
TEST_F(port, accept_unknown_or_answered_id_is_enoent)
{
	struct alpc_connector c;
	struct alpc_msg_info info;
	int fd;

	ASSERT_EQ(-1, alpc_accept(self->port, 0x7fffffffffffULL, 0, 1, NULL, 0));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, alpc_accept(self->port, 0, 0, 1, NULL, 0));
	EXPECT_EQ(ENOENT, errno);

	ASSERT_EQ(0, alpc_connector_start(&c, self->dev, self->name, NULL, 0, ALPC_WAIT_NS, 0));
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, 1, NULL, 0));
	ASSERT_EQ(-1, alpc_accept(self->port, info.id, 0, 2, NULL, 0));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, alpc_accept(self->port, info.id, ALPC_ACCEPT_REJECT, 0, NULL, 0));
	EXPECT_EQ(ENOENT, errno);
	fd = alpc_connector_join(&c);
	ASSERT_LE(0, fd);
	close(fd);
}

/* A request received on one connection port cannot be answered on another. */
TEST_F(port, accept_on_other_port_is_enoent)
{
	struct alpc_connector c;
	struct alpc_msg_info info;
	char name[ALPC_NAME_MAX];
	int other, fd;

	alpc_port_name(name, "other");
	other = alpc_create_port(self->dev, name, NULL, 0);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, alpc_connector_start(&c, self->dev, self->name, NULL, 0, ALPC_WAIT_NS, 0));
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(-1, alpc_accept(other, info.id, 0, 1, NULL, 0));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, 1, NULL, 0));
	fd = alpc_connector_join(&c);
	ASSERT_LE(0, fd);
	close(fd);
	close(other);
}

/* ALPC_ACCEPT_REJECT with ALPC_ACCEPT_COMM_PORT fails with EINVAL; the request stays pending. */
TEST_F(port, reject_with_comm_port_is_einval)
{
	struct alpc_connector c;
	struct alpc_msg_info info;
	int fd;

	ASSERT_EQ(0, alpc_connector_start(&c, self->dev, self->name, NULL, 0, ALPC_WAIT_NS, 0));
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(-1, alpc_accept(self->port, info.id,
				  ALPC_ACCEPT_REJECT | ALPC_ACCEPT_COMM_PORT, 0, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, 1, NULL, 0));
	fd = alpc_connector_join(&c);
	ASSERT_LE(0, fd);
	close(fd);
}

/*
 * Unknown accept flags, reserved words or a pidfd without ALPC_ACCEPT_PIDFD
 * fail with EINVAL; the request stays pending.
 */
TEST_F(port, accept_unknown_flags_or_reserved_is_einval)
{
	struct alpc_connector c;
	struct alpc_msg_info info;
	struct alpc_accept a;
	int i, fd, pidfd;

	pidfd = alpc_pidfd_open(getpid());
	ASSERT_LE(0, pidfd);
	ASSERT_EQ(0, alpc_connector_start(&c, self->dev, self->name, NULL, 0, ALPC_WAIT_NS, 0));
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	for (i = 0; i < 6; i++) {
		memset(&a, 0, sizeof(a));
		a.id = info.id;
		if (i == 0)
			a.flags = ALPC_UNKNOWN_FLAG;
		else if (i == 1)
			a.flags = ALPC_FD_INHERIT >> 1;
		else if (i == 2)
			a.reserved0 = 1;
		else if (i == 3)
			a.reserved = 1;
		else if (i == 4)
			a.pidfd = pidfd;	/* no ALPC_ACCEPT_PIDFD */
		else
			a.flags = ALPC_ACCEPT_PIDFD << 1;
		ASSERT_EQ(-1, ioctl(self->port, ALPC_IOC_ACCEPT, &a)) {
			TH_LOG("case %d", i);
		}
		EXPECT_EQ(EINVAL, errno) {
			TH_LOG("case %d", i);
		}
	}
	close(pidfd);
	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, 1, NULL, 0));
	fd = alpc_connector_join(&c);
	ASSERT_LE(0, fd);
	close(fd);
}

/* Accept data over max_msg_len fails with EMSGSIZE; the request stays pending. */
TEST_F(port, accept_data_over_max_msg_len_is_emsgsize)
{
	char data[ALPC_MSG_DEFAULT_MAX + 1];
	struct alpc_connector c;
	struct alpc_msg_info info;
	int fd;

	alpc_fill(data, sizeof(data), 9);
	ASSERT_EQ(0, alpc_connector_start(&c, self->dev, self->name, NULL, 0, ALPC_WAIT_NS, 0));
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(-1, alpc_accept(self->port, info.id, 0, 1, data, sizeof(data)));
	EXPECT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(-1, alpc_accept(self->port, info.id, ALPC_ACCEPT_REJECT, 0, data,
				  sizeof(data)));
	EXPECT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, 1, data, ALPC_MSG_DEFAULT_MAX));
	fd = alpc_connector_join(&c);
	ASSERT_LE(0, fd);
	EXPECT_EQ(ALPC_MSG_DEFAULT_MAX, c.con.reply_len);
	EXPECT_TRUE(alpc_check_fill(c.reply, ALPC_MSG_DEFAULT_MAX, 9));
	close(fd);
}

/* With ALPC_ACCEPT_COMM_PORT the client's messages arrive on the new fd, not on the port. */
TEST_F(port, accept_comm_port_receives_client_messages)
{
	struct alpc_msg_info info;
	int client, comm = -1;
	char buf[16];

	client = alpc_connect_accept(self->dev, self->port, self->name, CTX_A,
				     ALPC_ACCEPT_COMM_PORT, &comm, NULL);
	ASSERT_LE(0, client);
	ASSERT_LE(0, comm);
	EXPECT_NE(self->port, comm);
	EXPECT_NE(client, comm);
	ASSERT_EQ(0, alpc_datagram(client, "ping", 4, NULL));
	ASSERT_EQ(-1, alpc_recv(self->port, buf, sizeof(buf), 0, &info));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, alpc_recv(comm, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_DATAGRAM, info.type);
	EXPECT_EQ(CTX_A, info.port_context);
	EXPECT_EQ(4, info.len);
	EXPECT_EQ(0, memcmp(buf, "ping", 4));
	close(comm);
	close(client);
}

/* Client and server communication port fds are close-on-exec unless ALPC_FD_INHERIT. */
TEST_F(port, connect_and_accept_fds_are_cloexec_unless_inherit)
{
	struct alpc_connector c;
	struct alpc_msg_info info;
	int i, fd, comm;

	for (i = 0; i < 2; i++) {
		__u32 inherit = i ? ALPC_FD_INHERIT : 0;

		ASSERT_EQ(0, alpc_connector_start(&c, self->dev, self->name, NULL, 0,
						  ALPC_WAIT_NS, inherit));
		ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
		comm = alpc_accept(self->port, info.id, ALPC_ACCEPT_COMM_PORT | inherit, 1,
				   NULL, 0);
		ASSERT_LE(0, comm);
		fd = alpc_connector_join(&c);
		ASSERT_LE(0, fd);
		EXPECT_EQ(!inherit, is_cloexec(fd));
		EXPECT_EQ(!inherit, is_cloexec(comm));
		close(fd);
		close(comm);
	}
}

/* The port context chosen at accept comes with every later message of that client. */
TEST_F(port, port_context_tags_later_messages)
{
	struct alpc_msg_info info;
	char buf[8];
	int a, b;

	a = alpc_connect_accept(self->dev, self->port, self->name, CTX_A, 0, NULL, NULL);
	ASSERT_LE(0, a);
	b = alpc_connect_accept(self->dev, self->port, self->name, CTX_B, 0, NULL, NULL);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, alpc_datagram(a, "a", 1, NULL));
	ASSERT_EQ(0, alpc_datagram(b, "b", 1, NULL));
	ASSERT_EQ(0, alpc_request(a, "A", 1, NULL));

	ASSERT_EQ(0, alpc_recv(self->port, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	EXPECT_EQ(CTX_A, info.port_context);
	ASSERT_EQ(0, alpc_recv(self->port, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	EXPECT_EQ(CTX_B, info.port_context);
	ASSERT_EQ(0, alpc_recv(self->port, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_REQUEST, info.type);
	EXPECT_EQ(CTX_A, info.port_context);
	close(a);
	close(b);
}

/* A port with max_connections clients refuses one more with EAGAIN. */
TEST_F(port, max_connections_reached_is_eagain)
{
	struct alpc_port_attr attr = { .max_connections = 2 };
	struct alpc_msg_info info;
	char name[ALPC_NAME_MAX];
	int fd, a, b;

	alpc_port_name(name, "maxconn");
	fd = alpc_create_port(self->dev, name, &attr, 0);
	ASSERT_LE(0, fd);
	a = alpc_connect_accept(self->dev, fd, name, 1, 0, NULL, NULL);
	ASSERT_LE(0, a);
	b = alpc_connect_accept(self->dev, fd, name, 2, 0, NULL, NULL);
	ASSERT_LE(0, b);
	ASSERT_EQ(-1, alpc_connect(self->dev, name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(-1, alpc_recv(fd, NULL, 0, 0, &info));
	EXPECT_EQ(EAGAIN, errno);
	close(a);
	close(b);
	close(fd);
}

/* A client still waiting for its answer counts against max_connections. */
TEST_F(port, connecting_client_counts_toward_max_connections)
{
	struct alpc_port_attr attr = { .max_connections = 1 };
	struct alpc_connector c;
	struct alpc_msg_info info;
	char name[ALPC_NAME_MAX];
	int fd, client;

	alpc_port_name(name, "pending");
	fd = alpc_create_port(self->dev, name, &attr, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, alpc_connector_start(&c, self->dev, name, NULL, 0, ALPC_WAIT_NS, 0));
	ASSERT_EQ(0, alpc_recv(fd, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(-1, alpc_connect(self->dev, name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, alpc_accept(fd, info.id, 0, 1, NULL, 0));
	client = alpc_connector_join(&c);
	ASSERT_LE(0, client);
	close(client);
	close(fd);
}

/* A client that closed, or was rejected, no longer counts against max_connections. */
TEST_F(port, closed_or_rejected_client_frees_its_slot)
{
	struct alpc_port_attr attr = { .max_connections = 1 };
	struct alpc_connector c;
	struct alpc_msg_info info;
	char name[ALPC_NAME_MAX];
	int fd, client;

	alpc_port_name(name, "slot");
	fd = alpc_create_port(self->dev, name, &attr, 0);
	ASSERT_LE(0, fd);
	client = alpc_connect_accept(self->dev, fd, name, 1, 0, NULL, NULL);
	ASSERT_LE(0, client);
	close(client);
	ASSERT_EQ(0, alpc_recv(fd, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_PORT_CLOSED, info.type);

	ASSERT_EQ(0, alpc_connector_start(&c, self->dev, name, NULL, 0, ALPC_WAIT_NS, 0));
	ASSERT_EQ(0, alpc_recv(fd, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);
	ASSERT_EQ(0, alpc_accept(fd, info.id, ALPC_ACCEPT_REJECT, 0, NULL, 0));
	ASSERT_EQ(-1, alpc_connector_join(&c));
	ASSERT_EQ(ECONNREFUSED, errno);

	client = alpc_connect_accept(self->dev, fd, name, 2, 0, NULL, NULL);
	ASSERT_LE(0, client);
	close(client);
	close(fd);
}

/* Connection data over the port's max_msg_len fails with EMSGSIZE; the limit itself passes. */
TEST_F(port, connection_data_over_max_msg_len_is_emsgsize)
{
	char data[ALPC_MSG_DEFAULT_MAX + 1], buf[ALPC_MSG_DEFAULT_MAX + 1];
	struct alpc_connector c;
	struct alpc_msg_info info;
	int fd;

	alpc_fill(data, sizeof(data), 5);
	ASSERT_EQ(-1, alpc_connect(self->dev, self->name, data, sizeof(data), ALPC_WAIT_NS,
				   NULL, 0, NULL));
	EXPECT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(-1, alpc_recv(self->port, buf, sizeof(buf), 0, &info));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, alpc_connector_start(&c, self->dev, self->name, data,
					  ALPC_MSG_DEFAULT_MAX, ALPC_WAIT_NS, 0));
	ASSERT_EQ(0, alpc_recv(self->port, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);
	EXPECT_EQ(ALPC_MSG_DEFAULT_MAX, info.len);
	EXPECT_TRUE(alpc_check_fill(buf, ALPC_MSG_DEFAULT_MAX, 5));
	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, 1, NULL, 0));
	fd = alpc_connector_join(&c);
	ASSERT_LE(0, fd);
	close(fd);
}

/* A pending CONNECTION_REQUEST makes the connection port readable. */
TEST_F(port, connection_request_makes_port_readable)
{
	struct pollfd pfd = { .fd = self->port, .events = POLLIN };
	struct alpc_connector c;
	struct alpc_msg_info info;
	int fd;

	ASSERT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, alpc_connector_start(&c, self->dev, self->name, NULL, 0, ALPC_WAIT_NS, 0));
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	EXPECT_EQ(POLLIN, pfd.revents & (POLLIN | POLLERR | POLLHUP));
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, 1, NULL, 0));
	fd = alpc_connector_join(&c);
	ASSERT_LE(0, fd);
	close(fd);
}

TEST_HARNESS_MAIN
