// SPDX-License-Identifier: GPL-2.0
/*
 * Direct access (ALPC_IOC_ACCESS): a request lends a region of its
 * sender's memory, which the request's receiver may read or write while
 * the request is outstanding, and only then, only inside the region, only
 * with the rights lent, and only on the fd that received it.
 *
 * Every test runs twice: with the server receiving on its connection port,
 * and with the server holding a communication port for the connection.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "alpc_util.h"

FIXTURE(acc) {
	int dev;
	struct alpc_link l;	/* on a port with ALPC_PORT_DIRECT_ACCESS */
	struct alpc_link other;	/* a second connection, for tests that need one */
	pid_t child;
	int sync[2];
	unsigned char *mem;	/* MEM_PAGES pages of the sender's, pattern 1 */
	unsigned char *model;	/* what mem must hold */
	size_t mem_len;
};

FIXTURE_VARIANT(acc) {
	bool comm_port;
};

FIXTURE_VARIANT_ADD(acc, on_connection_port) {
	.comm_port = false,
};

FIXTURE_VARIANT_ADD(acc, on_comm_port) {
	.comm_port = true,
};

#define MEM_PAGES	4

FIXTURE_SETUP(acc)
{
	struct alpc_port_attr attr = { .flags = ALPC_PORT_DIRECT_ACCESS };

	alpc_link_init(&self->l);
	alpc_link_init(&self->other);
	self->child = 0;
	self->sync[0] = -EBADF;
	self->sync[1] = -EBADF;
	self->mem_len = MEM_PAGES * alpc_page_size();
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, alpc_link_open(&self->l, self->dev, &attr, variant->comm_port));
	ASSERT_EQ(0, pipe2(self->sync, O_CLOEXEC));
	self->mem = mmap(NULL, self->mem_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	self->model = malloc(self->mem_len);
	ASSERT_NE(NULL, self->model);
	alpc_pat_fill(self->mem, self->mem_len, 1, 0);
	memcpy(self->model, self->mem, self->mem_len);
}

FIXTURE_TEARDOWN(acc)
{
	alpc_kill_child(&self->child);
	if (self->sync[0] >= 0)
		close(self->sync[0]);
	if (self->sync[1] >= 0)
		close(self->sync[1]);
	alpc_link_close(&self->other);
	alpc_link_close(&self->l);
	if (self->dev >= 0)
		close(self->dev);
	if (self->mem && self->mem != MAP_FAILED)
		munmap(self->mem, self->mem_len);
	free(self->model);
}

/* Sends a REQUEST on @fd lending @len bytes at @addr with @flags; *@id gets its id. */
static int lend(int fd, const void *addr, __u64 len, __u32 flags, __u64 *id)
{
	struct alpc_msg_attrs a;

	alpc_region_attrs(&a, addr, len, flags);
	return alpc_send_attrs(fd, ALPC_MSG_REQUEST, NULL, 0, 0, 0, 0, &a, id);
}

/* Sends a lending request from @l's client and receives it on its server. */
static int lend_across(const struct alpc_link *l, const void *addr, __u64 len, __u32 flags,
		       struct alpc_msg_info *info)
{
	__u64 id;

	if (lend(l->client, addr, len, flags, &id))
		return -1;
	if (alpc_recv(l->srv, NULL, 0, ALPC_LONG_WAIT_NS, info))
		return -1;
	if (info->id != id) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

/* Nothing is queued for the server (after a send that must have failed). */
static bool nothing_queued(int srv)
{
	return alpc_recv(srv, NULL, 0, 0, NULL) == -1 && errno == EAGAIN;
}

/* Reads inside the region return the sender's bytes, at odd offsets and across pages. */
TEST_F(acc, read_inside_region_returns_senders_bytes)
{
	const size_t page = alpc_page_size(), start = 1, len = 3 * page + 5;
	const struct { __u64 off, len; } reads[] = {
		{ 0, len }, { 0, 1 }, { 1, 1 }, { page - 1, 2 }, { page - start, page },
		{ 3, 2 * page + 1 }, { len - 1, 1 }, { len - 4097, 4097 },
	};
	struct alpc_msg_info info;
	unsigned char *buf;
	unsigned int i;
	__u64 done;

	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, lend_across(&self->l, self->mem + start, len, ALPC_REGION_READ, &info));
	ASSERT_EQ(ALPC_MSG_REQUEST, info.type);
	ASSERT_EQ(ALPC_MSGF_REGION_READ, info.flags);
	ASSERT_EQ(len, info.region_len);
	for (i = 0; i < ARRAY_SIZE(reads); i++) {
		memset(buf, 0xee, len);
		ASSERT_EQ(0, alpc_access(self->l.srv, info.id, ALPC_ACCESS_READ, reads[i].off,
					 reads[i].len, buf, &done));
		ASSERT_EQ(reads[i].len, done);
		ASSERT_EQ(-1, alpc_pat_check(buf, reads[i].len, 1, start + reads[i].off));
		ASSERT_TRUE(alpc_all(buf + reads[i].len, len - reads[i].len, 0xee));
	}
	ASSERT_EQ(0, memcmp(self->model, self->mem, self->mem_len));
	free(buf);
}

