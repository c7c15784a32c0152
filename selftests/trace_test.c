// SPDX-License-Identifier: GPL-2.0
/*
 * Tracepoints: one request followed end to end through tracefs by its
 * id (send, receive, the reply that names it), with connect, accept and
 * close around it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "alpc_util.h"

#define TRACEFS "/sys/kernel/tracing"

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

static char *read_trace(void)
{
	static char buf[1 << 16];
	int fd = open(TRACEFS "/trace", O_RDONLY | O_CLOEXEC);
	ssize_t n, len = 0;

	if (fd < 0)
		return NULL;
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
	return buf;
}

/* Connect, accept, a request, its reply and close appear, tied by ids. */
TEST(request_is_traced_end_to_end)
{
	struct alpc_create_port cp = { 0 };
	struct alpc_connect c = { 0 };
	struct alpc_send_wait sw = { 0 };
	char want[128], *trace;
	int dev, port, client, status;
	pid_t pid;

	if (access(TRACEFS "/events/alpc/enable", W_OK))
		SKIP(return, "no alpc events in tracefs");
	ASSERT_EQ(0, write_file(TRACEFS "/trace", ""));
	ASSERT_EQ(0, write_file(TRACEFS "/events/alpc/enable", "1"));

	dev = alpc_open();
	ASSERT_LE(0, dev);
	snprintf(cp.name, sizeof(cp.name), "trace-%d", getpid());
	port = ioctl(dev, ALPC_IOC_CREATE_PORT, &cp);
	ASSERT_LE(0, port);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct alpc_accept a = { 0 };
		struct alpc_reply_recv rr = { 0 };
		struct alpc_recv r = { .timeout_ns = -1 };

		if (ioctl(port, ALPC_IOC_RECV, &r))
			_exit(1);
		a.id = r.info.id;
		a.port_context = 42;
		if (ioctl(port, ALPC_IOC_ACCEPT, &a))
			_exit(2);
		r.size = 0;
		if (ioctl(port, ALPC_IOC_RECV, &r))
			_exit(3);
		rr.ref_id = r.info.id;
		rr.recv.timeout_ns = 0;
		ioctl(port, ALPC_IOC_REPLY_RECV, &rr);
		_exit(rr.reply_status ? 4 : 0);
	}
	memcpy(c.name, cp.name, sizeof(c.name));
	c.timeout_ns = -1;
	client = ioctl(dev, ALPC_IOC_CONNECT, &c);
	ASSERT_LE(0, client);
	sw.timeout_ns = -1;
	ASSERT_EQ(0, ioctl(client, ALPC_IOC_SEND_WAIT, &sw));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	close(client);
	close(port);
	ASSERT_EQ(0, write_file(TRACEFS "/events/alpc/enable", "0"));

	trace = read_trace();
	ASSERT_NE(NULL, trace);
	EXPECT_NE(NULL, strstr(trace, "alpc_port_create:"));
	EXPECT_NE(NULL, strstr(trace, cp.name));
	EXPECT_NE(NULL, strstr(trace, "alpc_connect:"));
	EXPECT_NE(NULL, strstr(trace, "context=42 accepted"));
	snprintf(want, sizeof(want), "alpc_send: conn=");
	EXPECT_NE(NULL, strstr(trace, want));
	snprintf(want, sizeof(want), "id=%llu ref=0 type=request", (unsigned long long)sw.id);
	EXPECT_NE(NULL, strstr(trace, want));
	snprintf(want, sizeof(want), "ref=%llu type=reply", (unsigned long long)sw.id);
	EXPECT_NE(NULL, strstr(trace, want));
	EXPECT_NE(NULL, strstr(trace, "alpc_receive:"));
	EXPECT_NE(NULL, strstr(trace, "alpc_close:"));
	if (_metadata->passed == 0)
		TH_LOG("%s", trace);
	close(dev);
}

TEST_HARNESS_MAIN
