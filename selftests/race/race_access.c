// SPDX-License-Identifier: GPL-2.0
/*
 * race_access: ALPC_IOC_ACCESS against a lender that munmaps, mremaps,
 * forks, execs or is SIGKILLed while its request (with a region) is
 * being read and written, plus CANCEL and SEND_WAIT timeouts.
 *   race_access SECONDS
 */
#include "common.h"

static const char *NAME = "race-acc";
static int portfd;
static atomic_long nacc;
static char *self_path;

/* Server: receives requests on the connection port and accesses them. */
static void *server(void *arg)
{
	static __thread char kb[256 * 1024];
	char buf[256];

	(void)arg;
	while (!stop) {
		struct alpc_msg_info info;
		int k;

		if (do_recv(portfd, buf, sizeof(buf), 10 * MS, &info))
			continue;
		if (info.type == ALPC_MSG_CONNECTION_REQUEST) {
			do_accept(portfd, info.id, 0, 9);
			continue;
		}
		if (info.type != ALPC_MSG_REQUEST)
			continue;
		for (k = 0; k < 1 + (int)(rnd() % 6); k++) {
			struct alpc_access a;

			memset(&a, 0, sizeof(a));
			a.id = info.id;
			a.op = rnd() % 2 ? ALPC_ACCESS_READ : ALPC_ACCESS_WRITE;
			a.offset = rnd() % 4096;
			a.len = info.region_len - a.offset;
			if (a.len > sizeof(kb))
				a.len = sizeof(kb);
			a.buf = (uintptr_t)kb;
			if (!ioctl(portfd, ALPC_IOC_ACCESS, &a) || a.done)
				atomic_fetch_add(&nacc, 1);
		}
		if (rnd() % 3)
			do_send(portfd, ALPC_MSG_REPLY, "ok", 2, info.id, 0, NULL, NULL);
	}
	return NULL;
}

static char *lend;
static size_t lend_len = 64 * 4096;
static atomic_int lc = -1;

static void *lender_mangler(void *arg)
{
	(void)arg;
	while (!stop) {
		usleep(rnd() % 3000);
		switch (rnd() % 6) {
		case 0: {
			/* 1 to 8 pages, none past the end of the loan */
			unsigned int pg = rnd() % 64, n = 1 + rnd() % 8;

			munmap(lend + 4096 * pg, 4096 * (pg + n > 64 ? 64 - pg : n));
			break;
		}
		case 1:
			mmap(lend, lend_len, PROT_READ | PROT_WRITE,
			     MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			break;
		case 2:
			mprotect(lend, lend_len, PROT_READ);
			break;
		case 3:
			mprotect(lend, lend_len, PROT_READ | PROT_WRITE);
			break;
		case 4:
			madvise(lend, lend_len, MADV_DONTNEED);
			break;
		case 5: {
			pid_t p = fork();

			if (p == 0)
				_exit(0);
			waitpid(p, NULL, 0);
			break;
		}
		}
	}
	return NULL;
}

static void *lender_sender(void *arg)
{
	(void)arg;
	while (!stop) {
		int c = atomic_load(&lc);
		struct alpc_msg_attrs a;
		struct alpc_send_wait s;
		char rb[64];

		memset(&a, 0, sizeof(a));
		a.flags = ALPC_ATTR_REGION;
		a.region_addr = (uintptr_t)lend;
		a.region_len = lend_len;
		a.region_flags = ALPC_REGION_READ | ALPC_REGION_WRITE;
		if (rnd() % 2) {
			memset(&s, 0, sizeof(s));
			s.buf = (uintptr_t)"q";
			s.len = 1;
			s.timeout_ns = (rnd() % 4) * MS;
			s.reply_buf = (uintptr_t)rb;
			s.reply_size = sizeof(rb);
			s.attrs = (uintptr_t)&a;
			ioctl(c, ALPC_IOC_SEND_WAIT, &s);
		} else {
			__u64 id;

			if (!do_send(c, ALPC_MSG_REQUEST, "q", 1, 0, MS, &a, &id)) {
				usleep(rnd() % 2000);
				if (rnd() % 2)
					do_cancel(c, id);
				do_recv(c, rb, sizeof(rb), MS, NULL);
			}
		}
	}
	return NULL;
}

static void lender(void)
{
	pthread_t t[3];
	int c;

	c = do_connect(NAME, 500 * MS, -1, 0);
	if (c < 0)
		_exit(0);
	lc = c;
	lend = mmap(NULL, lend_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(lend, 1, lend_len);
	pthread_create(&t[0], NULL, lender_sender, NULL);
	pthread_create(&t[1], NULL, lender_sender, NULL);
	pthread_create(&t[2], NULL, lender_mangler, NULL);
	usleep(rnd() % 200000);
	switch (rnd() % 3) {
	case 0:
		execl(self_path, self_path, "--exit", NULL);
		break;
	case 1:
		_exit(0);
	default:
		pause();
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 30;
	struct alpc_port_attr a;
	pthread_t st[2];
	time_t end;
	long n = 0;

	if (argc > 1 && !strcmp(argv[1], "--exit"))
		return 0;
	self_path = argv[0];
	dev_open();
	memset(&a, 0, sizeof(a));
	a.flags = ALPC_PORT_DIRECT_ACCESS;
	portfd = port_create(NAME, &a);
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
			lender();
		usleep(50000 + rnd() % 200000);
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		n++;
	}
	stop = 1;
	pthread_join(st[0], NULL);
	pthread_join(st[1], NULL);
	printf("race_access: %ld lenders, %ld accesses\n", n, (long)nacc);
	return 0;
}