/* Writes inside the region land in the sender's memory, and nowhere else. */
TEST_F(acc, write_inside_region_changes_senders_bytes)
{
	const size_t page = alpc_page_size(), start = page + 3, len = 2 * page + 7;
	const struct { __u64 off, len; } writes[] = {
		{ 0, 1 }, { len - 1, 1 }, { page - 4, 5 }, { 100, page + 1 }, { 0, len },
		{ 2 * page - start, 1 }, { 1, len - 2 },
	};
	struct alpc_msg_info info;
	unsigned char *buf;
	unsigned int i;
	__u64 done;

	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, lend_across(&self->l, self->mem + start, len,
				 ALPC_REGION_READ | ALPC_REGION_WRITE, &info));
	ASSERT_EQ(ALPC_MSGF_REGION_READ | ALPC_MSGF_REGION_WRITE, info.flags);
	for (i = 0; i < ARRAY_SIZE(writes); i++) {
		alpc_pat_fill(buf, writes[i].len, 10 + i, 0);
		ASSERT_EQ(0, alpc_access(self->l.srv, info.id, ALPC_ACCESS_WRITE, writes[i].off,
					 writes[i].len, buf, &done));
		ASSERT_EQ(writes[i].len, done);
		memcpy(self->model + start + writes[i].off, buf, writes[i].len);
		ASSERT_EQ(0, memcmp(self->model, self->mem, self->mem_len));
	}
	/* And the receiver reads back what it wrote. */
	ASSERT_EQ(0, alpc_access(self->l.srv, info.id, ALPC_ACCESS_READ, 0, len, buf, &done));
	ASSERT_EQ(0, memcmp(self->model + start, buf, len));
	free(buf);
}

/* A 1 MiB region at an odd address is read and written whole, intact. */
TEST_F_TIMEOUT(acc, region_of_1_mib_is_read_and_written_intact, 120)
{
	const size_t len = ALPC_MIB + 3, mlen = ALPC_MIB + 2 * alpc_page_size();
	struct alpc_msg_info info;
	unsigned char *mem, *buf;
	__u64 done;

	mem = mmap(NULL, mlen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	alpc_pat_fill(mem, mlen, 2, 0);
	ASSERT_EQ(0, lend_across(&self->l, mem + 7, len, ALPC_REGION_READ | ALPC_REGION_WRITE,
				 &info));
	ASSERT_EQ(0, alpc_access(self->l.srv, info.id, ALPC_ACCESS_READ, 0, len, buf, &done));
	ASSERT_EQ(len, done);
	ASSERT_EQ(-1, alpc_pat_check(buf, len, 2, 7));

	alpc_pat_fill(buf, len, 3, 0);
	ASSERT_EQ(0, alpc_access(self->l.srv, info.id, ALPC_ACCESS_WRITE, 0, len, buf, &done));
	ASSERT_EQ(len, done);
	ASSERT_EQ(-1, alpc_pat_check(mem, 7, 2, 0));
	ASSERT_EQ(-1, alpc_pat_check(mem + 7, len, 3, 0));
	ASSERT_EQ(-1, alpc_pat_check(mem + 7 + len, mlen - 7 - len, 2, 7 + len));
	ASSERT_EQ(0, alpc_reply(self->l.srv, info.id, NULL, 0));
	free(buf);
	munmap(mem, mlen);
}

/* A request that lends memory, sent with SEND_WAIT: read, write, reply. */
TEST_F(acc, send_wait_lends_memory_until_the_reply)
{
	struct alpc_msg_info info;
	struct alpc_send_wait sw;
	struct alpc_msg_attrs a;
	struct alpc_call call;
	unsigned char buf[64];
	__u64 done;

	alpc_region_attrs(&a, self->mem, 64, ALPC_REGION_READ | ALPC_REGION_WRITE);
	alpc_send_wait_init(&sw, NULL, 0, NULL, 0, ALPC_LONG_WAIT_NS);
	sw.attrs = (__u64)(unsigned long)&a;
	ASSERT_EQ(0, alpc_call_start(&call, self->l.client, ALPC_IOC_SEND_WAIT, &sw));
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(64, info.region_len);
	ASSERT_EQ(0, alpc_access(self->l.srv, info.id, ALPC_ACCESS_READ, 0, 64, buf, &done));
	ASSERT_EQ(0, memcmp(self->model, buf, 64));
	memset(buf, 0x42, sizeof(buf));
	ASSERT_EQ(0, alpc_access(self->l.srv, info.id, ALPC_ACCESS_WRITE, 32, 32, buf, &done));
	ASSERT_EQ(0, alpc_reply(self->l.srv, info.id, NULL, 0));
	ASSERT_EQ(0, alpc_call_join(&call));
	ASSERT_EQ(info.id, sw.reply.ref_id);
	ASSERT_EQ(0, memcmp(self->model, self->mem, 32));
	ASSERT_TRUE(alpc_all(self->mem + 32, 32, 0x42));
	ASSERT_EQ(0, memcmp(self->model + 64, self->mem + 64, self->mem_len - 64));
}

/* Access outside the region, or whose end overflows, fails with EINVAL and touches nothing. */
TEST_F(acc, access_outside_region_is_einval)
{
	const __u64 len = 2 * alpc_page_size() + 1;
	const struct { __u64 off, len; } bad[] = {
		{ len, 1 }, { 0, len + 1 }, { len - 1, 2 }, { 1, len }, { 1, UINT64_MAX },
		{ UINT64_MAX, 1 }, { UINT64_MAX, 2 }, { UINT64_MAX - len + 2, len },
	};
	struct alpc_msg_info info;
	unsigned char buf[64];
	unsigned int i;
	__u64 done;

	ASSERT_EQ(0, lend_across(&self->l, self->mem + 1, len,
				 ALPC_REGION_READ | ALPC_REGION_WRITE, &info));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(buf, 0xee, sizeof(buf));
		ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_READ, bad[i].off,
					  bad[i].len, buf, &done));
		ASSERT_EQ(EINVAL, errno);
		ASSERT_EQ(0, done);
		ASSERT_TRUE(alpc_all(buf, sizeof(buf), 0xee));
		ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_WRITE, bad[i].off,
					  bad[i].len, buf, &done));
		ASSERT_EQ(EINVAL, errno);
		ASSERT_EQ(0, done);
	}
	ASSERT_EQ(0, memcmp(self->model, self->mem, self->mem_len));
}

