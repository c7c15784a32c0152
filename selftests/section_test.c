// SPDX-License-Identifier: GPL-2.0
/*
 * Sections and views: data crossing a connection in shared pages, read-only
 * views, what a view may name, the section quotas, and what is left when
 * either side closes, unmaps, forks or dies at any stage of a transfer.
 *
 * Leaks and use-after-free cannot be seen from here: the debug kernel's
 * KASAN and kmemleak, which the runner checks after every binary, see
 * them. Where a test can observe a release, it does so through the
 * section quota (the charge goes back only when the pages are freed) or
 * through /proc/self/maps.
 *
 * Most tests run twice: with the server receiving on its connection port,
 * and with the server holding a communication port for the connection. A
 * server without a communication port cannot make sections; it names the
 * client's, which alpc.h allows (a section of the connection, made on
 * either of its communication ports).
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "alpc_util.h"

static const size_t sizes[] = { 1, 255, 256, 257, 4095, 4096, 65536, ALPC_MIB };
static const size_t offsets[] = { 0, 1, 4095, 4097 };

static __u32 view_msgf(__u32 view_flags)
{
	return ALPC_MSGF_VIEW | (view_flags & ALPC_VIEW_READONLY ? ALPC_MSGF_VIEW_READONLY : 0);
}

/*
 * Checks a received view: message @id, @view_flags, @len bytes of pattern
 * @seed from section offset @off. NULL, or what is wrong.
 */
static const char *check_view(const struct alpc_msg_info *info, __u64 id, __u32 view_flags,
			      size_t len, unsigned int seed, size_t off)
{
	if (info->id != id)
		return "wrong message";
	if (info->flags != view_msgf(view_flags))
		return "wrong flags";
	if (info->view_len != len)
		return "wrong view_len";
	if (!info->view_addr)
		return "no view_addr";
	if (alpc_pat_check(alpc_view(info), len, seed, off) != -1)
		return "wrong bytes";
	return NULL;
}

/* Data integrity over sizes, offsets, read-only and read-write views. */
FIXTURE(xfer) {
	int dev;
	struct alpc_link l;
	int owner;	/* where the server side makes its sections */
};

FIXTURE_VARIANT(xfer) {
	bool comm_port;
	__u32 view_flags;
};

FIXTURE_VARIANT_ADD(xfer, rw_on_connection_port) {
	.comm_port = false,
	.view_flags = 0,
};

FIXTURE_VARIANT_ADD(xfer, ro_on_connection_port) {
	.comm_port = false,
	.view_flags = ALPC_VIEW_READONLY,
};

FIXTURE_VARIANT_ADD(xfer, rw_on_comm_port) {
	.comm_port = true,
	.view_flags = 0,
};

FIXTURE_VARIANT_ADD(xfer, ro_on_comm_port) {
	.comm_port = true,
	.view_flags = ALPC_VIEW_READONLY,
};

FIXTURE_SETUP(xfer)
{
	alpc_link_init(&self->l);
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, alpc_link_open(&self->l, self->dev, NULL, variant->comm_port));
	self->owner = variant->comm_port ? self->l.comm : self->l.client;
}

FIXTURE_TEARDOWN(xfer)
{
	alpc_link_close(&self->l);
	if (self->dev >= 0)
		close(self->dev);
}

/* A view in a datagram reaches the server byte for byte, at every size and offset. */
TEST_F_TIMEOUT(xfer, datagram_view_arrives_intact, 180)
{
	struct alpc_msg_info info;
	unsigned int i, j, seed = 0;
	const char *err;
	struct alpc_sect s;
	__u64 id;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (j = 0; j < ARRAY_SIZE(offsets); j++) {
			size_t len = sizes[i], off = offsets[j];

			seed++;
			ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, off + len, seed));
			ASSERT_EQ(0, alpc_send_view(self->l.client, ALPC_MSG_DATAGRAM, 0, s.fd, off,
						    len, variant->view_flags, &id));
			ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
			err = check_view(&info, id, variant->view_flags, len, seed, off);
			if (err)
				TH_LOG("%zu bytes at offset %zu: %s", len, off, err);
			ASSERT_EQ(NULL, err);
			ASSERT_EQ(0, alpc_view_unmap(&info));
			alpc_sect_free(&s);
		}
	}
}

/* A reply carries a view back to SEND_WAIT, whose request carried one too. */
TEST_F_TIMEOUT(xfer, send_wait_reply_view_arrives_intact, 180)
{
	struct alpc_msg_info info;
	struct alpc_send_wait sw;
	struct alpc_msg_attrs a;
	struct alpc_sect c, s;
	unsigned int i, j, seed = 0;
	struct alpc_call call;
	const char *err;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (j = 0; j < ARRAY_SIZE(offsets); j++) {
			size_t len = sizes[i], off = offsets[j];

			seed += 2;
			ASSERT_EQ(0, alpc_sect_new(&c, self->l.client, off + len, seed));
			ASSERT_EQ(0, alpc_sect_new(&s, self->owner, off + len, seed + 1));
			alpc_view_attrs(&a, c.fd, off, len, variant->view_flags);
			alpc_send_wait_init(&sw, NULL, 0, NULL, 0, ALPC_LONG_WAIT_NS);
			sw.attrs = (__u64)(unsigned long)&a;
			ASSERT_EQ(0, alpc_call_start(&call, self->l.client,
						     ALPC_IOC_SEND_WAIT, &sw));

			ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
			ASSERT_EQ(ALPC_MSG_REQUEST, info.type);
			err = check_view(&info, info.id, variant->view_flags, len, seed, off);
			if (err)
				TH_LOG("request, %zu bytes at offset %zu: %s", len, off, err);
			ASSERT_EQ(NULL, err);
			ASSERT_EQ(0, alpc_view_unmap(&info));
			ASSERT_EQ(0, alpc_send_view(self->l.srv, ALPC_MSG_REPLY, info.id, s.fd, off,
						    len, variant->view_flags, NULL));

			ASSERT_EQ(0, alpc_call_join(&call));
			ASSERT_EQ(info.id, sw.id);
			ASSERT_EQ(ALPC_MSG_REPLY, sw.reply.type);
			ASSERT_EQ(info.id, sw.reply.ref_id);
			err = check_view(&sw.reply, sw.reply.id, variant->view_flags, len,
					 seed + 1, off);
			if (err)
				TH_LOG("reply, %zu bytes at offset %zu: %s", len, off, err);
			ASSERT_EQ(NULL, err);
			ASSERT_EQ(0, alpc_view_unmap(&sw.reply));
			alpc_sect_free(&c);
			alpc_sect_free(&s);
		}
	}
}

/* A reply sent by REPLY_RECV carries a view to the client's RECV. */
TEST_F_TIMEOUT(xfer, reply_recv_view_arrives_intact, 180)
{
	struct alpc_reply_recv rr;
	struct alpc_msg_info info;
	struct alpc_msg_attrs a;
	unsigned int i, j, seed = 0;
	const char *err;
	struct alpc_sect s;
	__u64 id1, id2;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (j = 0; j < ARRAY_SIZE(offsets); j++) {
			size_t len = sizes[i], off = offsets[j];

			seed++;
			ASSERT_EQ(0, alpc_sect_new(&s, self->owner, off + len, seed));
			ASSERT_EQ(0, alpc_request(self->l.client, NULL, 0, &id1));
			ASSERT_EQ(0, alpc_request(self->l.client, NULL, 0, &id2));
			ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
			ASSERT_EQ(id1, info.id);

			alpc_view_attrs(&a, s.fd, off, len, variant->view_flags);
			memset(&rr, 0, sizeof(rr));
			rr.ref_id = id1;
			rr.attrs = (__u64)(unsigned long)&a;
			rr.recv.timeout_ns = ALPC_LONG_WAIT_NS;
			ASSERT_EQ(0, ioctl(self->l.srv, ALPC_IOC_REPLY_RECV, &rr));
			ASSERT_EQ(0, rr.reply_status);
			ASSERT_EQ(id2, rr.recv.info.id);
			ASSERT_EQ(0, alpc_reply(self->l.srv, id2, NULL, 0));

			ASSERT_EQ(0, alpc_recv(self->l.client, NULL, 0, ALPC_LONG_WAIT_NS, &info));
			ASSERT_EQ(id1, info.ref_id);
			err = check_view(&info, rr.reply_id, variant->view_flags, len, seed, off);
			if (err)
				TH_LOG("%zu bytes at offset %zu: %s", len, off, err);
			ASSERT_EQ(NULL, err);
			ASSERT_EQ(0, alpc_view_unmap(&info));
			ASSERT_EQ(0, alpc_recv(self->l.client, NULL, 0, ALPC_LONG_WAIT_NS, &info));
			ASSERT_EQ(id2, info.ref_id);
			ASSERT_EQ(0, info.flags);
			alpc_sect_free(&s);
		}
	}
}

