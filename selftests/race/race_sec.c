// SPDX-License-Identifier: GPL-2.0
/*
 * race_sec: sections and views. Views travel in datagrams, requests and
 * replies while the receiver munmaps/mremaps/mprotects parts of them,
 * forks, and exits; section fds close while views are in flight; the
 * connection is torn down and rebuilt underneath.
 *   race_sec SECONDS
 */
#include "common.h"
#include <setjmp.h>

static __thread sigjmp_buf jb;
static __thread int jb_ok;
static void on_segv(int sig)
{
	if (jb_ok)
		siglongjmp(jb, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static const char *NAME = "race-sec";
static int portfd;
static atomic_int cfd = -1, sfd = -1;
static atomic_long nviews;
static char *arena;	/* MREMAP_FIXED targets */

/*
 * Unmaps the page at @p from its mapping (split), leaving an anonymous
 * PROT_NONE page in its place until the whole range is unmapped: a plain
 * munmap() would let another thread's mmap() or view land in the hole,
 * and the later munmap() of the whole range would take it away.
 */
static void punch(char *p)
{
	mmap(p, 4096, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* The port's server thread: accepts with a comm port. */
static void *acceptor(void *arg)
{
	char buf[256];
	struct alpc_msg_info info;

	(void)arg;
	while (!stop) {
		if (do_recv(portfd, buf, sizeof(buf), 20 * MS, &info))
			continue;
		if (info.type == ALPC_MSG_CONNECTION_REQUEST) {
			int s = do_accept(portfd, info.id, ALPC_ACCEPT_COMM_PORT, 1);

			if (s >= 0) {
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
		usleep(rnd() % 100000);
		if (rnd() % 2) {
			old = atomic_exchange(&sfd, -1);
			if (old >= 0)
				close(old);
		}
	}
	return NULL;
}

/* Senders: a view of a fresh section, on whichever side. */
static void *sender(void *arg)
{
	long me = (long)arg;

	while (!stop) {
		int fd = me % 2 ? atomic_load(&cfd) : atomic_load(&sfd);
		struct alpc_msg_attrs a;
		__u64 size = 4096 * (1 + rnd() % 6), id;
		int sec;
		void *m = MAP_FAILED;

		if (fd < 0) {
			usleep(1000);
			continue;
		}
		sec = sec_create(fd, size);
		if (sec < 0) {
			usleep(100);
			continue;
		}
		if (rnd() % 3 == 0) {
			m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, sec, 0);
			if (m != MAP_FAILED)
				memset(m, 0x5a, 64);
		}
		memset(&a, 0, sizeof(a));
		a.flags = ALPC_ATTR_VIEW;
		a.section_fd = sec;
		a.view_offset = rnd() % 2 ? 0 : 100;
		a.view_len = size - a.view_offset - (rnd() % 100);
		a.view_flags = rnd() % 2 ? ALPC_VIEW_READONLY : 0;
		if (rnd() % 2) {
			do_send(fd, ALPC_MSG_DATAGRAM, "v", 1, 0, 2 * MS, &a, NULL);
		} else if (!do_send(fd, ALPC_MSG_REQUEST, "r", 1, 0, 2 * MS, &a, &id)) {
			if (rnd() % 3 == 0) {
				usleep(rnd() % 500);
				do_cancel(fd, id);
			}
		}
		close(sec);
		if (m != MAP_FAILED) {
			/* a hole in a mapping of two pages or more */
			if (size > 4096 && rnd() % 2)
				punch((char *)m + 4096);
			munmap(m, size);
		}
	}
	return NULL;
}

static void mangle(char *addr, __u64 len, bool ro)
{
	char *base = (char *)((uintptr_t)addr & ~4095UL);
	size_t span = ((uintptr_t)addr - (uintptr_t)base + len + 4095) & ~4095UL;
	char *to;
	void *n;

	atomic_fetch_add(&nviews, 1);
	if (sigsetjmp(jb, 1)) {
		jb_ok = 0;
		return;
	}
	jb_ok = 1;
	touch(addr);
	if (!ro)
		addr[len - 1] = 1;
	switch (rnd() % 8) {
	case 0:
		if (span > 4096)
			punch(base + 4096);	/* a hole: split */
		break;
	case 1:
		n = mremap(base, span, span > 4096 ? span - 4096 : span, 0);
		if (n != MAP_FAILED)
			span = span > 4096 ? span - 4096 : span;
		break;
	case 2:
		/* to a 64 KiB slot of this thread's 4 MiB of the arena */
		to = arena + (((unsigned long)pthread_self() >> 12) % 16) * (4 << 20) +
		     (rnd() % 64) * (64 << 10);
		n = mremap(base, span, span, MREMAP_MAYMOVE | MREMAP_FIXED, to);
		if (n != MAP_FAILED) {
			touch(n);
			base = n;
		}
		break;
	case 3:
		mprotect(base, 4096, PROT_NONE);
		break;
	case 4:
		if (fork() == 0) {
			jb_ok = 0;
			signal(SIGSEGV, SIG_DFL);
			touch(base);
			if (span > 4096)
				munmap(base, 4096);
			_exit(0);
		}
		wait(NULL);
		break;
	case 5:
		/* leave it mapped: the process's exit (or not) cleans up */
		jb_ok = 0;
		return;
	default:
		break;
	}
	jb_ok = 0;
	if (base >= arena && base < arena + (64 << 20))
		mmap(base, span, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else
		munmap(base, span);
}

static void *receiver(void *arg)
{
	long me = (long)arg;
	char buf[256];

	while (!stop) {
		int fd = me % 2 ? atomic_load(&cfd) : atomic_load(&sfd);
		struct alpc_msg_info info;

		if (fd < 0) {
			usleep(1000);
			continue;
		}
		if (do_recv(fd, buf, sizeof(buf), 5 * MS, &info))
			continue;
		if (info.view_addr)
			mangle((char *)(uintptr_t)info.view_addr, info.view_len,
			       info.flags & ALPC_MSGF_VIEW_READONLY);
		if (info.type == ALPC_MSG_REQUEST) {
			/* answer with a view of our own, sometimes */
			struct alpc_msg_attrs a;
			int sec = rnd() % 2 ? sec_create(fd, 8192) : -1;

			memset(&a, 0, sizeof(a));
			if (sec >= 0) {
				a.flags = ALPC_ATTR_VIEW;
				a.section_fd = sec;
				a.view_len = 5000;
			}
			do_send(fd, ALPC_MSG_REPLY, "a", 1, info.id, 0, sec >= 0 ? &a : NULL, NULL);
			if (sec >= 0)
				close(sec);
		}
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
	default: return receiver(arg);
	}
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 30;
	int round, st, ret = 0;

	signal(SIGSEGV, on_segv);
	signal(SIGBUS, on_segv);
	dev_open();
	/* Several rounds, each in a child, so that exit tears down live views. */
	for (round = 0; round < 4; round++) {
		pid_t p = fork();

		if (p == 0) {
			struct alpc_port_attr a;

			memset(&a, 0, sizeof(a));
			a.max_queued_msgs = 16;
			arena = mmap(NULL, 64 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			portfd = port_create(NAME, &a);
			if (portfd < 0) {
				perror("port");
				_exit(1);
			}
			run_threads(8, thr, secs / 4 ? secs / 4 : 1);
			printf("race_sec: round %d, %ld views\n", round, (long)nviews);
			fflush(stdout);	/* _exit() would drop it */
			_exit(0);	/* without closing anything */
		}
		/* a round that died took its own process down: say so */
		if (waitpid(p, &st, 0) == p && st) {
			printf("race_sec: round %d ended with status %#x\n", round, st);
			fflush(stdout);	/* before the next fork */
			ret = 1;
		}
	}
	return ret;
}