/* An access without the right lent (write to a read region, read of a write region) is EPERM. */
TEST_F(acc, access_without_the_right_is_eperm)
{
	struct alpc_msg_info info;
	unsigned char buf[64];
	__u64 done;

	ASSERT_EQ(0, lend_across(&self->l, self->mem, 64, ALPC_REGION_READ, &info));
	memset(buf, 0x42, sizeof(buf));
	ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_WRITE, 0, 64, buf, &done));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(0, done);
	ASSERT_EQ(0, memcmp(self->model, self->mem, self->mem_len));

	ASSERT_EQ(0, lend_across(&self->l, self->mem, 64, ALPC_REGION_WRITE, &info));
	ASSERT_EQ(ALPC_MSGF_REGION_WRITE, info.flags);
	memset(buf, 0xee, sizeof(buf));
	ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_READ, 0, 64, buf, &done));
	ASSERT_EQ(EPERM, errno);
	ASSERT_TRUE(alpc_all(buf, sizeof(buf), 0xee));
	memset(buf, 0x42, sizeof(buf));
	ASSERT_EQ(0, alpc_access(self->l.srv, info.id, ALPC_ACCESS_WRITE, 0, 64, buf, &done));
	ASSERT_TRUE(alpc_all(self->mem, 64, 0x42));
}

/* ACCESS to a request that lent nothing fails with EPERM. */
TEST_F(acc, access_to_request_without_region_is_eperm)
{
	struct alpc_msg_info info;
	unsigned char buf[8];
	__u64 id;

	ASSERT_EQ(0, alpc_request(self->l.client, NULL, 0, &id));
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(0, info.flags);
	ASSERT_EQ(-1, alpc_access(self->l.srv, id, ALPC_ACCESS_READ, 0, 1, buf, NULL));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(-1, alpc_access(self->l.srv, id, ALPC_ACCESS_WRITE, 0, 1, buf, NULL));
	ASSERT_EQ(EPERM, errno);
}