/*
 * 64 MiB views arrive intact: a whole section of the default maximum size
 * from the client, and one at an odd offset in a reply.
 */
TEST_F_TIMEOUT(xfer, view_of_64_mib_arrives_intact, 300)
{
	struct alpc_port_attr attr = { .max_section_size = 65 * ALPC_MIB };
	const size_t len = 64 * ALPC_MIB, off = 4097;
	struct alpc_msg_info info;
	struct alpc_send_wait sw;
	struct alpc_link big;
	struct alpc_call call;
	struct alpc_sect s;
	__u64 id;

	ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, len, 1));
	ASSERT_EQ(0, alpc_send_view(self->l.client, ALPC_MSG_DATAGRAM, 0, s.fd, 0, len,
				    variant->view_flags, &id));
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(NULL, check_view(&info, id, variant->view_flags, len, 1, 0));
	ASSERT_EQ(0, alpc_view_unmap(&info));
	alpc_sect_free(&s);

	/* The section is bigger than the default limit: a port of its own. */
	ASSERT_EQ(0, alpc_link_open(&big, self->dev, &attr, variant->comm_port));
	ASSERT_EQ(0, alpc_sect_new(&s, variant->comm_port ? big.comm : big.client, off + len, 2));
	alpc_send_wait_init(&sw, NULL, 0, NULL, 0, ALPC_LONG_WAIT_NS);
	ASSERT_EQ(0, alpc_call_start(&call, big.client, ALPC_IOC_SEND_WAIT, &sw));
	ASSERT_EQ(0, alpc_recv(big.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(0, alpc_send_view(big.srv, ALPC_MSG_REPLY, info.id, s.fd, off, len,
				    variant->view_flags, NULL));
	ASSERT_EQ(0, alpc_call_join(&call));
	ASSERT_EQ(NULL, check_view(&sw.reply, sw.reply.id, variant->view_flags, len, 2, off));
	ASSERT_EQ(0, alpc_view_unmap(&sw.reply));
	alpc_sect_free(&s);
	alpc_link_close(&big);
}

/*
 * A view is the sender's memory, not a copy: what the sender writes after
 * the receive shows in the receiver's mapping of 64 MiB, and what the
 * receiver writes through a read-write view shows in the sender's.
 */
TEST_F_TIMEOUT(xfer, view_is_the_senders_memory_not_a_copy, 300)
{
	const size_t len = 64 * ALPC_MIB;
	struct alpc_msg_info info;
	struct alpc_sect s;
	__u64 id;

	ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, len, 1));
	ASSERT_EQ(0, alpc_send_view(self->l.client, ALPC_MSG_DATAGRAM, 0, s.fd, 0, len,
				    variant->view_flags, &id));
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(view_msgf(variant->view_flags), info.flags);
	ASSERT_NE(s.map, alpc_view(&info));

	alpc_pat_fill(s.map, len, 2, 0);
	ASSERT_EQ(-1, alpc_pat_check(alpc_view(&info), len, 2, 0));
	if (!(variant->view_flags & ALPC_VIEW_READONLY)) {
		alpc_pat_fill(alpc_view(&info), len, 3, 0);
		ASSERT_EQ(-1, alpc_pat_check(s.map, len, 3, 0));
	}
	ASSERT_EQ(0, alpc_view_unmap(&info));
	alpc_sect_free(&s);
}

/* Everything else, on a connection with default limits. */
FIXTURE(sec) {
	int dev;
	struct alpc_link l;
	struct alpc_link other;	/* a second connection, for tests that need one */
	int owner;		/* where the server side makes its sections */
	pid_t child;
	int sync[2];		/* the child's "ready" pipe */
};

FIXTURE_VARIANT(sec) {
	bool comm_port;
};

FIXTURE_VARIANT_ADD(sec, on_connection_port) {
	.comm_port = false,
};

FIXTURE_VARIANT_ADD(sec, on_comm_port) {
	.comm_port = true,
};

FIXTURE_SETUP(sec)
{
	alpc_link_init(&self->l);
	alpc_link_init(&self->other);
	self->child = 0;
	self->sync[0] = -EBADF;
	self->sync[1] = -EBADF;
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, alpc_link_open(&self->l, self->dev, NULL, variant->comm_port));
	self->owner = variant->comm_port ? self->l.comm : self->l.client;
	ASSERT_EQ(0, pipe2(self->sync, O_CLOEXEC));
}

FIXTURE_TEARDOWN(sec)
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
}

/* A new link in @l, on a port with these section limits. */
static int open_limited(struct alpc_link *l, int dev, bool comm_port, __u64 size, __u64 bytes)
{
	struct alpc_port_attr attr = { .max_section_size = size, .max_section_bytes = bytes };

	return alpc_link_open(l, dev, &attr, comm_port);
}

/* Sends a view of @s (@off, @len, @flags) from @l's client and receives it on its server. */
static int view_across(const struct alpc_link *l, const struct alpc_sect *s, size_t off,
		       size_t len, __u32 flags, struct alpc_msg_info *info)
{
	if (alpc_send_view(l->client, ALPC_MSG_DATAGRAM, 0, s->fd, off, len, flags, NULL))
		return -1;
	return alpc_recv(l->srv, NULL, 0, ALPC_LONG_WAIT_NS, info);
}

/* Nothing is queued for the server (after a send that must have failed). */
static bool nothing_queued(int srv)
{
	return alpc_recv(srv, NULL, 0, 0, NULL) == -1 && errno == EAGAIN;
}

/* mprotect() cannot make a read-only view writable. */
TEST_F(sec, readonly_view_cannot_be_made_writable)
{
	size_t page = alpc_page_size();
	struct alpc_msg_info info;
	struct alpc_sect s;
	void *base;

	ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, 3 * page, 1));
	ASSERT_EQ(0, view_across(&self->l, &s, 100, 2 * page, ALPC_VIEW_READONLY, &info));
	ASSERT_EQ(ALPC_MSGF_VIEW | ALPC_MSGF_VIEW_READONLY, info.flags);
	base = (void *)(unsigned long)(info.view_addr & ~(page - 1));

	ASSERT_EQ(-1, mprotect(base, 3 * page, PROT_READ | PROT_WRITE));
	ASSERT_EQ(EACCES, errno);
	ASSERT_EQ(-1, mprotect((char *)base + page, page, PROT_WRITE));
	ASSERT_EQ(EACCES, errno);
	ASSERT_EQ(-1, alpc_pat_check(alpc_view(&info), 2 * page, 1, 100));
	ASSERT_EQ(0, alpc_view_unmap(&info));
	alpc_sect_free(&s);
}

static int write_byte(void *p)
{
	*(unsigned char *)p = 0x5a;
	return 0;
}

/* A write to a read-only view kills the writer with SIGSEGV and changes nothing. */
TEST_F(sec, write_to_readonly_view_is_sigsegv)
{
	size_t page = alpc_page_size();
	struct alpc_msg_info info;
	struct alpc_sect s;
	pid_t pid;

	ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, 2 * page, 1));
	ASSERT_EQ(0, view_across(&self->l, &s, page - 1, 2, ALPC_VIEW_READONLY, &info));

	pid = alpc_fork(write_byte, alpc_view(&info));
	ASSERT_LT(0, pid);
	ASSERT_EQ(128 + SIGSEGV, alpc_wait_child(pid));
	pid = alpc_fork(write_byte, alpc_view(&info) + 1);
	ASSERT_LT(0, pid);
	ASSERT_EQ(128 + SIGSEGV, alpc_wait_child(pid));
	ASSERT_EQ(-1, alpc_pat_check(s.map, 2 * page, 1, 0));
	ASSERT_EQ(0, alpc_view_unmap(&info));
	alpc_sect_free(&s);
}

/* Not even /proc/self/mem (which forces writes) can write a read-only view. */
TEST_F(sec, readonly_view_is_not_writable_through_proc_mem)
{
	size_t page = alpc_page_size();
	struct alpc_msg_info info;
	struct alpc_sect s;
	int fd;

	ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, page, 1));
	ASSERT_EQ(0, view_across(&self->l, &s, 0, page, ALPC_VIEW_READONLY, &info));
	fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, pwrite(fd, "x", 1, (off_t)info.view_addr));
	ASSERT_EQ(EIO, errno);
	close(fd);
	ASSERT_EQ(-1, alpc_pat_check(s.map, page, 1, 0));
	ASSERT_EQ(0, alpc_view_unmap(&info));
	alpc_sect_free(&s);
}

/* A received view cannot be grown with mremap() to reach more of the section. */
TEST_F(sec, view_mapping_cannot_grow)
{
	size_t page = alpc_page_size();
	struct alpc_msg_info info;
	struct alpc_sect s;
	void *base;

	ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, 4 * page, 1));
	ASSERT_EQ(0, view_across(&self->l, &s, 0, page, 0, &info));
	base = alpc_view(&info);
	ASSERT_EQ(MAP_FAILED, mremap(base, page, 2 * page, 0));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(MAP_FAILED, mremap(base, page, 4 * page, MREMAP_MAYMOVE));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(0, alpc_view_unmap(&info));
	alpc_sect_free(&s);
}

