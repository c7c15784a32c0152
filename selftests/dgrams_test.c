// SPDX-License-Identifier: GPL-2.0
/*
 * ALPC_IOC_SEND_DGRAMS and ALPC_IOC_RECV_DGRAMS: many datagrams in one
 * buffer. Each is an ordinary message (ids, order, charges, completion
 * entries, ALPC_IOC_RECV); a send queues all its datagrams or none; a
 * receive stops at what it may not take, and a fault while copying out
 * leaves the rest queued.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "alpc_util.h"

#define CTX		0xc0ffee0000c0ffeeULL
#define KEY		0x2222000000000002ULL
#define BUF_SIZE	(ALPC_BATCH_MAX * ALPC_DGRAM_SIZE(ALPC_MSG_DEFAULT_MAX))

/* A call's struct, with what it sends or receives at @buf. */
static void dgrams_init(struct alpc_dgrams *d, void *buf, __u32 size, __u32 count,
			__s64 timeout_ns)
{
	memset(d, 0, sizeof(*d));
	d->buf = (__u64)(uintptr_t)buf;
	d->size = size;
	d->count = count;
	d->timeout_ns = timeout_ns;
}

static int send_dgrams(int fd, struct alpc_dgrams *d)
{
	return ioctl(fd, ALPC_IOC_SEND_DGRAMS, d);
}

static int recv_dgrams(int fd, struct alpc_dgrams *d)
{
	return ioctl(fd, ALPC_IOC_RECV_DGRAMS, d);
}

/*
 * Packs @n datagrams of @lens bytes into @buf, datagram i with context
 * @ctx + i and the payload alpc_fill(seed @ctx + i); returns the bytes.
 */
static __u32 pack(void *buf, const __u32 *lens, int n, __u64 ctx)
{
	struct alpc_dgram h;
	__u32 off = 0;
	int i;

	for (i = 0; i < n; i++) {
		memset(&h, 0, sizeof(h));
		h.len = lens[i];
		h.context = ctx + i;
		memcpy((char *)buf + off, &h, sizeof(h));
		alpc_fill((char *)buf + off + sizeof(h), lens[i], (unsigned int)(ctx + i));
		off += ALPC_DGRAM_SIZE(lens[i]);
	}
	return off;
}

/* Packs @n datagrams of @len bytes; see pack(). */
static __u32 pack_same(void *buf, __u32 len, int n, __u64 ctx)
{
	__u32 lens[ALPC_BATCH_MAX];
	int i;

	for (i = 0; i < n; i++)
		lens[i] = len;
	return pack(buf, lens, n, ctx);
}

/* The header at @off of a received buffer. */
static struct alpc_dgram header_at(const void *buf, __u32 off)
{
	struct alpc_dgram h;

	memcpy(&h, (const char *)buf + off, sizeof(h));
	return h;
}

/*
 * Checks the @n datagrams received at @buf: ids from @first_id on,
 * contexts from @ctx on with the matching payloads, @lens, @port_context.
 * Returns the bytes they take.
 */
static __u32 check_received(struct __test_metadata *_metadata, const void *buf,
			    const __u32 *lens, int n, __u64 first_id, __u64 ctx,
			    __u64 port_context)
{
	__u32 off = 0;
	int i;

	for (i = 0; i < n; i++) {
		struct alpc_dgram h = header_at(buf, off);

		EXPECT_EQ(first_id + i, h.id);
		EXPECT_EQ(ctx + i, h.context);
		EXPECT_EQ(port_context, h.port_context);
		EXPECT_EQ(lens[i], h.len);
		EXPECT_EQ(0, h.flags);
		EXPECT_TRUE(alpc_check_fill((const char *)buf + off + sizeof(h), h.len,
					    (unsigned int)(ctx + i)));
		off += ALPC_DGRAM_SIZE(h.len);
	}
	return off;
}

/* Sends @n datagrams of @len bytes from @fd, all of them; returns the first id. */
static __u64 send_n(struct __test_metadata *_metadata, int fd, __u32 len, int n, __u64 ctx)
{
	static char buf[BUF_SIZE];
	struct alpc_dgrams d;

	dgrams_init(&d, buf, pack_same(buf, len, n, ctx), n, 0);
	EXPECT_EQ(0, send_dgrams(fd, &d));
	EXPECT_EQ(n, d.done);
	EXPECT_EQ(d.size, d.bytes);
	return d.first_id;
}

static void expect_empty(struct __test_metadata *_metadata, int fd)
{
	ASSERT_EQ(-1, alpc_recv_any(fd, 0, NULL));
	EXPECT_EQ(EAGAIN, errno);
}

FIXTURE(dgrams) {
	int dev;
	int port;
	int client;
	int comm;
	char *buf;
};

/* A port with @attr, and a connection to it accepted with @accept_flags. */
static void open_pair_attr(struct __test_metadata *_metadata, int dev,
			   struct alpc_port_attr *attr, __u32 accept_flags, const char *tag,
			   int *port, int *client, int *comm)
{
	char name[ALPC_NAME_MAX];

	alpc_port_name(name, tag);
	*client = alpc_open_pair(dev, name, attr, CTX, accept_flags, port, comm, NULL);
	ASSERT_LE(0, *port);
	ASSERT_LE(0, *client);
}

/* A port whose connections queue at most @max messages, and a connection to it. */
static void open_pair(struct __test_metadata *_metadata, int dev, __u32 max, __u32 accept_flags,
		      const char *tag, int *port, int *client, int *comm)
{
	struct alpc_port_attr attr = { .max_queued_msgs = max };

	open_pair_attr(_metadata, dev, &attr, accept_flags, tag, port, client, comm);
}

