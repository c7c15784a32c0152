// SPDX-License-Identifier: GPL-2.0
/*
 * Messages: ids, waits, allocation and freeing, queue charges, queueing
 * and wake-ups, ending requests, rundown of a queue, and reading a
 * message's attributes (view, region, fds) from user space. The ioctls
 * that move messages build on these: sendrecv.c, dgram.c, batch.c.
 *
 * Locking: what is reachable from a port is under its lock, and nothing
 * here touches user memory with it held; the whole lock order is written
 * once, atop port.c. Functions that need the lock assert it.
 *
 * Lifetime of a request
 * ---------------------
 * From send until alpc_req_end() (answered, canceled, or dropped by a
 * rundown) a request is in its port's request table and on its
 * connection's list. Its memory belongs to exactly one holder: the
 * receiver's queue (QUEUED), the receiver copying it out (DELIVERING), or
 * the request table (DELIVERED). A sender waiting for the answer never
 * owns it; it has an alpc_waiter on its stack that alpc_req_end() fills
 * in. So no path frees a request that another is still copying: a request
 * ended while DELIVERING is only marked abandoned, and its receiver
 * finishes the job when it retakes the lock.
 *
 * A canceled request that its receiver already has becomes the CANCELED
 * message that tells the receiver so. Cancel therefore needs no memory,
 * and a sender that gives up (timeout, signal) can always withdraw.
 */

#include <linux/atomic.h>
#include <linux/file.h>
#include <linux/lockdep.h>
#include <linux/magic.h>
#include <linux/net.h>
#include <linux/overflow.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <net/sock.h>

#include "access.h"
#include "completion.h"
#include "dgram.h"
#include "msg.h"
#include "trace.h"

static atomic64_t alpc_last_id = ATOMIC64_INIT(0);

u64 alpc_new_id(void)
{
	return atomic64_inc_return(&alpc_last_id);
}

/* Reserves @n consecutive ids; returns the first. */
u64 alpc_new_ids(u32 n)
{
	return atomic64_add_return(n, &alpc_last_id) - n + 1;
}

/*
 * Sleeps on @wait, already queued, with the port's lock released: the
 * wait_woken() protocol keeps a wake-up between the caller's check and
 * the sleep. Returns -ETIMEDOUT once *@timeout has run out, -EINTR on a
 * signal, 0 to re-check.
 */
int alpc_sleep(struct alpc_port *port, struct wait_queue_entry *wait,
	       long *timeout)
{
	lockdep_assert_held(&port->lock);
	if (!*timeout)
		return -ETIMEDOUT;
	if (signal_pending(current))
		return -EINTR;
	mutex_unlock(&port->lock);
	*timeout = wait_woken(wait, TASK_INTERRUPTIBLE, *timeout);
	mutex_lock(&port->lock);
	return 0;
}

/*
 * Allocates a message of @len payload bytes copied from @buf, stamped with
 * the calling thread's identity. @conn may be NULL (replies get theirs
 * once the request is found).
 */
struct alpc_msg *alpc_msg_alloc(struct alpc_conn *conn, u32 type,
				const void __user *buf, u32 len)
{
	gfp_t gfp = GFP_KERNEL_ACCOUNT;
	struct alpc_msg *msg;

	/*
	 * Zero the header once. Where the allocator zeroes everything anyway
	 * (init_on_alloc, on in distribution kernels), ask it to, which is
	 * free, and skip the memset; elsewhere clear the header alone, not
	 * the payload the copy overwrites.
	 */
	if (want_init_on_alloc(gfp))
		gfp |= __GFP_ZERO;
	/* Up to 64 KiB inline: kvmalloc spares large ones a high-order page. */
	msg = kvmalloc(size_add(sizeof(*msg), len), gfp);
	if (!msg)
		return ERR_PTR(-ENOMEM);
	msg->data = (u8 *)(msg + 1);
	if (len && copy_from_user(msg->data, buf, len)) {
		kvfree(msg);
		return ERR_PTR(-EFAULT);
	}
	if (!(gfp & __GFP_ZERO))
		memset(msg, 0, offsetof(struct alpc_msg, data));
	INIT_LIST_HEAD(&msg->node);
	INIT_LIST_HEAD(&msg->req_node);
	if (conn)
		kref_get(&conn->ref);
	msg->conn = conn;
	msg->type = type;
	msg->len = len;
	msg->tgid = get_pid(task_tgid(current));
	msg->tid = get_pid(task_pid(current));
	msg->cred = get_current_cred();
	return msg;
}

