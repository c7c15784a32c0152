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
#include <linux/highmem.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/jiffies.h>
#include <linux/net.h>
#include <linux/overflow.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <net/sock.h>

#include "compat.h"
#include "completion.h"
#include "msg.h"
#include "trace.h"

static atomic64_t alpc_last_id = ATOMIC64_INIT(0);

u64 alpc_new_id(void)
{
	return atomic64_inc_return(&alpc_last_id);
}

/* Reserves @n consecutive ids; returns the first. */
static u64 alpc_new_ids(u32 n)
{
	return atomic64_add_return(n, &alpc_last_id) - n + 1;
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

static void alpc_region_free(struct kref *ref)
{
	struct alpc_region *r = container_of(ref, struct alpc_region, ref);

	mmdrop(r->mm);
	kfree(r);
}

static void alpc_region_put(struct alpc_region *r)
{
	if (r)
		kref_put(&r->ref, alpc_region_free);
}

/*
 * Bundles of up to this many bytes and datagrams are kept for reuse
 * (alpc_conn.dgram_cache): what a stream of small datagrams needs, and
 * at most 4 x (16 KiB + 64 headers), 120 KiB, per connection.
 */
#define ALPC_BUNDLE_CACHE_MAX	SZ_16K
#define ALPC_BUNDLE_CACHE_MSGS	64

static void alpc_bundle_destroy(struct alpc_bundle *b)
{
	if (b) {
		kvfree(b->hdrs);
		kvfree(b);
	}
}

void alpc_dgram_cache_free(struct alpc_conn *conn)
{
	int dir, i;

	for (dir = 0; dir < ARRAY_SIZE(conn->dgram_cache); dir++)
		for (i = 0; i < ARRAY_SIZE(conn->dgram_cache[dir]); i++)
			alpc_bundle_destroy(conn->dgram_cache[dir][i]);
}

/*
 * A bundle for @n datagrams in @size bytes sent in direction @dir,
 * without references: one @conn keeps for that direction if it is large
 * enough (the other side's were charged to the other side), or a new
 * one. Nothing in it needs zeroing: alpc_bundle_build() sets every
 * header whole and overwrites the buffer, and nothing past what it wrote
 * is read.
 */
static struct alpc_bundle *alpc_bundle_get(struct alpc_conn *conn, enum alpc_dir dir,
					   u32 n, u32 size)
{
	struct alpc_bundle **cache = conn->dgram_cache[dir];
	gfp_t gfp = GFP_KERNEL_ACCOUNT;
	struct alpc_bundle *b;
	size_t total;
	int i;

	for (i = 0; i < ARRAY_SIZE(conn->dgram_cache[dir]); i++) {
		b = xchg(&cache[i], NULL);
		if (b && b->buf_cap >= size && b->hdrs->cap >= n)
			return b;
		alpc_bundle_destroy(b);
	}
	/* One to be cached gets the whole slab object it takes. */
	total = struct_size(b, buf, size);
	if (total <= ALPC_BUNDLE_CACHE_MAX)
		total = kmalloc_size_roundup(total);
	b = kvmalloc(total, gfp);
	if (!b)
		return NULL;
	b->dir = dir;
	b->cacheable = total <= ALPC_BUNDLE_CACHE_MAX && n <= ALPC_BUNDLE_CACHE_MSGS;
	b->buf_cap = min_t(size_t, total - sizeof(*b), U32_MAX);
	b->hdrs = kvmalloc(struct_size(b->hdrs, msgs, n), gfp);
	if (!b->hdrs) {
		kvfree(b);
		return NULL;
	}
	b->hdrs->cap = n;
	return b;
}

/*
 * Gives @b, done with, back to @conn's cache, or frees it. Two are kept
 * per direction, so that a sender building its next bundle while the
 * receiver still copies out the last finds one.
 */
static void alpc_bundle_recycle(struct alpc_conn *conn, struct alpc_bundle *b)
{
	struct alpc_bundle **cache = conn->dgram_cache[b->dir];
	int i;

	if (b->cacheable)
		for (i = 0; i < ARRAY_SIZE(conn->dgram_cache[b->dir]); i++)
			if (!cmpxchg(&cache[i], NULL, b))
				return;
	alpc_bundle_destroy(b);
}

static void alpc_bundle_put(struct alpc_bundle *b)
{
	struct alpc_conn *conn = b->conn;

	if (!refcount_dec_and_test(&b->ref))
		return;
	put_pid(b->tgid);
	put_pid(b->tid);
	put_cred(b->cred);
	alpc_bundle_recycle(conn, b);
	alpc_conn_put(conn);
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

static void alpc_charge(struct alpc_msg *msg, enum alpc_dir dir)
{
	msg->dir = dir;
	msg->charged = true;
	msg->charged_bytes = msg->len;
	msg->conn->queued_msgs[dir]++;
	msg->conn->queued_bytes[dir] += msg->len;
}

/* Gives @msg's charge back, leaving the wake-up of those waiting for room to the caller. */
static void alpc_uncharge_nowake(struct alpc_msg *msg)
{
	struct alpc_conn *conn = msg->conn;

	if (!msg->charged)
		return;
	msg->charged = false;
	conn->queued_msgs[msg->dir]--;
	conn->queued_bytes[msg->dir] -= msg->charged_bytes;
}

static void alpc_room_wake(struct alpc_conn *conn)
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
	alpc_msg_enqueue_nowake(end, msg);
	/* Receivers wait exclusively: one message wakes one of them. */
	if (sync)
		wake_up_interruptible_sync_poll(&end->recv_wq, EPOLLIN | EPOLLRDNORM);
	else
		wake_up_interruptible_poll(&end->recv_wq, EPOLLIN | EPOLLRDNORM);
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

static void alpc_wakes_flush(struct alpc_wakes *wk)
{
	if (!wk || !wk->nr)
		return;
	__wake_up(&wk->end->recv_wq, TASK_INTERRUPTIBLE, wk->nr,
		  poll_to_key(EPOLLIN | EPOLLRDNORM));
	wk->nr = 0;
}

/* Turns a request its receiver has into the CANCELED message for it. */
static void alpc_req_to_canceled(struct alpc_msg *req)
{
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
 * A file that may not travel in a message: an alpc port, or a UNIX
 * socket. A queue holding either could hold its own port open (the port
 * itself, or a socket with the port's fd in flight), and nothing would
 * ever release it: unlike AF_UNIX, alpc has no garbage collector.
 */
static bool alpc_file_refused(struct file *file)
{
	struct socket *sock = sock_from_file(file);

	return alpc_is_port_file(file) || (sock && sock->sk && sock->sk->sk_family == AF_UNIX);
}

/* Takes a reference to each of the @n files at @ufds for @msg, as SCM_RIGHTS does. */
static int alpc_msg_files_get(struct alpc_msg *msg, const int __user *ufds, u32 n)
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
static int alpc_msg_attrs_get(struct alpc_end *end, struct alpc_msg *msg, u64 uattrs)
{
	struct alpc_msg_attrs a;
	struct alpc_region *r;
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
		r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
		if (!r)
			return -ENOMEM;
		kref_init(&r->ref);
		mmgrab(current->mm);
		r->mm = current->mm;
		r->addr = a.region_addr;
		r->len = a.region_len;
		r->flags = a.region_flags;
		msg->region = r;
	}
	if (a.flags & ALPC_ATTR_FDS) {
		if (!(end->port->attr.flags & ALPC_PORT_ALLOW_FDS))
			return -EPERM;
		if (!a.nfds || a.nfds > end->port->attr.max_fds)
			return -EINVAL;
		ret = alpc_msg_files_get(msg, u64_to_user_ptr(a.fds), a.nfds);
		if (ret)
			return ret;
	}
	if (a.flags & ALPC_ATTR_VIEW)
		return alpc_view_get(&msg->view, &a);
	return 0;
}

/* A view travels only on the connection its section was made for. */
static bool alpc_view_ok(const struct alpc_msg *msg, const struct alpc_conn *conn)
{
	return !msg->view.sec || msg->view.sec->conn == conn;
}

/*
 * The sender's half of direct access: returns once no ALPC_IOC_ACCESS to
 * @r is under way, so memory it lent is its own again.
 */
static void alpc_region_drain(struct alpc_conn *conn, struct alpc_region *r)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct alpc_port *port = conn->port;

	mutex_lock(&port->lock);
	add_wait_queue(&conn->wq, &wait);
	while (r->active && !fatal_signal_pending(current)) {
		mutex_unlock(&port->lock);
		wait_woken(&wait, TASK_KILLABLE, MAX_SCHEDULE_TIMEOUT);
		mutex_lock(&port->lock);
	}
	remove_wait_queue(&conn->wq, &wait);
	mutex_unlock(&port->lock);
	alpc_region_put(r);
}

static struct alpc_region *alpc_region_get(struct alpc_region *r)
{
	if (r)
		kref_get(&r->ref);
	return r;
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
 * Waits up to *@timeout for @end's connection to have room for @n
 * messages of @bytes in all, queued in @end's direction. Whoever is to
 * make room must first hear of what @wk has queued. Called and returns
 * with the port's lock held.
 */
static int alpc_wait_room(struct alpc_end *end, u32 n, u64 bytes, long *timeout,
			  struct alpc_wakes *wk)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct alpc_conn *conn = end->conn;
	enum alpc_dir dir = alpc_end_dir(end);
	bool nonblock = !*timeout;
	int ret = 0;

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

/* The header @msg's datagram record is received with, in the bundle, before its payload. */
static struct alpc_dgram *alpc_dgram_header(const struct alpc_msg *msg)
{
	return (struct alpc_dgram *)msg->data - 1;
}

/*
 * Rewrites the header of @msg, a bundle's datagram just queued from
 * @end, in the bundle, as ALPC_IOC_RECV_DGRAMS is to report it: then a
 * run of a bundle's datagrams is received with a single copy of its
 * records. Its receivers see the port context on the server's side.
 */
static void alpc_dgram_finish(struct alpc_msg *msg, const struct alpc_end *end)
{
	struct alpc_dgram *h = alpc_dgram_header(msg);

	h->id = msg->id;
	h->port_context = end->kind == ALPC_END_CLIENT ? msg->conn->port_context : 0;
	h->flags = msg->cred_changed ? ALPC_MSGF_CRED_CHANGED : 0;
}

/*
 * Queues @msg, sent on @end and given its id, for the other end of its
 * connection, which is connected and has room for it; an
 * alpc_queue_msg() without the wait. Fails only to enter a request in
 * the request table. Called with the port's lock held.
 */
static int alpc_enqueue_sent(struct alpc_end *end, struct alpc_msg *msg,
			     struct alpc_waiter *w, bool sync, struct alpc_wakes *wk)
{
	struct alpc_conn *conn = end->conn;
	enum alpc_dir dir = alpc_end_dir(end);
	struct alpc_end *dest;
	int ret;

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
 * Queues @msg, a REQUEST or DATAGRAM sent on @end, for the other end of
 * the connection, waiting up to *@timeout for room. @w: the sender will
 * wait for the answer. Called and returns with the port's lock held.
 */
static int alpc_queue_msg(struct alpc_end *end, struct alpc_msg *msg,
			  long *timeout, struct alpc_waiter *w, bool sync,
			  struct alpc_wakes *wk)
{
	int ret;

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
	struct alpc_msg *req = alpc_req_lookup(end->port, ref_id);

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
	if (msg->view.sec) {
		info->flags |= ALPC_MSGF_VIEW;
		if (msg->view.readonly)
			info->flags |= ALPC_MSGF_VIEW_READONLY;
		info->view_len = msg->view.len;
	}
	if (msg->region) {
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
	u32 nfds;			/* fds installed, in fds[] */
	int *fds;
};

#define ALPC_RECV_FLAGS	(ALPC_RECV_GROUPS | ALPC_RECV_PIDFD | ALPC_RECV_FD_INHERIT)

/* Reads and checks what @flags and @uextra ask for. Touches user memory. */
static int alpc_rx_get(struct alpc_rx *rx, u32 flags, u64 uextra)
{
	struct alpc_recv_extra *x = &rx->x;

	memset(rx, 0, sizeof(*rx));
	rx->flags = flags;
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

/* Closes the fds alpc_rx_deliver() made, after a later failure. */
static void alpc_rx_undo(struct alpc_rx *rx)
{
	u32 i;

	for (i = 0; i < rx->nfds; i++)
		close_fd(rx->fds[i]);
	if (rx->x.pidfd >= 0)
		close_fd(rx->x.pidfd);
	kfree(rx->fds);
	rx->fds = NULL;
	rx->nfds = 0;
	rx->x.pidfd = -1;
}

/*
 * Gives the receiver what @rx asks for of @msg, which it owns: new fds for
 * the files it carries, the sender's groups and pidfd, all written to
 * @rx's extra. On failure, nothing it made is left behind.
 */
static int alpc_rx_deliver(struct alpc_rx *rx, const struct alpc_msg *msg,
			   struct alpc_msg_info *info)
{
	struct alpc_recv_extra *x = &rx->x;
	struct alpc_conn *conn = msg->conn;
	u32 i, n;
	int fd;

	if (!rx->uextra)
		return 0;
	if (msg->nfiles) {
		rx->fds = kmalloc_array(msg->nfiles, sizeof(*rx->fds), GFP_KERNEL);
		if (!rx->fds)
			return -ENOMEM;
		for (i = 0; i < msg->nfiles; i++) {
			fd = alpc_receive_fd(msg->files[i], rx->flags & ALPC_RECV_FD_INHERIT ?
					     0 : O_CLOEXEC);
			if (fd < 0)
				goto err;
			rx->fds[rx->nfds++] = fd;
		}
		if (copy_to_user(u64_to_user_ptr(x->fds), rx->fds,
				 array_size(rx->nfds, sizeof(*rx->fds)))) {
			fd = -EFAULT;
			goto err;
		}
		x->nfds = rx->nfds;
	}
	if (rx->flags & ALPC_RECV_PIDFD && msg->peer && conn->pidfd[msg->from] &&
	    msg->tgid == conn->pid[msg->from]) {
		fd = alpc_receive_fd(conn->pidfd[msg->from], O_CLOEXEC);
		if (fd < 0)
			goto err;
		x->pidfd = fd;
		info->flags |= ALPC_MSGF_PIDFD;
	}
	if (rx->flags & ALPC_RECV_GROUPS) {
		const struct group_info *gi = msg->cred->group_info;
		struct user_namespace *ns = current_user_ns();
		u32 __user *ug = u64_to_user_ptr(x->groups);

		x->ngroups = gi->ngroups;
		n = min_t(u32, gi->ngroups, x->groups_size);
		for (i = 0; i < n; i++) {
			if (put_user(from_kgid_munged(ns, gi->gid[i]), &ug[i])) {
				fd = -EFAULT;
				goto err;
			}
		}
	}
	if (copy_to_user(rx->uextra, x, sizeof(*x))) {
		fd = -EFAULT;
		goto err;
	}
	return 0;
err:
	info->flags &= ~ALPC_MSGF_PIDFD;
	alpc_rx_undo(rx);
	return fd;
}

/*
 * Finishes a receive of @msg that failed with @err (back to the head of
 * the queue) or succeeded. Called with the port's lock held.
 */
static void alpc_recv_commit(struct alpc_end *end, struct alpc_msg *msg,
			     int err, bool was_charged, struct list_head *dispose)
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
	/* Not a request, and its copy failed: back to the head, as it was. */
	if (was_charged)
		alpc_charge(msg, msg->dir);
	list_add(&msg->node, &end->queue);
}

/*
 * Waits up to *@timeout for something in @end's queue. Called and returns
 * with the port's lock held.
 */
static int alpc_wait_queued(struct alpc_end *end, long *timeout)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct alpc_conn *conn = end->conn;
	bool nonblock = !*timeout;
	int ret = 0;

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

/* A receive as @r and @rx ask, both read and checked by the caller. */
static int alpc_recv(struct alpc_end *end, struct alpc_recv *r,
		     struct alpc_recv __user *ur, struct alpc_rx *rx)
{
	struct alpc_port *port = end->port;
	struct alpc_conn *conn = end->conn;
	long timeout = alpc_timeout(r->timeout_ns);
	struct alpc_region *lent = NULL;
	unsigned long addr = 0;
	bool was_charged = false;
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

	if (msg->view.sec) {
		addr = alpc_view_map(&msg->view);
		if (IS_ERR_VALUE(addr)) {
			ret = (int)addr;
			addr = 0;
		}
		r->info.view_addr = addr;
	}
	if (!ret)
		ret = alpc_rx_deliver(rx, msg, &r->info);
	if (!ret && (copy_to_user(u64_to_user_ptr(r->buf), msg->data, msg->len) ||
		     copy_to_user(&ur->info, &r->info, sizeof(r->info)))) {
		alpc_rx_undo(rx);
		ret = -EFAULT;
	}
	kfree(rx->fds);
	rx->fds = NULL;
	if (ret && addr)
		alpc_view_unmap(&msg->view, addr);
	if (!ret)
		trace_alpc_receive(msg->conn ? msg->conn->id : 0, r->info.id,
				   r->info.ref_id, r->info.type, r->info.len);
	/* The answer to a request that lent memory: wait out its last access. */
	if (!ret && msg->type == ALPC_MSG_REPLY)
		lent = alpc_region_get(msg->region);

	if (msg->state == ALPC_REQ_NONE && !ret) {
		if (lent)
			alpc_region_drain(conn, lent);
		alpc_msg_free(msg);
		return 0;
	}
	mutex_lock(&port->lock);
	alpc_recv_commit(end, msg, ret, was_charged, &dispose);
out_unlock:
	/* A receiver leaving a message behind passes its wake-up on. */
	if (ret && !list_empty(&end->queue))
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

static int alpc_ioctl_recv(struct alpc_end *end, struct alpc_recv __user *ur)
{
	struct alpc_recv r;
	struct alpc_rx rx;
	int ret;

	if (copy_from_user(&r, ur, sizeof(r)))
		return -EFAULT;
	if (alpc_recv_args_bad(&r))
		return -EINVAL;
	ret = alpc_rx_get(&rx, r.flags, r.extra);
	if (ret)
		return ret;
	return alpc_recv(end, &r, ur, &rx);
}

/*
 * Reads and checks the send at @us into @s, and builds its message, not
 * yet queued. Touches user memory, so runs without the port's lock.
 */
static struct alpc_msg *alpc_send_prepare(struct alpc_end *end,
					  struct alpc_send __user *us,
					  struct alpc_send *s)
{
	struct alpc_msg *msg;
	int ret;

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

	msg = alpc_msg_alloc(s->type == ALPC_MSG_REPLY ? NULL : end->conn, s->type,
			     u64_to_user_ptr(s->buf), s->len);
	if (IS_ERR(msg))
		return msg;
	msg->context = s->context;
	ret = alpc_msg_attrs_get(end, msg, s->attrs);
	if (ret) {
		alpc_msg_free(msg);
		return ERR_PTR(ret);
	}
	return msg;
}

/*
 * Sends @msg as @s asks: queues it, or answers with it. On success its id
 * is in @s->id; on failure it goes to @dispose. Called with the port's
 * lock held.
 */
static int alpc_send_locked(struct alpc_end *end, struct alpc_send *s,
			    struct alpc_msg *msg, struct list_head *dispose,
			    struct alpc_wakes *wk)
{
	long timeout = alpc_timeout(s->timeout_ns);
	int ret;

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

static int alpc_ioctl_send(struct alpc_end *end, struct alpc_send __user *us)
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

static int alpc_ioctl_send_wait(struct alpc_end *end,
				struct alpc_send_wait __user *us)
{
	struct alpc_port *port = end->port;
	struct alpc_conn *conn = end->conn;
	struct alpc_region *lent = NULL;
	struct alpc_waiter w = {};
	struct alpc_msg_info info;
	struct alpc_send_wait s;
	unsigned long addr = 0;
	struct alpc_msg *msg;
	struct alpc_rx rx;
	LIST_HEAD(dispose);
	bool nonblock;
	long timeout;
	u64 id;
	int ret;

	if (copy_from_user(&s, us, sizeof(s)))
		return -EFAULT;
	if (s.reserved0 || s.reserved)
		return -EINVAL;
	ret = alpc_rx_get(&rx, s.flags, s.extra);
	if (ret)
		return ret;
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
	ret = alpc_msg_attrs_get(end, msg, s.attrs);
	if (ret) {
		alpc_msg_free(msg);
		return ret;
	}
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

	alpc_msg_info(end, w.reply, &info);
	if (w.reply->view.sec) {
		addr = alpc_view_map(&w.reply->view);
		if (IS_ERR_VALUE(addr)) {
			ret = (int)addr;
			addr = 0;
		}
		info.view_addr = addr;
	}
	/* Fds that find no room are closed with the reply. */
	if (!alpc_rx_room(&rx, w.reply))
		ret = ret ?: -EMSGSIZE;
	else if (!ret)
		ret = alpc_rx_deliver(&rx, w.reply, &info);
	if (copy_to_user(u64_to_user_ptr(s.reply_buf), w.reply->data,
			 min(w.reply->len, s.reply_size)) ||
	    copy_to_user(&us->reply, &info, sizeof(info))) {
		ret = -EFAULT;
		alpc_rx_undo(&rx);
		if (addr)
			alpc_view_unmap(&w.reply->view, addr);
	} else if (!ret && w.reply->len > s.reply_size) {
		ret = -EMSGSIZE;
	}
	kfree(rx.fds);
	alpc_msg_free(w.reply);
	return ret;
}

static int alpc_ioctl_reply_recv(struct alpc_end *end,
				 struct alpc_reply_recv __user *ur)
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
	status = alpc_rx_get(&rx, rr.recv.flags, rr.recv.extra);
	if (status)
		return status;
	if (!rr.ref_id)
		return alpc_recv(end, &rr.recv, &ur->recv, &rx);
	if (rr.len > port->attr.max_msg_len)
		return -EMSGSIZE;
	if (put_user(0, &ur->reply_id) || put_user(0, &ur->reply_status))
		return -EFAULT;

	reply = alpc_msg_alloc(NULL, ALPC_MSG_REPLY, u64_to_user_ptr(rr.buf), rr.len);
	if (IS_ERR(reply))
		return PTR_ERR(reply);
	reply->context = rr.context;
	status = alpc_msg_attrs_get(end, reply, rr.attrs);
	if (status) {
		alpc_msg_free(reply);
		return status;
	}

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

static int alpc_ioctl_cancel(struct alpc_end *end, struct alpc_cancel __user *uc)
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

#define ALPC_ACCESS_CHUNK	PAGE_SIZE

/*
 * Copies @n bytes between @kbuf and @addr in @mm, as access_process_vm()
 * does for a task, but on the mm pinned at send: a sender that execve()s
 * ends the grant rather than lending the new program's memory. Returns
 * the bytes copied, or -ESRCH once the mm is gone.
 */
static int alpc_access_mm(struct mm_struct *mm, unsigned long addr, void *kbuf,
			  unsigned int n, bool write)
{
	unsigned int done = 0;

	if (!mmget_not_zero(mm))
		return -ESRCH;
	mmap_read_lock(mm);
	while (done < n) {
		unsigned int off = (addr + done) & ~PAGE_MASK;
		unsigned int chunk = min_t(unsigned int, n - done, PAGE_SIZE - off);
		struct page *page;
		void *p;

		if (alpc_gup_remote(mm, addr + done, write ? FOLL_WRITE : 0, &page, NULL) != 1)
			break;
		p = kmap_local_page(page);
		if (write) {
			memcpy(p + off, kbuf + done, chunk);
			flush_dcache_page(page);
			set_page_dirty_lock(page);
		} else {
			memcpy(kbuf + done, p + off, chunk);
		}
		kunmap_local(p);
		put_page(page);
		done += chunk;
	}
	mmap_read_unlock(mm);
	mmput(mm);
	return done;
}

/*
 * Starts one chunk of access to the region of request @id, received on
 * @end: checks the caller's right to it and counts the access as under
 * way. Called with the port's lock held.
 */
static int alpc_access_begin(struct alpc_end *end, const struct alpc_access *a,
			     struct alpc_msg **reqp)
{
	struct alpc_msg *req = alpc_req_lookup(end->port, a->id);
	u32 right = a->op == ALPC_ACCESS_READ ? ALPC_REGION_READ : ALPC_REGION_WRITE;
	u64 last;

	if (!req || req->type != ALPC_MSG_REQUEST ||
	    req->recv_end != end || req->state != ALPC_REQ_DELIVERED)
		return -ENOENT;
	if (!req->region || !(req->region->flags & right))
		return -EPERM;
	if (check_add_overflow(a->offset, a->len, &last) || last > req->region->len)
		return -EINVAL;
	req->region->active++;
	*reqp = req;
	return 0;
}

static int alpc_ioctl_access(struct alpc_end *end, struct alpc_access __user *ua)
{
	struct alpc_port *port = end->port;
	struct alpc_region *r = NULL;
	struct alpc_conn *conn = NULL;
	struct alpc_msg *req;
	struct alpc_access a;
	u64 done = 0;
	void *kbuf;
	int ret;

	if (copy_from_user(&a, ua, sizeof(a)))
		return -EFAULT;
	if ((a.op != ALPC_ACCESS_READ && a.op != ALPC_ACCESS_WRITE) || a.reserved)
		return -EINVAL;
	if (put_user(0, &ua->done))
		return -EFAULT;
	kbuf = kmalloc(ALPC_ACCESS_CHUNK, GFP_KERNEL);
	if (!kbuf)
		return -ENOMEM;

	/* The first check decides the errno; later ones only see revocation. */
	mutex_lock(&port->lock);
	ret = alpc_access_begin(end, &a, &req);
	if (!ret) {
		r = alpc_region_get(req->region);
		conn = req->conn;
		kref_get(&conn->ref);
		r->active--;
	}
	mutex_unlock(&port->lock);

	/*
	 * Chunk by chunk, user memory on the caller's side is touched outside
	 * the access count, so a receiver faulting on its own buffer cannot
	 * hold the sender back; only the sender's own pages are.
	 */
	while (!ret && done < a.len) {
		unsigned int n = min_t(u64, a.len - done, ALPC_ACCESS_CHUNK);
		void __user *ubuf = u64_to_user_ptr(a.buf + done);
		int got;

		if (a.op == ALPC_ACCESS_WRITE && copy_from_user(kbuf, ubuf, n)) {
			ret = -EFAULT;
			break;
		}
		mutex_lock(&port->lock);
		if (r->revoked)
			ret = -ENOENT;
		else
			r->active++;
		mutex_unlock(&port->lock);
		if (ret)
			break;

		got = alpc_access_mm(r->mm, r->addr + a.offset + done, kbuf, n,
				     a.op == ALPC_ACCESS_WRITE);

		mutex_lock(&port->lock);
		if (!--r->active && r->revoked)
			wake_up_all(&conn->wq);
		mutex_unlock(&port->lock);

		if (got < 0) {
			ret = got;
			break;
		}
		if (got > 0 && a.op == ALPC_ACCESS_READ && copy_to_user(ubuf, kbuf, got)) {
			ret = -EFAULT;
			break;
		}
		done += got;
		if (got < n)
			ret = -EFAULT;
	}
	kfree(kbuf);
	alpc_region_put(r);
	alpc_conn_put(conn);
	if (put_user(done, &ua->done))
		return -EFAULT;
	return ret;
}

static int alpc_ioctl_batch(struct alpc_end *end, struct alpc_batch __user *ub)
{
	struct alpc_port *port = end->port;
	struct alpc_batch_op __user *uops;
	struct alpc_wakes wk = {};
	struct alpc_batch_op *ops;
	struct alpc_send *sends;
	struct alpc_msg **msgs;
	struct alpc_batch b;
	LIST_HEAD(dispose);
	u32 i;
	int ret = -ENOMEM;

	if (copy_from_user(&b, ub, sizeof(b)))
		return -EFAULT;
	if (!b.count || b.count > ALPC_BATCH_MAX || b.flags || b.reserved)
		return -EINVAL;
	if (put_user(0, &ub->done))
		return -EFAULT;
	uops = u64_to_user_ptr(b.ops);
	ops = kvmalloc_array(b.count, sizeof(*ops), GFP_KERNEL);
	sends = kvmalloc_array(b.count, sizeof(*sends), GFP_KERNEL);
	msgs = kvcalloc(b.count, sizeof(*msgs), GFP_KERNEL);
	if (!ops || !sends || !msgs)
		goto out;
	ret = -EFAULT;
	if (copy_from_user(ops, uops, b.count * sizeof(*ops)))
		goto out;
	ret = -EINVAL;
	for (i = 0; i < b.count; i++)
		if (ops[i].op < ALPC_OP_SEND || ops[i].op > ALPC_OP_CANCEL)
			goto out;

	/*
	 * In order. A run of sends is read from user memory just before it
	 * runs (an earlier receive may have filled its buffers), outside the
	 * lock, then queued under one hold of it.
	 */
	for (i = 0; i < b.count;) {
		void __user *arg = u64_to_user_ptr(ops[i].arg);
		u32 j, run;

		switch (ops[i].op) {
		case ALPC_OP_SEND:
			for (run = i; run < b.count && ops[run].op == ALPC_OP_SEND; run++) {
				msgs[run] = alpc_send_prepare(end, u64_to_user_ptr(ops[run].arg),
							      &sends[run]);
				if (IS_ERR(msgs[run])) {
					ops[run].result = PTR_ERR(msgs[run]);
					msgs[run] = NULL;
				}
			}
			mutex_lock(&port->lock);
			for (j = i; j < run; j++)
				if (msgs[j])
					ops[j].result = alpc_send_locked(end, &sends[j], msgs[j],
									 &dispose, &wk);
			alpc_wakes_flush(&wk);
			mutex_unlock(&port->lock);
			i = run;
			continue;
		case ALPC_OP_RECV:
			ops[i].result = alpc_ioctl_recv(end, arg);
			break;
		case ALPC_OP_CANCEL:
			ops[i].result = alpc_ioctl_cancel(end, arg);
			break;
		}
		i++;
	}
	alpc_msg_free_list(&dispose);

	ret = 0;
	for (i = 0; i < b.count; i++) {
		struct alpc_send __user *us = u64_to_user_ptr(ops[i].arg);

		if (ops[i].op == ALPC_OP_SEND && msgs[i] && !ops[i].result &&
		    put_user(sends[i].id, &us->id))
			ops[i].result = -EFAULT;
		if (put_user(ops[i].result, &uops[i].result))
			ret = -EFAULT;
	}
	if (!ret && put_user(b.count, &ub->done))
		ret = -EFAULT;
out:
	kvfree(msgs);
	kvfree(sends);
	kvfree(ops);
	return ret;
}

/*
 * Builds the bundle for @d: copies the sender's buffer once and reads the
 * headers from that copy, so what is checked is what is sent. Every
 * header is checked before anything is queued. Touches user memory.
 */
static struct alpc_bundle *alpc_bundle_build(struct alpc_end *end,
					     const struct alpc_dgrams *d)
{
	struct alpc_bundle *b;
	struct alpc_msg *msgs;
	u32 i = 0, off = 0;
	int ret;

	b = alpc_bundle_get(end->conn, alpc_end_dir(end), d->count, d->size);
	if (!b)
		return ERR_PTR(-ENOMEM);
	msgs = b->hdrs->msgs;
	b->bytes = 0;
	ret = -EFAULT;
	if (copy_from_user(b->buf, u64_to_user_ptr(d->buf), d->size))
		goto err;

	for (i = 0; i < d->count; i++) {
		struct alpc_dgram *h = (struct alpc_dgram *)(b->buf + off);
		struct alpc_msg *msg = &msgs[i];

		ret = -EINVAL;
		if (d->size - off < sizeof(*h) || h->id || h->port_context || h->flags)
			goto err;
		ret = -EMSGSIZE;
		if (h->len > end->port->attr.max_msg_len)
			goto err;
		ret = -EINVAL;
		if (d->size - off < ALPC_DGRAM_SIZE(h->len))
			goto err;
		/* Padding reaches the receiver as zeros, not the sender's bytes. */
		memset((u8 *)(h + 1) + h->len, 0, ALPC_DGRAM_SIZE(h->len) - sizeof(*h) - h->len);
		/*
		 * Every field, the rest zeroed: a recycled header holds its
		 * last datagram's. An assignment rather than a memset and
		 * stores, which the compiler can do in word-sized stores.
		 */
		*msg = (struct alpc_msg) {
			.node = LIST_HEAD_INIT(msg->node),
			.req_node = LIST_HEAD_INIT(msg->req_node),
			.bundle = b,
			.conn = end->conn,
			.type = ALPC_MSG_DATAGRAM,
			.context = h->context,
			.len = h->len,
			.data = (u8 *)(h + 1),
		};
		off += ALPC_DGRAM_SIZE(h->len);
		b->bytes += h->len;
	}
	/* No room to spare: the bundle holds no more than its datagrams. */
	ret = -EINVAL;
	if (off != d->size)
		goto err;
	/* Never to fit in the queue at once. */
	ret = -EMSGSIZE;
	if (d->count > end->port->attr.max_queued_msgs ||
	    b->bytes > end->port->attr.max_queued_bytes)
		goto err;

	refcount_set(&b->ref, d->count);
	kref_get(&end->conn->ref);
	b->conn = end->conn;
	b->tgid = get_pid(task_tgid(current));
	b->tid = get_pid(task_pid(current));
	b->cred = get_current_cred();
	for (i = 0; i < d->count; i++) {
		msgs[i].tgid = b->tgid;
		msgs[i].tid = b->tid;
		msgs[i].cred = b->cred;
	}
	return b;
err:
	alpc_bundle_recycle(end->conn, b);
	return ERR_PTR(ret);
}

static bool alpc_dgrams_args_bad(const struct alpc_dgrams *d)
{
	return !d->count || d->count > ALPC_BATCH_MAX || d->flags || d->reserved;
}

/* Fails early on an unwritable output, before anything is sent or taken. */
static int alpc_dgrams_out(struct alpc_dgrams __user *ud, u32 done, u32 bytes,
			   u64 first_id)
{
	if (put_user(done, &ud->done) || put_user(bytes, &ud->bytes) ||
	    put_user(first_id, &ud->first_id))
		return -EFAULT;
	return 0;
}

static int alpc_ioctl_send_dgrams(struct alpc_end *end,
				  struct alpc_dgrams __user *ud)
{
	struct alpc_port *port = end->port;
	struct alpc_wakes wk = {};
	struct alpc_bundle *b;
	struct alpc_dgrams d;
	long timeout;
	u64 first;
	int ret;
	u32 i;

	if (copy_from_user(&d, ud, sizeof(d)))
		return -EFAULT;
	if (alpc_dgrams_args_bad(&d))
		return -EINVAL;
	if (end->kind == ALPC_END_PORT)
		return -EOPNOTSUPP;
	/*
	 * Never to fit, before anything is copied: more datagrams than the
	 * queue takes, more bytes than @count of the port's largest (one is
	 * larger), or than the queue's bytes and @count headers and padding.
	 */
	if (d.count > port->attr.max_queued_msgs ||
	    d.size > d.count * ALPC_DGRAM_SIZE(port->attr.max_msg_len) ||
	    d.size > port->attr.max_queued_bytes + d.count * ALPC_DGRAM_SIZE(0) + d.count * 7)
		return -EMSGSIZE;
	if (alpc_dgrams_out(ud, 0, 0, 0))
		return -EFAULT;
	b = alpc_bundle_build(end, &d);
	if (IS_ERR(b))
		return PTR_ERR(b);

	/* All or none: room for every datagram, or a wait for it. */
	timeout = alpc_timeout(d.timeout_ns);
	mutex_lock(&port->lock);
	ret = alpc_wait_room(end, d.count, b->bytes, &timeout, NULL);
	if (!ret) {
		first = alpc_new_ids(d.count);
		for (i = 0; i < d.count; i++) {
			struct alpc_msg *msg = &b->hdrs->msgs[i];

			msg->id = first + i;
			/* A datagram's cannot fail. */
			alpc_enqueue_sent(end, msg, NULL, false, &wk);
			alpc_dgram_finish(msg, end);
		}
		alpc_wakes_flush(&wk);
	}
	mutex_unlock(&port->lock);
	if (ret) {
		/* Nobody else has seen them: drop them all, and the bundle. */
		for (i = 0; i < d.count; i++)
			alpc_bundle_put(b);
		return ret;
	}
	return alpc_dgrams_out(ud, d.count, d.size, first);
}

static bool alpc_msg_plain_dgram(const struct alpc_msg *msg)
{
	return msg->type == ALPC_MSG_DATAGRAM && !msg->view.sec && !msg->nfiles;
}

/* Copies @msg, not a bundle's, to @ubuf as a datagram record for @end. */
static int alpc_dgram_copy_one(const struct alpc_end *end, const struct alpc_msg *msg,
			       u8 __user *ubuf)
{
	struct alpc_dgram h = {
		.id = msg->id,
		.context = msg->context,
		.len = msg->len,
	};

	if (end->kind != ALPC_END_CLIENT)
		h.port_context = msg->conn->port_context;
	if (msg->cred_changed)
		h.flags |= ALPC_MSGF_CRED_CHANGED;
	if (copy_to_user(ubuf, &h, sizeof(h)) ||
	    copy_to_user(ubuf + sizeof(h), msg->data, msg->len))
		return -EFAULT;
	return 0;
}

/*
 * Copies the run of @bytes of records of a bundle's datagrams from @run
 * on, in @list, to @ubuf + *@used, with one copy; counts those that
 * arrived whole in *@used and *@done (and the first's id in *@first).
 * Returns the first that did not, or NULL.
 */
static struct alpc_msg *alpc_dgrams_copy_run(struct list_head *list, struct alpc_msg *run,
					     u32 bytes, u8 __user *ubuf, u32 *used,
					     u32 *done, u64 *first)
{
	u32 copied = bytes - copy_to_user(ubuf + *used, alpc_dgram_header(run), bytes);
	struct alpc_msg *msg = run;

	list_for_each_entry_from(msg, list, node) {
		u32 rec = ALPC_DGRAM_SIZE(msg->len);

		if (!bytes)
			break;
		if (copied < rec)
			return msg;
		if (!*done)
			*first = msg->id;
		copied -= rec;
		bytes -= rec;
		*used += rec;
		(*done)++;
	}
	return NULL;
}

static int alpc_ioctl_recv_dgrams(struct alpc_end *end,
				  struct alpc_dgrams __user *ud)
{
	struct alpc_port *port = end->port;
	u32 done = 0, used = 0, need = 0;
	struct alpc_msg *msg, *tmp, *failed = NULL, *run = NULL;
	struct alpc_conn *waker = NULL;
	struct list_head *back;
	u32 run_bytes = 0;
	struct alpc_dgrams d;
	LIST_HEAD(delivered);
	u8 __user *ubuf;
	LIST_HEAD(taken);
	long timeout;
	u64 first = 0;
	int ret;

	if (copy_from_user(&d, ud, sizeof(d)))
		return -EFAULT;
	if (alpc_dgrams_args_bad(&d))
		return -EINVAL;
	if (alpc_dgrams_out(ud, 0, 0, 0))
		return -EFAULT;
	ubuf = u64_to_user_ptr(d.buf);
	timeout = alpc_timeout(d.timeout_ns);

	mutex_lock(&port->lock);
	ret = alpc_wait_queued(end, &timeout);
	if (ret)
		goto out_unlock;
	/*
	 * Every datagram taken is charged (alpc_enqueue_sent() charges what
	 * it queues), so a failed copy charges them again.
	 */
	list_for_each_entry_safe(msg, tmp, &end->queue, node) {
		u32 rec = ALPC_DGRAM_SIZE(msg->len);

		if (done == d.count || !alpc_msg_plain_dgram(msg))
			break;
		if (rec > d.size - used) {
			need = rec;
			break;
		}
		used += rec;
		/* Those waiting for room hear once per connection, not per datagram. */
		if (done && msg->conn != waker)
			alpc_room_wake(waker);
		waker = msg->conn;
		alpc_uncharge_nowake(msg);
		list_move_tail(&msg->node, &taken);
		done++;
	}
	if (done)
		alpc_room_wake(waker);
	if (!done) {
		ret = need ? -EMSGSIZE : -ENOMSG;
		/* Another receiver may take it: pass the wake-up on. */
		wake_up_interruptible(&end->recv_wq);
		goto out_unlock;
	}
	mutex_unlock(&port->lock);

	/*
	 * Copy out in order; the first that faults goes back, with the rest.
	 * A run of one bundle's datagrams lies there as received: one copy.
	 */
	done = 0;
	used = 0;
	list_for_each_entry(msg, &taken, node) {
		u32 rec = ALPC_DGRAM_SIZE(msg->len);

		if (run && msg->bundle == run->bundle && msg->data == run->data + run_bytes) {
			run_bytes += rec;
			continue;
		}
		if (run) {
			failed = alpc_dgrams_copy_run(&taken, run, run_bytes, ubuf, &used, &done,
						      &first);
			run = NULL;
			if (failed)
				break;
		}
		if (msg->bundle) {
			run = msg;
			run_bytes = rec;
			continue;
		}
		if (alpc_dgram_copy_one(end, msg, ubuf + used)) {
			failed = msg;
			break;
		}
		if (!done)
			first = msg->id;
		used += rec;
		done++;
	}
	if (run)
		failed = alpc_dgrams_copy_run(&taken, run, run_bytes, ubuf, &used, &done, &first);
	if (failed)
		list_cut_before(&delivered, &taken, &failed->node);
	else
		list_splice_init(&taken, &delivered);
	/* Unless the caller learns what it got, it got nothing: all go back. */
	ret = done ? alpc_dgrams_out(ud, done, used, first) : -EFAULT;
	if (ret)
		list_splice_tail_init(&taken, &delivered);
	back = ret ? &delivered : &taken;
	if (!list_empty(back)) {
		int n = 0;

		/*
		 * Back to the head, as they were, for this or other receivers:
		 * as many may have gone back to sleep finding them taken.
		 */
		mutex_lock(&port->lock);
		list_for_each_entry(msg, back, node) {
			alpc_charge(msg, msg->dir);
			n++;
		}
		list_splice_init(back, &end->queue);
		__wake_up(&end->recv_wq, TASK_INTERRUPTIBLE, n, poll_to_key(EPOLLIN | EPOLLRDNORM));
		mutex_unlock(&port->lock);
	}
	list_for_each_entry(msg, &delivered, node)
		trace_alpc_receive(msg->conn->id, msg->id, 0, msg->type, msg->len);
	alpc_msg_free_list(&delivered);
	return ret;

out_unlock:
	mutex_unlock(&port->lock);
	if (ret == -EMSGSIZE && put_user(need, &ud->bytes))
		return -EFAULT;
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
	case ALPC_IOC_ACCESS:
		return alpc_ioctl_access(end, uarg);
	case ALPC_IOC_BATCH:
		return alpc_ioctl_batch(end, uarg);
	case ALPC_IOC_SEND_DGRAMS:
		return alpc_ioctl_send_dgrams(end, uarg);
	case ALPC_IOC_RECV_DGRAMS:
		return alpc_ioctl_recv_dgrams(end, uarg);
	default:
		return -ENOTTY;
	}
}