/* ACCESS to an id that is no outstanding request (unknown, a datagram's) fails with ENOENT. */
TEST_F(acc, access_to_unknown_id_or_datagram_is_enoent)
{
	struct alpc_msg_info info;
	unsigned char buf[8];
	__u64 id;

	ASSERT_EQ(-1, alpc_access(self->l.srv, 0, ALPC_ACCESS_READ, 0, 1, buf, NULL));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, alpc_access(self->l.srv, UINT64_MAX, ALPC_ACCESS_READ, 0, 1, buf, NULL));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(0, alpc_datagram(self->l.client, NULL, 0, &id));
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(-1, alpc_access(self->l.srv, id, ALPC_ACCESS_READ, 0, 1, buf, NULL));
	ASSERT_EQ(ENOENT, errno);
}

/* A request not yet received cannot be accessed: ENOENT. */
TEST_F(acc, access_to_unreceived_request_is_enoent)
{
	unsigned char buf[8];
	__u64 id;

	ASSERT_EQ(0, lend(self->l.client, self->mem, 8, ALPC_REGION_READ | ALPC_REGION_WRITE,
			  &id));
	ASSERT_EQ(-1, alpc_access(self->l.srv, id, ALPC_ACCESS_WRITE, 0, 8, buf, NULL));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(0, memcmp(self->model, self->mem, self->mem_len));
}

/* A region on a port without ALPC_PORT_DIRECT_ACCESS is refused at send with EPERM. */
TEST_F(acc, region_on_port_without_direct_access_is_eperm)
{
	struct alpc_send_wait sw;
	struct alpc_msg_attrs a;
	__u64 id;

	ASSERT_EQ(0, alpc_link_open(&self->other, self->dev, NULL, variant->comm_port));
	ASSERT_EQ(-1, lend(self->other.client, self->mem, 8, ALPC_REGION_READ, &id));
	ASSERT_EQ(EPERM, errno);
	alpc_region_attrs(&a, self->mem, 8, ALPC_REGION_WRITE);
	alpc_send_wait_init(&sw, NULL, 0, NULL, 0, 0);
	sw.attrs = (__u64)(unsigned long)&a;
	ASSERT_EQ(-1, ioctl(self->other.client, ALPC_IOC_SEND_WAIT, &sw));
	ASSERT_EQ(EPERM, errno);
	ASSERT_TRUE(nothing_queued(self->other.srv));
}

/* A region on a datagram or a reply fails with EINVAL: requests only. */
TEST_F(acc, region_on_datagram_or_reply_is_einval)
{
	struct alpc_msg_info info;
	struct alpc_msg_attrs a;
	__u64 id;

	alpc_region_attrs(&a, self->mem, 8, ALPC_REGION_READ);
	ASSERT_EQ(-1, alpc_send_attrs(self->l.client, ALPC_MSG_DATAGRAM, NULL, 0, 0, 0, 0, &a,
				      NULL));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_TRUE(nothing_queued(self->l.srv));

	ASSERT_EQ(0, alpc_request(self->l.client, NULL, 0, &id));
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(-1, alpc_send_attrs(self->l.srv, ALPC_MSG_REPLY, NULL, 0, 0, id, 0, &a, NULL));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, alpc_recv(self->l.client, NULL, 0, 0, NULL));
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, alpc_reply(self->l.srv, id, NULL, 0));
}

/* A region with no or unknown rights, no length, or an end that overflows is EINVAL. */
TEST_F(acc, bad_region_is_einval)
{
	const struct { __u64 addr, len; __u32 flags; } bad[] = {
		{ (unsigned long)self->mem, 8, 0 },
		{ (unsigned long)self->mem, 8, 1U << 2 },
		{ (unsigned long)self->mem, 8, ALPC_REGION_READ | 1U << 31 },
		{ (unsigned long)self->mem, 0, ALPC_REGION_READ },
		{ UINT64_MAX - 7, 16, ALPC_REGION_READ },
		{ (unsigned long)self->mem, UINT64_MAX, ALPC_REGION_WRITE },
	};
	struct alpc_msg_attrs a;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		alpc_region_attrs(&a, (void *)(unsigned long)bad[i].addr, bad[i].len, bad[i].flags);
		ASSERT_EQ(-1, alpc_send_attrs(self->l.client, ALPC_MSG_REQUEST, NULL, 0, 0, 0, 0,
					      &a, NULL));
		ASSERT_EQ(EINVAL, errno);
	}
	ASSERT_TRUE(nothing_queued(self->l.srv));
}