/*
 * Records that @msg is sent from side @from of its connection, by a
 * process there: whether its credentials changed since that side's
 * connect or accept, and the port's counters. Called with the port's
 * lock held.
 */
void alpc_msg_stamp(struct alpc_msg *msg, enum alpc_dir from)
{
	struct alpc_conn *conn = msg->conn;
	struct alpc_port *port = conn->port;

	lockdep_assert_held(&port->lock);

	msg->peer = true;
	msg->from = from;
	msg->cred_changed = conn->cred[from] && alpc_cred_changed(conn->cred[from], msg->cred);
	port->msgs[from]++;
	port->bytes[from] += msg->len;
}

/* Drops the fds @msg carries. fput() defers the last release: safe anywhere. */
static void alpc_msg_files_put(struct alpc_msg *msg)
{
	u32 i;

	for (i = 0; i < msg->nfiles; i++)
		fput(msg->files[i]);
	msg->nfiles = 0;
}

void alpc_msg_free(struct alpc_msg *msg)
{
	/* A bundle's datagrams carry no view, region or fds. */
	if (msg->bundle) {
		alpc_bundle_put(msg->bundle);
		return;
	}
	if (msg->view.sec)
		alpc_view_put(&msg->view);
	alpc_region_put(msg->region);
	alpc_msg_files_put(msg);
	kfree(msg->files);
	put_pid(msg->tgid);
	put_pid(msg->tid);
	if (msg->cred)
		put_cred(msg->cred);
	alpc_conn_put(msg->conn);
	kvfree(msg);
}

void alpc_msg_free_list(struct list_head *list)
{
	struct alpc_msg *msg, *tmp;

	list_for_each_entry_safe(msg, tmp, list, node)
		alpc_msg_free(msg);
}

/* Whether @conn's queue charges in @dir leave room for @n messages of @bytes in all. */
static bool alpc_has_room(struct alpc_conn *conn, enum alpc_dir dir, u32 n, u64 bytes)
{
	const struct alpc_port_attr *attr = &conn->port->attr;

	return conn->queued_msgs[dir] + n <= attr->max_queued_msgs &&
	       conn->queued_bytes[dir] + bytes <= attr->max_queued_bytes;
}

bool alpc_has_space(struct alpc_conn *conn, enum alpc_dir dir, u32 len)
{
	return alpc_has_room(conn, dir, 1, len);
}

void alpc_charge(struct alpc_msg *msg, enum alpc_dir dir)
{
	lockdep_assert_held(&msg->conn->port->lock);
	msg->dir = dir;
	msg->charged = true;
	msg->charged_bytes = msg->len;
	msg->conn->queued_msgs[dir]++;
	msg->conn->queued_bytes[dir] += msg->len;
}

/* Gives @msg's charge back, leaving the wake-up of those waiting for room to the caller. */
void alpc_uncharge_nowake(struct alpc_msg *msg)
{
	struct alpc_conn *conn = msg->conn;

	if (!msg->charged)
		return;
	lockdep_assert_held(&conn->port->lock);
	msg->charged = false;
	conn->queued_msgs[msg->dir]--;
	conn->queued_bytes[msg->dir] -= msg->charged_bytes;
}

