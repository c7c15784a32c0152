/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ALPC_DGRAM_H
#define _ALPC_DGRAM_H

#include <linux/refcount.h>
#include <linux/types.h>
#include <uapi/linux/alpc.h>

#include "msg.h"

/* The headers of a bundle's datagrams. */
struct alpc_msg_array {
	u32 cap;
	struct alpc_msg msgs[];
};

/*
 * The datagrams of one ALPC_IOC_SEND_DGRAMS: the bundle and a copy of the
 * sender's buffer, which holds their payloads, in one allocation, and
 * their headers in another (32 of them fit a kmalloc-8k slab object; in
 * one piece with the buffer they would need pages of their own). The
 * bundle holds the references a message would (connection, sender's pid,
 * thread and credentials) once for all of them. Every message in it is
 * queued, charged and received as any other; allocation and freeing
 * differ, and so does memory: a bundle lives until its last datagram is
 * received, so one that is partly received holds its whole buffer while
 * only the rest is charged (in a FIFO queue, one bundle per direction at
 * a time). When the last is freed, the bundle goes back to its
 * connection's cache (two per direction, of at most 16 KiB and 64
 * datagrams) for that sender's next: allocating (and, with
 * init_on_alloc, zeroing) is most of what a bundle costs, and io_uring
 * likewise keeps freed requests for reuse in its alloc caches.
 */
struct alpc_bundle {
	refcount_t ref;			/* its messages not yet freed */
	struct alpc_conn *conn;
	struct pid *tgid;
	struct pid *tid;
	const struct cred *cred;
	enum alpc_dir dir;		/* sent in, for the cache */
	bool cacheable;			/* small enough to keep */
	u32 buf_cap;			/* room at @buf */
	u64 bytes;			/* their payloads' */
	struct alpc_msg_array *hdrs;	/* as many as it has datagrams, or more */
	u8 buf[];			/* the sender's buffer */
};

void alpc_bundle_put(struct alpc_bundle *b);
void alpc_dgram_cache_free(struct alpc_conn *conn);

int alpc_ioctl_send_dgrams(struct alpc_end *end, struct alpc_dgrams __user *ud);
int alpc_ioctl_recv_dgrams(struct alpc_end *end, struct alpc_dgrams __user *ud);

#endif /* _ALPC_DGRAM_H */