FIXTURE_SETUP(dgrams)
{
	self->port = -EBADF;
	self->client = -EBADF;
	self->comm = -EBADF;
	self->buf = malloc(BUF_SIZE);
	ASSERT_NE(NULL, self->buf);
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	open_pair(_metadata, self->dev, 1024, ALPC_ACCEPT_COMM_PORT, "dgrams",
		  &self->port, &self->client, &self->comm);
}

FIXTURE_TEARDOWN(dgrams)
{
	alpc_close_pair(self->client, self->comm, self->port);
	if (self->dev >= 0)
		close(self->dev);
	free(self->buf);
}

TEST_F(dgrams, feature_is_reported)
{
	struct alpc_features f;

	memset(&f, 0, sizeof(f));
	ASSERT_EQ(0, alpc_get_features(self->dev, &f));
	EXPECT_TRUE(f.features & ALPC_FEAT_DGRAMS);
	EXPECT_LE(4, f.version);
}

/* Sizes around the padding, up to the port's limit, arrive whole and in order. */
TEST_F(dgrams, round_trip_of_mixed_sizes)
{
	static const __u32 lens[] = { 0, 1, 7, 8, 9, 64, 255, ALPC_MSG_DEFAULT_MAX };
	int n = ARRAY_SIZE(lens);
	struct alpc_dgrams d, r;

	__u32 off = 0;
	int i;

	dgrams_init(&d, self->buf, pack(self->buf, lens, n, 500), n, 0);
	/* The sender's padding bytes are its own business. */
	for (i = 0; i < n; off += ALPC_DGRAM_SIZE(lens[i]), i++)
		memset(self->buf + off + sizeof(struct alpc_dgram) + lens[i], 0xee,
		       ALPC_DGRAM_SIZE(lens[i]) - sizeof(struct alpc_dgram) - lens[i]);
	ASSERT_EQ(0, send_dgrams(self->client, &d));
	EXPECT_EQ(n, d.done);
	EXPECT_EQ(d.size, d.bytes);
	EXPECT_NE(0, d.first_id);

	memset(self->buf, 0xaa, BUF_SIZE);
	dgrams_init(&r, self->buf, BUF_SIZE, ALPC_BATCH_MAX, 0);
	ASSERT_EQ(0, recv_dgrams(self->comm, &r));
	EXPECT_EQ(n, r.done);
	EXPECT_EQ(d.first_id, r.first_id);
	EXPECT_EQ(d.bytes, r.bytes);
	EXPECT_EQ(r.bytes, check_received(_metadata, self->buf, lens, n, d.first_id, 500, CTX));
	/* ... and reach the receiver zeroed. */
	for (i = 0, off = 0; i < n; off += ALPC_DGRAM_SIZE(lens[i]), i++) {
		__u32 pad = ALPC_DGRAM_SIZE(lens[i]) - sizeof(struct alpc_dgram) - lens[i];
		static const char zeros[8];

		EXPECT_EQ(0, memcmp(self->buf + off + sizeof(struct alpc_dgram) + lens[i],
				    zeros, pad));
	}
	expect_empty(_metadata, self->comm);
}

/* The datagrams' ids are consecutive, after every earlier message's. */
TEST_F(dgrams, ids_are_consecutive_and_grow)
{
	__u64 before, first, after;

	ASSERT_EQ(0, alpc_datagram(self->client, "x", 1, &before));
	first = send_n(_metadata, self->client, 3, 5, 0);
	ASSERT_EQ(0, alpc_datagram(self->client, "y", 1, &after));
	EXPECT_LT(before, first);
	EXPECT_LT(first + 4, after);
}

/* Each datagram is an ordinary message: ALPC_IOC_RECV takes them one by one. */
TEST_F(dgrams, each_is_received_by_recv)
{
	struct alpc_msg_info info;
	char buf[ALPC_MSG_DEFAULT_MAX];
	__u64 first;
	int i;

	first = send_n(_metadata, self->client, 40, 3, 70);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, alpc_recv(self->comm, buf, sizeof(buf), 0, &info));
		EXPECT_EQ(ALPC_MSG_DATAGRAM, info.type);
		EXPECT_EQ(first + i, info.id);
		EXPECT_EQ(70 + i, info.context);
		EXPECT_EQ(CTX, info.port_context);
		EXPECT_EQ(40, info.len);
		EXPECT_EQ(getpid(), info.pid);
		EXPECT_EQ(gettid(), info.tid);
		EXPECT_EQ(getuid(), info.uid);
		EXPECT_EQ(0, info.flags);
		EXPECT_TRUE(alpc_check_fill(buf, 40, 70 + i));
	}
	expect_empty(_metadata, self->comm);
}

/* Datagrams sent one by one are taken by RECV_DGRAMS, in order with the others. */
TEST_F(dgrams, recv_dgrams_takes_ordinary_datagrams_in_order)
{
	static const __u32 lens[] = { 1, 1, 1, 1, 1 };
	char one[1];
	struct alpc_dgrams r;
	__u64 id0, id4, first;

	alpc_fill(one, 1, 0);
	ASSERT_EQ(0, alpc_send(self->client, ALPC_MSG_DATAGRAM, one, 1, 0, 0, 0, &id0));
	first = send_n(_metadata, self->client, 1, 3, 1);
	alpc_fill(one, 1, 4);
	ASSERT_EQ(0, alpc_send(self->client, ALPC_MSG_DATAGRAM, one, 1, 4, 0, 0, &id4));

	dgrams_init(&r, self->buf, BUF_SIZE, ALPC_BATCH_MAX, 0);
	ASSERT_EQ(0, recv_dgrams(self->comm, &r));
	ASSERT_EQ(5, r.done);
	EXPECT_EQ(id0, r.first_id);
	EXPECT_EQ(id0, header_at(self->buf, 0).id);
	/* Contexts 0..4 in order; ids: id0, then the bundle's three, then id4. */
	check_received(_metadata, self->buf + ALPC_DGRAM_SIZE(1), lens, 3, first, 1, CTX);
	EXPECT_EQ(id4, header_at(self->buf, 4 * ALPC_DGRAM_SIZE(1)).id);
	EXPECT_EQ(4, header_at(self->buf, 4 * ALPC_DGRAM_SIZE(1)).context);
	EXPECT_EQ(0, header_at(self->buf, 0).context);
}

