// SPDX-License-Identifier: GPL-2.0
/*
 * race_conn: connection/port lifetime and completion-port churn.
 * Port close/recreate racing connect (sync and async with a completion
 * port), accept (with and without COMM_PORT, reject), SEND_WAIT,
 * REPLY_RECV, CANCEL, datagrams, ASSOCIATE, DEQUEUE, ring mmap/munmap,
 * and fds closed on other threads mid-ioctl.
 *   race_conn SECONDS
 */
#include "common.h"

#define NPOOL 32
static const char *NAME = "race-conn";
static atomic_int portfd = -1;
static atomic_int comm[NPOOL];		/* server comm ports */
static atomic_int cli[NPOOL];		/* client comm ports */
static atomic_int cps[8];		/* completion ports */
static atomic_long nops;

static void pool_put(atomic_int *pool, int n, int fd)
{
	int i = rnd() % n;
	int old = atomic_exchange(&pool[i], fd);

	if (old >= 0)
		close(old);
}

static int pool_peek(atomic_int *pool, int n)
{
	return atomic_load(&pool[rnd() % n]);
}

static void *portmgr(void *arg)
{
	struct alpc_port_attr a;

	(void)arg;
	memset(&a, 0, sizeof(a));
	a.flags = ALPC_PORT_ALLOW_FDS | ALPC_PORT_DIRECT_ACCESS;
	a.max_queued_msgs = 8;
	while (!stop) {
		int fd = port_create(NAME, &a), old;

		if (fd < 0) {
			usleep(1000);
			continue;
		}
		if (rnd() % 2) {
			int cp = pool_peek(cps, 8);

			if (cp >= 0)
				do_assoc(fd, cp, 1);
		}
		old = atomic_exchange(&portfd, fd);
		if (old >= 0)
			close(old);
		usleep(rnd() % 40000);
		old = atomic_exchange(&portfd, -1);
		if (old >= 0)
			close(old);
	}
	return NULL;
}

static void serve_one(int fd, bool is_port)
{
	char buf[512];
	struct alpc_msg_info info;
	int ret, c;

	ret = do_recv(fd, buf, sizeof(buf), 10 * MS, &info);
	if (ret)
		return;
	atomic_fetch_add(&nops, 1);
	switch (info.type) {
	case ALPC_MSG_CONNECTION_REQUEST: {
		unsigned int r = rnd() % 10;
		__u32 fl = r < 2 ? ALPC_ACCEPT_REJECT : r < 7 ? ALPC_ACCEPT_COMM_PORT : 0;

		if (rnd() % 8 == 0)
			usleep(rnd() % 3000);
		c = do_accept(fd, info.id, fl, rnd());
		if (c > 0 && (fl & ALPC_ACCEPT_COMM_PORT))
			pool_put(comm, NPOOL, c);
		break;
	}
	case ALPC_MSG_REQUEST:
		if (rnd() % 4 == 0)
			usleep(rnd() % 2000);
		if (rnd() % 3 == 0) {
			struct alpc_reply_recv rr;

			memset(&rr, 0, sizeof(rr));
			rr.ref_id = info.id;
			rr.buf = (uintptr_t)buf;
			rr.len = 8;
			rr.recv.buf = (uintptr_t)buf;
			rr.recv.size = sizeof(buf);
			rr.recv.timeout_ns = 5 * MS;
			ioctl(fd, ALPC_IOC_REPLY_RECV, &rr);
		} else {
			do_send(fd, ALPC_MSG_REPLY, buf, 16, info.id, 0, NULL, NULL);
		}
		break;
	default:
		break;
	}
	(void)is_port;
}

static void *server(void *arg)
{
	(void)arg;
	while (!stop) {
		int fd = atomic_load(&portfd);

		if (fd >= 0)
			serve_one(fd, true);
		else
			usleep(500);
	}
	return NULL;
}

static void *comm_server(void *arg)
{
	(void)arg;
	while (!stop) {
		int fd = pool_peek(comm, NPOOL);

		if (fd < 0) {
			usleep(500);
			continue;
		}
		serve_one(fd, false);
		if (rnd() % 50 == 0)
			pool_put(comm, NPOOL, -1);	/* close one */
		if (rnd() % 20 == 0) {
			/* server-side requests to the client */
			__u64 id;

			if (!do_send(fd, ALPC_MSG_REQUEST, "x", 1, 0, 0, NULL, &id) && rnd() % 2)
				do_cancel(fd, id);
		}
	}
	return NULL;
}

