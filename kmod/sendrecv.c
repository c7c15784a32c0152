// SPDX-License-Identifier: GPL-2.0
/*
 * Sending and receiving: ALPC_IOC_SEND, RECV, SEND_WAIT, REPLY_RECV and
 * CANCEL, replies, and delivery of a received message to the receiver
 * (payload, view, fds, pidfd, groups). They live together because
 * SEND_WAIT receives and REPLY_RECV sends.
 *
 * Each call reads and checks its arguments and builds its message
 * without the port's lock, queues or takes it under the lock, and copies
 * out after dropping it; the lock order is atop port.c, and the lifetime
 * of a request atop msg.c.
 *
 * What goes back to a queue: a receive that takes a message and then
 * cannot write the payload, info or extra (EFAULT) puts it back at the
 * head of its queue as it was, charged again, before it has changed the
 * receiver's fds or mappings; a request goes back to QUEUED unless it
 * ended meanwhile. After that point a receive undoes nothing
 * (alpc_deliver() says why), and what the receiver cannot take is
 * flagged, not failed, so nothing it cannot take blocks a queue. A
 * SEND_WAIT reply that cannot be delivered goes to the head of the
 * caller's own queue (alpc_reply_requeue()).
 */

#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/lockdep.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "access.h"
#include "compat.h"
#include "completion.h"
#include "msg.h"
#include "sendrecv.h"
#include "trace.h"

/* A view travels only on the connection its section was made for. */
static bool alpc_view_ok(const struct alpc_msg *msg, const struct alpc_conn *conn)
{
	return !msg->view.sec || msg->view.sec->conn == conn;
}

/*
 * Queues @msg, a REQUEST or DATAGRAM sent on @end, for the other end of
 * the connection, waiting up to *@timeout for room. @w: the sender will
 * wait for the answer. Called and returns with the port's lock held.
 */
static int alpc_queue_msg(struct alpc_end *end, struct alpc_msg *msg,
			  long *timeout, struct alpc_waiter *w, bool sync,
			  struct alpc_wakes *wk)
{
	int ret;

	lockdep_assert_held(&end->port->lock);

	if (!alpc_view_ok(msg, end->conn))
		return -EINVAL;
	ret = alpc_wait_room(end, 1, msg->len, timeout, wk);
	if (ret)
		return ret;
	msg->id = alpc_new_id();
	return alpc_enqueue_sent(end, msg, w, sync, wk);
}

/*
 * Answers request @ref_id, received on @end, with @reply. Called with the
 * port's lock held.
 */
static int alpc_reply(struct alpc_end *end, u64 ref_id, struct alpc_msg *reply,
		      struct list_head *dispose)
{
	struct alpc_msg *req;

	lockdep_assert_held(&end->port->lock);

	req = alpc_req_lookup(end->port, ref_id);
	if (!req || req->type != ALPC_MSG_REQUEST)
		return -ENOENT;
	if (req->send_end == end)
		return -EPERM;
	if (req->recv_end != end || req->state != ALPC_REQ_DELIVERED)
		return -ENOENT;
	if (!alpc_view_ok(reply, req->conn))
		return -EINVAL;

	kref_get(&req->conn->ref);
	reply->conn = req->conn;
	reply->id = alpc_new_id();
	reply->ref_id = ref_id;
	alpc_msg_stamp(reply, req->dir == ALPC_TO_SERVER ? ALPC_TO_CLIENT : ALPC_TO_SERVER);
	trace_alpc_reply(req->conn->id, reply->id, ref_id, ALPC_MSG_REPLY, reply->len);
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
	/* The ids the sender acts with, as SO_PEERCRED reports them. */
	info->uid = from_kuid_munged(userns, msg->cred->euid);
	info->gid = from_kgid_munged(userns, msg->cred->egid);
	if (msg->cred_changed)
		info->flags |= ALPC_MSGF_CRED_CHANGED;
	if (msg->nfiles) {
		info->flags |= ALPC_MSGF_FDS;
		info->nfds = msg->nfiles;
	}
	/*
	 * A notice made of a request (CANCELED) delivers none of its view or
	 * region, though it holds them until freed: nothing is freed under
	 * the port's lock, where the request became the notice.
	 */
	if (msg->view.sec && msg->peer) {
		info->flags |= ALPC_MSGF_VIEW;
		if (msg->view.readonly)
			info->flags |= ALPC_MSGF_VIEW_READONLY;
		info->view_len = msg->view.len;
	}
	/* A reply holds its request's region to drain it, and grants nothing. */
	if (msg->region && msg->type == ALPC_MSG_REQUEST) {
		if (msg->region->flags & ALPC_REGION_READ)
			info->flags |= ALPC_MSGF_REGION_READ;
		if (msg->region->flags & ALPC_REGION_WRITE)
			info->flags |= ALPC_MSGF_REGION_WRITE;
		info->region_len = msg->region->len;
	}
}