/* A receive takes at most @count datagrams, and no more than fit. */
TEST_F(dgrams, recv_stops_at_count_and_at_room)
{
	struct alpc_dgrams r;
	__u64 first;

	first = send_n(_metadata, self->client, 64, 6, 0);
	dgrams_init(&r, self->buf, BUF_SIZE, 2, 0);
	ASSERT_EQ(0, recv_dgrams(self->comm, &r));
	EXPECT_EQ(2, r.done);
	EXPECT_EQ(first, r.first_id);
	EXPECT_EQ(2 * ALPC_DGRAM_SIZE(64), r.bytes);

	/* Room for three and a half. */
	dgrams_init(&r, self->buf, 3 * ALPC_DGRAM_SIZE(64) + ALPC_DGRAM_SIZE(64) / 2,
		    ALPC_BATCH_MAX, 0);
	ASSERT_EQ(0, recv_dgrams(self->comm, &r));
	EXPECT_EQ(3, r.done);
	EXPECT_EQ(first + 2, r.first_id);
	EXPECT_EQ(3 * ALPC_DGRAM_SIZE(64), r.bytes);

	dgrams_init(&r, self->buf, BUF_SIZE, ALPC_BATCH_MAX, 0);
	ASSERT_EQ(0, recv_dgrams(self->comm, &r));
	EXPECT_EQ(1, r.done);
	EXPECT_EQ(first + 5, r.first_id);
	expect_empty(_metadata, self->comm);
}

/* Too little room for the oldest: EMSGSIZE, the room it needs, and it stays. */
TEST_F(dgrams, recv_without_room_is_emsgsize_with_room_needed)
{
	struct alpc_dgrams r;
	__u64 first;

	first = send_n(_metadata, self->client, 100, 1, 9);
	dgrams_init(&r, self->buf, ALPC_DGRAM_SIZE(100) - 1, 4, 0);
	ASSERT_EQ(-1, recv_dgrams(self->comm, &r));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(ALPC_DGRAM_SIZE(100), r.bytes);
	EXPECT_EQ(0, r.done);

	dgrams_init(&r, self->buf, ALPC_DGRAM_SIZE(100), 4, 0);
	ASSERT_EQ(0, recv_dgrams(self->comm, &r));
	EXPECT_EQ(1, r.done);
	EXPECT_EQ(first, r.first_id);
}

/*
 * A receive stops before a message that is not a plain datagram, and
 * fails with ENOMSG when it is the oldest; ALPC_IOC_RECV takes it.
 */
TEST_F(dgrams, recv_stops_before_a_request)
{
	struct alpc_msg_info info;
	struct alpc_dgrams r;
	__u64 first, req, last;

	first = send_n(_metadata, self->client, 8, 2, 0);
	ASSERT_EQ(0, alpc_request(self->client, "q", 1, &req));
	last = send_n(_metadata, self->client, 8, 1, 2);

	dgrams_init(&r, self->buf, BUF_SIZE, ALPC_BATCH_MAX, 0);
	ASSERT_EQ(0, recv_dgrams(self->comm, &r));
	EXPECT_EQ(2, r.done);
	EXPECT_EQ(first, r.first_id);

	dgrams_init(&r, self->buf, BUF_SIZE, ALPC_BATCH_MAX, 0);
	ASSERT_EQ(-1, recv_dgrams(self->comm, &r));
	EXPECT_EQ(ENOMSG, errno);
	EXPECT_EQ(0, r.done);

	ASSERT_EQ(0, alpc_recv_any(self->comm, 0, &info));
	EXPECT_EQ(ALPC_MSG_REQUEST, info.type);
	EXPECT_EQ(req, info.id);

	dgrams_init(&r, self->buf, BUF_SIZE, ALPC_BATCH_MAX, 0);
	ASSERT_EQ(0, recv_dgrams(self->comm, &r));
	EXPECT_EQ(1, r.done);
	EXPECT_EQ(last, r.first_id);
}

/* A datagram carrying fds is not plain: ENOMSG, and ALPC_IOC_RECV gets it with them. */
TEST_F(dgrams, datagram_with_fds_is_left_for_recv)
{
	struct alpc_port_attr attr = { .flags = ALPC_PORT_ALLOW_FDS };
	int port = -1, client = -1, comm = -1, fds[1], got[1];
	struct alpc_msg_attrs attrs;
	struct alpc_recv_extra x;
	struct alpc_msg_info info;
	struct alpc_dgrams r;
	__u64 id;

	open_pair_attr(_metadata, self->dev, &attr, ALPC_ACCEPT_COMM_PORT, "dgfd",
		       &port, &client, &comm);
	fds[0] = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, fds[0]);
	memset(&attrs, 0, sizeof(attrs));
	attrs.flags = ALPC_ATTR_FDS;
	attrs.fds = (__u64)(uintptr_t)fds;
	attrs.nfds = 1;
	ASSERT_EQ(0, alpc_send_attrs(client, ALPC_MSG_DATAGRAM, "f", 1, 0, 0, 0, &attrs, &id));

	dgrams_init(&r, self->buf, BUF_SIZE, ALPC_BATCH_MAX, 0);
	ASSERT_EQ(-1, recv_dgrams(comm, &r));
	EXPECT_EQ(ENOMSG, errno);

	memset(&x, 0, sizeof(x));
	x.fds = (__u64)(uintptr_t)got;
	x.fds_size = 1;
	ASSERT_EQ(0, alpc_recv_extra(comm, 0, self->buf, 16, 0, &x, &info));
	EXPECT_EQ(id, info.id);
	EXPECT_EQ(1, x.nfds);
	close(got[0]);
	close(fds[0]);
	alpc_close_pair(client, comm, port);
}

