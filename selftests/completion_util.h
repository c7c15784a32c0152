/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Wrappers for completion ports, their ring, asynchronous connect and
 * batches, shared by completion_test.c and batch_test.c.
 *
 * As in alpc_util.h, nothing here uses the harness's ASSERT_*: these
 * helpers also run in server threads and forked clients.
 */
#ifndef _ALPC_SELFTEST_COMPLETION_UTIL_H
#define _ALPC_SELFTEST_COMPLETION_UTIL_H

#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "alpc_util.h"

static inline int alpc_create_completion(int dev, int eventfd, __u32 ring_entries, __u32 flags)
{
	struct alpc_create_completion c;

	memset(&c, 0, sizeof(c));
	c.eventfd = eventfd;
	c.ring_entries = ring_entries;
	c.flags = flags;
	return ioctl(dev, ALPC_IOC_CREATE_COMPLETION, &c);
}

/* Associates @fd with completion port @cp (-1: ends the association) under @key. */
static inline int alpc_associate(int fd, int cp, __u64 key)
{
	struct alpc_associate a;

	memset(&a, 0, sizeof(a));
	a.completion_fd = cp;
	a.key = key;
	return ioctl(fd, ALPC_IOC_ASSOCIATE, &a);
}

/* DEQUEUE up to @max entries into @out; *@count (if given) gets the number taken. */
static inline int alpc_dequeue(int cp, struct alpc_completion *out, __u32 max,
			       __s64 timeout_ns, __u32 *count)
{
	struct alpc_dequeue d;
	int ret;

	memset(&d, 0, sizeof(d));
	d.entries = (__u64)(uintptr_t)out;
	d.max = max;
	d.timeout_ns = timeout_ns;
	ret = ioctl(cp, ALPC_IOC_DEQUEUE, &d);
	if (count)
		*count = d.count;
	return ret;
}

/* Starts an asynchronous connect to @name, answered on @cp under @key; returns the fd. */
static inline int alpc_connect_async(int dev, const char *name, const void *buf, __u32 len,
				     int cp, __u64 key)
{
	struct alpc_connect c;

	alpc_connect_init(&c, name, buf, len, -1);
	c.flags = ALPC_CONNECT_ASYNC;
	c.completion_fd = cp;
	c.key = key;
	return ioctl(dev, ALPC_IOC_CONNECT, &c);
}

/* BATCH of @count ops on @fd; *@done (if given) gets the operations performed. */
static inline int alpc_batch(int fd, struct alpc_batch_op *ops, __u32 count, __u32 *done)
{
	struct alpc_batch b;
	int ret;

	memset(&b, 0, sizeof(b));
	b.ops = (__u64)(uintptr_t)ops;
	b.count = count;
	b.done = 0xdeadbeef;
	ret = ioctl(fd, ALPC_IOC_BATCH, &b);
	if (done)
		*done = b.done;
	return ret;
}

static inline void alpc_batch_op_init(struct alpc_batch_op *op, __u32 code, void *arg)
{
	op->op = code;
	op->result = 0x7eadbeef;
	op->arg = (__u64)(uintptr_t)arg;
}

/* RECV of a message of any size up to ALPC_MSG_DEFAULT_MAX, its payload dropped. */
static inline int alpc_recv_any(int fd, __s64 timeout_ns, struct alpc_msg_info *info)
{
	char buf[ALPC_MSG_DEFAULT_MAX];

	return alpc_recv(fd, buf, sizeof(buf), timeout_ns, info);
}

/* The bytes to map for a ring of @entries. */
static inline size_t alpc_ring_bytes(__u32 entries)
{
	return sizeof(struct alpc_ring) + (size_t)entries * sizeof(struct alpc_completion);
}

/* Maps the ring of completion port @cp, of @entries; NULL on failure. */
static inline struct alpc_ring *alpc_ring_map(int cp, __u32 entries)
{
	void *p = mmap(NULL, alpc_ring_bytes(entries), PROT_READ | PROT_WRITE, MAP_SHARED, cp, 0);

	return p == MAP_FAILED ? NULL : p;
}

static inline void alpc_ring_unmap(struct alpc_ring *ring, __u32 entries)
{
	if (ring)
		munmap(ring, alpc_ring_bytes(entries));
}

static inline struct alpc_completion *alpc_ring_slots(struct alpc_ring *ring)
{
	return (struct alpc_completion *)((char *)ring + sizeof(*ring));
}

/* Entries the kernel has published and the reaper has not taken. */
static inline __u32 alpc_ring_ready(struct alpc_ring *ring)
{
	return __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(&ring->head, __ATOMIC_RELAXED);
}

/* Reaps up to @max entries from the ring into @out, without a system call. */
static inline __u32 alpc_ring_reap(struct alpc_ring *ring, struct alpc_completion *out, __u32 max)
{
	__u32 head = __atomic_load_n(&ring->head, __ATOMIC_RELAXED);
	__u32 tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
	__u32 n = 0;

	while (n < max && head + n != tail) {
		out[n] = alpc_ring_slots(ring)[(head + n) & ring->mask];
		n++;
	}
	__atomic_store_n(&ring->head, head + n, __ATOMIC_RELEASE);
	return n;
}

static inline __u32 alpc_ring_flags(struct alpc_ring *ring)
{
	return __atomic_load_n(&ring->flags, __ATOMIC_ACQUIRE);
}

/* Reads the eventfd's count (0 if it has none: the fd must be non-blocking). */
static inline __u64 alpc_eventfd_take(int efd)
{
	__u64 n = 0;

	if (read(efd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/* True if @fd polls readable within @timeout_ms. */
static inline int alpc_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

#endif /* _ALPC_SELFTEST_COMPLETION_UTIL_H */