/* What a receive asks for besides the payload (ALPC_RECV_*, struct alpc_recv_extra). */
struct alpc_rx {
	u32 flags;
	struct alpc_recv_extra __user *uextra;
	struct alpc_recv_extra x;
};

#define ALPC_RECV_FLAGS	(ALPC_RECV_GROUPS | ALPC_RECV_PIDFD | ALPC_RECV_FD_INHERIT)

/* Reads and checks what @flags and @uextra ask for. Touches user memory. */
static int alpc_rx_from_user(struct alpc_rx *rx, u32 flags, u64 uextra)
{
	struct alpc_recv_extra *x = &rx->x;

	memset(rx, 0, sizeof(*rx));
	rx->flags = flags;
	x->pidfd = -1;
	if (flags & ~ALPC_RECV_FLAGS)
		return -EINVAL;
	if (!uextra)
		return flags & (ALPC_RECV_GROUPS | ALPC_RECV_PIDFD) ? -EINVAL : 0;
	rx->uextra = u64_to_user_ptr(uextra);
	if (copy_from_user(x, rx->uextra, sizeof(*x)))
		return -EFAULT;
	if (memchr_inv(x->reserved, 0, sizeof(x->reserved)) ||
	    (!x->fds && x->fds_size) || (!x->groups && x->groups_size) ||
	    (!(flags & ALPC_RECV_GROUPS) && (x->groups || x->groups_size)))
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(x->fds), array_size(x->fds_size, sizeof(__s32))) ||
	    !access_ok(u64_to_user_ptr(x->groups), array_size(x->groups_size, sizeof(__u32))))
		return -EFAULT;
	x->nfds = 0;
	x->ngroups = 0;
	x->pidfd = -1;
	return 0;
}

/* Whether @msg's fds fit in what @rx has room for. */
static bool alpc_rx_room(const struct alpc_rx *rx, const struct alpc_msg *msg)
{
	return msg->nfiles <= (rx->uextra ? rx->x.fds_size : 0);
}

/* The pidfd @rx asks for of @msg, if there is one. */
static struct file *alpc_rx_pidfd(const struct alpc_rx *rx, const struct alpc_msg *msg)
{
	struct alpc_conn *conn = msg->conn;

	if (!(rx->flags & ALPC_RECV_PIDFD) || !msg->peer || !conn->pidfd[msg->from] ||
	    msg->tgid != conn->pid[msg->from])
		return NULL;
	return conn->pidfd[msg->from];
}

/* Writes the sender's groups to @x's array, in the caller's user namespace. */
static int alpc_rx_groups(struct alpc_recv_extra *x, const struct alpc_msg *msg)
{
	const struct group_info *gi = msg->cred->group_info;
	struct user_namespace *ns = current_user_ns();
	u32 __user *ug = u64_to_user_ptr(x->groups);
	u32 i, n = min_t(u32, gi->ngroups, x->groups_size);

	x->ngroups = gi->ngroups;
	for (i = 0; i < n; i++)
		if (put_user(from_kgid_munged(ns, gi->gid[i]), &ug[i]))
			return -EFAULT;
	return 0;
}

/*
 * Delivers @msg, which the caller took off its queue on @end, to the
 * calling receiver: @len bytes of its payload to @ubuf, what @rx asks for
 * (its fds only with @fds), and @info, made by alpc_msg_info(), to
 * @uinfo. A view received on the server side counts against the port's
 * max_views.
 *
 * A delivery commits when it first changes the receiver's fd table or
 * address space. Until then a failure leaves nothing but the output
 * buffers changed: *@taken stays false, and the caller puts @msg back.
 * Every output is written once before that point, so that a later write
 * fails only if another thread of the receiver unmaps it meanwhile. From
 * that point nothing is undone, since closing an fd or unmapping a view
 * by number or address could hit what another thread put in its place
 * (scm_detach_fds() decides the same): *@taken is true, and a late write
 * that fails is -EFAULT. What cannot be installed (the receiver is out of
 * fd numbers, address space, or mappings) is reported rather than failed,
 * as MSG_CTRUNC is: ALPC_MSGF_FDS_LOST, ALPC_MSGF_VIEW_LOST, or no
 * ALPC_MSGF_PIDFD. So a message that one receiver cannot take whole never
 * blocks those queued behind it.
 */
