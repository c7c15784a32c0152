/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ALPC_MSG_H
#define _ALPC_MSG_H

#include <linux/cred.h>
#include <linux/list.h>
#include <linux/pid.h>
#include <linux/refcount.h>
#include <linux/rhashtable.h>
#include <linux/types.h>

#include "port.h"
#include "section.h"

/*
 * A thread waiting for a request's answer (ALPC_IOC_SEND_WAIT, connect).
 * Lives on the waiter's stack; the request points at it while the thread
 * waits, and whoever ends the request fills it in and wakes conn->wq.
 */
struct alpc_waiter {
	bool done;
	int status;			/* 0, or -errno */
	struct alpc_msg *reply;		/* the waiter frees it */
};

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

enum alpc_req_state {
	ALPC_REQ_NONE,		/* not a request */
	ALPC_REQ_QUEUED,	/* in the receiver's queue */
	ALPC_REQ_DELIVERING,	/* off the queue, being copied out by a receiver */
	ALPC_REQ_DELIVERED,	/* received: its receiver may answer it */
};

struct alpc_msg {
	struct list_head node;		/* in an end's queue, or a dispose list */
	struct list_head req_node;	/* in conn->reqs while unanswered */
	struct rhash_head hnode;	/* in port->requests while unanswered */
	struct alpc_conn *conn;		/* holds a reference */
	u64 id;
	u64 ref_id;
	u64 context;
	u32 type;			/* enum alpc_msg_type */
	u32 len;
	enum alpc_dir dir;
	bool charged;			/* counts in conn->queued_*[dir] */
	bool abandoned;			/* ended while DELIVERING */
	bool notify_cancel;		/* ... and its receiver is to hear of it */
	bool peer;			/* sent by a process on the connection: */
	enum alpc_dir from;		/* ... from this side, */
	bool cred_changed;		/* ... with other creds than at connect */
	u32 charged_bytes;
	enum alpc_req_state state;
	u32 cp_kind;			/* completion kind, if not @type */
	int status;			/* ... and its status */
	u32 nfiles;			/* fds it carries */
	struct file **files;
	struct alpc_end *send_end;	/* requests: may cancel */
	struct alpc_end *recv_end;	/* requests: may answer, once received */
	struct alpc_waiter *waiter;
	struct pid *tgid;		/* the sender's, captured at send */
	struct pid *tid;
	const struct cred *cred;
	struct alpc_view view;		/* view.sec: a view travels with it */
	struct alpc_region *region;	/* requests: direct access granted */
	struct alpc_bundle *bundle;	/* part of one: no references of its own */
	u8 *data;			/* the payload: right after it, or in @bundle */
};

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

/*
 * The request table: an rhashtable rather than an xarray, because ids
 * only grow, so an xarray allocated a node for nearly every request and
 * freed it through RCU, waking the RCU kthread on the round-trip path.
 * The hash node lives in the message: nothing is allocated per request.
 */
static const struct rhashtable_params alpc_req_params = {
	.key_len		= sizeof(u64),
	.key_offset		= offsetof(struct alpc_msg, id),
	.head_offset		= offsetof(struct alpc_msg, hnode),
	.automatic_shrinking	= true,
};

static inline struct alpc_msg *alpc_req_lookup(struct alpc_port *port, u64 id)
{
	return rhashtable_lookup_fast(&port->requests, &id, alpc_req_params);
}

u64 alpc_new_id(void);
long alpc_timeout(s64 timeout_ns);
int alpc_sleep(struct alpc_port *port, struct wait_queue_entry *wait,
	       long *timeout);

struct alpc_msg *alpc_msg_alloc(struct alpc_conn *conn, u32 type,
				const void __user *buf, u32 len);
void alpc_msg_free(struct alpc_msg *msg);
void alpc_msg_free_list(struct list_head *list);
void alpc_msg_stamp(struct alpc_msg *msg, enum alpc_dir from);
bool alpc_has_space(struct alpc_conn *conn, enum alpc_dir dir, u32 len);
void alpc_msg_enqueue(struct alpc_end *end, struct alpc_msg *msg, bool sync);
void alpc_uncharge(struct alpc_msg *msg);
void alpc_req_end(struct alpc_msg *req, int status, struct alpc_msg *reply,
		  bool notify, struct list_head *dispose);
void alpc_end_purge(struct alpc_end *end, struct list_head *dispose);
void alpc_dgram_cache_free(struct alpc_conn *conn);

long alpc_msg_ioctl(struct alpc_end *end, unsigned int cmd,
		    void __user *uarg);

#endif /* _ALPC_MSG_H */
