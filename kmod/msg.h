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
#include "wait.h"

struct alpc_bundle;
struct alpc_region;

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

/*
 * The wake-ups a run of sends in one batch owes its destination (one end:
 * a sending end's destination is fixed once it is connected), made once
 * when the run ends or before the sender sleeps: one per message, as
 * alpc_msg_enqueue() would have made them one by one, but under one hold
 * of the wait queue's lock. Made under the port's lock, as
 * alpc_msg_enqueue() makes them, so @end cannot be torn down meanwhile.
 */
struct alpc_wakes {
	struct alpc_end *end;
	int nr;
};

u64 alpc_new_id(void);
u64 alpc_new_ids(u32 n);
int alpc_sleep(struct alpc_port *port, struct wait_queue_entry *wait,
	       long *timeout);

struct alpc_msg *alpc_msg_alloc(struct alpc_conn *conn, u32 type,
				const void __user *buf, u32 len);
void alpc_msg_free(struct alpc_msg *msg);
void alpc_msg_free_list(struct list_head *list);
void alpc_msg_stamp(struct alpc_msg *msg, enum alpc_dir from);
int alpc_msg_attrs_from_user(struct alpc_end *end, struct alpc_msg *msg, u64 uattrs);
struct alpc_msg *alpc_msg_from_user(struct alpc_end *end, u32 type, u64 ubuf, u32 len,
				    u64 context, u64 uattrs);
int alpc_reply_room_probe(u64 buf, u32 size, u32 max_len);

bool alpc_has_space(struct alpc_conn *conn, enum alpc_dir dir, u32 len);
void alpc_charge(struct alpc_msg *msg, enum alpc_dir dir);
void alpc_uncharge(struct alpc_msg *msg);
void alpc_uncharge_nowake(struct alpc_msg *msg);
void alpc_room_wake(struct alpc_conn *conn);
int alpc_wait_room(struct alpc_end *end, u32 n, u64 bytes, long *timeout,
		   struct alpc_wakes *wk);

void alpc_msg_enqueue(struct alpc_end *end, struct alpc_msg *msg, bool sync);
int alpc_enqueue_sent(struct alpc_end *end, struct alpc_msg *msg,
		      struct alpc_waiter *w, bool sync, struct alpc_wakes *wk);
void alpc_wakes_flush(struct alpc_wakes *wk);
int alpc_wait_queued(struct alpc_end *end, long *timeout);

void alpc_req_end(struct alpc_msg *req, int status, struct alpc_msg *reply,
		  bool notify, struct list_head *dispose);
void alpc_req_to_canceled(struct alpc_msg *req);
void alpc_end_purge(struct alpc_end *end, struct list_head *dispose);

#endif /* _ALPC_MSG_H */