static int alpc_deliver(const struct alpc_end *end, const struct alpc_rx *rx,
			const struct alpc_msg *msg, bool fds, void __user *ubuf, u32 len,
			struct alpc_msg_info *info, struct alpc_msg_info __user *uinfo,
			bool *taken)
{
	struct file *pidfd = alpc_rx_pidfd(rx, msg);
	unsigned int o_flags = rx->flags & ALPC_RECV_FD_INHERIT ? 0 : O_CLOEXEC;
	struct alpc_recv_extra x = rx->x;
	int __user *ufds = u64_to_user_ptr(x.fds);
	unsigned long addr;
	u32 i, nfds = fds && rx->uextra ? msg->nfiles : 0;
	int fd, ret = 0;

	*taken = false;
	if (copy_to_user(ubuf, msg->data, len))
		return -EFAULT;
	if (rx->flags & ALPC_RECV_GROUPS && alpc_rx_groups(&x, msg))
		return -EFAULT;
	for (i = 0; i < nfds; i++)
		if (put_user(-1, &ufds[i]))
			return -EFAULT;
	if ((rx->uextra && copy_to_user(rx->uextra, &x, sizeof(x))) ||
	    copy_to_user(uinfo, info, sizeof(*info)))
		return -EFAULT;
	*taken = true;
	if (!(info->flags & ALPC_MSGF_VIEW) && !nfds && !pidfd)
		return 0;

	if (info->flags & ALPC_MSGF_VIEW) {
		addr = alpc_view_map(&msg->view,
				     end->kind == ALPC_END_CLIENT ? NULL : end->port);
		if (IS_ERR_VALUE(addr))
			info->flags |= ALPC_MSGF_VIEW_LOST;
		else
			info->view_addr = addr;
	}
	for (i = 0; i < nfds; i++) {
		fd = alpc_receive_fd(msg->files[i], o_flags);
		if (fd < 0) {
			/* The rest are closed with the message. */
			info->flags |= ALPC_MSGF_FDS_LOST;
			break;
		}
		x.nfds++;
		if (put_user(fd, &ufds[i]))
			ret = -EFAULT;
	}
	if (pidfd) {
		fd = alpc_receive_fd(pidfd, O_CLOEXEC);
		if (fd >= 0) {
			x.pidfd = fd;
			info->flags |= ALPC_MSGF_PIDFD;
		}
	}
	if ((rx->uextra && copy_to_user(rx->uextra, &x, sizeof(x))) ||
	    copy_to_user(uinfo, info, sizeof(*info)))
		ret = -EFAULT;
	return ret;
}

/*
 * Finishes a receive of @msg: @taken by the receiver, or back to the
 * head of the queue, as it was. Called with the port's lock held.
 */
static void alpc_recv_commit(struct alpc_end *end, struct alpc_msg *msg,
			     bool taken, bool was_charged, struct list_head *dispose)
{
	lockdep_assert_held(&end->port->lock);
	if (msg->state == ALPC_REQ_DELIVERING) {
		if (msg->abandoned) {
			if (taken && msg->notify_cancel)
				alpc_req_to_canceled(msg);
			else
				list_add(&msg->node, dispose);
		} else if (!taken) {
			msg->state = ALPC_REQ_QUEUED;
			msg->recv_end = NULL;
			list_add(&msg->node, &end->queue);
		} else {
			msg->state = ALPC_REQ_DELIVERED;
		}
		return;
	}
	/* Not a request, and not taken: back to the head, as it was. */
	if (was_charged)
		alpc_charge(msg, msg->dir);
	list_add(&msg->node, &end->queue);
}