/* A view is mapped on the whole pages around it: its neighbours there are visible. */
TEST_F(sec, view_mapping_covers_its_whole_pages)
{
	size_t page = alpc_page_size();
	struct alpc_msg_info info;
	unsigned char *v;
	struct alpc_sect s;

	ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, 3 * page, 1));
	ASSERT_EQ(0, view_across(&self->l, &s, page + 1, 10, ALPC_VIEW_READONLY, &info));
	v = alpc_view(&info);
	ASSERT_EQ(1, info.view_addr & (page - 1));
	ASSERT_EQ(10, info.view_len);
	ASSERT_EQ(alpc_pat(1, page), v[-1]);
	ASSERT_EQ(alpc_pat(1, 2 * page - 1), v[page - 2]);
	ASSERT_EQ(0, alpc_view_unmap(&info));
	alpc_sect_free(&s);
}

/* A section of another connection in a view fails with EINVAL, and nothing is sent. */
TEST_F(sec, view_of_other_connections_section_is_einval)
{
	size_t page = alpc_page_size();
	struct alpc_send_wait sw;
	struct alpc_msg_attrs a;
	struct alpc_link alien;
	struct alpc_sect s, t;

	ASSERT_EQ(0, alpc_link_add(&self->other, self->dev, &self->l, variant->comm_port));
	ASSERT_EQ(0, alpc_sect_new(&s, self->other.client, page, 1));
	ASSERT_EQ(-1, alpc_send_view(self->l.client, ALPC_MSG_DATAGRAM, 0, s.fd, 0, 1, 0, NULL));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, alpc_send_view(self->l.client, ALPC_MSG_REQUEST, 0, s.fd, 0, 1, 0, NULL));
	ASSERT_EQ(EINVAL, errno);
	alpc_view_attrs(&a, s.fd, 0, 1, ALPC_VIEW_READONLY);
	alpc_send_wait_init(&sw, NULL, 0, NULL, 0, 0);
	sw.attrs = (__u64)(unsigned long)&a;
	ASSERT_EQ(-1, ioctl(self->l.client, ALPC_IOC_SEND_WAIT, &sw));
	ASSERT_EQ(EINVAL, errno);
	/* The other way round, and a section of another port altogether. */
	ASSERT_EQ(0, alpc_sect_new(&t, self->l.client, page, 2));
	ASSERT_EQ(-1, alpc_send_view(self->other.client, ALPC_MSG_DATAGRAM, 0, t.fd, 0, 1, 0,
				     NULL));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, alpc_link_open(&alien, self->dev, NULL, variant->comm_port));
	ASSERT_EQ(-1, alpc_send_view(alien.client, ALPC_MSG_DATAGRAM, 0, t.fd, 0, 1, 0, NULL));
	ASSERT_EQ(EINVAL, errno);

	ASSERT_TRUE(nothing_queued(self->l.srv));
	ASSERT_TRUE(nothing_queued(self->other.srv));
	ASSERT_TRUE(nothing_queued(alien.srv));
	alpc_link_close(&alien);
	alpc_sect_free(&s);
	alpc_sect_free(&t);
}

/* A reply naming another connection's section fails with EINVAL; the request stays. */
TEST_F(sec, reply_view_of_other_connections_section_is_einval)
{
	struct alpc_msg_info info;
	struct alpc_sect s;
	__u64 id;

	ASSERT_EQ(0, alpc_link_add(&self->other, self->dev, &self->l, variant->comm_port));
	ASSERT_EQ(0, alpc_sect_new(&s, self->other.client, 4096, 1));
	ASSERT_EQ(0, alpc_request(self->l.client, NULL, 0, &id));
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(-1, alpc_send_view(self->l.srv, ALPC_MSG_REPLY, id, s.fd, 0, 1, 0, NULL));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, alpc_recv(self->l.client, NULL, 0, 0, NULL));
	ASSERT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, alpc_reply(self->l.srv, id, NULL, 0));
	ASSERT_EQ(0, alpc_recv(self->l.client, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(id, info.ref_id);
	ASSERT_EQ(0, info.flags);
	alpc_sect_free(&s);
}

/*
 * REPLY_RECV whose reply names another connection's section fails the
 * whole call with EINVAL before anything is sent or received.
 */
TEST_F(sec, reply_recv_view_of_other_connections_section_is_einval)
{
	struct alpc_reply_recv rr;
	struct alpc_msg_info info;
	struct alpc_msg_attrs a;
	struct alpc_sect s;
	__u64 id, id2;

	ASSERT_EQ(0, alpc_link_add(&self->other, self->dev, &self->l, variant->comm_port));
	ASSERT_EQ(0, alpc_sect_new(&s, self->other.client, 4096, 1));
	ASSERT_EQ(0, alpc_request(self->l.client, NULL, 0, &id));
	ASSERT_EQ(0, alpc_datagram(self->l.client, NULL, 0, &id2));
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(id, info.id);

	alpc_view_attrs(&a, s.fd, 0, 1, 0);
	memset(&rr, 0, sizeof(rr));
	rr.ref_id = id;
	rr.attrs = (__u64)(unsigned long)&a;
	rr.recv.timeout_ns = 0;
	ASSERT_EQ(-1, ioctl(self->l.srv, ALPC_IOC_REPLY_RECV, &rr));
	ASSERT_EQ(EINVAL, errno);
	/* Nothing received: the datagram is still queued; no reply was sent. */
	ASSERT_EQ(-1, alpc_recv(self->l.client, NULL, 0, 0, NULL));
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, 0, &info));
	ASSERT_EQ(id2, info.id);
	ASSERT_EQ(0, alpc_reply(self->l.srv, id, NULL, 0));
	alpc_sect_free(&s);
}

/* A view naming an fd that is not a section fails with EBADF, and nothing is sent. */
TEST_F(sec, view_of_non_section_fd_is_ebadf)
{
	int fds[6], pipefd[2], closed;
	unsigned int i;

	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	closed = dup(self->l.client);
	ASSERT_LE(0, closed);
	close(closed);
	fds[0] = -1;
	fds[1] = closed;
	fds[2] = INT_MAX;
	fds[3] = self->l.client;
	fds[4] = self->dev;
	fds[5] = pipefd[0];
	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		ASSERT_EQ(-1, alpc_send_view(self->l.client, ALPC_MSG_DATAGRAM, 0, fds[i], 0, 1, 0,
					     NULL));
		ASSERT_EQ(EBADF, errno);
	}
	ASSERT_TRUE(nothing_queued(self->l.srv));
	close(pipefd[0]);
	close(pipefd[1]);
}

/* A view outside its section, empty, or whose end overflows fails with EINVAL. */
TEST_F(sec, view_outside_section_is_einval)
{
	const __u64 size = 3 * 4096 + 5;
	const struct { __u64 off, len; } bad[] = {
		{ 0, size + 1 }, { size, 1 }, { size - 1, 2 }, { 0, 0 }, { size, 0 },
		{ 4 * 4096, 4096 }, { 1, UINT64_MAX }, { UINT64_MAX, 1 }, { UINT64_MAX, 2 },
		{ UINT64_MAX - 4095, 8192 }, { 1ULL << 63, 1ULL << 63 },
	};
	struct alpc_msg_info info;
	struct alpc_sect s;
	unsigned int i;

	ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, size, 1));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(-1, alpc_send_view(self->l.client, ALPC_MSG_DATAGRAM, 0, s.fd,
					     bad[i].off, bad[i].len, 0, NULL));
		ASSERT_EQ(EINVAL, errno);
	}
	ASSERT_TRUE(nothing_queued(self->l.srv));

	/* The last byte, and the whole section: any byte offset, up to its size. */
	ASSERT_EQ(0, view_across(&self->l, &s, size - 1, 1, 0, &info));
	ASSERT_EQ(alpc_pat(1, size - 1), alpc_view(&info)[0]);
	ASSERT_EQ(0, alpc_view_unmap(&info));
	ASSERT_EQ(0, view_across(&self->l, &s, 0, size, 0, &info));
	ASSERT_EQ(-1, alpc_pat_check(alpc_view(&info), size, 1, 0));
	ASSERT_EQ(0, alpc_view_unmap(&info));
	alpc_sect_free(&s);
}