static void client_work(int c)
{
	char buf[256] = "hello";
	char rbuf[256];
	int i, n = rnd() % 8;

	for (i = 0; i < n && !stop; i++) {
		unsigned int r = rnd() % 6;

		if (r == 0) {
			struct alpc_send_wait s;

			memset(&s, 0, sizeof(s));
			s.buf = (uintptr_t)buf;
			s.len = 32;
			s.timeout_ns = (rnd() % 3) * MS;
			s.reply_buf = (uintptr_t)rbuf;
			s.reply_size = sizeof(rbuf);
			ioctl(c, ALPC_IOC_SEND_WAIT, &s);
		} else if (r == 1) {
			__u64 id;

			if (!do_send(c, ALPC_MSG_REQUEST, buf, 16, 0, 0, NULL, &id)) {
				if (rnd() % 2)
					usleep(rnd() % 1000);
				do_cancel(c, id);
			}
		} else if (r == 2) {
			int p[2];

			if (!pipe(p)) {
				struct alpc_msg_attrs a;
				int fds[2] = { p[0], p[1] };

				memset(&a, 0, sizeof(a));
				a.flags = ALPC_ATTR_FDS;
				a.fds = (uintptr_t)fds;
				a.nfds = 2;
				do_send(c, ALPC_MSG_DATAGRAM, buf, 8, 0, 0, &a, NULL);
				close(p[0]);
				close(p[1]);
			}
		} else if (r == 3) {
			struct alpc_dgrams d;
			char db[4 * 48];
			struct alpc_dgram *h;
			int k;

			memset(db, 0, sizeof(db));
			for (k = 0; k < 4; k++) {
				h = (struct alpc_dgram *)(db + k * 48);
				h->len = 16;
			}
			memset(&d, 0, sizeof(d));
			d.buf = (uintptr_t)db;
			d.size = sizeof(db);
			d.count = 4;
			d.timeout_ns = 0;
			ioctl(c, ALPC_IOC_SEND_DGRAMS, &d);
		} else if (r == 4) {
			do_recv(c, rbuf, sizeof(rbuf), 0, NULL);
		} else {
			do_send(c, ALPC_MSG_DATAGRAM, buf, 8, 0, 0, NULL, NULL);
		}
	}
}

static void *client(void *arg)
{
	long me = (long)arg;

	while (!stop) {
		int c, cp = -1;

		if (rnd() % 2) {
			cp = pool_peek(cps, 8);
			if (cp < 0)
				cp = -1;
		}
		c = do_connect(NAME, (rnd() % 20) * MS, cp, me);
		if (c < 0) {
			usleep(200);
			continue;
		}
		atomic_fetch_add(&nops, 1);
		if (rnd() % 3 == 0)
			do_assoc(c, pool_peek(cps, 8), 7);
		if (rnd() % 3 == 0) {
			/* keep it, for others to use and close */
			pool_put(cli, NPOOL, c);
			continue;
		}
		if (cp >= 0)
			usleep(rnd() % 3000);
		client_work(c);
		close(c);
	}
	return NULL;
}

static void *cli_user(void *arg)
{
	(void)arg;
	while (!stop) {
		int c = pool_peek(cli, NPOOL);

		if (c < 0) {
			usleep(500);
			continue;
		}
		client_work(c);
		if (rnd() % 10 == 0)
			pool_put(cli, NPOOL, -1);
	}
	return NULL;
}

static void *cp_mgr(void *arg)
{
	(void)arg;
	while (!stop) {
		int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		__u32 ring = rnd() % 2 ? 4 : 0;
		int cp = cp_create(efd, ring);
		void *m = MAP_FAILED;

		close(efd);
		if (cp < 0) {
			usleep(1000);
			continue;
		}
		if (ring)
			m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, cp, 0);
		pool_put(cps, 8, cp);
		for (int i = 0; i < 20 && !stop; i++) {
			struct alpc_completion e[8];
			struct alpc_dequeue d;
			int fd = pool_peek(cps, 8);

			if (fd < 0)
				continue;
			memset(&d, 0, sizeof(d));
			d.entries = (uintptr_t)e;
			d.max = 8;
			d.timeout_ns = MS;
			ioctl(fd, ALPC_IOC_DEQUEUE, &d);
			if (m != MAP_FAILED && rnd() % 4 == 0) {
				struct alpc_ring *rg = m;

				/* reap, and scribble sometimes */
				rg->head = rnd() % 3 ? rg->tail : rnd();
			}
		}
		if (m != MAP_FAILED && rnd() % 2) {
			if (fork() == 0) {
				touch(m);
				_exit(0);
			}
			wait(NULL);
			munmap(m, 4096);
		}
		/* else leak the mapping until exit: the cp outlives its fd */
	}
	return NULL;
}

/* Children that connect, send, wait, and are SIGKILLed at random points. */
static void *killer(void *arg)
{
	(void)arg;
	while (!stop) {
		pid_t p = fork();

		if (p == 0) {
			int k;

			for (k = 0; k < 4; k++) {
				int cp = rnd() % 2 ? pool_peek(cps, 8) : -1;
				int c = do_connect(NAME, rnd() % 2 ? -1 : 30 * MS, cp, 3);

				if (c >= 0)
					client_work(c);
			}
			_exit(0);
		}
		usleep(rnd() % 20000);
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
	}
	return NULL;
}

static void *thr(void *arg)
{
	long i = (long)arg;

	switch (i) {
	case 0: return portmgr(arg);
	case 1: case 2: return server(arg);
	case 3: case 4: return comm_server(arg);
	case 5: case 6: case 7: return client(arg);
	case 8: return cli_user(arg);
	case 10: return killer(arg);
	default: return cp_mgr(arg);
	}
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 30;
	int i;

	signal(SIGPIPE, SIG_IGN);
	dev_open();
	for (i = 0; i < NPOOL; i++) {
		comm[i] = -1;
		cli[i] = -1;
	}
	for (i = 0; i < 8; i++)
		cps[i] = -1;
	run_threads(11, thr, secs);
	printf("race_conn: %ld ops\n", (long)nops);
	return 0;
}
