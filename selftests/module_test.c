// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifetime: an open fd pins the module. Needs CAP_SYS_MODULE and
 * the module file in $ALPC_KO, to load it back afterwards.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "alpc_util.h"

static int delete_module(const char *name, int flags)
{
	return syscall(__NR_delete_module, name, flags);
}

static int load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -1;
	ret = syscall(__NR_finit_module, fd, "", 0);
	close(fd);
	return ret;
}

/* rmmod fails while an fd of /dev/alpc is open and succeeds after close. */
TEST(rmmod_fails_while_fd_open_and_succeeds_after_close)
{
	const char *ko = getenv("ALPC_KO");
	struct stat st;
	int fd;

	if (!ko)
		SKIP(return, "ALPC_KO does not name the module file");

	fd = alpc_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, delete_module("alpc", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	/* Still usable: the failed unload changed nothing. */
	EXPECT_EQ(0, stat(ALPC_DEVICE_PATH, &st));

	close(fd);
	ASSERT_EQ(0, delete_module("alpc", O_NONBLOCK));
	EXPECT_EQ(-1, stat(ALPC_DEVICE_PATH, &st));
	EXPECT_EQ(ENOENT, errno);

	ASSERT_EQ(0, load_module(ko));
	fd = alpc_open();
	ASSERT_LE(0, fd);
	close(fd);
}

TEST_HARNESS_MAIN