/* Makes attrs @a bad in way @i; false when there are no more ways. */
static bool spoil_attrs(struct alpc_msg_attrs *a, unsigned int i)
{
	switch (i) {
	case 0:
		a->view_flags = 2;
		break;
	case 1:
		a->view_flags = 1U << 31;
		break;
	case 2:
		a->flags |= ALPC_ATTR_FDS << 1;
		break;
	case 3:
		a->flags |= 1U << 31;
		break;
	case 4:
		a->reserved0 = 1;
		break;
	case 5:
		a->reserved1 = 1;
		break;
	case 6:
		a->reserved2 = 1;
		break;
	case 7:
		a->reserved2 = 1U << 31;
		break;
	case 8:
		a->flags = 0;	/* view fields without ALPC_ATTR_VIEW */
		break;
	case 9:
		a->region_len = 1;	/* a region field without ALPC_ATTR_REGION */
		break;
	case 10:
		a->region_flags = ALPC_REGION_READ;
		break;
	case 11:
		a->nfds = 1;	/* an fd field without ALPC_ATTR_FDS */
		break;
	case 12:
		a->fds = (__u64)(unsigned long)&a->section_fd;
		break;
	default:
		return false;
	}
	return true;
}

/* Unknown flags or non-zero reserved fields in the attributes fail with EINVAL. */
TEST_F(sec, bad_flags_or_reserved_in_attrs_is_einval)
{
	struct alpc_reply_recv rr;
	struct alpc_msg_info info;
	struct alpc_send_wait sw;
	struct alpc_msg_attrs a;
	struct alpc_sect s;
	unsigned int i;
	__u64 id;

	ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, 4096, 1));
	ASSERT_EQ(0, alpc_request(self->l.client, NULL, 0, &id));
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	for (i = 0; ; i++) {
		alpc_view_attrs(&a, s.fd, 0, 1, 0);
		if (!spoil_attrs(&a, i))
			break;
		ASSERT_EQ(-1, alpc_send_attrs(self->l.client, ALPC_MSG_DATAGRAM, NULL, 0, 0, 0, 0,
					      &a, NULL));
		ASSERT_EQ(EINVAL, errno);
		alpc_send_wait_init(&sw, NULL, 0, NULL, 0, 0);
		sw.attrs = (__u64)(unsigned long)&a;
		ASSERT_EQ(-1, ioctl(self->l.client, ALPC_IOC_SEND_WAIT, &sw));
		ASSERT_EQ(EINVAL, errno);
		ASSERT_EQ(-1, alpc_send_attrs(self->l.srv, ALPC_MSG_REPLY, NULL, 0, 0, id, 0, &a,
					      NULL));
		ASSERT_EQ(EINVAL, errno);
		memset(&rr, 0, sizeof(rr));
		rr.ref_id = id;
		rr.attrs = (__u64)(unsigned long)&a;
		ASSERT_EQ(-1, ioctl(self->l.srv, ALPC_IOC_REPLY_RECV, &rr));
		ASSERT_EQ(EINVAL, errno);
	}
	ASSERT_TRUE(nothing_queued(self->l.srv));
	ASSERT_EQ(-1, alpc_recv(self->l.client, NULL, 0, 0, NULL));
	ASSERT_EQ(EAGAIN, errno);

	/* All zero: no attributes at all. */
	memset(&a, 0, sizeof(a));
	ASSERT_EQ(0, alpc_send_attrs(self->l.srv, ALPC_MSG_REPLY, NULL, 0, 0, id, 0, &a, NULL));
	ASSERT_EQ(0, alpc_recv(self->l.client, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(0, info.flags);
	alpc_sect_free(&s);
}

/* An attrs pointer that cannot be read fails with EFAULT, and nothing is sent. */
TEST_F(sec, bad_attrs_pointer_is_efault)
{
	size_t page = alpc_page_size();
	struct alpc_msg_attrs *bad[3];
	struct alpc_reply_recv rr;
	struct alpc_msg_info info;
	struct alpc_send_wait sw;
	struct alpc_send snd;
	unsigned int i;
	char *none, *two;
	__u64 id;

	none = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, munmap(two + page, page));
	bad[0] = (void *)1;
	bad[1] = (void *)none;
	bad[2] = (void *)(two + page - sizeof(struct alpc_msg_attrs) / 2);

	ASSERT_EQ(0, alpc_request(self->l.client, NULL, 0, &id));
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&snd, 0, sizeof(snd));
		snd.type = ALPC_MSG_DATAGRAM;
		snd.attrs = (__u64)(unsigned long)bad[i];
		ASSERT_EQ(-1, ioctl(self->l.client, ALPC_IOC_SEND, &snd));
		ASSERT_EQ(EFAULT, errno);
		alpc_send_wait_init(&sw, NULL, 0, NULL, 0, 0);
		sw.attrs = (__u64)(unsigned long)bad[i];
		ASSERT_EQ(-1, ioctl(self->l.client, ALPC_IOC_SEND_WAIT, &sw));
		ASSERT_EQ(EFAULT, errno);
		ASSERT_EQ(-1, alpc_send_attrs(self->l.srv, ALPC_MSG_REPLY, NULL, 0, 0, id, 0,
					      bad[i], NULL));
		ASSERT_EQ(EFAULT, errno);
		memset(&rr, 0, sizeof(rr));
		rr.ref_id = id;
		rr.attrs = (__u64)(unsigned long)bad[i];
		ASSERT_EQ(-1, ioctl(self->l.srv, ALPC_IOC_REPLY_RECV, &rr));
		ASSERT_EQ(EFAULT, errno);
	}
	ASSERT_TRUE(nothing_queued(self->l.srv));
	/* The request is still outstanding: no reply went out. */
	ASSERT_EQ(0, alpc_reply(self->l.srv, id, NULL, 0));
	munmap(none, page);
	munmap(two, page);
}

