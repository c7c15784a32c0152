/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * alpc: Windows-style ALPC ports for Linux.
 *
 * This header is the whole interface between the alpc module and user
 * space. Every ioctl below is issued on an fd of the misc device
 * /dev/alpc unless its block says otherwise.
 *
 * Conventions, for every ioctl:
 *  - Structures are copied in once; the kernel never re-reads user memory
 *    after validating it.
 *  - Unknown bits in a flags word, and non-zero reserved fields, fail
 *    with EINVAL and change nothing.
 *  - An argument pointer, or a user pointer inside a structure, that
 *    cannot be read or written fails with EFAULT.
 *  - An ioctl number the object does not know fails with ENOTTY.
 *
 * User space probes what the loaded module offers with
 * ALPC_IOC_GET_FEATURES before relying on anything newer than version 1.
 */
#ifndef _UAPI_LINUX_ALPC_H
#define _UAPI_LINUX_ALPC_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define ALPC_DEVICE_PATH	"/dev/alpc"

/* Incremented on every change of this header that user space can see. */
#define ALPC_API_VERSION	1

#define ALPC_IOC_MAGIC		0xA7

/**
 * DOC: ALPC_IOC_GET_FEATURES
 *
 * Reports the interface version and what the module supports.
 *
 * In:  @flags, must be 0; @reserved, must be 0.
 * Out: @version, ALPC_API_VERSION of the running module;
 *      @features, a mask of ALPC_FEAT_* bits.
 *
 * Errors: EINVAL (non-zero @flags or @reserved), EFAULT.
 */
struct alpc_features {
	__u32 version;
	__u32 flags;
	__u64 features;
	__u64 reserved[4];
};

/* No optional feature exists yet; later ones will each claim a bit here. */
#define ALPC_FEAT_ALL		0ULL

#define ALPC_IOC_GET_FEATURES	_IOWR(ALPC_IOC_MAGIC, 0x00, struct alpc_features)

#endif /* _UAPI_LINUX_ALPC_H */