void alpc_room_wake(struct alpc_conn *conn)
{
	/* Waiters queue themselves before taking the lock to check. */
	if (waitqueue_active(&conn->wq))
		wake_up_interruptible_poll(&conn->wq, EPOLLOUT | EPOLLWRNORM);
}

void alpc_uncharge(struct alpc_msg *msg)
{
	if (!msg->charged)
		return;
	alpc_uncharge_nowake(msg);
	alpc_room_wake(msg->conn);
}

static void alpc_msg_enqueue_nowake(struct alpc_end *end, struct alpc_msg *msg)
{
	list_add_tail(&msg->node, &end->queue);
	if (end->cp)
		alpc_cp_post(end->cp, end->cp_key, msg->id,
			     msg->cp_kind ?: msg->type, msg->status);
}

void alpc_msg_enqueue(struct alpc_end *end, struct alpc_msg *msg, bool sync)
{
	lockdep_assert_held(&end->port->lock);
	alpc_msg_enqueue_nowake(end, msg);
	/* Receivers wait exclusively: one message wakes one of them. */
	if (sync)
		wake_up_interruptible_sync_poll(&end->recv_wq, EPOLLIN | EPOLLRDNORM);
	else
		wake_up_interruptible_poll(&end->recv_wq, EPOLLIN | EPOLLRDNORM);
}

void alpc_wakes_flush(struct alpc_wakes *wk)
{
	if (!wk || !wk->nr)
		return;
	lockdep_assert_held(&wk->end->port->lock);
	__wake_up(&wk->end->recv_wq, TASK_INTERRUPTIBLE, wk->nr,
		  poll_to_key(EPOLLIN | EPOLLRDNORM));
	wk->nr = 0;
}

/* Turns a request its receiver has into the CANCELED message for it. */
void alpc_req_to_canceled(struct alpc_msg *req)
{
	lockdep_assert_held(&req->conn->port->lock);
	/* A notice from the kernel now: no fds, and no sender to speak of. */
	alpc_msg_files_put(req);
	req->peer = false;
	req->cred_changed = false;
	req->state = ALPC_REQ_NONE;
	req->type = ALPC_MSG_CANCELED;
	req->ref_id = req->id;
	req->id = alpc_new_id();
	req->context = 0;
	req->len = 0;
	alpc_msg_enqueue(req->recv_end, req, false);
}

/*
 * Ends request @req: it leaves the request table and its connection's
 * list, and its charge is dropped, or passed on to @reply (which is
 * charged to the request's sender until received). A waiting sender
 * learns @status and gets @reply; otherwise @reply goes to the sender's
 * queue. With @notify, a receiver that already has the request gets a
 * CANCELED message. Called with the port's lock held.
 */