/* After the reply, access fails with ENOENT and touches nothing. */
TEST_F(acc, access_after_reply_is_enoent)
{
	struct alpc_msg_info info;
	unsigned char buf[64];
	__u64 done;

	ASSERT_EQ(0, lend_across(&self->l, self->mem, 64, ALPC_REGION_READ | ALPC_REGION_WRITE,
				 &info));
	ASSERT_EQ(0, alpc_reply(self->l.srv, info.id, NULL, 0));
	memset(buf, 0xee, sizeof(buf));
	ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_READ, 0, 64, buf, &done));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(0, done);
	ASSERT_TRUE(alpc_all(buf, sizeof(buf), 0xee));
	ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_WRITE, 0, 64, buf, &done));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(0, memcmp(self->model, self->mem, self->mem_len));
	/* Also once the client has received the reply. */
	ASSERT_EQ(0, alpc_recv(self->l.client, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(-1, alpc_access(self->l.srv, info.ref_id, ALPC_ACCESS_WRITE, 0, 64, buf, &done));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(0, memcmp(self->model, self->mem, self->mem_len));
}

/* After the sender canceled, access fails with ENOENT and touches nothing. */
TEST_F(acc, access_after_cancel_is_enoent)
{
	struct alpc_msg_info info, canceled;
	struct alpc_cancel c;
	unsigned char buf[64];

	ASSERT_EQ(0, lend_across(&self->l, self->mem, 64, ALPC_REGION_READ | ALPC_REGION_WRITE,
				 &info));
	memset(&c, 0, sizeof(c));
	c.id = info.id;
	ASSERT_EQ(0, ioctl(self->l.client, ALPC_IOC_CANCEL, &c));
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &canceled));
	ASSERT_EQ(ALPC_MSG_CANCELED, canceled.type);
	ASSERT_EQ(info.id, canceled.ref_id);
	memset(buf, 0xee, sizeof(buf));
	ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_READ, 0, 64, buf, NULL));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_TRUE(alpc_all(buf, sizeof(buf), 0xee));
	ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_WRITE, 0, 64, buf, NULL));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(0, memcmp(self->model, self->mem, self->mem_len));
}

/* After the sender's SEND_WAIT timed out, access fails with ENOENT and touches nothing. */
TEST_F(acc, access_after_send_wait_timeout_is_enoent)
{
	struct alpc_msg_info info;
	struct alpc_send_wait sw;
	struct alpc_msg_attrs a;
	struct alpc_call call;
	unsigned char buf[64];

	alpc_region_attrs(&a, self->mem, 64, ALPC_REGION_READ | ALPC_REGION_WRITE);
	alpc_send_wait_init(&sw, NULL, 0, NULL, 0, 500 * ALPC_NS_PER_MS);
	sw.attrs = (__u64)(unsigned long)&a;
	ASSERT_EQ(0, alpc_call_start(&call, self->l.client, ALPC_IOC_SEND_WAIT, &sw));
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(-1, alpc_call_join(&call));
	ASSERT_EQ(ETIMEDOUT, errno);
	memset(buf, 0xee, sizeof(buf));
	ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_READ, 0, 64, buf, NULL));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_TRUE(alpc_all(buf, sizeof(buf), 0xee));
	ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_WRITE, 0, 64, buf, NULL));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(0, memcmp(self->model, self->mem, self->mem_len));
}

/*
 * ACCESS from any fd but the one that received the request fails with
 * ENOENT: the sender's own, another connection's, the connection port
 * when a communication port received it.
 */
TEST_F(acc, access_from_other_fd_is_enoent)
{
	struct alpc_msg_info info;
	unsigned char buf[64];
	int fds[4], n = 0, i;
	__u64 done;

	ASSERT_EQ(0, alpc_link_add(&self->other, self->dev, &self->l, variant->comm_port));
	ASSERT_EQ(0, lend_across(&self->l, self->mem, 64, ALPC_REGION_READ | ALPC_REGION_WRITE,
				 &info));
	fds[n++] = self->l.client;
	fds[n++] = self->other.client;
	if (variant->comm_port) {
		fds[n++] = self->l.port;
		fds[n++] = self->other.comm;
	}
	memset(buf, 0xee, sizeof(buf));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(-1, alpc_access(fds[i], info.id, ALPC_ACCESS_READ, 0, 64, buf, &done));
		ASSERT_EQ(ENOENT, errno);
		ASSERT_EQ(-1, alpc_access(fds[i], info.id, ALPC_ACCESS_WRITE, 0, 64, buf, &done));
		ASSERT_EQ(ENOENT, errno);
	}
	ASSERT_TRUE(alpc_all(buf, sizeof(buf), 0xee));
	ASSERT_EQ(0, memcmp(self->model, self->mem, self->mem_len));
	/* The receiver still may. */
	ASSERT_EQ(0, alpc_access(self->l.srv, info.id, ALPC_ACCESS_READ, 0, 64, buf, &done));
	ASSERT_EQ(0, memcmp(self->model, buf, 64));
}