/* A section of size 0 fails with EINVAL. */
TEST_F(sec, create_section_of_size_zero_is_einval)
{
	ASSERT_EQ(-1, alpc_create_section(self->l.client, 0, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, alpc_create_section(self->owner, 0, 0));
	ASSERT_EQ(EINVAL, errno);
}

/* A section over the port's max_section_size fails with EINVAL. */
TEST_F(sec, create_section_over_max_size_is_einval)
{
	int fd;

	ASSERT_EQ(-1, alpc_create_section(self->l.client, 64 * ALPC_MIB + 1, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, alpc_create_section(self->l.client, UINT64_MAX, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, alpc_create_section(self->owner, 1ULL << 40, 0));
	ASSERT_EQ(EINVAL, errno);

	ASSERT_EQ(0, open_limited(&self->other, self->dev, variant->comm_port, ALPC_MIB,
				  4 * ALPC_MIB));
	ASSERT_EQ(-1, alpc_create_section(self->other.client, ALPC_MIB + 1, 0));
	ASSERT_EQ(EINVAL, errno);
	fd = alpc_create_section(self->other.client, ALPC_MIB, 0);
	ASSERT_LE(0, fd);
	close(fd);
}

/* Sections beyond the connection's max_section_bytes, made on either end, fail with ENOMEM. */
TEST_F(sec, sections_over_connection_quota_are_enomem)
{
	int owner, a, b;

	ASSERT_EQ(0, open_limited(&self->other, self->dev, variant->comm_port, ALPC_MIB,
				  2 * ALPC_MIB));
	owner = variant->comm_port ? self->other.comm : self->other.client;
	a = alpc_create_section(self->other.client, ALPC_MIB, 0);
	ASSERT_LE(0, a);
	b = alpc_create_section(owner, ALPC_MIB, 0);
	ASSERT_LE(0, b);
	ASSERT_EQ(-1, alpc_create_section(self->other.client, 1, 0));
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_EQ(-1, alpc_create_section(owner, 1, 0));
	ASSERT_EQ(ENOMEM, errno);
	close(a);
	close(b);
}

/* A section of max_section_size fits when max_section_bytes is that size too. */
TEST_F(sec, section_of_max_size_fits_quota_of_max_size)
{
	int fd;

	ASSERT_EQ(0, open_limited(&self->other, self->dev, variant->comm_port,
				  ALPC_MIB + 1, ALPC_MIB + 1));
	fd = alpc_create_section(self->other.client, ALPC_MIB + 1, 0);
	ASSERT_LE(0, fd);
	close(fd);
}

/* The quota is per connection: another connection of the port has its own. */
TEST_F(sec, section_quota_is_per_connection)
{
	struct alpc_link second;
	int a, b;

	ASSERT_EQ(0, open_limited(&self->other, self->dev, variant->comm_port, ALPC_MIB, ALPC_MIB));
	a = alpc_create_section(self->other.client, ALPC_MIB, 0);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, alpc_link_add(&second, self->dev, &self->other, variant->comm_port));
	b = alpc_create_section(second.client, ALPC_MIB, 0);
	ASSERT_LE(0, b);
	close(a);
	close(b);
	alpc_link_close(&second);
}

/* Closing an unmapped section gives its bytes back to the quota. */
TEST_F(sec, closed_section_returns_its_quota)
{
	int a, b;

	ASSERT_EQ(0, open_limited(&self->other, self->dev, variant->comm_port, ALPC_MIB, ALPC_MIB));
	a = alpc_create_section(self->other.client, ALPC_MIB, 0);
	ASSERT_LE(0, a);
	ASSERT_EQ(-1, alpc_create_section(self->other.client, ALPC_MIB, 0));
	ASSERT_EQ(ENOMEM, errno);
	close(a);
	b = alpc_create_section(self->other.client, ALPC_MIB, 0);
	ASSERT_LE(0, b);
	close(b);
}

/* A closed section still mapped keeps its quota until the last unmap. */
TEST_F(sec, mapped_section_keeps_its_quota_until_unmapped)
{
	unsigned char *m;
	int a, b;

	ASSERT_EQ(0, open_limited(&self->other, self->dev, variant->comm_port, ALPC_MIB, ALPC_MIB));
	a = alpc_create_section(self->other.client, ALPC_MIB, 0);
	ASSERT_LE(0, a);
	m = alpc_map_section(a, ALPC_MIB);
	ASSERT_NE(MAP_FAILED, m);
	close(a);
	ASSERT_EQ(-1, alpc_create_section(self->other.client, ALPC_MIB, 0));
	ASSERT_EQ(ENOMEM, errno);
	/* Unmapping part of it keeps it: the rest is still mapped. */
	ASSERT_EQ(0, munmap(m, ALPC_MIB / 2));
	ASSERT_EQ(-1, alpc_create_section(self->other.client, ALPC_MIB, 0));
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_EQ(0, munmap(m + ALPC_MIB / 2, ALPC_MIB / 2));
	b = alpc_create_section(self->other.client, ALPC_MIB, 0);
	ASSERT_LE(0, b);
	close(b);
}

/*
 * A view keeps its section (and its quota) while queued and while the
 * receiver has it mapped, after the sender closed and unmapped it.
 */
TEST_F(sec, view_keeps_section_quota_until_receiver_unmaps)
{
	struct alpc_msg_info info;
	struct alpc_sect s;
	int b;

	ASSERT_EQ(0, open_limited(&self->other, self->dev, variant->comm_port, ALPC_MIB, ALPC_MIB));
	ASSERT_EQ(0, alpc_sect_new(&s, self->other.client, ALPC_MIB, 1));
	ASSERT_EQ(0, alpc_send_view(self->other.client, ALPC_MSG_DATAGRAM, 0, s.fd, 0, ALPC_MIB,
				    ALPC_VIEW_READONLY, NULL));
	alpc_sect_free(&s);
	ASSERT_EQ(-1, alpc_create_section(self->other.client, ALPC_MIB, 0));
	ASSERT_EQ(ENOMEM, errno);

	ASSERT_EQ(0, alpc_recv(self->other.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(-1, alpc_pat_check(alpc_view(&info), ALPC_MIB, 1, 0));
	ASSERT_EQ(-1, alpc_create_section(self->other.client, ALPC_MIB, 0));
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_EQ(0, alpc_view_unmap(&info));
	b = alpc_create_section(self->other.client, ALPC_MIB, 0);
	ASSERT_LE(0, b);
	close(b);
}

/* A request withdrawn before it was received (SEND_WAIT timed out) releases its view. */
TEST_F(sec, withdrawn_request_releases_its_view)
{
	struct alpc_send_wait sw;
	struct alpc_msg_attrs a;
	struct alpc_sect s;
	int b;

	ASSERT_EQ(0, open_limited(&self->other, self->dev, variant->comm_port, ALPC_MIB, ALPC_MIB));
	ASSERT_EQ(0, alpc_sect_new(&s, self->other.client, ALPC_MIB, 1));
	alpc_view_attrs(&a, s.fd, 0, ALPC_MIB, 0);
	alpc_send_wait_init(&sw, NULL, 0, NULL, 0, 50 * ALPC_NS_PER_MS);
	sw.attrs = (__u64)(unsigned long)&a;
	ASSERT_EQ(-1, ioctl(self->other.client, ALPC_IOC_SEND_WAIT, &sw));
	ASSERT_EQ(ETIMEDOUT, errno);
	alpc_sect_free(&s);
	ASSERT_TRUE(nothing_queued(self->other.srv));
	b = alpc_create_section(self->other.client, ALPC_MIB, 0);
	ASSERT_LE(0, b);
	close(b);
}

/* A request canceled before it was received releases its view. */
TEST_F(sec, canceled_request_releases_its_view)
{
	struct alpc_cancel c;
	struct alpc_sect s;
	__u64 id;
	int b;

	ASSERT_EQ(0, open_limited(&self->other, self->dev, variant->comm_port, ALPC_MIB, ALPC_MIB));
	ASSERT_EQ(0, alpc_sect_new(&s, self->other.client, ALPC_MIB, 1));
	ASSERT_EQ(0, alpc_send_view(self->other.client, ALPC_MSG_REQUEST, 0, s.fd, 0, ALPC_MIB, 0,
				    &id));
	alpc_sect_free(&s);
	memset(&c, 0, sizeof(c));
	c.id = id;
	ASSERT_EQ(0, ioctl(self->other.client, ALPC_IOC_CANCEL, &c));
	ASSERT_TRUE(nothing_queued(self->other.srv));
	b = alpc_create_section(self->other.client, ALPC_MIB, 0);
	ASSERT_LE(0, b);
	close(b);
}

/* CREATE_SECTION on a connection port or on /dev/alpc fails with ENOTTY. */
TEST_F(sec, create_section_on_connection_port_or_device_is_enotty)
{
	ASSERT_EQ(-1, alpc_create_section(self->l.port, 4096, 0));
	ASSERT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, alpc_create_section(self->dev, 4096, 0));
	ASSERT_EQ(ENOTTY, errno);
}

/* Unknown flags or non-zero reserved fields of CREATE_SECTION fail with EINVAL. */
TEST_F(sec, create_section_bad_flags_or_reserved_is_einval)
{
	struct alpc_create_section cs;
	unsigned int i;

	for (i = 0; i < 5; i++) {
		memset(&cs, 0, sizeof(cs));
		cs.size = 4096;
		if (i == 0)
			cs.flags = 1;
		else if (i == 1)
			cs.flags = ALPC_FD_INHERIT >> 1;
		else if (i == 2)
			cs.reserved0 = 1;
		else
			cs.reserved[i - 3] = 1;
		ASSERT_EQ(-1, ioctl(self->l.client, ALPC_IOC_CREATE_SECTION, &cs));
		ASSERT_EQ(EINVAL, errno);
	}
}

/* A CREATE_SECTION argument that cannot be read fails with EFAULT. */
TEST_F(sec, create_section_bad_pointer_is_efault)
{
	size_t page = alpc_page_size();
	void *none;

	ASSERT_EQ(-1, ioctl(self->l.client, ALPC_IOC_CREATE_SECTION, NULL));
	ASSERT_EQ(EFAULT, errno);
	none = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	ASSERT_EQ(-1, ioctl(self->l.client, ALPC_IOC_CREATE_SECTION, none));
	ASSERT_EQ(EFAULT, errno);
	munmap(none, page);
}

/* A private (copy-on-write) mapping of a section fails with EINVAL. */
TEST_F(sec, private_mapping_of_section_is_einval)
{
	size_t page = alpc_page_size();
	int fd;

	fd = alpc_create_section(self->l.client, page, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(MAP_FAILED, mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(MAP_FAILED, mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, 0));
	ASSERT_EQ(EINVAL, errno);
	close(fd);
}

/* A mapping that reaches past the section's last page fails with EINVAL. */
TEST_F(sec, mapping_beyond_section_is_einval)
{
	size_t page = alpc_page_size();
	void *m;
	int fd;

	fd = alpc_create_section(self->l.client, 2 * page + 1, 0);	/* three pages */
	ASSERT_LE(0, fd);
	ASSERT_EQ(MAP_FAILED, mmap(NULL, 4 * page, PROT_READ, MAP_SHARED, fd, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(MAP_FAILED, mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 3 * page));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(MAP_FAILED, mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, fd, 2 * page));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(MAP_FAILED, mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 1UL << 50));
	ASSERT_EQ(EINVAL, errno);
	m = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 2 * page);
	ASSERT_NE(MAP_FAILED, m);
	munmap(m, page);
	close(fd);
}

/* A new section reads as zeros, to its last byte. */
TEST_F(sec, new_section_is_zero_filled)
{
	const size_t len = ALPC_MIB + 3;
	unsigned char *m;
	int fd;

	fd = alpc_create_section(self->owner, len, 0);
	ASSERT_LE(0, fd);
	m = alpc_map_section(fd, len);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_TRUE(alpc_all(m, len, 0));
	munmap(m, len);
	close(fd);
}

/* Section fds are close-on-exec unless ALPC_FD_INHERIT is given. */
TEST_F(sec, section_fd_is_cloexec_unless_inherit)
{
	int fd;

	fd = alpc_create_section(self->l.client, 4096, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	fd = alpc_create_section(self->owner, 4096, ALPC_FD_INHERIT);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

/* A section fd is no port: port ioctls on it fail with ENOTTY. */
TEST_F(sec, port_ioctl_on_section_fd_is_enotty)
{
	struct alpc_msg_info info;
	int fd;

	fd = alpc_create_section(self->l.client, 4096, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, alpc_create_section(fd, 4096, 0));
	ASSERT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, alpc_datagram(fd, NULL, 0, NULL));
	ASSERT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, alpc_recv(fd, NULL, 0, 0, &info));
	ASSERT_EQ(ENOTTY, errno);
	close(fd);
}

/* Section pages are VM_PFNMAP: vmsplice() cannot take them (alpc.h says so). */
TEST_F(sec, section_pages_cannot_be_vmspliced)
{
	size_t page = alpc_page_size();
	struct alpc_sect s;
	struct iovec iov;
	int p[2];

	ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, page, 1));
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC | O_NONBLOCK));
	iov.iov_base = s.map;
	iov.iov_len = page;
	ASSERT_EQ(-1, vmsplice(p[1], &iov, 1, 0));
	ASSERT_EQ(EFAULT, errno);
	close(p[0]);
	close(p[1]);
	alpc_sect_free(&s);
}

