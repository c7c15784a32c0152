// SPDX-License-Identifier: GPL-2.0
/*
 * Messages: allocation, queue charges, and the ioctls that move them:
 * send, receive, send-and-wait, reply-and-receive, cancel.
 *
 * Everything here runs under the owning port's lock (port.c describes
 * it) and touches user memory only with that lock released.
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
#include <linux/jiffies.h>
#include <linux/overflow.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "msg.h"

static atomic64_t alpc_last_id = ATOMIC64_INIT(0);

u64 alpc_new_id(void)
{
	return atomic64_inc_return(&alpc_last_id);
}

/* Converts a uapi timeout to jiffies: negative waits forever, 0 polls. */
long alpc_timeout(s64 timeout_ns)
{
	u64 j;

	if (timeout_ns < 0)
		return MAX_SCHEDULE_TIMEOUT;
	if (!timeout_ns)
		return 0;
	j = nsecs_to_jiffies(timeout_ns);
	return clamp_t(u64, j, 1, MAX_SCHEDULE_TIMEOUT - 1);
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
	struct alpc_msg *msg;

	msg = kmalloc(struct_size(msg, data, len), GFP_KERNEL_ACCOUNT);
	if (!msg)
		return ERR_PTR(-ENOMEM);
	if (len && copy_from_user(msg->data, buf, len)) {
		kfree(msg);
		return ERR_PTR(-EFAULT);
	}
	memset(msg, 0, sizeof(*msg));
	INIT_LIST_HEAD(&msg->node);
	INIT_LIST_HEAD(&msg->req_node);
	if (conn)
		kref_get(&conn->ref);
	msg->conn = conn;
	msg->type = type;
	msg->len = len;
	msg->tgid = get_pid(task_tgid(current));
	msg->tid = get_pid(task_pid(current));
	msg->uid = current_uid();
	msg->gid = current_gid();
	return msg;
}

void alpc_msg_free(struct alpc_msg *msg)
{
	put_pid(msg->tgid);
	put_pid(msg->tid);
	alpc_conn_put(msg->conn);
	kfree(msg);
}

void alpc_msg_free_list(struct list_head *list)
{
	struct alpc_msg *msg, *tmp;

	list_for_each_entry_safe(msg, tmp, list, node)
		alpc_msg_free(msg);
}

bool alpc_has_space(struct alpc_conn *conn, enum alpc_dir dir, u32 len)
{
	const struct alpc_port_attr *attr = &conn->port->attr;

	return conn->queued_msgs[dir] < attr->max_queued_msgs &&
	       conn->queued_bytes[dir] + len <= attr->max_queued_bytes;
}

static void alpc_charge(struct alpc_msg *msg, enum alpc_dir dir)
{
	msg->dir = dir;
	msg->charged = true;
	msg->charged_bytes = msg->len;
	msg->conn->queued_msgs[dir]++;
	msg->conn->queued_bytes[dir] += msg->len;
}

void alpc_uncharge(struct alpc_msg *msg)
{
	struct alpc_conn *conn = msg->conn;

	if (!msg->charged)
		return;
	msg->charged = false;
	conn->queued_msgs[msg->dir]--;
	conn->queued_bytes[msg->dir] -= msg->charged_bytes;
	/* Waiters queue themselves before taking the lock to check. */
	if (waitqueue_active(&conn->wq))
		wake_up_interruptible_poll(&conn->wq, EPOLLOUT | EPOLLWRNORM);
}

void alpc_msg_enqueue(struct alpc_end *end, struct alpc_msg *msg, bool sync)
{
	list_add_tail(&msg->node, &end->queue);
	/* Receivers wait exclusively: one message wakes one of them. */
	if (sync)
		wake_up_interruptible_sync_poll(&end->recv_wq, EPOLLIN | EPOLLRDNORM);
	else
		wake_up_interruptible_poll(&end->recv_wq, EPOLLIN | EPOLLRDNORM);
}