/* On a connection port, the connection's port context comes with each datagram. */
TEST_F(dgrams, connection_port_reports_port_context)
{
	static const __u32 lens[] = { 16, 16, 16 };
	int port = -1, client = -1, comm = -1;
	struct alpc_dgrams r;
	__u64 first;

	open_pair(_metadata, self->dev, 0, 0, "dgport", &port, &client, &comm);
	first = send_n(_metadata, client, 16, 3, 30);
	dgrams_init(&r, self->buf, BUF_SIZE, ALPC_BATCH_MAX, 0);
	ASSERT_EQ(0, recv_dgrams(port, &r));
	EXPECT_EQ(3, r.done);
	check_received(_metadata, self->buf, lens, 3, first, 30, CTX);
	alpc_close_pair(client, comm, port);
}

/* The server sends to its client, which sees no port context. */
TEST_F(dgrams, server_to_client)
{
	static const __u32 lens[] = { 5, 6 };
	struct alpc_dgrams d, r;

	dgrams_init(&d, self->buf, pack(self->buf, lens, 2, 800), 2, 0);
	ASSERT_EQ(0, send_dgrams(self->comm, &d));
	ASSERT_EQ(2, d.done);
	dgrams_init(&r, self->buf, BUF_SIZE, ALPC_BATCH_MAX, 0);
	ASSERT_EQ(0, recv_dgrams(self->client, &r));
	EXPECT_EQ(2, r.done);
	check_received(_metadata, self->buf, lens, 2, d.first_id, 800, 0);
}

TEST_F(dgrams, send_on_connection_port_is_eopnotsupp)
{
	struct alpc_dgrams d;

	dgrams_init(&d, self->buf, pack_same(self->buf, 4, 1, 0), 1, 0);
	ASSERT_EQ(-1, send_dgrams(self->port, &d));
	EXPECT_EQ(EOPNOTSUPP, errno);
	/* Whatever else is wrong with it. */
	dgrams_init(&d, NULL, BUF_SIZE, 2, 0);
	ASSERT_EQ(-1, send_dgrams(self->port, &d));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

/* Sends @d as given, expects -1 with @err, and that nothing was queued. */
static void send_fails(struct __test_metadata *_metadata, int fd, int peer,
		       struct alpc_dgrams *d, int err)
{
	ASSERT_EQ(-1, send_dgrams(fd, d));
	EXPECT_EQ(err, errno);
	expect_empty(_metadata, peer);
}

/* Header number @i of datagrams of @len bytes, for corrupting. */
static struct alpc_dgram *nth_len(char *buf, __u32 len, int i)
{
	return (struct alpc_dgram *)(buf + i * ALPC_DGRAM_SIZE(len));
}

static struct alpc_dgram *nth(char *buf, int i)
{
	return nth_len(buf, 8, i);
}

/*
 * Every header is checked before anything is queued: a bad last one of
 * four queues none of the first three.
 */
TEST_F(dgrams, bad_send_queues_nothing)
{
	__u32 size = pack_same(self->buf, 8, 4, 0);
	struct alpc_dgrams d;

	dgrams_init(&d, self->buf, size, 4, 0);
	d.flags = ALPC_UNKNOWN_FLAG;
	send_fails(_metadata, self->client, self->comm, &d, EINVAL);
	dgrams_init(&d, self->buf, size, 4, 0);
	d.reserved = 1;
	send_fails(_metadata, self->client, self->comm, &d, EINVAL);
	dgrams_init(&d, self->buf, size, 0, 0);
	send_fails(_metadata, self->client, self->comm, &d, EINVAL);
	dgrams_init(&d, self->buf, BUF_SIZE, ALPC_BATCH_MAX + 1, 0);
	send_fails(_metadata, self->client, self->comm, &d, EINVAL);
	/* More records than the buffer holds. */
	dgrams_init(&d, self->buf, size, 5, 0);
	send_fails(_metadata, self->client, self->comm, &d, EINVAL);
	/* The last record's padding cut off. */
	dgrams_init(&d, self->buf, size - 1, 4, 0);
	send_fails(_metadata, self->client, self->comm, &d, EINVAL);
	/* Room to spare after the last. */
	dgrams_init(&d, self->buf, size + 8, 4, 0);
	send_fails(_metadata, self->client, self->comm, &d, EINVAL);
	/* More bytes than @count records of the port's largest could take. */
	dgrams_init(&d, self->buf, ALPC_DGRAM_SIZE(ALPC_MSG_DEFAULT_MAX) + 8, 1, 0);
	send_fails(_metadata, self->client, self->comm, &d, EMSGSIZE);

	dgrams_init(&d, self->buf, size, 4, 0);
	nth(self->buf, 3)->id = 1;
	send_fails(_metadata, self->client, self->comm, &d, EINVAL);
	nth(self->buf, 3)->id = 0;
	nth(self->buf, 3)->port_context = 1;
	send_fails(_metadata, self->client, self->comm, &d, EINVAL);
	nth(self->buf, 3)->port_context = 0;
	nth(self->buf, 3)->flags = ALPC_MSGF_CRED_CHANGED;
	send_fails(_metadata, self->client, self->comm, &d, EINVAL);
	nth(self->buf, 3)->flags = 0;
	/* A length that runs past the buffer. */
	nth(self->buf, 3)->len = 9;
	send_fails(_metadata, self->client, self->comm, &d, EINVAL);
	/* Over the port's max_msg_len. */
	nth(self->buf, 3)->len = ALPC_MSG_DEFAULT_MAX + 1;
	send_fails(_metadata, self->client, self->comm, &d, EMSGSIZE);
	nth(self->buf, 3)->len = 8;

	/* And the same buffer, mended, goes. */
	ASSERT_EQ(0, send_dgrams(self->client, &d));
	EXPECT_EQ(4, d.done);
}

/* Three pages, the middle one inaccessible; returns the first. */
static char *guarded_pages(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + pg, pg, PROT_NONE)) {
		munmap(p, 3 * pg);
		return NULL;
	}
	return p;
}