/* A region over a section mapping (VM_PFNMAP) cannot be accessed: EFAULT, nothing moved. */
TEST_F(acc, region_over_section_mapping_is_efault)
{
	struct alpc_msg_info info;
	unsigned char buf[64];
	struct alpc_sect s;
	__u64 done;

	ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, 4096, 5));
	ASSERT_EQ(0, lend_across(&self->l, s.map, 64, ALPC_REGION_READ | ALPC_REGION_WRITE,
				 &info));
	ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_READ, 0, 64, buf, &done));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(0, done);
	memset(buf, 0x42, sizeof(buf));
	ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_WRITE, 0, 64, buf, &done));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(0, done);
	ASSERT_EQ(-1, alpc_pat_check(s.map, 4096, 5, 0));
	alpc_sect_free(&s);
}

/* An access stops at a hole in the sender's memory: EFAULT, with done the bytes before it. */
TEST_F(acc, access_stops_at_hole_in_senders_memory)
{
	const size_t page = alpc_page_size();
	struct alpc_msg_info info;
	unsigned char *buf;
	__u64 done;

	buf = malloc(2 * page);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, lend_across(&self->l, self->mem, 3 * page,
				 ALPC_REGION_READ | ALPC_REGION_WRITE, &info));
	ASSERT_EQ(0, munmap(self->mem + page, page));

	memset(buf, 0xee, 2 * page);
	ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_READ, 100, 2 * page, buf,
				  &done));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(page - 100, done);
	ASSERT_EQ(-1, alpc_pat_check(buf, done, 1, 100));

	alpc_pat_fill(buf, 2 * page, 9, 0);
	ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_WRITE, 100, 2 * page, buf,
				  &done));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(page - 100, done);
	ASSERT_EQ(-1, alpc_pat_check(self->mem + 100, page - 100, 9, 0));
	ASSERT_EQ(0, memcmp(self->model + 2 * page, self->mem + 2 * page, 2 * page));
}

/* Writing to memory the sender has read-only fails with EFAULT and changes nothing. */
TEST_F(acc, write_to_senders_read_only_memory_is_efault)
{
	struct alpc_msg_info info;
	unsigned char buf[64];
	__u64 done;

	ASSERT_EQ(0, mprotect(self->mem, alpc_page_size(), PROT_READ));
	ASSERT_EQ(0, lend_across(&self->l, self->mem, 64, ALPC_REGION_READ | ALPC_REGION_WRITE,
				 &info));
	memset(buf, 0x42, sizeof(buf));
	ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_WRITE, 0, 64, buf, &done));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(0, done);
	ASSERT_EQ(0, memcmp(self->model, self->mem, self->mem_len));
	ASSERT_EQ(0, alpc_access(self->l.srv, info.id, ALPC_ACCESS_READ, 0, 64, buf, &done));
	ASSERT_EQ(0, memcmp(self->model, buf, 64));
}

/* An unknown op or non-zero reserved field fails with EINVAL. */
TEST_F(acc, access_bad_op_or_reserved_is_einval)
{
	const __u32 ops[] = { 0, 3, ALPC_ACCESS_READ | ALPC_ACCESS_WRITE, UINT32_MAX };
	struct alpc_msg_info info;
	struct alpc_access a;
	unsigned char buf[8];
	unsigned int i;

	ASSERT_EQ(0, lend_across(&self->l, self->mem, 8, ALPC_REGION_READ | ALPC_REGION_WRITE,
				 &info));
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ops[i], 0, 8, buf, NULL));
		ASSERT_EQ(EINVAL, errno);
	}
	memset(&a, 0, sizeof(a));
	a.id = info.id;
	a.op = ALPC_ACCESS_WRITE;
	a.len = 8;
	a.buf = (__u64)(unsigned long)buf;
	a.reserved = 1;
	ASSERT_EQ(-1, ioctl(self->l.srv, ALPC_IOC_ACCESS, &a));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, memcmp(self->model, self->mem, self->mem_len));
}

/* A receiver buffer or argument that cannot be used fails with EFAULT and moves nothing. */
TEST_F(acc, access_bad_buffer_is_efault)
{
	const size_t page = alpc_page_size();
	struct alpc_msg_info info;
	void *none, *ro;
	__u64 done;

	none = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(0, lend_across(&self->l, self->mem, 64, ALPC_REGION_READ | ALPC_REGION_WRITE,
				 &info));
	ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_READ, 0, 64, ro, &done));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(0, done);
	ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_WRITE, 0, 64, none, &done));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(0, done);
	ASSERT_EQ(-1, ioctl(self->l.srv, ALPC_IOC_ACCESS, NULL));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->l.srv, ALPC_IOC_ACCESS, none));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(0, memcmp(self->model, self->mem, self->mem_len));
	munmap(none, page);
	munmap(ro, page);
}