void alpc_req_end(struct alpc_msg *req, int status, struct alpc_msg *reply,
		  bool notify, struct list_head *dispose)
{
	struct alpc_conn *conn = req->conn;
	struct alpc_waiter *w = req->waiter;

	lockdep_assert_held(&conn->port->lock);

	rhashtable_remove_fast(&conn->port->requests, &req->hnode, alpc_req_params);
	list_del_init(&req->req_node);
	if (req->region) {
		/* The receiver's access ends here; the sender drains it (below). */
		req->region->revoked = true;
		if (reply) {
			reply->region = req->region;
			req->region = NULL;
		}
	}
	if (reply && req->charged) {
		/*
		 * The reply takes over the request's slot, with its own size:
		 * it may overshoot max_queued_bytes (a reply never waits), but
		 * the count stays true, so the sender's next sends wait.
		 */
		reply->dir = req->dir;
		reply->charged = true;
		reply->charged_bytes = reply->len;
		conn->queued_bytes[req->dir] += reply->len;
		conn->queued_bytes[req->dir] -= req->charged_bytes;
		req->charged = false;
		/* Smaller than the request: room for those waiting for some. */
		if (reply->len < req->charged_bytes)
			alpc_room_wake(conn);
	} else {
		alpc_uncharge(req);
	}

	if (w) {
		req->waiter = NULL;
		w->done = true;
		w->status = status;
		w->reply = reply;
		if (reply) {
			alpc_uncharge(reply);
			/* The replier goes on to its next receive: a sync wake-up. */
			wake_up_interruptible_sync(&conn->wq);
		} else {
			wake_up_interruptible_all(&conn->wq);
		}
	} else if (reply) {
		alpc_msg_enqueue(req->send_end, reply, true);
	} else if (req->type == ALPC_MSG_CONNECTION_REQUEST && req->send_end->cp) {
		/* An asynchronous connect that ends unanswered still completes. */
		alpc_cp_post(req->send_end->cp, req->send_end->cp_key, req->id,
			     ALPC_COMPLETION_CONNECT, status);
	}

	switch (req->state) {
	case ALPC_REQ_QUEUED:
		list_move(&req->node, dispose);
		break;
	case ALPC_REQ_DELIVERING:
		req->abandoned = true;
		req->notify_cancel = notify;
		break;
	case ALPC_REQ_DELIVERED:
		if (notify)
			alpc_req_to_canceled(req);
		else
			list_add(&req->node, dispose);
		break;
	case ALPC_REQ_NONE:
		WARN_ON_ONCE(1);
		break;
	}
}

/*
 * The message of @type that a send on @end makes of @len bytes at @ubuf,
 * with @context and the attributes at @uattrs (0: none). A reply gets
 * its connection once its request is found. Touches user memory.
 */
struct alpc_msg *alpc_msg_from_user(struct alpc_end *end, u32 type, u64 ubuf, u32 len,
				    u64 context, u64 uattrs)
{
	struct alpc_msg *msg;
	int ret;

	msg = alpc_msg_alloc(type == ALPC_MSG_REPLY ? NULL : end->conn, type,
			     u64_to_user_ptr(ubuf), len);
	if (IS_ERR(msg))
		return msg;
	msg->context = context;
	ret = alpc_msg_attrs_from_user(end, msg, uattrs);
	if (ret) {
		alpc_msg_free(msg);
		return ERR_PTR(ret);
	}
	return msg;
}

/*
 * Fails a call that waits for an answer (SEND_WAIT, CONNECT) on a reply
 * buffer it cannot write, before anything is sent: writes a zero to the
 * first and the last byte the answer may take (it overwrites them
 * anyway). Otherwise the answer would arrive, the peer would count it
 * delivered, and the caller could not take it.
 */
int alpc_reply_room_probe(u64 buf, u32 size, u32 max_len)
{
	u8 __user *p = u64_to_user_ptr(buf);
	u32 n = min(size, max_len);

	if (!access_ok(p, size))
		return -EFAULT;
	if (n && (put_user(0, p) || put_user(0, p + n - 1)))
		return -EFAULT;
	return 0;
}

/* io_uring_fops is not exported: an io_uring is the anon inode file so named. */
static bool alpc_file_is_io_uring(const struct file *file)
{
	return file_inode(file)->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	       !strcmp(file->f_path.dentry->d_name.name, "[io_uring]");
}

/*
 * A file that may not travel in a message: one that can hold other files
 * open, so that a queue could come to hold its own port open and nothing
 * would ever release it (unlike AF_UNIX, alpc has no garbage collector).
 * An alpc port holds its queue; a UNIX socket, the fds in flight in it;
 * an io_uring, its registered files and those of its pending requests
 * (SCM_RIGHTS refuses io_urings for that reason since 6.7). Sections,
 * completion ports and other files hold no port's file open.
 */
static bool alpc_file_refused(struct file *file)
{
	struct socket *sock = sock_from_file(file);

	return alpc_is_port_file(file) || alpc_file_is_io_uring(file) ||
	       (sock && sock->sk && sock->sk->sk_family == AF_UNIX);
}