TEST_F(dgrams, bad_pointers_are_efault_and_queue_nothing)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct alpc_dgrams d, *ro;
	char *p = guarded_pages();
	__u32 size;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(-1, ioctl(self->client, ALPC_IOC_SEND_DGRAMS, p + pg));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->comm, ALPC_IOC_RECV_DGRAMS, p + pg));
	EXPECT_EQ(EFAULT, errno);

	/* Records that run into the inaccessible page. */
	size = pack_same(p + pg - ALPC_DGRAM_SIZE(8), 8, 1, 0);
	dgrams_init(&d, p + pg - ALPC_DGRAM_SIZE(8), size + ALPC_DGRAM_SIZE(8), 2, 0);
	send_fails(_metadata, self->client, self->comm, &d, EFAULT);
	dgrams_init(&d, NULL, size, 1, 0);
	send_fails(_metadata, self->client, self->comm, &d, EFAULT);

	/* A struct the kernel cannot write back to: refused before sending. */
	ro = (struct alpc_dgrams *)(p + 2 * pg);
	dgrams_init(ro, self->buf, pack_same(self->buf, 8, 2, 0), 2, 0);
	ASSERT_EQ(0, mprotect(ro, pg, PROT_READ));
	send_fails(_metadata, self->client, self->comm, ro, EFAULT);
	ASSERT_EQ(0, mprotect(ro, pg, PROT_READ | PROT_WRITE));

	/* And a receive that cannot report leaves the datagrams queued. */
	send_n(_metadata, self->client, 8, 2, 0);
	dgrams_init(ro, self->buf, BUF_SIZE, ALPC_BATCH_MAX, 0);
	ASSERT_EQ(0, mprotect(ro, pg, PROT_READ));
	ASSERT_EQ(-1, recv_dgrams(self->comm, ro));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, mprotect(ro, pg, PROT_READ | PROT_WRITE));
	dgrams_init(&d, self->buf, BUF_SIZE, ALPC_BATCH_MAX, 0);
	ASSERT_EQ(0, recv_dgrams(self->comm, &d));
	EXPECT_EQ(2, d.done);
	munmap(p, 3 * pg);
}

TEST_F(dgrams, bad_receive_args_are_einval_and_take_nothing)
{
	struct alpc_dgrams r;
	__u64 first;

	first = send_n(_metadata, self->client, 8, 1, 0);
	dgrams_init(&r, self->buf, BUF_SIZE, 0, 0);
	ASSERT_EQ(-1, recv_dgrams(self->comm, &r));
	EXPECT_EQ(EINVAL, errno);
	dgrams_init(&r, self->buf, BUF_SIZE, ALPC_BATCH_MAX + 1, 0);
	ASSERT_EQ(-1, recv_dgrams(self->comm, &r));
	EXPECT_EQ(EINVAL, errno);
	dgrams_init(&r, self->buf, BUF_SIZE, 1, 0);
	r.flags = ALPC_UNKNOWN_FLAG;
	ASSERT_EQ(-1, recv_dgrams(self->comm, &r));
	EXPECT_EQ(EINVAL, errno);
	dgrams_init(&r, self->buf, BUF_SIZE, 1, 0);
	r.reserved = 1;
	ASSERT_EQ(-1, recv_dgrams(self->comm, &r));
	EXPECT_EQ(EINVAL, errno);

	dgrams_init(&r, self->buf, BUF_SIZE, 1, 0);
	ASSERT_EQ(0, recv_dgrams(self->comm, &r));
	EXPECT_EQ(first, r.first_id);
}

/*
 * A receive whose buffer faults part way keeps what it wrote and leaves
 * the datagram that faulted queued, with those after it, in order; one
 * that faults on the first takes nothing.
 */
TEST_F(dgrams, fault_while_copying_out_requeues_the_rest)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = guarded_pages();
	__u32 rec = ALPC_DGRAM_SIZE(64);
	struct alpc_dgrams r;
	__u64 first;
	int i;

	ASSERT_NE(NULL, p);
	first = send_n(_metadata, self->client, 64, 5, 100);

	/* Room for two before the guard page. */
	dgrams_init(&r, p + pg - 2 * rec, 5 * rec, 5, 0);
	ASSERT_EQ(0, recv_dgrams(self->comm, &r));
	EXPECT_EQ(2, r.done);
	EXPECT_EQ(2 * rec, r.bytes);
	EXPECT_EQ(first, r.first_id);

	dgrams_init(&r, p + pg, 5 * rec, 5, 0);
	ASSERT_EQ(-1, recv_dgrams(self->comm, &r));
	EXPECT_EQ(EFAULT, errno);

	/* The payload, not the header, faults. */
	dgrams_init(&r, p + pg - sizeof(struct alpc_dgram), 5 * rec, 5, 0);
	ASSERT_EQ(-1, recv_dgrams(self->comm, &r));
	EXPECT_EQ(EFAULT, errno);

	for (i = 2; i < 5; i++) {
		struct alpc_msg_info info;
		char buf[64];

		ASSERT_EQ(0, alpc_recv(self->comm, buf, sizeof(buf), 0, &info));
		EXPECT_EQ(first + i, info.id);
		EXPECT_TRUE(alpc_check_fill(buf, 64, 100 + i));
	}
	expect_empty(_metadata, self->comm);
	munmap(p, 3 * pg);
}