struct writer {
	pthread_t thread;
	int fd;
	__u64 id;
	unsigned char *buf[2];	/* all 0xaa, all 0x55 */
	size_t len;
	atomic_int calls;	/* completed writes */
	int err;		/* errno of the write that failed */
	__u64 done;		/* its done */
};

/* Writes the whole region over and over, the other byte each time, until refused. */
static void *writer_fn(void *p)
{
	struct writer *w = p;
	int n;

	for (n = 0; ; n++) {
		if (alpc_access(w->fd, w->id, ALPC_ACCESS_WRITE, 0, w->len, w->buf[n & 1],
				&w->done)) {
			w->err = errno;
			return NULL;
		}
		atomic_fetch_add(&w->calls, 1);
	}
}

/*
 * A cancel racing a long write: once CANCEL (and the sender's SEND_WAIT)
 * returned, not one more byte of the sender's memory changes; the write
 * ends with ENOENT.
 */
TEST_F_TIMEOUT(acc, no_write_lands_after_cancel_returns, 120)
{
	const size_t len = 8 * ALPC_MIB;
	struct alpc_msg_info info;
	struct alpc_send_wait sw;
	struct alpc_msg_attrs a;
	unsigned char *mem, *snap;
	struct alpc_cancel c;
	struct alpc_call call;
	struct writer w;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	snap = malloc(len);
	ASSERT_NE(NULL, snap);
	memset(&w, 0, sizeof(w));
	w.buf[0] = malloc(len);
	ASSERT_NE(NULL, w.buf[0]);
	w.buf[1] = malloc(len);
	ASSERT_NE(NULL, w.buf[1]);
	memset(w.buf[0], 0xaa, len);
	memset(w.buf[1], 0x55, len);
	memset(mem, 0, len);

	alpc_region_attrs(&a, mem, len, ALPC_REGION_WRITE);
	alpc_send_wait_init(&sw, NULL, 0, NULL, 0, -1);
	sw.attrs = (__u64)(unsigned long)&a;
	ASSERT_EQ(0, alpc_call_start(&call, self->l.client, ALPC_IOC_SEND_WAIT, &sw));
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	w.fd = self->l.srv;
	w.id = info.id;
	w.len = len;
	ASSERT_EQ(0, pthread_create(&w.thread, NULL, writer_fn, &w));
	/* Once a write went through, the next one is most likely under way. */
	while (atomic_load(&w.calls) < 1)
		sched_yield();

	memset(&c, 0, sizeof(c));
	c.id = info.id;
	ASSERT_EQ(0, ioctl(self->l.client, ALPC_IOC_CANCEL, &c));
	memcpy(snap, mem, len);
	ASSERT_EQ(-1, alpc_call_join(&call));
	ASSERT_EQ(ECANCELED, errno);
	pthread_join(w.thread, NULL);
	ASSERT_EQ(ENOENT, w.err);
	ASSERT_GT(len, w.done);
	ASSERT_EQ(0, memcmp(snap, mem, len));
	TH_LOG("%d whole writes; the last one moved %llu bytes", atomic_load(&w.calls),
	       (unsigned long long)w.done);
	free(w.buf[0]);
	free(w.buf[1]);
	free(snap);
	munmap(mem, len);
}

struct lender_args {
	int fd;
	int ready;
	size_t len;
	bool wait;	/* SEND_WAIT and stay; else SEND and exit */
};

/* A client process that lends @len bytes of its memory (pattern 4) in a request. */
static int lender_main(void *p)
{
	struct lender_args *c = p;
	struct alpc_send_wait sw;
	struct alpc_msg_attrs a;
	unsigned char *mem;

	mem = malloc(c->len);
	if (!mem)
		return 10;
	alpc_pat_fill(mem, c->len, 4, 0);
	alpc_region_attrs(&a, mem, c->len, ALPC_REGION_READ | ALPC_REGION_WRITE);
	if (!c->wait)
		return alpc_send_attrs(c->fd, ALPC_MSG_REQUEST, NULL, 0, 0, 0, 0, &a,
				       NULL) ? 11 : 0;
	if (alpc_post_byte(c->ready))
		return 12;
	alpc_send_wait_init(&sw, NULL, 0, NULL, 0, -1);
	sw.attrs = (__u64)(unsigned long)&a;
	ioctl(c->fd, ALPC_IOC_SEND_WAIT, &sw);
	return 13;
}

/*
 * The sender's process exited but its connection lives on (another
 * process holds the client fd): the request is still outstanding, and
 * access fails with ESRCH; the reply still goes through.
 */
