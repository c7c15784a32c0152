// SPDX-License-Identifier: GPL-2.0
/*
 * What VM_PFNMAP section mappings imply for users (README: "What
 * VM_PFNMAP means for sections"): the kernel cannot pin their pages, so
 * anything built on get_user_pages(), O_DIRECT I/O among them, fails.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "alpc_util.h"

#define NAME_LEN 32

FIXTURE(section) {
	int dev, port, client, sec;
	void *map;
	long page;
};

FIXTURE_SETUP(section)
{
	struct alpc_create_port cp = { 0 };
	struct alpc_connect c = { 0 };
	struct alpc_accept a = { 0 };
	struct alpc_create_section cs = { 0 };
	struct alpc_recv r = { 0 };
	pid_t pid;
	int status;

	self->port = -1;
	self->client = -1;
	self->sec = -1;
	self->map = MAP_FAILED;
	self->page = sysconf(_SC_PAGESIZE);
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	snprintf(cp.name, NAME_LEN, "pfnmap-%d", getpid());
	self->port = ioctl(self->dev, ALPC_IOC_CREATE_PORT, &cp);
	ASSERT_LE(0, self->port);

	/* A child accepts; the connect below waits for it. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		r.timeout_ns = -1;
		if (ioctl(self->port, ALPC_IOC_RECV, &r))
			_exit(1);
		a.id = r.info.id;
		_exit(ioctl(self->port, ALPC_IOC_ACCEPT, &a) ? 2 : 0);
	}
	memcpy(c.name, cp.name, sizeof(c.name));
	c.timeout_ns = -1;
	self->client = ioctl(self->dev, ALPC_IOC_CONNECT, &c);
	ASSERT_LE(0, self->client);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);

	cs.size = 4 * self->page;
	self->sec = ioctl(self->client, ALPC_IOC_CREATE_SECTION, &cs);
	ASSERT_LE(0, self->sec);
	self->map = mmap(NULL, 4 * self->page, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->sec, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	memset(self->map, 0x5a, 4 * self->page);
}

FIXTURE_TEARDOWN(section)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, 4 * self->page);
	if (self->sec >= 0)
		close(self->sec);
	if (self->client >= 0)
		close(self->client);
	if (self->port >= 0)
		close(self->port);
	if (self->dev >= 0)
		close(self->dev);
}

/* vmsplice() cannot take section pages: they cannot be pinned. */
TEST_F(section, vmsplice_of_section_memory_fails)
{
	struct iovec iov = { .iov_base = self->map, .iov_len = self->page };
	int p[2];

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(-1, vmsplice(p[1], &iov, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	close(p[0]);
	close(p[1]);
}

/* process_vm_readv() (remote get_user_pages) cannot read a section either. */
TEST_F(section, process_vm_readv_of_section_memory_fails)
{
	char buf[64], plain[64] = "ordinary memory";
	struct iovec local = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct iovec remote = { .iov_base = plain, .iov_len = sizeof(buf) };

	/* The debug kernel (tinyconfig) has no CONFIG_CROSS_MEMORY_ATTACH. */
	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != sizeof(buf))
		SKIP(return, "process_vm_readv() does not work here at all");
	remote.iov_base = self->map;
	ASSERT_EQ(-1, process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
	EXPECT_EQ(EFAULT, errno);
}

/* Ordinary access through the mapping, and read()/write() to it, work. */
TEST_F(section, plain_io_through_a_section_works)
{
	char buf[16];
	int p[2];

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(16, write(p[1], self->map, 16));
	ASSERT_EQ(16, read(p[0], (char *)self->map + self->page, 16));
	ASSERT_EQ(16, write(p[1], (char *)self->map + self->page, 16));
	ASSERT_EQ(16, read(p[0], buf, 16));
	EXPECT_EQ(0x5a, (unsigned char)buf[15]);
	close(p[0]);
	close(p[1]);
}

/* A section mapping cannot grow (VM_DONTEXPAND). */
TEST_F(section, mremap_cannot_grow_a_section_mapping)
{
	void *p = mremap(self->map, 4 * self->page, 8 * self->page, MREMAP_MAYMOVE);

	ASSERT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EFAULT, errno);
}

/* A private (copy-on-write) mapping of a section is refused. */
TEST_F(section, private_mapping_is_refused)
{
	void *p = mmap(NULL, self->page, PROT_READ, MAP_PRIVATE, self->sec, 0);

	ASSERT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
