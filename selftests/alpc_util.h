/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small wrappers shared by alpc's kselftests.
 */
#ifndef _ALPC_SELFTEST_UTIL_H
#define _ALPC_SELFTEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <linux/alpc.h>

static inline int alpc_open(void)
{
	return open(ALPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
}

static inline int alpc_get_features(int fd, void *f)
{
	return ioctl(fd, ALPC_IOC_GET_FEATURES, f);
}

#endif /* _ALPC_SELFTEST_UTIL_H */