/* A mapping stays valid, and shared, after the section's fd is closed. */
TEST_F(sec, section_mapping_outlives_its_fd)
{
	struct alpc_msg_info info;
	struct alpc_sect s;
	int fd;

	ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, 3 * 4096, 1));
	ASSERT_EQ(0, alpc_send_view(self->l.client, ALPC_MSG_DATAGRAM, 0, s.fd, 0, s.len, 0, NULL));
	fd = s.fd;
	s.fd = -EBADF;
	close(fd);
	ASSERT_EQ(-1, alpc_pat_check(s.map, s.len, 1, 0));
	alpc_pat_fill(s.map, s.len, 2, 0);
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(-1, alpc_pat_check(alpc_view(&info), s.len, 2, 0));
	ASSERT_EQ(0, alpc_view_unmap(&info));
	alpc_sect_free(&s);
}

/* A view sent before the sender closed and unmapped its section arrives intact. */
TEST_F(sec, view_arrives_after_sender_closed_and_unmapped)
{
	struct alpc_msg_info info;
	struct alpc_sect s;

	ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, ALPC_MIB, 1));
	ASSERT_EQ(0, alpc_send_view(self->l.client, ALPC_MSG_DATAGRAM, 0, s.fd, 5, ALPC_MIB - 5, 0,
				    NULL));
	alpc_sect_free(&s);
	ASSERT_EQ(0, alpc_section_maps());
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(1, alpc_section_maps());
	ASSERT_EQ(-1, alpc_pat_check(alpc_view(&info), ALPC_MIB - 5, 1, 5));
	ASSERT_EQ(0, alpc_view_unmap(&info));
	ASSERT_EQ(0, alpc_section_maps());
}

static int child_check_and_write(void *p)
{
	unsigned char *m = p;

	if (alpc_pat_check(m, 2 * 4096, 1, 0) != -1)
		return 1;
	alpc_pat_fill(m + 4096, 4096, 2, 4096);
	return 0;
}

/* A forked child reads the parent's section mapping and its writes show in the parent. */
TEST_F(sec, forked_child_shares_section_mapping)
{
	struct alpc_sect s;
	pid_t pid;

	ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, 2 * 4096, 1));
	pid = alpc_fork(child_check_and_write, s.map);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, alpc_wait_child(pid));
	ASSERT_EQ(-1, alpc_pat_check(s.map, 4096, 1, 0));
	ASSERT_EQ(-1, alpc_pat_check(s.map + 4096, 4096, 2, 4096));
	alpc_sect_free(&s);
}

static int child_check_view(void *p)
{
	const struct alpc_msg_info *info = p;

	return alpc_pat_check(alpc_view(info), info->view_len, 1, 1) == -1 ? 0 : 1;
}

/* A forked child inherits a received view; the parent's stays valid after the child exits. */
TEST_F(sec, received_view_is_inherited_by_fork)
{
	struct alpc_msg_info info;
	struct alpc_sect s;
	pid_t pid;

	ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, 8 * 4096, 1));
	ASSERT_EQ(0, view_across(&self->l, &s, 1, 8 * 4096 - 1, ALPC_VIEW_READONLY, &info));
	alpc_sect_free(&s);
	pid = alpc_fork(child_check_view, &info);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, alpc_wait_child(pid));
	ASSERT_EQ(-1, alpc_pat_check(alpc_view(&info), info.view_len, 1, 1));
	ASSERT_EQ(0, alpc_view_unmap(&info));
}

/* Unmapping part of a view leaves the rest mapped and intact. */
TEST_F(sec, partial_munmap_of_view_keeps_the_rest)
{
	size_t page = alpc_page_size();
	struct alpc_msg_info info;
	unsigned char *base;
	struct alpc_sect s;

	ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, 8 * page, 1));
	ASSERT_EQ(0, view_across(&self->l, &s, 1, 8 * page - 1, 0, &info));
	alpc_sect_free(&s);
	base = alpc_view(&info) - 1;

	ASSERT_EQ(0, munmap(base, page));
	ASSERT_EQ(-1, alpc_pat_check(base + page, 7 * page, 1, page));
	ASSERT_EQ(0, munmap(base + 4 * page, page));
	ASSERT_EQ(-1, alpc_pat_check(base + page, 3 * page, 1, page));
	ASSERT_EQ(-1, alpc_pat_check(base + 5 * page, 3 * page, 1, 5 * page));
	alpc_pat_fill(base + 7 * page, page, 2, 7 * page);
	ASSERT_EQ(-1, alpc_pat_check(base + 7 * page, page, 2, 7 * page));
	ASSERT_EQ(2, alpc_section_maps());
	ASSERT_EQ(0, alpc_view_unmap(&info));
	ASSERT_EQ(0, alpc_section_maps());
}