/*
 * All or none: a send waits for room for every datagram it carries, and
 * without it (timeout 0, or run out) queues none.
 */
TEST_F(dgrams, send_is_all_or_none_on_a_full_queue)
{
	int port = -1, client = -1, comm = -1;
	struct alpc_dgrams d, r;
	__s64 start;
	__u64 first;

	open_pair(_metadata, self->dev, 4, ALPC_ACCEPT_COMM_PORT, "dgfull", &port, &client, &comm);
	first = send_n(_metadata, client, 8, 2, 0);
	dgrams_init(&d, self->buf, pack_same(self->buf, 8, 3, 2), 3, 0);
	ASSERT_EQ(-1, send_dgrams(client, &d));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, d.done);
	d.timeout_ns = 50 * ALPC_NS_PER_MS;
	start = alpc_now_ns();
	ASSERT_EQ(-1, send_dgrams(client, &d));
	EXPECT_EQ(ETIMEDOUT, errno);
	EXPECT_LE(ALPC_MIN_WAIT_NS(50 * ALPC_NS_PER_MS), alpc_now_ns() - start);

	/* Still the two, and no more; with them gone, the three fit. */
	dgrams_init(&r, self->buf + BUF_SIZE / 2, BUF_SIZE / 2, ALPC_BATCH_MAX, 0);
	ASSERT_EQ(0, recv_dgrams(comm, &r));
	EXPECT_EQ(2, r.done);
	EXPECT_EQ(first, r.first_id);
	expect_empty(_metadata, comm);
	d.timeout_ns = 0;
	ASSERT_EQ(0, send_dgrams(client, &d));
	EXPECT_EQ(3, d.done);
	EXPECT_EQ(d.size, d.bytes);
	ASSERT_EQ(0, recv_dgrams(comm, &r));
	EXPECT_EQ(3, r.done);
	EXPECT_EQ(d.first_id, r.first_id);
	EXPECT_EQ(2, header_at(self->buf + BUF_SIZE / 2, 0).context);
	alpc_close_pair(client, comm, port);
}

/* A bundle the queue could never hold at once is EMSGSIZE, by count or by bytes. */
TEST_F(dgrams, bundle_over_the_queue_limits_is_emsgsize)
{
	struct alpc_port_attr attr = {
		.max_msg_len = 512,
		.max_queued_msgs = 4,
		.max_queued_bytes = 1024,
	};
	int port = -1, client = -1, comm = -1;
	struct alpc_dgrams d;

	open_pair_attr(_metadata, self->dev, &attr, ALPC_ACCEPT_COMM_PORT, "dglim",
		       &port, &client, &comm);
	dgrams_init(&d, self->buf, pack_same(self->buf, 8, 5, 0), 5, ALPC_WAIT_NS);
	send_fails(_metadata, client, comm, &d, EMSGSIZE);
	dgrams_init(&d, self->buf, pack_same(self->buf, 256, 4, 0), 4, ALPC_WAIT_NS);
	nth_len(self->buf, 256, 3)->len = 1024 - 3 * 256 + 1;
	d.size = 3 * ALPC_DGRAM_SIZE(256) + ALPC_DGRAM_SIZE(1024 - 3 * 256 + 1);
	send_fails(_metadata, client, comm, &d, EMSGSIZE);
	/* Checked before the datagrams are read: no EFAULT for a NULL buffer. */
	dgrams_init(&d, NULL, 1024 + 4 * (ALPC_DGRAM_SIZE(0) + 7) + 8, 4, ALPC_WAIT_NS);
	send_fails(_metadata, client, comm, &d, EMSGSIZE);
	dgrams_init(&d, NULL, 8, 5, ALPC_WAIT_NS);
	send_fails(_metadata, client, comm, &d, EMSGSIZE);
	/* Exactly the limits: it goes. */
	dgrams_init(&d, self->buf, 4 * ALPC_DGRAM_SIZE(256), 4, ALPC_WAIT_NS);
	nth_len(self->buf, 256, 3)->len = 256;
	d.size = 4 * ALPC_DGRAM_SIZE(256);
	ASSERT_EQ(0, send_dgrams(client, &d));
	EXPECT_EQ(4, d.done);
	alpc_close_pair(client, comm, port);
}

/*
 * A send that waits for room waits for room for all of it: a bundle of
 * 8 behind 8 queued goes only when the receiver has taken all 8, and the
 * receiver gets every bundle, in order.
 */
