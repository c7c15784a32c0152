// SPDX-License-Identifier: GPL-2.0
/*
 * race_dgram: SEND_DGRAMS/RECV_DGRAMS (bundle cache) and BATCH with mixed
 * ops, receive buffers that fault part-way (put-back paths) and an
 * unwritable result struct, racing connection close from both sides.
 *   race_dgram SECONDS
 */
#include "common.h"

static const char *NAME = "race-dgram";
static int portfd;
static atomic_int cfd = -1, sfd = -1;
static char *trap;		/* a page followed by a PROT_NONE page */
static struct alpc_dgrams *ro_d;	/* read-only after setup */
static atomic_long ndg;

static void *acceptor(void *arg)
{
	char buf[256];
	struct alpc_msg_info info;

	(void)arg;
	while (!stop) {
		if (do_recv(portfd, buf, sizeof(buf), 20 * MS, &info))
			continue;
		if (info.type == ALPC_MSG_CONNECTION_REQUEST) {
			__u32 fl = rnd() % 4 ? ALPC_ACCEPT_COMM_PORT : 0;
			int s = do_accept(portfd, info.id, fl, 5);

			if (s > 0 && fl) {
				int old = atomic_exchange(&sfd, s);

				if (old >= 0)
					close(old);
			}
		}
	}
	return NULL;
}

static void *connector(void *arg)
{
	(void)arg;
	while (!stop) {
		int c = do_connect(NAME, 200 * MS, -1, 0), old;

		if (c < 0)
			continue;
		old = atomic_exchange(&cfd, c);
		if (old >= 0)
			close(old);
		usleep(rnd() % 50000);
		if (rnd() % 2) {
			old = atomic_exchange(&sfd, -1);
			if (old >= 0)
				close(old);
		}
	}
	return NULL;
}

static int fill(char *db, int count, int maxlen)
{
	int off = 0, k;

	for (k = 0; k < count; k++) {
		struct alpc_dgram *h = (struct alpc_dgram *)(db + off);
		__u32 len = rnd() % maxlen;

		memset(h, 0, sizeof(*h));
		h->len = len;
		h->context = k;
		off += ALPC_DGRAM_SIZE(len);
	}
	return off;
}

static void *sender(void *arg)
{
	static __thread char db[80 * 300];
	long me = (long)arg;

	while (!stop) {
		int fd = me % 2 ? atomic_load(&cfd) : atomic_load(&sfd);

		if (fd < 0)
			fd = portfd;	/* EOPNOTSUPP, or replies */
		if (rnd() % 4) {
			struct alpc_dgrams d;
			int count = 1 + rnd() % 70;

			memset(&d, 0, sizeof(d));
			d.size = fill(db, count, 200);
			d.buf = (uintptr_t)db;
			d.count = count;
			d.timeout_ns = (rnd() % 3) * MS;
			if (!ioctl(fd, ALPC_IOC_SEND_DGRAMS, &d))
				atomic_fetch_add(&ndg, count);
		} else {
			struct alpc_batch_op ops[8];
			struct alpc_send s[8];
			struct alpc_recv r[8];
			struct alpc_cancel c[8];
			struct alpc_batch b;
			char rb[64];
			int k, n = 1 + rnd() % 8;

			memset(&b, 0, sizeof(b));
			for (k = 0; k < n; k++) {
				unsigned int t = rnd() % 4;

				memset(&s[k], 0, sizeof(s[k]));
				memset(&r[k], 0, sizeof(r[k]));
				c[k] = (struct alpc_cancel){
					.id = rnd() % 2 && k ? s[k - 1].id : 0
				};
				ops[k].result = 0;
				if (t < 2) {
					ops[k].op = ALPC_OP_SEND;
					s[k].type = t ? ALPC_MSG_REQUEST : ALPC_MSG_DATAGRAM;
					s[k].buf = (uintptr_t)db;
					s[k].len = rnd() % 64;
					s[k].timeout_ns = rnd() % 2 ? MS : 0;
					ops[k].arg = (uintptr_t)&s[k];
				} else if (t == 2) {
					ops[k].op = ALPC_OP_RECV;
					r[k].buf = (uintptr_t)(rnd() % 3 ? rb : trap + 4096 - 8);
					r[k].size = sizeof(rb);
					r[k].timeout_ns = 0;
					ops[k].arg = (uintptr_t)&r[k];
				} else {
					ops[k].op = ALPC_OP_CANCEL;
					ops[k].arg = (uintptr_t)&c[k];
				}
			}
			b.ops = (uintptr_t)ops;
			b.count = n;
			ioctl(fd, ALPC_IOC_BATCH, &b);
		}
	}
	return NULL;
}