/* A receive with too little room keeps the message and maps nothing. */
TEST_F(sec, recv_too_small_keeps_view_message_and_maps_nothing)
{
	struct alpc_msg_attrs a;
	struct alpc_msg_info info;
	struct alpc_sect s;
	char buf[16];

	ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, 4096, 1));
	alpc_view_attrs(&a, s.fd, 0, 4096, 0);
	ASSERT_EQ(0, alpc_send_attrs(self->l.client, ALPC_MSG_DATAGRAM, "payload", 8, 0, 0, 0, &a,
				     NULL));
	ASSERT_EQ(1, alpc_section_maps());
	ASSERT_EQ(-1, alpc_recv(self->l.srv, buf, 4, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(8, info.len);
	ASSERT_EQ(1, alpc_section_maps());
	ASSERT_EQ(0, alpc_recv(self->l.srv, buf, sizeof(buf), ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(0, strcmp(buf, "payload"));
	ASSERT_EQ(2, alpc_section_maps());
	ASSERT_EQ(-1, alpc_pat_check(alpc_view(&info), 4096, 1, 0));
	ASSERT_EQ(0, alpc_view_unmap(&info));
	alpc_sect_free(&s);
}

/* A receive into an unwritable buffer fails with EFAULT, unmaps the view, keeps the message. */
TEST_F(sec, recv_into_bad_buffer_unmaps_view_and_keeps_message)
{
	size_t page = alpc_page_size();
	struct alpc_msg_attrs a;
	struct alpc_msg_info info;
	struct alpc_sect s;
	char buf[16];
	void *ro;

	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, 4096, 1));
	alpc_view_attrs(&a, s.fd, 0, 4096, 0);
	ASSERT_EQ(0, alpc_send_attrs(self->l.client, ALPC_MSG_DATAGRAM, "payload", 8, 0, 0, 0, &a,
				     NULL));
	ASSERT_EQ(-1, alpc_recv(self->l.srv, ro, 16, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(1, alpc_section_maps());
	ASSERT_EQ(0, alpc_recv(self->l.srv, buf, sizeof(buf), ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(2, alpc_section_maps());
	ASSERT_EQ(-1, alpc_pat_check(alpc_view(&info), 4096, 1, 0));
	ASSERT_EQ(0, alpc_view_unmap(&info));
	alpc_sect_free(&s);
	munmap(ro, page);
}

/*
 * SEND_WAIT whose reply buffer becomes unwritable while it waits fails
 * with EFAULT and maps no view, and the reply, view and all, waits at the
 * head of the caller's queue for RECV: the server's answer is not lost.
 */
TEST_F(sec, send_wait_bad_reply_buffer_leaves_no_view_mapped)
{
	size_t page = alpc_page_size();
	struct alpc_msg_info info;
	struct alpc_send_wait sw;
	struct alpc_msg_attrs a;
	struct alpc_call call;
	struct alpc_sect s;
	char out[16];
	void *buf;

	buf = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, alpc_sect_new(&s, self->owner, 4096, 1));
	alpc_send_wait_init(&sw, NULL, 0, buf, 16, ALPC_LONG_WAIT_NS);
	ASSERT_EQ(0, alpc_call_start(&call, self->l.client, ALPC_IOC_SEND_WAIT, &sw));
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	/* The probe at the start found it writable; now it is not. */
	ASSERT_EQ(0, mprotect(buf, page, PROT_READ));
	alpc_view_attrs(&a, s.fd, 0, 4096, 0);
	ASSERT_EQ(0, alpc_send_attrs(self->l.srv, ALPC_MSG_REPLY, "payload", 8, 0, info.id, 0, &a,
				     NULL));
	ASSERT_EQ(-1, alpc_call_join(&call));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(1, alpc_section_maps());

	ASSERT_EQ(0, alpc_recv(self->l.client, out, sizeof(out), 0, &info));
	EXPECT_EQ(ALPC_MSG_REPLY, info.type);
	EXPECT_EQ(sw.id, info.ref_id);
	EXPECT_EQ(0, strcmp(out, "payload"));
	ASSERT_EQ(ALPC_MSGF_VIEW, info.flags & (ALPC_MSGF_VIEW | ALPC_MSGF_VIEW_LOST));
	EXPECT_EQ(2, alpc_section_maps());
	EXPECT_EQ(0, alpc_view_unmap(&info));
	EXPECT_EQ(-1, alpc_recv(self->l.client, NULL, 0, 0, &info));
	EXPECT_EQ(EAGAIN, errno);
	alpc_sect_free(&s);
	munmap(buf, page);
}

/*
 * A server's max_views bounds the views its receives hold mapped: one
 * over arrives as ALPC_MSGF_VIEW_LOST, maps nothing, and the queue moves
 * on; unmapping one makes room again. The client side is not counted.
 */
TEST_F(sec, views_over_max_views_arrive_lost)
{
	struct alpc_port_attr attr = { .max_views = 2 };
	struct alpc_msg_info info[3], r;
	struct alpc_link l;
	struct alpc_sect s;
	int owner, i;

	ASSERT_EQ(0, alpc_link_open(&l, self->dev, &attr, variant->comm_port));
	owner = variant->comm_port ? l.comm : l.client;
	ASSERT_EQ(0, alpc_sect_new(&s, owner, 4096, 3));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, alpc_send_view(l.client, ALPC_MSG_DATAGRAM, 0, s.fd, 0, 64, 0, NULL));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, alpc_recv(l.srv, NULL, 0, ALPC_WAIT_NS, &info[i]));
	EXPECT_NE(0, info[0].view_addr);
	EXPECT_NE(0, info[1].view_addr);
	EXPECT_EQ(ALPC_MSGF_VIEW | ALPC_MSGF_VIEW_LOST,
		  info[2].flags & (ALPC_MSGF_VIEW | ALPC_MSGF_VIEW_LOST));
	EXPECT_EQ(0, info[2].view_addr);
	EXPECT_EQ(64, info[2].view_len);
	/* The section's own mapping and two views. */
	EXPECT_EQ(3, alpc_section_maps());

	EXPECT_EQ(0, alpc_view_unmap(&info[0]));
	ASSERT_EQ(0, alpc_recv(l.srv, NULL, 0, ALPC_WAIT_NS, &r));
	EXPECT_EQ(0, r.flags & ALPC_MSGF_VIEW_LOST);
	ASSERT_NE(0, r.view_addr);
	EXPECT_EQ(0, memcmp(s.map, alpc_view(&r), 64));
	EXPECT_EQ(0, alpc_view_unmap(&r));
	EXPECT_EQ(0, alpc_view_unmap(&info[1]));

	/* Views the client receives in replies do not count. */
	for (i = 0; i < 3; i++) {
		__u64 id;

		ASSERT_EQ(0, alpc_send_attrs(l.client, ALPC_MSG_REQUEST, NULL, 0, 0, 0, 0, NULL,
					     &id));
		ASSERT_EQ(0, alpc_recv(l.srv, NULL, 0, ALPC_WAIT_NS, &r));
		ASSERT_EQ(0, alpc_send_view(l.srv, ALPC_MSG_REPLY, r.id, s.fd, 0, 64, 0, NULL));
		ASSERT_EQ(0, alpc_recv(l.client, NULL, 0, ALPC_WAIT_NS, &info[i]));
		EXPECT_EQ(id, info[i].ref_id);
		EXPECT_EQ(0, info[i].flags & ALPC_MSGF_VIEW_LOST);
	}
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, alpc_view_unmap(&info[i]));
	alpc_sect_free(&s);
	alpc_link_close(&l);
}

enum sender_stage {
	SENDER_MAPPED,	/* made and filled a section */
	SENDER_QUEUED,	/* sent views nobody received yet, then waits in SEND_WAIT */
	SENDER_HOLDS,	/* sent a view; waits */
};

struct sender_args {
	int fd;		/* the client communication port */
	int ready;	/* write end of the sync pipe */
	enum sender_stage stage;
	size_t len;
};

/* A client process that stops at @stage of a transfer, to be killed there. */
static int sender_main(void *p)
{
	struct sender_args *c = p;
	struct alpc_send_wait sw;
	struct alpc_msg_attrs a;
	struct alpc_sect s;

	if (alpc_sect_new(&s, c->fd, c->len, 7))
		return 10;
	if (c->stage != SENDER_MAPPED &&
	    alpc_send_view(c->fd, ALPC_MSG_DATAGRAM, 0, s.fd, 1, c->len - 1, 0, NULL))
		return 11;
	if (c->stage == SENDER_QUEUED &&
	    alpc_send_view(c->fd, ALPC_MSG_REQUEST, 0, s.fd, 0, c->len, ALPC_VIEW_READONLY, NULL))
		return 12;
	if (alpc_post_byte(c->ready))
		return 13;
	if (c->stage == SENDER_QUEUED) {
		alpc_view_attrs(&a, s.fd, 0, c->len, 0);
		alpc_send_wait_init(&sw, NULL, 0, NULL, 0, -1);
		sw.attrs = (__u64)(unsigned long)&a;
		ioctl(c->fd, ALPC_IOC_SEND_WAIT, &sw);
		return 14;
	}
	for (;;)
		pause();
}

/*
 * Forks a sender that takes over the client end of self->l (the parent
 * closes its copy, so the connection dies with the child) and waits until
 * it reached @stage.
 */
static int spawn_sender(struct alpc_link *l, const int sync[2], pid_t *child,
			enum sender_stage stage, size_t len)
{
	struct sender_args a = { l->client, sync[1], stage, len };

	*child = alpc_fork(sender_main, &a);
	if (*child < 0)
		return -1;
	close(l->client);
	l->client = -EBADF;
	return alpc_wait_byte(sync[0]);
}

/* After the connection's client died: its notice arrives, then nothing more. */
static bool client_died_seen(int srv, bool comm_port)
{
	struct alpc_msg_info info;

	if (alpc_recv(srv, NULL, 0, ALPC_LONG_WAIT_NS, &info) || info.type != ALPC_MSG_CLIENT_DIED)
		return false;
	if (alpc_recv(srv, NULL, 0, 0, &info) != -1)
		return false;
	return errno == (comm_port ? ECONNRESET : EAGAIN);
}

/* A view round trip on a new connection of the port: the port still works. */
static bool port_still_works(int dev, const struct alpc_link *l, bool comm_port)
{
	struct alpc_msg_info info;
	struct alpc_link n;
	struct alpc_sect s;
	bool ok;

	if (alpc_link_add(&n, dev, l, comm_port))
		return false;
	ok = !alpc_sect_new(&s, n.client, 65536, 3) &&
	     !alpc_send_view(n.client, ALPC_MSG_DATAGRAM, 0, s.fd, 3, 65533, 0, NULL) &&
	     !alpc_recv(n.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info) &&
	     alpc_pat_check(alpc_view(&info), 65533, 3, 3) == -1 &&
	     !alpc_view_unmap(&info);
	alpc_sect_free(&s);
	alpc_link_close(&n);
	return ok;
}

/* A sender killed after making and mapping a section leaves the port working. */
TEST_F(sec, sender_killed_with_section_mapped)
{
	ASSERT_EQ(0, spawn_sender(&self->l, self->sync, &self->child, SENDER_MAPPED, 8 * ALPC_MIB));
	ASSERT_EQ(128 + SIGKILL, alpc_kill_child(&self->child));
	ASSERT_TRUE(client_died_seen(self->l.srv, variant->comm_port));
	ASSERT_TRUE(port_still_works(self->dev, &self->l, variant->comm_port));
}

/*
 * A sender killed with views queued (a datagram, a request, a SEND_WAIT):
 * the datagram's view still arrives intact, the requests are dropped.
 */
TEST_F(sec, sender_killed_with_views_queued)
{
	const size_t len = 4 * ALPC_MIB;
	struct alpc_msg_info info;

	ASSERT_EQ(0, spawn_sender(&self->l, self->sync, &self->child, SENDER_QUEUED, len));
	alpc_sleep_ms(200);	/* most likely in SEND_WAIT by now; either way is fine */
	ASSERT_EQ(128 + SIGKILL, alpc_kill_child(&self->child));

	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_DATAGRAM, info.type);
	ASSERT_EQ(len - 1, info.view_len);
	ASSERT_EQ(-1, alpc_pat_check(alpc_view(&info), len - 1, 7, 1));
	ASSERT_EQ(0, alpc_view_unmap(&info));
	ASSERT_TRUE(client_died_seen(self->l.srv, variant->comm_port));
	ASSERT_EQ(0, alpc_section_maps());
	ASSERT_TRUE(port_still_works(self->dev, &self->l, variant->comm_port));
}