TEST_F(dgrams, blocked_send_waits_for_room_for_all)
{
	int port = -1, client = -1, comm = -1, i;
	struct alpc_msg_info info;
	struct alpc_dgrams d, r;
	struct alpc_call call;
	char *rbuf = malloc(BUF_SIZE);
	__u64 first;

	ASSERT_NE(NULL, rbuf);
	open_pair(_metadata, self->dev, 8, ALPC_ACCEPT_COMM_PORT, "dgblk", &port, &client, &comm);
	first = send_n(_metadata, client, 16, 8, 0);
	dgrams_init(&d, self->buf, pack_same(self->buf, 16, 8, 8), 8, ALPC_WAIT_NS);
	ASSERT_EQ(0, alpc_call_start(&call, client, ALPC_IOC_SEND_DGRAMS, &d));
	for (i = 0; i < 7; i++) {
		ASSERT_EQ(0, alpc_recv(comm, rbuf, 16, 0, &info));
		EXPECT_EQ(first + i, info.id);
		EXPECT_TRUE(alpc_call_still_waits(&call, i ? 5 : 100));
	}
	ASSERT_EQ(0, alpc_recv(comm, rbuf, 16, 0, &info));
	ASSERT_EQ(0, alpc_call_join(&call));
	EXPECT_EQ(8, d.done);
	dgrams_init(&r, rbuf, BUF_SIZE, ALPC_BATCH_MAX, 0);
	ASSERT_EQ(0, recv_dgrams(comm, &r));
	EXPECT_EQ(8, r.done);
	EXPECT_EQ(d.first_id, r.first_id);
	for (i = 0; i < 8; i++) {
		struct alpc_dgram h = header_at(rbuf, i * ALPC_DGRAM_SIZE(16));

		EXPECT_EQ(8 + i, h.context);
		EXPECT_TRUE(alpc_check_fill(rbuf + i * ALPC_DGRAM_SIZE(16) + sizeof(h), 16, 8 + i));
	}
	free(rbuf);
	alpc_close_pair(client, comm, port);
}

/*
 * A reply smaller than its request gives back room in the requester's
 * direction: a bundle waiting for it goes at once.
 */
TEST_F(dgrams, smaller_reply_makes_room_for_a_waiting_bundle)
{
	struct alpc_port_attr attr = { .max_msg_len = 4096, .max_queued_bytes = 4096 };
	int port = -1, client = -1, comm = -1;
	struct alpc_msg_info info;
	struct alpc_dgrams d;
	struct alpc_call call;
	__u64 req;
	__s64 start;

	open_pair_attr(_metadata, self->dev, &attr, ALPC_ACCEPT_COMM_PORT, "dgreply",
		       &port, &client, &comm);
	ASSERT_EQ(0, alpc_send(client, ALPC_MSG_REQUEST, self->buf, 4000, 0, 0, 0, &req));
	dgrams_init(&d, self->buf + 8192, pack_same(self->buf + 8192, 100, 2, 0), 2,
		    10000 * ALPC_NS_PER_MS);
	ASSERT_EQ(0, alpc_call_start(&call, client, ALPC_IOC_SEND_DGRAMS, &d));
	EXPECT_TRUE(alpc_call_still_waits(&call, 100));
	ASSERT_EQ(0, alpc_recv(comm, self->buf + 16384, 4096, 0, &info));
	EXPECT_EQ(req, info.id);
	start = alpc_now_ns();
	ASSERT_EQ(0, alpc_reply(comm, req, "ok", 2));
	ASSERT_EQ(0, alpc_call_join(&call));
	EXPECT_EQ(2, d.done);
	/* Woken by the reply, not by the end of its 10 s wait. */
	EXPECT_GT(5000 * ALPC_NS_PER_MS, call.end_ns - start);
	alpc_close_pair(client, comm, port);
}

TEST_F(dgrams, receive_waits_for_the_first_or_times_out)
{
	struct alpc_dgrams r;
	struct alpc_call call;
	__s64 start;
	__u64 first;

	dgrams_init(&r, self->buf, BUF_SIZE, ALPC_BATCH_MAX, 0);
	ASSERT_EQ(-1, recv_dgrams(self->comm, &r));
	EXPECT_EQ(EAGAIN, errno);
	r.timeout_ns = 30 * ALPC_NS_PER_MS;
	start = alpc_now_ns();
	ASSERT_EQ(-1, recv_dgrams(self->comm, &r));
	EXPECT_EQ(ETIMEDOUT, errno);
	EXPECT_LE(ALPC_MIN_WAIT_NS(30 * ALPC_NS_PER_MS), alpc_now_ns() - start);

	dgrams_init(&r, self->buf, BUF_SIZE, ALPC_BATCH_MAX, ALPC_WAIT_NS);
	ASSERT_EQ(0, alpc_call_start(&call, self->comm, ALPC_IOC_RECV_DGRAMS, &r));
	EXPECT_TRUE(alpc_call_still_waits(&call, 50));
	first = send_n(_metadata, self->client, 8, 3, 0);
	ASSERT_EQ(0, alpc_call_join(&call));
	EXPECT_LE(1, r.done);
	EXPECT_EQ(first, r.first_id);
}

/* A receiver asleep in RECV_DGRAMS of one each: one send of four wakes four. */
struct waiter {
	pthread_t thread;
	int fd;
	int ret;
	int err;
	__u32 done;
	__s64 end_ns;
	char buf[ALPC_DGRAM_SIZE(8)];
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct alpc_dgrams r;

	dgrams_init(&r, w->buf, sizeof(w->buf), 1, 10000 * ALPC_NS_PER_MS);
	w->ret = recv_dgrams(w->fd, &r);
	w->err = errno;
	w->done = r.done;
	w->end_ns = alpc_now_ns();
	return NULL;
}

TEST_F(dgrams, one_send_wakes_as_many_receivers_as_datagrams)
{
	struct waiter w[4];
	__s64 start;
	int i;

	for (i = 0; i < 4; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].fd = self->comm;
		ASSERT_EQ(0, pthread_create(&w[i].thread, NULL, waiter_main, &w[i]));
	}
	alpc_sleep_ms(200);
	start = alpc_now_ns();
	send_n(_metadata, self->client, 8, 4, 0);
	for (i = 0; i < 4; i++) {
		pthread_join(w[i].thread, NULL);
		EXPECT_EQ(0, w[i].ret);
		EXPECT_EQ(1, w[i].done);
		/* A lost wake-up shows as a receive that ends after its 10 s wait. */
		EXPECT_GT(5000 * ALPC_NS_PER_MS, w[i].end_ns - start);
	}
}