TEST_F(acc, access_after_sender_exit_is_esrch)
{
	struct lender_args c = { self->l.client, self->sync[1], 4096, false };
	struct alpc_msg_info info;
	unsigned char buf[64];
	__u64 done;
	pid_t pid;

	pid = alpc_fork(lender_main, &c);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, alpc_wait_child(pid));
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_REQUEST, info.type);
	ASSERT_EQ(pid, info.pid);
	memset(buf, 0xee, sizeof(buf));
	ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_READ, 0, 64, buf, &done));
	ASSERT_EQ(ESRCH, errno);
	ASSERT_EQ(0, done);
	ASSERT_TRUE(alpc_all(buf, sizeof(buf), 0xee));
	ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_WRITE, 0, 64, buf, &done));
	ASSERT_EQ(ESRCH, errno);
	ASSERT_EQ(0, alpc_reply(self->l.srv, info.id, NULL, 0));
	ASSERT_EQ(0, alpc_recv(self->l.client, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_REPLY, info.type);
}

/* Forks a lender that takes over the client end of self->l and waits in SEND_WAIT. */
static int spawn_lender(struct alpc_link *l, const int sync[2], pid_t *child, size_t len)
{
	struct lender_args c = { l->client, sync[1], len, true };

	*child = alpc_fork(lender_main, &c);
	if (*child < 0)
		return -1;
	close(l->client);
	l->client = -EBADF;
	return alpc_wait_byte(sync[0]);
}

/* Access after the sender was killed in SEND_WAIT fails (the request is gone): ENOENT. */
TEST_F(acc, access_after_sender_killed_is_enoent)
{
	struct alpc_msg_info info, note;
	unsigned char buf[64];
	__u64 done;

	ASSERT_EQ(0, spawn_lender(&self->l, self->sync, &self->child, 4096));
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(0, alpc_access(self->l.srv, info.id, ALPC_ACCESS_READ, 0, 64, buf, &done));
	ASSERT_EQ(-1, alpc_pat_check(buf, 64, 4, 0));
	ASSERT_EQ(128 + SIGKILL, alpc_kill_child(&self->child));

	ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_READ, 0, 64, buf, &done));
	TH_LOG("ACCESS after the sender was killed: %s", strerror(errno));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, alpc_access(self->l.srv, info.id, ALPC_ACCESS_WRITE, 0, 64, buf, &done));
	ASSERT_EQ(ENOENT, errno);
	/* The killed SEND_WAIT canceled the request, then the client died. */
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &note));
	ASSERT_EQ(ALPC_MSG_CANCELED, note.type);
	ASSERT_EQ(info.id, note.ref_id);
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &note));
	ASSERT_EQ(ALPC_MSG_CLIENT_DIED, note.type);
	ASSERT_EQ(-1, alpc_reply(self->l.srv, info.id, NULL, 0));
	ASSERT_EQ(ENOENT, errno);
}

struct reader {
	pthread_t thread;
	int fd;
	__u64 id;
	unsigned char *buf;
	size_t len;
	atomic_int calls;
	int err;
};

static void *reader_fn(void *p)
{
	struct reader *r = p;

	for (;;) {
		if (alpc_access(r->fd, r->id, ALPC_ACCESS_READ, 0, r->len, r->buf, NULL)) {
			r->err = errno;
			return NULL;
		}
		atomic_fetch_add(&r->calls, 1);
	}
}

/* A sender killed while its memory is being read: the read ends cleanly (ENOENT or ESRCH). */
TEST_F_TIMEOUT(acc, sender_killed_during_access, 120)
{
	const size_t len = 16 * ALPC_MIB;
	struct alpc_msg_info info;
	struct reader r;

	ASSERT_EQ(0, spawn_lender(&self->l, self->sync, &self->child, len));
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	memset(&r, 0, sizeof(r));
	r.fd = self->l.srv;
	r.id = info.id;
	r.len = len;
	r.buf = malloc(len);
	ASSERT_NE(NULL, r.buf);
	ASSERT_EQ(0, pthread_create(&r.thread, NULL, reader_fn, &r));
	while (atomic_load(&r.calls) < 1)
		alpc_sleep_ms(1);
	ASSERT_EQ(-1, alpc_pat_check(r.buf, len, 4, 0));
	ASSERT_EQ(128 + SIGKILL, alpc_kill_child(&self->child));
	pthread_join(r.thread, NULL);
	TH_LOG("%d whole reads, then %s", atomic_load(&r.calls), strerror(r.err));
	ASSERT_TRUE(r.err == ENOENT || r.err == ESRCH);
	free(r.buf);
}

TEST_HARNESS_MAIN