/* Turns a request its receiver has into the CANCELED message for it. */
static void alpc_req_to_canceled(struct alpc_msg *req)
{
	req->state = ALPC_REQ_NONE;
	req->type = ALPC_MSG_CANCELED;
	req->ref_id = req->id;
	req->id = alpc_new_id();
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

	xa_erase(&conn->port->requests, req->id);
	list_del_init(&req->req_node);
	if (reply && req->charged) {
		reply->dir = req->dir;
		reply->charged = true;
		reply->charged_bytes = req->charged_bytes;
		req->charged = false;
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

/* Empties @end's queue at rundown. Called with the port's lock held. */
void alpc_end_purge(struct alpc_end *end, struct list_head *dispose)
{
	struct alpc_msg *msg, *tmp;

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
 * Queues @msg, a REQUEST or DATAGRAM sent on @end, for the other end of
 * the connection, waiting up to *@timeout for room. @w: the sender will
 * wait for the answer. Called and returns with the port's lock held.
 */
static int alpc_queue_msg(struct alpc_end *end, struct alpc_msg *msg,
			  long *timeout, struct alpc_waiter *w, bool sync)
{
	struct alpc_conn *conn = end->conn;
	enum alpc_dir dir = alpc_end_dir(end);
	struct alpc_end *dest;
	int ret = 0;

	if (conn->state == ALPC_CONN_CONNECTED &&
	    !alpc_has_space(conn, dir, msg->len)) {
		DEFINE_WAIT_FUNC(wait, woken_wake_function);
		bool nonblock = !*timeout;

		add_wait_queue(&conn->wq, &wait);
		while (conn->state == ALPC_CONN_CONNECTED &&
		       !alpc_has_space(conn, dir, msg->len)) {
			ret = alpc_sleep(conn->port, &wait, timeout);
			if (ret)
				break;
		}
		remove_wait_queue(&conn->wq, &wait);
		if (ret == -ETIMEDOUT && nonblock)
			ret = -EAGAIN;
		if (ret)
			return ret;
	}
	if (conn->state != ALPC_CONN_CONNECTED)
		return -ECONNRESET;

	msg->id = alpc_new_id();
	if (msg->type == ALPC_MSG_REQUEST) {
		ret = xa_insert(&conn->port->requests, msg->id, msg,
				GFP_KERNEL_ACCOUNT);
		if (ret)
			return ret;
		msg->state = ALPC_REQ_QUEUED;
		msg->send_end = end;
		msg->waiter = w;
		list_add_tail(&msg->req_node, &conn->reqs);
	}
	alpc_charge(msg, dir);
	dest = end->kind == ALPC_END_CLIENT ? alpc_server_end(conn) : &conn->client;
	alpc_msg_enqueue(dest, msg, sync);
	return 0;
}

/*
 * Answers request @ref_id, received on @end, with @reply. Called with the
 * port's lock held.
 */
static int alpc_reply(struct alpc_end *end, u64 ref_id, struct alpc_msg *reply,
		      struct list_head *dispose)
{
	struct alpc_msg *req = xa_load(&end->port->requests, ref_id);

	if (!req || req->type != ALPC_MSG_REQUEST)
		return -ENOENT;
	if (req->send_end == end)
		return -EPERM;
	if (req->recv_end != end || req->state != ALPC_REQ_DELIVERED)
		return -ENOENT;

	kref_get(&req->conn->ref);
	reply->conn = req->conn;
	reply->id = alpc_new_id();
	reply->ref_id = ref_id;
	alpc_req_end(req, 0, reply, false, dispose);
	return 0;
}

/* The receiver's view of @msg, with identities in the caller's namespaces. */
static void alpc_msg_info(const struct alpc_end *end, const struct alpc_msg *msg,
			  struct alpc_msg_info *info)
{
	struct pid_namespace *pidns = task_active_pid_ns(current);
	struct user_namespace *userns = current_user_ns();

	memset(info, 0, sizeof(*info));
	info->id = msg->id;
	info->ref_id = msg->ref_id;
	info->context = msg->context;
	if (end->kind != ALPC_END_CLIENT && msg->conn)
		info->port_context = msg->conn->port_context;
	info->type = msg->type;
	info->len = msg->len;
	info->pid = pid_nr_ns(msg->tgid, pidns);
	info->tid = pid_nr_ns(msg->tid, pidns);
	info->uid = from_kuid_munged(userns, msg->uid);
	info->gid = from_kgid_munged(userns, msg->gid);
}

/*
 * Finishes a receive of @msg that failed with @err (back to the head of
 * the queue) or succeeded. Called with the port's lock held.
 */
static void alpc_recv_commit(struct alpc_end *end, struct alpc_msg *msg,
			     int err, struct list_head *dispose)
{
	if (msg->state == ALPC_REQ_DELIVERING) {
		if (msg->abandoned) {
			if (!err && msg->notify_cancel)
				alpc_req_to_canceled(msg);
			else
				list_add(&msg->node, dispose);
		} else if (err) {
			msg->state = ALPC_REQ_QUEUED;
			msg->recv_end = NULL;
			list_add(&msg->node, &end->queue);
		} else {
			msg->state = ALPC_REQ_DELIVERED;
		}
		return;
	}
	if (err) {
		list_add(&msg->node, &end->queue);
		return;
	}
	alpc_uncharge(msg);
	list_add(&msg->node, dispose);
}

static int alpc_recv(struct alpc_end *end, struct alpc_recv *r,
		     struct alpc_recv __user *ur)
{
	struct alpc_port *port = end->port;
	struct alpc_conn *conn = end->conn;
	long timeout = alpc_timeout(r->timeout_ns);
	struct alpc_msg *msg;
	LIST_HEAD(dispose);
	int ret = 0;

	mutex_lock(&port->lock);
	if (list_empty(&end->queue)) {
		DEFINE_WAIT_FUNC(wait, woken_wake_function);
		bool nonblock = !timeout;

		add_wait_queue_exclusive(&end->recv_wq, &wait);
		while (list_empty(&end->queue)) {
			if (conn && conn->state != ALPC_CONN_CONNECTED) {
				ret = -ECONNRESET;
				break;
			}
			ret = alpc_sleep(port, &wait, &timeout);
			if (ret)
				break;
		}
		remove_wait_queue(&end->recv_wq, &wait);
		if (ret == -ETIMEDOUT && nonblock)
			ret = -EAGAIN;
		if (ret)
			goto out_unlock;
	}

	msg = list_first_entry(&end->queue, struct alpc_msg, node);
	alpc_msg_info(end, msg, &r->info);
	if (msg->len > r->size) {
		mutex_unlock(&port->lock);
		if (copy_to_user(&ur->info, &r->info, sizeof(r->info)))
			return -EFAULT;
		return -EMSGSIZE;
	}
	list_del_init(&msg->node);
	if (msg->state == ALPC_REQ_QUEUED) {
		msg->state = ALPC_REQ_DELIVERING;
		msg->recv_end = end;
	}
	mutex_unlock(&port->lock);

	if (copy_to_user(u64_to_user_ptr(r->buf), msg->data, msg->len) ||
	    copy_to_user(&ur->info, &r->info, sizeof(r->info)))
		ret = -EFAULT;

	mutex_lock(&port->lock);
	alpc_recv_commit(end, msg, ret, &dispose);
out_unlock:
	/* A receiver leaving a message behind passes its wake-up on. */
	if (ret && !list_empty(&end->queue))
		wake_up_interruptible(&end->recv_wq);
	mutex_unlock(&port->lock);
	alpc_msg_free_list(&dispose);
	return ret;
}

static bool alpc_recv_args_bad(const struct alpc_recv *r)
{
	return r->flags || memchr_inv(r->reserved, 0, sizeof(r->reserved));
}

static int alpc_ioctl_recv(struct alpc_end *end, struct alpc_recv __user *ur)
{
	struct alpc_recv r;

	if (copy_from_user(&r, ur, sizeof(r)))
		return -EFAULT;
	if (alpc_recv_args_bad(&r))
		return -EINVAL;
	return alpc_recv(end, &r, ur);
}

static int alpc_ioctl_send(struct alpc_end *end, struct alpc_send __user *us)
{
	struct alpc_port *port = end->port;
	struct alpc_msg *msg;
	struct alpc_send s;
	LIST_HEAD(dispose);
	long timeout;
	u64 id = 0;
	int ret;

	if (copy_from_user(&s, us, sizeof(s)))
		return -EFAULT;
	if (s.flags || s.reserved0 || memchr_inv(s.reserved, 0, sizeof(s.reserved)))
		return -EINVAL;
	switch (s.type) {
	case ALPC_MSG_REQUEST:
	case ALPC_MSG_DATAGRAM:
		if (s.ref_id)
			return -EINVAL;
		if (end->kind == ALPC_END_PORT)
			return -EOPNOTSUPP;
		break;
	case ALPC_MSG_REPLY:
		break;
	default:
		return -EINVAL;
	}
	if (s.len > port->attr.max_msg_len)
		return -EMSGSIZE;
	/* Fail on an unwritable output now, not after the message is sent. */
	if (put_user(0, &us->id))
		return -EFAULT;

	msg = alpc_msg_alloc(s.type == ALPC_MSG_REPLY ? NULL : end->conn, s.type,
			     u64_to_user_ptr(s.buf), s.len);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	msg->context = s.context;
	timeout = alpc_timeout(s.timeout_ns);

	mutex_lock(&port->lock);
	if (s.type == ALPC_MSG_REPLY)
		ret = alpc_reply(end, s.ref_id, msg, &dispose);
	else
		ret = alpc_queue_msg(end, msg, &timeout, NULL, false);
	if (ret)
		list_add(&msg->node, &dispose);
	else
		id = msg->id;
	mutex_unlock(&port->lock);
	alpc_msg_free_list(&dispose);
	if (ret)
		return ret;
	return put_user(id, &us->id) ? -EFAULT : 0;
}

static int alpc_ioctl_send_wait(struct alpc_end *end,
				struct alpc_send_wait __user *us)
{
	struct alpc_port *port = end->port;
	struct alpc_conn *conn = end->conn;
	struct alpc_waiter w = {};
	struct alpc_msg_info info;
	struct alpc_send_wait s;
	struct alpc_msg *msg;
	LIST_HEAD(dispose);
	long timeout;
	u64 id;
	int ret;

	if (copy_from_user(&s, us, sizeof(s)))
		return -EFAULT;
	if (s.flags || s.reserved0 || memchr_inv(s.reserved, 0, sizeof(s.reserved)))
		return -EINVAL;
	if (end->kind == ALPC_END_PORT)
		return -EOPNOTSUPP;
	if (s.len > port->attr.max_msg_len)
		return -EMSGSIZE;
	if (put_user(0, &us->id) || clear_user(&us->reply, sizeof(us->reply)) ||
	    !access_ok(u64_to_user_ptr(s.reply_buf), s.reply_size))
		return -EFAULT;

	msg = alpc_msg_alloc(conn, ALPC_MSG_REQUEST, u64_to_user_ptr(s.buf), s.len);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	msg->context = s.context;
	timeout = alpc_timeout(s.timeout_ns);

	mutex_lock(&port->lock);
	ret = alpc_queue_msg(end, msg, &timeout, &w, true);
	if (ret) {
		mutex_unlock(&port->lock);
		list_add(&msg->node, &dispose);
		alpc_msg_free_list(&dispose);
		return ret;
	}
	id = msg->id;
	if (!w.done) {
		DEFINE_WAIT_FUNC(wait, woken_wake_function);

		add_wait_queue(&conn->wq, &wait);
		while (!w.done) {
			ret = alpc_sleep(port, &wait, &timeout);
			if (ret)
				break;
		}
		remove_wait_queue(&conn->wq, &wait);
		/*
		 * Giving up withdraws the request, so that a late reply has
		 * nowhere to land (ALPC's LPC_LOST_REPLY).
		 */
		if (!w.done)
			alpc_req_end(msg, ret, NULL,
				     conn->state == ALPC_CONN_CONNECTED, &dispose);
	}
	mutex_unlock(&port->lock);
	alpc_msg_free_list(&dispose);

	ret = w.status;
	if (put_user(id, &us->id))
		ret = -EFAULT;
	if (!w.reply)
		return ret;

	alpc_msg_info(end, w.reply, &info);
	if (copy_to_user(u64_to_user_ptr(s.reply_buf), w.reply->data,
			 min(w.reply->len, s.reply_size)) ||
	    copy_to_user(&us->reply, &info, sizeof(info)))
		ret = -EFAULT;
	else if (w.reply->len > s.reply_size)
		ret = -EMSGSIZE;
	alpc_msg_free(w.reply);
	return ret;
}

static int alpc_ioctl_reply_recv(struct alpc_end *end,
				 struct alpc_reply_recv __user *ur)
{
	struct alpc_port *port = end->port;
	struct alpc_reply_recv rr;
	struct alpc_msg *reply;
	LIST_HEAD(dispose);
	u64 id = 0;
	int status;

	if (copy_from_user(&rr, ur, sizeof(rr)))
		return -EFAULT;
	if (rr.flags || rr.reserved0 || alpc_recv_args_bad(&rr.recv))
		return -EINVAL;
	if (!rr.ref_id)
		return alpc_recv(end, &rr.recv, &ur->recv);
	if (rr.len > port->attr.max_msg_len)
		return -EMSGSIZE;
	if (put_user(0, &ur->reply_id) || put_user(0, &ur->reply_status))
		return -EFAULT;

	reply = alpc_msg_alloc(NULL, ALPC_MSG_REPLY, u64_to_user_ptr(rr.buf), rr.len);
	if (IS_ERR(reply))
		return PTR_ERR(reply);
	reply->context = rr.context;

	mutex_lock(&port->lock);
	status = alpc_reply(end, rr.ref_id, reply, &dispose);
	if (status)
		list_add(&reply->node, &dispose);
	else
		id = reply->id;
	mutex_unlock(&port->lock);
	alpc_msg_free_list(&dispose);

	if (put_user(id, &ur->reply_id) || put_user(status, &ur->reply_status))
		return -EFAULT;
	return alpc_recv(end, &rr.recv, &ur->recv);
}

static int alpc_ioctl_cancel(struct alpc_end *end, struct alpc_cancel __user *uc)
{
	struct alpc_port *port = end->port;
	struct alpc_cancel c;
	struct alpc_msg *req;
	LIST_HEAD(dispose);
	int ret = 0;

	if (copy_from_user(&c, uc, sizeof(c)))
		return -EFAULT;
	if (c.flags || c.reserved)
		return -EINVAL;

	mutex_lock(&port->lock);
	req = xa_load(&port->requests, c.id);
	if (!req || req->send_end != end)
		ret = -ENOENT;
	else
		alpc_req_end(req, -ECANCELED, NULL,
			     req->conn->state == ALPC_CONN_CONNECTED, &dispose);
	mutex_unlock(&port->lock);
	alpc_msg_free_list(&dispose);
	return ret;
}

long alpc_msg_ioctl(struct alpc_end *end, unsigned int cmd, void __user *uarg)
{
	switch (cmd) {
	case ALPC_IOC_SEND:
		return alpc_ioctl_send(end, uarg);
	case ALPC_IOC_RECV:
		return alpc_ioctl_recv(end, uarg);
	case ALPC_IOC_SEND_WAIT:
		return alpc_ioctl_send_wait(end, uarg);
	case ALPC_IOC_REPLY_RECV:
		return alpc_ioctl_reply_recv(end, uarg);
	case ALPC_IOC_CANCEL:
		return alpc_ioctl_cancel(end, uarg);
	default:
		return -ENOTTY;
	}
}