/* Each datagram posts its own completion entry, with its id. */
TEST_F(dgrams, each_posts_a_completion_entry)
{
	struct alpc_completion e[8];
	__u64 first, count = 0;
	int efd, cp, i;
	__u32 n;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	cp = alpc_create_completion(self->dev, efd, 0, 0);
	ASSERT_LE(0, cp);
	ASSERT_EQ(0, alpc_associate(self->comm, cp, KEY));
	first = send_n(_metadata, self->client, 8, 5, 0);
	ASSERT_EQ(sizeof(count), read(efd, &count, sizeof(count)));
	EXPECT_EQ(5, count);
	ASSERT_EQ(0, alpc_dequeue(cp, e, 8, 0, &n));
	ASSERT_EQ(5, n);
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(KEY, e[i].key);
		EXPECT_EQ(first + i, e[i].msg_id);
		EXPECT_EQ(ALPC_MSG_DATAGRAM, e[i].kind);
		EXPECT_EQ(0, e[i].status);
	}
	close(cp);
	close(efd);
}

/* ALPC_BATCH_MAX datagrams in one call each way. */
TEST_F(dgrams, batch_max_each_way)
{
	struct alpc_dgrams r;
	__u64 first;

	first = send_n(_metadata, self->client, 0, ALPC_BATCH_MAX, 0);
	dgrams_init(&r, self->buf, BUF_SIZE, ALPC_BATCH_MAX, 0);
	ASSERT_EQ(0, recv_dgrams(self->comm, &r));
	EXPECT_EQ(ALPC_BATCH_MAX, r.done);
	EXPECT_EQ(first, r.first_id);
	EXPECT_EQ(ALPC_BATCH_MAX * ALPC_DGRAM_SIZE(0), r.bytes);
	EXPECT_EQ(first + ALPC_BATCH_MAX - 1,
		  header_at(self->buf, (ALPC_BATCH_MAX - 1) * ALPC_DGRAM_SIZE(0)).id);
}

/*
 * The end of a connection: what was sent before it is received, then the
 * notice; a send to a closed connection is ECONNRESET and queues nothing.
 * Datagrams of half-received bundles are freed with the connection (the
 * debug kernel's kmemleak checks).
 */
TEST_F(dgrams, connection_end)
{
	struct alpc_msg_info info;
	struct alpc_dgrams r;
	__u64 first;

	first = send_n(_metadata, self->client, 8, 3, 0);
	send_n(_metadata, self->comm, 8, 3, 0);
	close(self->client);
	self->client = -EBADF;

	dgrams_init(&r, self->buf, BUF_SIZE, ALPC_BATCH_MAX, 0);
	ASSERT_EQ(0, recv_dgrams(self->comm, &r));
	EXPECT_EQ(3, r.done);
	EXPECT_EQ(first, r.first_id);
	ASSERT_EQ(-1, recv_dgrams(self->comm, &r));
	EXPECT_EQ(ENOMSG, errno);
	ASSERT_EQ(0, alpc_recv_any(self->comm, 0, &info));
	EXPECT_EQ(ALPC_MSG_PORT_CLOSED, info.type);
	ASSERT_EQ(-1, recv_dgrams(self->comm, &r));
	EXPECT_EQ(ECONNRESET, errno);

	dgrams_init(&r, self->buf, pack_same(self->buf, 8, 2, 0), 2, 0);
	ASSERT_EQ(-1, send_dgrams(self->comm, &r));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(0, r.done);
}

TEST_F(dgrams, unreceived_bundles_go_with_the_port)
{
	struct alpc_dgrams r;
	int i;

	for (i = 0; i < 8; i++)
		send_n(_metadata, self->client, 32, 16, i * 16);
	/* Half of one bundle received, the rest left. */
	dgrams_init(&r, self->buf, BUF_SIZE, 8, 0);
	ASSERT_EQ(0, recv_dgrams(self->comm, &r));
	EXPECT_EQ(8, r.done);
	alpc_close_pair(self->client, self->comm, self->port);
	self->client = -EBADF;
	self->comm = -EBADF;
	self->port = -EBADF;
}

/*
 * A sender that changed its credentials since it connected has its
 * datagrams flagged, as ALPC_IOC_RECV flags its messages.
 */
static int setuid_sender(void *arg)
{
	int fd = *(int *)arg;
	struct alpc_dgrams d;
	char buf[ALPC_DGRAM_SIZE(4)];

	if (setresuid(1000, 1000, 1000))
		return ALPC_CHILD_NO_SETUP;
	dgrams_init(&d, buf, pack_same(buf, 4, 1, 7), 1, 0);
	if (send_dgrams(fd, &d) || d.done != 1)
		return CHILD_FAIL("SEND_DGRAMS");
	return 0;
}

TEST_F(dgrams, changed_credentials_are_flagged)
{
	struct alpc_dgrams r;
	struct alpc_dgram h;
	int status;

	if (geteuid())
		SKIP(return, "needs root to change uid");
	status = alpc_wait_child(alpc_spawn(setuid_sender, &self->client));
	ASSERT_EQ(0, status);
	dgrams_init(&r, self->buf, BUF_SIZE, ALPC_BATCH_MAX, 0);
	ASSERT_EQ(0, recv_dgrams(self->comm, &r));
	ASSERT_EQ(1, r.done);
	h = header_at(self->buf, 0);
	EXPECT_EQ(7, h.context);
	EXPECT_EQ(ALPC_MSGF_CRED_CHANGED, h.flags);
}

TEST_HARNESS_MAIN