/* Takes a reference to each of the @n files at @ufds for @msg, as SCM_RIGHTS does. */
static int alpc_msg_files_from_user(struct alpc_msg *msg, const int __user *ufds, u32 n)
{
	int *fds;
	int ret = 0;
	u32 i;

	fds = memdup_user(ufds, array_size(n, sizeof(*fds)));
	if (IS_ERR(fds))
		return PTR_ERR(fds);
	msg->files = kcalloc(n, sizeof(*msg->files), GFP_KERNEL_ACCOUNT);
	if (!msg->files) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct file *file = fget_raw(fds[i]);

		if (!file) {
			ret = -EBADF;
			break;
		}
		msg->files[msg->nfiles++] = file;
		if (alpc_file_refused(file)) {
			ret = -EINVAL;
			break;
		}
	}
out:
	kfree(fds);
	return ret;
}

/*
 * Reads the attributes at @uattrs (0: none) of @msg, sent on @end: a view
 * (a section reference; whose connection it is gets checked once the
 * message's connection is known) and a direct-access region.
 */
int alpc_msg_attrs_from_user(struct alpc_end *end, struct alpc_msg *msg, u64 uattrs)
{
	struct alpc_msg_attrs a;
	u64 last;
	int ret;

	if (!uattrs)
		return 0;
	if (copy_from_user(&a, u64_to_user_ptr(uattrs), sizeof(a)))
		return -EFAULT;
	if (a.flags & ~(ALPC_ATTR_VIEW | ALPC_ATTR_REGION | ALPC_ATTR_FDS) || a.reserved0 ||
	    a.reserved1 || a.reserved2)
		return -EINVAL;
	if (!(a.flags & ALPC_ATTR_FDS) && (a.fds || a.nfds))
		return -EINVAL;
	if (!(a.flags & ALPC_ATTR_VIEW) &&
	    (a.section_fd || a.view_flags || a.view_offset || a.view_len))
		return -EINVAL;
	if (!(a.flags & ALPC_ATTR_REGION) &&
	    (a.region_addr || a.region_len || a.region_flags))
		return -EINVAL;

	if (a.flags & ALPC_ATTR_REGION) {
		if (msg->type != ALPC_MSG_REQUEST)
			return -EINVAL;
		if (!(end->port->attr.flags & ALPC_PORT_DIRECT_ACCESS))
			return -EPERM;
		if (!a.region_flags || a.region_flags & ~(ALPC_REGION_READ | ALPC_REGION_WRITE) ||
		    !a.region_len || check_add_overflow(a.region_addr, a.region_len, &last) ||
		    !access_ok(u64_to_user_ptr(a.region_addr), a.region_len))
			return -EINVAL;
		msg->region = alpc_region_alloc(a.region_addr, a.region_len, a.region_flags);
		if (!msg->region)
			return -ENOMEM;
	}
	if (a.flags & ALPC_ATTR_FDS) {
		if (!(end->port->attr.flags & ALPC_PORT_ALLOW_FDS))
			return -EPERM;
		if (!a.nfds || a.nfds > end->port->attr.max_fds)
			return -EINVAL;
		ret = alpc_msg_files_from_user(msg, u64_to_user_ptr(a.fds), a.nfds);
		if (ret)
			return ret;
	}
	if (a.flags & ALPC_ATTR_VIEW)
		return alpc_view_get(&msg->view, &a);
	return 0;
}

/* Empties @end's queue at rundown. Called with the port's lock held. */
void alpc_end_purge(struct alpc_end *end, struct list_head *dispose)
{
	struct alpc_msg *msg, *tmp;

	lockdep_assert_held(&end->port->lock);

	list_for_each_entry_safe(msg, tmp, &end->queue, node) {
		if (msg->state == ALPC_REQ_QUEUED) {
			alpc_req_end(msg, -ECONNRESET, NULL, false, dispose);
		} else {
			alpc_uncharge(msg);
			list_move(&msg->node, dispose);
		}
	}
}

