// SPDX-License-Identifier: GPL-2.0
/*
 * race_tight: tight two-party races, each iteration a fresh connection:
 *  A) sync connect with a 1-jiffy timeout vs accept (COMM_PORT/plain/reject)
 *  B) async connect closed at once vs accept with COMM_PORT
 *  C) a request carrying fds, a view and a region: RECV (DELIVERING) vs
 *     CANCEL vs client close vs server comm close, then ACCESS
 *   race_tight SECONDS
 */
#include "common.h"

static const char *NAME = "race-tight";
static int portfd;
static atomic_int cur_c = -1, cur_s = -1;
static atomic_long iters;

static void *acceptor(void *arg)
{
	char buf[256];
	struct alpc_msg_info info;

	(void)arg;
	while (!stop) {
		if (do_recv(portfd, buf, sizeof(buf), 5 * MS, &info))
			continue;
		if (info.type == ALPC_MSG_CONNECTION_REQUEST) {
			unsigned int r = rnd() % 8;
			__u32 fl = r == 0 ? ALPC_ACCEPT_REJECT : r < 6 ? ALPC_ACCEPT_COMM_PORT : 0;
			int s;

			if (rnd() % 2)
				sched_yield();
			s = do_accept(portfd, info.id, fl, 1);
			if (s > 0 && fl == ALPC_ACCEPT_COMM_PORT) {
				int old = atomic_exchange(&cur_s, s);

				if (old >= 0)
					close(old);
			}
		}
	}
	return NULL;
}

static void *racer_a(void *arg)
{
	(void)arg;
	while (!stop) {
		int c = do_connect(NAME, rnd() % 2 ? 1 : 2 * MS, -1, 0);

		if (c >= 0)
			close(c);
		atomic_fetch_add(&iters, 1);
	}
	return NULL;
}

static void *racer_b(void *arg)
{
	(void)arg;
	while (!stop) {
		int efd = eventfd(0, EFD_CLOEXEC);
		int cp = cp_create(efd, 0);
		int c = do_connect(NAME, -1, cp, 1);

		if (rnd() % 2)
			usleep(rnd() % 300);
		if (c >= 0)
			close(c);
		close(cp);
		close(efd);
		atomic_fetch_add(&iters, 1);
	}
	return NULL;
}

static char lend[65536];

/* C: the client side: connect, send a rich request, then maybe close. */
static void *racer_c(void *arg)
{
	(void)arg;
	while (!stop) {
		int c = do_connect(NAME, 50 * MS, -1, 0), sec, p[2];
		struct alpc_msg_attrs a;
		int fds[2];
		char rb[64];
		__u64 id;

		if (c < 0)
			continue;
		sec = sec_create(c, 8192);
		if (pipe(p)) {
			close(c);
			continue;
		}
		fds[0] = p[0];
		fds[1] = sec >= 0 ? sec : p[1];
		memset(&a, 0, sizeof(a));
		a.flags = ALPC_ATTR_FDS | ALPC_ATTR_REGION | (sec >= 0 ? ALPC_ATTR_VIEW : 0);
		a.fds = (uintptr_t)fds;
		a.nfds = 2;
		a.region_addr = (uintptr_t)lend;
		a.region_len = sizeof(lend);
		a.region_flags = ALPC_REGION_READ | ALPC_REGION_WRITE;
		if (sec >= 0) {
			a.section_fd = sec;
			a.view_len = 5000;
		}
		atomic_store(&cur_c, c);
		if (!do_send(c, ALPC_MSG_REQUEST, "x", 1, 0, MS, &a, &id)) {
			usleep(rnd() % 500);
			switch (rnd() % 3) {
			case 0:
				do_cancel(c, id);
				break;
			case 1:
				break;
			default:
				do_recv(c, rb, sizeof(rb), MS, NULL);
			}
		}
		close(p[0]);
		close(p[1]);
		if (sec >= 0)
			close(sec);
		atomic_store(&cur_c, -1);
		close(c);
		atomic_fetch_add(&iters, 1);
	}
	return NULL;
}

/* C: the server side: receive on the comm port with fds and views, access, close. */
static void *server_c(void *arg)
{
	static __thread char kb[65536];
	(void)arg;
	while (!stop) {
		int s = atomic_load(&cur_s), fds[4];
		struct alpc_msg_info info;
		char buf[64];

		if (s < 0) {
			usleep(100);
			continue;
		}
		if (do_recv_fds(s, buf, sizeof(buf), MS, &info, fds, 4))
			continue;
		if (info.view_addr)
			munmap((void *)(uintptr_t)(info.view_addr & ~4095ULL), 8192);
		if (info.type == ALPC_MSG_REQUEST) {
			struct alpc_access ac;

			memset(&ac, 0, sizeof(ac));
			ac.id = info.id;
			ac.op = rnd() % 2 ? ALPC_ACCESS_WRITE : ALPC_ACCESS_READ;
			ac.len = sizeof(kb);
			ac.buf = (uintptr_t)kb;
			ioctl(s, ALPC_IOC_ACCESS, &ac);
			if (rnd() % 2)
				do_send(s, ALPC_MSG_REPLY, "y", 1, info.id, 0, NULL, NULL);
		}
		if (rnd() % 4 == 0) {
			int old = atomic_exchange(&cur_s, -1);

			if (old >= 0)
				close(old);
		}
	}
	return NULL;
}

/* SET_SECURITY flipping (deny uid 0 / allow), by fd and by name, racing connects. */
static void *sec_flipper(void *arg)
{
	(void)arg;
	while (!stop) {
		struct alpc_port_security ps;
		bool byname = rnd() % 2;

		memset(&ps, 0, sizeof(ps));
		if (byname)
			snprintf(ps.name, sizeof(ps.name), "%s", NAME);
		ps.sd.uid = 0;
		ps.sd.gid = 0;
		ps.sd.mode = 0666;
		if (rnd() % 4 == 0) {
			ps.sd.count = 1;
			ps.sd.acl[0].type = ALPC_ACE_DENY_UID;
			ps.sd.acl[0].id = 0;
		}
		ioctl(byname ? devfd : portfd, ALPC_IOC_SET_SECURITY, &ps);
		memset(&ps.sd, 0, sizeof(ps.sd));
		ioctl(byname ? devfd : portfd, ALPC_IOC_GET_SECURITY, &ps);
		usleep(rnd() % 2000);
	}
	return NULL;
}

static void *thr(void *arg)
{
	long i = (long)arg;

	switch (i) {
	case 0: case 1: return acceptor(arg);
	case 2: return racer_a(arg);
	case 3: return racer_b(arg);
	case 4: case 5: return racer_c(arg);
	case 8: return sec_flipper(arg);
	default: return server_c(arg);
	}
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 30;
	struct alpc_port_attr a;

	dev_open();
	memset(&a, 0, sizeof(a));
	a.flags = ALPC_PORT_ALLOW_FDS | ALPC_PORT_DIRECT_ACCESS;
	portfd = port_create(NAME, &a);
	if (portfd < 0) {
		perror("port");
		return 1;
	}
	run_threads(9, thr, secs);
	printf("race_tight: %ld iterations\n", (long)iters);
	return 0;
}
