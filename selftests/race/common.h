/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for alpc's race programs (selftests/race/race_*.c):
 * stress programs, not unit tests. Each runs for the seconds its first
 * argument names and exits 0; what they look for is the kernel's
 * reaction (KASAN, lockdep, list and slab debugging), which the guest's
 * race_test.sh reads from the kernel log.
 *
 * The helpers are static inline: each program uses some of them.
 */
#ifndef _ALPC_RACE_COMMON_H
#define _ALPC_RACE_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/alpc.h>

#define MS 1000000LL

static int devfd = -1;
/* Set to end the threads' loops: run_threads() sets it when time is up. */
static atomic_int stop;

static inline unsigned int rnd(void)
{
	static __thread unsigned int s;

	if (!s)
		s = (unsigned int)time(NULL) ^ (unsigned int)syscall(SYS_gettid) * 2654435761u;
	s ^= s << 13;
	s ^= s >> 17;
	s ^= s << 5;
	return s;
}

/* Reads a byte at @p, for its fault: the compiler may not drop the load. */
static inline void touch(const void *p)
{
	(void)__atomic_load_n((const char *)p, __ATOMIC_RELAXED);
}

static inline void dev_open(void)
{
	if (devfd < 0)
		devfd = open(ALPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (devfd < 0) {
		perror("open /dev/alpc");
		exit(2);
	}
}

static inline int port_create(const char *name, struct alpc_port_attr *attr)
{
	struct alpc_create_port c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	if (attr)
		c.attr = *attr;
	c.mode = 0666;
	return ioctl(devfd, ALPC_IOC_CREATE_PORT, &c);
}

static inline int do_connect(const char *name, __s64 timeout, int async_cp, __u64 key)
{
	struct alpc_connect c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	if (async_cp >= 0) {
		c.flags = ALPC_CONNECT_ASYNC;
		c.timeout_ns = -1;
		c.completion_fd = async_cp;
		c.key = key;
	} else {
		c.timeout_ns = timeout;
	}
	return ioctl(devfd, ALPC_IOC_CONNECT, &c);
}

static inline int do_recv(int fd, void *buf, __u32 size, __s64 timeout, struct alpc_msg_info *info)
{
	struct alpc_recv r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.size = size;
	r.buf = (uintptr_t)buf;
	r.timeout_ns = timeout;
	ret = ioctl(fd, ALPC_IOC_RECV, &r);
	if (info)
		*info = r.info;
	return ret;
}

static inline int do_recv_fds(int fd, void *buf, __u32 size, __s64 timeout,
			      struct alpc_msg_info *info, int *fds, __u32 nfds)
{
	struct alpc_recv_extra x;
	struct alpc_recv r;
	int ret;

	memset(&r, 0, sizeof(r));
	memset(&x, 0, sizeof(x));
	x.fds = (uintptr_t)fds;
	x.fds_size = nfds;
	r.size = size;
	r.buf = (uintptr_t)buf;
	r.timeout_ns = timeout;
	r.extra = (uintptr_t)&x;
	ret = ioctl(fd, ALPC_IOC_RECV, &r);
	if (info)
		*info = r.info;
	if (!ret)
		for (__u32 i = 0; i < x.nfds; i++)
			close(fds[i]);
	return ret;
}

static inline int do_accept(int port, __u64 id, __u32 flags, __u64 ctx)
{
	struct alpc_accept a;

	memset(&a, 0, sizeof(a));
	a.id = id;
	a.flags = flags;
	a.port_context = ctx;
	return ioctl(port, ALPC_IOC_ACCEPT, &a);
}

static inline int do_send(int fd, __u32 type, const void *buf, __u32 len, __u64 ref,
			  __s64 timeout, struct alpc_msg_attrs *attrs, __u64 *id)
{
	struct alpc_send s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.type = type;
	s.buf = (uintptr_t)buf;
	s.len = len;
	s.ref_id = ref;
	s.timeout_ns = timeout;
	s.attrs = (uintptr_t)attrs;
	ret = ioctl(fd, ALPC_IOC_SEND, &s);
	if (id)
		*id = s.id;
	return ret;
}

static inline int do_cancel(int fd, __u64 id)
{
	struct alpc_cancel c = { .id = id };

	return ioctl(fd, ALPC_IOC_CANCEL, &c);
}

static inline int cp_create(int efd, __u32 ring)
{
	struct alpc_create_completion c;

	memset(&c, 0, sizeof(c));
	c.eventfd = efd;
	c.ring_entries = ring;
	return ioctl(devfd, ALPC_IOC_CREATE_COMPLETION, &c);
}

static inline int do_assoc(int fd, int cp, __u64 key)
{
	struct alpc_associate a;

	memset(&a, 0, sizeof(a));
	a.completion_fd = cp;
	a.key = key;
	return ioctl(fd, ALPC_IOC_ASSOCIATE, &a);
}

static inline int sec_create(int fd, __u64 size)
{
	struct alpc_create_section c;

	memset(&c, 0, sizeof(c));
	c.size = size;
	return ioctl(fd, ALPC_IOC_CREATE_SECTION, &c);
}

/* Runs fn in @n threads for @secs seconds. */
static inline void run_threads(int n, void *(*fn)(void *), int secs)
{
	pthread_t t[64];
	long i;

	stop = 0;
	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, fn, (void *)i);
	sleep(secs);
	stop = 1;
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

#endif /* _ALPC_RACE_COMMON_H */
