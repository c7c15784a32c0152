/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernel lines alpc builds for (Debian's 6.1 and
 * 6.12 LTS, and later). Every LINUX_VERSION_CODE check lives here.
 */
#ifndef _ALPC_COMPAT_H
#define _ALPC_COMPAT_H

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/ipc_namespace.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/proc_ns.h>
#include <linux/version.h>
#include <net/genetlink.h>

/*
 * put_ipc_ns() is not exported before 6.2. The namespace's own
 * proc_ns_operations (what setns() and nsfs use) drop the reference the
 * same way on every line, so use them everywhere.
 */
static inline void alpc_put_ipc_ns(struct ipc_namespace *ns)
{
#ifdef CONFIG_IPC_NS
	ns->ns.ops->put(&ns->ns);
#endif
}

/* 6.5 dropped the vmas argument of get_user_pages_remote(). */
static inline long alpc_gup_remote(struct mm_struct *mm, unsigned long addr,
				   unsigned int gup_flags, struct page **page,
				   int *locked)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
	return get_user_pages_remote(mm, addr, 1, gup_flags, page, NULL, locked);
#else
	return get_user_pages_remote(mm, addr, 1, gup_flags, page, locked);
#endif
}

/* 6.8 dropped eventfd_signal()'s count, always 1 for its users since. */
static inline void alpc_eventfd_signal(struct eventfd_ctx *ctx)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx, 1);
#else
	eventfd_signal(ctx);
#endif
}

/* 6.10: __assign_str() takes the source from __string() itself. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 10, 0)
#define alpc_assign_str(dst, src)	__assign_str(dst, src)
#else
#define alpc_assign_str(dst, src)	__assign_str(dst)
#endif

/* 6.7 folded __receive_fd() into receive_fd(), which gained its ufd. */
static inline int alpc_receive_fd(struct file *file, unsigned int o_flags)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
	return receive_fd(file, o_flags);
#else
	return receive_fd(file, NULL, o_flags);
#endif
}

/* pidfs (6.9) gave pidfds a file system of their own; uapi magic.h since. */
#ifdef PID_FS_MAGIC
#define ALPC_PID_FS_MAGIC	PID_FS_MAGIC
#else
#define ALPC_PID_FS_MAGIC	0x50494446
#endif

/*
 * 6.6 gave dump callbacks a struct genl_info (genl_info_dump()); before,
 * the parsed attributes sit in struct genl_dumpit_info itself.
 */
static inline struct nlattr **alpc_genl_dump_attrs(struct netlink_callback *cb)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0)
	return genl_dumpit_info(cb)->attrs;
#else
	return genl_info_dump(cb)->attrs;
#endif
}

/*
 * A multicast group can keep unprivileged sockets out only with the
 * GENL_MCAST_CAP_* flags: 6.7, and the stable updates of earlier lines
 * (Debian's 6.1 has them). Events are not filtered per listener, so the
 * module is not built without them.
 */
#ifndef GENL_MCAST_CAP_SYS_ADMIN
#error "alpc needs GENL_MCAST_CAP_SYS_ADMIN (Linux 6.7, or a stable update of 6.1 or 6.6)"
#endif

#endif /* _ALPC_COMPAT_H */