/* A receive as @r and @rx ask, both read and checked by the caller. */
static int alpc_recv(struct alpc_end *end, struct alpc_recv *r,
		     struct alpc_recv __user *ur, struct alpc_rx *rx)
{
	struct alpc_port *port = end->port;
	struct alpc_conn *conn = end->conn;
	long timeout = alpc_timeout(r->timeout_ns);
	struct alpc_region *lent = NULL;
	bool was_charged = false;
	bool taken = false;
	struct alpc_msg *msg;
	LIST_HEAD(dispose);
	int ret = 0;

	mutex_lock(&port->lock);
	ret = alpc_wait_queued(end, &timeout);
	if (ret)
		goto out_unlock;

	msg = list_first_entry(&end->queue, struct alpc_msg, node);
	alpc_msg_info(end, msg, &r->info);
	if (msg->len > r->size || !alpc_rx_room(rx, msg)) {
		/* Another receiver may have the room: pass the wake-up on. */
		wake_up_interruptible(&end->recv_wq);
		mutex_unlock(&port->lock);
		if (copy_to_user(&ur->info, &r->info, sizeof(r->info)))
			return -EFAULT;
		return -EMSGSIZE;
	}
	list_del_init(&msg->node);
	if (msg->state == ALPC_REQ_QUEUED) {
		msg->state = ALPC_REQ_DELIVERING;
		msg->recv_end = end;
	} else {
		/*
		 * Anything else is the receiver's from here: no second lock
		 * unless the copy fails and it goes back.
		 */
		was_charged = msg->charged;
		alpc_uncharge(msg);
	}
	mutex_unlock(&port->lock);

	ret = alpc_deliver(end, rx, msg, true, u64_to_user_ptr(r->buf), msg->len, &r->info,
			   &ur->info, &taken);
	if (taken)
		trace_alpc_receive(msg->conn ? msg->conn->id : 0, r->info.id,
				   r->info.ref_id, r->info.type, r->info.len);
	/* The answer to a request that lent memory: wait out its last access. */
	if (taken && msg->type == ALPC_MSG_REPLY)
		lent = alpc_region_get(msg->region);

	if (msg->state == ALPC_REQ_NONE && taken) {
		if (lent)
			alpc_region_drain(conn, lent);
		alpc_msg_free(msg);
		return ret;
	}
	mutex_lock(&port->lock);
	alpc_recv_commit(end, msg, taken, was_charged, &dispose);
out_unlock:
	/* A receiver leaving a message behind passes its wake-up on. */
	if (!taken && !list_empty(&end->queue))
		wake_up_interruptible(&end->recv_wq);
	mutex_unlock(&port->lock);
	if (lent)
		alpc_region_drain(conn, lent);
	alpc_msg_free_list(&dispose);
	return ret;
}

static bool alpc_recv_args_bad(const struct alpc_recv *r)
{
	return r->flags & ~ALPC_RECV_FLAGS || r->reserved;
}

int alpc_ioctl_recv(struct alpc_end *end, struct alpc_recv __user *ur)
{
	struct alpc_recv r;
	struct alpc_rx rx;
	int ret;

	if (copy_from_user(&r, ur, sizeof(r)))
		return -EFAULT;
	if (alpc_recv_args_bad(&r))
		return -EINVAL;
	ret = alpc_rx_from_user(&rx, r.flags, r.extra);
	if (ret)
		return ret;
	return alpc_recv(end, &r, ur, &rx);
}

/*
 * Reads and checks the send at @us into @s, and builds its message, not
 * yet queued. Touches user memory, so runs without the port's lock.
 */
struct alpc_msg *alpc_send_prepare(struct alpc_end *end, struct alpc_send __user *us,
				   struct alpc_send *s)
{
	if (copy_from_user(s, us, sizeof(*s)))
		return ERR_PTR(-EFAULT);
	if (s->flags || s->reserved0 || memchr_inv(s->reserved, 0, sizeof(s->reserved)))
		return ERR_PTR(-EINVAL);
	switch (s->type) {
	case ALPC_MSG_REQUEST:
	case ALPC_MSG_DATAGRAM:
		if (s->ref_id)
			return ERR_PTR(-EINVAL);
		if (end->kind == ALPC_END_PORT)
			return ERR_PTR(-EOPNOTSUPP);
		break;
	case ALPC_MSG_REPLY:
		break;
	default:
		return ERR_PTR(-EINVAL);
	}
	if (s->len > end->port->attr.max_msg_len)
		return ERR_PTR(-EMSGSIZE);
	/* Fail on an unwritable output now, not after the message is sent. */
	if (put_user(0, &us->id))
		return ERR_PTR(-EFAULT);