static void *receiver(void *arg)
{
	static __thread char rb[16384];
	long me = (long)arg;

	while (!stop) {
		int fd = me % 2 ? atomic_load(&cfd) : atomic_load(&sfd);
		struct alpc_dgrams d;
		unsigned int t = rnd() % 8;

		if (fd < 0 || rnd() % 5 == 0)
			fd = portfd;
		memset(&d, 0, sizeof(d));
		d.count = 1 + rnd() % 100;
		d.timeout_ns = 2 * MS;
		if (t == 0) {
			/* the records run into a PROT_NONE page */
			d.buf = (uintptr_t)(trap + 4096 - 300);
			d.size = 4096;
		} else if (t == 1) {
			/* the result cannot be written: all go back */
			ioctl(fd, ALPC_IOC_RECV_DGRAMS, ro_d);
			continue;
		} else if (t == 2) {
			struct alpc_msg_info info;

			do_recv(fd, rb, rnd() % 2 ? sizeof(rb) : 4, 2 * MS, &info);
			continue;
		} else {
			d.buf = (uintptr_t)rb;
			d.size = rnd() % 2 ? sizeof(rb) : 100 + rnd() % 2000;
		}
		ioctl(fd, ALPC_IOC_RECV_DGRAMS, &d);
	}
	return NULL;
}

static void *toggler(void *arg)
{
	(void)arg;
	while (!stop) {
		mprotect(ro_d, 4096, PROT_READ);
		sched_yield();
		mprotect(ro_d, 4096, PROT_READ | PROT_WRITE);
		usleep(rnd() % 200);
	}
	return NULL;
}

static void *thr(void *arg)
{
	long i = (long)arg;

	switch (i) {
	case 0: return acceptor(arg);
	case 1: return connector(arg);
	case 2: case 3: case 4: return sender(arg);
	case 8: return toggler(arg);
	default: return receiver(arg);
	}
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 30;
	struct alpc_port_attr a;
	int round, st, ret = 0;

	dev_open();
	trap = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(trap + 4096, 4096, PROT_NONE);
	ro_d = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro_d->buf = (uintptr_t)mmap(NULL, 65536, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro_d->size = 65536;
	ro_d->count = 50;
	ro_d->timeout_ns = MS;
	/*
	 * The toggler flips ro_d's page read-only and back, so that a
	 * RECV_DGRAMS on it cannot write its result: all go back.
	 */
	for (round = 0; round < 3; round++) {
		pid_t p = fork();

		if (p == 0) {
			memset(&a, 0, sizeof(a));
			a.max_queued_msgs = 64 + rnd() % 200;
			a.max_queued_bytes = 8192 + rnd() % 65536;
			a.max_msg_len = 256;
			portfd = port_create(NAME, &a);
			if (portfd < 0) {
				perror("port");
				_exit(1);
			}
			run_threads(9, thr, secs / 3 ? secs / 3 : 1);
			printf("race_dgram: round %d, %ld datagrams sent\n", round, (long)ndg);
			fflush(stdout);	/* _exit() would drop it */
			_exit(0);
		}
		/* a round that died took its own process down: say so */
		if (waitpid(p, &st, 0) == p && st) {
			printf("race_dgram: round %d ended with status %#x\n", round, st);
			fflush(stdout);	/* before the next fork */
			ret = 1;
		}
	}
	return ret;
}