/*
 * Waits up to *@timeout for @end's connection to have room for @n
 * messages of @bytes in all, queued in @end's direction. Whoever is to
 * make room must first hear of what @wk has queued. Called and returns
 * with the port's lock held.
 */
int alpc_wait_room(struct alpc_end *end, u32 n, u64 bytes, long *timeout,
		   struct alpc_wakes *wk)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct alpc_conn *conn = end->conn;
	enum alpc_dir dir = alpc_end_dir(end);
	bool nonblock = !*timeout;
	int ret = 0;

	lockdep_assert_held(&end->port->lock);

	if (conn->state == ALPC_CONN_CONNECTING)
		return -ENOTCONN;
	if (conn->state != ALPC_CONN_CONNECTED || alpc_has_room(conn, dir, n, bytes))
		goto out;
	alpc_wakes_flush(wk);
	add_wait_queue(&conn->wq, &wait);
	while (conn->state == ALPC_CONN_CONNECTED && !alpc_has_room(conn, dir, n, bytes)) {
		ret = alpc_sleep(conn->port, &wait, timeout);
		if (ret)
			break;
	}
	remove_wait_queue(&conn->wq, &wait);
	if (ret == -ETIMEDOUT && nonblock)
		ret = -EAGAIN;
out:
	if (!ret && conn->state != ALPC_CONN_CONNECTED)
		ret = -ECONNRESET;
	return ret;
}

/*
 * Queues @msg, sent on @end and given its id, for the other end of its
 * connection, which is connected and has room for it; an
 * alpc_queue_msg() without the wait. Fails only to enter a request in
 * the request table. Called with the port's lock held.
 */
int alpc_enqueue_sent(struct alpc_end *end, struct alpc_msg *msg,
		      struct alpc_waiter *w, bool sync, struct alpc_wakes *wk)
{
	struct alpc_conn *conn = end->conn;
	enum alpc_dir dir = alpc_end_dir(end);
	struct alpc_end *dest;
	int ret;

	lockdep_assert_held(&end->port->lock);

	if (msg->type == ALPC_MSG_REQUEST) {
		ret = rhashtable_insert_fast(&conn->port->requests, &msg->hnode,
					     alpc_req_params);
		if (ret)
			return ret;
		msg->state = ALPC_REQ_QUEUED;
		msg->send_end = end;
		msg->waiter = w;
		list_add_tail(&msg->req_node, &conn->reqs);
	}
	alpc_msg_stamp(msg, dir);
	alpc_charge(msg, dir);
	trace_alpc_send(conn->id, msg->id, 0, msg->type, msg->len);
	dest = end->kind == ALPC_END_CLIENT ? alpc_server_end(conn) : &conn->client;
	if (!wk) {
		alpc_msg_enqueue(dest, msg, sync);
		return 0;
	}
	wk->end = dest;
	wk->nr++;
	alpc_msg_enqueue_nowake(dest, msg);
	return 0;
}

/*
 * Waits up to *@timeout for something in @end's queue. Called and returns
 * with the port's lock held.
 */
int alpc_wait_queued(struct alpc_end *end, long *timeout)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct alpc_conn *conn = end->conn;
	bool nonblock = !*timeout;
	int ret = 0;

	lockdep_assert_held(&end->port->lock);

	if (!list_empty(&end->queue))
		return 0;
	add_wait_queue_exclusive(&end->recv_wq, &wait);
	while (list_empty(&end->queue)) {
		if (conn && conn->state == ALPC_CONN_CLOSED) {
			ret = -ECONNRESET;
			break;
		}
		ret = alpc_sleep(end->port, &wait, timeout);
		if (ret)
			break;
	}
	remove_wait_queue(&end->recv_wq, &wait);
	if (ret == -ETIMEDOUT && nonblock)
		ret = -EAGAIN;
	return ret;
}