	return alpc_msg_from_user(end, s->type, s->buf, s->len, s->context, s->attrs);
}

/*
 * Sends @msg as @s asks: queues it, or answers with it. On success its id
 * is in @s->id; on failure it goes to @dispose. Called with the port's
 * lock held.
 */
int alpc_send_locked(struct alpc_end *end, struct alpc_send *s, struct alpc_msg *msg,
		     struct list_head *dispose, struct alpc_wakes *wk)
{
	long timeout = alpc_timeout(s->timeout_ns);
	int ret;

	lockdep_assert_held(&end->port->lock);

	if (s->type == ALPC_MSG_REPLY)
		ret = alpc_reply(end, s->ref_id, msg, dispose);
	else
		ret = alpc_queue_msg(end, msg, &timeout, NULL, false, wk);
	if (ret)
		list_add(&msg->node, dispose);
	else
		s->id = msg->id;
	return ret;
}

int alpc_ioctl_send(struct alpc_end *end, struct alpc_send __user *us)
{
	struct alpc_port *port = end->port;
	struct alpc_msg *msg;
	struct alpc_send s;
	LIST_HEAD(dispose);
	int ret;

	msg = alpc_send_prepare(end, us, &s);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	mutex_lock(&port->lock);
	ret = alpc_send_locked(end, &s, msg, &dispose, NULL);
	mutex_unlock(&port->lock);
	alpc_msg_free_list(&dispose);
	if (ret)
		return ret;
	return put_user(s.id, &us->id) ? -EFAULT : 0;
}

/*
 * Puts a reply that SEND_WAIT could not deliver (another thread unmapped
 * its buffer meanwhile) at the head of the caller's queue, charged and
 * announced, for ALPC_IOC_RECV to take: the answer is not lost.
 */
static void alpc_reply_requeue(struct alpc_end *end, struct alpc_msg *reply)
{
	struct alpc_port *port = end->port;

	mutex_lock(&port->lock);
	alpc_charge(reply, reply->dir);
	list_add(&reply->node, &end->queue);
	if (end->cp)
		alpc_cp_post(end->cp, end->cp_key, reply->id, ALPC_MSG_REPLY, 0);
	wake_up_interruptible_poll(&end->recv_wq, EPOLLIN | EPOLLRDNORM);
	mutex_unlock(&port->lock);
}

int alpc_ioctl_send_wait(struct alpc_end *end, struct alpc_send_wait __user *us)
{
	struct alpc_port *port = end->port;
	struct alpc_conn *conn = end->conn;
	struct alpc_region *lent = NULL;
	struct alpc_waiter w = {};
	struct alpc_msg_info info;
	struct alpc_send_wait s;
	bool fds_fit, taken;
	struct alpc_msg *msg;
	struct alpc_rx rx;
	LIST_HEAD(dispose);
	bool nonblock;
	long timeout;
	int ret, err;
	u64 id;

	if (copy_from_user(&s, us, sizeof(s)))
		return -EFAULT;
	if (s.reserved0 || s.reserved)
		return -EINVAL;
	ret = alpc_rx_from_user(&rx, s.flags, s.extra);
	if (ret)
		return ret;
	if (s.len > port->attr.max_msg_len)
		return -EMSGSIZE;
	if (put_user(0, &us->id) || clear_user(&us->reply, sizeof(us->reply)) ||
	    alpc_reply_room_probe(s.reply_buf, s.reply_size, port->attr.max_msg_len))
		return -EFAULT;

	msg = alpc_msg_from_user(end, ALPC_MSG_REQUEST, s.buf, s.len, s.context, s.attrs);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	lent = alpc_region_get(msg->region);
	timeout = alpc_timeout(s.timeout_ns);

	nonblock = !timeout;
	mutex_lock(&port->lock);
	ret = alpc_queue_msg(end, msg, &timeout, &w, true, NULL);
	if (ret) {
		mutex_unlock(&port->lock);
		alpc_region_put(lent);
		alpc_msg_free(msg);
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
		if (ret == -ETIMEDOUT && nonblock)
			ret = -EAGAIN;
		/*
		 * Giving up withdraws the request, so that a late reply has
		 * nowhere to land (ALPC's LPC_LOST_REPLY).
		 */
		if (!w.done) {
			trace_alpc_cancel(conn->id, id, ret);
			alpc_req_end(msg, ret, NULL,
				     conn->state == ALPC_CONN_CONNECTED, &dispose);
		}
	}
	mutex_unlock(&port->lock);
	if (lent)
		alpc_region_drain(conn, lent);
	alpc_msg_free_list(&dispose);

	ret = w.status;
	if (put_user(id, &us->id))
		ret = -EFAULT;
	if (!w.reply)
		return ret;

	/* Fds that find no room are closed with the reply. */
	fds_fit = alpc_rx_room(&rx, w.reply);
	alpc_msg_info(end, w.reply, &info);
	if (!fds_fit)
		info.flags |= ALPC_MSGF_FDS_LOST;
	err = alpc_deliver(end, &rx, w.reply, fds_fit, u64_to_user_ptr(s.reply_buf),
			   min(w.reply->len, s.reply_size), &info, &us->reply, &taken);
	if (!taken) {
		alpc_reply_requeue(end, w.reply);
		return err;
	}
	alpc_msg_free(w.reply);
	if (err)
		return err;
	if (!fds_fit || info.len > s.reply_size)
		return -EMSGSIZE;
	return ret;
}

