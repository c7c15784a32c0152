// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/alpc itself: the node, the features query, and how every ioctl
 * treats bad input (unknown numbers, reserved fields, bad pointers).
 */
#include <assert.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "alpc_util.h"

/* The uapi header compiles as C; the C++ side is libalpcu/tests/uapi_test.cpp. */
static_assert(sizeof(struct alpc_features) == 48, "alpc_features layout");
static_assert(offsetof(struct alpc_features, reserved) == 16, "alpc_features layout");
/* Version 3 named reserved words; the structures kept their sizes. */
static_assert(sizeof(struct alpc_port_attr) == 48, "alpc_port_attr layout");
static_assert(sizeof(struct alpc_create_port) == 128, "alpc_create_port layout");
static_assert(sizeof(struct alpc_connect) == 136, "alpc_connect layout");
static_assert(sizeof(struct alpc_accept) == 48, "alpc_accept layout");
static_assert(sizeof(struct alpc_msg_info) == 88, "alpc_msg_info layout");
static_assert(sizeof(struct alpc_msg_attrs) == 72, "alpc_msg_attrs layout");
static_assert(sizeof(struct alpc_security) == 288, "alpc_security layout");
static_assert(sizeof(struct alpc_port_security) == 360, "alpc_port_security layout");
static_assert(sizeof(struct alpc_recv_extra) == 48, "alpc_recv_extra layout");

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = alpc_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* /dev/alpc is a character device anyone may open. */
TEST(device_node_is_world_accessible_char_device)
{
	struct stat st;

	ASSERT_EQ(0, stat(ALPC_DEVICE_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666, st.st_mode & 0777);
}

/* The features query reports this header's version and no unknown bits. */
TEST_F(dev, features_query_reports_version)
{
	struct alpc_features f;

	memset(&f, 0, sizeof(f));
	ASSERT_EQ(0, alpc_get_features(self->fd, &f));
	EXPECT_EQ(ALPC_API_VERSION, f.version);
	EXPECT_EQ(0, f.features & ~ALPC_FEAT_ALL);
	EXPECT_EQ(0, f.flags);
}

/*
 * Version 3 modules offer port security, secure connect, pidfds and fd
 * passing; version 4 adds ALPC_IOC_SEND_DGRAMS and RECV_DGRAMS; version 5
 * delivers what a receiver cannot take flagged (ALPC_MSGF_*_LOST).
 */
TEST_F(dev, version_5_reports_security_dgrams_and_lost_flags_features)
{
	struct alpc_features f;

	memset(&f, 0, sizeof(f));
	ASSERT_EQ(0, alpc_get_features(self->fd, &f));
	ASSERT_EQ(5, ALPC_API_VERSION);
	EXPECT_EQ(5, f.version);
	EXPECT_EQ(ALPC_FEAT_SECURITY, f.features & ALPC_FEAT_SECURITY);
	EXPECT_EQ(ALPC_FEAT_DGRAMS, f.features & ALPC_FEAT_DGRAMS);
	EXPECT_EQ(ALPC_FEAT_LOST_FLAGS, f.features & ALPC_FEAT_LOST_FLAGS);
	EXPECT_EQ(ALPC_FEAT_ALL, f.features);
}

/* An ioctl number the device does not know fails with ENOTTY. */
TEST_F(dev, unknown_ioctl_is_enotty)
{
	struct alpc_features f = { 0 };

	ASSERT_EQ(-1, ioctl(self->fd, _IOWR(ALPC_IOC_MAGIC, 0xff, struct alpc_features), &f));
	EXPECT_EQ(ENOTTY, errno);
	/* Right number, wrong size: a different ioctl as far as the kernel knows. */
	ASSERT_EQ(-1, ioctl(self->fd, _IOWR(ALPC_IOC_MAGIC, 0x00, __u64), &f));
	EXPECT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(self->fd, TCGETS, &f));
	EXPECT_EQ(ENOTTY, errno);
}

/* Non-zero flags or reserved words fail with EINVAL and write nothing back. */
TEST_F(dev, nonzero_reserved_or_flags_is_einval)
{
	struct alpc_features f;
	int i;

	for (i = 0; i < 5; i++) {
		memset(&f, 0, sizeof(f));
		if (i == 4)
			f.flags = 1u << 31;
		else
			f.reserved[i] = 1ull << i;
		ASSERT_EQ(-1, alpc_get_features(self->fd, &f));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(0, f.version);
	}
}

/* An argument that is not readable or not writable memory gives EFAULT. */
TEST_F(dev, bad_pointer_is_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	void *ro, *none;

	ASSERT_EQ(-1, alpc_get_features(self->fd, NULL));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, alpc_get_features(self->fd, (void *)1));
	EXPECT_EQ(EFAULT, errno);

	none = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	ASSERT_EQ(-1, alpc_get_features(self->fd, none));
	EXPECT_EQ(EFAULT, errno);

	/* Readable but not writable: the copy back out fails. */
	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(-1, alpc_get_features(self->fd, ro));
	EXPECT_EQ(EFAULT, errno);

	/* A structure that runs off the end of the mapping. */
	ASSERT_EQ(0, mprotect(ro, page, PROT_READ | PROT_WRITE));
	ASSERT_EQ(-1, alpc_get_features(self->fd,
					(char *)ro + page - sizeof(struct alpc_features) / 2));
	EXPECT_EQ(EFAULT, errno);

	munmap(ro, page);
	munmap(none, page);
}

/* The device is not a stream: read, write and lseek are refused. */
TEST_F(dev, read_write_seek_are_refused)
{
	char buf[8];

	ASSERT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, write(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, lseek(self->fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
}

TEST_HARNESS_MAIN
