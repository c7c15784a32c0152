// SPDX-License-Identifier: GPL-2.0
/*
 * race_misc: pidfds (CONNECT_PIDFD, ACCEPT_PIDFD, RECV_PIDFD), groups
 * (RECV_GROUPS) and credential changes mid-connection, exec and fork of
 * processes with live connections and threads in ioctls.
 *   race_misc SECONDS
 */
#include "common.h"
#include <grp.h>

static const char *NAME = "race-misc";
static int portfd;
static char *self;
static atomic_long nrecv;

static void *server(void *arg)
{
	(void)arg;
	while (!stop) {
		struct alpc_recv_extra x;
		struct alpc_recv r;
		__u32 groups[64];
		int fds[8];
		char buf[256];

		memset(&r, 0, sizeof(r));
		memset(&x, 0, sizeof(x));
		x.fds = (uintptr_t)fds;
		x.fds_size = 8;
		x.groups = (uintptr_t)groups;
		x.groups_size = rnd() % 64;
		r.flags = ALPC_RECV_PIDFD | ALPC_RECV_GROUPS;
		r.buf = (uintptr_t)buf;
		r.size = sizeof(buf);
		r.timeout_ns = 10 * MS;
		r.extra = (uintptr_t)&x;
		if (ioctl(portfd, ALPC_IOC_RECV, &r))
			continue;
		atomic_fetch_add(&nrecv, 1);
		if (x.pidfd >= 0)
			close(x.pidfd);
		for (__u32 i = 0; i < x.nfds; i++)
			close(fds[i]);
		if (r.info.type == ALPC_MSG_CONNECTION_REQUEST) {
			struct alpc_accept a;
			int pfd = syscall(SYS_pidfd_open, getpid(), 0);

			memset(&a, 0, sizeof(a));
			a.id = r.info.id;
			a.flags = ALPC_ACCEPT_PIDFD | (rnd() % 3 == 0 ? ALPC_ACCEPT_REJECT : 0);
			a.pidfd = pfd;
			ioctl(portfd, ALPC_IOC_ACCEPT, &a);
			close(pfd);
		} else if (r.info.type == ALPC_MSG_REQUEST) {
			do_send(portfd, ALPC_MSG_REPLY, "k", 1, r.info.id, 0, NULL, NULL);
		}
	}
	return NULL;
}

static atomic_int cc = -1;

static void *cli_sender(void *arg)
{
	(void)arg;
	for (;;) {
		int c = atomic_load(&cc);
		struct alpc_send_wait s;
		char rb[64];

		if (c < 0) {
			usleep(100);
			continue;
		}
		memset(&s, 0, sizeof(s));
		s.buf = (uintptr_t)"w";
		s.len = 1;
		s.timeout_ns = rnd() % 2 ? -1 : 5 * MS;
		s.reply_buf = (uintptr_t)rb;
		s.reply_size = sizeof(rb);
		ioctl(c, ALPC_IOC_SEND_WAIT, &s);
		do_send(c, ALPC_MSG_DATAGRAM, "d", 1, 0, 0, NULL, NULL);
	}
	return NULL;
}

static void client(int gen)
{
	pthread_t t[2];
	int pfd = syscall(SYS_pidfd_open, getpid(), 0), c, i;
	struct alpc_connect cn;

	dev_open();
	memset(&cn, 0, sizeof(cn));
	snprintf(cn.name, sizeof(cn.name), "%s", NAME);
	cn.flags = ALPC_CONNECT_PIDFD;
	cn.pidfd = pfd;
	cn.timeout_ns = 100 * MS;
	c = ioctl(devfd, ALPC_IOC_CONNECT, &cn);
	close(pfd);
	if (c < 0)
		_exit(0);
	cc = c;
	pthread_create(&t[0], NULL, cli_sender, NULL);
	pthread_create(&t[1], NULL, cli_sender, NULL);
	for (i = 0; i < 20; i++) {
		gid_t g[3] = { 1000 + rnd() % 5, 2000, 3000 + i };

		usleep(rnd() % 2000);
		switch (rnd() % 6) {
		case 0:
			/* the raw syscall: this thread's creds only */
			syscall(SYS_setgroups, rnd() % 3, g);
			break;
		case 1:
			syscall(SYS_setresgid, 0, rnd() % 2 ? 0 : 7, 0);
			break;
		case 2:
			if (gen < 3) {
				char a[16];

				snprintf(a, sizeof(a), "%d", gen + 1);
				execl(self, self, "--child", a, NULL);
			}
			break;
		case 3:
			if (fork() == 0) {
				/* the child shares the client fd: it sends, then dies */
				do_send(c, ALPC_MSG_DATAGRAM, "f", 1, 0, 0, NULL, NULL);
				_exit(0);
			}
			break;
		case 4:
			close(c);	/* other threads are in SEND_WAIT on it */
			cc = -1;
			break;
		default:
			break;
		}
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 30;
	pthread_t st[2];
	time_t end;

	self = argv[0];
	if (argc > 2 && !strcmp(argv[1], "--child"))
		client(atoi(argv[2]));
	dev_open();
	portfd = port_create(NAME, NULL);
	if (portfd < 0) {
		perror("port");
		return 1;
	}
	pthread_create(&st[0], NULL, server, NULL);
	pthread_create(&st[1], NULL, server, NULL);
	end = time(NULL) + secs;
	while (time(NULL) < end) {
		pid_t p = fork();

		if (p == 0)
			client(0);
		usleep(rnd() % 100000);
		if (rnd() % 2)
			kill(p, SIGKILL);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	stop = 1;
	pthread_join(st[0], NULL);
	pthread_join(st[1], NULL);
	while (waitpid(-1, NULL, 0) > 0)
		;
	printf("race_misc: %ld received\n", (long)nrecv);
	return 0;
}