int alpc_ioctl_reply_recv(struct alpc_end *end, struct alpc_reply_recv __user *ur)
{
	struct alpc_port *port = end->port;
	struct alpc_reply_recv rr;
	struct alpc_msg *reply;
	struct alpc_rx rx;
	LIST_HEAD(dispose);
	u64 id = 0;
	int status;

	if (copy_from_user(&rr, ur, sizeof(rr)))
		return -EFAULT;
	if (rr.flags || rr.reserved0 || alpc_recv_args_bad(&rr.recv))
		return -EINVAL;
	/* The receive's extra too: nothing is sent for a call that is bad. */
	status = alpc_rx_from_user(&rx, rr.recv.flags, rr.recv.extra);
	if (status)
		return status;
	if (!rr.ref_id)
		return alpc_recv(end, &rr.recv, &ur->recv, &rx);
	if (rr.len > port->attr.max_msg_len)
		return -EMSGSIZE;
	if (put_user(0, &ur->reply_id) || put_user(0, &ur->reply_status))
		return -EFAULT;

	reply = alpc_msg_from_user(end, ALPC_MSG_REPLY, rr.buf, rr.len, rr.context, rr.attrs);
	if (IS_ERR(reply))
		return PTR_ERR(reply);

	mutex_lock(&port->lock);
	status = alpc_reply(end, rr.ref_id, reply, &dispose);
	if (status)
		list_add(&reply->node, &dispose);
	else
		id = reply->id;
	mutex_unlock(&port->lock);
	alpc_msg_free_list(&dispose);
	/* A bad reply (a view of another connection's section) is the caller's error. */
	if (status == -EINVAL)
		return status;

	if (put_user(id, &ur->reply_id) || put_user(status, &ur->reply_status))
		return -EFAULT;
	return alpc_recv(end, &rr.recv, &ur->recv, &rx);
}

int alpc_ioctl_cancel(struct alpc_end *end, struct alpc_cancel __user *uc)
{
	struct alpc_port *port = end->port;
	struct alpc_region *lent = NULL;
	struct alpc_cancel c;
	struct alpc_msg *req;
	LIST_HEAD(dispose);
	int ret = 0;

	if (copy_from_user(&c, uc, sizeof(c)))
		return -EFAULT;
	if (c.flags || c.reserved)
		return -EINVAL;

	mutex_lock(&port->lock);
	req = alpc_req_lookup(port, c.id);
	/* Not a connection request: an asynchronous connect ends with its fd. */
	if (!req || req->send_end != end || req->type != ALPC_MSG_REQUEST) {
		ret = -ENOENT;
	} else {
		lent = alpc_region_get(req->region);
		trace_alpc_cancel(req->conn->id, c.id, -ECANCELED);
		alpc_req_end(req, -ECANCELED, NULL,
			     req->conn->state == ALPC_CONN_CONNECTED, &dispose);
	}
	mutex_unlock(&port->lock);
	if (lent)
		alpc_region_drain(end->conn, lent);
	alpc_msg_free_list(&dispose);
	return ret;
}
