/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ALPC_ACCESS_H
#define _ALPC_ACCESS_H

#include <linux/kref.h>
#include <linux/types.h>
#include <uapi/linux/alpc.h>

struct alpc_conn;
struct alpc_end;
struct list_head;
struct mm_struct;

/*
 * A range of a request's sender's memory that the request's receiver may
 * read or write (ALPC_IOC_ACCESS) until the request ends. @revoked and
 * @active are under the port's lock; a sender told its request ended
 * waits for @active to drop to 0 before it returns to user space.
 */
struct alpc_region {
	struct kref ref;
	struct mm_struct *mm;		/* the sender's, as it was at send */
	u64 addr;
	u64 len;
	u32 flags;			/* ALPC_REGION_* */
	bool revoked;
	unsigned int active;
};

struct alpc_region *alpc_region_alloc(u64 addr, u64 len, u32 flags);
struct alpc_region *alpc_region_get(struct alpc_region *r);
void alpc_region_put(struct alpc_region *r);
void alpc_region_drain(struct alpc_conn *conn, struct alpc_region *r);
void alpc_regions_drain(struct list_head *dispose);

int alpc_ioctl_access(struct alpc_end *end, struct alpc_access __user *ua);

#endif /* _ALPC_ACCESS_H */