/* The receiver's view stays valid (and writable) after the sender is killed. */
TEST_F(sec, receivers_view_outlives_killed_sender)
{
	const size_t len = 4 * ALPC_MIB;
	struct alpc_msg_info info;

	ASSERT_EQ(0, spawn_sender(&self->l, self->sync, &self->child, SENDER_HOLDS, len));
	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(-1, alpc_pat_check(alpc_view(&info), len - 1, 7, 1));
	ASSERT_EQ(128 + SIGKILL, alpc_kill_child(&self->child));

	ASSERT_EQ(-1, alpc_pat_check(alpc_view(&info), len - 1, 7, 1));
	alpc_pat_fill(alpc_view(&info), len - 1, 8, 1);
	ASSERT_EQ(-1, alpc_pat_check(alpc_view(&info), len - 1, 8, 1));
	ASSERT_TRUE(client_died_seen(self->l.srv, variant->comm_port));
	ASSERT_EQ(0, alpc_view_unmap(&info));
	ASSERT_TRUE(port_still_works(self->dev, &self->l, variant->comm_port));
}

struct server_args {
	const char *name;
	int ready;
	bool comm_port;
};

/* A server process that receives one view, holds it mapped and waits to be killed. */
static int server_main(void *p)
{
	struct server_args *a = p;
	struct alpc_msg_info info;
	struct alpc_accept acc;
	int dev, port, comm, srv;

	dev = alpc_open();
	port = alpc_create_port(dev, a->name, NULL, 0);
	if (port < 0 || alpc_post_byte(a->ready))
		return 10;
	if (alpc_recv(port, NULL, 0, ALPC_LONG_WAIT_NS, &info) ||
	    info.type != ALPC_MSG_CONNECTION_REQUEST)
		return 11;
	memset(&acc, 0, sizeof(acc));
	acc.id = info.id;
	acc.flags = a->comm_port ? ALPC_ACCEPT_COMM_PORT : 0;
	comm = ioctl(port, ALPC_IOC_ACCEPT, &acc);
	if (comm < 0)
		return 12;
	srv = a->comm_port ? comm : port;
	if (alpc_recv(srv, NULL, 0, ALPC_LONG_WAIT_NS, &info) || !(info.flags & ALPC_MSGF_VIEW))
		return 13;
	if (alpc_pat_check(alpc_view(&info), info.view_len, 5, 0) != -1)
		return 14;
	if (alpc_post_byte(a->ready))
		return 15;
	for (;;)
		pause();
}

/* A receiver killed while it holds a view mapped leaves the sender's section intact. */
TEST_F(sec, receiver_killed_holding_view)
{
	struct server_args a = { .ready = self->sync[1], .comm_port = variant->comm_port };
	char name[ALPC_NAME_MAX];
	struct alpc_connect con;
	struct alpc_msg_info info;
	struct alpc_sect s;
	int client;

	snprintf(name, sizeof(name), "ksft-sec-srv-%d", getpid());
	a.name = name;
	self->child = alpc_fork(server_main, &a);
	ASSERT_LT(0, self->child);
	ASSERT_EQ(0, alpc_wait_byte(self->sync[0]));
	memset(&con, 0, sizeof(con));
	snprintf(con.name, sizeof(con.name), "%s", name);
	con.timeout_ns = ALPC_LONG_WAIT_NS;
	client = ioctl(self->dev, ALPC_IOC_CONNECT, &con);
	ASSERT_LE(0, client);

	ASSERT_EQ(0, alpc_sect_new(&s, client, 2 * ALPC_MIB, 5));
	ASSERT_EQ(0, alpc_send_view(client, ALPC_MSG_DATAGRAM, 0, s.fd, 0, s.len, 0, NULL));
	ASSERT_EQ(0, alpc_wait_byte(self->sync[0]));
	ASSERT_EQ(128 + SIGKILL, alpc_kill_child(&self->child));

	ASSERT_EQ(-1, alpc_send_view(client, ALPC_MSG_DATAGRAM, 0, s.fd, 0, 1, 0, NULL));
	ASSERT_EQ(ECONNRESET, errno);
	ASSERT_EQ(-1, alpc_recv(client, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(ECONNRESET, errno);
	ASSERT_EQ(-1, alpc_pat_check(s.map, s.len, 5, 0));
	alpc_pat_fill(s.map, s.len, 6, 0);
	ASSERT_EQ(-1, alpc_pat_check(s.map, s.len, 6, 0));
	alpc_sect_free(&s);
	close(client);
}

static int request_and_wait(void *p)
{
	struct sender_args *c = p;

	if (alpc_request(c->fd, NULL, 0, NULL) || alpc_post_byte(c->ready))
		return 10;
	for (;;)
		pause();
}

/* A client killed with a reply view queued for it releases it; the server goes on. */
TEST_F(sec, client_killed_with_reply_view_queued)
{
	struct sender_args c = { self->l.client, self->sync[1], SENDER_MAPPED, 0 };
	struct alpc_msg_info info;
	struct alpc_sect s;

	/* Made before the fork: without a comm port, on the client's end. */
	ASSERT_EQ(0, alpc_sect_new(&s, self->owner, 2 * ALPC_MIB, 4));
	self->child = alpc_fork(request_and_wait, &c);
	ASSERT_LT(0, self->child);
	close(self->l.client);
	self->l.client = -EBADF;
	if (!variant->comm_port)
		self->owner = -EBADF;
	ASSERT_EQ(0, alpc_wait_byte(self->sync[0]));

	ASSERT_EQ(0, alpc_recv(self->l.srv, NULL, 0, ALPC_LONG_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_REQUEST, info.type);
	ASSERT_EQ(0, alpc_send_view(self->l.srv, ALPC_MSG_REPLY, info.id, s.fd, 0, s.len, 0, NULL));
	ASSERT_EQ(128 + SIGKILL, alpc_kill_child(&self->child));
	ASSERT_TRUE(client_died_seen(self->l.srv, variant->comm_port));
	ASSERT_EQ(-1, alpc_pat_check(s.map, s.len, 4, 0));
	alpc_sect_free(&s);
	ASSERT_TRUE(port_still_works(self->dev, &self->l, variant->comm_port));
}

/*
 * Closing the server with views queued (datagrams, a request, a waiting
 * SEND_WAIT) resets the client, which keeps its own mapping intact.
 */
TEST_F(sec, server_close_with_views_queued)
{
	struct alpc_msg_info info;
	struct alpc_send_wait sw;
	struct alpc_msg_attrs a;
	struct alpc_call call;
	struct alpc_sect s;
	int i;

	ASSERT_EQ(0, alpc_sect_new(&s, self->l.client, 4 * ALPC_MIB, 9));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, alpc_send_view(self->l.client, ALPC_MSG_DATAGRAM, 0, s.fd, i, ALPC_MIB,
					    i == 1 ? ALPC_VIEW_READONLY : 0, NULL));
	}
	ASSERT_EQ(0, alpc_send_view(self->l.client, ALPC_MSG_REQUEST, 0, s.fd, 0, s.len, 0, NULL));
	alpc_view_attrs(&a, s.fd, 1, s.len - 1, 0);
	alpc_send_wait_init(&sw, NULL, 0, NULL, 0, ALPC_LONG_WAIT_NS);
	sw.attrs = (__u64)(unsigned long)&a;
	ASSERT_EQ(0, alpc_call_start(&call, self->l.client, ALPC_IOC_SEND_WAIT, &sw));
	alpc_sleep_ms(100);

	if (self->l.comm >= 0)
		close(self->l.comm);
	close(self->l.port);
	self->l.comm = -EBADF;
	self->l.port = -EBADF;
	ASSERT_EQ(-1, alpc_call_join(&call));
	ASSERT_EQ(ECONNRESET, errno);
	ASSERT_EQ(-1, alpc_recv(self->l.client, NULL, 0, 0, &info));
	ASSERT_EQ(ECONNRESET, errno);
	ASSERT_EQ(-1, alpc_send_view(self->l.client, ALPC_MSG_DATAGRAM, 0, s.fd, 0, 1, 0, NULL));
	ASSERT_EQ(ECONNRESET, errno);
	ASSERT_EQ(-1, alpc_pat_check(s.map, s.len, 9, 0));
	ASSERT_EQ(1, alpc_section_maps());
	alpc_sect_free(&s);
}

TEST_HARNESS_MAIN
